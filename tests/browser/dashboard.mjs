#!/usr/bin/env node
// vidlake - Apache-2.0
//
// The live dashboard in a real browser: Debian's chromium, driven by
// playwright-core (never a downloaded browser). Run by
// tests/integration/0600-dashboard.sh against `vidlake serve`:
//
//   node tests/browser/dashboard.mjs empty URL
//       a server that has seen no event: the page says no data has arrived,
//       and every metric the API reports as null is shown as "–".
//   node tests/browser/dashboard.mjs live URL SCREENSHOT.png
//       a server fed by `vidlake generate --rate ...`: each tile shows
//       exactly the formatting (web/format.mjs) of the summary the page last
//       fetched (window.__vidlake_last, read in the same instant as the tiles),
//       and that summary agrees with one this script fetches itself; the
//       page polls at least every 2 s and the engine's clock moves; each
//       series of every chart has points; top content, breakdowns, pipeline and tables are
//       filled; a phone-sized viewport does not scroll sideways. Saves a
//       full-page screenshot.
//   node tests/browser/dashboard.mjs history URL SCREENSHOT.png
//       a server whose lake has gold tables (`vidlake etl run`): the History
//       tab (#view=history) shows the daily KPIs as charts with a point per
//       day the API has, the latest day's KPI table with exactly the
//       formatting of the API's values (fetched here), the top 10 content of
//       the latest day in the API's order, rebuffering and start failures per
//       device type, and ads by position; the live view is hidden, and comes
//       back with its tab. Saves a full-page screenshot.
//   node tests/browser/dashboard.mjs history-empty URL
//       a lake without gold tables: the History view says to run
//       `vidlake etl run`, and asks for no table (no 404).
//
// Every mode fails on any console error, uncaught exception, failed request,
// HTTP status >= 400, or request to another origin than URL's (the page
// must work offline). Prints "ok NAME" or "FAIL NAME: why" per check; exits
// 1 when a check failed.
import { chromium } from 'playwright-core';
import * as F from '../../web/format.mjs';

const CHROMIUM = process.env.VIDLAKE_CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// The tiles the issue asks for, and how each is written (web/format.mjs).
const TILES = {
  concurrent_plays: F.count,
  plays_per_min: F.count,
  startup_ms_p90: F.ms,
  rebuffering_ratio: F.pct,
  vsf_rate: F.pct,
  unique_viewers: F.count,
  ad_revenue_per_min: F.usd,
};
// Tolerance between the page's summary and ours, fetched a moment apart
// while events flow: [relative, absolute].
const TOL = {
  concurrent_plays: [0.25, 5], plays_per_min: [0.3, 5], startup_ms_p90: [0.5, 250],
  rebuffering_ratio: [0.5, 0.01], vsf_rate: [0.6, 0.02], unique_viewers: [0.3, 5], ad_revenue_per_min: [0.6, 0.5],
};
const CHARTS = ['audience', 'startup', 'quality', 'traffic'];

// The History view's latest-day KPI table, and how each value is written.
const HKPIS = {
  dau: F.count, plays: F.count, watch_hours: (h) => F.hours(h === null ? null : h * 3600), ad_revenue_usd: F.usd,
  vsf_rate: F.pct, rebuffering_ratio: F.pct, attempts: F.count, new_users: F.count, mau: F.count, stickiness: F.pct,
};
const HCHARTS = ['kpi_dau', 'kpi_plays', 'kpi_watch_hours', 'kpi_ad_revenue_usd', 'kpi_vsf_rate', 'kpi_rebuffering_ratio',
  'qoe_rebuf', 'qoe_vsf'];

