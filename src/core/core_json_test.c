/* vidlake - Apache-2.0 */
/* Unit tests for the JSON reader and writer (src/core/core_json.c). The
 * y_/n_ cases follow the families of JSONTestSuite (Seriot, "Parsing JSON is
 * a Minefield"): y_ must be accepted, n_ refused. */
#include "core/core.h"
#include "vl_test.h"

#include <math.h>
#include <string.h>

/* Parses s (length n, or strlen when n is SIZE_MAX) and returns the code. */
static int parse_n(const char *s, size_t n, vl_arena *a, const vl_json **out, vl_error *err) {
    return vl_json_parse(s, n == SIZE_MAX ? strlen(s) : n, a, out, err);
}

/* ------------------------------------------------------------ acceptance */

typedef struct {
    const char *name;
    const char *json;
    size_t n; /* 0: strlen */
} jcase;

static const jcase y_cases[] = {
    {"y_structure_lonely_int", "42", 0},
    {"y_structure_lonely_string", "\"asd\"", 0},
    {"y_structure_lonely_null", "null", 0},
    {"y_structure_lonely_true", "true", 0},
    {"y_structure_lonely_false", "false", 0},
    {"y_structure_whitespace_array", " [] ", 0},
    {"y_structure_ws_all_four", "\t\r\n [\t\r\n 1\t\r\n ,\t\r\n 2 ]\n\r\t ", 0},
    {"y_array_empty", "[]", 0},
    {"y_array_nested_empty", "[[],[[]],{}]", 0},
    {"y_array_heterogeneous", "[null, 1, \"1\", {}, true, false]", 0},
    {"y_object_empty", "{}", 0},
    {"y_object_empty_key", "{\"\":0}", 0},
    {"y_object_duplicated_key", "{\"a\":\"b\",\"a\":\"c\"}", 0},
    {"y_object_basic", "{\"asd\":\"sdf\", \"dfg\":\"fgh\"}", 0},
    {"y_object_escaped_null_in_key", "{\"foo\\u0000bar\": 42}", 0},
    {"y_number_0", "0", 0},
    {"y_number_minus_zero", "-0", 0},
    {"y_number_negative_zero_frac", "-0.0", 0},
    {"y_number_real_capital_e", "[1E22]", 0},
    {"y_number_real_neg_exp", "[1e-2]", 0},
    {"y_number_real_pos_exp", "[1e+2]", 0},
    {"y_number_real_fraction_exponent", "[123.456e78]", 0},
    {"y_number_after_space", "[ 4]", 0},
    {"y_number_huge_exp", "[0.4e00669999999999999999999999999999999999999999999999999999]", 0},
    {"y_number_very_big_negative_int", "[-237462374673276894279832749832423479823246327846]", 0},
    {"y_number_int64_min", "-9223372036854775808", 0},
    {"y_number_int64_max", "9223372036854775807", 0},
    {"y_number_double_close_to_zero", "[-0.000000000000000000000000000000000000000000000000000000000000000000000000000001]", 0},
    {"y_string_1_2_3_bytes_UTF-8_sequences", "[\"\\u0060\\u012a\\u12AB\"]", 0},
    {"y_string_accepted_surrogate_pair", "[\"\\uD801\\udc37\"]", 0},
    {"y_string_accepted_surrogate_pairs", "[\"\\ud83d\\ude39\\ud83d\\udc8d\"]", 0},
    {"y_string_allowed_escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", 0},
    {"y_string_backslash_and_u_escaped_zero", "[\"\\\\u0000\"]", 0},
    {"y_string_comments", "[\"a/*b*/c/*d//e\"]", 0},
    {"y_string_in_array_with_leading_space", "[ \"asd\"]", 0},
    {"y_string_nonCharacterInUTF-8_U+FFFF", "[\"\xef\xbf\xbf\"]", 0},
    {"y_string_last_surrogates_1_and_2", "[\"\xf4\x8f\xbf\xbf\"]", 0},
    {"y_string_utf8", "[\"\xe2\x82\xac\xf0\x9d\x84\x9e\"]", 0},
    {"y_string_u+2028_line_sep", "[\"\xe2\x80\xa8\"]", 0},
    {"y_string_null_escape", "[\"\\u0000\"]", 0},
    {"y_string_unescaped_del", "[\"\x7f\"]", 0},
    {"y_string_escaped_noncharacter", "[\"\\uFFFF\"]", 0},
    {"y_string_escaped_control_character", "[\"\\u0012\"]", 0},
    {"y_structure_true_in_array", "[true]", 0},
    {"y_delta_add",
     "{\"add\":{\"path\":\"a=1/part-0.parquet\",\"partitionValues\":{\"a\":\"1\"},\"size\":123,"
     "\"modificationTime\":1700000000000,\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":2}\"}}",
     0},
};

