/* vidlake - Apache-2.0 */
/* Unit tests for the event schema, decoder, encoder and NDJSON reader. */
#include "event/event.h"
#include "vl_test.h"

#include <math.h>
#include <unistd.h>

#define BASE                                                                                       \
    "\"event_id\":\"e1\",\"event_type\":\"heartbeat\",\"event_time\":\"2024-05-01T12:00:00Z\","    \
    "\"user_id\":\"u1\",\"device_id\":\"d1\",\"session_id\":\"s1\",\"view_id\":\"v1\","          \
    "\"content_id\":\"c1\""

typedef struct {
    vl_decoder dec;
    vl_arena arena;
    vl_event ev;
    vl_reject rj;
} fixture;

static void fx_init(fixture *fx) {
    vl_decoder_init(&fx->dec);
    vl_arena_init(&fx->arena, 0);
}

static void fx_free(fixture *fx) {
    vl_decoder_free(&fx->dec);
    vl_arena_destroy(&fx->arena);
}

static int decode(fixture *fx, const char *s) {
    vl_arena_reset(&fx->arena);
    return vl_decoder_decode(&fx->dec, s, strlen(s), &fx->ev, &fx->arena, &fx->rj);
}

static const char *key_of(fixture *fx) {
    static char key[96];
    vl_reject_key(&fx->rj, key, sizeof(key));
    return key;
}

static void t_schema_table(vl_test *t) {
    CHECK_EQ_INT(t, VL_ET_COUNT, 20);
    CHECK_EQ_INT(t, vl_event_field_find("user_id", 7), VL_F_USER_ID);
    CHECK_EQ_INT(t, vl_event_field_find("nope", 4), -1);
    CHECK_EQ_INT(t, vl_event_enum_find(VL_F_DEVICE_TYPE, "console", 7), VL_DT_CONSOLE);
    CHECK_EQ_INT(t, vl_event_enum_find(VL_F_EVENT_TYPE, "ad_skip", 7), VL_ET_AD_SKIP);
    CHECK_EQ_INT(t, vl_event_fields[VL_F_AD_POSITION].n_values, 3);
    CHECK(t, vl_country_valid("US", 2) && vl_country_valid("ZW", 2) && vl_country_valid("XK", 2));
    CHECK(t, !vl_country_valid("XX", 2) && !vl_country_valid("us", 2) && !vl_country_valid("USA", 3));
    CHECK(t, !vl_country_valid("UK", 2)); /* the UK is GB */
    int families[VL_FAM_COUNT] = {0};
    for (int i = 0; i < VL_ET_COUNT; i++) families[vl_event_type_family[i]]++;
    CHECK(t, families[VL_FAM_VIDEO] == 8 && families[VL_FAM_INTERACTION] == 5 &&
                 families[VL_FAM_AD] == 4 && families[VL_FAM_SESSION] == 3);
}

static void t_decode_valid(vl_test *t) {
    fixture fx;
    fx_init(&fx);
    const char *s =
        " {\"event_id\":\"e-1\", \"event_type\":\"buffer\",\"event_time\":1714564800123,"
        "\"user_id\":\"u\\u00e9\\ud83d\\ude00\",\"device_id\":\"d\",\"session_id\":\"s\","
        "\"view_id\":\"v\",\"content_id\":\"c\",\"content_type\":\"movie\",\"country\":\"BR\","
        "\"buffer_ms\":1500,\"error_fatal\":false,\"ad_revenue_usd\":0.0125,\"os\":null,"
        "\"unknown\": [1, {\"a\":null}],\"extra\":{\"z\":\"q\"},\"n\":-0.5e3} \r\n";
    int rc = decode(&fx, s);
    CHECKF(t, rc == VL_OK, "%s", fx.rj.detail);
    vl_event *ev = &fx.ev;
    CHECK_EQ_INT(t, ev->v[VL_F_EVENT_TYPE].i, VL_ET_BUFFER);
    CHECK_EQ_INT(t, ev->v[VL_F_EVENT_TIME].i, INT64_C(1714564800123000));
    CHECK(t, vl_sv_eq_cstr(ev->v[VL_F_USER_ID].s, "u\xc3\xa9\xf0\x9f\x98\x80"));
    CHECK(t, vl_sv_eq_cstr(ev->v[VL_F_EVENT_ID].s, "e-1"));
    CHECK_EQ_INT(t, ev->v[VL_F_BUFFER_MS].i, 1500);
    CHECK_EQ_INT(t, ev->v[VL_F_CONTENT_TYPE].i, VL_CT_MOVIE);
    CHECK(t, vl_event_has(ev, VL_F_ERROR_FATAL) && ev->v[VL_F_ERROR_FATAL].i == 0);
    CHECK(t, ev->v[VL_F_AD_REVENUE_USD].d == 0.0125);
    CHECK(t, !vl_event_has(ev, VL_F_OS));
    REQUIRE(t, vl_event_has(ev, VL_F_EXTRA));
    vl_sv x = ev->v[VL_F_EXTRA].s;
    CHECKF(t, vl_sv_eq_cstr(x, "{\"unknown\":[1, {\"a\":null}],\"z\":\"q\",\"n\":-0.5e3}"), "%.*s",
           (int)x.n, x.p);
    fx_free(&fx);
}

