#!/usr/bin/env node
// DuckDB as a test peer for vidlake's Parquet reader and writer.
//
//   node tests/peers/duckdb.mjs cat FILE [--columns a,b] [--limit N] [--threads N]
//       prints the rows of a Parquet file as NDJSON in vidlake's conventions
//       (DESIGN.md, "NDJSON output of rows"), so the output can be compared
//       line by line with `vidlake parquet cat FILE`; --columns picks
//       top-level columns (in the order given), as vidlake's does.
//   node tests/peers/duckdb.mjs cat-to DIR FILE... [--columns a,b] [--threads N]
//       the same for many files in one process (starting node and DuckDB
//       takes about a second): writes DIR/<basename of FILE>.ndjson, or
//       DIR/<basename>.err with DuckDB's message when it cannot read FILE.
//   node tests/peers/duckdb.mjs sql "SQL" [--threads N]
//       runs SQL (one or more statements, e.g. COPY (...) TO 'f.parquet');
//       the rows of the last statement, if any, are printed the same way.
//   node tests/peers/duckdb.mjs version
//       prints the DuckDB version.
//
// --threads N (or VIDLAKE_PEER_THREADS=N) sets DuckDB's `threads`; use 1 for
// single-threaded benchmarks. Every connection has extension auto-install and
// auto-load turned off and no reachable extension repository: this peer only
// uses what is statically linked into the npm bindings (parquet, json, icu,
// core_functions) and never downloads anything.
//
// Conventions (kept in step with src/parquet/parquet_rows.c):
//   keys in schema order; integers as JSON numbers, exact at any width
//   (BIGINT, UBIGINT, HUGEINT, UHUGEINT print from BigInt); floats with the
//   shortest digits that round-trip (FLOAT as a float32, DOUBLE as a
//   float64), laid out as C's %g would with precision max(6|15, digits):
//   exponent form when the decimal exponent is < -4 or >= that precision;
//   -0 stays "-0"; NaN / Infinity / -Infinity as strings; timestamps as
//   "YYYY-MM-DDTHH:MM:SS.ffffffZ" when the Parquet column is an instant
//   (isAdjustedToUTC=true, the legacy TIMESTAMP_MILLIS/MICROS converted
//   types, INT96) and without the "Z" when it is a local date-time
//   (isAdjustedToUTC=false): DuckDB reads the legacy and INT96 forms as
//   TIMESTAMP, so `cat` looks the columns up in parquet_schema();
//   TIMESTAMP_NS/TIME_NS floored to microseconds; years outside 0000..9999
//   in ISO 8601 expanded form (+YYYYYY); dates "YYYY-MM-DD"; times
//   "HH:MM:SS.ffffff"; decimals as strings with exactly their scale; BLOB
//   as base64; UUID canonical lower case; lists and arrays as arrays;
//   structs as objects; maps with VARCHAR keys as objects, other maps as
//   arrays of [key, value]; null as null. Types without a convention
//   (INTERVAL, UNION, BIT, ...) are an error.
import fs from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, DuckDBTypeId, ResultReturnType } from '@duckdb/node-api';
import { fmtDouble, layoutG, nonFinite } from './numfmt.mjs';

const T = DuckDBTypeId;
const US_PER_DAY = 86400000000n;

function usage(msg) {
  if (msg) process.stderr.write(`duckdb peer: ${msg}\n`);
  process.stderr.write('usage: node tests/peers/duckdb.mjs cat FILE [--columns a,b] [--limit N] [--threads N]\n' +
    '       node tests/peers/duckdb.mjs cat-to DIR FILE... [--columns a,b] [--threads N]\n' +
    '       node tests/peers/duckdb.mjs sql "SQL" [--threads N]\n' +
    '       node tests/peers/duckdb.mjs version\n');
  process.exit(2);
}

// ------------------------------------------------------------------ numbers

// The exact decimal expansion of a finite non-zero double: its significant
// digits and the decimal exponent of the first one.
function exactDigits(a) {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, a);
  const bits = buf.getBigUint64(0);
  const be = Number((bits >> 52n) & 0x7ffn);
  let m = bits & ((1n << 52n) - 1n);
  let e2;
  if (be === 0) e2 = -1074; else { m |= 1n << 52n; e2 = be - 1075; }
  // a = m * 2^e2 = (m * 5^-e2) * 10^e2 when e2 < 0
  let int, scale;
  if (e2 >= 0) { int = m << BigInt(e2); scale = 0; } else { int = m * 5n ** BigInt(-e2); scale = -e2; }
  const s = int.toString();
  return { digits: s.replace(/0+$/, ''), exp: s.length - 1 - scale };
}