static const jcase n_cases[] = {
    {"n_structure_empty", "", 0},
    {"n_structure_only_ws", " \n\t ", 0},
    {"n_structure_UTF8_BOM_no_data", "\xef\xbb\xbf", 0},
    {"n_structure_UTF8_BOM_value", "\xef\xbb\xbf{}", 0},
    {"n_structure_array_trailing_garbage", "[1]x", 0},
    {"n_structure_object_trailing_garbage", "{\"a\": true} \"x\"", 0},
    {"n_structure_double_array", "[][]", 0},
    {"n_structure_two_values", "1 2", 0},
    {"n_structure_unclosed_array", "[1", 0},
    {"n_structure_unclosed_object", "{\"a\":1", 0},
    {"n_structure_unclosed_empty_object", "{", 0},
    {"n_structure_close_unopened", "]", 0},
    {"n_structure_mismatch", "[1}", 0},
    {"n_structure_mismatch_obj", "{\"a\":1]", 0},
    {"n_structure_null_byte_outside_string", "[\0]", 3},
    {"n_structure_trailing_nul", "1\0", 2},
    {"n_structure_comment", "[1] // c", 0},
    {"n_structure_block_comment", "[1/**/]", 0},
    {"n_structure_single_quote", "['a']", 0},
    {"n_structure_unicode_ws_nbsp", "[\xc2\xa0" "1]", 0},
    {"n_structure_formfeed_ws", "[\f1]", 0},
    {"n_structure_vertical_tab", "[\v1]", 0},
    {"n_structure_lone_invalid_utf8", "\xff", 0},
    {"n_structure_capitalized_True", "[True]", 0},
    {"n_structure_incomplete_true", "[tru]", 0},
    {"n_structure_incomplete_null", "nul", 0},
    {"n_structure_trueX", "truex", 0},
    {"n_array_extra_comma", "[\"\",]", 0},
    {"n_array_double_comma", "[1,,2]", 0},
    {"n_array_leading_comma", "[,1]", 0},
    {"n_array_just_comma", "[,]", 0},
    {"n_array_missing_comma", "[1 2]", 0},
    {"n_array_colon_instead_of_comma", "[\"\": 1]", 0},
    {"n_object_trailing_comma", "{\"id\":0,}", 0},
    {"n_object_double_comma", "{\"a\":0,,\"b\":1}", 0},
    {"n_object_missing_colon", "{\"a\" b}", 0},
    {"n_object_missing_value", "{\"a\":}", 0},
    {"n_object_missing_key", "{:\"b\"}", 0},
    {"n_object_unquoted_key", "{a:1}", 0},
    {"n_object_non_string_key", "{1:1}", 0},
    {"n_object_single_quote_key", "{'a':1}", 0},
    {"n_object_comma_instead_of_colon", "{\"x\", null}", 0},
    {"n_object_two_colons", "{\"a\"::1}", 0},
    {"n_number_leading_zero", "[012]", 0},
    {"n_number_minus_leading_zero", "[-012]", 0},
    {"n_number_plus", "[+1]", 0},
    {"n_number_dot_start", "[.123]", 0},
    {"n_number_dot_end", "[1.]", 0},
    {"n_number_dot_exp", "[1.e1]", 0},
    {"n_number_exp_only", "[1e]", 0},
    {"n_number_exp_sign_only", "[1e+]", 0},
    {"n_number_minus_only", "[-]", 0},
    {"n_number_minus_space", "[- 1]", 0},
    {"n_number_hex", "[0x1]", 0},
    {"n_number_NaN", "[NaN]", 0},
    {"n_number_Infinity", "[Infinity]", 0},
    {"n_number_minus_Infinity", "[-Infinity]", 0},
    {"n_number_infinity_lower", "[inf]", 0},
    {"n_number_two_dots", "[1.2.3]", 0},
    {"n_number_exp_dot", "[1e1.5]", 0},
    {"n_number_trailing_letter", "[1a]", 0},
    {"n_number_fullwidth_digit", "[\xef\xbc\x91]", 0},
    {"n_string_unterminated", "[\"a]", 0},
    {"n_string_unterminated_at_end", "\"", 0},
    {"n_string_escape_at_end", "\"\\", 0},
    {"n_string_single_quote", "['single quote']", 0},
    {"n_string_unescaped_tab", "[\"\t\"]", 0},
    {"n_string_unescaped_newline", "[\"a\nb\"]", 0},
    {"n_string_unescaped_ctrl_char", "[\"a\x01" "a\"]", 0},
    {"n_string_nul_inside", "[\"a\0a\"]", 6},
    {"n_string_escape_x", "[\"\\x00\"]", 0},
    {"n_string_escaped_apostrophe", "[\"\\'\"]", 0},
    {"n_string_invalid_backslash_esc", "[\"\\a\"]", 0},
    {"n_string_escaped_emoji", "[\"\\\xf0\x9f\x8c\x80\"]", 0},
    {"n_string_incomplete_escaped_character", "[\"\\u00A\"]", 0},
    {"n_string_invalid_unicode_escape", "[\"\\uqqqq\"]", 0},
    {"n_string_short_u_at_end", "\"\\u12", 0},
    {"n_string_1_surrogate_then_escape", "[\"\\uD800\\\"]", 0},
    {"n_string_1_surrogate_then_escape_u", "[\"\\uD800\\u\"]", 0},
    {"n_string_lone_high_surrogate", "[\"\\uD800\"]", 0},
    {"n_string_lone_low_surrogate", "[\"\\uDC00\"]", 0},
    {"n_string_reversed_pair", "[\"\\uDC00\\uD800\"]", 0},
    {"n_string_high_then_high", "[\"\\uD800\\uD800\"]", 0},
    {"n_string_high_then_bmp", "[\"\\uD800\\u0041\"]", 0},
    {"n_string_invalid_utf8", "[\"\xff\"]", 0},
    {"n_string_overlong_2", "[\"\xc0\xaf\"]", 0},
    {"n_string_overlong_3", "[\"\xe0\x80\xaf\"]", 0},
    {"n_string_utf8_surrogate", "[\"\xed\xa0\x80\"]", 0},
    {"n_string_above_10ffff", "[\"\xf4\x90\x80\x80\"]", 0},
    {"n_string_truncated_utf8", "[\"\xe2\x82\"]", 0},
    {"n_string_lone_continuation", "[\"\x80\"]", 0},
    {"n_string_utf16_BOM", "\xfe\xff\"a\"", 0},
    {"n_string_no_quotes_with_bad_escape", "[\\n]", 0},
    {"n_incomplete_array_value", "[\"x\"", 0},
    {"n_object_key_with_invalid_utf8", "{\"\xff\":1}", 0},
};

static void t_accepts_y_cases(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof(y_cases) / sizeof(y_cases[0]); i++) {
        const jcase *c = &y_cases[i];
        const vl_json *root = NULL;
        vl_error err = {0};
        int rc = parse_n(c->json, c->n ? c->n : SIZE_MAX, &a, &root, &err);
        CHECKF(t, rc == VL_OK && root, "%s: %s", c->name, err.msg);
        vl_arena_reset(&a);
    }
    vl_arena_destroy(&a);
}

static void t_refuses_n_cases(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 0);
    for (size_t i = 0; i < sizeof(n_cases) / sizeof(n_cases[0]); i++) {
        const jcase *c = &n_cases[i];
        const vl_json *root = NULL;
        vl_error err = {0};
        int rc = parse_n(c->json, c->n ? c->n : SIZE_MAX, &a, &root, &err);
        CHECKF(t, rc == VL_ECORRUPT, "%s: rc %d", c->name, rc);
        CHECKF(t, root == NULL, "%s", c->name);
        CHECKF(t, strncmp(err.msg, "byte ", 5) == 0, "%s: %s", c->name, err.msg);
        vl_arena_reset(&a);
    }
    vl_arena_destroy(&a);
}

