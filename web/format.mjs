/* vidlake - Apache-2.0 */
/*
 * How the dashboard writes numbers. Pure functions, no DOM: the page uses
 * them, and tests/browser/dashboard.mjs imports this file in Node to check
 * that each tile shows exactly format(value the page last fetched).
 *
 * Conventions: a missing value (null, undefined, NaN: "no data" in the API)
 * is an en dash "–". Output does not depend on the browser's locale
 * (grouping is always "," and the decimal point "."), so a screenshot and a
 * test read the same everywhere.
 */

export const DASH = '\u2013';

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

/* 3 significant digits for a value in [1, 1000): 1.23, 12.3, 123. */
function sig3(a) {
  if (a < 9.995) return a.toFixed(2);
  if (a < 99.95) return a.toFixed(1);
  return a.toFixed(0);
}

function group(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 1.23k, 45.6M, 7.89B; under 1000 as a whole number (one decimal under 10). */
export function compact(v) {
  if (!isNum(v)) return DASH;
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  if (a < 999.5) return sign + (a < 9.95 && !Number.isInteger(a) ? a.toFixed(1) : String(Math.round(a)));
  const units = [[1e3, 'k'], [1e6, 'M'], [1e9, 'B'], [1e12, 'T']];
  for (let i = 0; i < units.length; i++) {
    const s = a / units[i][0];
    if (s < 999.5 || i === units.length - 1) return sign + sig3(s) + units[i][1];
  }
  return DASH; /* not reached */
}

/** A count or a rate of things: 7, 2.5, 930, 3,310, then 12.3k, 1.23M. */
export function count(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a < 9.95 && !Number.isInteger(a)) return (v < 0 ? '-' : '') + a.toFixed(1);
  if (a < 9999.5) return (v < 0 ? '-' : '') + group(Math.round(a));
  return compact(v);
}

/** A ratio (0.00744) as a percentage: 0.74%, 12.5%, 100%; 0 is 0%. */
export function pct(r) {
  if (!isNum(r)) return DASH;
  const p = r * 100;
  const a = Math.abs(p);
  if (a === 0) return '0%';
  if (a < 0.01) return (p < 0 ? '>-' : '<') + '0.01%';
  if (a < 10) return p.toFixed(2) + '%';
  if (a < 99.95) return p.toFixed(1) + '%';
  return p.toFixed(0) + '%';
}

/** Milliseconds: 850 ms, 2.95 s, 12.4 s, 2.5 min. */
export function ms(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a < 999.5) return Math.round(v) + ' ms';
  if (a < 59950) return (v < 0 ? '-' : '') + sig3(a / 1000) + ' s';
  return (v / 60000).toFixed(1) + ' min';
}

/** Seconds (a latency): as ms(). */
export function secs(v) {
  return isNum(v) ? ms(v * 1000) : DASH;
}

/** US dollars: $0.42, $10.42, $1.23k. */
export function usd(v) {
  if (!isNum(v)) return DASH;
  const sign = v < 0 ? '-' : '';
  const a = Math.abs(v);
  if (a < 999.995) return sign + '$' + a.toFixed(2);
  return sign + '$' + compact(a);
}

/** Bytes, binary units: 512 B, 1.50 KiB, 12.3 MiB, 1.51 GiB. */
export function bytes(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a < 1023.5) return Math.round(v) + ' B';
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let s = a;
  for (let i = 0; i < units.length; i++) {
    s /= 1024;
    if (s < 999.5 || i === units.length - 1) return (v < 0 ? '-' : '') + sig3(s) + ' ' + units[i];
  }
  return DASH; /* not reached */
}

/** A bitrate in kbit/s: 850 kbps, 4.31 Mbps. */
export function kbps(v) {
  if (!isNum(v)) return DASH;
  if (Math.abs(v) < 999.5) return Math.round(v) + ' kbps';
  return sig3(Math.abs(v) / 1000) + ' Mbps';
}

/** A long duration in seconds: 42 s, 3m 20s, 2h 05m, 3d 4h. */
export function uptime(v) {
  if (!isNum(v) || v < 0) return DASH;
  const s = Math.floor(v);
  if (s < 60) return s + ' s';
  const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
  const two = (n) => String(n).padStart(2, '0');
  if (m < 60) return m + 'm ' + two(s % 60) + 's';
  if (h < 24) return h + 'h ' + two(m % 60) + 'm';
  return d + 'd ' + (h % 24) + 'h';
}

/** Watch time in seconds, as hours when long: 45 s, 12.5 min, 22.6 h, 1.23k h. */
export function hours(v) {
  if (!isNum(v)) return DASH;
  const a = Math.abs(v);
  if (a < 59.5) return Math.round(v) + ' s';
  if (a < 3600 * 0.9995) return sig3(a / 60) + ' min';
  if (a < 3600 * 999.5) return (v < 0 ? '-' : '') + sig3(a / 3600) + ' h';
  return compact(v / 3600) + ' h';
}

/** Parses an RFC 3339 string; NaN when absent or malformed. */
export function parseTime(s) {
  return typeof s === 'string' ? Date.parse(s) : NaN;
}

/** An RFC 3339 instant as "10:05:00 UTC" (to the second). */
export function clock(s) {
  const t = parseTime(s);
  if (!isNum(t)) return DASH;
  return new Date(t).toISOString().slice(11, 19) + ' UTC';
}

/** An RFC 3339 instant as "2026-12-07". */
export function day(s) {
  const t = parseTime(s);
  if (!isNum(t)) return DASH;
  return new Date(t).toISOString().slice(0, 10);
}

/** How long ago, from milliseconds: "just now", "12 s ago", "4 min ago", "3 h ago". */
export function ago(deltaMs) {
  if (!isNum(deltaMs)) return DASH;
  const s = Math.max(0, deltaMs) / 1000;
  if (s < 1) return 'just now';
  if (s < 60) return Math.floor(s) + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400 * 2) return Math.floor(s / 3600) + ' h ago';
  return Math.floor(s / 86400) + ' d ago';
}
