/* vidlake - Apache-2.0 */
/*
 * The dashboard: this file is the Live view and the page's frame (the tabs,
 * the theme, the URL's #hash); the History view is history.mjs, shown in
 * place of the live one (#view=history), which then polls only the summary
 * and the pipeline (the header's status) until it comes back.
 *
 * The Live view polls the API of the server that served it (docs/api.md)
 * and renders:
 *   every second   /api/v1/realtime/summary (the tiles, the engine's clock)
 *                  /api/v1/pipeline (the health panel; rates from deltas)
 *   every 2 s      /api/v1/realtime/timeseries for the charts and sparklines
 *                  /api/v1/realtime/top (top content, breakdowns)
 *                  /api/v1/tables
 *   every 4 s      a filtered summary per breakdown row (its startup time,
 *                  rebuffering and start failures)
 * One poll runs at a time; a slow answer delays the next one instead of
 * piling requests up. Each part renders on its own, so one failing route
 * leaves the rest live. Nothing is fetched from anywhere else: uPlot is a
 * global from /assets/uPlot.iife.min.js.
 *
 * For tests (tests/browser/dashboard.mjs) and the curious, the page keeps:
 *   window.__vidlake_last    the summary object the tiles show right now
 *   window.__vidlake_charts  the uPlot instances by name
 *   window.__vidlake_stats   counters of polls and renders
 */
import * as F from './format.mjs';
import { el } from './dom.mjs';
import * as H from './history.mjs';

const API = 'api/v1'; /* relative: the page also works behind a proxy that mounts it under a prefix */
const TICK_MS = 1000;
const WINDOWS = ['1m', '5m', '15m', '1h'];
const RANGES = { '5m': 5, '15m': 15, '1h': 60 }; /* chart step, seconds: 60 points a chart */

/* Thresholds that colour a value: [warn, bad]. */
const LIMITS = {
  startup_ms_p90: [4000, 8000],
  rebuffering_ratio: [0.01, 0.03],
  vsf_rate: [0.02, 0.05],
};

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

const st = {
  view: 'live',     /* or 'history' */
  window: '5m',
  range: '15m',
  tick: 0,
  running: false,
  timer: 0,
  last: null,       /* summary */
  pipe: null,       /* last /pipeline answer, with its arrival time */
  ingest: { t: [], recv: [], acc: [], rej: [] }, /* events/s history, client side */
  series: {},       /* metric -> {t, v, step} */
  bdItems: {},      /* dim -> [{key, value}] shown */
  qoe: {},          /* "dim=key" -> metrics */
  charts: {},
  failures: {},     /* part -> message */
};

const stats = { ticks: 0, summaries: 0, series: 0, top: 0, pipeline: 0, tables: 0, qoe: 0 };
window.__vidlake_last = null;
window.__vidlake_charts = st.charts;
window.__vidlake_stats = stats;

/* ------------------------------------------------------------ fetching */

async function api(path) {
  let res;
  try {
    res = await fetch(API + path, { cache: 'no-store', signal: AbortSignal.timeout(8000) });
  } catch (e) {
    throw new Error(`${path.split('?')[0]}: ${e.name === 'TimeoutError' ? 'timed out' : 'unreachable'}`);
  }
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* reported below */ }
  if (!res.ok) {
    const why = body && body.error ? body.error : text.slice(0, 120);
    throw new Error(`${path.split('?')[0]}: HTTP ${res.status}${why ? ' (' + why + ')' : ''}`);
  }
  if (body === null) throw new Error(`${path.split('?')[0]}: the answer is not JSON`);
  return body;
}

const q = (params) => Object.entries(params)
  .filter(([, v]) => v !== undefined && v !== null)
  .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');

/* Runs a part: records its failure (for the banner) or clears it. */
async function part(name, fn) {
  try {
    await fn();
    delete st.failures[name];
  } catch (e) {
    st.failures[name] = e.message;
  }
}

/* ------------------------------------------------------------ small helpers */

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

function windowLabel(s) {
  if (!isNum(s)) return st.window;
  if (s % 3600 === 0) return s / 3600 + ' h';
  if (s % 60 === 0) return s / 60 + ' min';
  return s + ' s';
}

function level(key, v) {
  const lim = LIMITS[key];
  if (!lim || !isNum(v)) return '';
  return v >= lim[1] ? 'bad' : v >= lim[0] ? 'warn' : '';
}