/* Checks code and the exact message of one refusal. */
static void expect_error(vl_test *t, const char *json, size_t n, int code, const char *msg) {
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *root = NULL;
    vl_error err = {0};
    int rc = parse_n(json, n, &a, &root, &err);
    CHECKF(t, rc == code, "%s: rc %d, want %d", json, rc, code);
    CHECKF(t, strcmp(err.msg, msg) == 0, "%s: got \"%s\", want \"%s\"", json, err.msg, msg);
    vl_arena_destroy(&a);
}

static void t_error_messages_say_byte_and_expectation(vl_test *t) {
    expect_error(t, "[1,]", SIZE_MAX, VL_ECORRUPT, "byte 3: expected a value");
    expect_error(t, "{\"a\":1,}", SIZE_MAX, VL_ECORRUPT, "byte 7: expected a key string");
    expect_error(t, "[1 2]", SIZE_MAX, VL_ECORRUPT, "byte 3: expected ',' or ']'");
    expect_error(t, "{\"a\" 1}", SIZE_MAX, VL_ECORRUPT, "byte 5: expected ':' after a key");
    expect_error(t, "[1", SIZE_MAX, VL_ECORRUPT, "byte 2: unexpected end, expected ',' or ']'");
    expect_error(t, "", SIZE_MAX, VL_ECORRUPT, "byte 0: unexpected end, expected a value");
    expect_error(t, "01", SIZE_MAX, VL_ECORRUPT,
                 "byte 1: leading zeros are not allowed, expected '.', 'e' or the end of the number");
    expect_error(t, "{} x", SIZE_MAX, VL_ECORRUPT,
                 "byte 3: trailing data, expected the end after the value");
    expect_error(t, "\xef\xbb\xbf[]", SIZE_MAX, VL_ECORRUPT,
                 "byte 0: a byte order mark is not allowed, expected a value");
    expect_error(t, "[\"ab\xc3\"]", SIZE_MAX, VL_ECORRUPT, "byte 4: invalid UTF-8 in a string");
    expect_error(t, "[\"a\\uD800x\"]", SIZE_MAX, VL_ECORRUPT,
                 "byte 3: unpaired UTF-16 surrogate, expected \\uDC00..\\uDFFF next");
    expect_error(t, "\"abc", SIZE_MAX, VL_ECORRUPT, "byte 4: unterminated string, expected '\"'");
    expect_error(t, "[\xe9]", SIZE_MAX, VL_ECORRUPT, "byte 1: invalid UTF-8");
}

static void t_depth_limit(vl_test *t) {
    char buf[2 * 200 + 1];
    vl_arena a;
    vl_arena_init(&a, 0);
    for (int depth = 63; depth <= 66; depth++) {
        memset(buf, '[', (size_t)depth);
        memset(buf + depth, ']', (size_t)depth);
        const vl_json *root = NULL;
        vl_error err = {0};
        int rc = vl_json_parse(buf, 2 * (size_t)depth, &a, &root, &err);
        if (depth <= VL_JSON_MAX_DEPTH) {
            CHECKF(t, rc == VL_OK, "depth %d: %s", depth, err.msg);
        } else {
            CHECK_EQ_INT(t, rc, VL_EINVAL);
            CHECK_EQ_STR(t, err.msg, "byte 64: nesting deeper than 64 levels");
        }
    }
    /* objects count too, and a larger limit works (frames leave the C stack) */
    vl_buf b;
    vl_buf_init(&b);
    for (int i = 0; i < 200; i++) REQUIRE(t, vl_buf_puts(&b, "{\"k\":[") == VL_OK);
    for (int i = 0; i < 200; i++) REQUIRE(t, vl_buf_puts(&b, "]}") == VL_OK);
    const vl_json *root = NULL;
    vl_error err;
    CHECK_EQ_INT(t, vl_json_parse(b.p, b.n, &a, &root, &err), VL_EINVAL);
    vl_json_opts o = {.max_depth = 400};
    CHECK_EQ_INT(t, vl_json_parse_opts(b.p, b.n, &o, &a, &root, &err), VL_OK);
    o.max_depth = 399;
    CHECK_EQ_INT(t, vl_json_parse_opts(b.p, b.n, &o, &a, &root, &err), VL_EINVAL);
    /* an absurd depth on a deep input: iterative, no stack overflow */
    vl_buf_clear(&b);
    for (int i = 0; i < 100000; i++) REQUIRE(t, vl_buf_putc(&b, '[') == VL_OK);
    for (int i = 0; i < 100000; i++) REQUIRE(t, vl_buf_putc(&b, ']') == VL_OK);
    o.max_depth = SIZE_MAX;
    CHECK_EQ_INT(t, vl_json_parse_opts(b.p, b.n, &o, &a, &root, &err), VL_OK);
    vl_buf_free(&b);
    vl_arena_destroy(&a);
}

