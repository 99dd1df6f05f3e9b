/**
 * Server-rendered HTML of the consent page (GET /consent/{handle}) and the borrower's own page
 * (GET /consent). Plain forms, no JavaScript; every value is HTML-escaped.
 */
import type { BorrowerConsentView } from '../core/borrower-portal.service';
import type { FlowNotice, FlowState, FlowStep } from '../core/consent-request.service';
import type { ProviderCode } from '../domain/types';
import { domainText, duration, type Lang, providerName, TEXT, type Texts, when } from './i18n';

/** Escapes text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(lang: Lang, title: string, body: string, switchHref: string): string {
  const t = TEXT[lang];
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="same-origin"><title>${esc(title)}</title><link rel="stylesheet" href="/consent/style.css"></head>
<body><main><header><span class="brand">Satu Kredit</span><a href="${esc(switchHref)}" hreflang="${lang === 'id' ? 'en' : 'id'}">${t.lang}</a></header>
${body}
</main></body></html>`;
}

function notice(t: Texts, n: FlowNotice | undefined): string {
  if (!n) return '';
  const m = t.notices;
  const text =
    n.kind === 'CODE_SENT' ? m.CODE_SENT(n.phone)
    : n.kind === 'WRONG_CODE' ? m.WRONG_CODE(n.triesLeft)
    : n.kind === 'LOGIN_REFUSED' ? m.LOGIN_REFUSED(n.triesLeft)
    : n.kind === 'MISMATCH' ? m.MISMATCH(providerName(n.provider))
    : n.kind === 'PROVIDER_DOWN' ? m.PROVIDER_DOWN(providerName(n.provider))
    : m[n.kind];
  return `<div class="notice${n.kind === 'CODE_SENT' ? '' : ' error'}" role="status">${esc(text)}</div>`;
}

function summary(lang: Lang, s: Extract<FlowState, { kind: 'START' }>['summary']): string {
  const t = TEXT[lang];
  return `<h1>${esc(t.asks(s.clientName))}</h1>
<section><dl>
<dt>${t.purpose}</dt><dd>${esc(s.purpose)}</dd>
<dt>${t.providers}</dt><dd>${s.providers.map((p) => esc(providerName(p))).join(', ')}</dd>
<dt>${t.data}</dt><dd><ul>${s.domains.map((d) => `<li>${esc(domainText(lang, d))}</li>`).join('')}</ul></dd>
<dt>${t.until}</dt><dd>${esc(when(lang, s.expiresAt))}</dd>
<dt>${t.dataLife}</dt><dd>${esc(duration(lang, s.dataLifeSeconds))}</dd>
${s.fetchIntervalSeconds > 0 ? `<dt>${t.fetchEvery}</dt><dd>${esc(duration(lang, s.fetchIntervalSeconds))}</dd>` : ''}
</dl><p class="muted">${t.linkUntil} ${esc(when(lang, s.linkExpiresAt))}</p></section>`;
}

function loginStep(lang: Lang, base: string, s: FlowStep): string {
  const t = TEXT[lang];
  const name = providerName(s.provider);
  if (s.verified) return `<section data-provider="${s.provider}"><h2>${esc(name)}</h2><p class="ok">✓ ${t.connected}</p></section>`;
  const liveness = s.livenessNeeded
    ? `<p class="muted">${esc(t.liveness(name))}</p>
<label for="ktp-${s.provider}">${t.ktp}</label><input id="ktp-${s.provider}" type="file" name="ktpImage" accept="image/*" required>
<label for="selfie-${s.provider}">${t.selfie}</label><input id="selfie-${s.provider}" type="file" name="selfieImage" accept="image/*" capture="user" required>`
    : '';
  return `<section data-provider="${s.provider}"><h2>${esc(t.loginTitle(name))}</h2><p class="muted">${esc(t.loginHint(name))}</p>
<form method="post" action="${base}/login" enctype="multipart/form-data"><input type="hidden" name="provider" value="${s.provider}">
<label for="phone-${s.provider}">${t.phone}</label><input id="phone-${s.provider}" type="tel" name="phoneNumber" autocomplete="tel" required>
<label for="pin-${s.provider}">${t.pin}</label><input id="pin-${s.provider}" type="password" name="pin" inputmode="numeric" autocomplete="off" required>
${liveness}<button type="submit">${t.login}</button></form></section>`;
}

function codeSteps(lang: Lang, base: string, steps: readonly FlowStep[]): string {
  const t = TEXT[lang];
  const out: string[] = [];
  const groups = new Map<number, FlowStep[]>();
  for (const s of steps) {
    if (s.method !== 'CODE') continue;
    const name = esc(providerName(s.provider));
    if (s.lookupFailed) out.push(`<section data-provider="${s.provider}"><h2>${name}</h2><p>${esc(t.lookupFailed(providerName(s.provider)))}</p></section>`);
    else if (s.phone === null) out.push(`<section data-provider="${s.provider}"><h2>${name}</h2><p>${esc(t.noPhone(providerName(s.provider)))}</p></section>`);
    else if (s.group !== undefined) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  }
  for (const [group, members] of groups) {
    const names = members.map((m) => providerName(m.provider)).join(', ');
    const attrs = `data-group="${group}" data-providers="${members.map((m) => m.provider).join(' ')}"`;
    if (members.every((m) => m.verified)) {
      out.push(`<section ${attrs}><h2>${esc(names)}</h2><p class="ok">✓ ${t.connected}</p></section>`);
      continue;
    }
    const sent = members.some((m) => m.codeSent);
    out.push(`<section ${attrs}><h2>${esc(t.codeFor(names, members[0]!.phone!))}</h2>
<form method="post" action="${base}/code/send"><input type="hidden" name="group" value="${group}"><button type="submit" class="${sent ? 'secondary' : ''}">${sent ? t.resend : t.send}</button></form>
${sent ? `<form method="post" action="${base}/code/check"><input type="hidden" name="group" value="${group}"><label for="code-${group}">${t.code}</label><input id="code-${group}" type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required><button type="submit">${t.verify}</button></form>` : ''}
</section>`);
  }
  return out.join('\n');
}

/**
 * The consent page for a flow state (ENDED is a redirect, not a page).
 * @param base the page's path, `/consent/{handle}`.
 */
