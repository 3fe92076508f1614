/* vidlake - Apache-2.0 */
/*
 * Unit tests for Delta schemas (delta_schema.c) and the row shredder
 * (delta_shred.c): Spark JSON schemas read and written back byte for byte,
 * bad schemas refused with the field named, SQL type names and column
 * lists, the Parquet layout element by element, JSON values converted with
 * the scan conventions, and rows shredded, written with the Parquet writer,
 * read back and printed as NDJSON, which must be the rows we started from
 * in canonical form. Failed rows must leave the shredder untouched, and
 * every allocation failure must end in a clean error without a leak.
 *
 * With VIDLAKE_DELTA_SHRED_DUMP=DIR set, each round-trip file is also
 * written to DIR/<n>.parquet, to be read by DuckDB (tests/peers/duckdb.mjs).
 */
#include "delta/delta.h"
#include "vl_test.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static bool sv_is(vl_sv s, const char *lit) { return vl_sv_eq_cstr(s, lit); }

/* Deep equality including field metadata (type_equal ignores metadata). */
static bool same_tree(const vl_dt_type *a, const vl_dt_type *b) {
    if (!vl_delta_type_equal(a, b)) return false;
    switch (a->kind) {
    case VL_DT_STRUCT:
        for (uint32_t i = 0; i < a->n_fields; i++)
            if (!vl_sv_eq(a->fields[i].metadata, b->fields[i].metadata) ||
                !same_tree(&a->fields[i].type, &b->fields[i].type))
                return false;
        return true;
    case VL_DT_ARRAY: return same_tree(a->elem, b->elem);
    case VL_DT_MAP: return same_tree(a->key, b->key) && same_tree(a->value, b->value);
    default: return true;
    }
}

/* write(parse(json)) into a malloc'd string (NULL on error, msg in err). */
static char *rewrite(const char *json, vl_arena *a, vl_dt_type *t, vl_error *err) {
    if (vl_delta_schema_parse(json, strlen(json), a, t, err) != VL_OK) return NULL;
    vl_buf b;
    vl_buf_init(&b);
    if (vl_delta_schema_write(t, &b, err) != VL_OK) {
        vl_buf_free(&b);
        return NULL;
    }
    char *s = vl_strndup(b.p, b.n);
    vl_buf_free(&b);
    return s;
}

#define F(name, type, nullable, md) "{\"name\":\"" name "\",\"type\":" type ",\"nullable\":" nullable ",\"metadata\":" md "}"
#define S1(field) "{\"type\":\"struct\",\"fields\":[" field "]}"

/* -------------------------------------------------- JSON schema round trip */

static const char *const spark_schemas[] = {
    S1(F("a", "\"string\"", "true", "{}")),
    S1(F("a", "\"long\"", "false", "{}")),
    S1(F("a", "\"integer\"", "true", "{}")),
    S1(F("a", "\"short\"", "true", "{}")),
    S1(F("a", "\"byte\"", "true", "{}")),
    S1(F("a", "\"float\"", "true", "{}")),
    S1(F("a", "\"double\"", "true", "{}")),
    S1(F("a", "\"boolean\"", "true", "{}")),
    S1(F("a", "\"binary\"", "true", "{}")),
    S1(F("a", "\"date\"", "true", "{}")),
    S1(F("a", "\"timestamp\"", "true", "{}")),
    S1(F("a", "\"timestamp_ntz\"", "true", "{}")),
    S1(F("a", "\"decimal(10,2)\"", "true", "{}")),
    S1(F("a", "\"decimal(38,18)\"", "true", "{}")),
    S1(F("a", "\"decimal(1,0)\"", "true", "{}")),
    S1(F("a", "{\"type\":\"array\",\"elementType\":\"string\",\"containsNull\":true}", "true", "{}")),
    S1(F("a", "{\"type\":\"array\",\"elementType\":\"integer\",\"containsNull\":false}", "false", "{}")),
    S1(F("a", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\",\"valueContainsNull\":true}",
         "true", "{}")),
    S1(F("a", "{\"type\":\"map\",\"keyType\":\"integer\",\"valueType\":{\"type\":\"array\",\"elementType\":"
              "\"double\",\"containsNull\":false},\"valueContainsNull\":false}",
         "true", "{}")),
    S1(F("s", "{\"type\":\"struct\",\"fields\":[" F("x", "\"integer\"", "true", "{}") ","
              F("y", "{\"type\":\"struct\",\"fields\":[" F("z", "\"date\"", "false", "{}") "]}", "true", "{}") "]}",
         "true", "{}")),
    /* what Spark writes for a table with comments, generated columns and
     * column mapping metadata (values of every JSON kind) */
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{\"delta.columnMapping.id\":1,"
    "\"delta.columnMapping.physicalName\":\"col-5f422f40-de70-45b2-88ab-1d5c90e94db1\"}},"
    "{\"name\":\"event time\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{\"comment\":\"when \\\"it\\\" happened\\n\"}},"
    "{\"name\":\"day\",\"type\":\"date\",\"nullable\":true,\"metadata\":{\"delta.generationExpression\":\"CAST(`event time` AS DATE)\"}},"
    "{\"name\":\"price\",\"type\":\"decimal(10,2)\",\"nullable\":false,\"metadata\":{\"x\":[1,2.5,-3e10,null,true,false,{}],\"y\":{\"z\":\"\xc3\xa9\"}}},"
    "{\"name\":\"tags\",\"type\":{\"type\":\"array\",\"elementType\":{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"k\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]},\"containsNull\":true},\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":{\"type\":\"map\",\"keyType\":\"long\","
    "\"valueType\":\"binary\",\"valueContainsNull\":true},\"valueContainsNull\":true},\"nullable\":true,\"metadata\":{}}"
    "]}",
    "{\"type\":\"struct\",\"fields\":[]}",
};

static void t_spark_round_trip(vl_test *t) {
    for (size_t i = 0; i < sizeof(spark_schemas) / sizeof(spark_schemas[0]); i++) {
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_error err = {0};
        vl_dt_type t1, t2;
        char *w = rewrite(spark_schemas[i], &a, &t1, &err);
        CHECKF(t, w != NULL, "case %zu: %s", i, err.msg);
        if (w) {
            CHECKF(t, strcmp(w, spark_schemas[i]) == 0, "case %zu:\n    in  %s\n    out %s", i, spark_schemas[i], w);
            CHECK(t, vl_delta_schema_parse(w, strlen(w), &a, &t2, &err) == VL_OK);
            CHECK(t, same_tree(&t1, &t2));
        }
        free(w);
        vl_arena_destroy(&a);
    }
}

static void t_parse_details(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_error err;
    vl_dt_type st;
    /* whitespace, "decimal" without arguments, spaces in decimal(), missing metadata, extra keys */
    const char *in = " { \"type\" : \"struct\" , \"fields\" : [ {\"name\":\"d\",\"type\":\"decimal\",\"nullable\":true,"
                     "\"metadata\":{ \"a\" : [ 1 , 2 ] }},{\"name\":\"e\",\"type\":\"decimal( 5 , 3 )\",\"nullable\":false,"
                     "\"extra\":1},{\"name\":\"f\\u00e9\",\"type\":\"string\",\"nullable\":true,\"metadata\":null}]}\n";
    REQUIRE(t, vl_delta_schema_parse(in, strlen(in), &a, &st, &err) == VL_OK);
    REQUIRE(t, st.kind == VL_DT_STRUCT && st.n_fields == 3);
    CHECK(t, st.fields[0].type.kind == VL_DT_DECIMAL && st.fields[0].type.precision == 10 &&
                 st.fields[0].type.scale == 0);
    CHECK(t, sv_is(st.fields[0].metadata, "{\"a\":[1,2]}"));
    CHECK(t, st.fields[1].type.precision == 5 && st.fields[1].type.scale == 3 && !st.fields[1].nullable);
    CHECK(t, sv_is(st.fields[1].metadata, "{}"));
    CHECK(t, sv_is(st.fields[2].name, "f\xc3\xa9") && sv_is(st.fields[2].metadata, "{}"));
    vl_buf b;
    vl_buf_init(&b);
    REQUIRE(t, vl_buf_puts(&b, "prefix:") == VL_OK);
    CHECK(t, vl_delta_schema_write(&st, &b, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b),
                 "prefix:{\"type\":\"struct\",\"fields\":[{\"name\":\"d\",\"type\":\"decimal(10,0)\",\"nullable\":true,"
                 "\"metadata\":{\"a\":[1,2]}},{\"name\":\"e\",\"type\":\"decimal(5,3)\",\"nullable\":false,\"metadata\":{}},"
                 "{\"name\":\"f\xc3\xa9\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}");
    /* names copied: the input can go away */
    char *copy = vl_strndup(in, strlen(in));
    vl_dt_type st2;
    REQUIRE(t, vl_delta_schema_parse(copy, strlen(copy), &a, &st2, &err) == VL_OK);
    memset(copy, 'x', strlen(copy));
    vl_free(copy);
    CHECK(t, sv_is(st2.fields[0].name, "d") && sv_is(st2.fields[1].name, "e"));
    /* writing a hand-built type: empty metadata means {} */
    vl_dt_field f = {.name = VL_SV("q"), .nullable = true};
    f.type.kind = VL_DT_BOOLEAN;
    vl_dt_type hb = {.kind = VL_DT_STRUCT, .fields = &f, .n_fields = 1};
    vl_buf_clear(&b);
    CHECK(t, vl_delta_schema_write(&hb, &b, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b), S1(F("q", "\"boolean\"", "true", "{}")));
    /* a bad hand-built type is refused and nothing is appended */
    f.type.kind = VL_DT_DECIMAL;
    f.type.precision = 50;
    vl_buf_clear(&b);
    CHECK(t, vl_delta_schema_write(&hb, &b, &err) == VL_EINVAL && b.n == 0);
    vl_dt_type notstruct = {.kind = VL_DT_LONG};
    CHECK(t, vl_delta_schema_write(&notstruct, &b, &err) == VL_EINVAL);
    vl_buf_free(&b);
    vl_arena_destroy(&a);
}

