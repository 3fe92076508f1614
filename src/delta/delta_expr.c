/* vidlake - Apache-2.0 */
/*
 * Predicates for `scan --where`: a recursive-descent parser into a small
 * tree, row evaluation with SQL three-valued logic, and file pruning from
 * partition values and min/max/nullCount statistics.
 *
 * Grammar (keywords case-insensitive; whitespace is space, tab, CR, LF):
 *   expr    := and_e (OR and_e)*
 *   and_e   := not_e (AND not_e)*
 *   not_e   := NOT not_e | primary
 *   primary := '(' expr ')' | column pred
 *   pred    := op literal | [NOT] IN '(' literal (',' literal)* ')'
 *            | IS [NOT] NULL
 *   op      := = | != | <> | < | <= | > | >=
 *   column  := name | `name` | "name"    (`` and "" escape the quote)
 *   literal := number | 'string' ('' escapes) | TRUE | FALSE | NULL
 * Columns are top-level fields of the schema, matched exactly or, failing
 * that, ASCII-case-insensitively when that is unambiguous (as Spark
 * resolves names). Literals are converted to the column's type when parsed:
 * quoted strings go through vl_delta_value_parse for non-string columns
 * (dates, timestamps, decimals, and numbers too), numbers and TRUE/FALSE
 * likewise; string and binary columns take only quoted strings. A decimal
 * literal for an integer column, or one with more fraction digits than a
 * decimal column's scale, is an error rather than a silent rounding.
 *
 * Limits keep the recursion bounded for fuzzed input: at most
 * EXPR_MAX_DEPTH nested parentheses/NOTs and EXPR_MAX_NODES operators and
 * comparisons (eval and prune recurse over the tree).
 *
 * Pruning computes, for each node, the set of truth values ({TRUE, FALSE,
 * UNKNOWN}) that rows of the file may produce; a file is skipped (NO) when
 * TRUE is not in the set of the root, and all its rows match (YES) when the
 * set is exactly {TRUE}. Sets combine pairwise through AND/OR/NOT, which
 * over-approximates (rows are treated independently) and so never prunes a
 * file that has a matching row. Leaves use:
 *  - a partition column: its exact value (every row holds it);
 *  - otherwise nullCount/numRecords (UNKNOWN possible when nulls may exist;
 *    only UNKNOWN when every row is null) and min/max for the non-null
 *    rows: TRUE of `col = v` is impossible when v < min or v > max, FALSE
 *    impossible when min = max = v; likewise for < <= > >= and IN.
 * Bounds and their caveats, all resolved toward keeping files:
 *  - a string (or binary) max may be a truncated prefix of the true max
 *    (writers truncate stats to 32 characters, some without bumping the
 *    last character): for such a max M every value x has
 *    prefix(x, |M|) <= M, so "every x < v" is concluded only when
 *    prefix(v, |M|) > M, and never "every x <= v" from equality. A min
 *    that is a prefix of the true min is a valid lower bound as it is.
 *  - timestamp stats are written with millisecond precision (Spark
 *    truncates), so a timestamp max is widened by 999 µs.
 *  - float/double: NaN sorts greatest and equals itself (Spark), but
 *    Parquet-derived stats leave NaN out of max, so a NaN row is always
 *    assumed possible: `x > 100` never prunes a float column, `x = 5` does.
 *  - missing stats (has_min/has_max false, counts -1): anything possible.
 */
#include "delta/delta.h"

#include <math.h>
#include <string.h>

#define EXPR_MAX_DEPTH 128
#define EXPR_MAX_NODES 10000
/* Longest token quoted in an error message. */
#define MSG_TOK_MAX 40

/* --------------------------------------------------------------- the tree */

enum { N_AND, N_OR, N_NOT, N_CMP, N_IN, N_ISNULL };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct vl_delta_expr {
    int kind;
    int op;       /* N_CMP: OP_*; N_IN / N_ISNULL: 1 for NOT IN / IS NOT NULL */
    uint32_t col; /* leaves: index in st's fields */
    const vl_delta_expr *a, *b;  /* AND, OR: both; NOT: a */
    const vl_delta_value *vals;  /* N_CMP: one literal (may be null); N_IN: the list */
    uint32_t n_vals;
    bool has_null;               /* N_IN: the list holds a null */
};

