// vidlake - Apache-2.0
// Freshness and API latency of `vidlake serve` under load (scripts/bench.sh):
//   node bench/freshness.mjs URL [PROBES]
// while something else (vidlake generate --rate ... --to URL) loads it.
//
// Freshness: a probe POSTs one event from a country the simulator never
// uses (AQ) and polls /api/v1/realtime/summary?country=AQ until the engine
// counts it; the time from before the POST to the answer that shows it is
// the event's freshness (it includes the WAL fsync the POST waits for).
// API latency: every poll, then rounds of the dashboard's queries (summary,
// a series, top content), each timed from request to the end of the body.
// Prints p50/p99 lines and the ingest rate seen meanwhile.
const [url, probesArg = '200'] = process.argv.slice(2);
if (!url) {
  console.error('usage: node bench/freshness.mjs URL [PROBES]');
  process.exit(2);
}
const probes = Number(probesArg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
};

async function timed(path) {
  const t0 = performance.now();
  const r = await fetch(url + path);
  const body = await r.text();
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${body.slice(0, 200)}`);
  return [ms, body];
}

async function accepted() {
  const [, body] = await timed('/api/v1/pipeline');
  return JSON.parse(body).collector.events_accepted;
}

const [, base] = await timed('/api/v1/realtime/summary?window=1h&country=AQ');
let seen = JSON.parse(base).metrics.events;
const a0 = await accepted(), t0 = performance.now();
const fresh = [], polls = [];
for (let i = 0; i < probes; i++) {
  const ev = {
    event_id: `fresh-${process.pid}-${i}`, event_type: 'session_start', event_time: new Date().toISOString(),
    user_id: `fresh-user-${i}`, device_id: 'fresh-device', session_id: `fresh-session-${i}`,
    device_type: 'desktop', os: 'Linux', country: 'AQ',
  };
  const s = performance.now();
  const r = await fetch(url + '/v1/events', { method: 'POST', body: JSON.stringify(ev) + '\n',
    headers: { 'content-type': 'application/x-ndjson' } });
  await r.text();
  if (r.status !== 200) throw new Error(`POST: ${r.status}`);
  for (;;) {
    const [ms, body] = await timed('/api/v1/realtime/summary?window=1h&country=AQ');
    polls.push(ms);
    if (JSON.parse(body).metrics.events > seen) break;
    if (performance.now() - s > 10000) throw new Error('an event did not show within 10 s');
  }
  fresh.push(performance.now() - s);
  seen++;
  await sleep(10);
}
const dash = { summary: [], timeseries: [], top: [] };
for (let i = 0; i < 200; i++) {
  dash.summary.push((await timed('/api/v1/realtime/summary?window=5m'))[0]);
  dash.timeseries.push((await timed('/api/v1/realtime/timeseries?metric=plays&window=15m&step=15s'))[0]);
  dash.top.push((await timed('/api/v1/realtime/top?dim=content_id&metric=concurrent_plays&k=10'))[0]);
}
const secs = (performance.now() - t0) / 1000, rate = ((await accepted()) - a0) / secs;
const f = (x) => x.toFixed(2);
console.log(`ingest rate during the probes    ${rate.toFixed(0)} events/s accepted`);
console.log(`freshness (POST -> summary)      p50 ${f(q(fresh, 0.5))} ms  p99 ${f(q(fresh, 0.99))} ms  (${fresh.length} events)`);
console.log(`API latency, polling summary     p50 ${f(q(polls, 0.5))} ms  p99 ${f(q(polls, 0.99))} ms  (${polls.length} requests)`);
for (const [k, v] of Object.entries(dash))
  console.log(`API latency, ${k.padEnd(19)} p50 ${f(q(v, 0.5))} ms  p99 ${f(q(v, 0.99))} ms  (${v.length} requests)`);
