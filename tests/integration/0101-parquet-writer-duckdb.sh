# vidlake's Parquet writer against DuckDB as a reader: every file the
# writer's unit tests produce (build/<mode>/test/parquet_writer_test with
# VIDLAKE_PQ_DUMP: 400 random nested schemas through every codec/encoding
# choice, and the hand-made cases: every type, extremes, NaN/±0, long strings
# with truncated statistics, empty lists, all-null columns, zero rows,
# dictionary fallback, many row groups, each codec) must
#   a. be read by DuckDB with the same values `vidlake parquet cat` prints,
#      line for line (one check per case family, the first differing lines
#      of each failing file shown);
#   b. carry statistics DuckDB agrees with: for every top-level primitive
#      column and row group, parquet_metadata()'s min/max/null count against
#      DuckDB's own min()/max()/count() of the data (DuckDB prunes row groups
#      with them, so a wrong bound loses rows).
# Differences that are representation, not data, are named where handled:
#   - a MAP whose key_value has no value field (LogicalTypes.md allows it):
#     DuckDB refuses the file; the unit test also writes the same data with
#     those maps annotated LIST ("random_mapaslist-N"), which is compared.
#   - FLOAT values exactly halfway between two shortest decimal forms: both
#     forms name the same float32; vidlake (printf) rounds the tie to even,
#     the peer (JS toExponential) away from zero. Counted, not failed, and
#     only when the two texts are the two neighbours of that exact tie.
#   - INT96 files go through their own peer process: the peer marks UTC
#     timestamp types in a process-wide set of DuckDB type objects, which are
#     shared, so a local TIMESTAMP read after an INT96 column would get a "Z".
# Skipped, with a reason, when node or the npm packages are missing.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
T="parquet writer vs duckdb"
UNIT="$(dirname "$VIDLAKE")/test/parquet_writer_test"

need_duckdb_peer "$T"
if [ ! -x "$UNIT" ]; then
  fail "$T: no $UNIT (make MODE=... tests-build builds it next to \$VIDLAKE)"
  exit 0
fi

# ------------------------------------------------------------ the files
OUT="$WORK/out"
mkdir -p "$OUT" "$WORK/d" "$WORK/v"
if ! VIDLAKE_PQ_DUMP="$OUT" "$UNIT" > "$WORK/unit.log" 2>&1; then
  fail "$T: $UNIT failed with VIDLAKE_PQ_DUMP set"
  grep -v '^ok ' "$WORK/unit.log" | head -20