/* ----------------------------------------------------------- bad schemas */

typedef struct bad_schema {
    const char *json;
    int code;
    const char *msg; /* a substring of the message */
} bad_schema;

static const bad_schema bad_schemas[] = {
    {S1(F("a", "\"variant\"", "true", "{}")), VL_ECORRUPT, "field 'a': unknown type \"variant\""},
    {S1(F("a", "\"void\"", "true", "{}")), VL_ECORRUPT, "unknown type \"void\""},
    {S1(F("a", "\"interval\"", "true", "{}")), VL_ECORRUPT, "unknown type \"interval\""},
    {S1(F("a", "\"Long\"", "true", "{}")), VL_ECORRUPT, "unknown type \"Long\""},
    {S1(F("a", "{\"type\":\"udt\",\"class\":\"x\"}", "true", "{}")), VL_ECORRUPT, "unknown type \"udt\""},
    {S1(F("s", "{\"type\":\"struct\",\"fields\":[" F("b", "\"geometry\"", "true", "{}") "]}", "true", "{}")),
     VL_ECORRUPT, "field 's.b': unknown type \"geometry\""},
    {S1(F("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"char(3)\",\"valueContainsNull\":true}",
          "true", "{}")),
     VL_ECORRUPT, "field 'm.value': unknown type \"char(3)\""},
    {S1(F("a", "\"decimal(39,0)\"", "true", "{}")), VL_ECORRUPT, "bad decimal"},
    {S1(F("a", "\"decimal(5,6)\"", "true", "{}")), VL_ECORRUPT, "bad decimal"},
    {S1(F("a", "\"decimal(0,0)\"", "true", "{}")), VL_ECORRUPT, "bad decimal"},
    {S1(F("a", "\"decimal(10,-1)\"", "true", "{}")), VL_ECORRUPT, "bad decimal"},
    {S1(F("a", "\"decimal(10,2\"", "true", "{}")), VL_ECORRUPT, "bad decimal"},
    {S1(F("a", "\"decimal(10,2)x\"", "true", "{}")), VL_ECORRUPT, "bad decimal"},
    {S1(F("a", "\"decimal(99999999999999999999,1)\"", "true", "{}")), VL_ECORRUPT, "bad decimal"},
    {S1("{\"type\":\"long\",\"nullable\":true}"), VL_ECORRUPT, "missing \"name\""},
    {S1("{\"name\":\"a\",\"nullable\":true}"), VL_ECORRUPT, "field 'a': missing \"type\""},
    {S1("{\"name\":\"a\",\"type\":\"long\"}"), VL_ECORRUPT, "field 'a': missing \"nullable\""},
    {S1("{\"name\":\"a\",\"type\":\"long\",\"nullable\":\"yes\"}"), VL_ECORRUPT, "\"nullable\" is a string"},
    {S1("{\"name\":1,\"type\":\"long\",\"nullable\":true}"), VL_ECORRUPT, "\"name\" is a number"},
    {S1(F("a", "\"long\"", "true", "[]")), VL_ECORRUPT, "\"metadata\" is an array"},
    {S1(F("a", "7", "true", "{}")), VL_ECORRUPT, "the type is a number"},
    {S1("1"), VL_ECORRUPT, "field 0 is a number"},
    {S1(F("a", "{\"type\":\"array\",\"containsNull\":true}", "true", "{}")), VL_ECORRUPT, "missing \"elementType\""},
    {S1(F("a", "{\"type\":\"array\",\"elementType\":\"long\"}", "true", "{}")), VL_ECORRUPT, "missing \"containsNull\""},
    {S1(F("a", "{\"type\":\"map\",\"valueType\":\"long\",\"valueContainsNull\":true}", "true", "{}")), VL_ECORRUPT,
     "missing \"keyType\""},
    {S1(F("a", "{\"type\":\"map\",\"keyType\":\"long\",\"valueContainsNull\":true}", "true", "{}")), VL_ECORRUPT,
     "missing \"valueType\""},
    {S1(F("a", "{\"type\":\"map\",\"keyType\":\"long\",\"valueType\":\"long\"}", "true", "{}")), VL_ECORRUPT,
     "missing \"valueContainsNull\""},
    {S1(F("a", "{\"type\":\"struct\"}", "true", "{}")), VL_ECORRUPT, "field 'a': missing \"fields\""},
    {S1(F("a", "{\"elementType\":\"long\"}", "true", "{}")), VL_ECORRUPT, "missing \"type\""},
    {S1(F("a", "\"long\"", "true", "{}") "," F("a", "\"int\"", "true", "{}")), VL_ECORRUPT, "unknown type \"int\""},
    {S1(F("a", "\"long\"", "true", "{}") "," F("a", "\"string\"", "true", "{}")), VL_ECORRUPT,
     "duplicate field name \"a\""},
    {"{\"type\":\"array\",\"elementType\":\"long\",\"containsNull\":true}", VL_ECORRUPT, "the root must be"},
    {"{\"fields\":[]}", VL_ECORRUPT, "the root must be"},
    {"{\"type\":\"struct\"}", VL_ECORRUPT, "missing \"fields\""},
    {"{\"type\":\"struct\",\"fields\":{}}", VL_ECORRUPT, "\"fields\" is an object"},
    {"[]", VL_ECORRUPT, "expected a JSON object"},
    {"", VL_ECORRUPT, "not JSON"},
    {"{\"type\":\"struct\",\"fields\":[]", VL_ECORRUPT, "not JSON"},
    {"{\"type\":\"struct\",\"fields\":[]} x", VL_ECORRUPT, "not JSON"},
};