static void t_size_limit(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *root = NULL;
    vl_error err;
    vl_json_opts o = {.max_bytes = 8};
    CHECK_EQ_INT(t, vl_json_parse_opts("[1,2,3]", 7, &o, &a, &root, &err), VL_OK);
    CHECK_EQ_INT(t, vl_json_parse_opts("[1,2,3,4]", 9, &o, &a, &root, &err), VL_EINVAL);
    CHECK_EQ_STR(t, err.msg, "byte 8: the JSON text is 9 bytes, the limit is 8");
    CHECK_EQ_INT(t, vl_json_parse(NULL, 1, &a, &root, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_json_parse(NULL, 0, &a, &root, &err), VL_ECORRUPT);
    vl_arena_destroy(&a);
}

/* ------------------------------------------------------------ the values */

static void t_numbers_keep_text_int_and_double(vl_test *t) {
    static const struct {
        const char *text;
        bool is_int;
        int64_t i;
        double d;
    } cases[] = {
        {"0", true, 0, 0.0},
        {"-0", true, 0, -0.0},
        {"123", true, 123, 123.0},
        {"-42", true, -42, -42.0},
        {"9223372036854775807", true, INT64_MAX, 9223372036854775807.0},
        {"-9223372036854775808", true, INT64_MIN, -9223372036854775808.0},
        {"9223372036854775808", false, 0, 9223372036854775808.0},
        {"-9223372036854775809", false, 0, -9223372036854775809.0},
        {"18446744073709551616", false, 0, 18446744073709551616.0},
        {"1.0", false, 0, 1.0},
        {"1e2", false, 0, 100.0},
        {"0.1", false, 0, 0.1},
        {"-0.0", false, 0, -0.0},
        {"3.141592653589793", false, 0, 3.141592653589793},
        {"1.7976931348623157e308", false, 0, 1.7976931348623157e308},
        {"5e-324", false, 0, 5e-324},
        {"2.2250738585072011e-308", false, 0, 2.2250738585072011e-308},
        {"0.30000000000000004", false, 0, 0.30000000000000004},
        {"123456789012345678901234567890", false, 0, 123456789012345678901234567890.0},
        {"1e400", false, 0, HUGE_VAL},
        {"-1e400", false, 0, -HUGE_VAL},
        {"1e-400", false, 0, 0.0},
        {"0.000001234", false, 0, 0.000001234},
        {"1234567.0e-3", false, 0, 1234.567},
        {"9007199254740993.0", false, 0, 9007199254740993.0},
        {"1E22", false, 0, 1e22},
        {"1E23", false, 0, 1e23},
        {"12345678901234567890e-5", false, 0, 123456789012345.67890},
        {"0e999999999999", false, 0, 0.0},
        {"0.1000000000000000055511151231257827021181583404541015625000000001", false, 0, 0.1},
        {"-12345678901234567890123456789012345678901234567890123456789012345678e-60", false, 0,
         -12345678.901234567890123456789012345678901234567890123456789012345678},
    };
    vl_arena a;
    vl_arena_init(&a, 0);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        const vl_json *v = NULL;
        vl_error err;
        REQUIRE(t, vl_json_parse(cases[k].text, strlen(cases[k].text), &a, &v, &err) == VL_OK);
        CHECK(t, vl_json_kind(v) == VL_JSON_NUMBER);
        vl_sv text;
        CHECK(t, vl_json_num_text(v, &text) && vl_sv_eq_cstr(text, cases[k].text));
        int64_t i = 7;
        CHECKF(t, vl_json_i64(v, &i) == cases[k].is_int, "%s", cases[k].text);
        if (cases[k].is_int) CHECK_EQ_INT(t, i, cases[k].i);
        double d = 0;
        CHECK(t, vl_json_f64(v, &d));
        CHECKF(t, d == cases[k].d && signbit(d) == signbit(cases[k].d), "%s: %.17g != %.17g",
               cases[k].text, d, cases[k].d);
    }
    vl_arena_destroy(&a);
}

/* Random decimal texts: the fast path must agree with strtod bit for bit. */
static void t_number_fast_path_matches_strtod(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 7);
    vl_arena a;
    vl_arena_init(&a, 0);
    char buf[64];
    for (int k = 0; k < 200000; k++) {
        int len = 0;
        if (vl_rng_chance(&r, 0.3)) buf[len++] = '-';
        int idig = 1 + (int)vl_rng_below(&r, 17);
        buf[len++] = (char)('1' + vl_rng_below(&r, 9));
        for (int i = 1; i < idig; i++) buf[len++] = (char)('0' + vl_rng_below(&r, 10));
        if (vl_rng_chance(&r, 0.7)) {
            buf[len++] = '.';
            int fdig = 1 + (int)vl_rng_below(&r, 17);
            for (int i = 0; i < fdig; i++) buf[len++] = (char)('0' + vl_rng_below(&r, 10));
        }
        if (vl_rng_chance(&r, 0.5)) len += snprintf(buf + len, 16, "e%d", (int)vl_rng_below(&r, 61) - 30);
        buf[len] = '\0';
        const vl_json *v;
        vl_error err;
        REQUIRE(t, vl_json_parse(buf, (size_t)len, &a, &v, &err) == VL_OK);
        double d;
        REQUIRE(t, vl_json_f64(v, &d));
        double want = strtod(buf, NULL);
        if (memcmp(&d, &want, sizeof(d)) != 0) {
            CHECKF(t, 0, "%s: %.17g != %.17g", buf, d, want);
            break;
        }
        vl_arena_reset(&a);
    }
    vl_arena_destroy(&a);
}