typedef struct {
    const char *line;
    const char *key;
} bad_case;

static void t_decode_rejects(vl_test *t) {
    static const bad_case cases[] = {
        {"{" BASE, "malformed_json"},
        {"{" BASE ",}", "malformed_json"},
        {"{" BASE ",\"x\":01}", "malformed_json"},
        {"{" BASE ",\"x\":1.}", "malformed_json"},
        {"{" BASE ",\"x\":'a'}", "malformed_json"},
        {"{" BASE ",\"x\":\"a\tb\"}", "malformed_json"},
        {"{" BASE ",\"x\":\"\\x\"}", "malformed_json"},
        {"{" BASE ",\"x\":\"\\ud800\"}", "malformed_json"},
        {"{" BASE ",\"x\":\"\\udc00\\ud800\"}", "malformed_json"},
        {"{" BASE ",\"x\":tru}", "malformed_json"},
        {"{" BASE " \"x\":1}", "malformed_json"},
        {"{\"event_id\" \"e\"}", "malformed_json"},
        {"", "malformed_json"},
        {"   ", "malformed_json"},
        {"{" BASE ",\"x\":\"\xc3\x28\"}", "invalid_utf8"},
        {"{" BASE ",\"x\":\"\xff\"}", "invalid_utf8"},
        {"{" BASE ",\"user_id\":\"\xe0\x80\xaf\"}", "invalid_utf8"},
        {"{" BASE ",\"x\":[\"a\",\xc3\x28]}", "invalid_utf8"},
        {"[1,2]", "not_object"},
        {"\"event\"", "not_object"},
        {"null", "not_object"},
        {"{" BASE "} x", "trailing_data"},
        {"{" BASE "}{}", "trailing_data"},
        {"{" BASE ",\"user_id\":\"u2\"}", "duplicate_field:user_id"},
        {"{" BASE ",\"position_ms\":\"12\"}", "wrong_type:position_ms"},
        {"{" BASE ",\"position_ms\":12.5}", "wrong_type:position_ms"},
        {"{" BASE ",\"error_fatal\":\"yes\"}", "wrong_type:error_fatal"},
        {"{" BASE ",\"extra\":[1]}", "wrong_type:extra"},
        {"{\"event_id\":7," BASE "}", "wrong_type:event_id"},
        {"{" BASE ",\"device_type\":\"fridge\"}", "value_not_allowed:device_type"},
        {"{" BASE ",\"country\":\"XX\"}", "value_not_allowed:country"},
        {"{\"event_type\":\"plai\",\"event_id\":\"e\"}", "value_not_allowed:event_type"},
        {"{\"event_time\":\"2024-13-01T00:00:00Z\",\"event_id\":\"e\"}", "bad_timestamp:event_time"},
        {"{\"event_time\":\"yesterday\"}", "bad_timestamp:event_time"},
        {"{\"event_time\":1714564800.5}", "bad_timestamp:event_time"},
        {"{\"event_time\":1714564800}", "out_of_range:event_time"},
        {"{\"event_time\":\"2100-01-01T00:00:00Z\"}", "out_of_range:event_time"},
        {"{\"event_time\":99999999999999999999}", "bad_timestamp:event_time"},
        {"{" BASE ",\"buffer_ms\":-5}", "out_of_range:buffer_ms"},
        {"{" BASE ",\"startup_ms\":600001}", "out_of_range:startup_ms"},
        {"{" BASE ",\"position_ms\":99999999999999999999}", "out_of_range:position_ms"},
        {"{" BASE ",\"ad_revenue_usd\":-1}", "out_of_range:ad_revenue_usd"},
        {"{" BASE ",\"ad_revenue_usd\":1e999}", "out_of_range:ad_revenue_usd"},
        {"{" BASE ",\"country\":\"USA\"}", "out_of_range:country"},
        {"{" BASE ",\"region\":\"\"}", "ok"},
        {"{" BASE ",\"error_code\":\"\"}", "out_of_range:error_code"},
        {"{\"event_id\":\"0123456789012345678901234567890123456789012345678901234567890123x\"}",
         "out_of_range:event_id"},
        {"{}", "missing_field:event_id"},
        {"{\"event_id\":\"e\",\"event_type\":\"play\",\"event_time\":\"2024-05-01T12:00:00Z\","
         "\"user_id\":\"u\",\"device_id\":\"d\",\"session_id\":null}",
         "missing_field:session_id"},
        {"{\"event_id\":\"e\",\"event_type\":\"play\",\"event_time\":\"2024-05-01T12:00:00Z\","
         "\"user_id\":\"u\",\"device_id\":\"d\",\"session_id\":\"s\"}",
         "missing_field:view_id"},
        {"{\"event_id\":\"e\",\"event_type\":\"buffer\",\"event_time\":\"2024-05-01T12:00:00Z\","
         "\"user_id\":\"u\",\"device_id\":\"d\",\"session_id\":\"s\",\"view_id\":\"v\","
         "\"content_id\":\"c\"}",
         "missing_field:buffer_ms"},
        {"{\"event_id\":\"e\",\"event_type\":\"session_start\",\"event_time\":"
         "\"2024-05-01T12:00:00Z\",\"user_id\":\"u\",\"device_id\":\"d\",\"session_id\":\"s\"}",
         "ok"},
        {"{\"event_id\":\"e\",\"event_type\":\"ad_click\",\"event_time\":"
         "\"2024-05-01T12:00:00Z\",\"user_id\":\"u\",\"device_id\":\"d\",\"session_id\":\"s\","
         "\"view_id\":\"v\",\"ad_id\":\"a\"}",
         "missing_field:ad_position"},
        /* a syntax error later in the line beats an earlier field error */
        {"{\"device_type\":\"fridge\",\"x\":}", "malformed_json"},
        /* the first field error in line order wins */
        {"{\"buffer_ms\":-1,\"device_type\":\"fridge\"}", "out_of_range:buffer_ms"},
        /* keys may be escaped */
        {"{" BASE ",\"\\u0064evice_type\":\"tv\"}", "ok"},
        {"{" BASE ",\"\\u0075ser_id\":\"x\"}", "duplicate_field:user_id"},
    };
    fixture fx;
    fx_init(&fx);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = decode(&fx, cases[i].line);
        const char *got = rc == VL_OK ? "ok" : key_of(&fx);
        CHECKF(t, strcmp(got, cases[i].key) == 0, "case %zu %s: got %s (%s)", i, cases[i].line, got,
               fx.rj.detail);
        if (rc != VL_OK) CHECK(t, fx.rj.detail[0] != '\0');
    }
    /* messages name the byte offset for syntax errors */
    REQUIRE(t, decode(&fx, "{\"a\":1,}") == VL_EINVAL);
    CHECK_EQ_STR(t, fx.rj.detail, "malformed JSON at byte 7: expected a key string");
    /* nesting depth is bounded */
    char deep[400];
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"x\":");
    for (int i = 0; i < 100; i++) deep[n++] = '[';
    for (int i = 0; i < 100; i++) deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    CHECK(t, decode(&fx, deep) == VL_EINVAL && fx.rj.reason == VL_RJ_MALFORMED_JSON);
    CHECK(t, strstr(fx.rj.detail, "nesting") != NULL);
    fx_free(&fx);
}