/* A schema with `levels` nested arrays around a long, in JSON. */
static char *deep_json(int levels, bool structs) {
    vl_buf b;
    vl_buf_init(&b);
    int rc = vl_buf_puts(&b, "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":");
    for (int i = 0; i < levels; i++)
        rc |= vl_buf_puts(&b, structs ? "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":"
                                      : "{\"type\":\"array\",\"containsNull\":true,\"elementType\":");
    rc |= vl_buf_puts(&b, "\"long\"");
    for (int i = 0; i < levels; i++) rc |= vl_buf_puts(&b, structs ? ",\"nullable\":true}]}" : "}");
    rc |= vl_buf_puts(&b, ",\"nullable\":true}]}");
    char *s = rc == VL_OK ? vl_strndup(b.p, b.n) : NULL;
    vl_buf_free(&b);
    return s;
}

static void t_bad_schemas(vl_test *t) {
    for (size_t i = 0; i < sizeof(bad_schemas) / sizeof(bad_schemas[0]); i++) {
        const bad_schema *c = &bad_schemas[i];
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_error err = {0};
        vl_dt_type st = {.kind = VL_DT_LONG};
        int rc = vl_delta_schema_parse(c->json, strlen(c->json), &a, &st, &err);
        CHECKF(t, rc == c->code, "case %zu (%s): code %d: %s", i, c->json, rc, err.msg);
        CHECKF(t, rc == VL_OK || strstr(err.msg, c->msg), "case %zu: message \"%s\" lacks \"%s\"", i, err.msg, c->msg);
        CHECK(t, st.kind == VL_DT_LONG); /* untouched on error */
        vl_arena_destroy(&a);
    }
    /* nesting: 29 levels below the field are fine, 30 are not (either kind) */
    for (int structs = 0; structs <= 1; structs++) {
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_error err;
        vl_dt_type st;
        char *ok = deep_json(28, structs), *deep = deep_json(30, structs), *deeper = deep_json(300, structs);
        REQUIRE(t, ok && deep && deeper);
        CHECKF(t, vl_delta_schema_parse(ok, strlen(ok), &a, &st, &err) == VL_OK, "%s", err.msg);
        CHECK(t, vl_delta_schema_parse(deep, strlen(deep), &a, &st, &err) == VL_ECORRUPT);
        CHECKF(t, strstr(err.msg, "nested deeper") != NULL, "%s", err.msg);
        CHECK(t, vl_delta_schema_parse(deeper, strlen(deeper), &a, &st, &err) == VL_ECORRUPT);
        /* the 28-deep schema still fits Parquet */
        vl_pq_schema_elem *el;
        uint32_t ne;
        vl_pq_schema ps;
        vl_dt_type st28;
        CHECK(t, vl_delta_schema_parse(ok, strlen(ok), &a, &st28, &err) == VL_OK);
        CHECKF(t, vl_delta_schema_to_parquet(&st28, NULL, &a, &el, &ne, &err) == VL_OK, "%s", err.msg);
        CHECKF(t, vl_pq_schema_build(el, ne, &a, &ps, &err) == VL_OK, "%s", err.msg);
        vl_free(ok);
        vl_free(deep);
        vl_free(deeper);
        vl_arena_destroy(&a);
    }
}

/* Every prefix of a valid schema is refused cleanly (no crash, no leak). */
static void t_schema_prefixes(vl_test *t) {
    const char *s = spark_schemas[sizeof(spark_schemas) / sizeof(spark_schemas[0]) - 2];
    size_t n = strlen(s);
    int ok = 0;
    for (size_t k = 0; k < n; k++) {
        char *p = vl_malloc(k ? k : 1); /* exactly k bytes: ASan sees any overread */
        memcpy(p, s, k);
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_dt_type st;
        vl_error err;
        if (vl_delta_schema_parse(p, k, &a, &st, &err) == VL_OK) ok++;
        vl_arena_destroy(&a);
        vl_free(p);
    }
    CHECK_EQ_INT(t, ok, 0);
}

/* ------------------------------------------------------------ SQL names */

typedef struct name_case {
    const char *in;
    const char *name; /* NULL: must fail */
} name_case;

static const name_case name_cases[] = {
    {"string", "string"},
    {"STRING", "string"},
    {"long", "long"},
    {"bigint", "long"},
    {"int", "int"},
    {"Integer", "int"},
    {"short", "short"},
    {"smallint", "short"},
    {"byte", "byte"},
    {"tinyint", "byte"},
    {"float", "float"},
    {"real", "float"},
    {"double", "double"},
    {"boolean", "boolean"},
    {"bool", "boolean"},
    {"binary", "binary"},
    {"date", "date"},
    {"timestamp", "timestamp"},
    {"timestamp_ntz", "timestamp_ntz"},
    {"decimal", "decimal(10,0)"},
    {"decimal(5)", "decimal(5,0)"},
    {"DECIMAL( 5 , 3 )", "decimal(5,3)"},
    {"decimal(38,38)", "decimal(38,38)"},
    {" array < short > ", "array<short>"},
    {"map<string,int>", "map<string,int>"},
    {"map<string, array<int>>", "map<string,array<int>>"},
    {"struct<a:int,b:string>", "struct<a:int,b:string>"},
    {"struct<a int, b string not null>", "struct<a:int,b:string NOT NULL>"},
    {"struct<`a b`:int,`x``y`:long>", "struct<`a b`:int,`x``y`:long>"},
    {"struct<>", "struct<>"},
    {"array<struct<id:bigint,tags:map<string,array<decimal(20,4)>>>>",
     "array<struct<id:long,tags:map<string,array<decimal(20,4)>>>>"},
    {"", NULL},
    {"foo", NULL},
    {"variant", NULL},
    {"int extra", NULL},
    {"array<>", NULL},
    {"array<int", NULL},
    {"array int", NULL},
    {"map<int>", NULL},
    {"map<int,>", NULL},
    {"decimal(39,0)", NULL},
    {"decimal(5,6)", NULL},
    {"decimal(5,", NULL},
    {"decimal(99999999999,1)", NULL},
    {"struct<a:int,a:long>", NULL},
    {"struct<a:int,>", NULL},
    {"struct<`a:int>", NULL},
    {"struct<a:int not>", NULL},
};

static void t_type_names(vl_test *t) {
    for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
        const name_case *c = &name_cases[i];
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_error err = {0};
        vl_dt_type ty;
        int rc = vl_delta_type_parse(c->in, strlen(c->in), &a, &ty, &err);
        if (!c->name) {
            CHECKF(t, rc == VL_EINVAL, "'%s' accepted", c->in);
        } else {
            CHECKF(t, rc == VL_OK, "'%s': %s", c->in, err.msg);
            if (rc == VL_OK) {
                vl_buf b;
                vl_buf_init(&b);
                CHECK(t, vl_delta_type_name(&ty, &b) == VL_OK);
                CHECK_EQ_STR(t, vl_buf_cstr(&b), c->name);
                /* the name reads back as the same type */
                vl_dt_type again;
                CHECK(t, vl_delta_type_parse(b.p, b.n, &a, &again, &err) == VL_OK &&
                             vl_delta_type_equal(&ty, &again));
                vl_buf_free(&b);
            }
        }
        vl_arena_destroy(&a);
    }
    /* message names the position */
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_error err;
    vl_dt_type ty;
    CHECK(t, vl_delta_type_parse("map<string,foo>", 15, &a, &ty, &err) == VL_EINVAL);
    CHECKF(t, strstr(err.msg, "byte 11") && strstr(err.msg, "unknown type \"foo\""), "%s", err.msg);
    /* deep nesting refused, not overflowing the stack */
    vl_buf b;
    vl_buf_init(&b);
    for (int i = 0; i < 5000; i++) REQUIRE(t, vl_buf_puts(&b, "array<") == VL_OK);
    CHECK(t, vl_delta_type_parse(b.p, b.n, &a, &ty, &err) == VL_EINVAL);
    vl_buf_free(&b);
    /* parsed names are copies */
    char in[] = "struct<abc:int>";
    REQUIRE(t, vl_delta_type_parse(in, strlen(in), &a, &ty, &err) == VL_OK);
    memset(in, 'x', sizeof(in) - 1);
    CHECK(t, sv_is(ty.fields[0].name, "abc"));
    vl_arena_destroy(&a);
}

static void t_ddl(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_error err;
    vl_dt_type st;
    REQUIRE(t, vl_delta_schema_from_ddl("id long, name string NOT NULL, price decimal(10,2), tags array<string>",
                                        &a, &st, &err) == VL_OK);
    REQUIRE(t, st.kind == VL_DT_STRUCT && st.n_fields == 4);
    CHECK(t, sv_is(st.fields[0].name, "id") && st.fields[0].type.kind == VL_DT_LONG && st.fields[0].nullable);
    CHECK(t, sv_is(st.fields[1].name, "name") && st.fields[1].type.kind == VL_DT_STRING && !st.fields[1].nullable);
    CHECK(t, st.fields[2].type.kind == VL_DT_DECIMAL && st.fields[2].type.precision == 10 &&
                 st.fields[2].type.scale == 2);
    CHECK(t, st.fields[3].type.kind == VL_DT_ARRAY && st.fields[3].type.elem->kind == VL_DT_STRING &&
                 st.fields[3].type.contains_null);
    vl_buf b;
    vl_buf_init(&b);
    CHECK(t, vl_delta_schema_write(&st, &b, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b),
                 "{\"type\":\"struct\",\"fields\":[" F("id", "\"long\"", "true", "{}") "," F("name", "\"string\"", "false", "{}")
                 "," F("price", "\"decimal(10,2)\"", "true", "{}") ","
                 F("tags", "{\"type\":\"array\",\"elementType\":\"string\",\"containsNull\":true}", "true", "{}") "]}");
    /* comments become metadata; quoted names; other spacing */
    REQUIRE(t, vl_delta_schema_from_ddl("  `event time` TIMESTAMP COMMENT 'it''s \"when\"',\n\tm map<string,int> not null  ",
                                        &a, &st, &err) == VL_OK);
    REQUIRE(t, st.n_fields == 2);
    CHECK(t, sv_is(st.fields[0].name, "event time"));
    CHECK(t, sv_is(st.fields[0].metadata, "{\"comment\":\"it's \\\"when\\\"\"}"));
    CHECK(t, st.fields[1].type.kind == VL_DT_MAP && !st.fields[1].nullable);
    static const char *const bad[] = {"", "   ", "id", "id long,", ",id long", "id long, id int", "id long NOT",
                                      "id unknown", "id long name string", "id long COMMENT", "id long COMMENT 'x",
                                      "id array<long"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = vl_delta_schema_from_ddl(bad[i], &a, &st, &err);
        CHECKF(t, rc == VL_EINVAL, "'%s' gave %d", bad[i], rc);
    }
    CHECK(t, vl_delta_schema_from_ddl("id long, id int", &a, &st, &err) == VL_EINVAL &&
                 strstr(err.msg, "duplicate column name \"id\""));
    CHECK(t, vl_delta_schema_from_ddl("id long, x foo", &a, &st, &err) == VL_EINVAL && strstr(err.msg, "byte 11"));
    vl_buf_free(&b);
    vl_arena_destroy(&a);
}

static void t_equal_find(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_error err;
    vl_dt_type x, y;
    REQUIRE(t, vl_delta_schema_from_ddl("a int, b map<string,array<decimal(5,2)>>, c struct<d:date>", &a, &x, &err) ==
                   VL_OK);
    REQUIRE(t, vl_delta_schema_from_ddl("a int, b map<string,array<decimal(5,2)>>, c struct<d:date>", &a, &y, &err) ==
                   VL_OK);
    CHECK(t, vl_delta_type_equal(&x, &y));
    y.fields[1].type.value->elem->scale = 3;
    CHECK(t, !vl_delta_type_equal(&x, &y));
    y.fields[1].type.value->elem->scale = 2;
    y.fields[1].type.value->contains_null = false;
    CHECK(t, !vl_delta_type_equal(&x, &y));
    y.fields[1].type.value->contains_null = true;
    y.fields[2].nullable = false;
    CHECK(t, !vl_delta_type_equal(&x, &y));
    y.fields[2].nullable = true;
    y.fields[0].name = VL_SV("A");
    CHECK(t, !vl_delta_type_equal(&x, &y));
    uint32_t idx = 99;
    CHECK(t, vl_delta_field_find(&x, VL_SV("c"), &idx) == &x.fields[2] && idx == 2);
    CHECK(t, vl_delta_field_find(&x, VL_SV("C"), &idx) == NULL);
    CHECK(t, vl_delta_field_find(&x, VL_SV("a"), NULL) == &x.fields[0]);
    CHECK(t, vl_delta_field_find(&x.fields[0].type, VL_SV("a"), NULL) == NULL);
    vl_arena_destroy(&a);
}