// Rounds digits to p significant digits, ties to even (as printf does on the
// exact value); returns {digits, exp}.
function roundEven(d, exp, p) {
  if (d.length <= p) return { digits: d, exp };
  const head = d.slice(0, p), rest = d.slice(p);
  const half = rest[0] > '5' || (rest[0] === '5' && /[1-9]/.test(rest.slice(1))) ? 1
             : rest[0] === '5' ? 0 : -1; // 1 above half, 0 exactly half, -1 below
  let up = half > 0 || (half === 0 && Number(head[head.length - 1]) % 2 === 1);
  if (!up) return { digits: head.replace(/0+$/, '') || '0', exp };
  const n = (BigInt(head) + 1n).toString();
  if (n.length > head.length) return { digits: n.slice(0, p).replace(/0+$/, '') || '0', exp: exp + 1 };
  return { digits: n.replace(/0+$/, '') || '0', exp };
}

// Shortest digits that read back as the same float, found the way printf's
// %.{p}g finds them (ties to even), so both sides agree digit for digit.
function fmtFloat(v) {
  if (!Number.isFinite(v)) return nonFinite(v);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const a = Math.abs(v);
  const ex = exactDigits(a);
  let r = roundEven(ex.digits, ex.exp, 9);
  for (let p = 1; p <= 9; p++) {
    const c = roundEven(ex.digits, ex.exp, p);
    if (Math.fround(Number(c.digits[0] + '.' + (c.digits.slice(1) || '0') + 'e' + c.exp)) === a) { r = c; break; }
  }
  return layoutG(v < 0, r.digits, r.exp, Math.max(6, r.digits.length));
}

function fmtDecimal(value, scale) {
  const neg = value < 0n;
  let s = (neg ? -value : value).toString();
  if (scale > 0) {
    s = s.padStart(scale + 1, '0');
    s = s.slice(0, s.length - scale) + '.' + s.slice(s.length - scale);
  }
  return '"' + (neg ? '-' : '') + s + '"';
}

// ------------------------------------------------------------------ time

const pad = (n, w) => String(n).padStart(w, '0');

