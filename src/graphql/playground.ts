/**
 * The GraphQL IDE served at GET /graphql to browsers (GraphiQL).
 *
 * The page is the one `@graphql-yoga/render-graphiql` builds: GraphiQL, React,
 * the Monaco editor and its web workers, the CSS and the fonts are inlined into
 * one HTML string (about 9 MB), so it loads nothing but itself and talks to
 * nothing but the API endpoint. Apollo Server's own landing pages load from
 * Apollo's CDN, which is why we do not use them.
 *
 * The saved examples open as GraphiQL tabs (one operation each, titled by the
 * operation name), with their variables and the bearer token in the headers.
 * The pinned build is changed in two places: GraphiQL's tabs lose
 * `dragConstraints`, which left them where a mouse click missed them (see
 * `unpinTabs`), and Yoga's fetcher sends the operation of the document it runs
 * when GraphiQL's operation name is not one of its operations, as happens for
 * a moment after a tab switch (see `matchOperationName`).
 *
 * The token is written into the page: anyone who can GET /graphql with a
 * browser receives it. Pass one only for local demos (`npm start`), never in a
 * deployment reachable by others. With `production: true` (the app passes it
 * when NODE_ENV=production) the token is ignored, and the app serves no page
 * that presets one there (`presetsToken`).
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { renderGraphiQL as RenderGraphiQL } from '@graphql-yoga/render-graphiql';
import { jakartaDate } from '../domain/dates';

const require = createRequire(import.meta.url);

/**
 * `renderGraphiQL`, loaded for one call and unloaded after it. The package is GraphiQL's whole build as string
 * constants: about 34 MB of V8 heap (its 9 MB source and the strings it defines) for a page a browser asks for
 * now and then (the caller caches the page). Loaded with `require` (its CommonJS build) rather than a static
 * import, and dropped from the module cache after the call so that the collector can free it.
 */
function withRenderGraphiQL<T>(fn: (render: typeof RenderGraphiQL) => T): T {
  const entry = require.resolve('@graphql-yoga/render-graphiql');
  const before = new Set(Object.keys(require.cache));
  try {
    return fn((require(entry) as { renderGraphiQL: typeof RenderGraphiQL }).renderGraphiQL);
  } finally {
    for (const k of Object.keys(require.cache)) if (!before.has(k)) delete require.cache[k];
  }
}

/** One saved example query. */
export interface PlaygroundExample {
  /** Human title; written as the first comment line of the tab's query. */
  name: string;
  /** A GraphQL document, preferably one named operation (GraphiQL titles the tab with its name). */
  query: string;
  variables?: Record<string, unknown>;
}

export interface PlaygroundOptions {
  /** Where GraphiQL sends operations (relative to the page or absolute). Default `/graphql`. */
  endpoint?: string;
  /** Bearer token preset in the headers editor of every tab (and in graphql-ws `connectionParams`); ignored in production. */
  token?: string;
  /** The app runs in production (NODE_ENV=production): the page embeds no token whatever `token` says. */
  production?: boolean;
  /** Saved examples, one tab each, in order; the first tab is active. */
  examples?: PlaygroundExample[];
}

const TITLE = 'Satu Kredit GraphiQL';

/**
 * Renders the self-contained GraphiQL page (about 9 MB; loads `@graphql-yoga/render-graphiql` for the call:
 * callers cache the page).
 *
 * @example
 *   const html = renderPlayground({ token, examples: defaultExamples(johnId) });
 *   startServer({ ...deps, playgroundHtml: html }, listen);
 */
