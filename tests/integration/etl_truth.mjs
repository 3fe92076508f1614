#!/usr/bin/env node
// Compares silver/views rows (NDJSON, `vidlake table scan`) with the
// simulator's per-view truth (`vidlake generate --truth`): every view once,
// each field equal (the time-weighted bitrate within 0.5 kbps of the
// truth's rounded value). Prints "views N" and, per field, how many views
// differ with an example; exits 1 when anything differs.
//   node tests/integration/etl_truth.mjs TRUTH.json VIEWS.ndjson
import { readFileSync } from 'node:fs';

const [truthPath, viewsPath] = process.argv.slice(2);
const truth = JSON.parse(readFileSync(truthPath, 'utf8'));
const rows = readFileSync(viewsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const got = new Map();
const bad = new Map();
const note = (field, example) => {
  const b = bad.get(field) || { n: 0, example };
  b.n++;
  bad.set(field, b);
};
for (const r of rows) {
  if (got.has(r.view_id)) note('duplicate view_id', r.view_id);
  got.set(r.view_id, r);
}
const outcome = (t) => ({ ebvs: 'ebvs', vsf: 'vsf', vpf: 'vpf', truncated: 'in_progress' })[t.outcome]
  ?? (t.completed ? 'completed' : 'exited');
for (const t of truth.views) {
  const r = got.get(t.view_id);
  if (!r) { note('missing view', t.view_id); continue; }
  got.delete(t.view_id);
  for (const f of ['user_id', 'session_id', 'content_id', 'content_type', 'device_type', 'country', 'cdn',
    'started', 'startup_ms', 'watch_ms', 'stall_ms', 'seek_stall_ms', 'furthest_ms', 'duration_ms', 'completed'])
    if (t[f] !== r[f]) note(f, `${t.view_id}: truth ${t[f]}, silver ${r[f]}`);
  const ads = { impressions: 'ad_impressions', completes: 'ad_completes', skips: 'ad_skips', clicks: 'ad_clicks' };
  for (const [k, f] of Object.entries(ads))
    if (t.ads[k] !== r[f]) note(f, `${t.view_id}: truth ${t.ads[k]}, silver ${r[f]}`);
  if (Math.abs(Number(t.ads.revenue_usd) - r.ad_revenue_usd) > 1e-9)
    note('ad_revenue_usd', `${t.view_id}: truth ${t.ads.revenue_usd}, silver ${r.ad_revenue_usd}`);
  if (t.avg_bitrate_kbps !== null && (r.avg_bitrate_kbps === null || Math.abs(t.avg_bitrate_kbps - r.avg_bitrate_kbps) > 0.5))
    note('avg_bitrate_kbps', `${t.view_id}: truth ${t.avg_bitrate_kbps}, silver ${r.avg_bitrate_kbps}`);
  if (outcome(t) !== r.outcome) note('outcome', `${t.view_id}: truth ${t.outcome}, silver ${r.outcome}`);
}
for (const id of got.keys()) note('view not in the truth', id);
console.log(`views ${truth.views.length}`);
for (const [f, b] of bad) console.log(`${f}: ${b.n} (e.g. ${b.example})`);
process.exit(bad.size ? 1 : 0);