function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

const KINDS = { mov: 'movie', ep: 'episode', live: 'live', sh: 'short', tr: 'trailer' };
function contentCell(key) {
  const kind = KINDS[String(key).split('-')[0]];
  const td = el('td', { class: 'key', title: key });
  if (kind) td.append(el('span', { class: 'kind ' + kind, text: kind }));
  td.append(document.createTextNode(key));
  return td;
}

let regionNames = null;
try { regionNames = new Intl.DisplayNames(['en'], { type: 'region' }); } catch { /* plain codes */ }
const DEVICES = { tv: 'TV', mobile: 'Mobile', tablet: 'Tablet', desktop: 'Desktop', console: 'Console', other: 'Other' };
function dimLabel(dim, key) {
  if (dim === 'device_type') return [DEVICES[key] || key, ''];
  if (dim === 'country') {
    let name = '';
    try { name = regionNames && /^[A-Z]{2}$/.test(key) ? regionNames.of(key) : ''; } catch { name = ''; }
    return [key, name && name !== key ? name : ''];
  }
  return [key, ''];
}

/* ------------------------------------------------------------ tiles */

const TILES = {
  concurrent_plays: {
    fmt: F.count,
    title: (m, w) => `Views playing at the engine's now. In ${w}: ${F.count(m.plays)} plays of ${F.count(m.attempts)} attempts; average bitrate ${F.kbps(m.avg_bitrate_kbps)}.`,
    foot: (m) => `${F.count(m.plays)} plays · ${F.kbps(m.avg_bitrate_kbps)}`,
    spark: () => st.series.concurrent_plays,
  },
  plays_per_min: {
    fmt: F.count,
    foot: (m, w) => `${F.count(m.plays)} in ${w}`,
    spark: () => rateSeries('plays', 60),
  },
  startup_ms_p90: {
    fmt: F.ms,
    foot: (m) => `p50 ${F.ms(m.startup_ms_p50)} · p99 ${F.ms(m.startup_ms_p99)}`,
    spark: () => st.series.startup_ms_p90,
  },
  rebuffering_ratio: {
    fmt: F.pct,
    title: (m, w) => `Stall time over watch + stall time in ${w}: ${F.hours(m.stall_time_s)} stalled, ${F.hours(m.watch_time_s)} watched.`,
    foot: (m) => `${F.hours(m.stall_time_s)} stalled`,
    spark: () => rebufSeries(),
  },
  vsf_rate: {
    fmt: F.pct,
    title: (m, w) => `Video start failures (fatal error before the first frame) over attempts in ${w}. Exits before start: ${F.pct(m.ebvs_rate)}; playback failures: ${F.pct(m.vpf_rate)}.`,
    foot: (m) => `${F.count(m.vsf)} of ${F.count(m.attempts)} starts`,
    spark: () => vsfSeries(),
  },
  unique_viewers: {
    fmt: F.count,
    title: (m, w) => `Distinct users with an event in ${w} (estimated). ${F.count(m.events)} events.`,
    foot: (m, w) => `in ${w}`,
    spark: () => st.series.unique_viewers,
  },
  ad_revenue_per_min: {
    fmt: F.usd,
    title: (m, w) => `In ${w}: ${F.usd(m.ad_revenue_usd)} from ${F.count(m.ad_impressions)} impressions; CTR ${F.pct(m.ad_ctr)}, completion ${F.pct(m.ad_completion_rate)}, skips ${F.pct(m.ad_skip_rate)}.`,
    foot: (m, w) => `${F.usd(m.ad_revenue_usd)} in ${w}`,
    spark: () => rateSeries('ad_revenue_usd', 60),
  },
};

