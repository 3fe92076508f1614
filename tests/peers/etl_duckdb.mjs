#!/usr/bin/env node
// vidlake - Apache-2.0
// DuckDB as a test peer for vidlake's batch pipeline: the same pipeline
// written as DuckDB SQL (bench/etl_duckdb.sql), run over a lake's bronze
// events, independently of src/etl.
//
//   node tests/peers/etl_duckdb.mjs LAKE OUTDIR [--threads N]
//
// Lists the live files of LAKE/bronze/events with `$VIDLAKE table files`
// (VIDLAKE defaults to build/vidlake in the repository), runs the SQL and
// writes OUTDIR/silver_views.ndjson, qoe_daily.ndjson, content_daily.ndjson,
// ad_daily.ndjson, kpi_daily.ndjson, user_daily.ndjson, user_segments.ndjson
// and churn_features.ndjson: one JSON object per row, columns as in
// docs/metrics.md, rows sorted by their key columns (the last three by date,
// user_id), in vidlake's NDJSON conventions (tests/peers/duckdb.mjs: dates
// "YYYY-MM-DD", timestamps "YYYY-MM-DDTHH:MM:SS.ffffffZ", integers exact,
// doubles with the shortest digits that round-trip laid out as C's %g, null
// as null). Prints
//   duckdb etl: N bronze rows, S s
// with the wall time of the SQL pipeline (reading bronze to the last gold
// table; not node's start-up nor writing the NDJSON), then the churn
// model's line, as in vidlake's log:
//   duckdb etl: churn model trained on N users (C churned), test AUC X
// (or "no churn model"). churn_score comes from the same gradient descent
// in another summation order: it agrees with vidlake's to about 1e-14.
//
// --parquet writes the tables as zstd Parquet instead (silver_events and
// silver_views partitioned by date), for the benchmark against `vidlake etl
// run`, which writes them as Delta tables.
// --threads N (or VIDLAKE_PEER_THREADS=N) sets DuckDB's `threads`. As in
// tests/peers/duckdb.mjs, extension auto-install and auto-load are off and no
// extension repository is reachable: nothing is ever downloaded.
//
// Arrival order: bronze files are taken in the order of their Delta
// modificationTime (ties: the order `table files` lists them in), the rows
// of a file in file order; events of the same microsecond of a view are
// folded in that order, and of resent events the first is kept.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, DuckDBTypeId } from '@duckdb/node-api';
import { fmtDouble } from './numfmt.mjs';

const T = DuckDBTypeId;
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const SQL_FILE = path.join(ROOT, 'bench', 'etl_duckdb.sql');

// The output tables and their key columns (the sort order, nulls first).
const OUTPUTS = [
  { name: 'silver_views', keys: ['view_id'] },
  { name: 'qoe_daily', keys: ['date', 'device_type', 'country', 'cdn', 'os'] },
  { name: 'content_daily', keys: ['date', 'content_id'] },
  { name: 'ad_daily', keys: ['date', 'ad_campaign_id', 'ad_position'] },
  { name: 'kpi_daily', keys: ['date'] },
  { name: 'user_daily', keys: ['date', 'user_id'] },
  { name: 'user_segments', keys: ['date', 'user_id'] },
  { name: 'churn_features', keys: ['date', 'user_id'] },
];

function usage(msg) {
  if (msg) process.stderr.write(`etl_duckdb: ${msg}\n`);
  process.stderr.write('usage: node tests/peers/etl_duckdb.mjs LAKE OUTDIR [--threads N] [--parquet]\n');
  process.exit(2);
}

// ------------------------------------------------------------------ numbers

function fmtValue(type, v) {
  if (v === null || v === undefined) return 'null';
  switch (type.typeId) {
    case T.BOOLEAN:
      return v ? 'true' : 'false';
    case T.TINYINT: case T.SMALLINT: case T.INTEGER: case T.BIGINT:
    case T.UTINYINT: case T.USMALLINT: case T.UINTEGER: case T.UBIGINT:
    case T.HUGEINT: case T.UHUGEINT:
      return v.toString();
    case T.DOUBLE: case T.FLOAT:
      return fmtDouble(v);
    case T.VARCHAR:
      return JSON.stringify(v);
    default:
      throw new Error(`no NDJSON convention here for DuckDB type ${type.toString()}`);
  }
}

// ------------------------------------------------------------------ driver