fi
shopt -s nullglob
all=("$OUT"/*.parquet)
n_all=${#all[@]}
if [ "$n_all" -lt 400 ]; then
  fail "$T: the unit test wrote $n_all files to VIDLAKE_PQ_DUMP, expected 400 random ones and more"
fi
int96=("$OUT"/int96-*.parquet)
rest=()
for f in "${all[@]}"; do case $(basename "$f") in int96-*) ;; *) rest+=("$f") ;; esac; done

# vidlake (two at a time) while DuckDB reads them all
printf '%s\n' "${all[@]}" | xargs -P 2 -I{} sh -c \
  'b=$(basename "$1"); "$2" parquet cat "$1" > "$3/$b.ndjson" 2> "$3/$b.err" || echo "$?" > "$3/$b.status"' \
  sh {} "$VIDLAKE" "$WORK/v" &
vpid=$!
node "$PEER" cat-to "$WORK/d" "${rest[@]}"
[ ${#int96[@]} -gt 0 ] && node "$PEER" cat-to "$WORK/d" "${int96[@]}"
wait "$vpid"

# ------------------------------------------------------------ a. rows
cat > "$WORK/compare.cjs" <<'EOF'
// node compare.cjs VDIR DDIR NAME...: for each NAME, VDIR/NAME.ndjson (vidlake)
// against DDIR/NAME.ndjson (DuckDB). Prints per file one of
//   same NAME | ties NAME COUNT | diff NAME LINE <tab> vidlake <tab> duckdb <tab> first difference
const fs = require('fs');

// JSON with numbers kept as their text (big integers must not be rounded).
function parse(s) {
  let i = 0;
  const ws = () => { while (s[i] === ' ') i++; };
  function val() {
    ws();
    const c = s[i];
    if (c === '{') {
      i++; const o = []; ws();
      if (s[i] === '}') { i++; return { obj: o }; }
      for (;;) { const k = val(); ws(); i++; o.push([k, val()]); ws(); if (s[i++] === '}') return { obj: o }; }
    }
    if (c === '[') {
      i++; const a = []; ws();
      if (s[i] === ']') { i++; return { arr: a }; }
      for (;;) { a.push(val()); ws(); if (s[i++] === ']') return { arr: a }; }
    }
    if (c === '"') {
      let j = i + 1;
      while (s[j] !== '"') { if (j >= s.length) throw new Error('bad string'); j += s[j] === '\\' ? 2 : 1; }
      const r = JSON.parse(s.slice(i, j + 1)); i = j + 1; return r;
    }
    const m = /^(true|false|null|-?[0-9][0-9.eE+-]*)/.exec(s.slice(i));
    if (!m) throw new Error('bad token at ' + i);
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : { num: m[0] };
  }
  const v = val(); ws();
  if (i !== s.length) throw new Error('trailing text');
  return v;
}

// Exact decimal of a number text: [sign, digits BigInt, exponent] = d * 10^e.
function dec(t) {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/.exec(t);
  if (!m) return null;
  const frac = m[3] || '';
  return { neg: m[1] === '-', d: BigInt(m[2] + frac), e: Number(m[4] || 0) - frac.length,
           sig: (m[2] + frac).replace(/^0+/, '').replace(/0+$/, '').length };
}

// a and b are the two shortest decimals around one float32 exactly halfway
// between them: same sign, same number of significant digits (<= 9), the
// same float32, and a + b == 2 * f exactly.
function floatTie(a, b) {
  const x = dec(a), y = dec(b);
  if (!x || !y || x.neg !== y.neg || x.sig !== y.sig || x.sig > 9) return false;
  const f = Math.fround(Number(a));
  if (f !== Math.fround(Number(b)) || !Number.isFinite(f) || f === 0) return false;
  // f = m * 2^p exactly
  const dv = new DataView(new ArrayBuffer(4));
  dv.setFloat32(0, Math.abs(f));
  const bits = dv.getUint32(0);
  const ex = (bits >>> 23) & 0xff;
  const m = BigInt(ex ? (bits & 0x7fffff) | 0x800000 : bits & 0x7fffff);
  const p = (ex ? ex : 1) - 150;
  // align a and b to the exponent e = min(ea, eb): sum = S * 10^e
  const e = Math.min(x.e, y.e);
  const S = x.d * 10n ** BigInt(x.e - e) + y.d * 10n ** BigInt(y.e - e);
  // S * 10^e == 2 * m * 2^p  <=>  S * 10^e * 2^-p == 2m (all as integers)
  let L = S, R = 2n * m;
  if (e >= 0) L *= 10n ** BigInt(e); else R *= 10n ** BigInt(-e);
  if (p >= 0) R *= 2n ** BigInt(p); else L *= 2n ** BigInt(-p);
  return L === R;
}

// Walks two parsed values; returns {ties, diff} (diff: the first path that differs).
function cmp(a, b, path, st) {
  if (st.diff) return;
  const kind = (v) => (v === null || typeof v !== 'object' ? 'scalar' : 'num' in v ? 'num' : 'obj' in v ? 'obj' : 'arr');
  const ka = kind(a), kb = kind(b);
  if (ka === 'num' && kb === 'num') {
    if (a.num === b.num) return;
    if (floatTie(a.num, b.num)) { st.ties++; return; }
    st.diff = `${path}: vidlake ${a.num}, duckdb ${b.num}`;
    return;
  }
  if (ka !== kb) { st.diff = `${path}: vidlake ${JSON.stringify(a)}, duckdb ${JSON.stringify(b)}`; return; }
  if (ka === 'scalar') {
    if (a !== b) st.diff = `${path}: vidlake ${JSON.stringify(a)}, duckdb ${JSON.stringify(b)}`;
    return;
  }
  if (ka === 'arr') {
    if (a.arr.length !== b.arr.length) { st.diff = `${path}: ${a.arr.length} elements from vidlake, ${b.arr.length} from duckdb`; return; }
    a.arr.forEach((x, i) => cmp(x, b.arr[i], `${path}[${i}]`, st));
    return;
  }
  if (a.obj.length !== b.obj.length) { st.diff = `${path}: ${a.obj.length} keys from vidlake, ${b.obj.length} from duckdb`; return; }
  a.obj.forEach(([k, v], i) => {
    if (st.diff) return;
    if (b.obj[i][0] !== k) { st.diff = `${path}: key ${JSON.stringify(k)} from vidlake, ${JSON.stringify(b.obj[i][0])} from duckdb`; return; }
    cmp(v, b.obj[i][1], path + '.' + k, st);
  });
}

const [vdir, ddir, ...names] = process.argv.slice(2);
for (const n of names) {
  const A = fs.readFileSync(`${vdir}/${n}.ndjson`, 'utf8').split('\n');
  const B = fs.readFileSync(`${ddir}/${n}.ndjson`, 'utf8').split('\n');
  const st = { ties: 0, diff: null };
  let line = 0;
  for (let l = 0; l < Math.max(A.length, B.length) && !st.diff; l++) {
    if (A[l] === B[l]) continue;
    line = l + 1;
    if (A[l] === undefined || B[l] === undefined) { st.diff = 'row counts differ'; break; }
    try { cmp(parse(A[l]), parse(B[l]), '', st); } catch (e) { st.diff = 'unparsable line: ' + e.message; }
  }
  const clip = (s) => (s === undefined ? '(no such line)' : s.length > 600 ? s.slice(0, 600) + '...' : s);
  if (st.diff) console.log(['diff', n, line].join(' ') + '\t' + clip(A[line - 1]) + '\t' + clip(B[line - 1]) + '\t' + st.diff);
  else if (st.ties) console.log(`ties ${n} ${st.ties}`);
  else console.log(`same ${n}`);
}
EOF

declare -A fam_files fam_bad fam_ties
skipped_map=0 skipped_map_first=""
compare=()
for f in "${all[@]}"; do
  b=$(basename "$f"); fam=${b%-*.parquet}
  fam_files[$fam]=$(( ${fam_files[$fam]:-0} + 1 ))
  if [ -f "$WORK/v/$b.status" ]; then
    fail "$T: $b: vidlake parquet cat failed (status $(cat "$WORK/v/$b.status")): $(head -c 300 "$WORK/v/$b.err")"
    fam_bad[$fam]=1
    continue
  fi
  if [ ! -f "$WORK/d/$b.ndjson" ]; then
    if [ "$fam" = random ] && grep -q "MAP_KEY_VALUE requires two children" "$WORK/d/$b.err" 2>/dev/null &&
       [ -f "$OUT/random_mapaslist-${b#random-}" ]; then
      skipped_map=$((skipped_map + 1)); skipped_map_first=${skipped_map_first:-$b}
    else
      fail "$T: DuckDB cannot read $b: $(head -c 300 "$WORK/d/$b.err" 2>/dev/null)"
      fam_bad[$fam]=1
    fi
    continue
  fi
  compare+=("$b")
done
if [ ${#compare[@]} -gt 0 ]; then
  node "$WORK/compare.cjs" "$WORK/v" "$WORK/d" "${compare[@]}" > "$WORK/cmp.out"
fi
declare -A fam_shown
while IFS= read -r l; do
  read -r kind b n_ties _ <<< "${l%%$'\t'*}"
  fam=${b%-*.parquet}
  case $kind in
    same) ;;
    ties) fam_ties[$fam]=$(( ${fam_ties[$fam]:-0} + n_ties )) ;;
    diff)
      fam_bad[$fam]=1
      fam_shown[$fam]=$(( ${fam_shown[$fam]:-0} + 1 ))
      if [ "${fam_shown[$fam]}" -le 3 ]; then
        IFS=$'\t' read -r head vl dl why <<< "$l"
        fail "$T: $b: line ${head##* } differs ($why)"
        echo "  vidlake: $vl"
        echo "  duckdb:  $dl"
      fi ;;
  esac
done < "${WORK}/cmp.out"
for fam in $(printf '%s\n' "${!fam_files[@]}" | sort); do
  n=${fam_files[$fam]}
  if [ -n "${fam_bad[$fam]:-}" ]; then
    fail "$T: $fam: $(grep -c "^diff $fam-" "$WORK/cmp.out") of $n files differ (first ones above)"
    continue
  fi
  note=""
  [ -n "${fam_ties[$fam]:-}" ] && note=" (${fam_ties[$fam]} FLOAT values at an exact rounding tie printed as the other neighbour)"
  if [ "$fam" = random ] && [ "$skipped_map" -gt 0 ]; then
    ok "$T: $fam: $((n - skipped_map)) files read alike$note"
    echo "skip $T: $fam: $skipped_map files (e.g. $skipped_map_first) have a MAP without a value field, which LogicalTypes.md allows and DuckDB refuses; compared as random_mapaslist instead"
  else
    ok "$T: $fam: $n file(s) read alike$note"
  fi
done

# ------------------------------------------------------------ b. statistics
cat > "$WORK/stats.cjs" <<'EOF'
// node stats.cjs FILE...: for every top-level primitive column and row group,
// the writer's statistics as DuckDB decodes them (parquet_metadata) against
// DuckDB's min/max/null count of the data. Prints "ok FILE COLUMNS NOTE" or
// "bad FILE message" (one per problem).
const { DuckDBInstance } = require('@duckdb/node-api');
const q = (s) => "'" + s.replace(/'/g, "''") + "'";
const id = (s) => '"' + s.replace(/"/g, '""') + '"';

async function main() {
  const inst = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false', autoload_known_extensions: 'false',
    allow_community_extensions: 'false', threads: '1' });
  const c = await inst.connect();
  await c.run("SET custom_extension_repository='/nonexistent/vidlake-no-extension-downloads'; SET TimeZone='UTC'");
  const rows = async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJS();
  for (const f of process.argv.slice(2)) {
    const bad = [];
    let checked = 0, nostats = 0, infinite = 0;
    try {
      // top-level leaves that are not repeated
      const sch = await rows(`SELECT name, num_children, repetition_type FROM parquet_schema(${q(f)})`);
      const top = [];
      let i = 1;
      const skip = () => { const n = Number(sch[i++].num_children || 0); for (let k = 0; k < n; k++) skip(); };
      for (let k = 0; k < Number(sch[0].num_children || 0); k++) {
        const r = sch[i];
        if (!Number(r.num_children || 0) && r.repetition_type !== 'REPEATED') top.push(r.name);
        skip();
      }
      const meta = await rows(`SELECT row_group_id rg, row_group_num_rows nr, path_in_schema p, type, stats_min_value mn,
        stats_max_value mx, stats_min lmn, stats_max lmx, stats_null_count nc, min_is_exact mne, max_is_exact mxe
        FROM parquet_metadata(${q(f)}) ORDER BY rg`);
      const bounds = [];
      let at = 0n;
      for (const m of meta) if (bounds.length === Number(m.rg)) { at += BigInt(m.nr); bounds.push(at); }
      const rgx = bounds.length ? 'CASE ' + bounds.map((b, k) => `WHEN file_row_number < ${b} THEN ${k}`).join(' ') + ' END' : '0';
      const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet(${q(f)})`)).map((r) => [r.column_name, r.column_type]));
      for (const col of bounds.length ? top : []) { // no row groups: no statistics
        const fl = /^(FLOAT|DOUBLE)$/.test(types[col]);
        const agg = (fn) => `${fn}(${id(col)})` + (fl ? ` FILTER (WHERE NOT isnan(${id(col)}))` : '');
        const data = await rows(`SELECT ${rgx} rg, ${agg('min')}::VARCHAR mn, ${agg('max')}::VARCHAR mx,
          ${fl ? `${agg('min')}::DOUBLE dmn, ${agg('max')}::DOUBLE dmx,` : ''} count(*) - count(${id(col)}) nc
          FROM read_parquet(${q(f)}, file_row_number = true) GROUP BY ALL ORDER BY rg`);
        for (const d of data) {
          const m = meta.find((x) => Number(x.rg) === Number(d.rg) && x.p === col);
          const where = `row group ${d.rg} column ${col}`;
          if (!m) { bad.push(`${where}: no column chunk metadata`); continue; }
          checked++;
          if (m.nc === null || Number(m.nc) !== Number(d.nc)) bad.push(`${where}: null_count ${m.nc}, the data has ${d.nc} nulls`);
          if (d.mn === null) {
            if (m.mn !== null || m.mx !== null) bad.push(`${where}: min/max ${m.mn}/${m.mx} for no (non-NaN) values`);
            continue;
          }
          if (m.mn === null && m.mx === null) {
            // the writer leaves out min/max only for unordered types
            if (m.type === 'INT96' || (m.type === 'FIXED_LEN_BYTE_ARRAY' && types[col] === 'FLOAT') ||
                (m.type === 'BYTE_ARRAY' && /^DECIMAL/.test(types[col]))) nostats++;
            // DuckDB drops float statistics with an infinite bound (the writer
            // keeps them, as the format allows: `vidlake parquet meta` shows them)
            else if (fl && (d.dmn === -Infinity || d.dmx === Infinity)) infinite++;
            else bad.push(`${where}: no min/max for ${m.type} read as ${types[col]}`);
            continue;
          }
          if (m.lmn !== null && m.lmn !== m.mn) bad.push(`${where}: legacy min ${m.lmn} != min_value ${m.mn}`);
          if (m.lmx !== null && m.lmx !== m.mx) bad.push(`${where}: legacy max ${m.lmx} != max_value ${m.mx}`);
          // floats by value (-0 == +0: the writer widens a zero min to -0, a zero max to +0)
          const f32 = types[col] === 'FLOAT' ? Math.fround : (x) => x;
          const same = (s, dv, dd) => (fl ? f32(Number(s)) === f32(dd) : s === dv);
          const le = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0;
          if (m.mne === false ? !le(m.mn, d.mn) : !same(m.mn, d.mn, d.dmn))
            bad.push(`${where}: min_value ${JSON.stringify(m.mn)} (${m.mne ? 'exact' : 'inexact'}), the data's min is ${JSON.stringify(d.mn)}`);
          if (m.mxe === false ? !le(d.mx, m.mx) : !same(m.mx, d.mx, d.dmx))
            bad.push(`${where}: max_value ${JSON.stringify(m.mx)} (${m.mxe ? 'exact' : 'inexact'}), the data's max is ${JSON.stringify(d.mx)}`);
        }
      }
    } catch (e) {
      bad.push('DuckDB: ' + (e && e.message ? e.message.split('\n')[0] : e));
    }
    for (const b of bad) console.log(`bad ${f} ${b}`);
    if (!bad.length) console.log(`ok ${f} ${checked} ${nostats} ${infinite}`);
  }
}
main().catch((e) => { console.log('bad - ' + e.message); process.exit(1); });
EOF
: > "$WORK/stats.out"
stats_files=()
for b in "${compare[@]}"; do stats_files+=("$OUT/$b"); done
if [ ${#stats_files[@]} -gt 0 ]; then
  NODE_PATH="$ROOT/node_modules" node "$WORK/stats.cjs" "${stats_files[@]}" > "$WORK/stats.out" 2>&1
fi
nbad=$(grep -c '^bad ' "$WORK/stats.out")
chunks=$(awk '$1 == "ok" { s += $3 } END { print s + 0 }' "$WORK/stats.out")
nost=$(awk '$1 == "ok" { s += $4 } END { print s + 0 }' "$WORK/stats.out")
ninf=$(awk '$1 == "ok" { s += $5 } END { print s + 0 }' "$WORK/stats.out")
if [ "$nbad" -eq 0 ]; then
  ok "$T: statistics of $chunks flat column chunks in ${#stats_files[@]} files agree with DuckDB's min/max/null count of the data ($nost without min/max: INT96, FLOAT16, BYTE_ARRAY decimals; $ninf with an infinite bound, which DuckDB ignores)"
else
  fail "$T: statistics: $nbad problems, e.g.:"
  grep '^bad ' "$WORK/stats.out" | head -10 | sed "s|$OUT/||; s/^bad /  /"
fi
