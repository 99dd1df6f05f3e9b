/**
 * The consent pages' words, in Bahasa Indonesia (the default) and English. Providers and data
 * domains are named in plain words; dates are shown in Asia/Jakarta (WIB).
 */
import { DateTime } from 'luxon';
import type { ProviderCode } from '../domain/types';

/** A page language. */
export type Lang = 'id' | 'en';

/** Picks the language: an explicit `?lang=`, else the cookie, else Bahasa Indonesia. */
export function pickLang(query: string | null, cookie: string | undefined): Lang {
  if (query === 'en' || query === 'id') return query;
  return cookie === 'en' ? 'en' : 'id';
}

const PROVIDER_NAMES: Record<ProviderCode, string> = { CAIRIN: 'Cairin', FINFRA: 'Finfra', DOMPET_KILAT: 'Dompet Kilat' };

/** A provider's display name. */
export function providerName(p: ProviderCode): string {
  return PROVIDER_NAMES[p] ?? p;
}

const DOMAINS: Record<Lang, Record<string, string>> = {
  id: {
    LOANS: 'Pinjaman Anda: jumlah, sisa pinjaman (dihitung dari pembayaran yang tercatat), status dan tanggal jatuh tempo',
    INSTALLMENTS: 'Jadwal cicilan setiap pinjaman',
    REPAYMENTS: 'Pembayaran yang Anda lakukan dan penyelesaiannya di bank',
    DISBURSEMENTS: 'Pencairan dana pinjaman ke rekening Anda',
    IDENTITY: 'Nama dan NIK Anda',
    CREDIT_SCORE: 'Skor kredit Anda dari penyedia pinjaman',
    FUNDING: 'Pendanaan yang Anda berikan sebagai pemberi dana: jumlah, tenor dan imbal hasil',
  },
  en: {
    LOANS: 'Your loans: amount, outstanding balance (worked out from the payments recorded), status and due dates',
    INSTALLMENTS: 'The installment schedule of each loan',
    REPAYMENTS: 'Repayments you made and their bank settlement',
    DISBURSEMENTS: 'Disbursements of loan money to your account',
    IDENTITY: 'Your name and NIK',
    CREDIT_SCORE: 'Your credit score from the lender',
    FUNDING: 'Your funding as a lender: amounts, tenors and accrued returns',
  },
};

/** A data domain in plain words. */
export function domainText(lang: Lang, d: string): string {
  return DOMAINS[lang][d] ?? d;
}

/** An instant as a Jakarta date and time, e.g. `4 Des 2026 14.05 WIB`. */
export function when(lang: Lang, d: Date): string {
  return `${DateTime.fromJSDate(d, { zone: 'Asia/Jakarta' }).setLocale(lang === 'id' ? 'id' : 'en-GB').toFormat('d LLL yyyy HH:mm')} WIB`;
}

