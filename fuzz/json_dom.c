/* vidlake - Apache-2.0 */
/*
 * Fuzz target: the JSON DOM reader (core_json.c) on arbitrary bytes.
 * Whatever it accepts must write back (vl_json_w_value) to text that parses
 * to an equal DOM and writes to the same bytes again; every lookup by key
 * must find a member with that key, the last one. Whatever it refuses must
 * carry ECORRUPT/EINVAL and a "byte N: " message within the input.
 * The first byte, when the input is long enough, picks a depth limit so that
 * the limit itself is exercised.
 */
#include "core/core.h"
#include "fuzz.h"

#include <string.h>

static void check_lookups(const vl_json *v) {
    vl_json_kind_t k = vl_json_kind(v);
    if (k == VL_JSON_ARRAY) {
        for (size_t i = 0; i < vl_json_len(v); i++) check_lookups(vl_json_at(v, i));
        FUZZ_ASSERT(vl_json_at(v, vl_json_len(v)) == NULL);
    } else if (k == VL_JSON_OBJECT) {
        size_t n = vl_json_len(v);
        for (size_t i = 0; i < n; i++) {
            vl_sv key;
            const vl_json *m = vl_json_member(v, i, &key);
            FUZZ_ASSERT(m != NULL);
            const vl_json *found = vl_json_get_sv(v, key);
            FUZZ_ASSERT(found != NULL);
            /* the last member with this key */
            size_t last = i;
            for (size_t j = i + 1; j < n; j++) {
                vl_sv kj;
                (void)vl_json_member(v, j, &kj);
                if (vl_sv_eq(kj, key)) last = j;
            }
            FUZZ_ASSERT(found == vl_json_member(v, last, NULL));
            FUZZ_ASSERT(vl_utf8_valid(key.p, key.n, NULL));
            check_lookups(m);
        }
    } else if (k == VL_JSON_STRING) {
        vl_sv s;
        FUZZ_ASSERT(vl_json_str(v, &s) && vl_utf8_valid(s.p, s.n, NULL));
    } else if (k == VL_JSON_NUMBER) {
        double d;
        int64_t i;
        vl_sv text;
        FUZZ_ASSERT(vl_json_f64(v, &d) && vl_json_num_text(v, &text) && text.n > 0);
        if (vl_json_i64(v, &i)) FUZZ_ASSERT(d == (double)i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vl_json_opts opts = {0};
    const char *p = (const char *)data;
    if (size > 1 && data[0] == 0xFE) { /* a marker byte JSON text never starts with */
        opts.max_depth = 1 + data[1] % 8;
        p += 2;
        size -= 2;
    }
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *root = NULL;
    vl_error err = {0};
    int rc = vl_json_parse_opts(p, size, &opts, &a, &root, &err);
    if (rc == VL_OK) {
        FUZZ_ASSERT(root != NULL);
        check_lookups(root);
        vl_buf b1, b2;
        vl_buf_init(&b1);
        vl_buf_init(&b2);
        vl_json_w w;
        vl_json_w_init(&w, &b1, 0);
        vl_json_w_value(&w, root);
        FUZZ_ASSERT(vl_json_w_finish(&w, &err) == VL_OK);
        const vl_json *again = NULL;
        rc = vl_json_parse_opts(b1.p, b1.n, &opts, &a, &again, &err);
        FUZZ_ASSERT(rc == VL_OK);
        FUZZ_ASSERT(vl_json_equal(root, again));
        vl_json_w_init(&w, &b2, 0);
        vl_json_w_value(&w, again);
        FUZZ_ASSERT(vl_json_w_finish(&w, &err) == VL_OK);
        FUZZ_ASSERT(b1.n == b2.n && memcmp(b1.p, b2.p, b1.n) == 0);
        FUZZ_ASSERT(b1.n <= size);
        vl_buf_free(&b1);
        vl_buf_free(&b2);
    } else {
        FUZZ_ASSERT(rc == VL_ECORRUPT || rc == VL_EINVAL);
        FUZZ_ASSERT(root == NULL);
        FUZZ_ASSERT(err.code == rc);
        size_t at = 0;
        FUZZ_ASSERT(sscanf(err.msg, "byte %zu: ", &at) == 1);
        FUZZ_ASSERT(at <= size);
    }
    vl_arena_destroy(&a);
    return 0;
}