static void t_strings_unescape_and_zero_copy(vl_test *t) {
    vl_arena a;
    vl_arena_init(&a, 0);
    const char *json = "[\"plain\",\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",\"\\u00e9\\u20AC\\ud834\\udd1e\","
                       "\"nul\\u0000x\",\"\"]";
    const vl_json *root;
    vl_error err;
    REQUIRE(t, vl_json_parse(json, strlen(json), &a, &root, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_json_len(root), 5);
    vl_sv s;
    REQUIRE(t, vl_json_str(vl_json_at(root, 0), &s));
    CHECK(t, s.p == json + 2 && s.n == 5); /* points into the input */
    REQUIRE(t, vl_json_str(vl_json_at(root, 1), &s));
    CHECK(t, vl_sv_eq(s, VL_SV("a\"b\\c/d\b\f\n\r\t")));
    CHECK(t, s.p < json || s.p > json + strlen(json)); /* unescaped copy */
    REQUIRE(t, vl_json_str(vl_json_at(root, 2), &s));
    CHECK(t, vl_sv_eq(s, VL_SV("\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e")));
    REQUIRE(t, vl_json_str(vl_json_at(root, 3), &s));
    CHECK(t, vl_sv_eq(s, vl_sv_make("nul\0x", 5)));
    REQUIRE(t, vl_json_str(vl_json_at(root, 4), &s));
    CHECK_EQ_INT(t, s.n, 0);
    CHECK(t, vl_json_at(root, 5) == NULL);
    CHECK(t, !vl_json_str(root, &s));
    /* long strings cross the 16-byte scanner blocks at every alignment */
    for (size_t len = 0; len < 80; len++) {
        char buf[128];
        buf[0] = '"';
        for (size_t i = 0; i < len; i++) buf[1 + i] = (char)('a' + i % 26);
        buf[1 + len] = '"';
        for (size_t bad_at = 0; bad_at <= len; bad_at++) {
            const vl_json *v;
            if (bad_at < len) {
                char c = buf[1 + bad_at];
                buf[1 + bad_at] = '\x01';
                CHECK_EQ_INT(t, vl_json_parse(buf, len + 2, &a, &v, &err), VL_ECORRUPT);
                buf[1 + bad_at] = c;
            } else {
                CHECK_EQ_INT(t, vl_json_parse(buf, len + 2, &a, &v, &err), VL_OK);
                CHECK(t, vl_json_str(v, &s) && s.n == len);
            }
        }
    }
    vl_arena_destroy(&a);
}

static void t_delta_add_action_accessors(vl_test *t) {
    const char *line =
        "{\"add\":{\"path\":\"a=1/part-0.parquet\",\"partitionValues\":{\"a\":\"1\",\"b\":null},"
        "\"size\":123,\"modificationTime\":1700000000000,\"dataChange\":true,"
        "\"stats\":\"{\\\"numRecords\\\":2,\\\"minValues\\\":{\\\"x\\\":1.5}}\",\"tags\":[1,2,3]}}";
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *root;
    vl_error err;
    REQUIRE(t, vl_json_parse(line, strlen(line), &a, &root, &err) == VL_OK);
    CHECK(t, vl_json_kind(root) == VL_JSON_OBJECT && vl_json_len(root) == 1);
    const vl_json *add;
    REQUIRE(t, vl_json_get_obj(root, "add", &add, &err) == VL_OK);
    vl_sv path;
    CHECK(t, vl_json_get_str(add, "path", &path, &err) == VL_OK &&
                 vl_sv_eq_cstr(path, "a=1/part-0.parquet"));
    int64_t size = 0, mt = 0;
    CHECK(t, vl_json_get_i64(add, "size", &size, &err) == VL_OK && size == 123);
    CHECK(t, vl_json_get_i64(add, "modificationTime", &mt, &err) == VL_OK && mt == 1700000000000);
    bool dc = false;
    CHECK(t, vl_json_get_bool(add, "dataChange", &dc, &err) == VL_OK && dc);
    const vl_json *pv;
    REQUIRE(t, vl_json_get_obj(add, "partitionValues", &pv, &err) == VL_OK);
    vl_sv s;
    CHECK(t, vl_json_get_str(pv, "a", &s, &err) == VL_OK && vl_sv_eq_cstr(s, "1"));
    CHECK_EQ_INT(t, vl_json_get_str(pv, "b", &s, &err), VL_ENOTFOUND); /* null = absent */
    CHECK_EQ_STR(t, err.msg, "member 'b' is null");
    CHECK(t, vl_json_is_null(vl_json_get(pv, "b")));
    CHECK_EQ_INT(t, vl_json_get_str(pv, "c", &s, &err), VL_ENOTFOUND);
    CHECK_EQ_STR(t, err.msg, "member 'c' is missing");
    CHECK_EQ_INT(t, vl_json_get_i64(add, "path", &size, &err), VL_EINVAL);
    CHECK_EQ_STR(t, err.msg, "member 'path': expected a number, got a string");
    CHECK_EQ_INT(t, vl_json_get_str(add, "tags", &s, &err), VL_EINVAL);
    const vl_json *tags;
    REQUIRE(t, vl_json_get_arr(add, "tags", &tags, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_json_len(tags), 3);
    int64_t x = 0;
    CHECK(t, vl_json_i64(vl_json_at(tags, 2), &x) && x == 3);
    CHECK_EQ_INT(t, vl_json_get_str(tags, "a", &s, &err), VL_ENOTFOUND);
    CHECK_EQ_STR(t, err.msg, "no member 'a': the container is an array");
    /* stats is JSON inside a string: parse it again */
    vl_sv stats;
    REQUIRE(t, vl_json_get_str(add, "stats", &stats, &err) == VL_OK);
    const vl_json *st;
    REQUIRE(t, vl_json_parse(stats.p, stats.n, &a, &st, &err) == VL_OK);
    CHECK(t, vl_json_get_i64(st, "numRecords", &x, &err) == VL_OK && x == 2);
    double d = 0;
    CHECK(t, vl_json_get_f64(vl_json_get(st, "minValues"), "x", &d, &err) == VL_OK && d == 1.5);
    CHECK_EQ_INT(t, vl_json_get_i64(vl_json_get(st, "minValues"), "x", &x, &err), VL_EINVAL);
    CHECK_EQ_STR(t, err.msg, "member 'x': expected a whole number, got 1.5");
    /* chained lookups through missing nodes */
    CHECK(t, vl_json_get(vl_json_get(root, "remove"), "path") == NULL);
    CHECK(t, vl_json_kind(vl_json_get(root, "remove")) == VL_JSON_MISSING);
    CHECK_EQ_INT(t, vl_json_len(NULL), 0);
    /* members in input order */
    vl_sv key;
    CHECK(t, vl_json_member(add, 0, &key) != NULL && vl_sv_eq_cstr(key, "path"));
    CHECK(t, vl_json_member(add, 6, &key) != NULL && vl_sv_eq_cstr(key, "tags"));
    CHECK(t, vl_json_member(add, 7, &key) == NULL);
    CHECK(t, vl_json_member(tags, 0, &key) == NULL);
    vl_arena_destroy(&a);
}

static void t_duplicate_keys_kept_lookup_returns_last(vl_test *t) {
    const char *json = "{\"a\":1,\"b\":2,\"a\":3,\"\":4,\"a\\u0000\":5}";
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *root;
    vl_error err;
    REQUIRE(t, vl_json_parse(json, strlen(json), &a, &root, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_json_len(root), 5);
    int64_t v = 0;
    CHECK(t, vl_json_get_i64(root, "a", &v, &err) == VL_OK && v == 3);
    CHECK(t, vl_json_i64(vl_json_member(root, 0, NULL), &v) && v == 1);
    CHECK(t, vl_json_i64(vl_json_get(root, ""), &v) && v == 4);
    CHECK(t, vl_json_i64(vl_json_get_sv(root, vl_sv_make("a\0", 2)), &v) && v == 5);
    vl_arena_destroy(&a);
}

static void t_big_integers_out_of_range(vl_test *t) {
    const char *json = "{\"big\":9223372036854775808,\"neg\":-1e3,\"x\":1E2}";
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *root;
    vl_error err;
    REQUIRE(t, vl_json_parse(json, strlen(json), &a, &root, &err) == VL_OK);
    int64_t v;
    CHECK_EQ_INT(t, vl_json_get_i64(root, "big", &v, &err), VL_ERANGE);
    CHECK_EQ_STR(t, err.msg, "member 'big': 9223372036854775808 does not fit in 64 bits");
    CHECK_EQ_INT(t, vl_json_get_i64(root, "neg", &v, &err), VL_EINVAL);
    CHECK_EQ_INT(t, vl_json_get_i64(root, "x", &v, &err), VL_EINVAL);
    vl_arena_destroy(&a);
}

/* ------------------------------------------------------------ the writer */

static void t_writer_exact_output(vl_test *t) {
    vl_buf b;
    vl_buf_init(&b);
    vl_json_w w;
    vl_json_w_init(&w, &b, 0);
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "add");
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "path");
    vl_json_w_cstr(&w, "a=1/part-0.parquet");
    vl_json_w_key(&w, "partitionValues");
    vl_json_w_begin_obj(&w);
    vl_json_w_key(&w, "a");
    vl_json_w_cstr(&w, "1");
    vl_json_w_key(&w, "b");
    vl_json_w_null(&w);
    vl_json_w_end_obj(&w);
    vl_json_w_key(&w, "size");
    vl_json_w_int(&w, 123);
    vl_json_w_key(&w, "big");
    vl_json_w_uint(&w, UINT64_MAX);
    vl_json_w_key(&w, "min");
    vl_json_w_int(&w, INT64_MIN);
    vl_json_w_key(&w, "dataChange");
    vl_json_w_bool(&w, true);
    vl_json_w_key(&w, "off");
    vl_json_w_bool(&w, false);
    vl_json_w_key(&w, "d");
    vl_json_w_begin_arr(&w);
    vl_json_w_double(&w, 0.1);
    vl_json_w_double(&w, -0.0);
    vl_json_w_double(&w, 1e300);
    vl_json_w_double(&w, 2.5);
    vl_json_w_double(&w, 5e-324);
    vl_json_w_begin_arr(&w);
    vl_json_w_end_arr(&w);
    vl_json_w_begin_obj(&w);
    vl_json_w_end_obj(&w);
    vl_json_w_raw(&w, "{\"r\":1}", 7);
    vl_json_w_end_arr(&w);
    vl_json_w_key(&w, "s\"\n");
    vl_json_w_str(&w, "q\"\\\x01\x1f\xc3\xa9\xff/", 9);
    vl_json_w_key(&w, "stats");
    vl_json_w_cstr(&w, "{\"numRecords\":2}");
    vl_json_w_end_obj(&w);
    vl_json_w_end_obj(&w);
    vl_error err;
    CHECK_EQ_INT(t, vl_json_w_finish(&w, &err), VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b),
                 "{\"add\":{\"path\":\"a=1/part-0.parquet\",\"partitionValues\":{\"a\":\"1\","
                 "\"b\":null},\"size\":123,\"big\":18446744073709551615,"
                 "\"min\":-9223372036854775808,\"dataChange\":true,\"off\":false,"
                 "\"d\":[0.1,-0,1e+300,2.5,5e-324,[],{},{\"r\":1}],"
                 "\"s\\\"\\n\":\"q\\\"\\\\\\u0001\\u001f\xc3\xa9\xef\xbf\xbd/\","
                 "\"stats\":\"{\\\"numRecords\\\":2}\"}}");
    /* the output parses and the values read back */
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *root;
    REQUIRE(t, vl_json_parse(b.p, b.n, &a, &root, &err) == VL_OK);
    double d;
    CHECK(t, vl_json_f64(vl_json_at(vl_json_get(vl_json_get(root, "add"), "d"), 4), &d) &&
                 d == 5e-324);
    vl_arena_destroy(&a);
    vl_buf_free(&b);
}