/** A duration in whole days, hours or minutes. */
export function duration(lang: Lang, seconds: number): string {
  const [n, unit] = seconds % 86400 === 0 ? [seconds / 86400, 'd'] : seconds % 3600 === 0 ? [seconds / 3600, 'h'] : [Math.max(1, Math.round(seconds / 60)), 'm'];
  if (lang === 'id') return `${n} ${unit === 'd' ? 'hari' : unit === 'h' ? 'jam' : 'menit'}`;
  const word = unit === 'd' ? 'day' : unit === 'h' ? 'hour' : 'minute';
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Every fixed text of the pages. */
export const TEXT = {
  id: {
    title: 'Persetujuan berbagi data pinjaman',
    asks: (client: string) => `${client} meminta izin Anda untuk membaca data pinjaman Anda`,
    purpose: 'Tujuan',
    providers: 'Dari penyedia',
    data: 'Data yang dibaca',
    until: 'Izin berlaku sampai',
    from: 'Mulai',
    dataLife: 'Data disimpan paling lama',
    fetchEvery: 'Data diambil paling sering setiap',
    linkUntil: 'Tautan ini berlaku sampai',
    start: 'Lanjutkan',
    startHint: 'Anda akan membuktikan setiap akun Anda, lalu menyetujui atau menolak. Tautan ini hanya dapat dipakai di satu peramban.',
    decline: 'Tolak',
    approve: 'Setujui',
    approveHint: 'Dengan menyetujui, akun di atas dihubungkan dan penyedia ini boleh membaca data tersebut sampai izin berakhir. Anda dapat mencabutnya kapan saja di halaman Satu Kredit Anda.',
    notReady: 'Buktikan semua akun di atas sebelum menyetujui.',
    connected: 'Terhubung',
    loginTitle: (p: string) => `Masuk dengan akun ${p} Anda`,
    loginHint: (p: string) => `Nomor ponsel dan PIN aplikasi ${p} Anda. PIN dikirim langsung ke ${p} dan tidak kami simpan.`,
    phone: 'Nomor ponsel',
    pin: 'PIN',
    liveness: (p: string) => `${p} meminta foto KTP dan swafoto karena ini perangkat baru. Keduanya dikirim langsung ke ${p} dan tidak kami simpan.`,
    ktp: 'Foto KTP',
    selfie: 'Swafoto',
    login: 'Masuk',
    codeFor: (providers: string, phone: string) => `${providers}: kode sekali pakai ke ${phone}`,
    send: 'Kirim kode',
    resend: 'Kirim ulang kode',
    code: 'Kode 6 angka',
    verify: 'Periksa kode',
    noPhone: (p: string) => `${p} tidak menyimpan nomor ponsel untuk NIK ini, jadi akun ${p} tidak dapat dibuktikan. Anda dapat menolak permintaan ini.`,
    lookupFailed: (p: string) => `${p} tidak dapat dihubungi saat ini. Muat ulang halaman untuk mencoba lagi.`,
    notices: {
      CODE_SENT: (phone: string) => `Kode telah dikirim ke ${phone}.`,
      WRONG_CODE: (n: number) => `Kode salah. Sisa ${n} percobaan.`,
      CODE_EXPIRED: 'Kode sudah tidak berlaku. Kirim kode baru.',
      LOGIN_REFUSED: (n: number) => `Nomor ponsel atau PIN tidak diterima. Sisa ${n} percobaan.`,
      LIVENESS_NEEDED: 'Lengkapi foto KTP dan swafoto, lalu masuk lagi.',
      MISMATCH: (p: string) => `Akun ${p} ini tidak terdaftar atas NIK yang diminta.`,
      CONFLICT: 'Akun ini sudah terhubung dengan orang lain, atau Anda sudah menghubungkan akun lain di penyedia ini.',
      PROVIDER_DOWN: (p: string) => `${p} tidak dapat dihubungi saat ini. Coba lagi sebentar lagi.`,
      TOO_MANY: 'Terlalu banyak kode dikirim. Coba lagi nanti.',
      SEND_FAILED: 'Kode tidak dapat dikirim. Coba lagi sebentar lagi.',
      NOT_READY: 'Buktikan semua akun sebelum menyetujui.',
    },
    used: 'Tautan ini sudah dipakai di peramban lain. Minta tautan baru dari aplikasi yang mengirimkannya.',
    notFound: 'Tautan ini tidak dikenal. Minta tautan baru dari aplikasi yang mengirimkannya.',
    lang: 'English',
    // the borrower's own page
    myTitle: 'Persetujuan saya',
    signInHint: 'Masukkan NIK Anda. Jika kami mengenalnya, kami mengirim kode sekali pakai ke nomor ponsel yang tercatat di penyedia pinjaman Anda.',
    nik: 'NIK',
    sendSignIn: 'Kirim kode',
    codeSentIfKnown: 'Jika NIK ini kami kenal, kode telah dikirim ke nomor ponsel Anda yang tercatat di penyedia pinjaman.',
    signIn: 'Masuk',
    signInFailed: 'Kode salah atau sudah tidak berlaku.',
    signOut: 'Keluar',
    noConsents: 'Belum ada persetujuan.',
    status: 'Status',
    statuses: { PENDING: 'Menunggu', ACTIVE: 'Aktif', PAUSED: 'Dijeda', REJECTED: 'Ditolak', REVOKED: 'Dicabut', EXPIRED: 'Berakhir' } as Record<string, string>,
    reads: 'Pembacaan data terakhir',
    noReads: 'Belum ada data yang dibaca.',
    fromCache: 'dari salinan tersimpan',
    fromProvider: 'dari penyedia',
    revoke: 'Cabut persetujuan',
    revoked: 'Persetujuan dicabut. Data yang disimpan untuknya telah dihapus.',
    erase: 'Hapus semua data saya',
    eraseHint: 'Menghapus akun yang terhubung, semua data pinjaman yang disimpan untuk semua aplikasi, serta nama dan NIK Anda, dan mencabut semua persetujuan. Riwayat persetujuan tetap ada tanpa data pribadi.',
    eraseConfirm: 'Saya mengerti, hapus semuanya',
    erased: 'Semua data Anda telah dihapus.',
  },
  en: {
    title: 'Consent to share loan data',
    asks: (client: string) => `${client} asks your permission to read your loan data`,
    purpose: 'Purpose',
    providers: 'From providers',
    data: 'Data read',
    until: 'Permission valid until',
    from: 'Starting',
    dataLife: 'Data kept for at most',
    fetchEvery: 'Data fetched at most every',
    linkUntil: 'This link works until',
    start: 'Continue',
    startHint: 'You will prove each of your accounts, then approve or decline. This link works in one browser only.',
    decline: 'Decline',
    approve: 'Approve',
    approveHint: 'By approving, the accounts above are linked and this client may read that data until the permission ends. You can withdraw it at any time on your Satu Kredit page.',
    notReady: 'Prove every account above before approving.',
    connected: 'Connected',
    loginTitle: (p: string) => `Sign in with your ${p} account`,
    loginHint: (p: string) => `The phone number and PIN of your ${p} app. The PIN goes straight to ${p}; we do not keep it.`,
    phone: 'Phone number',
    pin: 'PIN',
    liveness: (p: string) => `${p} asks for a KTP photo and a selfie because this is a new device. Both go straight to ${p}; we do not keep them.`,
    ktp: 'KTP photo',
    selfie: 'Selfie',
    login: 'Sign in',
    codeFor: (providers: string, phone: string) => `${providers}: one-time code to ${phone}`,
    send: 'Send code',
    resend: 'Send a new code',
    code: '6-digit code',
    verify: 'Check code',
    noPhone: (p: string) => `${p} holds no phone number for this NIK, so the ${p} account cannot be proven. You can decline this request.`,
    lookupFailed: (p: string) => `${p} cannot be reached right now. Reload the page to try again.`,
    notices: {
      CODE_SENT: (phone: string) => `A code was sent to ${phone}.`,
      WRONG_CODE: (n: number) => `Wrong code. ${n} ${n === 1 ? 'try' : 'tries'} left.`,
      CODE_EXPIRED: 'That code is no longer valid. Send a new one.',
      LOGIN_REFUSED: (n: number) => `Phone number or PIN not accepted. ${n} ${n === 1 ? 'try' : 'tries'} left.`,
      LIVENESS_NEEDED: 'Add the KTP photo and selfie, then sign in again.',
      MISMATCH: (p: string) => `This ${p} account is not registered to the NIK asked for.`,
      CONFLICT: 'This account is linked to someone else, or you already linked another account at this provider.',
      PROVIDER_DOWN: (p: string) => `${p} cannot be reached right now. Try again shortly.`,
      TOO_MANY: 'Too many codes sent. Try again later.',
      SEND_FAILED: 'The code could not be sent. Try again shortly.',
      NOT_READY: 'Prove every account before approving.',
    },
    used: 'This link was already used in another browser. Ask the app that sent it for a new link.',
    notFound: 'This link is not known. Ask the app that sent it for a new link.',
    lang: 'Bahasa Indonesia',
    myTitle: 'My consents',
    signInHint: 'Enter your NIK. If we know it, we send a one-time code to the phone number your loan providers hold.',
    nik: 'NIK',
    sendSignIn: 'Send code',
    codeSentIfKnown: 'If we know this NIK, a code was sent to the phone number your loan providers hold.',
    signIn: 'Sign in',
    signInFailed: 'Wrong or expired code.',
    signOut: 'Sign out',
    noConsents: 'No consents yet.',
    status: 'Status',
    statuses: { PENDING: 'Pending', ACTIVE: 'Active', PAUSED: 'Paused', REJECTED: 'Declined', REVOKED: 'Revoked', EXPIRED: 'Expired' } as Record<string, string>,
    reads: 'Latest reads',
    noReads: 'No data read yet.',
    fromCache: 'from a stored copy',
    fromProvider: 'from the provider',
    revoke: 'Withdraw consent',
    revoked: 'Consent withdrawn. The data stored under it was deleted.',
    erase: 'Erase all my data',
    eraseHint: 'Deletes your linked accounts, all loan data stored for every app, and your name and NIK, and revokes every consent. The consent history stays, without personal data.',
    eraseConfirm: 'I understand, erase everything',
    erased: 'All your data was erased.',
  },
};

/** The texts of one language. */
export type Texts = (typeof TEXT)[Lang];