function renderSummary(s) {
  const m = s.metrics || {};
  const w = windowLabel(s.window_s);
  for (const tile of $$('.tile')) {
    const key = tile.dataset.tile, def = TILES[key], v = m[key];
    const value = $('.value', tile);
    value.textContent = def.fmt(v);
    value.classList.toggle('none', !isNum(v));
    value.style.color = level(key, v) ? `var(--${level(key, v)})` : '';
    $('.foot', tile).textContent = def.foot(m, w);
    tile.title = def.title ? def.title(m, w) : '';
  }
  const now = F.parseTime(s.now);
  $('#engine-now').textContent = F.clock(s.now);
  $('#engine-day').textContent = isNum(now) ? F.day(s.now) : 'no events yet';
  const lag = Date.now() - now;
  $('#engine-lag').textContent = !isNum(now) ? '' : lag < 2000 ? 'live' : `${F.ago(lag).replace(' ago', '')} behind`;
  $('#engine-now').title = `watermark ${s.watermark ?? F.DASH}`;

  const noData = !isNum(now) || !m.events;
  $('#nodata').hidden = !noData;
  if (noData) {
    if (!isNum(now)) {
      $('#nodata-title').textContent = 'No data has arrived yet.';
    } else {
      $('#nodata-title').textContent = `No events in the last ${w}.`;
    }
  }
  window.__vidlake_last = s;
  stats.summaries++;
}

async function loadSummary() {
  const s = await api('/realtime/summary?' + q({ window: st.window }));
  st.last = s;
  renderSummary(s);
}

/* Sparkline: an SVG path over the last values of a series. */
function drawSpark(svg, ser, color) {
  svg.replaceChildren();
  if (!ser || !ser.v) return;
  const pts = ser.v.map((v, i) => [i, v]).filter(([, v]) => isNum(v));
  if (pts.length < 2) return;
  const W = 100, H = 44, n = ser.v.length - 1 || 1;
  let lo = Math.min(...pts.map((p) => p[1])), hi = Math.max(...pts.map((p) => p[1]));
  lo = Math.min(lo, 0);
  if (hi === lo) hi = lo + 1;
  const xy = pts.map(([i, v]) => [(i / n) * W, H - 3 - ((v - lo) / (hi - lo)) * (H - 10)]);
  const line = xy.map(([x, y], i) => (i ? 'L' : 'M') + x.toFixed(2) + ' ' + y.toFixed(2)).join('');
  const area = line + `L${xy[xy.length - 1][0].toFixed(2)} ${H}L${xy[0][0].toFixed(2)} ${H}Z`;
  const ns = 'http://www.w3.org/2000/svg';
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  for (const [cls, d] of [['area', area], ['line', line]]) {
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('class', cls);
    p.setAttribute('d', d);
    p.setAttribute('vector-effect', 'non-scaling-stroke');
    p.style[cls === 'line' ? 'stroke' : 'fill'] = color;
    svg.append(p);
  }
}

function renderSparks() {
  for (const tile of $$('.tile')) {
    const color = getComputedStyle(tile).getPropertyValue('--tile-color').trim() || css('--accent');
    drawSpark($('.spark', tile), TILES[tile.dataset.tile].spark(), color);
  }
}

/* ------------------------------------------------------------ time series */

const SERIES = [
  ['concurrent_plays', false], ['plays', false], ['events', false], ['ad_revenue_usd', false],
  ['attempts', false], ['vsf', false], ['stall_time_s', false], ['watch_time_s', false],
  ['startup_ms_p50', true], ['startup_ms_p90', true], ['unique_viewers', true],
]; /* [metric, kept per minute (a sketch)] */
const ROLL_S = 60; /* the quality ratios are drawn over a trailing minute */

async function loadSeries() {
  const step = RANGES[st.range];
  const got = await Promise.all(SERIES.map(([metric, sketch]) =>
    api('/realtime/timeseries?' + q({ metric, window: st.range, step: (sketch ? Math.max(60, step) : step) + 's' }))));
  got.forEach((r, i) => { st.series[SERIES[i][0]] = { t: r.t || [], v: r.v || [], step: r.step_s || step }; });
  renderCharts();
  renderSparks();
  stats.series++;
}

/* A count per step as a rate per `per` seconds. The last step ends at now and
 * may be partial: it is scaled by its true length, or left out when it is
 * too short to say anything. */
function rateSeries(metric, per) {
  const s = st.series[metric];
  if (!s) return null;
  const nowS = isNum(F.parseTime(st.last?.now)) ? F.parseTime(st.last.now) / 1000 : Date.now() / 1000;
  const v = s.v.map((x, i) => {
    if (!isNum(x)) return null;
    let len = s.step;
    if (i === s.t.length - 1) {
      len = Math.min(s.step, nowS - s.t[i]);
      if (len < Math.min(s.step / 2, 2)) return null;
    }
    return (x * per) / len;
  });
  return { t: s.t, v, step: s.step };
}