/* The writer's string fast path writes exactly what vl_buf_json_str does. */
static void t_writer_strings_match_vl_json_escape(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 3);
    vl_buf b1, b2;
    vl_buf_init(&b1);
    vl_buf_init(&b2);
    char s[100];
    for (int k = 0; k < 20000; k++) {
        size_t n = (size_t)vl_rng_below(&r, sizeof(s));
        unsigned mode = (unsigned)vl_rng_below(&r, 3);
        for (size_t i = 0; i < n; i++) {
            uint64_t x = vl_rng_next(&r);
            s[i] = mode == 0 ? (char)x : (x & 15) ? (char)(0x20 + (x >> 8) % 95) : (char)(x >> 16);
        }
        if (mode == 2 && n >= 4) memcpy(s + n / 2 - 2, "\xf0\x9f\x98\x80", 4);
        vl_buf_clear(&b1);
        vl_buf_clear(&b2);
        vl_json_w w;
        vl_json_w_init(&w, &b1, 0);
        REQUIRE(t, vl_json_w_str(&w, s, n) == VL_OK);
        REQUIRE(t, vl_buf_json_str(&b2, s, n) == VL_OK);
        if (b1.n != b2.n || memcmp(b1.p, b2.p, b1.n) != 0) {
            CHECKF(t, 0, "case %d differs", k);
            break;
        }
    }
    vl_buf_free(&b1);
    vl_buf_free(&b2);
}