/* Truth values as bits, so that a set of them is a mask. */
enum { TV_T = 1, TV_F = 2, TV_U = 4 };

static int tv_and(int x, int y) {
    if (x == TV_F || y == TV_F) return TV_F;
    if (x == TV_U || y == TV_U) return TV_U;
    return TV_T;
}

static int tv_or(int x, int y) {
    if (x == TV_T || y == TV_T) return TV_T;
    if (x == TV_U || y == TV_U) return TV_U;
    return TV_F;
}

/* NOT of a single truth value or of a set: swaps TRUE and FALSE. */
static int tv_not(int m) { return (m & TV_U) | (m & TV_T ? TV_F : 0) | (m & TV_F ? TV_T : 0); }

/* ---------------------------------------------------------------- parser */

typedef enum {
    T_END, T_LPAREN, T_RPAREN, T_COMMA, T_OP, T_NAME, T_QNAME, T_STRING, T_NUMBER, T_BAD
} tok_kind;

typedef struct tok {
    tok_kind kind;
    size_t start, end; /* byte offsets in the text */
    int op;            /* T_OP */
} tok;

typedef struct parser {
    const char *s;
    size_t n, pos;
    const vl_dt_type *st;
    vl_arena *a;
    vl_error *err;
    int depth;
    size_t nodes;
} parser;

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (unsigned char)c >= 0x80;
}
static bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

/* Reads the next token at p->pos without consuming it. A bad token (an
 * unterminated quote, a stray character) is T_BAD with a message set. */