export function renderPlayground(opts: PlaygroundOptions = {}): string {
  const endpoint = opts.endpoint ?? '/graphql';
  const token = opts.production ? undefined : opts.token;
  const headers = JSON.stringify(token ? { authorization: `Bearer ${token}` } : {}, null, 2);
  const tabs = (opts.examples ?? []).map((e) => ({
    query: e.query.startsWith(`# ${e.name}\n`) ? e.query : `# ${e.name}\n${e.query}`,
    variables: JSON.stringify(e.variables ?? {}, null, 2),
    headers,
  }));
  const graphiql = {
    title: TITLE,
    endpoint,
    headers,
    shouldPersistHeaders: true,
    // GraphiQL opens on the first tab but fills its variables editor from the `variables` option
    // only (not from the tab), and matches stored tabs against `query` + `variables`: give both.
    ...(tabs.length ? { defaultTabs: tabs, query: tabs[0]!.query, variables: tabs[0]!.variables, initialHeaders: headers } : {}),
    // Our subscriptions are graphql-ws on the same path, authorized by connectionParams.authorization.
    subscriptionsProtocol: 'WS' as const,
    ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
  };

  // render-graphiql writes JSON.stringify(options) into an inline <script> as is: a "</script>"
  // or "<!--" inside an example would end the script early. Put the same JSON back with "<" escaped.
  const raw = JSON.stringify(graphiql);
  let html = withRenderGraphiQL((render) => render(graphiql));
  const at = html.lastIndexOf(raw);
  if (at < 0) throw new Error('renderPlayground: @graphql-yoga/render-graphiql no longer embeds its options as JSON; review playground.ts');
  // The GraphiQL build comes before the options: patch it there, where no example text can be.
  html = matchOperationName(unpinTabs(html.slice(0, at))) + raw.replace(/</g, '\\u003c') + html.slice(at + raw.length);

  // GraphiQL keeps its tabs (with their headers) in localStorage and ignores the defaults once any
  // are stored. Forget them when this page's examples, token or endpoint change (a new `npm start`),
  // so a browser never keeps sending an old token or an old borrower's id.
  const fingerprint = createHash('sha256').update(raw).digest('hex').slice(0, 16);
  const reset = `<script>(function(){try{var k='satukredit:playground',f='${fingerprint}';if(localStorage.getItem(k)!==f){for(var i=localStorage.length-1;i>=0;i--){var n=localStorage.key(i);if(n&&n.indexOf('graphiql:')===0)localStorage.removeItem(n)}localStorage.setItem(k,f)}}catch(e){}})();</script>`;
  const root = '<div id="root"></div>';
  const r = html.indexOf(root);
  if (r < 0) throw new Error('renderPlayground: no <div id="root"> in the GraphiQL page; review playground.ts');
  return html.slice(0, r + root.length) + reset + html.slice(r + root.length);
}

/**
 * GraphiQL's tabs are framer-motion `Reorder.Item`s with `dragConstraints` set to a ref to the tab bar.
 * framer-motion keeps a constrained draggable at the same relative place within its constraints whenever
 * the item, the constraining element or the window is resized (`scalePositionWithinConstraints`, run also on
 * the resize observer's first call, as the tabs mount): it sets the item's `x`. Measured against a layout of
 * the tab bar that is not the final one, this leaves tabs nobody dragged with an `x` of hundreds of pixels
 * (in headless chromium, 614, 455 and 207 px on the first three of the four saved examples). GraphiQL's
 * stylesheet hides it with `.graphiql-tab:not(:focus-within) { transform: none !important }`, but a mouse
 * press focuses the tab's button: the stale `transform: translateX(...)` applies, the tab jumps from under the
 * pointer, and the mouseup, hence the click, lands on the tab bar. Clicking another tab did not switch to it;
 * Enter did (no pointer).
 *
 * Without `dragConstraints` framer-motion never moves a tab that is not being dragged; a dragged tab still
 * reorders the tabs (the reorder group measures the items, not the constraints) and snaps back to its slot
 * (`dragSnapToOrigin`). So the page's GraphiQL build renders its tabs without `dragConstraints`: one place in
 * the pinned `@graphql-yoga/render-graphiql` build, and an error if it is not found exactly once.
 */
