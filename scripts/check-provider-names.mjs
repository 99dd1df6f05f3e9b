#!/usr/bin/env node
// Fails when a provider code ('CAIRIN', "FINFRA", `DOMPET_KILAT`, ...) is written as a string
// literal in a .ts file under src/ outside the places allowed to know provider codes:
// src/providers/ (incl. registry.ts), src/sandbox/, src/generated/ and src/domain/types.ts
// (the ProviderCode union mirroring the Prisma enum). Everything else should go through
// domain's ProviderCode/PROVIDERS or the provider registry. Comments may mention providers.
//
// The codes are read from `enum Provider` in prisma/schema.prisma. No dependencies beyond node.
// Usage: node scripts/check-provider-names.mjs   (exit 0 = clean, 1 = literals found, 2 = setup error)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
/** Repo-relative (posix) prefixes/files that may spell provider codes. */
const ALLOWED = ['src/providers/', 'src/sandbox/', 'src/generated/', 'src/domain/types.ts'];

function providerCodes() {
  const schemaFile = path.join(ROOT, 'prisma', 'schema.prisma');
  const schema = readFileSync(schemaFile, 'utf8');
  const body = /^\s*enum\s+Provider\s*\{([^}]*)\}/m.exec(schema)?.[1];
  const codes = (body ?? '')
    .split('\n')
    .map((line) => line.replace(/\/\/.*$/, '').trim().split(/\s+/)[0])
    .filter((word) => word && /^[A-Z][A-Z0-9_]*$/.test(word));
  if (codes.length === 0) {
    console.error(`check-provider-names: no \`enum Provider\` values found in ${path.relative(ROOT, schemaFile)}`);
    process.exit(2);
  }
  return new Set(codes);
}

function* tsFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') yield* tsFiles(full);
    } else if (entry.isFile() && entry.name.endsWith('.ts')) {
      yield full;
    }
  }
}

// Keywords after which a `/` starts a regular expression rather than a division.
const REGEX_AFTER_WORD = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await',
]);

/**
 * Yields every string literal of a TypeScript source: { value, line } for '...', "..." and each
 * text chunk of a template literal (`...${expr}...`), skipping comments and regex literals.
 * `value` is the raw text between the quotes (escapes are not decoded).
 */
function* stringLiterals(src) {
  let i = 0;
  let line = 1;
  let prev = ''; // last significant token kind: 'word' | 'value' | 'punct' | ''
  let prevWord = '';
  // Each entry is a template literal we are inside of; `depth` counts braces in its current ${...}.
  const templates = [];

  const readQuoted = (quote) => {
    const startLine = line;
    let value = '';
    i++; // opening quote
    while (i < src.length && src[i] !== quote) {
      if (src[i] === '\\') {
        value += src[i] + (src[i + 1] ?? '');
        if (src[i + 1] === '\n') line++;
        i += 2;
        continue;
      }
      if (src[i] === '\n') break; // unterminated; bail out at end of line
      value += src[i++];
    }
    i++; // closing quote
    return { value, line: startLine };
  };

  // Reads template text from i (just after ` or }) up to the closing ` or the next ${.
  const readTemplateChunk = () => {
    const startLine = line;
    let value = '';
    while (i < src.length) {
      const c = src[i];
      if (c === '\\') {
        value += c + (src[i + 1] ?? '');
        if (src[i + 1] === '\n') line++;
        i += 2;
        continue;
      }
      if (c === '`') {
        i++;
        templates.pop();
        return { value, line: startLine };
      }
      if (c === '$' && src[i + 1] === '{') {
        i += 2;
        templates[templates.length - 1].depth = 0;
        templates[templates.length - 1].inExpr = true;
        return { value, line: startLine };
      }
      if (c === '\n') line++;
      value += c;
      i++;
    }
    return { value, line: startLine };
  };

  while (i < src.length) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '/' && next === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? src.length : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
    } else if (c === "'" || c === '"') {
      yield readQuoted(c);
      prev = 'value';
    } else if (c === '`') {
      i++;
      templates.push({ depth: 0, inExpr: false });
      yield readTemplateChunk();
      prev = 'value';
    } else if (c === '}' && templates.length > 0 && templates[templates.length - 1].inExpr && templates[templates.length - 1].depth === 0) {
      i++;
      templates[templates.length - 1].inExpr = false;
      yield readTemplateChunk();
      prev = 'value';
    } else if (c === '/' && (prev === '' || prev === 'punct' || (prev === 'word' && REGEX_AFTER_WORD.has(prevWord)))) {
      // regular expression literal: skip it (character classes may contain '/')
      i++;
      let inClass = false;
      while (i < src.length && src[i] !== '\n') {
        if (src[i] === '\\') i += 2;
        else if (src[i] === '[') (inClass = true), i++;
        else if (src[i] === ']') (inClass = false), i++;
        else if (src[i] === '/' && !inClass) break;
        else i++;
      }
      i++;
      while (i < src.length && /[a-z]/i.test(src[i])) i++; // flags
      prev = 'value';
    } else if (/[A-Za-z_$0-9\u00c0-\uffff]/.test(c)) {
      const start = i;
      while (i < src.length && /[A-Za-z_$0-9\u00c0-\uffff]/.test(src[i])) i++;
      prevWord = src.slice(start, i);
      prev = /^[0-9]/.test(prevWord) ? 'value' : 'word';
    } else {
      if (templates.length > 0 && templates[templates.length - 1].inExpr) {
        if (c === '{') templates[templates.length - 1].depth++;
        else if (c === '}') templates[templates.length - 1].depth--;
      }
      // ) and ] end an expression ("a) / b"), everything else expects an operand next.
      prev = c === ')' || c === ']' ? 'value' : 'punct';
      i++;
    }
  }
}

const codes = providerCodes();
const findings = [];
let scanned = 0;
for (const file of tsFiles(SRC)) {
  const rel = path.relative(ROOT, file).split(path.sep).join('/');
  if (ALLOWED.some((allowed) => (allowed.endsWith('/') ? rel.startsWith(allowed) : rel === allowed))) continue;
  scanned++;
  const src = readFileSync(file, 'utf8');
  for (const { value, line } of stringLiterals(src)) {
    if (codes.has(value)) findings.push(`${rel}:${line}: '${value}'`);
  }
}

const codeList = [...codes].join(', ');
if (findings.length > 0) {
  console.error(`check-provider-names: ${findings.length} provider-code string literal(s) (${codeList}) outside ${ALLOWED.join(', ')}:`);
  for (const finding of findings) console.error(`  ${finding}`);
  console.error('Use ProviderCode / PROVIDERS from src/domain/types.ts or the provider registry instead.');
  process.exit(1);
}
console.log(`check-provider-names: OK, no provider-code string literals (${codeList}) in ${scanned} file(s) outside ${ALLOWED.join(', ')}`);
