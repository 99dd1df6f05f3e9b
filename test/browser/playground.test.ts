/**
 * The GraphiQL page in a real browser: Debian's chromium driven by
 * playwright-core, against the real stack, with every request that leaves
 * loopback blocked and counted. It runs the aggregator's saved example and
 * checks the answer on screen against the same query over HTTP; then it
 * clicks each saved example's tab with the mouse, runs it with the run button
 * and checks the editor and the answer against that example.
 *
 * Needs /usr/bin/chromium (scripts/ensure-chromium.sh installs it); without it
 * the test fails, it does not skip. A screenshot is kept in
 * test-results/playground.png.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { parse, type OperationDefinitionNode } from 'graphql';
import { chromium, type Browser, type BrowserContext, type Locator } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultExamples, renderPlayground, signClientToken } from '../../src/app';
import { TEST_TODAY } from '../support/clock';
import { JWT, startStack, type Stack } from '../support/stack';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const SCREENSHOT = 'test-results/playground.png';
const CLIENT = 'demo-aggregator';
const SCOPES = ['credit:read', 'payoff:read', 'consent:write'];

/** Visible text of an element; Monaco renders spaces as no-break spaces. */
const textOf = async (l: Locator) => (await l.innerText()).replace(/\u00a0/g, ' ');
const borrowerGlobalId = (uuid: string) => Buffer.from(JSON.stringify(['Borrower', uuid])).toString('base64url');
/** The first scalar of a JSON answer in document order, as `"key": value` the way GraphiQL prints it (2-space JSON). */
function firstLeaf(v: unknown, key?: string): string | undefined {
  if (Array.isArray(v)) {
    for (const x of v) {
      const l = firstLeaf(x, key);
      if (l) return l;
    }
    return undefined;
  }
  if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      const l = firstLeaf(x, k);
      if (l) return l;
    }
    return undefined;
  }
  return key === undefined ? undefined : `"${key}": ${JSON.stringify(v)}`;
}
/**
 * The page is handed to startStack before the stack exists, but borrower ids
 * are made when the stack links its borrowers. So the page is rendered for a
 * stand-in id, and the browser swaps in the first borrower's id (same length)
 * as the server's page arrives; everything else is the server's bytes.
 */
const STAND_IN = borrowerGlobalId('00000000-0000-4000-8000-000000000000');

let s: Stack;
let browser: Browser;
let context: BrowserContext;
let html: string;
let borrowerId: string;
const token = signClientToken(JWT, CLIENT, SCOPES); // what stack.token(CLIENT, SCOPES) signs
const offsite: string[] = [];
const seen: string[] = [];
const authorizations: string[] = [];
const served: { status: number; contentType: string; identical: boolean }[] = [];

const MISSING_CHROMIUM = existsSync(CHROMIUM)
  ? null
  : `Chromium is not installed at ${CHROMIUM}. The playground browser test needs it: run scripts/ensure-chromium.sh (apt-get install chromium) or set CHROMIUM_PATH.`;