function unpinTabs(html: string): string {
  // GraphiQL's session tabs: `jsxs(Tab, { dragConstraints: tabBarRef, value: tab, isActive: i === active, ...`
  const at = /(\.jsxs\(\w+,\{)dragConstraints:\w+,(value:\w+,isActive:)/g;
  const found = html.match(at)?.length ?? 0;
  if (found !== 1) throw new Error(`renderPlayground: expected GraphiQL's tabs to be rendered with dragConstraints once, found ${found}; review unpinTabs in playground.ts`);
  return html.replace(at, '$1$2');
}

/**
 * GraphiQL 5 (the pinned build) keeps the operation name that `run` sends in its store and updates it only from the
 * query editor's change handler, debounced by 100 ms (`setOperationFacts` / `setOperationName`). Switching tabs
 * (`changeTab`) writes the new tab's query into the editor and leaves the store alone, so for 100 ms after the switch
 * the run button sends the new tab's query with the previous tab's operation name. Yoga's fetcher keeps only the
 * operations of that name (none), and the executor fails before any request: `Cannot infer operation
 * RefinancerPayoff` in the result pane. The same holds for a query edited and run at once (graphql/graphiql#1807,
 * open; `changeTab` and `run` on graphql/graphiql main do the same).
 *
 * So the page's Yoga fetcher, which parses the document it is about to send, sends its operation when the document
 * has exactly one and GraphiQL named another (or none); with several operations it keeps GraphiQL's name and
 * behaviour. One place in the pinned `@graphql-yoga/render-graphiql` build, and an error if it is not found exactly
 * once.
 */
function matchOperationName(html: string): string {
  // Yoga GraphiQL's fetcher: `return function(params, opts){const document = keepOperation(parse(params.query), params.operationName ?? undefined); ...`
  const at = /(return function\((\w+),\w+\)\{)(const \w+=\w+\((\w+)\(\2\.query\),\2\.operationName\?\?void 0\);)/g;
  const found = html.match(at)?.length ?? 0;
  if (found !== 1) throw new Error(`renderPlayground: expected Yoga GraphiQL's fetcher once, found ${found}; review matchOperationName in playground.ts`);
  // (params, parse) => params, with operationName set to the document's only operation when it names another.
  const pick = `((q,parse)=>{const o=parse(q.query).definitions.filter(d=>d.kind==="OperationDefinition");return o.length===1&&o[0].name?.value!==q.operationName?{...q,operationName:o[0].name?.value}:q})`;
  return html.replace(at, (_m, head: string, params: string, body: string, parse: string) => `${head}${params}=${pick}(${params},${parse});${body}`);
}

/**
 * Whether a GraphiQL page presets credentials: an `authorization` header in its default headers, a tab or
 * graphql-ws `connectionParams`. A page whose options cannot be read (not one `renderPlayground` built)
 * counts as presetting them.
 */
export function presetsToken(html: string): boolean {
  const at = html.lastIndexOf("querySelector('#root'),");
  const m = at < 0 ? null : /^querySelector\('#root'\),\s*(\{.*\}),\s*\);/s.exec(html.slice(at));
  if (!m) return true;
  let o: { headers?: unknown; initialHeaders?: unknown; defaultTabs?: { headers?: unknown }[]; connectionParams?: unknown };
  try {
    o = JSON.parse(m[1]!);
  } catch {
    return true;
  }
  const carries = (h: unknown): boolean => {
    if (h === undefined || h === null) return false;
    let v = h;
    if (typeof v === 'string') {
      try {
        v = JSON.parse(v);
      } catch {
        return /authorization/i.test(v as string);
      }
    }
    return typeof v !== 'object' || Object.keys(v as object).some((k) => /^(authorization|cookie|x-api-key)$/i.test(k));
  };
  return [o.headers, o.initialHeaders, o.connectionParams, ...(o.defaultTabs ?? []).map((t) => t.headers)].some(carries);
}

const MONEY = 'amount currency';

/** The consent-revocation mutation shown (commented out) in the consent example. */
export const CONSENT_REVOKE_EXAMPLE = `mutation RevokeConsent($id: ID!) {
  consentRevoke(id: $id, reason: "borrower withdrew consent") {
    consent {
      id
      status
    }
    userErrors {
      code
      field
      message
    }
  }
}`;

/**
 * The saved example queries for one borrower (global id), as an aggregator, a
 * refinancing partner and a consent manager would run them.
 *
 * @param loanId a Loan global id for the payoff example; without it the example quotes every loan of the borrower.
 * @param asOf the payoff date (Jakarta, YYYY-MM-DD), default today. Payoff quotes refuse past dates, so a page
 *   rendered yesterday needs `asOf` edited in the variables pane.
 */
export function defaultExamples(borrowerId: string, loanId?: string, asOf: string = jakartaDate(new Date())): PlaygroundExample[] {
  const creditView: PlaygroundExample = {
    name: "Aggregator: a borrower's credit view across providers",
    query: `# Totals across Cairin, Finfra and Dompet Kilat, the next payment not yet due,
# what is past due (arrears), each provider's part (a provider that failed or is not consented is listed with its
# health instead of failing the query) and every loan. Outstanding figures need
# the payoff:read scope.
query AggregatorCreditView($borrowerId: ID!) {
  creditView(borrowerId: $borrowerId) {
    asOf
    complete
    totalOutstanding { ${MONEY} }
    totalOverdue { ${MONEY} }
    worstQualityClass
    nextPaymentDue {
      dueDate
      amount { ${MONEY} }
      loan { provider providerLoanId }
    }
    arrears {
      amount { ${MONEY} }
      principal { ${MONEY} }
      interest { ${MONEY} }
      oldestDueDate
      daysPastDue
    }
    providers { provider health errorCode loanCount }
    loans {
      provider
      providerLoanId
      status
      outstanding { total { amount } }
      daysPastDue
      qualityClass
    }
  }
}
`,
    variables: { borrowerId },
  };

  const split = `principal { ${MONEY} }
      interest { ${MONEY} }
      lateFees { ${MONEY} }
      pending { ${MONEY} }
      total { ${MONEY} }`;
  const quote = `asOf
      goodThrough
      principal { ${MONEY} }
      interest { ${MONEY} }
      lateFees { ${MONEY} }
      total { ${MONEY} }
      pending { ${MONEY} }`;
  const payoff: PlaygroundExample = loanId
    ? {
        name: "Refinancing partner: a loan's outstanding and payoff",
        query: `# What is owed on the loan (cleared money only; pending payments shown apart),
# the amount that closes it if paid on $asOf (today or later, Jakarta date;
# the quote is valid that day only), and the borrower's payoff total across
# providers. Needs payoff:read.
query RefinancerPayoff($borrowerId: ID!, $loanId: ID!, $asOf: Date!) {
  loan(id: $loanId) {
    provider
    providerLoanId
    status
    maturityDate
    outstanding {
      ${split}
    }
    payoffQuote(asOf: $asOf) {
      ${quote}
    }
  }
  creditView(borrowerId: $borrowerId) {
    asOf
    totalOutstanding { ${MONEY} }
    payoffTotal(asOf: $asOf) { ${MONEY} }
  }
}
`,
        variables: { borrowerId, loanId, asOf },
      }
    : {
        name: "Refinancing partner: outstanding and payoff of a borrower's loans",
        query: `# What is owed on each loan (cleared money only; pending payments shown apart),
# the amount that closes it if paid on $asOf (today or later, Jakarta date, also
# for loans past maturity; the quote is good through that day only), and the
# payoff total across providers. Needs payoff:read.
query RefinancerPayoff($borrowerId: ID!, $asOf: Date!) {
  creditView(borrowerId: $borrowerId) {
    asOf
    totalOutstanding { ${MONEY} }
    payoffTotal(asOf: $asOf) { ${MONEY} }
    loans {
      id
      provider
      providerLoanId
      status
      maturityDate
      outstanding {
        ${split}
      }
      payoffQuote(asOf: $asOf) {
        ${quote}
      }
    }
  }
}
`,
        variables: { borrowerId, asOf },
      };

  const schedule: PlaygroundExample = {
    name: "A borrower's loans: schedule and repayments",
    query: `# Each loan's installment schedule (status and paid amounts derived from cleared
# money) and its repayments, newest first: PENDING until the bank settlement
# confirms them, flagged when settlement is later than the channel's usual lag.
# Loans and repayments are Relay connections: pass pageInfo.endCursor as
# \`after\` to read the next page.
query LoanScheduleAndRepayments($borrowerId: ID!) {
  borrower(id: $borrowerId) {
    id
    loansConnection {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          provider
          providerLoanId
          type
          status
          scheduleSource
          principal { ${MONEY} }
          tenor { value unit }
          rate { percent period }
          disbursedOn
          maturityDate
          daysPastDue
          installments {
            seq
            dueDate
            status
            amountDue { ${MONEY} }
            amountPaid { ${MONEY} }
            pendingAmount { ${MONEY} }
            outstanding { ${MONEY} }
          }
          repaymentsConnection {
            totalCount
            pageInfo { hasNextPage endCursor }
            edges {
              node {
                transactionId
                channel
                status
                paidAt
                clearedAt
                settlementOverdue
                amount { ${MONEY} }
              }
            }
          }
          reconciliationIssues { kind message amount { ${MONEY} } }
        }
      }
    }
  }
}
`,
    variables: { borrowerId },
  };

  const consents: PlaygroundExample = {
    name: "Consent management: the borrower's consents and access log",
    query: `# This client's consents from the borrower (status now) and who read the
# borrower's data, what, when and why (newest first, 20 a page: pass
# pageInfo.endCursor as \`after\` for the next 20).
#
# To revoke a consent (needs consent:write): uncomment the mutation below
# (select it, Ctrl+/), set {"id": "<a consent id from the answer>"} in the
# variables, and run RevokeConsent. Reads under it then stop at once with
# CONSENT_REVOKED and the provider data cached under it is deleted.
#
${CONSENT_REVOKE_EXAMPLE.split('\n')
  .map((l) => `# ${l}`)
  .join('\n')}

query ConsentsAndAccessLog($borrowerId: ID!) {
  consentsConnection(borrowerId: $borrowerId) {
    totalCount
    edges {
      node {
        id
        status
        purpose
        providers
        domains
        startsAt
        expiresAt
        dataLifeSeconds
        fetchIntervalSeconds
      }
    }
  }
  accessLogConnection(borrowerId: $borrowerId, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        at
        clientId
        kind
        provider
        domain
        purpose
      }
    }
  }
}
`,
    variables: { borrowerId },
  };

  return [creditView, payoff, schedule, consents];
}
