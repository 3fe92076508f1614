/* vidlake - Apache-2.0 */
/*
 * The History view: day by day, from the lake's gold tables (docs/api.md,
 * GET /api/v1/gold). When shown, and every 30 s while it stays shown, it
 * reads the list of gold tables, then only the tables that exist (so an
 * empty lake costs no failed request):
 *   kpi_daily       the daily KPIs as one chart each, and the latest day's
 *                   values against the day before
 *   content_daily   the latest day's top 10 by plays (order_by=-plays)
 *   qoe_daily       group_by=date,device_type: rebuffering and start
 *                   failures per device type, recomputed from the parts
 *   ad_daily        group_by=ad_position: impressions, CTR, revenue, eCPM
 * over the newest 30 days (90 days or a year on request). Before
 * `vidlake etl run` has built anything it says so. uPlot is the global from
 * /assets/uPlot.iife.min.js, as for the live view; nothing else is loaded.
 *
 * For tests (tests/browser/dashboard.mjs):
 *   window.__vidlake_history   {state, loads, index, from, to, kpi, top, qoe, ads}
 *                              as last rendered
 *   window.__vidlake_hcharts   the uPlot instances by name
 */
import * as F from './format.mjs';
import { el } from './dom.mjs';

const API = 'api/v1';
const REFRESH_MS = 30000;
export const RANGES = { '30d': 30, '90d': 90, '1y': 365 };
const DAY = 86400;

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const $ = (sel, root = document) => root.querySelector(sel);

/** Watch time in hours, written as format.mjs writes durations. */
export const watchHours = (h) => (isNum(h) ? F.hours(h * 3600) : F.DASH);

/* The daily KPIs: one chart each, and the rows of the latest-day table
 * (the last four only in the table). */
export const KPIS = [
  { key: 'dau', label: 'Daily active users', fmt: F.count, color: '--c1', chart: true },
  { key: 'plays', label: 'Plays', fmt: F.count, color: '--c2', chart: true },
  { key: 'watch_hours', label: 'Watch time', fmt: watchHours, color: '--c3', chart: true },
  { key: 'ad_revenue_usd', label: 'Ad revenue', fmt: F.usd, color: '--good', chart: true },
  { key: 'vsf_rate', label: 'Start failures (VSF)', fmt: F.pct, color: '--bad', chart: true },
  { key: 'rebuffering_ratio', label: 'Rebuffering ratio', fmt: F.pct, color: '--c4', chart: true },
  { key: 'attempts', label: 'Attempts', fmt: F.count },
  { key: 'new_users', label: 'New users', fmt: F.count },
  { key: 'mau', label: 'Monthly active users', fmt: F.count },
  { key: 'stickiness', label: 'Stickiness (DAU / MAU)', fmt: F.pct },
];

const DEVICES = { tv: 'TV', mobile: 'Mobile', tablet: 'Tablet', desktop: 'Desktop', console: 'Console', other: 'Other' };
const DEVICE_COLORS = ['--c1', '--c2', '--c3', '--c4', '--c5', '--good', '--warn'];
const KINDS = { mov: 'movie', ep: 'episode', live: 'live', sh: 'short', tr: 'trailer' };

const hs = {
  shown: false,
  range: '30d',
  timer: 0,
  running: false,
  charts: {},
  last: { state: 'loading', loads: 0 },
  onRange: null,
};
window.__vidlake_history = hs.last;
window.__vidlake_hcharts = hs.charts;

/* ------------------------------------------------------------ helpers */

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function alpha(color, a) {
  return `color-mix(in srgb, ${color} ${Math.round(a * 100)}%, transparent)`;
}

async function get(path) {
  let res;
  try {
    res = await fetch(API + path, { cache: 'no-store', signal: AbortSignal.timeout(15000) });
  } catch (e) {
    throw new Error(`${path.split('?')[0]}: ${e.name === 'TimeoutError' ? 'timed out' : 'unreachable'}`);
  }
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* reported below */ }
  if (!res.ok) throw new Error(`${path.split('?')[0]}: HTTP ${res.status}${body && body.error ? ' (' + body.error + ')' : ''}`);
  if (body === null) throw new Error(`${path.split('?')[0]}: the answer is not JSON`);
  return body;
}

const q = (params) => Object.entries(params)
  .filter(([, v]) => v !== undefined && v !== null)
  .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');

/* "YYYY-MM-DD" <-> epoch seconds of its UTC midnight. */
const daySec = (d) => Date.parse(d + 'T00:00:00Z') / 1000;
const dayStr = (s) => new Date(s * 1000).toISOString().slice(0, 10);
const addDays = (d, n) => dayStr(daySec(d) + n * DAY);
const shortDay = (s) => new Date(s * 1000).toISOString().slice(5, 10);