const MODES = ['empty', 'live', 'history', 'history-empty'];
const [mode, url, shot] = process.argv.slice(2);
if (!MODES.includes(mode) || !url || (['live', 'history'].includes(mode) && !shot)) {
  console.error('usage: dashboard.mjs empty URL | live URL SCREENSHOT.png | history URL SCREENSHOT.png | history-empty URL');
  process.exit(2);
}
const base = new URL(url);
let failed = 0;
const ok = (name) => console.log(`ok ${name}`);
const fail = (name, why) => { failed++; console.log(`FAIL ${name}: ${why}`); };
const check = (name, cond, why) => (cond ? ok(name) : fail(name, why));
const j = (v) => JSON.stringify(v);

// The formatting itself, pinned on the API documentation's example values,
// so that "tile == format(value)" below means the right text.
function checkFormats() {
  const cases = [
    [F.count(null), '–'], [F.count(0), '0'], [F.count(230.0), '230'], [F.count(3310), '3,310'],
    [F.count(41230), '41.2k'], [F.count(18204411), '18.2M'], [F.count(2.5), '2.5'],
    [F.pct(0.00744), '0.74%'], [F.pct(0.8125), '81.3%'], [F.pct(null), '–'], [F.pct(0), '0%'],
    [F.ms(1180), '1.18 s'], [F.ms(850), '850 ms'], [F.ms(null), '–'],
    [F.usd(2.084), '$2.08'], [F.usd(null), '–'], [F.bytes(1048576), '1.00 MiB'], [F.secs(0.042), '42 ms'],
    [F.clock('2026-12-07T10:05:00.123Z'), '10:05:00 UTC'], [F.clock(null), '–'],
  ];
  const bad = cases.filter(([got, want]) => got !== want);
  check('numbers are written as documented (format.mjs)', bad.length === 0,
    bad.map(([g, w]) => `got ${j(g)} want ${j(w)}`).join('; '));
}

async function apiGet(path) {
  const res = await fetch(new URL(path, base), { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

async function open(viewport) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30000 });
  const context = await browser.newContext({ viewport, colorScheme: 'dark', deviceScaleFactor: 1 });
  const problems = [];
  // Offline: anything outside the server's origin is refused and reported.
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin === base.origin || u.protocol === 'data:') return route.continue();
    problems.push(`request to another origin: ${u.href}`);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`uncaught exception: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return { browser, page, problems };
}

// Reads everything the checks need in one evaluation, so the tiles and
// __vidlake_last are from the same instant (the page renders synchronously).
const snapshot = (page) => page.evaluate(() => {
  const txt = (sel) => document.querySelector(sel)?.textContent.trim() ?? null;
  const rows = (sel) => Array.from(document.querySelectorAll(sel)).map((tr) =>
    Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim()));
  const charts = {};
  for (const [name, u] of Object.entries(window.__vidlake_charts || {})) {
    charts[name] = { x: u.data[0].length, points: u.data.slice(1).map((a) => a.filter((v) => v !== null && v !== undefined).length) };
  }
  return {
    last: window.__vidlake_last,
    stats: { ...window.__vidlake_stats },
    tiles: Object.fromEntries(Array.from(document.querySelectorAll('.tile')).map((t) =>
      [t.dataset.tile, t.querySelector('.value').textContent.trim()])),
    now: txt('#engine-now'),
    status: txt('#status-label'),
    nodata: !document.querySelector('#nodata').hidden,
    offline: !document.querySelector('#offline').hidden ? txt('#offline') : null,
    charts,
    topPlays: rows('#top-plays tbody tr'),
    topNow: rows('#top-concurrent tbody tr'),
    bd: Object.fromEntries(Array.from(document.querySelectorAll('.breakdown')).map((p) =>
      [p.dataset.dim, rows(`.breakdown[data-dim="${p.dataset.dim}"] tbody tr`)])),
    figs: Object.fromEntries(Array.from(document.querySelectorAll('.fig')).map((f) =>
      [f.dataset.fig, f.querySelector('.v').textContent.trim()])),
    ready: txt('#ready'),
    tables: rows('#tables tbody tr'),
  };
});

// Polls until pred(snapshot) holds; returns the last snapshot either way.
async function waitFor(page, pred, ms) {
  const end = Date.now() + ms;
  let s = await snapshot(page);
  while (!pred(s) && Date.now() < end) {
    await page.waitForTimeout(250);
    s = await snapshot(page);
  }
  return s;
}

function checkTilesExact(s, label) {
  const want = Object.keys(TILES);
  check(`${label}: the seven tiles are there`, j(Object.keys(s.tiles).sort()) === j([...want].sort()), `tiles ${j(Object.keys(s.tiles))}`);
  const m = (s.last && s.last.metrics) || {};
  const bad = want.filter((k) => s.tiles[k] !== TILES[k](m[k]));
  check(`${label}: each tile shows the formatting of the summary the page fetched`, s.last && bad.length === 0,
    !s.last ? 'window.__vidlake_last is not set' : bad.map((k) => `${k}: shows ${j(s.tiles[k])}, ${j(m[k])} is ${j(TILES[k](m[k]))}`).join('; '));
  check(`${label}: the engine's now is shown`, s.now === F.clock(s.last && s.last.now), `shows ${j(s.now)}, now is ${j(s.last && s.last.now)}`);
}