/* A ratio over a trailing ROLL_S: sum(num) / sum(den...) of the steps in it.
 * Per 5 or 15 s step a ratio of a few cases jumps between 0 and 100%; over a
 * minute it reads as a trend. */
function rolling(num, dens) {
  const n = st.series[num];
  if (!n) return null;
  const k = Math.max(1, Math.round(ROLL_S / n.step));
  const ds = dens.map((m) => at(n.t, st.series[m]));
  const v = n.t.map((_, i) => {
    let a = 0, b = 0;
    for (let j = Math.max(0, i - k + 1); j <= i; j++) {
      if (isNum(n.v[j])) a += n.v[j];
      for (const d of ds) if (isNum(d[j])) b += d[j];
    }
    return b > 0 ? a / b : null;
  });
  return { t: n.t, v, step: n.step };
}
const rebufSeries = () => rolling('stall_time_s', ['stall_time_s', 'watch_time_s']);
const vsfSeries = () => rolling('vsf', ['attempts']);

/* Values of `ser` at the times `t`. Series fetched one by one are computed
 * at slightly different nows, so their steps may start a second or so
 * apart: a value belongs to the time within half a step of its own. */
function at(t, ser) {
  if (!ser || !ser.t.length) return t.map(() => null);
  const step = ser.step || 1, t0 = ser.t[0];
  return t.map((x) => {
    const i = Math.round((x - t0) / step);
    const ok = i >= 0 && i < ser.t.length && Math.abs(ser.t[i] - x) < step / 2 && isNum(ser.v[i]);
    return ok ? ser.v[i] : null;
  });
}

const CHARTS = {
  audience: {
    el: '#chart-audience',
    series: [
      { label: 'concurrent viewers', color: '--c1', fmt: F.count, scale: 'y', fill: true },
      { label: 'plays / min', color: '--c2', fmt: F.count, scale: 'y2' },
    ],
    axes: [['y', F.compact], ['y2', F.compact]],
    data: () => {
      const base = st.series.concurrent_plays;
      if (!base) return null;
      return [base.t, base.v.map((v) => (isNum(v) ? v : null)), at(base.t, rateSeries('plays', 60))];
    },
  },
  startup: {
    el: '#chart-startup',
    perMinute: true, /* sketches are kept per minute: no ticks between minutes */
    series: [
      { label: 'p50', color: '--c2', fmt: F.ms, scale: 'y' },
      { label: 'p90', color: '--c3', fmt: F.ms, scale: 'y', fill: true },
    ],
    axes: [['y', F.ms]],
    data: () => {
      const base = st.series.startup_ms_p90;
      if (!base) return null;
      return [base.t, at(base.t, st.series.startup_ms_p50), at(base.t, base)];
    },
  },
  quality: {
    el: '#chart-quality',
    series: [
      { label: 'rebuffering', color: '--c4', fmt: F.pct, scale: 'y', fill: true },
      { label: 'start failures', color: '--c5', fmt: F.pct, scale: 'y' },
    ],
    axes: [['y', F.pct]],
    data: () => {
      const base = st.series.stall_time_s;
      if (!base) return null;
      return [base.t, at(base.t, rebufSeries()), at(base.t, vsfSeries())];
    },
  },
  traffic: {
    el: '#chart-traffic',
    series: [
      { label: 'events / s', color: '--c1', fmt: F.count, scale: 'y', fill: true },
      { label: 'ad revenue / min', color: '--good', fmt: F.usd, scale: 'y2' },
    ],
    axes: [['y', F.compact], ['y2', F.usd]],
    data: () => {
      const base = st.series.events;
      if (!base) return null;
      return [base.t, at(base.t, rateSeries('events', 1)), at(base.t, rateSeries('ad_revenue_usd', 60))];
    },
  },
  ingest: {
    el: '#chart-ingest',
    small: true,
    series: [
      { label: 'received / s', color: '--c1', fmt: F.count, scale: 'y', fill: true },
      { label: 'accepted / s', color: '--c2', fmt: F.count, scale: 'y' },
      { label: 'rejected / s', color: '--warn', fmt: F.count, scale: 'y' },
    ],
    axes: [['y', F.compact]],
    data: () => (st.ingest.t.length ? [st.ingest.t, st.ingest.recv, st.ingest.acc, st.ingest.rej] : null),
  },
};

function alpha(color, a) {
  return `color-mix(in srgb, ${color} ${Math.round(a * 100)}%, transparent)`;
}