static tok lex(parser *p) {
    const char *s = p->s;
    size_t n = p->n, i = p->pos;
    while (i < n && is_space(s[i])) i++;
    tok t = {T_END, i, i, 0};
    if (i == n) return t;
    char c = s[i];
    switch (c) {
    case '(': t.kind = T_LPAREN; t.end = i + 1; return t;
    case ')': t.kind = T_RPAREN; t.end = i + 1; return t;
    case ',': t.kind = T_COMMA; t.end = i + 1; return t;
    case '=': t.kind = T_OP; t.op = OP_EQ; t.end = i + 1; return t;
    case '<':
        t.kind = T_OP;
        if (i + 1 < n && s[i + 1] == '=') { t.op = OP_LE; t.end = i + 2; }
        else if (i + 1 < n && s[i + 1] == '>') { t.op = OP_NE; t.end = i + 2; }
        else { t.op = OP_LT; t.end = i + 1; }
        return t;
    case '>':
        t.kind = T_OP;
        if (i + 1 < n && s[i + 1] == '=') { t.op = OP_GE; t.end = i + 2; }
        else { t.op = OP_GT; t.end = i + 1; }
        return t;
    case '!':
        if (i + 1 < n && s[i + 1] == '=') {
            t.kind = T_OP;
            t.op = OP_NE;
            t.end = i + 2;
            return t;
        }
        break;
    case '\'': case '`': case '"': {
        /* a quoted string or name; a doubled quote stands for one */
        size_t j = i + 1;
        for (;;) {
            if (j >= n) {
                t.kind = T_BAD;
                vl_error_set(p->err, VL_EINVAL, "where: unterminated %s starting at offset %zu",
                             c == '\'' ? "string" : "quoted name", i);
                return t;
            }
            if (s[j] == c) {
                if (j + 1 < n && s[j + 1] == c) { j += 2; continue; }
                break;
            }
            j++;
        }
        t.kind = c == '\'' ? T_STRING : T_QNAME;
        t.end = j + 1;
        return t;
    }
    default:
        break;
    }
    if (is_digit(c) || c == '.' || ((c == '-' || c == '+') && i + 1 < n && (is_digit(s[i + 1]) || s[i + 1] == '.'))) {
        /* a number: the literal's conversion checks its exact syntax */
        size_t j = i + 1;
        while (j < n && (is_digit(s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
                         ((s[j] == '-' || s[j] == '+') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
            j++;
        t.kind = T_NUMBER;
        t.end = j;
        return t;
    }
    if (is_name_start(c)) {
        size_t j = i + 1;
        while (j < n && is_name_char(s[j])) j++;
        t.kind = T_NAME;
        t.end = j;
        return t;
    }
    t.kind = T_BAD;
    if (c > 0x20 && c < 0x7F)
        vl_error_set(p->err, VL_EINVAL, "where: unexpected character '%c' at offset %zu", c, i);
    else
        vl_error_set(p->err, VL_EINVAL, "where: unexpected byte 0x%02X at offset %zu", (unsigned)(unsigned char)c, i);
    return t;
}

static bool tok_is_kw(const parser *p, const tok *t, const char *kw) {
    if (t->kind != T_NAME) return false;
    size_t k = strlen(kw);
    if (t->end - t->start != k) return false;
    for (size_t i = 0; i < k; i++) {
        char c = p->s[t->start + i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        if (c != kw[i]) return false;
    }
    return true;
}

static bool tok_is_reserved(const parser *p, const tok *t) {
    static const char *const kws[] = {"AND", "OR", "NOT", "IN", "IS", "NULL", "TRUE", "FALSE"};
    for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
        if (tok_is_kw(p, t, kws[i])) return true;
    return false;
}

/* Sets an "expected X" error at the token (which may itself be bad: then
 * its own message stands). */
static int expected(parser *p, const tok *t, const char *what) {
    if (t->kind == T_BAD) return VL_EINVAL;
    return vl_error_set(p->err, VL_EINVAL, "where: expected %s at offset %zu", what, t->start);
}

static void *node_alloc(parser *p, size_t size) {
    void *m = vl_arena_alloc(p->a, size);
    if (!m) vl_error_set(p->err, VL_ENOMEM, "where: out of memory");
    else memset(m, 0, size);
    return m;
}

static int new_node(parser *p, int kind, vl_delta_expr **out) {
    if (++p->nodes > EXPR_MAX_NODES)
        return vl_error_set(p->err, VL_EINVAL, "where: expression too long (more than %d terms) at offset %zu",
                            EXPR_MAX_NODES, p->pos);
    vl_delta_expr *e = node_alloc(p, sizeof(*e));
    if (!e) return VL_ENOMEM;
    e->kind = kind;
    *out = e;
    return VL_OK;
}

/* The unquoted content of a quoted token, copied into the arena (a doubled
 * quote becomes one). */
static int unquote(parser *p, const tok *t, vl_sv *out) {
    const char *s = p->s + t->start;
    size_t n = t->end - t->start - 2;
    char q = s[0];
    char *o = node_alloc(p, n + 1);
    if (!o) return VL_ENOMEM;
    size_t k = 0;
    for (size_t i = 1; i <= n; i++) {
        o[k++] = s[i];
        if (s[i] == q) i++; /* the lexer guarantees the pair */
    }
    o[k] = '\0';
    *out = vl_sv_make(o, k);
    return VL_OK;
}

static bool ascii_eq_nocase(vl_sv a, vl_sv b) {
    if (a.n != b.n) return false;
    for (size_t i = 0; i < a.n; i++) {
        char x = a.p[i], y = b.p[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

static const char *kind_word(vl_dt_kind k) {
    switch (k) {
    case VL_DT_STRUCT: return "a struct";
    case VL_DT_ARRAY: return "an array";
    case VL_DT_MAP: return "a map";
    default: return "a value";
    }
}

/* Parses a column reference and resolves it in p->st. */
static int parse_column(parser *p, uint32_t *col) {
    tok t = lex(p);
    vl_sv name;
    if (t.kind == T_NAME && !tok_is_reserved(p, &t)) {
        name = vl_sv_make(p->s + t.start, t.end - t.start);
    } else if (t.kind == T_QNAME) {
        VL_RETURN_IF_ERR(unquote(p, &t, &name));
    } else {
        return expected(p, &t, "a column name");
    }
    p->pos = t.end;
    const vl_dt_type *st = p->st;
    uint32_t found = UINT32_MAX, n_ci = 0, ci = 0;
    for (uint32_t i = 0; i < st->n_fields; i++) {
        if (vl_sv_eq(st->fields[i].name, name)) { found = i; break; }
        if (ascii_eq_nocase(st->fields[i].name, name)) { ci = i; n_ci++; }
    }
    if (found == UINT32_MAX && n_ci == 1) found = ci;
    int shown = name.n > MSG_TOK_MAX ? MSG_TOK_MAX : (int)name.n;
    if (found == UINT32_MAX) {
        if (n_ci > 1)
            return vl_error_set(p->err, VL_EINVAL, "where: column name '%.*s' is ambiguous (quote it exactly)",
                                shown, name.p);
        return vl_error_set(p->err, VL_EINVAL, "where: unknown column '%.*s'", shown, name.p);
    }
    vl_dt_kind k = st->fields[found].type.kind;
    if (k == VL_DT_STRUCT || k == VL_DT_ARRAY || k == VL_DT_MAP)
        return vl_error_set(p->err, VL_EINVAL, "where: column '%.*s' is %s and cannot be compared", shown,
                            name.p, kind_word(k));
    *col = found;
    return VL_OK;
}

/* Parses one literal and converts it to the type of column col. */
static int parse_literal(parser *p, uint32_t col, vl_delta_value *out) {
    const vl_dt_field *f = &p->st->fields[col];
    const vl_dt_type *ty = &f->type;
    bool textual = ty->kind == VL_DT_STRING || ty->kind == VL_DT_BINARY;
    int fshown = f->name.n > MSG_TOK_MAX ? MSG_TOK_MAX : (int)f->name.n;
    tok t = lex(p);
    memset(out, 0, sizeof(*out));
    out->s = vl_sv_make("", 0);
    if (tok_is_kw(p, &t, "NULL")) {
        out->is_null = true;
        p->pos = t.end;
        return VL_OK;
    }
    vl_sv text;
    if (t.kind == T_STRING) {
        VL_RETURN_IF_ERR(unquote(p, &t, &text));
        if (textual) { /* as is: '' is the empty string, not null */
            out->s = text;
            p->pos = t.end;
            return VL_OK;
        }
    } else if (t.kind == T_NUMBER || tok_is_kw(p, &t, "TRUE") || tok_is_kw(p, &t, "FALSE")) {
        if (textual)
            return vl_error_set(p->err, VL_EINVAL, "where: expected a quoted string for column %.*s at offset %zu",
                                fshown, f->name.p, t.start);
        text = vl_sv_make(p->s + t.start, t.end - t.start);
    } else {
        return expected(p, &t, "a value");
    }
    vl_error e2;
    if (text.n == 0) {
        return vl_error_set(p->err, VL_EINVAL, "where: '' is not a valid value for column %.*s at offset %zu",
                            fshown, f->name.p, t.start);
    }
    int rc = vl_delta_value_parse(ty, text.p, text.n, false, out, &e2);
    if (rc != VL_OK)
        return vl_error_set(p->err, VL_EINVAL, "where: %s for column %.*s", e2.msg, fshown, f->name.p);
    if (ty->kind == VL_DT_DECIMAL && ty->precision > 18 && t.kind != T_STRING) {
        /* a wide decimal keeps its text: make it outlive the input */
        char *c = node_alloc(p, text.n);
        if (!c) return VL_ENOMEM;
        memcpy(c, text.p, text.n);
        out->s = vl_sv_make(c, text.n);
    }
    p->pos = t.end;
    return VL_OK;
}

static int parse_or(parser *p, vl_delta_expr **out);

static int parse_comparison(parser *p, vl_delta_expr **out) {
    uint32_t col = 0;
    VL_RETURN_IF_ERR(parse_column(p, &col));
    tok t = lex(p);
    vl_delta_expr *e;
    if (t.kind == T_OP) {
        p->pos = t.end;
        VL_RETURN_IF_ERR(new_node(p, N_CMP, &e));
        vl_delta_value *v = node_alloc(p, sizeof(*v));
        if (!v) return VL_ENOMEM;
        VL_RETURN_IF_ERR(parse_literal(p, col, v));
        e->op = t.op;
        e->col = col;
        e->vals = v;
        e->n_vals = 1;
        *out = e;
        return VL_OK;
    }
    if (tok_is_kw(p, &t, "IS")) {
        p->pos = t.end;
        tok u = lex(p);
        bool neg = tok_is_kw(p, &u, "NOT");
        if (neg) {
            p->pos = u.end;
            u = lex(p);
        }
        if (!tok_is_kw(p, &u, "NULL")) return expected(p, &u, neg ? "NULL" : "NULL or NOT NULL");
        p->pos = u.end;
        VL_RETURN_IF_ERR(new_node(p, N_ISNULL, &e));
        e->op = neg;
        e->col = col;
        *out = e;
        return VL_OK;
    }
    bool neg = tok_is_kw(p, &t, "NOT");
    if (neg) {
        p->pos = t.end;
        t = lex(p);
        if (!tok_is_kw(p, &t, "IN")) return expected(p, &t, "IN after NOT");
    }
    if (!tok_is_kw(p, &t, "IN"))
        return expected(p, &t, "an operator (=, !=, <>, <, <=, >, >=, IN, NOT IN, IS)");
    p->pos = t.end;
    t = lex(p);
    if (t.kind != T_LPAREN) return expected(p, &t, "'(' after IN");
    p->pos = t.end;
    VL_RETURN_IF_ERR(new_node(p, N_IN, &e));
    e->op = neg;
    e->col = col;
    uint32_t cap = 0, n = 0;
    vl_delta_value *vals = NULL;
    for (;;) {
        if (n == cap) { /* grow in the arena; the old array is left behind */
            if (cap >= UINT32_MAX / 4) return vl_error_set(p->err, VL_EINVAL, "where: IN list too long");
            uint32_t ncap = cap ? cap * 2 : 4;
            vl_delta_value *nv = node_alloc(p, (size_t)ncap * sizeof(*nv));
            if (!nv) return VL_ENOMEM;
            if (n) memcpy(nv, vals, (size_t)n * sizeof(*nv));
            vals = nv;
            cap = ncap;
        }
        VL_RETURN_IF_ERR(parse_literal(p, col, &vals[n]));
        if (vals[n].is_null) e->has_null = true;
        n++;
        t = lex(p);
        if (t.kind == T_COMMA) {
            p->pos = t.end;
            continue;
        }
        if (t.kind == T_RPAREN) {
            p->pos = t.end;
            break;
        }
        return expected(p, &t, "',' or ')' in the IN list");
    }
    e->vals = vals;
    e->n_vals = n;
    *out = e;
    return VL_OK;
}

static int enter(parser *p, size_t at) {
    if (++p->depth > EXPR_MAX_DEPTH)
        return vl_error_set(p->err, VL_EINVAL, "where: nested more than %d levels deep at offset %zu",
                            EXPR_MAX_DEPTH, at);
    return VL_OK;
}

static int parse_not(parser *p, vl_delta_expr **out) {
    tok t = lex(p);
    if (tok_is_kw(p, &t, "NOT")) {
        p->pos = t.end;
        VL_RETURN_IF_ERR(enter(p, t.start));
        vl_delta_expr *e, *child;
        VL_RETURN_IF_ERR(parse_not(p, &child));
        VL_RETURN_IF_ERR(new_node(p, N_NOT, &e));
        e->a = child;
        p->depth--;
        *out = e;
        return VL_OK;
    }
    if (t.kind == T_LPAREN) {
        p->pos = t.end;
        VL_RETURN_IF_ERR(enter(p, t.start));
        VL_RETURN_IF_ERR(parse_or(p, out));
        tok u = lex(p);
        if (u.kind != T_RPAREN) return expected(p, &u, "')'");
        p->pos = u.end;
        p->depth--;
        return VL_OK;
    }
    if (t.kind == T_BAD) return VL_EINVAL;
    return parse_comparison(p, out);
}

/* and_e and expr: left-associative chains of one keyword. */
static int parse_and(parser *p, vl_delta_expr **out) {
    vl_delta_expr *left;
    VL_RETURN_IF_ERR(parse_not(p, &left));
    for (;;) {
        tok t = lex(p);
        if (!tok_is_kw(p, &t, "AND")) break;
        p->pos = t.end;
        vl_delta_expr *right, *e;
        VL_RETURN_IF_ERR(parse_not(p, &right));
        VL_RETURN_IF_ERR(new_node(p, N_AND, &e));
        e->a = left;
        e->b = right;
        left = e;
    }
    *out = left;
    return VL_OK;
}

static int parse_or(parser *p, vl_delta_expr **out) {
    vl_delta_expr *left;
    VL_RETURN_IF_ERR(parse_and(p, &left));
    for (;;) {
        tok t = lex(p);
        if (!tok_is_kw(p, &t, "OR")) break;
        p->pos = t.end;
        vl_delta_expr *right, *e;
        VL_RETURN_IF_ERR(parse_and(p, &right));
        VL_RETURN_IF_ERR(new_node(p, N_OR, &e));
        e->a = left;
        e->b = right;
        left = e;
    }
    *out = left;
    return VL_OK;
}

int vl_delta_expr_parse(const char *text, const vl_dt_type *st, vl_arena *a, const vl_delta_expr **out,
                        vl_error *err) {
    if (!text) text = "";
    if (!st || st->kind != VL_DT_STRUCT) return vl_error_set(err, VL_EINVAL, "where: the schema is not a struct");
    parser p = {text, strlen(text), 0, st, a, err, 0, 0};
    vl_delta_expr *e;
    VL_RETURN_IF_ERR(parse_or(&p, &e));
    tok t = lex(&p);
    if (t.kind != T_END) {
        if (t.kind == T_RPAREN)
            return vl_error_set(err, VL_EINVAL, "where: unbalanced ')' at offset %zu", t.start);
        return expected(&p, &t, "AND, OR or the end");
    }
    *out = e;
    return VL_OK;
}

/* ------------------------------------------------------------ evaluation */

/* The truth value of a leaf for one value of its column. */
static int leaf_value(const vl_delta_expr *e, const vl_dt_type *t, const vl_delta_value *v) {
    switch (e->kind) {
    case N_ISNULL: {
        int r = v->is_null ? TV_T : TV_F;
        return e->op ? tv_not(r) : r;
    }
    case N_CMP: {
        if (v->is_null || e->vals[0].is_null) return TV_U;
        int c = vl_delta_value_cmp(t, v, &e->vals[0]);
        bool r = false;
        switch (e->op) {
        case OP_EQ: r = c == 0; break;
        case OP_NE: r = c != 0; break;
        case OP_LT: r = c < 0; break;
        case OP_LE: r = c <= 0; break;
        case OP_GT: r = c > 0; break;
        case OP_GE: r = c >= 0; break;
        default: break;
        }
        return r ? TV_T : TV_F;
    }
    case N_IN: {
        int r;
        if (v->is_null) return TV_U;
        r = e->has_null ? TV_U : TV_F;
        for (uint32_t i = 0; i < e->n_vals; i++) {
            if (!e->vals[i].is_null && vl_delta_value_cmp(t, v, &e->vals[i]) == 0) {
                r = TV_T;
                break;
            }
        }
        return e->op ? tv_not(r) : r;
    }
    default:
        return TV_U;
    }
}

static int eval3(const vl_delta_expr *e, const vl_dt_type *st, const vl_delta_value *row) {
    switch (e->kind) {
    case N_AND: {
        int x = eval3(e->a, st, row);
        if (x == TV_F) return TV_F;
        return tv_and(x, eval3(e->b, st, row));
    }
    case N_OR: {
        int x = eval3(e->a, st, row);
        if (x == TV_T) return TV_T;
        return tv_or(x, eval3(e->b, st, row));
    }
    case N_NOT:
        return tv_not(eval3(e->a, st, row));
    default:
        return leaf_value(e, &st->fields[e->col].type, &row[e->col]);
    }
}

bool vl_delta_expr_eval(const vl_delta_expr *e, const vl_dt_type *st, const vl_delta_value *row) {
    if (!e) return true;
    return eval3(e, st, row) == TV_T;
}

_Static_assert(N_AND == (int)VL_DELTA_E_AND && N_OR == (int)VL_DELTA_E_OR && N_NOT == (int)VL_DELTA_E_NOT &&
                   N_CMP == (int)VL_DELTA_E_CMP && N_IN == (int)VL_DELTA_E_IN && N_ISNULL == (int)VL_DELTA_E_ISNULL,
               "public node kinds mirror the private ones");
_Static_assert(OP_EQ == (int)VL_DELTA_OP_EQ && OP_NE == (int)VL_DELTA_OP_NE && OP_LT == (int)VL_DELTA_OP_LT &&
                   OP_LE == (int)VL_DELTA_OP_LE && OP_GT == (int)VL_DELTA_OP_GT && OP_GE == (int)VL_DELTA_OP_GE,
               "public operators mirror the private ones");

void vl_delta_expr_node_get(const vl_delta_expr *e, vl_delta_expr_node *out) {
    memset(out, 0, sizeof(*out));
    out->kind = (vl_delta_expr_kind)e->kind;
    out->a = e->a;
    out->b = e->b;
    if (e->kind == N_CMP) out->op = (vl_delta_cmp_op)e->op;
    else if (e->kind == N_IN || e->kind == N_ISNULL) out->negated = e->op != 0;
    if (e->kind >= N_CMP) out->col = e->col;
    out->vals = e->vals;
    out->n_vals = e->n_vals;
    out->has_null = e->has_null;
}

void vl_delta_expr_columns(const vl_delta_expr *e, bool *used) {
    if (!e) return;
    switch (e->kind) {
    case N_AND:
    case N_OR:
        vl_delta_expr_columns(e->a, used);
        vl_delta_expr_columns(e->b, used);
        return;
    case N_NOT:
        vl_delta_expr_columns(e->a, used);
        return;
    default:
        used[e->col] = true;
        return;
    }
}

/* --------------------------------------------------------------- pruning */

/* Bounds of the non-null values of one column, from its stats. */
typedef struct bounds {
    const vl_dt_type *t;
    const vl_delta_colinfo *ci;
    vl_delta_value max; /* widened for timestamps */
} bounds;

/* Every non-null x > v / >= v (from min, a valid lower bound as written). */
static bool all_gt(const bounds *b, const vl_delta_value *v) {
    return b->ci->has_min && vl_delta_value_cmp(b->t, &b->ci->min, v) > 0;
}
static bool all_ge(const bounds *b, const vl_delta_value *v) {
    return b->ci->has_min && vl_delta_value_cmp(b->t, &b->ci->min, v) >= 0;
}

static bool prefix_bounded(const vl_dt_type *t) { return t->kind == VL_DT_STRING || t->kind == VL_DT_BINARY; }

/* Every non-null x < v. */
static bool all_lt(const bounds *b, const vl_delta_value *v) {
    if (!b->ci->has_max) return false;
    if (prefix_bounded(b->t)) {
        /* prefix(x, |M|) <= M < prefix(v, |M|) implies x < v */
        vl_delta_value pv = *v;
        if (pv.s.n > b->max.s.n) pv.s.n = b->max.s.n;
        return vl_delta_value_cmp(b->t, &pv, &b->max) > 0;
    }
    return vl_delta_value_cmp(b->t, &b->max, v) < 0;
}

/* Every non-null x <= v. */
static bool all_le(const bounds *b, const vl_delta_value *v) {
    if (!b->ci->has_max) return false;
    if (prefix_bounded(b->t)) return all_lt(b, v); /* a prefix bound cannot show x <= v from M == v */
    return vl_delta_value_cmp(b->t, &b->max, v) <= 0;
}

/* The set of truth values `x op v` may take over the non-null rows. */
static int cmp_mask(const bounds *b, int op, const vl_delta_value *v) {
    bool can_t = true, can_f = true;
    switch (op) {
    case OP_EQ:
    case OP_NE:
        can_t = !(all_gt(b, v) || all_lt(b, v));
        can_f = !(all_ge(b, v) && all_le(b, v));
        break;
    case OP_LT: can_t = !all_ge(b, v); can_f = !all_lt(b, v); break;
    case OP_LE: can_t = !all_gt(b, v); can_f = !all_le(b, v); break;
    case OP_GT: can_t = !all_le(b, v); can_f = !all_gt(b, v); break;
    case OP_GE: can_t = !all_lt(b, v); can_f = !all_ge(b, v); break;
    default: break;
    }
    int m = (can_t ? TV_T : 0) | (can_f ? TV_F : 0);
    return op == OP_NE ? tv_not(m) : m;
}

/* The set for a leaf over the non-null rows of the file. */
static int nonnull_mask(const vl_delta_expr *e, const bounds *b) {
    int m = 0;
    switch (e->kind) {
    case N_ISNULL:
        return e->op ? TV_T : TV_F;
    case N_CMP:
        if (e->vals[0].is_null) return TV_U;
        m = cmp_mask(b, e->op, &e->vals[0]);
        break;
    case N_IN: {
        bool unmatched = true;
        for (uint32_t i = 0; i < e->n_vals; i++) {
            const vl_delta_value *v = &e->vals[i];
            if (v->is_null) continue;
            if (cmp_mask(b, OP_EQ, v) & TV_T) m |= TV_T;
            if (all_ge(b, v) && all_le(b, v)) unmatched = false; /* every row equals v */
        }
        if (unmatched) m |= e->has_null ? TV_U : TV_F;
        if (e->op) m = tv_not(m);
        break;
    }
    default:
        return TV_T | TV_F | TV_U;
    }
    if (b->t->kind == VL_DT_FLOAT || b->t->kind == VL_DT_DOUBLE) {
        /* a NaN row may lie beyond a max that left NaN out */
        vl_delta_value nan_v;
        memset(&nan_v, 0, sizeof(nan_v));
        nan_v.d = NAN;
        m |= leaf_value(e, b->t, &nan_v);
    }
    return m;
}

static int leaf_mask(const vl_delta_expr *e, const vl_dt_type *st, const vl_delta_colinfo *cols) {
    const vl_delta_colinfo *ci = &cols[e->col];
    const vl_dt_type *t = &st->fields[e->col].type;
    if (ci->num_records == 0) return 0; /* no rows at all */
    if (ci->exact) return leaf_value(e, t, &ci->value);
    bool may_null = ci->null_count != 0; /* > 0, or -1: unknown */
    bool may_nonnull = !(ci->null_count >= 0 && ci->num_records >= 0 && ci->null_count >= ci->num_records);
    int m = 0;
    if (may_null) {
        vl_delta_value nv;
        memset(&nv, 0, sizeof(nv));
        nv.is_null = true;
        m |= leaf_value(e, t, &nv);
    }
    if (may_nonnull) {
        bounds b = {t, ci, ci->max};
        if ((t->kind == VL_DT_TIMESTAMP || t->kind == VL_DT_TIMESTAMP_NTZ) && ci->has_max) {
            /* stats hold milliseconds: the true max may be up to 999 µs more */
            b.max.i = b.max.i > INT64_MAX - 999 ? INT64_MAX : b.max.i + 999;
        }
        m |= nonnull_mask(e, &b);
    }
    return m;
}

/* Every pairwise combination of two sets through a binary operator. */
static int combine(int ma, int mb, int (*op)(int, int)) {
    int r = 0;
    for (int x = TV_T; x <= TV_U; x <<= 1) {
        if (!(ma & x)) continue;
        for (int y = TV_T; y <= TV_U; y <<= 1)
            if (mb & y) r |= op(x, y);
    }
    return r;
}

static int prune_mask(const vl_delta_expr *e, const vl_dt_type *st, const vl_delta_colinfo *cols) {
    switch (e->kind) {
    case N_AND:
        return combine(prune_mask(e->a, st, cols), prune_mask(e->b, st, cols), tv_and);
    case N_OR:
        return combine(prune_mask(e->a, st, cols), prune_mask(e->b, st, cols), tv_or);
    case N_NOT:
        return tv_not(prune_mask(e->a, st, cols));
    default:
        return leaf_mask(e, st, cols);
    }
}

int vl_delta_expr_prune(const vl_delta_expr *e, const vl_dt_type *st, const vl_delta_colinfo *cols) {
    if (!e) return VL_DELTA_YES;
    int m = prune_mask(e, st, cols);
    if (!(m & TV_T)) return VL_DELTA_NO;
    return m == TV_T ? VL_DELTA_YES : VL_DELTA_MAYBE;
}