/* --------------------------------------------------------------- Parquet */

static int buf_sink(void *ctx, const void *p, size_t n, vl_error *err) {
    if (vl_buf_append(ctx, p, n) != VL_OK) return vl_error_set(err, VL_ENOMEM, "test sink: out of memory");
    return VL_OK;
}

static int row_sink(void *ctx, const char *p, size_t n, vl_error *err) {
    if (vl_buf_append(ctx, p, n) != VL_OK) return vl_error_set(err, VL_ENOMEM, "test sink: out of memory");
    return VL_OK;
}


typedef struct pq_expect {
    const char *name;
    int32_t rep;      /* -1: root (none) */
    int32_t type;     /* -1: group */
    int32_t children; /* groups */
    int32_t conv;     /* -1: none */
    int32_t logical;  /* VL_PQ_LT_* */
    int32_t type_length, precision, scale;
} pq_expect;

enum { REQ = VL_PQ_REP_REQUIRED, OPT = VL_PQ_REP_OPTIONAL, RPT = VL_PQ_REP_REPEATED };

static void t_to_parquet(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_error err;
    vl_dt_type st;
    REQUIRE(t, vl_delta_schema_from_ddl(
                   "s string, l long not null, i int, sh short, b byte, f float, d double, bo boolean, bi binary, "
                   "dt date, ts timestamp, tn timestamp_ntz, d1 decimal(9,2), d2 decimal(18,0), d3 decimal(19,4), "
                   "d4 decimal(38,10), st struct<x:int not null,y:string>, ar array<long>, m map<string,int>, "
                   "skipped int",
                   &a, &st, &err) == VL_OK);
    /* containsNull false on ar, valueContainsNull false on m */
    st.fields[17].type.contains_null = false;
    st.fields[18].type.contains_null = false;
    bool keep[20];
    for (int i = 0; i < 20; i++) keep[i] = i != 19;
    vl_pq_schema_elem *e;
    uint32_t n;
    REQUIRE(t, vl_delta_schema_to_parquet(&st, keep, &a, &e, &n, &err) == VL_OK);
    static const pq_expect want[] = {
        {"spark_schema", -1, -1, 19, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"s", OPT, VL_PQ_T_BYTE_ARRAY, 0, VL_PQ_CT_UTF8, VL_PQ_LT_STRING, 0, 0, 0},
        {"l", REQ, VL_PQ_T_INT64, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"i", OPT, VL_PQ_T_INT32, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"sh", OPT, VL_PQ_T_INT32, 0, VL_PQ_CT_INT_16, VL_PQ_LT_INTEGER, 0, 0, 0},
        {"b", OPT, VL_PQ_T_INT32, 0, VL_PQ_CT_INT_8, VL_PQ_LT_INTEGER, 0, 0, 0},
        {"f", OPT, VL_PQ_T_FLOAT, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"d", OPT, VL_PQ_T_DOUBLE, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"bo", OPT, VL_PQ_T_BOOLEAN, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"bi", OPT, VL_PQ_T_BYTE_ARRAY, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"dt", OPT, VL_PQ_T_INT32, 0, VL_PQ_CT_DATE, VL_PQ_LT_DATE, 0, 0, 0},
        {"ts", OPT, VL_PQ_T_INT64, 0, VL_PQ_CT_TIMESTAMP_MICROS, VL_PQ_LT_TIMESTAMP, 0, 0, 0},
        {"tn", OPT, VL_PQ_T_INT64, 0, -1, VL_PQ_LT_TIMESTAMP, 0, 0, 0},
        {"d1", OPT, VL_PQ_T_INT32, 0, VL_PQ_CT_DECIMAL, VL_PQ_LT_DECIMAL, 0, 9, 2},
        {"d2", OPT, VL_PQ_T_INT64, 0, VL_PQ_CT_DECIMAL, VL_PQ_LT_DECIMAL, 0, 18, 0},
        {"d3", OPT, VL_PQ_T_FIXED_LEN_BYTE_ARRAY, 0, VL_PQ_CT_DECIMAL, VL_PQ_LT_DECIMAL, 9, 19, 4},
        {"d4", OPT, VL_PQ_T_FIXED_LEN_BYTE_ARRAY, 0, VL_PQ_CT_DECIMAL, VL_PQ_LT_DECIMAL, 16, 38, 10},
        {"st", OPT, -1, 2, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"x", REQ, VL_PQ_T_INT32, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"y", OPT, VL_PQ_T_BYTE_ARRAY, 0, VL_PQ_CT_UTF8, VL_PQ_LT_STRING, 0, 0, 0},
        {"ar", OPT, -1, 1, VL_PQ_CT_LIST, VL_PQ_LT_LIST, 0, 0, 0},
        {"list", RPT, -1, 1, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"element", REQ, VL_PQ_T_INT64, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"m", OPT, -1, 1, VL_PQ_CT_MAP, VL_PQ_LT_MAP, 0, 0, 0},
        {"key_value", RPT, -1, 2, -1, VL_PQ_LT_NONE, 0, 0, 0},
        {"key", REQ, VL_PQ_T_BYTE_ARRAY, 0, VL_PQ_CT_UTF8, VL_PQ_LT_STRING, 0, 0, 0},
        {"value", REQ, VL_PQ_T_INT32, 0, -1, VL_PQ_LT_NONE, 0, 0, 0},
    };
    size_t nw = sizeof(want) / sizeof(want[0]);
    CHECK_EQ_INT(t, n, nw);
    for (size_t i = 0; i < nw && i < n; i++) {
        const pq_expect *w = &want[i];
        const vl_pq_schema_elem *x = &e[i];
        CHECKF(t, sv_is(x->name, w->name), "element %zu: name %.*s", i, (int)x->name.n, x->name.p);
        if (w->rep < 0) CHECKF(t, !x->has_repetition_type, "element %zu", i);
        else CHECKF(t, x->has_repetition_type && x->repetition_type == w->rep, "element %zu (%s): repetition", i, w->name);
        if (w->type < 0) {
            CHECKF(t, !x->has_type && x->has_num_children && x->num_children == w->children, "element %zu (%s)", i, w->name);
        } else {
            CHECKF(t, x->has_type && x->type == w->type && !x->has_num_children, "element %zu (%s): type", i, w->name);
        }
        if (w->conv < 0) CHECKF(t, !x->has_converted_type, "element %zu (%s): converted", i, w->name);
        else CHECKF(t, x->has_converted_type && x->converted_type == w->conv, "element %zu (%s): converted", i, w->name);
        CHECKF(t, x->logical.kind == w->logical, "element %zu (%s): logical %d", i, w->name, x->logical.kind);
        CHECKF(t, x->has_type_length == (w->type_length > 0) && (!w->type_length || x->type_length == w->type_length),
               "element %zu (%s): type_length %d", i, w->name, x->type_length);
        if (w->logical == VL_PQ_LT_DECIMAL)
            CHECKF(t, x->has_precision && x->has_scale && x->precision == w->precision && x->scale == w->scale &&
                          x->logical.precision == w->precision && x->logical.scale == w->scale,
                   "element %zu (%s): decimal", i, w->name);
    }
    /* details of the logical types */
    CHECK(t, e[4].logical.bit_width == 16 && e[4].logical.is_signed);
    CHECK(t, e[5].logical.bit_width == 8 && e[5].logical.is_signed);
    CHECK(t, e[11].logical.unit == VL_PQ_UNIT_MICROS && e[11].logical.is_adjusted_to_utc);
    CHECK(t, e[12].logical.unit == VL_PQ_UNIT_MICROS && !e[12].logical.is_adjusted_to_utc);
    /* the writer takes it, and the tree has the Dremel levels we expect */
    vl_pq_schema ps;
    REQUIRE(t, vl_pq_schema_build(e, n, &a, &ps, &err) == VL_OK);
    CHECK_EQ_INT(t, ps.n_leaves, 21);
    const vl_pq_node *el = ps.leaves[18]; /* ar.list.element */
    CHECK(t, sv_is(el->name, "element") && el->max_def == 2 && el->max_rep == 1);
    const vl_pq_node *mv = ps.leaves[20]; /* m.key_value.value */
    CHECK(t, sv_is(mv->name, "value") && mv->max_def == 2 && mv->max_rep == 1);
    vl_buf f;
    vl_buf_init(&f);
    vl_pq_writer *w = NULL;
    CHECKF(t, vl_pq_writer_open((vl_pq_sink){&f, buf_sink}, e, n, NULL, &w, &err) == VL_OK, "%s", err.msg);
    vl_pq_writer_destroy(w);
    vl_arena_destroy(&a);
    vl_buf_free(&f);
}