static void t_too_large(vl_test *t) {
    fixture fx;
    fx_init(&fx);
    size_t n = VL_EVENT_MAX_BYTES + 10;
    char *s = vl_malloc(n + 1);
    memset(s, ' ', n);
    memcpy(s, "{" BASE "}", strlen("{" BASE "}"));
    s[n] = '\0';
    CHECK(t, decode(&fx, s) == VL_EINVAL && fx.rj.reason == VL_RJ_TOO_LARGE);
    s[VL_EVENT_MAX_BYTES] = '\0'; /* exactly the limit is fine */
    CHECKF(t, decode(&fx, s) == VL_OK, "%s", fx.rj.detail);
    vl_free(s);
    fx_free(&fx);
}

/* A random string of valid UTF-8 that needs escaping now and then. */
static size_t rand_utf8(vl_rng *r, char *o, size_t max) {
    static const char *const pieces[] = {"a", "Z", "0", "-", " ", "\"", "\\", "\n", "\x01", "/",
                                         "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x8e\xac", "\x7f"};
    size_t n = 0, want = vl_rng_below(r, max + 1);
    while (n < want) {
        const char *p = pieces[vl_rng_below(r, sizeof(pieces) / sizeof(pieces[0]))];
        size_t k = strlen(p);
        if (n + k > want) break;
        memcpy(o + n, p, k);
        n += k;
    }
    return n;
}