/* Time-axis tick spacings, seconds: whole seconds and round minutes and hours. */
const TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

function makeChart(name) {
  const def = CHARTS[name];
  const host = $(def.el);
  if (typeof window.uPlot !== 'function') {
    host.replaceChildren(el('div', { class: 'nochart', text: 'charts unavailable (uPlot did not load)' }));
    return null;
  }
  const muted = css('--muted'), grid = css('--grid');
  const font = '11px system-ui, sans-serif';
  const axis = (scale, fmt, side) => ({
    scale,
    side,
    stroke: muted,
    font,
    size: 58,
    gap: 4,
    grid: side === 1 ? { show: false } : { stroke: grid, width: 1 },
    ticks: { show: false },
    values: (u, splits) => splits.map((v) => fmt(v)),
  });
  const scales = { x: { time: true } };
  for (const [scale] of def.axes) {
    scales[scale] = { range: (u, lo, hi) => [0, isNum(hi) && hi > 0 ? hi * 1.12 : 1] };
  }
  const opts = {
    width: Math.max(200, host.clientWidth),
    height: host.clientHeight || 240,
    padding: [10, def.axes.length > 1 ? 6 : 22, 0, 0], /* room for the last time label */
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { size: 7 } },
    tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales,
    series: [{}].concat(def.series.map((s) => {
      const c = css(s.color);
      return {
        label: s.label,
        scale: s.scale,
        stroke: c,
        width: 2,
        fill: s.fill ? alpha(c, 0.14) : undefined,
        /* a lone value (the first minute of a per-minute series) has no line
           to draw: show the points while there are few */
        points: { show: (u, si, i0, i1) => u.data[si].slice(i0, i1 + 1).filter(isNum).length <= 3, size: 6 },
        spanGaps: false,
        value: (u, v) => s.fmt(v),
      };
    })),
    axes: [
      { stroke: muted, font, grid: { stroke: grid, width: 1 }, ticks: { show: false }, size: 28, space: 64,
        incrs: def.perMinute ? TIME_INCRS.filter((i) => i >= 60) : TIME_INCRS,
        values: (u, splits, ax, space, incr) => splits.map((t) => new Date(t * 1000).toISOString().slice(11, incr < 60 ? 19 : 16)) },
    ].concat(def.axes.map(([scale, fmt], i) => axis(scale, fmt, i === 0 ? 3 : 1))),
    hooks: { setCursor: [(u) => renderLegend(name, u)] },
  };
  host.replaceChildren();
  const data = [[]].concat(def.series.map(() => []));
  const u = new window.uPlot(opts, data, host);
  host.append(el('div', { class: 'nochart', text: 'waiting for data' }));
  st.charts[name] = u;
  return u;
}

function renderLegend(name, u) {
  const box = document.querySelector(`[data-legend="${name}"]`);
  if (!box) return;
  const def = CHARTS[name];
  const idx = u.cursor.idx;
  box.replaceChildren(...def.series.map((s, i) => {
    const vals = u.data[i + 1] || [];
    let v = idx != null ? vals[idx] : null;
    if (idx == null) for (let j = vals.length - 1; j >= 0; j--) if (isNum(vals[j])) { v = vals[j]; break; }
    return el('span', { class: 'item' },
      el('span', { class: 'sw', style: `background:${css(s.color)}` }),
      el('span', { text: s.label }),
      el('span', { class: 'val', text: s.fmt(v) }));
  }));
}

function renderChart(name) {
  const u = st.charts[name] || makeChart(name);
  if (!u) return;
  const data = CHARTS[name].data();
  if (!data) return;
  u.setData(data);
  const any = data.slice(1).some((a) => a.some((v) => isNum(v)));
  const over = $('.nochart', $(CHARTS[name].el));
  if (over) over.hidden = any;
  renderLegend(name, u);
}

function renderCharts() {
  for (const name of ['audience', 'startup', 'quality', 'traffic']) renderChart(name);
}

function rebuildCharts() {
  for (const name of Object.keys(st.charts)) {
    st.charts[name].destroy();
    delete st.charts[name];
  }
  for (const name of Object.keys(CHARTS)) renderChart(name);
  renderSparks();
}

