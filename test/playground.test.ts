/**
 * The GraphiQL page: saved examples valid against the committed schema, the
 * token preset in the headers, and nothing the browser would fetch from
 * anywhere but the API.
 */
import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { CONSENT_REVOKE_EXAMPLE, defaultExamples, presetsToken, renderPlayground } from '../src/app';
import { TEST_START, TEST_TODAY } from './support/clock';

const schema = buildSchema(readFileSync('schema/schema.graphql', 'utf8'));
const borrowerId = Buffer.from(JSON.stringify(['Borrower', '8b7b7cad-8cdd-473d-a8d6-fb743e52052c'])).toString('base64url');
const loanId = Buffer.from(JSON.stringify(['Loan', 'FINFRA', 'LN-0001'])).toString('base64url');
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vLWFnZ3JlZ2F0b3IifQ.c2lnbmF0dXJl';

function errorsOf(source: string): string[] {
  return validate(schema, parse(source)).map((e) => e.message);
}

/** The inline options object the page hands to GraphiQL. */
function pageOptions(html: string): Record<string, any> {
  const m = /renderYogaGraphiQL\(\s*window\.document\.querySelector\('#root'\),\s*(\{.*\}),\s*\);/s.exec(html);
  expect(m, 'GraphiQL options in the page').not.toBeNull();
  return JSON.parse(m![1]!);
}

/**
 * http(s) references inside the inlined libraries (React, GraphiQL, Monaco,
 * graphql-js, prettier, marked, radix) that the browser never fetches: XML and
 * JSON-schema namespace identifiers, documentation links in comments and error
 * messages, a parsing base URL, and <a target=_blank> links (navigation on a
 * click, not a load). The page's runtime behaviour is proven by the browser
 * test (test/browser/playground.test.ts), which fails on any non-loopback
 * request. A host that is not listed here fails this test: look at where it
 * is used before adding it.
 */
const INERT_HOSTS = new Set([
  'www.w3.org', // SVG/XHTML/XLink namespace URIs
  'json-schema.org', // JSON schema $schema identifiers (Monaco JSON worker)
  'github.com', // license headers, error messages, GraphiQL logo link
  'en.wikipedia.org', // comments, scalar descriptions
  'www.rapidtables.com', // comments (Monaco colour maths)
  '24ways.org', // comment
  'www.example.com', // doc comment (Monaco URI)
  'lists.w3.org', // comments
  'code.visualstudio.com', // keyboard-shortcut help links, setting descriptions
  'yarnpkg.com', // graphql-js duplicate-module error message
  'prettier.io', // prettier error message
  'commonmark.org', // introspection descriptions
  'react.dev', // React error messages
  'radix-ui.com', // Radix accessibility warning
  'www.onegraph.com', // GraphiQL Explorer credits link
  'dummyhostname.com', // URL-parsing base in @graphql-tools/executor-http
  'microsoft.com', // Monaco markdown-escaping test string
]);
/** Hosts that serve scripts, styles or fonts: none may appear at all. */
const ASSET_HOSTS = /unpkg\.com|jsdelivr\.net|cdnjs\.|esm\.sh|skypack\.dev|jspm\.io|googleapis\.com|gstatic\.com|cdn\.|apollographql\.com|typekit|fontawesome|bootstrapcdn/i;

