#!/usr/bin/env node
// Compares two NDJSON row sets as tables keyed by some columns: every key
// once on each side, every column equal (numbers within a relative
// tolerance, default exact; per-column tolerances for sketched values).
// Prints "rows N: match M" and, per column, how many rows differ with
// examples; exits 1 when anything differs.
//   node tests/integration/rows_cmp.mjs A.ndjson B.ndjson KEY[,KEY...] [TOL] [COL=TOL,...]
import { readFileSync } from 'node:fs';

const [fa, fb, keySpec, tolArg, colTols] = process.argv.slice(2);
const keys = keySpec.split(',');
const tol = tolArg ? Number(tolArg) : 0;
const perCol = Object.fromEntries((colTols || '').split(',').filter(Boolean).map((s) => s.split('='))
  .map(([k, v]) => [k, Number(v)]));
const problems = [];
const load = (f) => {
  const m = new Map();
  for (const line of readFileSync(f, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(line);
    const k = JSON.stringify(keys.map((c) => r[c]));
    if (m.has(k)) problems.push(`${f}: key ${k} twice`);
    m.set(k, r);
  }
  return m;
};
const A = load(fa), B = load(fb);
const same = (x, y, c) => {
  if (x === y) return true;
  if (typeof x !== 'number' || typeof y !== 'number') return false;
  const t = perCol[c] ?? tol;
  return Math.abs(x - y) <= t * Math.max(Math.abs(x), Math.abs(y));
};
let match = 0;
const diffs = new Map();
for (const [k, ra] of A) {
  const rb = B.get(k);
  if (!rb) { problems.push(`key ${k} only in ${fa}`); continue; }
  let ok = true;
  for (const c of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
    if (same(ra[c], rb[c], c)) continue;
    ok = false;
    const d = diffs.get(c) || { n: 0, ex: `${k}: ${JSON.stringify(ra[c])} vs ${JSON.stringify(rb[c])}` };
    d.n++;
    diffs.set(c, d);
  }
  if (ok) match++;
}
for (const k of B.keys()) if (!A.has(k)) problems.push(`key ${k} only in ${fb}`);
console.log(`rows ${A.size} and ${B.size}: ${match} match`);
for (const [c, d] of diffs) console.log(`${c}: ${d.n} rows differ (e.g. ${d.ex})`);
for (const p of problems.slice(0, 5)) console.log(p);
process.exit(diffs.size || problems.length ? 1 : 0);