static void random_event(vl_rng *r, vl_event *ev, vl_arena *a) {
    static const char *const countries[] = {"US", "GB", "DE", "BR", "IN", "JP"};
    static const char *const extras[] = {"{\"a\":1}", "{\"tags\":[\"x\",\"y\"],\"n\":{\"m\":null}}",
                                         "{\"user_id\":\"shadow\",\"f\":-1.5e-3}"};
    vl_event_clear(ev);
    for (int f = 0; f < VL_F_COUNT; f++) {
        const vl_field *fd = &vl_event_fields[f];
        if (!(fd->flags & VL_FF_REQUIRED) && vl_rng_chance(r, 0.4)) continue;
        switch (fd->type) {
        case VL_FT_STRING: {
            char *buf = vl_arena_alloc(a, (size_t)fd->max + 4);
            size_t n;
            if (fd->flags & VL_FF_COUNTRY) {
                n = 2;
                memcpy(buf, countries[vl_rng_below(r, 6)], 2);
            } else {
                n = rand_utf8(r, buf, (size_t)fd->max);
                if (n < (size_t)fd->min) buf[n++] = 'x';
            }
            vl_event_set_s(ev, (vl_field_id)f, buf, n);
            break;
        }
        case VL_FT_ENUM:
            vl_event_set_i(ev, (vl_field_id)f, (int64_t)vl_rng_below(r, fd->n_values));
            break;
        case VL_FT_TIMESTAMP:
            vl_event_set_i(ev, (vl_field_id)f,
                           VL_TS_MIN + (int64_t)vl_rng_below(r, (uint64_t)(VL_TS_MAX - VL_TS_MIN)));
            break;
        case VL_FT_DATE:
            vl_event_set_i(ev, (vl_field_id)f, (int64_t)vl_rng_below(r, 40000));
            break;
        case VL_FT_INT32:
        case VL_FT_INT64:
            vl_event_set_i(ev, (vl_field_id)f,
                           fd->min + (int64_t)vl_rng_below(r, (uint64_t)(fd->max - fd->min + 1)));
            break;
        case VL_FT_BOOL:
            vl_event_set_i(ev, (vl_field_id)f, (int64_t)vl_rng_below(r, 2));
            break;
        case VL_FT_DOUBLE: {
            double v = vl_rng_unif(r) * (vl_rng_chance(r, 0.5) ? 1e6 : 1e-3);
            vl_event_set_d(ev, (vl_field_id)f, v);
            break;
        }
        case VL_FT_JSON: {
            const char *x = extras[vl_rng_below(r, 3)];
            vl_event_set_s(ev, (vl_field_id)f, x, strlen(x));
            break;
        }
        }
    }
    /* make the type-specific requirements hold */
    int64_t type = ev->v[VL_F_EVENT_TYPE].i;
    for (int f = 0; f < VL_F_COUNT; f++) {
        if (!((vl_event_fields[f].required_for >> type) & 1) || vl_event_has(ev, (vl_field_id)f))
            continue;
        if (vl_event_fields[f].type == VL_FT_STRING) vl_event_set_s(ev, (vl_field_id)f, "r", 1);
        else vl_event_set_i(ev, (vl_field_id)f, 1);
    }
}

