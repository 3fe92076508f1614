// vidlake - Apache-2.0
// The DuckDB side of the Parquet benchmark (scripts/bench.sh), one thread:
//   node bench/duckdb_parquet.mjs SRC.parquet OUT.parquet
// loads SRC into an in-memory table (not timed), times
// COPY ... TO OUT (FORMAT parquet, COMPRESSION zstd), then times a full scan
// of OUT and of SRC with read_parquet: a query that needs every value of
// every column. Prints lines in the same shape as bench_parquet.
import { DuckDBInstance } from '@duckdb/node-api';
import { statSync } from 'node:fs';

const [src, out] = process.argv.slice(2);
if (!src || !out) {
  console.error('usage: node bench/duckdb_parquet.mjs SRC.parquet OUT.parquet');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
await con.run('SET autoinstall_known_extensions=false');
await con.run('SET autoload_known_extensions=false');
const q = (s) => `'${s.replaceAll("'", "''")}'`;

await con.run(`CREATE TABLE t AS SELECT * FROM read_parquet(${q(src)})`);
const rows = Number((await con.runAndReadAll('SELECT count(*) FROM t')).getRows()[0][0]);
let t0 = performance.now();
await con.run(`COPY t TO ${q(out)} (FORMAT parquet, COMPRESSION zstd)`);
let secs = (performance.now() - t0) / 1000;
console.log(`write  ${out}  ${secs.toFixed(3)} s  ${(rows / secs / 1e6).toFixed(2)} M rows/s  ${statSync(out).size} bytes  (${rows} rows, zstd)`);
await con.run('DROP TABLE t');

// an expression per column that forces every value to be decoded
const cols = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${q(src)})`)).getRows();
const exprs = cols.map(([name, type]) => {
  const c = `"${String(name).replaceAll('"', '""')}"`;
  if (/CHAR|BLOB/.test(type)) return `sum(length(${c}))`;
  if (/TIMESTAMP/.test(type)) return `sum(epoch_us(${c}))`;
  if (/BOOL/.test(type)) return `sum(${c}::INT)`;
  return `sum(${c})`;
});
for (const f of [out, src]) {
  t0 = performance.now();
  await con.runAndReadAll(`SELECT ${exprs.join(', ')} FROM read_parquet(${q(f)})`);
  secs = (performance.now() - t0) / 1000;
  console.log(`read   ${f}  ${secs.toFixed(3)} s  (${rows} rows)`);
}
