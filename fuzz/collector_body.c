/* vidlake - Apache-2.0 */
/*
 * Fuzz target: what the collector parses before validation. The first
 * byte picks the parser:
 *  - even: the JSON-array splitter. Whatever it accepts is lines without
 *    newlines; when the input is also a JSON array the DOM parser accepts,
 *    there is one line per element and each line parses to that element.
 *    Whatever it refuses carries EINVAL and a byte position.
 *  - odd: the WAL record parser, walked over the bytes as a segment is at
 *    start-up; it never reads past the input and every record it returns
 *    lies inside it.
 */
#include "core/core.h"
#include "fuzz.h"
#include "ingest/ingest.h"

#include <string.h>

static void split(const char *p, size_t n) {
    vl_buf out;
    vl_buf_init(&out);
    vl_error err;
    int rc = vl_json_array_to_ndjson(p, n, &out, &err);
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_json *dom = NULL;
    bool valid = vl_json_parse(p, n, &a, &dom, NULL) == VL_OK && vl_json_kind(dom) == VL_JSON_ARRAY;
    if (rc == VL_OK) {
        size_t lines = 0;
        const char *q = out.p ? out.p : "", *end = q + out.n;
        while (q < end) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            FUZZ_ASSERT(nl != NULL); /* every line ends with '\n' */
            FUZZ_ASSERT(nl > q);     /* and is not empty */
            if (valid) {
                FUZZ_ASSERT(lines < vl_json_len(dom));
                const vl_json *el = NULL;
                FUZZ_ASSERT(vl_json_parse(q, (size_t)(nl - q), &a, &el, NULL) == VL_OK);
                FUZZ_ASSERT(vl_json_equal(el, vl_json_at(dom, lines)));
            }
            lines++;
            q = nl + 1;
        }
        if (valid) FUZZ_ASSERT(lines == vl_json_len(dom));
    } else {
        FUZZ_ASSERT(rc == VL_EINVAL || rc == VL_ENOMEM);
        FUZZ_ASSERT(rc == VL_ENOMEM || strstr(err.msg, "byte") || strstr(err.msg, "not closed"));
        FUZZ_ASSERT(!valid || vl_json_len(dom) == 0 || rc == VL_ENOMEM || strstr(err.msg, "empty element"));
    }
    vl_arena_destroy(&a);
    vl_buf_free(&out);
}

static void wal(const char *p, size_t n) {
    size_t off = 0;
    for (;;) {
        vl_wal_rec r;
        int k = vl_wal_rec_next(p + off, n - off, &r);
        if (k != 1) break;
        FUZZ_ASSERT(r.size >= VL_WAL_HEADER && r.size <= n - off);
        FUZZ_ASSERT(r.source >= p + off && r.source + r.source_n <= p + off + r.size);
        FUZZ_ASSERT(r.data == r.source + r.source_n && r.data + r.n == p + off + r.size);
        off += r.size;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    const char *p = (const char *)data + 1;
    if (data[0] & 1) wal(p, size - 1);
    else split(p, size - 1);
    return 0;
}
