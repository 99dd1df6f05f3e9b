/**
 * A browser without JavaScript for the consent pages, over real HTTP: keeps cookies, sends forms
 * as a browser does (same-origin Origin header), never follows redirects (tests read them).
 */
export class PageClient {
  private readonly jar = new Map<string, string>();

  constructor(readonly origin: string) {}

  /** GET or POST a page; POST bodies are forms (urlencoded, or multipart as FormData). */
  async request(path: string, form?: Record<string, string> | FormData): Promise<{ status: number; html: string; location: string | null }> {
    const headers: Record<string, string> = { accept: 'text/html', origin: this.origin };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const body = form === undefined ? undefined : form instanceof FormData ? form : new URLSearchParams(form);
    const res = await fetch(new URL(path, this.origin), { method: form === undefined ? 'GET' : 'POST', headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const [name, value] = [pair!.slice(0, i), pair!.slice(i + 1)];
      if (/Max-Age=0/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    return { status: res.status, html: await res.text(), location: res.headers.get('location') };
  }

  /** The text of the page's notice, if any. */
  static notice(html: string): string | null {
    return /class="notice[^"]*" role="status">([^<]*)</.exec(html)?.[1] ?? null;
  }
}

/** The newest 6-digit code the sandbox SMS gateway holds for `phone`, waiting until more than `after` messages arrived. */
export async function latestCode(smsUrl: string, phone: string, after = 0): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const r = (await (await fetch(`${smsUrl}/__sandbox/sms?phone=${phone}`)).json()) as { messages: { text: string }[] };
    if (r.messages.length > after) return /\b(\d{6})\b/.exec(r.messages.at(-1)!.text)![1]!;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`no code for ${phone}`);
}

/** How many messages the sandbox SMS gateway holds for `phone`. */
export async function smsCount(smsUrl: string, phone: string): Promise<number> {
  return ((await (await fetch(`${smsUrl}/__sandbox/sms?phone=${phone}`)).json()) as { messages: unknown[] }).messages.length;
}