function checkProblems(problems, label) {
  check(`${label}: no console errors, failed requests or requests elsewhere`, problems.length === 0, problems.slice(0, 8).join(' | '));
}

async function loadPage(page, hash) {
  const res = await page.goto(new URL('/' + hash, base).href, { waitUntil: 'load', timeout: 20000 });
  check('GET / serves the dashboard', res && res.status() === 200 && /^text\/html/.test(res.headers()['content-type'] || ''),
    `status ${res && res.status()}, content-type ${res && res.headers()['content-type']}`);
  check('its title names vidlake', /vidlake/i.test(await page.title()), `title ${j(await page.title())}`);
}

async function empty() {
  const { browser, page, problems } = await open({ width: 1280, height: 900 });
  try {
    await loadPage(page, '');
    const s = await waitFor(page, (x) => x.stats.summaries >= 2, 15000);
    check('empty: the page polled the summary', s.stats.summaries >= 2, `stats ${j(s.stats)}`);
    check('empty: it says no data has arrived', s.nodata && s.status === 'no data', `banner shown: ${s.nodata}, status ${j(s.status)}`);
    checkTilesExact(s, 'empty');
    const m = (s.last && s.last.metrics) || {};
    const nulls = Object.keys(TILES).filter((k) => m[k] === null);
    check('empty: the API reports no startup time yet (null)', m.startup_ms_p90 === null, `startup_ms_p90 ${j(m.startup_ms_p90)}`);
    check('empty: every null metric is shown as "–"', nulls.every((k) => s.tiles[k] === '–') && nulls.length > 0,
      `null: ${j(nulls)}, tiles ${j(s.tiles)}`);
    checkProblems(problems, 'empty');
  } finally {
    await browser.close();
  }
}

function near(k, a, b) {
  if (a === null || b === null || a === undefined || b === undefined) return a === b;
  const [rel, abs] = TOL[k];
  return Math.abs(a - b) <= Math.max(abs, rel * Math.max(Math.abs(a), Math.abs(b)));
}

