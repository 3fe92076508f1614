// vidlake - Apache-2.0
// The DuckDB side of the Delta scan benchmark (scripts/bench.sh), one thread:
//   node bench/duckdb_delta_scan.mjs FILES.txt
// reads the data files listed in FILES.txt (the live files of a Delta
// snapshot, one path per line) with read_parquet and writes every row as
// NDJSON to /dev/null, the same work `vidlake table scan` does. Prints a
// line in the shape bench_delta prints.
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';

const [list] = process.argv.slice(2);
if (!list) {
  console.error('usage: node bench/duckdb_delta_scan.mjs FILES.txt');
  process.exit(2);
}
const files = readFileSync(list, 'utf8').split('\n').filter((l) => l.length > 0);
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
await con.run('SET autoinstall_known_extensions=false');
await con.run('SET autoload_known_extensions=false');
const q = (s) => `'${s.replaceAll("'", "''")}'`;
const src = `read_parquet([${files.map(q).join(', ')}])`;
const rows = Number((await con.runAndReadAll(`SELECT count(*) FROM ${src}`)).getRows()[0][0]);
const t0 = performance.now();
await con.run(`COPY (SELECT * FROM ${src}) TO '/dev/null' (FORMAT json)`);
const secs = (performance.now() - t0) / 1000;
console.log(`scan   duckdb   ${secs.toFixed(3)} s  ${(rows / secs / 1e6).toFixed(2)} M rows/s  ${rows} rows  ${files.length} files`);