function change(v, prev) {
  if (!isNum(v) || !isNum(prev) || prev === 0) return { text: F.DASH, cls: 'muted' };
  const r = v / prev - 1;
  if (r === 0) return { text: '0%', cls: '' };
  return { text: (r > 0 ? '+' : '') + F.pct(r), cls: r > 0 ? 'up' : 'down' };
}

/* ------------------------------------------------------------ charts */

/* A daily line chart: x in epoch seconds (UTC days), one scale from 0. */
function dayChart(name, host, series, fmt) {
  const old = hs.charts[name];
  if (old) old.destroy();
  delete hs.charts[name];
  host.replaceChildren();
  if (typeof window.uPlot !== 'function') {
    host.append(el('div', { class: 'nochart', text: 'charts unavailable (uPlot did not load)' }));
    return null;
  }
  const muted = css('--muted'), grid = css('--grid');
  const font = '11px system-ui, sans-serif';
  const opts = {
    width: Math.max(200, host.clientWidth),
    height: host.clientHeight || 180,
    padding: [10, 14, 0, 0],
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    scales: {
      x: { time: true, range: (u, lo, hi) => [lo - DAY / 2, hi + DAY / 2] },
      y: { range: (u, lo, hi) => [0, isNum(hi) && hi > 0 ? hi * 1.12 : 1] },
    },
    series: [{}].concat(series.map((s) => {
      const c = css(s.color);
      return {
        label: s.label,
        stroke: c,
        width: 2,
        fill: s.fill ? alpha(c, 0.14) : undefined,
        points: { show: (u, si, i0, i1) => u.data[si].slice(i0, i1 + 1).filter(isNum).length <= 45, size: 5 },
        spanGaps: false,
        value: (u, v) => fmt(v),
      };
    })),
    axes: [
      { stroke: muted, font, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 28, space: 56,
        incrs: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 28 * DAY, 91 * DAY],
        values: (u, splits) => splits.map(shortDay) },
      { stroke: muted, font, size: 58, gap: 4, grid: { stroke: grid, width: 1 }, ticks: { show: false },
        values: (u, splits) => splits.map((v) => fmt(v)) },
    ],
  };
  const u = new window.uPlot(opts, [[]].concat(series.map(() => [])), host);
  hs.charts[name] = u;
  return u;
}

const resizer = new ResizeObserver((entries) => {
  for (const e of entries) {
    const u = Object.values(hs.charts).find((c) => c.root.parentElement === e.target);
    if (u && e.target.clientWidth > 0) u.setSize({ width: Math.max(200, e.target.clientWidth), height: e.target.clientHeight || 180 });
  }
});

function legend(box, items) {
  box.replaceChildren(...items.map(({ label, color, text }) => el('span', { class: 'item' },
    el('span', { class: 'sw', style: `background:${css(color)}` }),
    el('span', { text: label }),
    el('span', { class: 'val', text }))));
}

/* ------------------------------------------------------------ rendering */

function renderHead(d) {
  const n = d.kpi ? d.kpi.length : 0;
  $('#history-range').textContent = d.from && d.to
    ? `${d.from} → ${d.to} · ${n} day${n === 1 ? '' : 's'} with data`
    : 'no days yet';
  const built = (d.index.tables || []).filter((t) => t.version !== null && t.version !== undefined);
  $('#history-versions').textContent = built.map((t) => `${t.name} v${t.version}`).join(' · ');
  $('#history-updated').textContent = `read ${new Date().toISOString().slice(11, 19)} UTC`;
}

function renderKpis(rows) {
  const x = rows.map((r) => daySec(r.date));
  for (const k of KPIS.filter((k) => k.chart)) {
    const panel = document.querySelector(`.hkpi[data-kpi="${k.key}"]`);
    const host = $('.chart', panel);
    const u = dayChart('kpi_' + k.key, host, [{ label: k.label, color: k.color, fill: true }], k.fmt);
    if (u) {
      u.setData([x, rows.map((r) => (isNum(r[k.key]) ? r[k.key] : null))]);
      resizer.observe(host);
    }
    const last = rows.length ? rows[rows.length - 1][k.key] : null;
    $('.hval', panel).textContent = k.fmt(last);
    $('.hday', panel).textContent = rows.length ? rows[rows.length - 1].date : '';
  }
  const latest = rows[rows.length - 1] || null, prev = rows[rows.length - 2] || null;
  $('#hkpi-day').textContent = latest ? latest.date : F.DASH;
  $('#hkpi-prev').textContent = prev ? prev.date : 'previous day';
  $('#hkpi-table tbody').replaceChildren(...KPIS.map((k) => {
    const v = latest ? latest[k.key] : null, p = prev ? prev[k.key] : null;
    const c = change(v, p);
    return el('tr', { 'data-kpi': k.key },
      el('td', { text: k.label }),
      el('td', { class: 'num v', text: k.fmt(v) }),
      el('td', { class: 'num muted', text: k.fmt(p) }),
      el('td', { class: 'num chg ' + c.cls, text: c.text }));
  }));
}