const resizer = new ResizeObserver((entries) => {
  for (const e of entries) {
    const name = Object.keys(CHARTS).find((n) => $(CHARTS[n].el) === e.target);
    const u = name && st.charts[name];
    if (u) u.setSize({ width: Math.max(200, e.target.clientWidth), height: e.target.clientHeight });
  }
});
for (const def of Object.values(CHARTS)) resizer.observe($(def.el));

/* ------------------------------------------------------------ top and breakdowns */

function renderRank(table, items, fmt) {
  const body = $('tbody', table);
  const max = Math.max(1, ...items.map((it) => it.value || 0));
  body.replaceChildren(...items.map((it, i) => el('tr', {},
    el('td', { class: 'rank-n', text: String(i + 1) }),
    contentCell(it.key),
    el('td', { class: 'num', text: fmt(it.value) }),
    el('td', {}, el('div', { class: 'bar' }, el('i', { style: `width:${((100 * (it.value || 0)) / max).toFixed(1)}%` }))))));
  $('.empty', table.parentElement).hidden = items.length > 0;
}

const BD = { device_type: 6, country: 8, cdn: 6 }; /* dimension -> rows */

function renderBreakdown(dim, items) {
  const panel = document.querySelector(`.breakdown[data-dim="${dim}"]`);
  const total = st.last?.metrics?.plays;
  const max = Math.max(1, ...items.map((it) => it.value || 0));
  const cell = (key, metric, fmt) => {
    const m = st.qoe[`${dim}=${key}`];
    const v = m ? m[metric] : null;
    return el('td', { class: 'num ' + (level(metric, v) || (isNum(v) ? '' : 'muted')), text: fmt(v) });
  };
  $('tbody', panel).replaceChildren(...items.map((it) => {
    const [label, sub] = dimLabel(dim, it.key);
    const share = isNum(total) && total > 0 ? it.value / total : it.value / max;
    return el('tr', {},
      el('td', { title: sub ? `${it.key} · ${sub}` : it.key },
        el('span', { class: 'label' }, label, sub ? el('small', { text: sub }) : null),
        el('div', { class: 'bar' }, el('i', { style: `width:${Math.min(100, 100 * share).toFixed(1)}%` }))),
      el('td', { class: 'num', text: F.count(it.value) }),
      cell(it.key, 'startup_ms_p90', F.ms),
      cell(it.key, 'rebuffering_ratio', F.pct),
      cell(it.key, 'vsf_rate', F.pct));
  }));
  $('.empty', panel).hidden = items.length > 0;
}

async function loadTop() {
  const w = st.window;
  const [byPlays, byNow, ...dims] = await Promise.all([
    api('/realtime/top?' + q({ dim: 'content_id', metric: 'plays', k: 10, window: w })),
    api('/realtime/top?' + q({ dim: 'content_id', metric: 'concurrent_plays', k: 10, window: w })),
    ...Object.entries(BD).map(([dim, k]) => api('/realtime/top?' + q({ dim, metric: 'plays', k, window: w }))),
  ]);
  renderRank($('#top-plays'), byPlays.items || [], F.count);
  renderRank($('#top-concurrent'), byNow.items || [], F.count);
  Object.keys(BD).forEach((dim, i) => {
    st.bdItems[dim] = dims[i].items || [];
    renderBreakdown(dim, st.bdItems[dim]);
  });
  stats.top++;
}

async function loadQoe() {
  const jobs = [];
  for (const [dim, items] of Object.entries(st.bdItems)) {
    for (const { key } of items) {
      jobs.push(api('/realtime/summary?' + q({ window: st.window, [dim]: key }))
        .then((s) => { st.qoe[`${dim}=${key}`] = s.metrics || {}; }));
    }
  }
  await Promise.all(jobs);
  for (const dim of Object.keys(BD)) renderBreakdown(dim, st.bdItems[dim] || []);
  stats.qoe++;
}

/* ------------------------------------------------------------ pipeline and tables */

function fig(name, text, unit) {
  const f = document.querySelector(`.fig[data-fig="${name}"]`);
  $('.v', f).textContent = text;
  if (unit !== undefined) $('.u', f).textContent = unit;
  return $('.v', f);
}

