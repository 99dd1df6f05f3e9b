/**
 * The documentation's runnable examples: collected from the Markdown code fences of README.md and docs/*.md,
 * checked against the schema, and compared with real answers (test/integration/doc-examples.test.ts runs them).
 *
 * The convention (documented in docs/developer.md, "Examples in these docs"):
 *
 * - A ```graphql fence is an operation. Words after `graphql` in the info string set how it runs:
 *   `client=<id>` (default `demo-aggregator`) and `scopes=<a,b>` (default the demo clients' scopes,
 *   `credit:read,payoff:read,consent:write`). Renderers show only the first word.
 * - A ```json variables fence right after it (the next fence) holds its variables.
 * - A ```json answer fence next after those is the answer it gives on the demo data; `json answer partial` may
 *   leave out trailing array elements (the rest must match); `json answer shape` is compared in shape only (keys,
 *   JSON types, array lengths), for values that change from run to run (times of day, order of equal times). A plain ```json fence that looks like a GraphQL
 *   answer (a top-level `data` or `errors`) is refused: label it.
 * - An ```sh fence with `curl ... --data '{"query": ...}'` is an operation too (its answer fence follows it the same way).
 * - An ```sh fence whose lines run `npx satukredit fire -u <events url> finfra|dompetkilat '<json>'` is a step: the test fires
 *   those events at the stack (and waits until they are applied) before the operations that follow.
 * - Values only the running demo knows are written `"<...>"` in variables and in string literals of the
 *   operation: `<Borrower id of NAME>`, `<Loan id of PROVIDER_LOAN_ID>`, `<redirect URI>` (a redirect URI
 *   registered for the client), and ids answered earlier in the same file: `<Consent id>` (the last
 *   consentRequestCreate), `<Webhook endpoint id>` (the last webhookEndpointCreate).
 */

/** One fenced code block. */
export interface Fence {
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The first word of the info string (the language), lowercased. */
  readonly lang: string;
  /** The words after it. */
  readonly words: readonly string[];
  readonly text: string;
}

/**
 * The fenced code blocks of a CommonMark document, in order: backtick or tilde fences of 3 or more, indented at
 * most 3 spaces (more inside list items is accepted too: the docs nest fences in numbered steps), closed by a
 * fence of the same character at least as long (or the end of the document). Indented code blocks and fences
 * inside HTML are not examples and are not looked for.
 */
export function scanFences(file: string, markdown: string): Fence[] {
  const lines = markdown.split(/\r?\n/);
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, marker, info] = open as unknown as [string, string, string, string];
    const close = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !close.test(lines[j]!); j++) body.push(stripIndent(lines[j]!, indent.length));
    const [lang = '', ...words] = info.trim().split(/\s+/).filter(Boolean);
    out.push({ file, line: i + 1, lang: lang.toLowerCase(), words, text: body.join('\n') });
    i = j;
  }
  return out;
}

function stripIndent(line: string, n: number): string {
  let k = 0;
  while (k < n && line[k] === ' ') k++;
  return line.slice(k);
}

/** An operation shown in the docs, with what is shown beside it. */
export interface DocOperation {
  readonly kind: 'operation';
  readonly where: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  readonly client: string;
  readonly scopes: readonly string[] | null;
  readonly answer: { readonly value: unknown; readonly partial: boolean; readonly shapeOnly: boolean; readonly where: string } | null;
}

/** Provider events the docs fire before what follows. */
export interface DocFire {
  readonly kind: 'fire';
  readonly where: string;
  readonly events: readonly { readonly provider: 'finfra' | 'dompetkilat'; readonly body: Record<string, any> }[];
}

export type DocStep = DocOperation | DocFire;

const at = (f: Fence) => `${f.file}:${f.line}`;

function parseJson(f: Fence): unknown {
  try {
    return JSON.parse(f.text);
  } catch (e) {
    throw new Error(`${at(f)}: the \`${[f.lang, ...f.words].join(' ')}\` fence is not JSON: ${(e as Error).message}`);
  }
}

const looksLikeAnswer = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && ('data' in v || 'errors' in v);