// Civil date of a day number (days since 1970-01-01), H. Hinnant's algorithm.
function civil(days) {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

function fmtYear(y) {
  if (y >= 0 && y <= 9999) return pad(y, 4);
  return (y < 0 ? '-' : '+') + pad(Math.abs(y), 6);
}

function fmtDateDays(days) {
  const { y, m, d } = civil(days);
  return `${fmtYear(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

function floorDiv(a, b) { // BigInt floor division
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function fmtTimeOfDay(us) { // BigInt microseconds since midnight, 0 <= us <= 24h
  const secs = Number(us / 1000000n);
  const frac = Number(us % 1000000n);
  return `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}.${pad(frac, 6)}`;
}

function fmtTimestampUs(us, utc) {
  const day = floorDiv(us, US_PER_DAY);
  const rem = us - day * US_PER_DAY;
  return '"' + fmtDateDays(Number(day)) + 'T' + fmtTimeOfDay(rem) + (utc ? 'Z"' : '"');
}

// ------------------------------------------------------------------ values

// Timestamp leaves whose Parquet column holds instants carry utc: true on a
// private copy of their type node (see utcTypes): DuckDB shares one type
// object among all columns of a type, so marks cannot go on it.
const isUtc = (type) => type.utc === true;

function fmtValue(type, v) {
  if (v === null || v === undefined) return 'null';
  switch (type.typeId) {
    case T.BOOLEAN:
      return v ? 'true' : 'false';
    case T.TINYINT: case T.SMALLINT: case T.INTEGER: case T.BIGINT:
    case T.UTINYINT: case T.USMALLINT: case T.UINTEGER: case T.UBIGINT:
    case T.HUGEINT: case T.UHUGEINT:
      return v.toString();
    case T.FLOAT:
      return fmtFloat(v);
    case T.DOUBLE:
      return fmtDouble(v);
    case T.DECIMAL:
      return fmtDecimal(v.value, v.scale);
    case T.VARCHAR:
      return JSON.stringify(v);
    case T.ENUM:
      return JSON.stringify(String(v));
    case T.BLOB:
      return '"' + Buffer.from(v.bytes).toString('base64') + '"';
    case T.UUID:
      return '"' + v.toString() + '"';
    case T.DATE:
      return '"' + fmtDateDays(v.days) + '"';
    case T.TIME:
      return '"' + fmtTimeOfDay(v.micros) + '"';
    case T.TIME_NS:
      return '"' + fmtTimeOfDay(floorDiv(v.nanos, 1000n)) + '"';
    case T.TIME_TZ: // a Parquet TIME with isAdjustedToUTC=true: the UTC time of day
      return '"' + fmtTimeOfDay(BigInt(v.micros)) + '"';
    case T.TIMESTAMP:
      return fmtTimestampUs(v.micros, isUtc(type));
    case T.TIMESTAMP_TZ:
      return fmtTimestampUs(v.micros, true);
    case T.TIMESTAMP_S:
      return fmtTimestampUs(v.seconds * 1000000n, isUtc(type));
    case T.TIMESTAMP_MS:
      return fmtTimestampUs(v.millis * 1000n, isUtc(type));
    case T.TIMESTAMP_NS:
      return fmtTimestampUs(floorDiv(v.nanos, 1000n), isUtc(type));
    case T.LIST: case T.ARRAY:
      return '[' + v.items.map((x) => fmtValue(type.valueType, x)).join(',') + ']';
    case T.STRUCT:
      return '{' + type.entryNames.map((n, i) =>
        JSON.stringify(n) + ':' + fmtValue(type.entryTypes[i], v.entries[n])).join(',') + '}';
    case T.MAP:
      if (type.keyType.typeId === T.VARCHAR) {
        return '{' + v.entries.map((e) =>
          (e.key === null ? '""' : JSON.stringify(e.key)) + ':' + fmtValue(type.valueType, e.value)).join(',') + '}';
      }
      return '[' + v.entries.map((e) =>
        '[' + fmtValue(type.keyType, e.key) + ',' + fmtValue(type.valueType, e.value) + ']').join(',') + ']';
    default:
      throw new Error(`no NDJSON convention for DuckDB type ${type.toString()}`);
  }
}

// ------------------------------------------------------------------ driver

async function open(threads) {
  const options = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
  };
  if (threads) options.threads = String(threads);
  const instance = await DuckDBInstance.create(':memory:', options);
  const conn = await instance.connect();
  // belt and braces: the same settings as statements, so a binding that
  // ignored an option would still never fetch an extension; an explicit
  // INSTALL in `sql` fails at once (a local repository that does not exist)
  // instead of going to extensions.duckdb.org; UTC so that any
  // TIMESTAMPTZ-to-text conversion inside SQL is the same on every machine
  await conn.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false; ' +
    "SET custom_extension_repository='/nonexistent/vidlake-no-extension-downloads'; SET TimeZone='UTC'");
  return { instance, conn };
}

// Writes the rows of a streaming result as NDJSON lines to out (a stream).
async function writeRows(result, limit, types = result.columnTypes(), out = process.stdout) {
  const names = result.columnNames();
  const keys = names.map((n) => JSON.stringify(n) + ':');
  let written = 0;
  for (;;) {
    if (limit >= 0 && written >= limit) break;
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const cols = [];
    for (let c = 0; c < names.length; c++) cols.push(chunk.getColumnVector(c));
    let text = '';
    for (let r = 0; r < chunk.rowCount; r++) {
      if (limit >= 0 && written >= limit) break;
      let line = '{';
      for (let c = 0; c < names.length; c++) {
        if (c) line += ',';
        line += keys[c] + fmtValue(types[c], cols[c].getItem(r));
      }
      text += line + '}\n';
      written++;
    }
    if (!out.write(text)) await new Promise((res) => out.once('drain', res));
  }
}

// The rows of one Parquet file; side is a second connection for the
// schema lookup (a query on conn would end its streaming result).
async function catFile(conn, side, file, columns, limit, out) {
  const list = columns ? columns.map(sqlIdent).join(', ') : '*';
  const result = await conn.stream(`SELECT ${list} FROM read_parquet(${sqlString(file)})`);
  const types = await utcTypes(side, file, result.columnNames(), result.columnTypes());
  await writeRows(result, limit, types, out);
}

const sqlString = (s) => "'" + s.replace(/'/g, "''") + "'";
const sqlIdent = (s) => '"' + s.replace(/"/g, '""') + '"';

// The leaves of a DuckDB type, depth first, in the order of the Parquet
// leaf columns they come from (struct fields, list element, map key then
// value).
function typeLeaves(type, out) {
  switch (type.typeId) {
    case T.STRUCT: type.entryTypes.forEach((t) => typeLeaves(t, out)); break;
    case T.LIST: case T.ARRAY: typeLeaves(type.valueType, out); break;
    case T.MAP: typeLeaves(type.keyType, out); typeLeaves(type.valueType, out); break;
    default: out.push(type);
  }
  return out;
}

// A copy of type whose leaves (depth first) listed in marks get utc: true.
function markLeaves(type, marks, pos) {
  const copy = (t, extra) => Object.assign(Object.create(Object.getPrototypeOf(t)), t, extra);
  switch (type.typeId) {
    case T.STRUCT: return copy(type, { entryTypes: type.entryTypes.map((t) => markLeaves(t, marks, pos)) });
    case T.LIST: case T.ARRAY: return copy(type, { valueType: markLeaves(type.valueType, marks, pos) });
    case T.MAP: {
      const keyType = markLeaves(type.keyType, marks, pos);
      return copy(type, { keyType, valueType: markLeaves(type.valueType, marks, pos) });
    }
    default: return marks.has(pos.i++) ? copy(type, { utc: true }) : type;
  }
}

// Marks the TIMESTAMP columns that the Parquet file declares as instants but
// DuckDB reads as local TIMESTAMP: INT96, and the legacy converted types
// TIMESTAMP_MILLIS/MICROS without a logical type (LogicalTypes.md: these
// mean isAdjustedToUTC=true). Leaves are matched by position per top-level
// column; when the shapes disagree the column keeps DuckDB's reading.
async function utcTypes(conn, file, names, types) {
  const r = await conn.runAndReadAll(
    `SELECT name, type, num_children, converted_type, logical_type FROM parquet_schema(${sqlString(file)})`);
  const rows = r.getRowObjectsJS();
  // rebuild the tree: row 0 is the root, children follow depth first
  let i = 1;
  const leavesOf = () => {
    const row = rows[i++];
    const n = Number(row.num_children || 0);
    if (n === 0) return [row];
    const out = [];
    for (let k = 0; k < n && i < rows.length; k++) out.push(...leavesOf());
    return out;
  };
  const top = new Map();
  const nTop = Number(rows[0].num_children || 0);
  for (let k = 0; k < nTop && i < rows.length; k++) {
    const name = rows[i].name;
    top.set(name, leavesOf());
  }
  return names.map((name, c) => {
    const pq = top.get(name);
    const dk = typeLeaves(types[c], []);
    if (!pq || pq.length !== dk.length) return types[c];
    const marks = new Set();
    dk.forEach((t, k) => {
      const leaf = pq[k];
      const legacy = !leaf.logical_type && /^TIMESTAMP_(MILLIS|MICROS)$/.test(leaf.converted_type || '');
      const instant = /isAdjustedToUTC=(1|true)/.test(leaf.logical_type || '');
      if (leaf.type === 'INT96' || legacy || instant) marks.add(k);
    });
    return marks.size ? markLeaves(types[c], marks, { i: 0 }) : types[c];
  });
}

async function main() {
  const args = process.argv.slice(2);
  let threads = process.env.VIDLAKE_PEER_THREADS || '';
  let limit = -1;
  let columns = null;
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') threads = args[++i];
    else if (args[i] === '--columns') columns = (args[++i] || '').split(',');
    else if (args[i] === '--limit') limit = Number(args[++i]);
    else pos.push(args[i]);
  }
  if (threads && !/^[1-9][0-9]*$/.test(threads)) usage(`--threads wants a positive integer, not '${threads}'`);
  if (Number.isNaN(limit)) usage('--limit wants a number');
  const [cmd, arg] = pos;
  if (cmd === 'cat-to') {
    if (pos.length < 2) usage();
    const { instance, conn } = await open(threads);
    const side = await instance.connect();
    for (const file of pos.slice(2)) {
      const base = path.join(arg, path.basename(file));
      try {
        const out = fs.createWriteStream(base + '.ndjson');
        try {
          await catFile(conn, side, file, columns, limit, out);
        } finally {
          await new Promise((res, rej) => out.end((e) => (e ? rej(e) : res())));
        }
      } catch (e) {
        fs.rmSync(base + '.ndjson', { force: true });
        fs.writeFileSync(base + '.err', `${e && e.message ? e.message : e}\n`);
      }
    }
    return;
  }
  if (cmd === 'version' && pos.length === 1) {
    const { conn } = await open(threads);
    const r = await conn.runAndReadAll('SELECT version()');
    process.stdout.write(r.getRows()[0][0] + '\n');
    return;
  }
  if (pos.length !== 2 || (cmd !== 'cat' && cmd !== 'sql')) usage();
  const { instance, conn } = await open(threads);
  if (cmd === 'cat') {
    await catFile(conn, await instance.connect(), arg, columns, limit, process.stdout);
  } else {
    // all statements but the last run for their effect; the last one streams
    const extracted = await conn.extractStatements(arg);
    const n = extracted.count;
    if (n === 0) return;
    for (let i = 0; i < n - 1; i++) await (await extracted.prepare(i)).run();
    const result = await (await extracted.prepare(n - 1)).stream();
    // (no Parquet schema to consult here: TIMESTAMP prints without "Z")
    // COPY, DDL and DML report a row count or nothing: only query rows print
    if (result.returnType === ResultReturnType.QUERY_RESULT) await writeRows(result, limit);
  }
}

main().catch((e) => {
  process.stderr.write(`duckdb peer: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