const sqlString = (s) => "'" + s.replace(/'/g, "''") + "'";
const sqlIdent = (s) => '"' + s.replace(/"/g, '""') + '"';

// The live files of LAKE/bronze/events in arrival order, and their rows
// (null when a file's add action has no numRecords).
function bronzeFiles(vidlake, lake) {
  const dir = path.join(lake, 'bronze', 'events');
  const out = execFileSync(vidlake, ['table', 'files', dir], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const files = out.split('\n').filter(Boolean).map((l, i) => ({ ...JSON.parse(l), i }));
  files.sort((a, b) => (Number(a.modificationTime) - Number(b.modificationTime)) || (a.i - b.i));
  let rows = 0;
  for (const f of files) rows = rows === null || f.numRecords === undefined ? null : rows + Number(f.numRecords);
  const abs = files.map((f) => {
    // a Delta path is a URI: relative (percent-encoded) or absolute
    if (/^file:/.test(f.path)) return fileURLToPath(f.path);
    return path.join(dir, decodeURIComponent(f.path));
  });
  return { paths: abs, rows };
}

async function open(threads) {
  const options = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
  };
  if (threads) options.threads = String(threads);
  const instance = await DuckDBInstance.create(':memory:', options);
  const conn = await instance.connect();
  await conn.run('SET autoinstall_known_extensions=false; SET autoload_known_extensions=false; ' +
    "SET custom_extension_repository='/nonexistent/vidlake-no-extension-downloads'; SET TimeZone='UTC'");
  return { instance, conn };
}

// Writes the rows of table t (sorted by its keys) as NDJSON to file.
async function writeTable(conn, t, file) {
  const desc = (await conn.runAndReadAll(`DESCRIBE ${sqlIdent(t.name)}`)).getRowObjectsJS();
  const cols = desc.map((r) => {
    const c = sqlIdent(r.column_name);
    if (r.column_type === 'DATE') return `CAST(${c} AS VARCHAR) AS ${c}`;
    if (r.column_type.startsWith('TIMESTAMP')) return `strftime(${c}, '%Y-%m-%dT%H:%M:%S.%fZ') AS ${c}`;
    return c;
  });
  const order = t.keys.map((k) => `${sqlIdent(k)} ASC NULLS FIRST`).join(', ');
  const result = await conn.stream(`SELECT ${cols.join(', ')} FROM ${sqlIdent(t.name)} ORDER BY ${order}`);
  const names = result.columnNames();
  const types = result.columnTypes();
  const keys = names.map((n) => JSON.stringify(n) + ':');
  const fd = fs.openSync(file, 'w');
  let n = 0;
  try {
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const vecs = names.map((_, c) => chunk.getColumnVector(c));
      let text = '';
      for (let r = 0; r < chunk.rowCount; r++) {
        let line = '{';
        for (let c = 0; c < names.length; c++) {
          if (c) line += ',';
          line += keys[c] + fmtValue(types[c], vecs[c].getItem(r));
        }
        text += line + '}\n';
      }
      fs.writeSync(fd, text);
      n += chunk.rowCount;
    }
  } finally {
    fs.closeSync(fd);
  }
  return n;
}

async function main() {
  const args = process.argv.slice(2);
  let threads = process.env.VIDLAKE_PEER_THREADS || '';
  let parquet = false;
  const pos = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threads') threads = args[++i];
    else if (args[i] === '--parquet') parquet = true;
    else if (args[i].startsWith('-')) usage(`unknown option ${args[i]}`);
    else pos.push(args[i]);
  }
  if (threads && !/^[1-9][0-9]*$/.test(threads)) usage(`--threads wants a positive integer, not '${threads}'`);
  if (pos.length !== 2) usage();
  const [lake, outDir] = pos;
  const vidlake = process.env.VIDLAKE || path.join(ROOT, 'build', 'vidlake');
  const { paths, rows: listedRows } = bronzeFiles(vidlake, lake);
  if (!paths.length) throw new Error(`${lake}/bronze/events has no live files`);
  fs.mkdirSync(outDir, { recursive: true });

  const { conn } = await open(threads);
  await conn.run(`SET VARIABLE bronze_files = [${paths.map(sqlString).join(', ')}]::VARCHAR[]`);
  const sql = fs.readFileSync(SQL_FILE, 'utf8');
  const t0 = performance.now();
  const st = await conn.extractStatements(sql);
  for (let i = 0; i < st.count; i++) await (await st.prepare(i)).run();
  if (parquet) {
    // the benchmark's form: every table written as zstd Parquet, as vidlake
    // writes its Delta tables (silver partitioned by date), and no NDJSON
    const out = (n) => sqlString(path.join(outDir, n));
    await conn.run(`COPY silver_events TO ${out('silver_events')} (FORMAT parquet, COMPRESSION zstd, ` +
      'PARTITION_BY (event_date), OVERWRITE_OR_IGNORE)');
    await conn.run(`COPY silver_views TO ${out('silver_views')} (FORMAT parquet, COMPRESSION zstd, ` +
      'PARTITION_BY (view_date), OVERWRITE_OR_IGNORE)');
    for (const t of OUTPUTS.slice(1))
      await conn.run(`COPY ${sqlIdent(t.name)} TO ${out(t.name + '.parquet')} (FORMAT parquet, COMPRESSION zstd)`);
  }
  const secs = (performance.now() - t0) / 1000;
  let rows = listedRows;
  if (rows === null) {
    const r = await conn.runAndReadAll('SELECT count(*) FROM read_parquet(getvariable(\'bronze_files\'))');
    rows = Number(r.getRows()[0][0]);
  }
  if (!parquet) for (const t of OUTPUTS) await writeTable(conn, t, path.join(outDir, `${t.name}.ndjson`));
  process.stdout.write(`duckdb etl: ${rows} bronze rows, ${secs.toFixed(3)} s\n`);
  const m = (await conn.runAndReadAll('SELECT * FROM churn_model')).getRowObjectsJS()[0];
  if (!m || !m.trained) process.stdout.write('duckdb etl: no churn model (it needs 8 days of user_daily)\n');
  else process.stdout.write(`duckdb etl: churn model trained on ${m.train_rows} users (${m.churned} churned), ` +
    `test AUC ${m.test_auc === null ? 'none' : m.test_auc.toFixed(3)}\n`);
}

main().catch((e) => {
  process.stderr.write(`etl_duckdb: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