/* Decimal widths: every precision maps to a physical type the writer takes. */
static void t_decimal_widths(vl_test *t) {
    static const int32_t bytes[39] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9, 9, 9, 10, 10, 11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 16, 16, 16};
    for (int32_t p = 1; p <= 38; p++) {
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_error err;
        vl_dt_field f = {.name = VL_SV("d"), .nullable = true, .metadata = VL_SV("{}")};
        f.type.kind = VL_DT_DECIMAL;
        f.type.precision = p;
        f.type.scale = p / 2;
        vl_dt_type st = {.kind = VL_DT_STRUCT, .fields = &f, .n_fields = 1};
        vl_pq_schema_elem *e;
        uint32_t n;
        REQUIRE(t, vl_delta_schema_to_parquet(&st, NULL, &a, &e, &n, &err) == VL_OK && n == 2);
        int32_t want = p <= 9 ? VL_PQ_T_INT32 : p <= 18 ? VL_PQ_T_INT64 : VL_PQ_T_FIXED_LEN_BYTE_ARRAY;
        CHECKF(t, e[1].type == want, "precision %d", p);
        if (p > 18) CHECKF(t, e[1].type_length == bytes[p], "precision %d: %d bytes, want %d", p, e[1].type_length, bytes[p]);
        vl_buf out;
        vl_buf_init(&out);
        vl_pq_writer *w = NULL;
        CHECKF(t, vl_pq_writer_open((vl_pq_sink){&out, buf_sink}, e, n, NULL, &w, &err) == VL_OK, "precision %d: %s", p,
               err.msg);
        vl_pq_writer_destroy(w);
        vl_buf_free(&out);
        vl_arena_destroy(&a);
    }
    /* bad inputs to to_parquet */
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_error err;
    vl_dt_type st;
    vl_pq_schema_elem *e;
    uint32_t n;
    REQUIRE(t, vl_delta_schema_from_ddl("a int, s struct<>", &a, &st, &err) == VL_OK);
    CHECK(t, vl_delta_schema_to_parquet(&st, NULL, &a, &e, &n, &err) == VL_EINVAL && strstr(err.msg, "field 's'"));
    bool keep[2] = {false, false};
    CHECK(t, vl_delta_schema_to_parquet(&st, keep, &a, &e, &n, &err) == VL_EINVAL);
    keep[0] = true;
    CHECK(t, vl_delta_schema_to_parquet(&st, keep, &a, &e, &n, &err) == VL_OK && n == 2);
    CHECK(t, vl_delta_schema_to_parquet(&st.fields[0].type, NULL, &a, &e, &n, &err) == VL_EINVAL);
    vl_arena_destroy(&a);
}

/* ------------------------------------------------------------ JSON values */

typedef struct value_case {
    const char *type;
    const char *json;
    int code;
    int64_t i;     /* expected .i */
    double d;      /* expected .d (floats) */
    const char *s; /* expected .s (strings, binary, wide decimals) */
} value_case;