/** Arguments of a shell line, single quotes kept together (what the docs' commands use). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** Joins shell continuation lines (`\` at the end). */
function shellLines(text: string): string[] {
  return text.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

/**
 * The steps of one document, in order, and the fences that break the convention (each problem names the file
 * and line; such a fence is left out of the steps).
 */
export function docSteps(file: string, markdown: string): { steps: DocStep[]; problems: string[] } {
  const fences = scanFences(file, markdown);
  const steps: DocStep[] = [];
  const problems: string[] = [];
  const used = new Set<Fence>();
  for (let i = 0; i < fences.length; i++) {
    const f = fences[i]!;
    if (used.has(f)) continue;
    try {
      i = step(fences, i, steps, used);
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  return { steps, problems };
}

/** Reads the step starting at fence `i` (with the fences it takes); returns the index of the last fence read. */
function step(fences: Fence[], i: number, steps: DocStep[], used: Set<Fence>): number {
  const f = fences[i]!;
  let query: string | null = null;
  let variables: Record<string, unknown> = {};
  const attrs: Record<string, string> = {};
  if (f.lang === 'graphql') {
    query = f.text;
    for (const w of f.words) {
      const m = /^(client|scopes)=(.+)$/.exec(w);
      if (!m) throw new Error(`${at(f)}: unknown word "${w}" after graphql (client=<id>, scopes=<a,b>)`);
      attrs[m[1]!] = m[2]!;
    }
  } else if (f.lang === 'sh' || f.lang === 'bash' || f.lang === 'shell') {
    const events: DocFire['events'][number][] = [];
    for (const line of shellLines(f.text)) {
      // `<events url>` is one word (a placeholder the reader replaces).
      const w = shellWords(line.replace(/<[^<>'"]*>/g, (m) => m.replace(/\s+/g, '_')));
      const fire = w.indexOf('fire');
      // Only events fired at the demo's events URL (`-u`, `--events-url`); `--api-url` addresses a cluster.
      if (w.includes('satukredit') && fire > 0 && (w.includes('-u') || w.includes('--events-url'))) {
        const rest = w.slice(fire + 1).filter((x, k, a) => !x.startsWith('-') && !(k > 0 && a[k - 1]!.startsWith('-')));
        const [provider, json] = rest;
        if ((provider !== 'finfra' && provider !== 'dompetkilat') || !json) throw new Error(`${at(f)}: the test fires finfra and dompetkilat events only: ${line}`);
        try {
          events.push({ provider, body: JSON.parse(json) });
        } catch (e) {
          throw new Error(`${at(f)}: the event is not JSON: ${(e as Error).message}`);
        }
      }
      if (w[0] === 'curl' && w.includes('--data')) {
        const body = w[w.indexOf('--data') + 1]!;
        let parsed: { query?: string; variables?: Record<string, unknown> };
        try {
          parsed = JSON.parse(body);
        } catch (e) {
          throw new Error(`${at(f)}: the curl --data is not JSON: ${(e as Error).message}`);
        }
        if (typeof parsed.query !== 'string') throw new Error(`${at(f)}: the curl --data has no "query"`);
        if (query !== null) throw new Error(`${at(f)}: one GraphQL request per sh fence`);
        query = parsed.query;
        variables = parsed.variables ?? {};
      }
    }
    if (events.length) steps.push({ kind: 'fire', where: at(f), events });
    if (query === null) return i;
  } else {
    let plain: unknown = null;
    try {
      plain = f.lang === 'json' && !f.words.length ? JSON.parse(f.text) : null;
    } catch {
      // JSON lines or an excerpt: not an answer.
    }
    if (looksLikeAnswer(plain)) {
      throw new Error(`${at(f)}: a \`json\` fence that looks like a GraphQL answer: label it \`json answer\` right after its operation (or show it otherwise)`);
    }
    if (f.lang === 'json' && f.words.length && !used.has(f)) {
      throw new Error(`${at(f)}: a \`json ${f.words.join(' ')}\` fence that follows no operation`);
    }
    return i;
  }
  let k = i + 1;
  const next = fences[k];
  if (next && next.lang === 'json' && next.words[0] === 'variables') {
    const v = parseJson(next);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${at(next)}: variables must be a JSON object`);
    variables = { ...variables, ...(v as Record<string, unknown>) };
    used.add(next);
    k++;
  }
  let answer: DocOperation['answer'] = null;
  const ans = fences[k];
  if (ans && ans.lang === 'json' && ans.words[0] === 'answer') {
    const unknownWords = ans.words.slice(1).filter((w) => w !== 'partial' && w !== 'shape');
    if (unknownWords.length) throw new Error(`${at(ans)}: unknown word(s) after json answer: ${unknownWords.join(' ')}`);
    answer = { value: parseJson(ans), partial: ans.words.includes('partial'), shapeOnly: ans.words.includes('shape'), where: at(ans) };
    used.add(ans);
  }
  steps.push({
    kind: 'operation',
    where: at(f),
    query,
    variables,
    client: attrs.client ?? 'demo-aggregator',
    scopes: attrs.scopes ? attrs.scopes.split(',') : null,
    answer,
  });
  return i;
}

/** The JSON type of a value, as the comparison names it. */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Leaves whose values are made at run time (random ids, one-time links, secrets): compared by type only. */
const RUN_TIME_KEYS = new Set(['id', 'borrowerId', 'consentId', 'loanId', 'consentUrl', 'secret', 'requestId', 'eventId']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a string is an id made at run time: a UUID, or a global id (base64 of a JSON array) holding one. */
export function isRunTimeId(s: string): boolean {
  if (UUID.test(s)) return true;
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(s) || s.length < 16) return false;
  try {
    const decoded = JSON.parse(Buffer.from(s, 'base64').toString('utf8')) as unknown;
    return Array.isArray(decoded) && decoded.some((x) => typeof x === 'string' && UUID.test(x));
  } catch {
    return false;
  }
}

/**
 * Differences between a shown answer and the real one: the same keys and JSON types recursively, arrays
 * element by element (of the same length, or with `partial` a shown prefix), and the same leaf values except
 * run-time ids (by key, or a UUID or a global id holding one), which are compared by type; a shown id that is
 * one of the demo's stable ids (`stable`) is compared exactly. `shapeOnly`: no leaf value is compared.
 */
export function answerDifferences(shown: unknown, real: unknown, opts: { partial: boolean; shapeOnly: boolean; stable?: ReadonlySet<string> }, path = '$'): string[] {
  const { partial, shapeOnly, stable } = opts;
  const ts = typeOf(shown);
  const tr = typeOf(real);
  if (ts !== tr) return [`${path}: shown ${ts} ${JSON.stringify(shown)}, real ${tr} ${JSON.stringify(real)}`];
  if (ts === 'array') {
    const s = shown as unknown[];
    const r = real as unknown[];
    const out: string[] = [];
    if (partial ? s.length > r.length : s.length !== r.length) out.push(`${path}: shown ${s.length} elements, real ${r.length}`);
    for (let i = 0; i < Math.min(s.length, r.length); i++) out.push(...answerDifferences(s[i], r[i], opts, `${path}[${i}]`));
    return out;
  }
  if (ts === 'object') {
    const s = shown as Record<string, unknown>;
    const r = real as Record<string, unknown>;
    const out: string[] = [];
    for (const k of Object.keys(s)) if (!(k in r)) out.push(`${path}.${k}: shown, not in the real answer`);
    for (const k of Object.keys(r)) if (!(k in s)) out.push(`${path}.${k}: in the real answer (${JSON.stringify(r[k])}), not shown`);
    for (const k of Object.keys(s)) {
      if (!(k in r)) continue;
      const stableId = typeof s[k] === 'string' && stable?.has(s[k] as string);
      if (RUN_TIME_KEYS.has(k) && !stableId && typeOf(s[k]) === typeOf(r[k]) && typeOf(s[k]) !== 'object' && typeOf(s[k]) !== 'array') continue;
      out.push(...answerDifferences(s[k], r[k], opts, `${path}.${k}`));
    }
    return out;
  }
  if (shapeOnly) return [];
  if (ts === 'string' && !stable?.has(shown as string) && isRunTimeId(shown as string) && isRunTimeId(real as string)) return [];
  return shown === real ? [] : [`${path}: shown ${JSON.stringify(shown)}, real ${JSON.stringify(real)}`];
}

/** Replaces `"<...>"` string literals in a GraphQL document. */
export function fillQuery(query: string, value: (name: string) => string): string {
  return query.replace(/"<([^">]+)>"/g, (_, name: string) => JSON.stringify(value(name)));
}

/** Replaces `"<...>"` strings anywhere in variables. */
export function fillVariables(v: unknown, value: (name: string) => string): unknown {
  if (typeof v === 'string') {
    const m = /^<([^>]+)>$/.exec(v);
    return m ? value(m[1]!) : v;
  }
  if (Array.isArray(v)) return v.map((x) => fillVariables(x, value));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fillVariables(x, value)]));
  return v;
}