static void t_writer_scalars_and_nonfinite(vl_test *t) {
    vl_buf b;
    vl_buf_init(&b);
    vl_json_w w;
    vl_error err;
    vl_json_w_init(&w, &b, 0);
    CHECK_EQ_INT(t, vl_json_w_int(&w, -5), VL_OK);
    CHECK_EQ_INT(t, vl_json_w_finish(&w, &err), VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b), "-5");

    vl_buf_clear(&b);
    vl_json_w_init(&w, &b, 0);
    CHECK_EQ_INT(t, vl_json_w_finish(&w, &err), VL_EINVAL);
    CHECK_EQ_STR(t, err.msg, "JSON writer: nothing was written");

    vl_buf_clear(&b);
    vl_json_w_init(&w, &b, 0);
    vl_json_w_begin_arr(&w);
    CHECK_EQ_INT(t, vl_json_w_double(&w, NAN), VL_EINVAL);
    CHECK_EQ_INT(t, vl_json_w_int(&w, 1), VL_EINVAL); /* sticky */
    vl_json_w_end_arr(&w);
    CHECK_EQ_INT(t, vl_json_w_finish(&w, &err), VL_EINVAL);

    vl_buf_clear(&b);
    vl_json_w_init(&w, &b, VL_JSON_W_NONFINITE_NULL);
    vl_json_w_begin_arr(&w);
    vl_json_w_double(&w, NAN);
    vl_json_w_double(&w, INFINITY);
    vl_json_w_double(&w, -INFINITY);
    vl_json_w_double(&w, 1.5);
    vl_json_w_end_arr(&w);
    CHECK_EQ_INT(t, vl_json_w_finish(&w, &err), VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b), "[null,null,null,1.5]");

    vl_buf_clear(&b);
    vl_json_w_init(&w, &b, 0);
    vl_json_w_begin_obj(&w);
    CHECK_EQ_INT(t, vl_json_w_finish(&w, &err), VL_EINVAL);
    CHECK_EQ_STR(t, err.msg, "JSON writer: an array or object is still open");
#ifdef NDEBUG
    /* misuse is VL_EINVAL in release builds (it asserts in debug builds) */
    vl_buf_clear(&b);
    vl_json_w_init(&w, &b, 0);
    vl_json_w_begin_obj(&w);
    CHECK_EQ_INT(t, vl_json_w_int(&w, 1), VL_EINVAL); /* a key is due */
    vl_json_w_init(&w, &b, 0);
    vl_json_w_begin_arr(&w);
    CHECK_EQ_INT(t, vl_json_w_key(&w, "k"), VL_EINVAL);
    vl_json_w_init(&w, &b, 0);
    vl_json_w_begin_arr(&w);
    CHECK_EQ_INT(t, vl_json_w_end_obj(&w), VL_EINVAL);
    vl_json_w_init(&w, &b, 0);
    vl_json_w_null(&w);
    CHECK_EQ_INT(t, vl_json_w_null(&w), VL_EINVAL); /* two top-level values */
#endif
    vl_buf_free(&b);
}

/* ------------------------------------------------------------ round trip */

/* Writes a random value: nesting, every kind, awkward strings and numbers. */
static void random_value(vl_rng *r, vl_json_w *w, int depth) {
    unsigned kind = (unsigned)vl_rng_below(r, depth < 6 ? 9 : 6);
    switch (kind) {
    case 0: vl_json_w_null(w); break;
    case 1: vl_json_w_bool(w, vl_rng_chance(r, 0.5)); break;
    case 2: vl_json_w_int(w, (int64_t)vl_rng_next(r) >> vl_rng_below(r, 64)); break;
    case 3: {
        uint64_t bits = vl_rng_next(r);
        double d;
        memcpy(&d, &bits, sizeof(d));
        if (!isfinite(d) || vl_rng_chance(r, 0.5)) d = vl_rng_normal(r) * 1e6;
        vl_json_w_double(w, d);
        break;
    }
    case 4:
    case 5: {
        char s[40];
        size_t n = (size_t)vl_rng_below(r, sizeof(s));
        for (size_t i = 0; i < n; i++) {
            uint64_t x = vl_rng_next(r);
            /* mostly ASCII, some controls, quotes, backslashes and high bytes */
            s[i] = (x & 3) ? (char)(0x20 + (x >> 8) % 95) : (char)(x >> 16);
        }
        vl_json_w_str(w, s, n);
        break;
    }
    case 6:
    case 7: {
        vl_json_w_begin_arr(w);
        size_t n = (size_t)vl_rng_below(r, 6);
        for (size_t i = 0; i < n; i++) random_value(r, w, depth + 1);
        vl_json_w_end_arr(w);
        break;
    }
    default: {
        vl_json_w_begin_obj(w);
        size_t n = (size_t)vl_rng_below(r, 6);
        for (size_t i = 0; i < n; i++) {
            char key[8];
            size_t kn = (size_t)vl_rng_below(r, 4);
            for (size_t j = 0; j < kn; j++) key[j] = (char)('a' + vl_rng_below(r, 3));
            vl_json_w_key_n(w, key, kn); /* duplicates happen */
            random_value(r, w, depth + 1);
        }
        vl_json_w_end_obj(w);
    }
    }
}

static void t_round_trip_random_documents(vl_test *t) {
    vl_rng r;
    vl_rng_seed(&r, 42);
    vl_buf b1, b2;
    vl_buf_init(&b1);
    vl_buf_init(&b2);
    vl_arena a;
    vl_arena_init(&a, 0);
    for (int k = 0; k < 3000; k++) {
        vl_buf_clear(&b1);
        vl_buf_clear(&b2);
        vl_json_w w;
        vl_json_w_init(&w, &b1, 0);
        random_value(&r, &w, 0);
        vl_error err;
        REQUIRE(t, vl_json_w_finish(&w, &err) == VL_OK);
        const vl_json *d1, *d2;
        int rc = vl_json_parse(b1.p, b1.n, &a, &d1, &err);
        CHECKF(t, rc == VL_OK, "%s: %s", vl_buf_cstr(&b1), err.msg);
        if (rc != VL_OK) break;
        vl_json_w_init(&w, &b2, 0);
        vl_json_w_value(&w, d1);
        REQUIRE(t, vl_json_w_finish(&w, &err) == VL_OK);
        /* the writer is canonical: same bytes, and the same DOM */
        CHECK(t, b1.n == b2.n && memcmp(b1.p, b2.p, b1.n) == 0);
        REQUIRE(t, vl_json_parse(b2.p, b2.n, &a, &d2, &err) == VL_OK);
        CHECK(t, vl_json_equal(d1, d2));
        vl_arena_reset(&a);
    }
    /* and whitespace does not matter */
    const char *spaced = " { \"a\" : [ 1 , 2.5 , \"x\" , { } , [ ] , null ] , \"b\" : true } ";
    const vl_json *d1, *d2;
    vl_error err;
    REQUIRE(t, vl_json_parse(spaced, strlen(spaced), &a, &d1, &err) == VL_OK);
    vl_buf_clear(&b1);
    vl_json_w w;
    vl_json_w_init(&w, &b1, 0);
    vl_json_w_value(&w, d1);
    REQUIRE(t, vl_json_w_finish(&w, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b1), "{\"a\":[1,2.5,\"x\",{},[],null],\"b\":true}");
    REQUIRE(t, vl_json_parse(b1.p, b1.n, &a, &d2, &err) == VL_OK);
    CHECK(t, vl_json_equal(d1, d2));
    CHECK(t, !vl_json_equal(d1, vl_json_get(d2, "a")));
    CHECK(t, vl_json_equal(NULL, NULL) && !vl_json_equal(d1, NULL));
    vl_arena_destroy(&a);
    vl_buf_free(&b1);
    vl_buf_free(&b2);
}