static const value_case value_cases[] = {
    {"long", "9223372036854775807", VL_OK, INT64_MAX, 0, NULL},
    {"long", "-9223372036854775808", VL_OK, INT64_MIN, 0, NULL},
    {"long", "9223372036854775808", VL_EINVAL, 0, 0, NULL},
    {"long", "1.5", VL_EINVAL, 0, 0, NULL},
    {"long", "1e2", VL_EINVAL, 0, 0, NULL},
    {"long", "\"5\"", VL_EINVAL, 0, 0, NULL},
    {"int", "2147483647", VL_OK, 2147483647, 0, NULL},
    {"int", "2147483648", VL_EINVAL, 0, 0, NULL},
    {"int", "-2147483648", VL_OK, INT32_MIN, 0, NULL},
    {"short", "-32768", VL_OK, -32768, 0, NULL},
    {"short", "32768", VL_EINVAL, 0, 0, NULL},
    {"byte", "127", VL_OK, 127, 0, NULL},
    {"byte", "-129", VL_EINVAL, 0, 0, NULL},
    {"boolean", "true", VL_OK, 1, 0, NULL},
    {"boolean", "false", VL_OK, 0, 0, NULL},
    {"boolean", "1", VL_EINVAL, 0, 0, NULL},
    {"double", "1.5", VL_OK, 0, 1.5, NULL},
    {"double", "-0.1", VL_OK, 0, -0.1, NULL},
    {"double", "\"Infinity\"", VL_OK, 0, INFINITY, NULL},
    {"double", "\"-Infinity\"", VL_OK, 0, -INFINITY, NULL},
    {"double", "1e999", VL_EINVAL, 0, 0, NULL},
    {"double", "\"1.5\"", VL_EINVAL, 0, 0, NULL},
    {"double", "\"inf\"", VL_EINVAL, 0, 0, NULL},
    {"float", "0.1", VL_OK, 0, (double)0.1f, NULL},
    {"float", "1e39", VL_EINVAL, 0, 0, NULL},
    {"float", "3.4028234663852886e38", VL_OK, 0, (double)FLT_MAX, NULL},
    {"string", "\"h\\u00e9\"", VL_OK, 0, 0, "h\xc3\xa9"},
    {"string", "1", VL_EINVAL, 0, 0, NULL},
    {"binary", "\"aGVsbG8=\"", VL_OK, 0, 0, "hello"},
    {"binary", "\"aGVsbG8h\"", VL_OK, 0, 0, "hello!"},
    {"binary", "\"aGVsbA==\"", VL_OK, 0, 0, "hell"},
    {"binary", "\"\"", VL_OK, 0, 0, ""},
    {"binary", "\"aGVsbG8\"", VL_EINVAL, 0, 0, NULL},
    {"binary", "\"aGVsbG9=\"", VL_EINVAL, 0, 0, NULL}, /* stray bits */
    {"binary", "\"aGVsbB==\"", VL_EINVAL, 0, 0, NULL},
    {"binary", "\"aG=sbG8=\"", VL_EINVAL, 0, 0, NULL},
    {"binary", "\"aGVs bG8=\"", VL_EINVAL, 0, 0, NULL},
    {"binary", "\"aGVsbG8_\"", VL_EINVAL, 0, 0, NULL},
    {"binary", "\"====\"", VL_EINVAL, 0, 0, NULL},
    {"date", "\"2022-10-24\"", VL_OK, 19289, 0, NULL},
    {"date", "\"1970-01-01\"", VL_OK, 0, 0, NULL},
    {"date", "\"1969-12-31\"", VL_OK, -1, 0, NULL},
    {"date", "\"2022-02-30\"", VL_EINVAL, 0, 0, NULL},
    {"date", "\"2022-10-24T00:00:00Z\"", VL_EINVAL, 0, 0, NULL},
    {"date", "19289", VL_EINVAL, 0, 0, NULL},
    {"timestamp", "\"2021-09-08T11:11:11.000Z\"", VL_OK, INT64_C(1631099471000000), 0, NULL},
    {"timestamp", "\"2024-05-01T12:00:00.000000Z\"", VL_OK, INT64_C(1714564800000000), 0, NULL},
    {"timestamp", "\"2024-05-01T12:00:00Z\"", VL_OK, INT64_C(1714564800000000), 0, NULL},
    {"timestamp", "\"2024-05-01T14:00:00.5+02:00\"", VL_OK, INT64_C(1714564800500000), 0, NULL},
    {"timestamp", "\"2024-05-01 12:00:00\"", VL_OK, INT64_C(1714564800000000), 0, NULL},
    {"timestamp", "\"2024-05-01 12:00:00.000001\"", VL_OK, INT64_C(1714564800000001), 0, NULL},
    {"timestamp", "\"2024-05-01\"", VL_OK, INT64_C(1714521600000000), 0, NULL},
    {"timestamp", "\"2024-05-01T25:00:00Z\"", VL_EINVAL, 0, 0, NULL},
    {"timestamp", "\"2024-05-01T12:00\"", VL_EINVAL, 0, 0, NULL},
    {"timestamp", "\"2024-05-01T12:00:00+2\"", VL_EINVAL, 0, 0, NULL},
    {"timestamp", "1714564800", VL_EINVAL, 0, 0, NULL},
    {"timestamp_ntz", "\"2024-05-01T12:00:00.000000\"", VL_OK, INT64_C(1714564800000000), 0, NULL},
    {"timestamp_ntz", "\"2021-09-08T11:11:11.000\"", VL_OK, INT64_C(1631099471000000), 0, NULL},
    {"timestamp_ntz", "\"2024-05-01T12:00:00Z\"", VL_OK, INT64_C(1714564800000000), 0, NULL},
    {"timestamp_ntz", "\"2024-05-01T12:00:00+01:00\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "-5.678", VL_OK, -5678, 0, NULL},
    {"decimal(5,3)", "\"12.5\"", VL_OK, 12500, 0, NULL},
    {"decimal(5,3)", "\"12.50000\"", VL_OK, 12500, 0, NULL},
    {"decimal(5,3)", "12", VL_OK, 12000, 0, NULL},
    {"decimal(5,3)", "\"-0.000\"", VL_OK, 0, 0, NULL},
    {"decimal(5,3)", "1.5E+1", VL_OK, 15000, 0, NULL},
    {"decimal(5,3)", "\"1200e-5\"", VL_OK, 12, 0, NULL},
    {"decimal(5,3)", "\"1234e-5\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "\"+.5\"", VL_OK, 500, 0, NULL},
    {"decimal(5,3)", "\"123.4\"", VL_EINVAL, 0, 0, NULL},   /* 6 digits at scale 3 */
    {"decimal(5,3)", "\"1.2345\"", VL_EINVAL, 0, 0, NULL},  /* fraction beyond the scale */
    {"decimal(5,3)", "0e99999999999", VL_OK, 0, 0, NULL},
    {"decimal(5,3)", "1e99999999999", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "1e-99999999999", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "\"1.2.3\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "\"\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "\".\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "\"1e\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "\" 1\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "\"NaN\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(5,3)", "true", VL_EINVAL, 0, 0, NULL},
    {"decimal(18,0)", "\"999999999999999999\"", VL_OK, INT64_C(999999999999999999), 0, NULL},
    {"decimal(18,0)", "\"-999999999999999999\"", VL_OK, -INT64_C(999999999999999999), 0, NULL},
    {"decimal(18,0)", "\"1000000000000000000\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(38,2)", "\"-123456789012345678901234567890123456.78\"", VL_OK, 0, 0,
     "-123456789012345678901234567890123456.78"},
    {"decimal(38,2)", "1e3", VL_OK, 0, 0, "1000.00"},
    {"decimal(38,2)", "\"0.5\"", VL_OK, 0, 0, "0.50"},
    {"decimal(38,2)", "\"1234567890123456789012345678901234567\"", VL_EINVAL, 0, 0, NULL},
    {"decimal(20,20)", "\"0.00000000000000000001\"", VL_OK, 0, 0, "0.00000000000000000001"},
    {"long", "null", VL_OK, 0, 0, NULL}, /* null: is_null */
};

static void t_value_from_json(vl_test *t) {
    for (size_t i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
        const value_case *c = &value_cases[i];
        vl_arena a;
        vl_arena_init(&a, 0);
        vl_error err = {0};
        vl_dt_type ty;
        const vl_json *j;
        REQUIRE(t, vl_delta_type_parse(c->type, strlen(c->type), &a, &ty, &err) == VL_OK);
        REQUIRE(t, vl_json_parse(c->json, strlen(c->json), &a, &j, &err) == VL_OK);
        vl_delta_value v;
        int rc = vl_delta_value_from_json(&ty, j, &a, &v, &err);
        CHECKF(t, rc == c->code, "case %zu: %s %s: got %d (%s)", i, c->type, c->json, rc, rc ? err.msg : "");
        if (rc == VL_OK && c->code == VL_OK) {
            bool is_null = strcmp(c->json, "null") == 0;
            CHECKF(t, v.is_null == is_null, "case %zu", i);
            CHECKF(t, v.i == c->i, "case %zu: %s %s: i = %lld", i, c->type, c->json, (long long)v.i);
            if (ty.kind == VL_DT_FLOAT || ty.kind == VL_DT_DOUBLE)
                CHECKF(t, v.d == c->d, "case %zu: %s: d = %.17g", i, c->json, v.d);
            if (c->s) CHECKF(t, sv_is(v.s, c->s), "case %zu: %s: s = %.*s", i, c->json, (int)v.s.n, v.s.p);
        }
        vl_arena_destroy(&a);
    }
    /* NaN and nested types */
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_error err;
    vl_dt_type ty;
    const vl_json *j;
    vl_delta_value v;
    REQUIRE(t, vl_delta_type_parse("double", 6, &a, &ty, &err) == VL_OK);
    REQUIRE(t, vl_json_parse("\"NaN\"", 5, &a, &j, &err) == VL_OK);
    CHECK(t, vl_delta_value_from_json(&ty, j, &a, &v, &err) == VL_OK && isnan(v.d));
    CHECK(t, vl_delta_value_from_json(&ty, NULL, &a, &v, &err) == VL_OK && v.is_null);
    REQUIRE(t, vl_delta_type_parse("array<int>", 10, &a, &ty, &err) == VL_OK);
    REQUIRE(t, vl_json_parse("[1]", 3, &a, &j, &err) == VL_OK);
    CHECK(t, vl_delta_value_from_json(&ty, j, &a, &v, &err) == VL_ENOTSUP);
    /* a message shows the value */
    REQUIRE(t, vl_delta_type_parse("int", 3, &a, &ty, &err) == VL_OK);
    REQUIRE(t, vl_json_parse("\"abc\"", 5, &a, &j, &err) == VL_OK);
    CHECK(t, vl_delta_value_from_json(&ty, j, &a, &v, &err) == VL_EINVAL);
    CHECKF(t, strstr(err.msg, "expected an integer, got \"abc\""), "%s", err.msg);
    vl_arena_destroy(&a);
}

/* ------------------------------------------------------------- shredding */

/* Shreds NDJSON `rows` with the DDL schema, writes a Parquet file, reads it
 * back as NDJSON and compares with `want` (NULL: rows themselves). */
static int dump_seq;

static void round_trip(vl_test *t, const char *ddl, const char *rows, const char *want) {
    vl_arena a, dom;
    vl_arena_init(&a, 0);
    vl_arena_init(&dom, 0);
    vl_error err = {0};
    vl_dt_type st;
    vl_delta_shredder *sh = NULL;
    vl_pq_writer *w = NULL;
    vl_pq_reader *r = NULL;
    vl_buf file, out;
    vl_buf_init(&file);
    vl_buf_init(&out);
    vl_pq_schema_elem *e;
    uint32_t ne;
    if (vl_delta_schema_from_ddl(ddl, &a, &st, &err) != VL_OK) {
        CHECKF(t, 0, "%s: %s", ddl, err.msg);
        goto done;
    }
    if (vl_delta_shredder_new(&st, NULL, &sh, &err) != VL_OK) {
        CHECKF(t, 0, "%s: %s", ddl, err.msg);
        goto done;
    }
    size_t nrows = 0;
    for (const char *p = rows; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const vl_json *row;
        vl_arena_reset(&dom);
        if (vl_json_parse(p, len, &dom, &row, &err) != VL_OK || vl_delta_shredder_add(sh, row, &err) != VL_OK) {
            CHECKF(t, 0, "row %.*s: %s", (int)len, p, err.msg);
            goto done;
        }
        nrows++;
        p += len + (nl ? 1 : 0);
    }
    vl_arena_reset(&dom); /* the shredder must not need the rows' DOM any more */
    CHECK_EQ_INT(t, vl_delta_shredder_rows(sh), nrows);
    REQUIRE(t, vl_delta_schema_to_parquet(&st, NULL, &a, &e, &ne, &err) == VL_OK);
    uint32_t nl;
    const vl_pq_column *cols = vl_delta_shredder_columns(sh, &nl);
    if (vl_pq_writer_open((vl_pq_sink){&file, buf_sink}, e, ne, NULL, &w, &err) != VL_OK ||
        vl_pq_writer_write(w, cols, nrows, &err) != VL_OK || vl_pq_writer_close(w, &err) != VL_OK) {
        CHECKF(t, 0, "%s: write: %s", ddl, err.msg);
        goto done;
    }
    const char *dump = getenv("VIDLAKE_DELTA_SHRED_DUMP");
    if (dump && *dump) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%d.parquet", dump, dump_seq++);
        FILE *f = fopen(path, "wb");
        if (f) {
            fwrite(file.p, 1, file.n, f);
            fclose(f);
        }
    }
    if (vl_pq_reader_open_mem((const uint8_t *)file.p, file.n, "mem", &r, &err) != VL_OK) {
        CHECKF(t, 0, "%s: read: %s", ddl, err.msg);
        goto done;
    }
    for (uint32_t g = 0; g < vl_pq_reader_meta(r)->n_row_groups; g++) {
        int64_t written;
        if (vl_pq_rows_write(r, g, NULL, VL_PQ_ROWS_NDJSON, 0, -1, row_sink, &out, &written, &err) != VL_OK) {
            CHECKF(t, 0, "%s: rows: %s", ddl, err.msg);
            goto done;
        }
    }
    CHECKF(t, strcmp(vl_buf_cstr(&out), want ? want : rows) == 0, "%s:\n--- got\n%s--- want\n%s", ddl,
           vl_buf_cstr(&out), want ? want : rows);
done:
    vl_pq_reader_close(r);
    vl_pq_writer_destroy(w);
    vl_delta_shredder_free(sh);
    vl_buf_free(&file);
    vl_buf_free(&out);
    vl_arena_destroy(&dom);
    vl_arena_destroy(&a);
}