static void t_round_trip(vl_test *t) {
    fixture fx;
    fx_init(&fx);
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_rng r;
    vl_rng_seed(&r, 42);
    vl_buf line, again;
    vl_buf_init(&line);
    vl_buf_init(&again);
    int bad = 0;
    for (int i = 0; i < 20000 && bad < 3; i++) {
        vl_event ev;
        random_event(&r, &ev, &a);
        vl_buf_clear(&line);
        REQUIRE(t, vl_event_encode(&ev, &line) == VL_OK);
        REQUIRE(t, line.n > 0 && line.p[line.n - 1] == '\n');
        int rc = vl_decoder_decode(&fx.dec, line.p, line.n - 1, &fx.ev, &fx.arena, &fx.rj);
        if (rc != VL_OK || !vl_event_equal(&ev, &fx.ev)) {
            CHECKF(t, 0, "event %d: rc %d %s: %.*s", i, rc, fx.rj.detail, (int)line.n, line.p);
            bad++;
            continue;
        }
        vl_buf_clear(&again);
        REQUIRE(t, vl_event_encode(&fx.ev, &again) == VL_OK);
        if (again.n != line.n || memcmp(again.p, line.p, line.n) != 0) {
            CHECKF(t, 0, "re-encoding differs: %.*s", (int)again.n, again.p);
            bad++;
        }
        vl_arena_reset(&fx.arena);
        vl_arena_reset(&a);
    }
    vl_buf_free(&line);
    vl_buf_free(&again);
    vl_arena_destroy(&a);
    fx_free(&fx);
}

static void t_encode_canonical(vl_test *t) {
    vl_event ev;
    vl_event_clear(&ev);
    vl_event_set_s(&ev, VL_F_EVENT_ID, "e\"1", 3);
    vl_event_set_i(&ev, VL_F_EVENT_TYPE, VL_ET_AD_IMPRESSION);
    vl_event_set_i(&ev, VL_F_EVENT_TIME, INT64_C(1714564800000001));
    vl_event_set_i(&ev, VL_F_ERROR_FATAL, 1);
    vl_event_set_d(&ev, VL_F_AD_REVENUE_USD, 0.1);
    vl_event_set_i(&ev, VL_F_EVENT_DATE, 19844);
    vl_buf b;
    vl_buf_init(&b);
    REQUIRE(t, vl_event_encode(&ev, &b) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b),
                 "{\"event_id\":\"e\\\"1\",\"event_type\":\"ad_impression\",\"event_time\":"
                 "\"2024-05-01T12:00:00.000001Z\",\"error_fatal\":true,\"ad_revenue_usd\":0.1,"
                 "\"event_date\":\"2024-05-01\"}\n");
    vl_buf_clear(&b);
    vl_event_clear(&ev);
    REQUIRE(t, vl_event_encode(&ev, &b) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b), "{}\n");
    vl_buf_free(&b);
}

static void t_decode_oom(vl_test *t) {
    /* an escaped string needs the arena; a limit makes it fail cleanly */
    vl_decoder d;
    vl_decoder_init(&d);
    vl_arena a;
    vl_arena_init(&a, 0);
    a.limit = 1;
    vl_event ev;
    vl_reject rj;
    const char *s = "{\"event_id\":\"a\\nb\"}";
    CHECK_EQ_INT(t, vl_decoder_decode(&d, s, strlen(s), &ev, &a, &rj), VL_ENOMEM);
    vl_arena_destroy(&a);
    vl_decoder_free(&d);
}