async function loadPipeline() {
  const p = await api('/pipeline');
  const arrived = performance.now();
  const prev = st.pipe;
  st.pipe = { p, arrived };
  const c = p.collector || {}, r = p.realtime || {};
  let dt = null;
  if (prev) {
    const up = p.uptime_s - prev.p.uptime_s;
    dt = isNum(up) && up > 0.05 ? up : (arrived - prev.arrived) / 1000;
  }
  const rate = (key) => {
    if (!prev || !dt) return null;
    const d = (c[key] ?? NaN) - (prev.p.collector?.[key] ?? NaN);
    return isNum(d) && d >= 0 ? d / dt : null;
  };
  const recv = rate('events_received'), acc = rate('events_accepted'), rej = rate('events_rejected');
  fig('received', F.count(recv));
  fig('accepted', F.count(acc));
  fig('rejected', F.count(rej)).classList.toggle('nonzero', isNum(rej) && rej > 0);
  fig('backlog', F.bytes(c.backlog_bytes));
  fig('commits', F.count(c.commits), c.commit_failures ? `${F.count(c.commit_failures)} failed` : 'to bronze')
    .classList.toggle('nonzero-fail', !!c.commit_failures);
  fig('last_commit', F.secs(c.last_commit_s));
  fig('late_events', F.count(r.late_events));
  fig('uptime', F.uptime(p.uptime_s));
  const badge = $('#ready');
  badge.dataset.state = c.ready === true ? 'ready' : c.ready === false ? 'notready' : 'unknown';
  badge.textContent = c.ready === true ? 'ready' : c.ready === false ? 'not ready' : F.DASH;

  const totals = [
    ['requests', F.count(c.requests)], ['received', F.count(c.events_received)],
    ['accepted', F.count(c.events_accepted)], ['rejected', F.count(c.events_rejected)],
    ['committed', F.count(c.events_committed)], ['dead letters', F.count(c.dead_letters_committed)],
    ['bytes in', F.bytes(c.bytes_received)], ['WAL fsyncs', F.count(c.wal_fsyncs)],
    ['duplicates', F.count(r.duplicates)], ['views tracked', F.count(r.views_tracked)],
    ['engine memory', F.bytes(r.memory_bytes)], ['watermark', F.clock(r.watermark)],
  ];
  $('#pipeline-totals').replaceChildren(...totals.map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v }))));

  if (isNum(recv)) {
    const h = st.ingest, keep = 180;
    h.t.push(Date.now() / 1000); h.recv.push(recv); h.acc.push(acc); h.rej.push(rej);
    if (h.t.length > keep) for (const k of Object.keys(h)) h[k].splice(0, h[k].length - keep);
    renderChart('ingest');
  }
  stats.pipeline++;
}

async function loadTables() {
  const r = await api('/tables');
  const now = Date.now();
  $('#tables tbody').replaceChildren(...(r.tables || []).map((t) => {
    if (t.version === null || t.version === undefined) {
      return el('tr', {}, el('td', { text: t.name, title: t.url || '' }),
        el('td', { class: 'num notyet', colspan: '5', text: 'not created yet' }));
    }
    const last = F.parseTime(t.last_commit);
    return el('tr', {},
      el('td', { text: t.name, title: t.url || '' }),
      el('td', { class: 'num', text: String(t.version) }),
      el('td', { class: 'num', text: F.count(t.files) }),
      el('td', { class: 'num', text: F.count(t.rows) }),
      el('td', { class: 'num', text: F.bytes(t.bytes) }),
      el('td', { class: 'num', title: t.last_commit || '', text: isNum(last) ? F.ago(now - last) : F.DASH }));
  }));
  stats.tables++;
}

/* ------------------------------------------------------------ the loop */

function renderConnection() {
  const failed = Object.entries(st.failures);
  const summaryDown = 'summary' in st.failures;
  const status = $('#status');
  let state = 'live', label = 'live';
  if (summaryDown) { state = 'offline'; label = 'offline'; }
  else if (!st.last) { state = 'connecting'; label = 'connecting'; }
  else if (!isNum(F.parseTime(st.last.now)) || !st.last.metrics?.events) { state = 'nodata'; label = 'no data'; }
  status.dataset.state = state;
  if (summaryDown && st.last) $('#engine-lag').textContent = 'last known';
  $('#status-label').textContent = label;
  $('#offline').hidden = failed.length === 0;
  $('#offline-text').textContent = failed.map(([, m]) => m).filter((m, i, a) => a.indexOf(m) === i).slice(0, 3).join('; ') + '.';
  $('#offline strong').textContent = summaryDown ? 'The API does not answer.' : 'Part of the API does not answer.';
  $('#updated').textContent = st.last ? `updated ${new Date().toISOString().slice(11, 19)} UTC` : '';
}