static void t_shred_flat(vl_test *t) {
    round_trip(t,
               "id long NOT NULL, name string, i int, sh short, b byte, f float, d double, ok boolean, bin binary, "
               "day date, ts timestamp, tn timestamp_ntz, p decimal(7,2), q decimal(18,3), r decimal(30,4)",
               "{\"id\":1,\"name\":\"alice\",\"i\":-7,\"sh\":-32768,\"b\":127,\"f\":0.1,\"d\":2.5,\"ok\":true,"
               "\"bin\":\"aGVsbG8=\",\"day\":\"2024-05-01\",\"ts\":\"2024-05-01T12:00:00.000000Z\","
               "\"tn\":\"2024-05-01T12:00:00.123456\",\"p\":\"12.50\",\"q\":\"-123456789012345.678\","
               "\"r\":\"-12345678901234567890123456.7890\"}\n"
               "{\"id\":2,\"name\":null,\"i\":null,\"sh\":null,\"b\":null,\"f\":null,\"d\":null,\"ok\":null,"
               "\"bin\":null,\"day\":null,\"ts\":null,\"tn\":null,\"p\":null,\"q\":null,\"r\":null}\n"
               "{\"id\":-9223372036854775808,\"name\":\"\",\"i\":2147483647,\"sh\":0,\"b\":-128,\"f\":\"NaN\","
               "\"d\":\"-Infinity\",\"ok\":false,\"bin\":\"\",\"day\":\"1969-12-31\",\"ts\":\"1969-12-31T23:59:59.999999Z\","
               "\"tn\":\"1970-01-01T00:00:00.000000\",\"p\":\"-0.01\",\"q\":\"0.000\",\"r\":\"0.0000\"}\n",
               NULL);
    /* other spellings in, canonical out; missing keys are null */
    round_trip(t, "id long, ts timestamp, p decimal(7,2), f double, s string",
               "{\"ts\":\"2024-05-01 12:00:00\",\"p\":12.5,\"f\":1e2}\n"
               "{\"id\":3,\"ts\":\"2024-05-01T14:00:00+02:00\",\"p\":\"1E1\",\"f\":\"Infinity\",\"s\":\"\\u00e9\\n\"}\n",
               "{\"id\":null,\"ts\":\"2024-05-01T12:00:00.000000Z\",\"p\":\"12.50\",\"f\":100,\"s\":null}\n"
               "{\"id\":3,\"ts\":\"2024-05-01T12:00:00.000000Z\",\"p\":\"10.00\",\"f\":\"Infinity\",\"s\":\"\xc3\xa9\\n\"}\n");
}

static void t_shred_nested(vl_test *t) {
    round_trip(t, "s struct<a:int,b:struct<c:string NOT NULL>>, t struct<x:long NOT NULL> NOT NULL",
               "{\"s\":{\"a\":1,\"b\":{\"c\":\"x\"}},\"t\":{\"x\":1}}\n"
               "{\"s\":{\"a\":null,\"b\":null},\"t\":{\"x\":2}}\n"
               "{\"s\":null,\"t\":{\"x\":3}}\n",
               NULL);
    round_trip(t, "a array<int>, b array<string>",
               "{\"a\":[1,2,3],\"b\":[\"x\"]}\n"
               "{\"a\":[],\"b\":null}\n"
               "{\"a\":null,\"b\":[null,\"y\",null]}\n"
               "{\"a\":[null],\"b\":[]}\n",
               NULL);
    round_trip(t, "aa array<array<long>>, sa array<struct<k:string,v:array<int>>>",
               "{\"aa\":[[1,2],[],null,[3]],\"sa\":[{\"k\":\"a\",\"v\":[1]},null,{\"k\":null,\"v\":[]},{\"k\":\"b\",\"v\":null}]}\n"
               "{\"aa\":[],\"sa\":[]}\n"
               "{\"aa\":[[null]],\"sa\":null}\n",
               NULL);
    round_trip(t, "m map<string,int>, n map<int,array<string>>, o map<string,map<string,boolean>>",
               "{\"m\":{\"a\":1,\"b\":null},\"n\":[[1,[\"x\",null]],[2,null],[3,[]]],\"o\":{\"p\":{\"q\":true},\"r\":{},\"s\":null}}\n"
               "{\"m\":{},\"n\":[],\"o\":{}}\n"
               "{\"m\":null,\"n\":null,\"o\":null}\n",
               NULL);
    /* string-keyed maps also as pairs */
    round_trip(t, "m map<string,long>", "{\"m\":[[\"a\",1],[\"b\",2]]}\n", "{\"m\":{\"a\":1,\"b\":2}}\n");
    /* decimals and dates as map keys */
    round_trip(t, "m map<date,decimal(20,2)>", "{\"m\":[[\"2024-01-02\",\"1.5\"],[\"2024-01-01\",null]]}\n",
               "{\"m\":[[\"2024-01-02\",\"1.50\"],[\"2024-01-01\",null]]}\n");
}

/* The levels of a small nested row, checked by hand (Dremel paper style). */
static void t_shred_levels(vl_test *t) {
    vl_arena a, dom;
    vl_arena_init(&a, 0);
    vl_arena_init(&dom, 0);
    vl_error err;
    vl_dt_type st;
    vl_delta_shredder *sh;
    REQUIRE(t, vl_delta_schema_from_ddl("id long not null, a array<array<int>>, skip string", &a, &st, &err) == VL_OK);
    bool keep[3] = {true, true, false};
    REQUIRE(t, vl_delta_shredder_new(&st, keep, &sh, &err) == VL_OK);
    const char *rows[] = {"{\"id\":1,\"a\":[[1,2],[],null,[null,3]],\"skip\":\"z\"}", "{\"id\":2,\"a\":null}",
                          "{\"id\":3,\"a\":[]}"};
    for (int i = 0; i < 3; i++) {
        const vl_json *row;
        REQUIRE(t, vl_json_parse(rows[i], strlen(rows[i]), &dom, &row, &err) == VL_OK);
        REQUIRE(t, vl_delta_shredder_add(sh, row, &err) == VL_OK);
    }
    uint32_t n;
    const vl_pq_column *c = vl_delta_shredder_columns(sh, &n);
    REQUIRE(t, n == 2);
    CHECK(t, c[0].n == 3 && c[0].n_values == 3 && c[0].def == NULL && c[0].rep == NULL);
    CHECK(t, c[0].v.i64[0] == 1 && c[0].v.i64[2] == 3);
    /* a: optional(1) list; repeated(2) list; optional(3) element list; repeated(4); optional(5) element */
    static const int16_t def[] = {5, 5, 3, 2, 4, 5, 0, 1};
    static const int16_t rep[] = {0, 2, 1, 1, 1, 2, 0, 0};
    REQUIRE(t, c[1].n == 8 && c[1].n_values == 3 && c[1].def && c[1].rep);
    CHECK(t, c[1].leaf && c[1].leaf->max_def == 5 && c[1].leaf->max_rep == 2);
    for (int i = 0; i < 8; i++) CHECKF(t, c[1].def[i] == def[i] && c[1].rep[i] == rep[i], "entry %d: %d/%d", i,
                                       c[1].def[i], c[1].rep[i]);
    CHECK(t, c[1].v.i32[0] == 1 && c[1].v.i32[1] == 2 && c[1].v.i32[2] == 3);
    vl_delta_shredder_reset(sh);
    c = vl_delta_shredder_columns(sh, &n);
    CHECK(t, vl_delta_shredder_rows(sh) == 0 && c[0].n == 0 && c[1].n == 0 && c[1].n_values == 0);
    vl_delta_shredder_free(sh);
    vl_delta_shredder_free(NULL);
    vl_arena_destroy(&dom);
    vl_arena_destroy(&a);
}

typedef struct bad_row {
    const char *row;
    const char *msg;
} bad_row;

static const bad_row bad_rows[] = {
    {"{\"id\":null}", "field 'id': null in a non-nullable field"},
    {"{}", "field 'id': null in a non-nullable field"},
    {"{\"id\":1,\"zz\":1}", "field 'zz': unknown key"},
    {"{\"id\":\"x\"}", "field 'id': expected an integer, got \"x\""},
    {"{\"id\":1,\"s\":{\"a\":1,\"q\":2}}", "field 's.q': unknown key"},
    {"{\"id\":1,\"s\":{\"a\":1,\"b\":{\"c\":null}}}", "field 's.b.c': null in a non-nullable field"},
    {"{\"id\":1,\"s\":{\"a\":300}}", "field 's.a': out of range -128..127, got 300"},
    {"{\"id\":1,\"s\":[]}", "field 's': expected an object, got an array"},
    {"{\"id\":1,\"l\":[1,2,\"x\"]}", "field 'l[2]': expected an integer"},
    {"{\"id\":1,\"l\":[1,null]}", "field 'l[1]': null in a non-nullable field"},
    {"{\"id\":1,\"l\":{}}", "field 'l': expected an array, got an object"},
    {"{\"id\":1,\"m\":{\"k\":\"not a date\"}}", "field 'm.k': expected a date"},
    {"{\"id\":1,\"m\":[[\"k\",\"2024-01-01\"],[\"k\",null]]}", "field 'm[1]': duplicate map key"},
    {"{\"id\":1,\"m\":{\"k\":null,\"k\":null}}", "field 'm.k': duplicate map key"},
    {"{\"id\":1,\"m\":[[null,\"2024-01-01\"]]}", "field 'm[0]': a map key is null"},
    {"{\"id\":1,\"m\":[[\"k\"]]}", "field 'm[0]': expected a [key, value] pair"},
    {"{\"id\":1,\"im\":{\"1\":\"a\"}}", "field 'im': expected an array of [key, value] pairs"},
    {"{\"id\":1,\"im\":[[1,\"a\"],[1,\"b\"]]}", "field 'im[1]': duplicate map key"},
    {"{\"id\":1,\"im\":[[1.5,\"a\"]]}", "field 'im[0]': expected an integer"},
    {"{\"id\":1,\"d\":\"1.234\"}", "field 'd': decimal(5,2): more fraction digits than the scale"},
    {"{\"id\":1,\"d\":\"1234\"}", "field 'd': decimal(5,2): more digits than the precision"},
    {"{\"id\":1,\"w\":\"1e30\"}", "field 'w': decimal(25,0): more digits than the precision"},
    {"{\"id\":1,\"bin\":\"@@@@\"}", "field 'bin': expected strict base64"},
    {"[1]", "a row must be a JSON object, got an array"},
};