function contentCell(key) {
  const kind = KINDS[String(key).split('-')[0]];
  const td = el('td', { class: 'key', title: key });
  if (kind) td.append(el('span', { class: 'kind ' + kind, text: kind }));
  td.append(document.createTextNode(key));
  return td;
}

function renderTop(day, rows) {
  $('#htop-day').textContent = day || '';
  const max = Math.max(1, ...rows.map((r) => r.plays || 0));
  $('#htop tbody').replaceChildren(...rows.map((r, i) => el('tr', { 'data-content': r.content_id },
    el('td', { class: 'rank-n', text: String(i + 1) }),
    contentCell(r.content_id),
    el('td', { class: 'num', text: F.count(r.plays) }),
    el('td', { class: 'num', text: watchHours(r.watch_hours) }),
    el('td', { class: 'num', text: F.pct(r.completion_rate) }),
    el('td', { class: 'bar-col' }, el('div', { class: 'bar' }, el('i', { style: `width:${((100 * (r.plays || 0)) / max).toFixed(1)}%` }))))));
  $('#htop-empty').hidden = rows.length > 0;
}

/* qoe_daily grouped by date and device type -> a series per device type. */
function renderQoe(rows) {
  const days = [...new Set(rows.map((r) => r.date))].sort();
  const x = days.map(daySec);
  const totals = new Map();
  for (const r of rows) totals.set(r.device_type, (totals.get(r.device_type) || 0) + (r.attempts || 0));
  const devices = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || String(a).localeCompare(String(b)));
  const label = (d) => (d === null ? 'unknown' : DEVICES[d] || d);
  const series = devices.map((d, i) => ({ label: label(d), color: DEVICE_COLORS[i % DEVICE_COLORS.length] }));
  for (const [name, metric] of [['qoe_rebuf', 'rebuffering_ratio'], ['qoe_vsf', 'vsf_rate']]) {
    const host = document.getElementById('h' + name);
    const u = dayChart(name, host, series, F.pct);
    const data = [x].concat(devices.map((d) => days.map((day) => {
      const r = rows.find((row) => row.date === day && row.device_type === d);
      return r && isNum(r[metric]) ? r[metric] : null;
    })));
    if (u) {
      u.setData(data);
      resizer.observe(host);
    }
    const lastDay = days[days.length - 1];
    legend(document.querySelector(`[data-hlegend="${name}"]`), devices.map((d, i) => {
      const r = rows.find((row) => row.date === lastDay && row.device_type === d);
      return { label: series[i].label, color: series[i].color, text: F.pct(r ? r[metric] : null) };
    }));
  }
  $('#hqoe-empty').hidden = rows.length > 0;
}

function renderAds(rows) {
  const sorted = [...rows].sort((a, b) => (b.impressions || 0) - (a.impressions || 0));
  const max = Math.max(1, ...sorted.map((r) => r.impressions || 0));
  $('#hads tbody').replaceChildren(...sorted.map((r) => el('tr', { 'data-position': r.ad_position ?? '' },
    el('td', {}, el('span', { class: 'label', text: r.ad_position ?? 'unknown' }),
      el('div', { class: 'bar' }, el('i', { style: `width:${((100 * (r.impressions || 0)) / max).toFixed(1)}%` }))),
    el('td', { class: 'num', text: F.count(r.impressions) }),
    el('td', { class: 'num', text: F.pct(r.ctr) }),
    el('td', { class: 'num', text: F.pct(r.completion_rate) }),
    el('td', { class: 'num', text: F.pct(r.skip_rate) }),
    el('td', { class: 'num', text: F.usd(r.revenue_usd) }),
    el('td', { class: 'num', text: F.usd(r.ecpm_usd) }))));
  $('#hads-empty').hidden = rows.length > 0;
}