beforeAll(async () => {
  if (MISSING_CHROMIUM) return; // the test itself fails with the reason
  // The stack runs on the test clock (TEST_START); the payoff tab's asOf is its "today", not the machine's.
  html = renderPlayground({ token, examples: defaultExamples(STAND_IN, undefined, TEST_TODAY) });
  s = await startStack({ borrowers: 3, playgroundHtml: html });
  // The stack links every borrower for its own test client; the aggregator needs its own consent.
  const { borrowerId: linked } = await s.grant(0, CLIENT);
  expect(linked).toBe(s.borrowerIds[0]);
  borrowerId = borrowerGlobalId(s.borrowerIds[0]!);
  expect(borrowerId).toHaveLength(STAND_IN.length);

  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 }, serviceWorkers: 'block' });
  context.on('request', (r) => seen.push(r.url()));
  await context.route('**/*', async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    if ((url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'ws:' || url.protocol === 'wss:') && !LOOPBACK.has(url.hostname)) {
      offsite.push(req.url());
      return route.abort('blockedbyclient');
    }
    if (req.method() === 'POST' && url.pathname === '/graphql' && /AggregatorCreditView/.test(req.postData() ?? '')) {
      authorizations.push((await req.allHeaders()).authorization ?? '');
    }
    if (req.isNavigationRequest() && url.pathname === '/graphql') {
      const res = await route.fetch();
      const body = await res.text();
      served.push({ status: res.status(), contentType: res.headers()['content-type'] ?? '', identical: body === html });
      return route.fulfill({ response: res, body: body.split(STAND_IN).join(borrowerId) });
    }
    return route.continue();
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describe('playground in a browser', () => {
  it("runs the aggregator's saved credit view offline and shows the borrower's total outstanding", async () => {
    if (MISSING_CHROMIUM) throw new Error(MISSING_CHROMIUM);
    const example = defaultExamples(borrowerId, undefined, TEST_TODAY)[0]!;
    expect(example.query).toContain('query AggregatorCreditView');
    const expected = await s.gql(example.query, example.variables, s.token(CLIENT, SCOPES));
    expect(expected.errors).toBeUndefined();
    const amount: string = expected.data.creditView.totalOutstanding.amount;
    expect(amount).toMatch(/^[1-9]\d*$/);

    const page = await context.newPage();
    const pageErrors: string[] = [];
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('websocket', (ws) => seen.push(ws.url()));

    await page.goto(`${s.server.url}/graphql`, { waitUntil: 'load' });
    // The server served the page it was given, as HTML.
    expect(served).toEqual([{ status: 200, contentType: 'text/html; charset=utf-8', identical: true }]);

    // The saved examples are tabs; the aggregator's is first and active, with its variables.
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(() => tabs.allInnerTexts(), { timeout: 20_000 }).toEqual(['AggregatorCreditView', 'RefinancerPayoff', 'LoanScheduleAndRepayments', 'ConsentsAndAccessLog']);
    await expect.poll(() => page.locator('.graphiql-tab-active').innerText()).toBe('AggregatorCreditView');
    await expect.poll(() => textOf(page.locator('.graphiql-query-editor .view-lines')), { timeout: 20_000 }).toContain('query AggregatorCreditView');

    await page.getByRole('button', { name: /execute query/i }).click();
    const response = page.locator('.graphiql-response');
    await expect.poll(() => textOf(response), { timeout: 20_000 }).toMatch(/"totalOutstanding": \{\s*"amount": "\d+"/);
    const text = await textOf(response);
    expect(/"totalOutstanding": \{\s*"amount": "(\d+)"/.exec(text)?.[1]).toBe(amount);
    expect(text).not.toContain('"errors"');

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(30_000); // a blank page compresses to a few kB

    // The request carried the token preset in the headers editor.
    expect(authorizations).toEqual([`Bearer ${token}`]);
    // Nothing tried to leave loopback, and nothing went around the router.
    expect(offsite).toEqual([]);
    expect(seen.filter((u) => /^(https?|wss?):/.test(u) && !LOOPBACK.has(new URL(u).hostname))).toEqual([]);
    expect(seen.some((u) => u.startsWith(`${s.server.url}/graphql`))).toBe(true);
    expect(pageErrors, consoleErrors.join('\n')).toEqual([]);
  }, 60_000);

  it("switches to each saved example when its tab is clicked, and runs it", async () => {
    if (MISSING_CHROMIUM) throw new Error(MISSING_CHROMIUM);
    const examples = defaultExamples(borrowerId, undefined, TEST_TODAY);
    const operations = examples.map((e) => {
      const op = parse(e.query).definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
      return { name: op.name!.value, rootFields: op.selectionSet.selections.map((f) => (f.kind === 'Field' ? (f.alias ?? f.name).value : '')) };
    });

    const page = await context.newPage();
    const pageErrors: string[] = [];
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    // What the page sent (diagnostics when the run button's request never answers).
    const sent: string[] = [];
    page.on('request', (r) => r.method() === 'POST' && sent.push(String(r.postDataJSON()?.operationName ?? '(unnamed)')));
    page.on('requestfailed', (r) => sent.push(`failed: ${r.failure()?.errorText}`));
    await page.goto(`${s.server.url}/graphql`, { waitUntil: 'load' });

    const tabs = page.locator('.graphiql-tab');
    await expect.poll(() => tabs.allInnerTexts(), { timeout: 20_000 }).toEqual(operations.map((o) => o.name));
    const editor = page.locator('.graphiql-query-editor .view-lines');
    const variablesEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .view-lines');
    const response = page.locator('.graphiql-response');
    const run = page.getByRole('button', { name: /execute query/i });

    // Every tab is clicked while another one is active: the second, third and fourth, then the first again.
    for (const i of [1, 2, 3, 0]) {
      const example = examples[i]!;
      const { name, rootFields } = operations[i]!;
      const expected = await s.gql(example.query, example.variables, s.token(CLIENT, SCOPES));
      expect(expected.errors, name).toBeUndefined();
      expect(Object.keys(expected.data), name).toEqual(rootFields);
      const leaf = firstLeaf(expected.data);
      expect(leaf, name).toBeTruthy();
      expect(await page.locator('.graphiql-tab-active').innerText(), name).not.toBe(name);

      // A real mouse click (move, press, release) on the tab's title.
      await tabs.filter({ hasText: name }).locator('.graphiql-tab-button').click();
      await expect.poll(() => page.locator('.graphiql-tab-active').innerText(), { message: `clicking the ${name} tab makes it active`, timeout: 10_000 }).toBe(name);
      await expect.poll(() => textOf(editor), { message: `the editor shows ${name}`, timeout: 10_000 }).toContain(`query ${name}(`);
      const shown = await textOf(editor);
      for (const other of operations) if (other.name !== name) expect(shown, name).not.toContain(`query ${other.name}(`);
      // Its variables are in the variables editor (white space aside: an editor may wrap a long id).
      for (const [k, v] of Object.entries(example.variables ?? {})) {
        await expect.poll(async () => (await textOf(variablesEditor)).replace(/\s+/g, ''), { message: `${name} variables`, timeout: 10_000 }).toContain(`"${k}":${JSON.stringify(v)}`);
      }

      // The run button sends this example's operation; the answer is that example's data, no error.
      const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/graphql' && !r.request().postDataJSON()?.query?.includes('IntrospectionQuery'), { timeout: 60_000 });
      await run.click();
      const res = await answered.catch(async (e: Error) => {
        if (process.env.PLAYGROUND_FAIL_SHOT) await page.screenshot({ path: process.env.PLAYGROUND_FAIL_SHOT, fullPage: true });
        const pane = await textOf(response).catch((err: Error) => `(unreadable: ${err.message})`);
        throw new Error(`${name}: no answer to the run button (${e.message}); requests the page sent: ${JSON.stringify(sent)}; the result pane shows: ${pane}`);
      });
      expect(res.request().postDataJSON()?.operationName, `the run button sends ${name}`).toBe(name);
      expect(res.status(), name).toBe(200);
      const body = await res.json();
      expect(body.errors, name).toBeUndefined();
      expect(Object.keys(body.data), name).toEqual(rootFields);
      // Same answer as over HTTP (the access log grows with every read: compared apart).
      const { accessLogConnection: shownLog, ...shownData } = body.data;
      const { accessLogConnection: expectedLog, ...expectedData } = expected.data;
      expect(shownData, name).toEqual(expectedData);
      if (expectedLog) {
        expect(shownLog.totalCount, name).toBeGreaterThanOrEqual(expectedLog.totalCount);
        expect(shownLog.edges.length, name).toBeGreaterThanOrEqual(expectedLog.edges.length);
      }

      await expect.poll(() => textOf(response), { message: `the result pane shows ${name}'s data`, timeout: 20_000 }).toMatch(new RegExp(`^\\{\\s*"data": \\{\\s*"${rootFields[0]}": `));
      const pane = await textOf(response);
      // The pane wraps long values (ids) over visual lines: compare without white space.
      expect(pane.replace(/\s+/g, ''), name).toContain(leaf!.replace(/\s+/g, ''));
      expect(pane, name).not.toContain('"errors"');
    }

    expect(offsite).toEqual([]);
    expect(pageErrors, consoleErrors.join('\n')).toEqual([]);
  }, 120_000);
});