/* Counts of every column, to check that a failed row changed nothing. */
static void snapshot(const vl_delta_shredder *sh, size_t *out, uint32_t max) {
    uint32_t n;
    const vl_pq_column *c = vl_delta_shredder_columns(sh, &n);
    for (uint32_t i = 0; i < n && 2 * i + 1 < max; i++) {
        out[2 * i] = c[i].n;
        out[2 * i + 1] = c[i].n_values;
    }
}

static void t_shred_errors(vl_test *t) {
    vl_arena a, dom;
    vl_arena_init(&a, 0);
    vl_arena_init(&dom, 0);
    vl_error err;
    vl_dt_type st;
    vl_delta_shredder *sh;
    REQUIRE(t, vl_delta_schema_from_ddl("id long not null, s struct<a:byte,b:struct<c:string not null>>, "
                                        "l array<int>, m map<string,date>, im map<int,string>, d decimal(5,2), "
                                        "w decimal(25,0), bin binary",
                                        &a, &st, &err) == VL_OK);
    st.fields[2].type.contains_null = false;
    REQUIRE(t, vl_delta_shredder_new(&st, NULL, &sh, &err) == VL_OK);
    const char *good = "{\"id\":7,\"s\":{\"a\":1,\"b\":{\"c\":\"x\"}},\"l\":[1,2],\"m\":{\"k\":\"2024-01-01\"},"
                       "\"im\":[[1,\"a\"]],\"d\":\"1.5\",\"w\":\"12345678901234567890123\",\"bin\":\"AAEC\"}";
    const vl_json *row;
    REQUIRE(t, vl_json_parse(good, strlen(good), &dom, &row, &err) == VL_OK);
    REQUIRE(t, vl_delta_shredder_add(sh, row, &err) == VL_OK);
    size_t before[64] = {0}, after[64] = {0};
    snapshot(sh, before, 64);
    for (size_t i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
        vl_arena_reset(&dom);
        REQUIRE(t, vl_json_parse(bad_rows[i].row, strlen(bad_rows[i].row), &dom, &row, &err) == VL_OK);
        int rc = vl_delta_shredder_add(sh, row, &err);
        CHECKF(t, rc == VL_EINVAL, "case %zu: %s: rc %d", i, bad_rows[i].row, rc);
        CHECKF(t, rc == VL_OK || strstr(err.msg, bad_rows[i].msg), "case %zu: \"%s\" lacks \"%s\"", i, err.msg,
               bad_rows[i].msg);
        snapshot(sh, after, 64);
        CHECKF(t, memcmp(before, after, sizeof(before)) == 0, "case %zu: columns changed", i);
        CHECK(t, vl_delta_shredder_rows(sh) == 1);
    }
    vl_delta_shredder_free(sh);
    /* a row failing late (after many values and new byte chunks) rolls back
     * too, and the next good row lands right after the first one */
    vl_dt_type st2;
    REQUIRE(t, vl_delta_schema_from_ddl("s array<string>, n int not null", &a, &st2, &err) == VL_OK);
    REQUIRE(t, vl_delta_shredder_new(&st2, NULL, &sh, &err) == VL_OK);
    vl_buf big;
    vl_buf_init(&big);
    REQUIRE(t, vl_buf_puts(&big, "{\"s\":[") == VL_OK);
    for (int i = 0; i < 2000; i++)
        REQUIRE(t, vl_buf_printf(&big, "%s\"%0200d\"", i ? "," : "", i) == VL_OK); /* 400 KB: several chunks */
    REQUIRE(t, vl_buf_puts(&big, "]}") == VL_OK);
    const char *r1 = "{\"s\":[\"first\"],\"n\":1}", *r3 = "{\"s\":[\"third\",\"x\"],\"n\":3}";
    REQUIRE(t, vl_json_parse(r1, strlen(r1), &dom, &row, &err) == VL_OK);
    REQUIRE(t, vl_delta_shredder_add(sh, row, &err) == VL_OK);
    REQUIRE(t, vl_json_parse(big.p, big.n, &dom, &row, &err) == VL_OK);
    CHECK(t, vl_delta_shredder_add(sh, row, &err) == VL_EINVAL && strstr(err.msg, "field 'n'"));
    REQUIRE(t, vl_json_parse(r3, strlen(r3), &dom, &row, &err) == VL_OK);
    REQUIRE(t, vl_delta_shredder_add(sh, row, &err) == VL_OK);
    uint32_t n;
    const vl_pq_column *c = vl_delta_shredder_columns(sh, &n);
    CHECK(t, vl_delta_shredder_rows(sh) == 2 && c[0].n == 3 && c[0].n_values == 3 && c[1].n == 2);
    CHECK(t, sv_is(c[0].v.bin[0], "first") && sv_is(c[0].v.bin[1], "third") && sv_is(c[0].v.bin[2], "x"));
    CHECK(t, c[0].rep[0] == 0 && c[0].rep[1] == 0 && c[0].rep[2] == 1);
    vl_buf_free(&big);
    vl_delta_shredder_free(sh);
    /* shredder_new refusals */
    CHECK(t, vl_delta_shredder_new(&st.fields[0].type, NULL, &sh, &err) == VL_EINVAL);
    bool none[8] = {false};
    CHECK(t, vl_delta_shredder_new(&st, none, &sh, &err) == VL_EINVAL);
    vl_arena_destroy(&dom);
    vl_arena_destroy(&a);
}

/* ---------------------------------------------------------------- OOM */

/* Parse, shred and write with the Nth allocation failing: a clean error
 * (ENOMEM) or success, never a leak (LSan) or a crash. */
static int oom_once(vl_error *err) {
    static const char *const schema = S1(
        F("id", "\"long\"", "false", "{\"comment\":\"x\"}") ","
        F("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":{\"type\":\"array\",\"elementType\":"
               "\"decimal(25,2)\",\"containsNull\":true},\"valueContainsNull\":true}", "true", "{}") ","
        F("b", "\"binary\"", "true", "{}"));
    static const char *const rows[] = {
        "{\"id\":1,\"m\":{\"a\":[\"1.5\",null],\"b\":null},\"b\":\"AAEC\"}",
        "{\"id\":2,\"m\":{},\"b\":null}",
        "{\"id\":null}",
    };
    vl_arena a, dom;
    vl_arena_init(&a, 0);
    vl_arena_init(&dom, 0);
    vl_delta_shredder *sh = NULL;
    vl_buf out;
    vl_buf_init(&out);
    vl_dt_type st;
    int rc = vl_delta_schema_parse(schema, strlen(schema), &a, &st, err);
    if (rc == VL_OK) rc = vl_delta_schema_write(&st, &out, err);
    if (rc == VL_OK) rc = vl_delta_shredder_new(&st, NULL, &sh, err);
    for (int i = 0; i < 3 && rc == VL_OK; i++) {
        const vl_json *row;
        rc = vl_json_parse(rows[i], strlen(rows[i]), &dom, &row, err);
        if (rc == VL_OK) rc = vl_delta_shredder_add(sh, row, err);
        if (i == 2 && rc == VL_EINVAL) rc = VL_OK; /* the bad row */
    }
    vl_delta_shredder_free(sh);
    vl_buf_free(&out);
    vl_arena_destroy(&dom);
    vl_arena_destroy(&a);
    return rc;
}

static void t_oom(vl_test *t) {
    vl_error err;
    long n;
    int ok_at = -1;
    for (n = 0; n < 400; n++) {
        vl_alloc_fail_after(n);
        int rc = oom_once(&err);
        vl_alloc_fail_after(-1);
        CHECKF(t, rc == VL_OK || rc == VL_ENOMEM, "fail at %ld: rc %d: %s", n, rc, err.msg);
        if (rc == VL_OK) {
            ok_at = (int)n;
            break;
        }
    }
    CHECKF(t, ok_at > 20, "succeeded after only %d allocations", ok_at);
}

static const vl_test_case cases[] = {
    {"Spark schemas are written back byte for byte", t_spark_round_trip},
    {"schema parsing: whitespace, defaults, copies, writing hand-built types", t_parse_details},
    {"bad schemas are refused naming the field", t_bad_schemas},
    {"every prefix of a schema is refused cleanly", t_schema_prefixes},
    {"SQL type names parse and print", t_type_names},
    {"column lists (DDL)", t_ddl},
    {"type equality and field lookup", t_equal_find},
    {"Parquet layout element by element", t_to_parquet},
    {"decimal widths by precision", t_decimal_widths},
    {"JSON values convert with the scan conventions", t_value_from_json},
    {"flat rows round-trip through Parquet", t_shred_flat},
    {"nested rows round-trip through Parquet", t_shred_nested},
    {"Dremel levels of a nested list", t_shred_levels},
    {"bad rows are refused and roll back", t_shred_errors},
    {"allocation failures end cleanly", t_oom},
};

VL_TEST_MAIN(cases)
