// Doubles printed as vidlake prints them (DESIGN.md's conventions: shortest
// round-trip digits laid out like printf's %.15g, or with more digits when
// round-tripping needs them; NaN and infinities as strings), shared by the
// DuckDB peers (duckdb.mjs, etl_duckdb.mjs).

// The shortest decimal digits of a finite non-zero |v| and its decimal
// exponent, from a "d.ddde±X" string.
export function splitExp(s) {
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  return { digits: (m[1] + (m[2] || '')).replace(/0+$/, '') || '0', exp: Number(m[3]) };
}

// Lays out digits d1d2d3... x 10^exp like printf("%.*g", prec) without '#'.
export function layoutG(neg, digits, exp, prec) {
  let s;
  if (exp < -4 || exp >= prec) {
    const e = Math.abs(exp);
    s = digits[0] + (digits.length > 1 ? '.' + digits.slice(1) : '') +
        'e' + (exp < 0 ? '-' : '+') + (e < 10 ? '0' + e : String(e));
  } else if (exp >= 0) {
    const ip = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
    const fp = digits.length > exp + 1 ? digits.slice(exp + 1) : '';
    s = fp ? ip + '.' + fp : ip;
  } else {
    s = '0.' + '0'.repeat(-exp - 1) + digits;
  }
  return neg ? '-' + s : s;
}

export function nonFinite(v) {
  if (Number.isNaN(v)) return '"NaN"';
  return v > 0 ? '"Infinity"' : '"-Infinity"';
}

export function fmtDouble(v) {
  if (!Number.isFinite(v)) return nonFinite(v);
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const { digits, exp } = splitExp(Math.abs(v).toExponential()); // shortest round-trip digits
  return layoutG(v < 0, digits, exp, Math.max(15, digits.length));
}