async function tick() {
  clearTimeout(st.timer);
  if (st.running) { st.again = true; return; }
  st.running = true;
  const t0 = performance.now();
  try {
    if (!document.hidden) {
      const n = st.tick++;
      const jobs = [part('summary', loadSummary), part('pipeline', loadPipeline)];
      if (n % 2 === 0 && st.view === 'live') {
        jobs.push(part('series', loadSeries), part('tables', loadTables));
        jobs.push(part('top', async () => { await loadTop(); if (n % 4 === 0) await part('qoe', loadQoe); }));
      }
      await Promise.all(jobs);
      stats.ticks++;
      renderConnection();
    }
  } finally {
    st.running = false;
    const wait = st.again ? 0 : Math.max(100, TICK_MS - (performance.now() - t0));
    st.again = false;
    st.timer = setTimeout(tick, wait);
  }
}

/* ------------------------------------------------------------ controls */

function readHash() {
  const h = new URLSearchParams(location.hash.slice(1));
  if (WINDOWS.includes(h.get('window'))) st.window = h.get('window');
  if (h.get('range') in RANGES) st.range = h.get('range');
  st.view = h.get('view') === 'history' ? 'history' : 'live';
  if (h.get('days') in H.RANGES) H.setRange(h.get('days'));
}

function writeHash() {
  const more = st.view === 'history' ? `&view=history&days=${H.range()}` : '';
  history.replaceState(null, '', `#window=${st.window}&range=${st.range}${more}`);
}

/* Live or History: which <main> shows (CSS on body[data-view]), the tabs,
 * the title; the history view polls while shown. */
function applyView() {
  const live = st.view === 'live';
  document.body.dataset.view = st.view;
  for (const b of $$('#view-tabs button')) b.setAttribute('aria-selected', String(b.dataset.view === st.view));
  $('#view-sub').textContent = live ? 'real-time' : 'history';
  document.title = live ? 'vidlake · live' : 'vidlake · history';
  H.show(!live);
}

function setView(v) {
  if (v === st.view) return;
  st.view = v;
  applyView();
  writeHash();
  if (v === 'live') { st.tick = 0; tick(); } /* the charts and tables catch up at once */
}

function syncControls() {
  for (const b of $$('#window-seg button')) b.setAttribute('aria-pressed', String(b.dataset.v === st.window));
  for (const b of $$('#range-seg button')) b.setAttribute('aria-pressed', String(b.dataset.v === st.range));
}

function restart() {
  st.tick = 0;
  st.qoe = {};
  syncControls();
  writeHash();
  tick();
}

$('#view-tabs').addEventListener('click', (e) => {
  const v = e.target.closest('button')?.dataset.view;
  if (v) setView(v);
});
$('#window-seg').addEventListener('click', (e) => {
  const v = e.target.closest('button')?.dataset.v;
  if (v && v !== st.window) { st.window = v; restart(); }
});
$('#range-seg').addEventListener('click', (e) => {
  const v = e.target.closest('button')?.dataset.v;
  if (v && v !== st.range) { st.range = v; st.series = {}; restart(); }
});

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  rebuildCharts();
  H.retheme();
}
let saved = (() => { try { return localStorage.getItem('vidlake-theme'); } catch { return null; } })();
const media = window.matchMedia('(prefers-color-scheme: light)');
document.documentElement.dataset.theme = saved || (media.matches ? 'light' : 'dark');
media.addEventListener('change', () => { if (!saved) applyTheme(media.matches ? 'light' : 'dark'); });
$('#theme').addEventListener('click', () => {
  const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
  saved = next;
  try { localStorage.setItem('vidlake-theme', next); } catch { /* private mode */ }
  applyTheme(next);
});
document.addEventListener('visibilitychange', () => { if (!document.hidden) tick(); });
window.addEventListener('hashchange', () => {
  const before = st.window + st.range, view = st.view;
  readHash();
  if (st.view !== view) { const v = st.view; st.view = view; setView(v); }
  if (st.window + st.range !== before) { st.series = {}; restart(); }
});

for (const h of $$('.host')) h.textContent = location.host;
H.init(() => writeHash());
readHash();
applyView();
syncControls();
for (const name of Object.keys(CHARTS)) makeChart(name);
tick();