/* A panel whose table is not built yet says so. */
function missing(sel, name) {
  const p = $(sel);
  p.classList.add('notbuilt');
  $('.notbuilt-msg', p).textContent = `gold/${name} is not built yet (vidlake etl run).`;
}

/* ------------------------------------------------------------ loading */

async function load() {
  const index = await get('/gold');
  const by = Object.fromEntries((index.tables || []).map((t) => [t.name, t]));
  const built = (n) => by[n] && by[n].version !== null && by[n].version !== undefined;
  const names = ['kpi_daily', 'content_daily', 'qoe_daily', 'ad_daily'];
  const d = { state: 'ready', loads: hs.last.loads + 1, index, from: null, to: null, kpi: null, top: null, topDay: null, qoe: null, ads: null };
  if (!names.some(built)) {
    d.state = 'empty';
    render(d);
    return;
  }
  d.to = names.filter(built).map((n) => by[n].to).filter(Boolean).sort().pop() || null;
  d.from = d.to ? addDays(d.to, -(RANGES[hs.range] - 1)) : null;
  const range = { from: d.from, to: d.to };
  const jobs = [];
  if (built('kpi_daily')) jobs.push(get('/gold/kpi_daily?' + q({ ...range, limit: 100000 })).then((r) => { d.kpi = r.rows || []; }));
  if (built('content_daily') && by.content_daily.to) {
    d.topDay = by.content_daily.to;
    jobs.push(get('/gold/content_daily?' + q({ from: d.topDay, to: d.topDay, order_by: '-plays', limit: 10 }))
      .then((r) => { d.top = r.rows || []; }));
  }
  if (built('qoe_daily')) {
    jobs.push(get('/gold/qoe_daily?' + q({ ...range, group_by: 'date,device_type', limit: 100000 }))
      .then((r) => { d.qoe = r.rows || []; }));
  }
  if (built('ad_daily')) jobs.push(get('/gold/ad_daily?' + q({ ...range, group_by: 'ad_position' })).then((r) => { d.ads = r.rows || []; }));
  await Promise.all(jobs);
  render(d);
}

function render(d) {
  const empty = d.state === 'empty';
  $('#history-empty').hidden = !empty;
  $('#history-body').hidden = empty;
  $('#history-error').hidden = true;
  if (!empty) {
    for (const p of document.querySelectorAll('#history-body .notbuilt')) p.classList.remove('notbuilt');
    renderHead(d);
    if (d.kpi) renderKpis(d.kpi); else missing('#hkpis', 'kpi_daily');
    if (d.top) renderTop(d.topDay, d.top); else missing('#htop-panel', 'content_daily');
    if (d.qoe) renderQoe(d.qoe); else missing('#hqoe-panel', 'qoe_daily');
    if (d.ads) renderAds(d.ads); else missing('#hads-panel', 'ad_daily');
  }
  hs.last = d;
  window.__vidlake_history = d;
}

async function cycle() {
  clearTimeout(hs.timer);
  if (!hs.shown) return;
  if (hs.running) return;
  hs.running = true;
  try {
    if (!document.hidden) await load();
  } catch (e) {
    $('#history-error').hidden = false;
    $('#history-error-text').textContent = e.message + '.';
    hs.last = { ...hs.last, state: 'error', error: e.message };
    window.__vidlake_history = hs.last;
  } finally {
    hs.running = false;
    if (hs.shown) hs.timer = setTimeout(cycle, REFRESH_MS);
  }
}

/* ------------------------------------------------------------ the view's API */

/** Shows (and starts refreshing) or hides (and stops) the view. */
export function show(on) {
  hs.shown = on;
  clearTimeout(hs.timer);
  if (on) cycle();
}

/** The range of days: one of RANGES' keys. */
export function setRange(r) {
  if (!(r in RANGES) || r === hs.range) return;
  hs.range = r;
  syncRange();
  if (hs.shown) cycle();
}

export const range = () => hs.range;

function syncRange() {
  for (const b of document.querySelectorAll('#hrange-seg button')) b.setAttribute('aria-pressed', String(b.dataset.v === hs.range));
}

/** Redraws the charts in the theme's colours. */
export function retheme() {
  if (hs.last && hs.last.state === 'ready') render(hs.last);
}

/** Wires the view's controls; onRange(r) is told of a new range (for the URL). */
export function init(onRange) {
  hs.onRange = onRange;
  syncRange();
  $('#hrange-seg').addEventListener('click', (e) => {
    const v = e.target.closest('button')?.dataset.v;
    if (v && v !== hs.range) {
      setRange(v);
      if (hs.onRange) hs.onRange(v);
    }
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden && hs.shown) cycle(); });
}