/* ------------------------------------------------------------ memory */

static void t_oom_via_arena_limit_and_alloc_failures(vl_test *t) {
    /* a document large enough to leave the C-stack scratch (> 256 nodes) */
    vl_buf b;
    vl_buf_init(&b);
    REQUIRE(t, vl_buf_puts(&b, "[") == VL_OK);
    for (int i = 0; i < 600; i++)
        REQUIRE(t, vl_buf_printf(&b, "%s{\"k%d\":\"v\\n%d\",\"n\":[%d,1.5]}", i ? "," : "", i, i,
                                 i) == VL_OK);
    REQUIRE(t, vl_buf_puts(&b, "]") == VL_OK);
    vl_error err;
    bool succeeded = false;
    for (size_t limit = 0; limit < 400000 && !succeeded; limit += 4096) {
        vl_arena a;
        vl_arena_init(&a, 4096);
        a.limit = limit;
        const vl_json *root = NULL;
        int rc = vl_json_parse(b.p, b.n, &a, &root, &err);
        if (rc == VL_OK) {
            succeeded = true;
            CHECK_EQ_INT(t, vl_json_len(root), 600);
        } else {
            CHECK_EQ_INT(t, rc, VL_ENOMEM);
            CHECK(t, root == NULL);
            CHECK(t, strstr(err.msg, "out of memory") != NULL);
        }
        vl_arena_destroy(&a);
    }
    CHECK(t, succeeded);
    /* a huge flat array: the arena limit also bounds the scratch stack */
    {
        size_t n = (4u << 20) + 1; /* "[0,0,...,0]" */
        char *big = vl_malloc(n);
        REQUIRE(t, big);
        big[0] = '[';
        for (size_t i = 1; i < n - 2; i += 2) memcpy(big + i, "0,", 2);
        big[n - 2] = '0';
        big[n - 1] = ']';
        vl_arena a;
        vl_arena_init(&a, 0);
        a.limit = 1u << 20;
        long before = vl_alloc_count();
        const vl_json *root = NULL;
        CHECK_EQ_INT(t, vl_json_parse(big, n, &a, &root, &err), VL_ENOMEM);
        CHECK(t, vl_alloc_count() - before < 40); /* the scratch stopped growing early */
        a.limit = 0;
        int rc = vl_json_parse(big, n, &a, &root, &err);
        CHECKF(t, rc == VL_OK, "%s", err.msg);
        CHECK_EQ_INT(t, vl_json_len(root), n / 2);
        vl_arena_destroy(&a);
        vl_free(big);
    }
    /* fail the Nth heap allocation (arena blocks and the scratch stack) */
    succeeded = false;
    for (long n = 0; n < 200 && !succeeded; n++) {
        vl_arena a;
        vl_arena_init(&a, 4096);
        vl_alloc_fail_after(n);
        const vl_json *root = NULL;
        int rc = vl_json_parse(b.p, b.n, &a, &root, &err);
        vl_alloc_fail_after(-1);
        if (rc == VL_OK) succeeded = true;
        else CHECK_EQ_INT(t, rc, VL_ENOMEM);
        vl_arena_destroy(&a);
    }
    CHECK(t, succeeded);
    /* the writer keeps its buffer on failure and reports ENOMEM */
    for (long n = 0; n < 10; n++) {
        vl_buf out;
        vl_buf_init(&out);
        vl_arena a;
        vl_arena_init(&a, 0);
        const vl_json *root;
        REQUIRE(t, vl_json_parse(b.p, b.n, &a, &root, &err) == VL_OK);
        vl_alloc_fail_after(n);
        vl_json_w w;
        vl_json_w_init(&w, &out, 0);
        vl_json_w_value(&w, root);
        int rc = vl_json_w_finish(&w, &err);
        vl_alloc_fail_after(-1);
        CHECK(t, rc == VL_OK || rc == VL_ENOMEM);
        vl_buf_free(&out);
        vl_arena_destroy(&a);
    }
    vl_buf_free(&b);
}

static const vl_test_case cases[] = {
    {"accepts the y_ cases", t_accepts_y_cases},
    {"refuses the n_ cases with ECORRUPT and a byte offset", t_refuses_n_cases},
    {"error messages say the byte and what was expected", t_error_messages_say_byte_and_expectation},
    {"depth limit: 64 by default, settable, iterative", t_depth_limit},
    {"size limit refuses long input with EINVAL", t_size_limit},
    {"numbers keep their text, int64 when whole, double", t_numbers_keep_text_int_and_double},
    {"number fast path matches strtod bit for bit", t_number_fast_path_matches_strtod},
    {"strings unescape, and are zero copy without escapes", t_strings_unescape_and_zero_copy},
    {"Delta add action through typed getters", t_delta_add_action_accessors},
    {"duplicate keys are kept, lookup returns the last", t_duplicate_keys_kept_lookup_returns_last},
    {"integers beyond int64 are ERANGE, fractions EINVAL", t_big_integers_out_of_range},
    {"writer output is exact", t_writer_exact_output},
    {"writer strings match vl_buf_json_str byte for byte", t_writer_strings_match_vl_json_escape},
    {"writer scalars, NaN policy, unbalanced finish", t_writer_scalars_and_nonfinite},
    {"round trip parse-write-parse on random documents", t_round_trip_random_documents},
    {"OOM via arena limit and failed allocations, no leak", t_oom_via_arena_limit_and_alloc_failures},
};

VL_TEST_MAIN(cases)