export function renderFlow(lang: Lang, base: string, state: Exclude<FlowState, { kind: 'ENDED' }>): string {
  const t = TEXT[lang];
  const switchHref = `${base}?lang=${lang === 'id' ? 'en' : 'id'}`;
  const decline = `<form method="post" action="${base}/decline"><button type="submit" class="secondary">${t.decline}</button></form>`;
  switch (state.kind) {
    case 'NOT_FOUND':
      return page(lang, t.title, `<h1>${t.title}</h1><section><p>${t.notFound}</p></section>`, switchHref);
    case 'USED':
      return page(lang, t.title, `<h1>${t.title}</h1><section><p>${t.used}</p></section>`, switchHref);
    case 'START':
      return page(
        lang,
        t.title,
        `${summary(lang, state.summary)}<p class="muted">${t.startHint}</p><div class="row"><form method="post" action="${base}/start"><button type="submit">${t.start}</button></form>${decline}</div>`,
        switchHref,
      );
    case 'STEPS': {
      const logins = state.steps.filter((s) => s.method === 'LOGIN').map((s) => loginStep(lang, base, s)).join('\n');
      const approve = state.canApprove
        ? `<p class="muted">${t.approveHint}</p><div class="row"><form method="post" action="${base}/approve"><button type="submit">${t.approve}</button></form>${decline}</div>`
        : `<p class="muted">${t.notReady}</p><div class="row">${decline}</div>`;
      return page(lang, t.title, `${notice(t, state.notice)}${summary(lang, state.summary)}${logins}${codeSteps(lang, base, state.steps)}${approve}`, switchHref);
    }
  }
}