async function live() {
  checkFormats();
  const { browser, page, problems } = await open({ width: 1440, height: 900 });
  try {
    // Charts over 5 minutes (5 s steps) fill up soonest.
    await loadPage(page, '#window=5m&range=5m');
    const ready = (x) => x.last && x.last.metrics && x.last.metrics.plays > 0 && x.last.metrics.startup_ms_p90 !== null &&
      CHARTS.every((c) => x.charts[c] && x.charts[c].points.every((n) => n > 0)) &&
      x.topPlays.length > 0 && x.topNow.length > 0 && x.figs.received !== '–' && x.tables.length > 0 &&
      Object.values(x.bd).every((r) => r.length > 0);
    let s = await waitFor(page, ready, 60000);
    check('live: events reach the page within 60 s', ready(s),
      `plays ${j(s.last && s.last.metrics && s.last.metrics.plays)}, charts ${j(s.charts)}, top ${s.topPlays.length}/${s.topNow.length}, ` +
      `received ${j(s.figs.received)}, tables ${s.tables.length}, breakdowns ${j(Object.fromEntries(Object.entries(s.bd).map(([k, v]) => [k, v.length])))}` +
      (s.offline ? `; banner: ${s.offline}` : ''));

    s = await snapshot(page);
    checkTilesExact(s, 'live');
    check('live: the status says live and no banner is up', s.status === 'live' && !s.nodata && !s.offline,
      `status ${j(s.status)}, no-data banner ${s.nodata}, offline banner ${j(s.offline)}`);
    // The page's summary against one of our own, fetched right after. Values
    // move (most in the first seconds of traffic, when a single stall is a
    // large share of the watch time), so up to 5 pairs a second apart are
    // taken and one that agrees everywhere is enough.
    let why = '';
    let agreed = false;
    for (let i = 0; i < 5 && !agreed; i++) {
      if (i) await page.waitForTimeout(1000);
      const p = await snapshot(page);
      const ours = await apiGet('/api/v1/realtime/summary?window=5m');
      const m = (p.last && p.last.metrics) || {};
      const off = Object.keys(TILES).filter((k) => !near(k, m[k], ours.metrics[k]));
      const dnow = Math.abs(F.parseTime(ours.now) - F.parseTime(p.last && p.last.now));
      agreed = p.last && p.last.window_s === ours.window_s && off.length === 0 && dnow <= 5000;
      why = `window_s ${j(p.last && p.last.window_s)} vs ${j(ours.window_s)}; now ${j(p.last && p.last.now)} vs ${j(ours.now)}; ` +
        off.map((k) => `${k}: page ${j(m[k])}, API ${j(ours.metrics[k])}`).join('; ');
    }
    check('live: the page shows the API\'s numbers and clock for the same window (a fetch of our own agrees)', agreed, why);

    // Live: within 4.5 s, the page polls the summary at least twice (every
    // 2 s at most) and the engine's now moves on; the series are fetched on
    // every other poll. Those are counted against the polls, not the clock:
    // on a loaded machine a poll of eleven series can outlast its second
    // (the next one then starts at once). Five polls after t0 (which may
    // fall inside one) hold two whole even ones.
    const t0 = s;
    await page.waitForTimeout(4500);
    const t1 = await snapshot(page);
    check('live: tiles refresh at least every 2 s', t1.stats.summaries - t0.stats.summaries >= 2,
      `${t1.stats.summaries - t0.stats.summaries} summaries in 4.5 s`);
    const t5 = await waitFor(page, (x) => x.stats.ticks - t0.stats.ticks >= 5, 15000);
    const dt = t5.stats.ticks - t0.stats.ticks, ds = t5.stats.series - t0.stats.series;
    check('live: charts refresh on every other poll', dt >= 5 && ds >= 2,
      `${ds} series refreshes in ${dt} polls`);
    check('live: the engine\'s now moves', t1.last && t0.last && t1.last.now !== t0.last.now, `${j(t0.last && t0.last.now)} then ${j(t1.last && t1.last.now)}`);
    checkTilesExact(t1, 'live, 4.5 s later');

    for (const c of CHARTS) {
      const d = t1.charts[c];
      check(`live: chart ${c} has points in each of its series`, d && d.x > 0 && d.points.length > 0 && d.points.every((n) => n > 0), `data ${j(d)}`);
      // Its series come from separate requests; lined up on one time axis,
      // they cover nearly the same steps (a rate drops a partial last step).
      check(`live: chart ${c}: its series line up in time`, d && Math.min(...d.points) >= Math.max(...d.points) - 2, `data ${j(d)}`);
    }
    const rowsOk = (rows) => rows.length > 0 && rows.every((r) => r.length >= 3 && r[1] !== '' && /\d/.test(r[2]));
    check('live: top content by plays has rows', rowsOk(t1.topPlays), j(t1.topPlays.slice(0, 3)));
    check('live: top content by concurrent viewers has rows', rowsOk(t1.topNow), j(t1.topNow.slice(0, 3)));
    for (const [dim, rows] of Object.entries(t1.bd)) {
      check(`live: breakdown by ${dim} has rows`, rows.length > 0 && rows.every((r) => /\d/.test(r[1])), j(rows.slice(0, 3)));
    }
    check('live: the three breakdowns are device type, country and CDN', j(Object.keys(t1.bd).sort()) === j(['cdn', 'country', 'device_type']), j(Object.keys(t1.bd)));
    const pipe = await apiGet('/api/v1/pipeline');
    const figsMissing = ['received', 'accepted', 'rejected', 'backlog', 'commits', 'last_commit', 'late_events'].filter((f) => !t1.figs[f] || t1.figs[f] === '–');
    check('live: the pipeline panel shows events/s, backlog, commits, latency, late events', figsMissing.length === 0, `missing ${j(figsMissing)} in ${j(t1.figs)}`);
    check('live: ... and whether the collector is ready', t1.ready === (pipe.collector.ready ? 'ready' : 'not ready'), `badge ${j(t1.ready)}, API ready ${j(pipe.collector.ready)}`);
    const tables = await apiGet('/api/v1/tables');
    const names = t1.tables.map((r) => r[0]);
    check('live: the tables panel lists the lake\'s tables', tables.tables.every((t) => names.includes(t.name)) && names.includes('bronze/events'),
      `page ${j(names)}, API ${j(tables.tables.map((t) => t.name))}`);

    await page.screenshot({ path: shot, fullPage: true });
    ok(`live: screenshot saved (${shot})`);

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check('live: on a phone-sized screen the page does not scroll sideways', sideways <= 0, `${sideways} px too wide`);
    checkProblems(problems, 'live');
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------- history

const hsnap = (page) => page.evaluate(() => {
  const rows = (sel) => Array.from(document.querySelectorAll(sel)).map((tr) =>
    Array.from(tr.querySelectorAll('td')).map((td) => td.textContent.trim()));
  const shown = (sel) => { const e = document.querySelector(sel); return !!e && getComputedStyle(e).display !== 'none' && !e.hidden; };
  const charts = {};
  for (const [name, u] of Object.entries(window.__vidlake_hcharts || {})) {
    charts[name] = { x: u.data[0].length, series: u.series.length - 1,
      points: u.data.slice(1).map((a) => a.filter((v) => v !== null && v !== undefined).length) };
  }
  return {
    h: window.__vidlake_history,
    charts,
    kpis: Object.fromEntries(Array.from(document.querySelectorAll('#hkpi-table tbody tr')).map((tr) =>
      [tr.dataset.kpi, tr.querySelector('td.v').textContent.trim()])),
    kpiDay: document.querySelector('#hkpi-day')?.textContent.trim(),
    top: rows('#htop tbody tr'),
    topIds: Array.from(document.querySelectorAll('#htop tbody tr')).map((tr) => tr.dataset.content),
    ads: Array.from(document.querySelectorAll('#hads tbody tr')).map((tr) => [tr.dataset.position, tr.querySelectorAll('td')[1].textContent.trim()]),
    legends: Object.fromEntries(Array.from(document.querySelectorAll('[data-hlegend]')).map((l) => [l.dataset.hlegend, l.querySelectorAll('.item').length])),
    liveShown: shown('#live'),
    historyShown: shown('#history'),
    bodyShown: shown('#history-body'),
    emptyShown: shown('#history-empty'),
    emptyText: document.querySelector('#history-empty')?.textContent.replace(/\s+/g, ' ').trim(),
    tab: document.querySelector('#view-tabs [aria-selected="true"]')?.dataset.view,
    title: document.title,
    hash: location.hash,
  };
});

async function hwait(page, pred, ms) {
  const end = Date.now() + ms;
  let s = await hsnap(page);
  while (!pred(s) && Date.now() < end) {
    await page.waitForTimeout(200);
    s = await hsnap(page);
  }
  return s;
}

async function history() {
  const { browser, page, problems } = await open({ width: 1440, height: 900 });
  try {
    await loadPage(page, '#view=history');
    const ready = (x) => x.h && x.h.state === 'ready' && HCHARTS.every((c) => x.charts[c]) && x.top.length > 0;
    let s = await hwait(page, ready, 20000);
    check('history: the view loads from /api/v1/gold within 20 s', ready(s), `state ${j(s.h && s.h.state)}, charts ${j(Object.keys(s.charts))}, top ${s.top.length}` +
      (s.h && s.h.error ? `, error ${s.h.error}` : ''));
    check('history: the History tab is selected, the live view hidden', s.tab === 'history' && s.historyShown && !s.liveShown && s.bodyShown && !s.emptyShown,
      `tab ${j(s.tab)}, history shown ${s.historyShown}, live shown ${s.liveShown}, body ${s.bodyShown}, empty ${s.emptyShown}`);
    check('history: the title says history', /vidlake/.test(s.title) && /history/.test(s.title), j(s.title));

    // Our own reading of the API, over the range the page shows.
    const index = await apiGet('/api/v1/gold');
    const by = Object.fromEntries(index.tables.map((t) => [t.name, t]));
    const newest = ['kpi_daily', 'content_daily', 'qoe_daily', 'ad_daily'].map((n) => by[n] && by[n].to).filter(Boolean).sort().pop();
    check('history: the range ends on the newest day of the gold tables, 30 days long',
      s.h.to === newest && Date.parse(s.h.to) - Date.parse(s.h.from) === 29 * 86400000, `page ${s.h.from}..${s.h.to}, newest ${newest}`);
    const kpi = await apiGet(`/api/v1/gold/kpi_daily?from=${s.h.from}&to=${s.h.to}`);
    const latest = kpi.rows[kpi.rows.length - 1];
    check('history: the KPI table is of the latest day', s.kpiDay === latest.date, `page ${j(s.kpiDay)}, API ${j(latest.date)}`);
    const want = Object.fromEntries(Object.entries(HKPIS).map(([k, fmt]) => [k, fmt(latest[k])]));
    const bad = Object.keys(want).filter((k) => s.kpis[k] !== want[k]);
    check('history: the KPI table shows the API\'s latest-day values, formatted', bad.length === 0 && Object.keys(s.kpis).length === Object.keys(want).length,
      bad.map((k) => `${k}: shows ${j(s.kpis[k])}, API ${j(latest[k])} is ${j(want[k])}`).join('; ') || `rows ${j(Object.keys(s.kpis))}`);
    for (const c of HCHARTS.filter((n) => n.startsWith('kpi_'))) {
      const d = s.charts[c];
      check(`history: chart ${c} has a point per day (${kpi.rows.length})`, d && d.x === kpi.rows.length && d.points.every((n) => n === kpi.rows.length), `data ${j(d)}`);
    }
    const qoe = await apiGet(`/api/v1/gold/qoe_daily?from=${s.h.from}&to=${s.h.to}&group_by=date,device_type&limit=100000`);
    const devices = new Set(qoe.rows.map((r) => r.device_type));
    for (const c of ['qoe_rebuf', 'qoe_vsf']) {
      const d = s.charts[c];
      check(`history: chart ${c} has a series per device type (${devices.size}), each with points`,
        d && d.series === devices.size && d.points.every((n) => n > 0) && s.legends[c] === devices.size, `data ${j(d)}, legend ${j(s.legends[c])}`);
    }
    const topDay = by.content_daily.to;
    const top = await apiGet(`/api/v1/gold/content_daily?from=${topDay}&to=${topDay}&order_by=-plays&limit=10`);
    check('history: top content is the API\'s top 10 of the latest day, in order', j(s.topIds) === j(top.rows.map((r) => r.content_id)),
      `page ${j(s.topIds)}, API ${j(top.rows.map((r) => r.content_id))}`);
    check('history: ... with their plays', j(s.top.map((r) => r[2])) === j(top.rows.map((r) => F.count(r.plays))), j(s.top.map((r) => r[2])));
    const ads = await apiGet(`/api/v1/gold/ad_daily?from=${s.h.from}&to=${s.h.to}&group_by=ad_position`);
    const wantAds = [...ads.rows].sort((a, b) => b.impressions - a.impressions).map((r) => [r.ad_position ?? '', F.count(r.impressions)]);
    check('history: ads by position, with impressions', ads.rows.length > 0 && j(s.ads) === j(wantAds), `page ${j(s.ads)}, API ${j(wantAds)}`);
    checkProblems(problems, 'history');

    await page.screenshot({ path: shot, fullPage: true });
    ok(`history: screenshot saved (${shot})`);

    const theme0 = await page.evaluate(() => document.documentElement.dataset.theme);
    await page.click('#theme');
    s = await hwait(page, (x) => HCHARTS.every((c) => x.charts[c] && x.charts[c].points.every((n) => n > 0)), 3000);
    const theme1 = await page.evaluate(() => document.documentElement.dataset.theme);
    check('history: the theme switch redraws the charts', theme1 !== theme0 && HCHARTS.every((c) => s.charts[c] && s.charts[c].points.every((n) => n > 0)),
      `theme ${theme0} -> ${theme1}, charts ${j(s.charts)}`);
    await page.click('#theme');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    check('history: on a phone-sized screen the page does not scroll sideways', sideways <= 0, `${sideways} px too wide`);
    await page.setViewportSize({ width: 1440, height: 900 });

    await page.click('#tab-live');
    s = await hwait(page, (x) => x.liveShown, 5000);
    check('history: the Live tab brings the live view back', s.liveShown && !s.historyShown && s.tab === 'live' && !/view=history/.test(s.hash),
      `live ${s.liveShown}, history ${s.historyShown}, tab ${j(s.tab)}, hash ${j(s.hash)}`);
    await page.click('#tab-history');
    s = await hwait(page, (x) => x.historyShown && x.h && x.h.loads >= 2, 10000);
    check('history: ... and the History tab the history, read again', s.historyShown && s.h.state === 'ready' && /view=history/.test(s.hash),
      `history ${s.historyShown}, loads ${j(s.h && s.h.loads)}, hash ${j(s.hash)}`);
    checkProblems(problems, 'history, after switching views');
  } finally {
    await browser.close();
  }
}

async function historyEmpty() {
  const { browser, page, problems } = await open({ width: 1280, height: 900 });
  try {
    await loadPage(page, '#view=history');
    const s = await hwait(page, (x) => x.h && x.h.state === 'empty', 15000);
    check('history-empty: the view reads the list of gold tables', s.h && s.h.state === 'empty', `state ${j(s.h && s.h.state)}`);
    check('history-empty: it says there is no history yet and to run vidlake etl run',
      s.emptyShown && !s.bodyShown && /vidlake etl run/.test(s.emptyText || ''), `empty shown ${s.emptyShown}, body ${s.bodyShown}, text ${j(s.emptyText)}`);
    check('history-empty: no chart was made', Object.keys(s.charts).length === 0, j(Object.keys(s.charts)));
    checkProblems(problems, 'history-empty');
  } finally {
    await browser.close();
  }
}

try {
  await ({ empty, live, history, 'history-empty': historyEmpty })[mode]();
} catch (e) {
  fail(`dashboard ${mode}`, e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ') : String(e));
}
process.exit(failed ? 1 : 0);
