// vidlake - Apache-2.0
// The DuckDB side of the file -> bronze benchmark (scripts/bench.sh):
//   node bench/duckdb_ingest.mjs EVENTS.ndjson OUT.parquet [THREADS]
// loads the NDJSON events with read_json and writes them as one zstd
// Parquet file, the nearest DuckDB does to `vidlake ingest` (no validation,
// no Delta log). Prints a line in the shape `vidlake ingest` is summarised in.
import { DuckDBInstance } from '@duckdb/node-api';
import { statSync } from 'node:fs';

const [src, out, threads = '2'] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: node bench/duckdb_ingest.mjs EVENTS.ndjson OUT.parquet [THREADS]');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:', { threads });
const con = await inst.connect();
await con.run('SET autoinstall_known_extensions=false');
await con.run('SET autoload_known_extensions=false');
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const t0 = performance.now();
await con.run(`COPY (SELECT * FROM read_json(${q(src)}, format='newline_delimited', ignore_errors=true))
               TO ${q(out)} (FORMAT parquet, COMPRESSION zstd)`);
const secs = (performance.now() - t0) / 1000;
const rows = Number((await con.runAndReadAll(`SELECT count(*) FROM read_parquet(${q(out)})`)).getRows()[0][0]);
console.log(`ingest duckdb  ${secs.toFixed(3)} s  ${(rows / secs).toFixed(0)} events/s  ${(statSync(src).size / secs / 1e6).toFixed(0)} MB/s  ${rows} rows`);