/** The borrower's page before sign-in: NIK, then the code. */
export function renderSignIn(lang: Lang, step: { nik?: string; sent?: boolean; failed?: boolean }): string {
  const t = TEXT[lang];
  const body = step.sent
    ? `<div class="notice" role="status">${t.codeSentIfKnown}</div>${step.failed ? `<div class="notice error" role="status">${t.signInFailed}</div>` : ''}
<section><form method="post" action="/consent/signin"><input type="hidden" name="nik" value="${esc(step.nik ?? '')}">
<label for="code">${t.code}</label><input id="code" type="text" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required>
<button type="submit">${t.signIn}</button></form></section>`
    : `<section><p class="muted">${t.signInHint}</p><form method="post" action="/consent/signin/code">
<label for="nik">${t.nik}</label><input id="nik" type="text" name="nik" inputmode="numeric" pattern="[0-9]{15,16}" maxlength="16" required>
<button type="submit">${t.sendSignIn}</button></form></section>`;
  return page(lang, t.myTitle, `<h1>${t.myTitle}</h1>${body}`, `/consent?lang=${lang === 'id' ? 'en' : 'id'}`);
}

/** The borrower's page after sign-in: every consent, with its access log, revoke, and erase everything. */
export function renderOverview(lang: Lang, consents: readonly BorrowerConsentView[], message?: 'revoked' | 'erased'): string {
  const t = TEXT[lang];
  const items = consents.map((c) => {
    const reads = c.accessLog.length
      ? `<table><thead><tr><th>${lang === 'id' ? 'Waktu' : 'When'}</th><th>${t.providers}</th><th>${t.data}</th><th></th></tr></thead><tbody>${c.accessLog
          .map(
            (r) =>
              `<tr><td>${esc(when(lang, r.at))}</td><td>${r.provider ? esc(providerName(r.provider as ProviderCode)) : ''}</td><td>${esc(domainText(lang, r.domain))}</td><td>${r.source === 'PROVIDER' ? t.fromProvider : t.fromCache}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : `<p class="muted">${t.noReads}</p>`;
    return `<section data-consent="${esc(c.id)}"><h2>${esc(c.clientName)} <span class="status ${esc(c.status)}">${esc(t.statuses[c.status] ?? c.status)}</span></h2>
<dl><dt>${t.purpose}</dt><dd>${esc(c.purpose)}</dd><dt>${t.providers}</dt><dd>${c.providers.map((p) => esc(providerName(p))).join(', ')}</dd>
<dt>${t.data}</dt><dd>${c.domains.map((d) => esc(domainText(lang, d))).join('; ')}</dd><dt>${t.until}</dt><dd>${esc(when(lang, c.expiresAt))}</dd></dl>
<h2>${t.reads}</h2>${reads}
${c.revocable ? `<form method="post" action="/consent/revoke"><input type="hidden" name="consentId" value="${esc(c.id)}"><button type="submit" class="danger">${t.revoke}</button></form>` : ''}
</section>`;
  });
  const msg = message ? `<div class="notice" role="status">${message === 'revoked' ? t.revoked : t.erased}</div>` : '';
  return page(
    lang,
    t.myTitle,
    `<h1>${t.myTitle}</h1>${msg}${items.join('\n') || `<section><p>${t.noConsents}</p></section>`}
<section><h2>${t.erase}</h2><p class="muted">${t.eraseHint}</p><form method="post" action="/consent/erase"><label><input type="checkbox" name="confirm" value="yes" required> ${t.eraseConfirm}</label><button type="submit" class="danger">${t.erase}</button></form></section>
<form method="post" action="/consent/signout"><button type="submit" class="secondary">${t.signOut}</button></form>`,
    `/consent?lang=${lang === 'id' ? 'en' : 'id'}`,
  );
}

/** The borrower's page after erasure (signed out). */
export function renderErased(lang: Lang): string {
  const t = TEXT[lang];
  return page(lang, t.myTitle, `<h1>${t.myTitle}</h1><div class="notice" role="status">${t.erased}</div>`, `/consent?lang=${lang === 'id' ? 'en' : 'id'}`);
}