describe('saved examples', () => {
  const examples = [...defaultExamples(borrowerId, undefined, TEST_TODAY), ...defaultExamples(borrowerId, loanId, '2030-01-31')];

  it('are four, one named operation each, and valid against schema/schema.graphql', () => {
    expect(defaultExamples(borrowerId)).toHaveLength(4);
    for (const e of examples) {
      expect(errorsOf(e.query), e.name).toEqual([]);
      const ops = parse(e.query).definitions.filter((d) => d.kind === 'OperationDefinition');
      expect(ops, e.name).toHaveLength(1);
      expect(ops[0]!.kind === 'OperationDefinition' && ops[0]!.name?.value, e.name).toBeTruthy();
    }
  });

  it('cover the credit view, payoff, schedule and consent use cases', () => {
    const [view, payoff, schedule, consents] = defaultExamples(borrowerId, loanId, '2030-01-31');
    expect(view!.query).toMatch(/creditView\(borrowerId: \$borrowerId\)/);
    for (const f of ['totalOutstanding', 'totalOverdue', 'worstQualityClass', 'nextPaymentDue', 'arrears', 'providers', 'daysPastDue']) expect(view!.query).toContain(f);
    expect(payoff!.query).toMatch(/loan\(id: \$loanId\)/);
    expect(payoff!.query).toMatch(/payoffQuote\(asOf: \$asOf\)/);
    expect(payoff!.query).toMatch(/payoffTotal\(asOf: \$asOf\)/);
    expect(payoff!.variables).toEqual({ borrowerId, loanId, asOf: '2030-01-31' });
    expect(schedule!.query).toMatch(/borrower\(id: \$borrowerId\)[\s\S]*installments[\s\S]*repayments/);
    expect(consents!.query).toMatch(/consentsConnection\(borrowerId: \$borrowerId\)[\s\S]*accessLogConnection\(borrowerId: \$borrowerId/);
    // The revocation mutation is there, commented out.
    expect(consents!.query).toContain(CONSENT_REVOKE_EXAMPLE.split('\n').map((l) => `# ${l}`).join('\n'));
  });

  it('pass the variables the operations declare, with payoff asOf defaulting to today in Jakarta', () => {
    for (const e of examples) {
      const op = parse(e.query).definitions[0]!;
      const declared = op.kind === 'OperationDefinition' ? (op.variableDefinitions ?? []).map((v) => v.variable.name.value) : [];
      expect(Object.keys(e.variables ?? {}).sort(), e.name).toEqual(declared.sort());
    }
    // The default is read from the system clock inside defaultExamples: pin it, on both sides of 00:00 WIB.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(TEST_START); // 10:00 WIB
      expect(defaultExamples(borrowerId)[1]!.variables).toEqual({ borrowerId, asOf: '2026-11-25' });
      vi.setSystemTime(new Date('2026-11-25T16:59:59.999Z')); // 23:59:59.999 WIB
      expect(defaultExamples(borrowerId)[1]!.variables).toEqual({ borrowerId, asOf: '2026-11-25' });
      vi.setSystemTime(new Date('2026-11-25T17:00:00.000Z')); // 00:00 WIB the next day
      expect(defaultExamples(borrowerId)[1]!.variables).toEqual({ borrowerId, asOf: '2026-11-26' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('include a valid consentRevoke mutation', () => {
    expect(errorsOf(CONSENT_REVOKE_EXAMPLE)).toEqual([]);
    expect(CONSENT_REVOKE_EXAMPLE).toContain('consentRevoke(');
  });
});

describe('renderPlayground', () => {
  // Explicit asOf everywhere below: a page rendered at collection and one rendered in a test must not differ by a midnight.
  const html = renderPlayground({ token: TOKEN, examples: defaultExamples(borrowerId, loanId, TEST_TODAY) });

  it('presets the bearer token in the default headers and in every tab', () => {
    const o = pageOptions(html);
    const expected = { authorization: `Bearer ${TOKEN}` };
    expect(JSON.parse(o.headers)).toEqual(expected);
    expect(o.defaultTabs).toHaveLength(4);
    for (const t of o.defaultTabs) expect(JSON.parse(t.headers)).toEqual(expected);
    expect(o.connectionParams).toEqual(expected);
    expect(o.endpoint).toBe('/graphql');
  });

  it('opens one tab per example, with its variables, in order', () => {
    const o = pageOptions(html);
    const examples = defaultExamples(borrowerId, loanId, TEST_TODAY);
    o.defaultTabs.forEach((t: { query: string; variables: string }, i: number) => {
      expect(t.query.startsWith(`# ${examples[i]!.name}\n`)).toBe(true);
      expect(errorsOf(t.query)).toEqual([]);
      expect(JSON.parse(t.variables)).toEqual(examples[i]!.variables);
    });
  });

  it('embeds no token in production, whatever it is given', () => {
    const page = renderPlayground({ token: TOKEN, production: true, examples: defaultExamples(borrowerId, loanId, TEST_TODAY) });
    expect(page).not.toContain(TOKEN);
    const o = pageOptions(page);
    expect(JSON.parse(o.headers)).toEqual({});
    for (const t of o.defaultTabs) expect(JSON.parse(t.headers)).toEqual({});
    expect(o.connectionParams).toBeUndefined();
    // The examples are still there.
    expect(o.defaultTabs).toHaveLength(4);
  });

  it('tells whether a page presets credentials', () => {
    expect(presetsToken(html)).toBe(true);
    expect(presetsToken(renderPlayground({ token: TOKEN, production: true, examples: defaultExamples(borrowerId, loanId, TEST_TODAY) }))).toBe(false);
    expect(presetsToken(renderPlayground({}))).toBe(false);
    expect(presetsToken('<html>not a GraphiQL page</html>')).toBe(true);
  });

  it('defaults to no token, no tabs and /graphql', () => {
    const o = pageOptions(renderPlayground({}));
    expect(JSON.parse(o.headers)).toEqual({});
    expect(o.defaultTabs).toBeUndefined();
    expect(o.connectionParams).toBeUndefined();
    expect(o.endpoint).toBe('/graphql');
  });

  it('loads nothing from the network: no http(s) URL but the endpoint in markup or CSS, no asset host anywhere', () => {
    const endpoint = 'http://127.0.0.1:4000/graphql';
    const page = renderPlayground({ endpoint, token: TOKEN, examples: defaultExamples(borrowerId, undefined, TEST_TODAY) });
    const urls = (s: string) => s.match(/https?:\/\/[^\s"'`)\\<>]+/g) ?? [];

    // Everything outside inline scripts and styles: the markup the browser parses for src/href.
    const markup = page.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, '').replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, '');
    expect(urls(markup)).toEqual([]);
    expect(markup).not.toMatch(/<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(?!data:)[^"'\s>]/i);
    // Only inline scripts (no src), only data: favicon.
    expect(page).not.toMatch(/<script\b[^>]*\bsrc\s*=/i);
    expect(page).toMatch(/<link rel="icon" href="data:/);

    // Styles: no @import, fonts and images only as data: URLs.
    const css = [...page.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((m) => m[1]!).join('\n');
    expect(css.length).toBeGreaterThan(10_000);
    expect(css).not.toMatch(/@import/i);
    for (const [, u] of css.matchAll(/url\(\s*['"]?([^'")]*)/gi)) expect(u === '' || u!.startsWith('data:') || u!.startsWith('#'), u).toBe(true);

    // Scripts: every http(s) string is the endpoint or a known inert reference; no asset host at all.
    const hosts = new Set(urls(page).filter((u) => u !== endpoint).map((u) => new URL(u.replace(/[.,;:]+$/, '').replace(/\$\{.*$/, '')).hostname));
    expect([...hosts].filter((h) => !INERT_HOSTS.has(h))).toEqual([]);
    expect(page).not.toMatch(ASSET_HOSTS);
    // No loader pointed at the network: module imports, worker scripts, CSS imports.
    expect(page).not.toMatch(/(import\s*\(|importScripts\s*\(|new\s+(Shared)?Worker\s*\()\s*["'`]https?:/);
    // Monaco's workers are inlined and started from blob: URLs.
    expect(page).toContain('URL.createObjectURL(blob)');
    expect(page).toContain(`"endpoint":"${endpoint}"`);
  });

  it("renders GraphiQL's tabs without dragConstraints (a click on a tab must reach it: test/browser/playground.test.ts)", () => {
    const tabs = /\.jsxs\(\w+,\{(dragConstraints:\w+,)?value:\w+,isActive:/g;
    for (const page of [html, renderPlayground({})]) {
      const found = [...page.matchAll(tabs)];
      expect(found).toHaveLength(1);
      expect(found[0]![1]).toBeUndefined();
    }
    // Example text that looks like it is left alone (the patch reads the GraphiQL build, not the options).
    const lookalike = '# .jsxs(T,{dragConstraints:r,value:t,isActive:\n{ __typename }';
    expect(pageOptions(renderPlayground({ examples: [{ name: 'x', query: lookalike }] })).defaultTabs[0].query).toContain(lookalike);
  });

  it("sends the operation of the query it runs when GraphiQL names another (a run right after a tab switch: test/browser/playground.test.ts)", () => {
    // Yoga GraphiQL's fetcher, with the inserted `params = pick(params, parse);` (group 2: pick).
    const fetcher = /return function\((\w+),\w+\)\{(?:\1=(\(\(q,parse\)=>\{.+?\}\))\(\1,\w+\);)?const \w+=\w+\(\w+\(\1\.query\),\1\.operationName\?\?void 0\);/g;
    for (const page of [html, renderPlayground({})]) {
      const found = [...page.matchAll(fetcher)];
      expect(found).toHaveLength(1);
      expect(found[0]![2]).toBeDefined();
    }
    type Params = { query: string; operationName?: string | null; variables?: Record<string, unknown> };
    const pick = new Function(`return ${[...html.matchAll(fetcher)][0]![2]}`)() as (p: Params, parseFn: typeof parse) => Params;

    // One operation: it is sent, whatever GraphiQL's store still names (the previous tab's operation, or none).
    const one = '# A tab\nquery LoanScheduleAndRepayments($id: ID!) { borrower(id: $id) { id } }';
    expect(pick({ query: one, operationName: 'RefinancerPayoff', variables: { id: 'x' } }, parse)).toEqual({ query: one, operationName: 'LoanScheduleAndRepayments', variables: { id: 'x' } });
    expect(pick({ query: one, operationName: null }, parse).operationName).toBe('LoanScheduleAndRepayments');
    const named = { query: one, operationName: 'LoanScheduleAndRepayments' };
    expect(pick(named, parse)).toBe(named);
    // Fragments are not operations.
    const fragment = 'query A { ...F } fragment F on Query { __typename }';
    expect(pick({ query: fragment, operationName: 'RefinancerPayoff' }, parse).operationName).toBe('A');
    // Several operations: GraphiQL's choice stands, a stale one included (its error, as before).
    const two = 'query A { __typename } query B { __typename }';
    for (const operationName of ['B', 'RefinancerPayoff', null]) {
      const params = { query: two, operationName };
      expect(pick(params, parse)).toBe(params);
    }
    // Example text that looks like the fetcher is left alone.
    const lookalike = '# return function(b,y){const w=W(p(b.query),b.operationName??void 0);\n{ __typename }';
    expect(pageOptions(renderPlayground({ examples: [{ name: 'x', query: lookalike }] })).defaultTabs[0].query).toContain(lookalike);
  });

  it('keeps examples from ending the inline script', () => {
    const page = renderPlayground({ examples: [{ name: 'x', query: '# </script><script>alert(1)</script>\n{ __typename }' }] });
    expect(page).not.toContain('</script><script>alert(1)');
    expect(pageOptions(page).defaultTabs[0].query).toContain('</script><script>alert(1)</script>');
  });

  it('forgets GraphiQL tabs stored by a page with other examples or another token', () => {
    const fp = (h: string) => /f='([0-9a-f]{16})'/.exec(h)?.[1];
    const a = fp(html);
    expect(a).toBeTruthy();
    expect(fp(renderPlayground({ token: TOKEN, examples: defaultExamples(borrowerId, loanId, TEST_TODAY) }))).toBe(a);
    expect(fp(renderPlayground({ token: 'other', examples: defaultExamples(borrowerId, loanId, TEST_TODAY) }))).not.toBe(a);
  });
});