static int pipe_with(const char *data, size_t n) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    /* writes fit the pipe buffer for the small inputs used here */
    if (write(fds[1], data, n) != (ssize_t)n) return -1;
    close(fds[1]);
    return fds[0];
}

static void t_ndjson_reader(vl_test *t) {
    const char *data = "a\r\n\nbb\nccc";
    int fd = pipe_with(data, strlen(data));
    REQUIRE(t, fd >= 0);
    vl_ndjson_reader r;
    REQUIRE(t, vl_ndjson_reader_init(&r, fd, 4, NULL) == VL_OK);
    vl_sv line;
    bool big;
    const char *want[] = {"a", "", "bb", "ccc"};
    for (int i = 0; i < 4; i++) {
        REQUIRE(t, vl_ndjson_next(&r, &line, &big, NULL) == 1);
        CHECK(t, !big && vl_sv_eq_cstr(line, want[i]));
        CHECK_EQ_INT(t, r.line_no, (uint64_t)i + 1);
    }
    CHECK_EQ_INT(t, vl_ndjson_next(&r, &line, &big, NULL), 0);
    CHECK_EQ_INT(t, r.bytes, strlen(data));
    vl_ndjson_reader_free(&r);
    close(fd);
}

static void t_ndjson_long_lines(vl_test *t) {
    /* lines far longer than the buffer are cut to max_line + 1 and skipped */
    size_t big_n = 5u << 20;
    char *data = vl_malloc(big_n + 100);
    size_t n = 0;
    memcpy(data, "first\n", 6);
    n += 6;
    memset(data + n, 'x', big_n);
    n += big_n;
    memcpy(data + n, "\nafter\nyyyyyyyyyyyy", 19);
    n += 19;
    char path[] = "/tmp/vl_ndjson_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(t, fd >= 0);
    unlink(path);
    REQUIRE(t, write(fd, data, n) == (ssize_t)n);
    lseek(fd, 0, SEEK_SET);
    vl_ndjson_reader r;
    REQUIRE(t, vl_ndjson_reader_init(&r, fd, 8, NULL) == VL_OK);
    vl_sv line;
    bool big;
    REQUIRE(t, vl_ndjson_next(&r, &line, &big, NULL) == 1);
    CHECK(t, !big && vl_sv_eq_cstr(line, "first"));
    REQUIRE(t, vl_ndjson_next(&r, &line, &big, NULL) == 1);
    CHECK(t, big && line.n == 9 && line.p[0] == 'x');
    REQUIRE(t, vl_ndjson_next(&r, &line, &big, NULL) == 1);
    CHECK(t, !big && vl_sv_eq_cstr(line, "after"));
    CHECK_EQ_INT(t, r.line_no, 3);
    REQUIRE(t, vl_ndjson_next(&r, &line, &big, NULL) == 1);
    CHECK(t, big && line.n == 9); /* the unterminated last line is too long too */
    CHECK_EQ_INT(t, vl_ndjson_next(&r, &line, &big, NULL), 0);
    CHECK_EQ_INT(t, r.bytes, n);
    vl_ndjson_reader_free(&r);
    close(fd);
    vl_free(data);
}

static const vl_test_case cases[] = {
    {"the schema table has 20 types in 4 families and ISO countries", t_schema_table},
    {"a valid event decodes with escapes, nulls, epoch ms and extra", t_decode_valid},
    {"each kind of bad input is rejected with its precise reason", t_decode_rejects},
    {"events over 64 KiB are rejected as too_large", t_too_large},
    {"decode(encode(e)) == e for 20000 random events", t_round_trip},
    {"the encoder writes canonical NDJSON", t_encode_canonical},
    {"the decoder reports arena exhaustion as ENOMEM", t_decode_oom},
    {"the NDJSON reader splits lines, strips CR and counts bytes", t_ndjson_reader},
    {"the NDJSON reader bounds memory on huge lines", t_ndjson_long_lines},
};
VL_TEST_MAIN(cases)
