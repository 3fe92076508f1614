/* vidlake - Apache-2.0 */
/*
 * Fuzz target: the readers of S3's XML answers (src/store/store_s3_xml.c),
 * the very functions store_s3.c calls on a server's bodies. The input is
 * one answer body, fed to every reader in turn: the error body's Code and
 * Message, DeleteObjects' <Error> entries, InitiateMultipartUpload's
 * UploadId, a ListObjectsV2 page and a ListMultipartUploads page. The
 * listing's store prefix is the part of the body's own <Prefix> up to its
 * first '/' (so a realistic answer strips what the store would). An empty
 * input is passed as (NULL, 0), as an empty body is.
 *
 * Invariants: no crash, no read out of bounds, nothing leaked (the
 * allocation budget is back at zero after every reader); every refusal
 * carries a known code and a message; a listed key is NUL-terminated at
 * key_len and holds no other NUL; a page that says more follow names a
 * non-empty continuation (else the next request would start over).
 * Round trips on the input's bytes: URL-encoding then vl_s3__url_decode,
 * and XML-escaping into an element then vl_s3__xml_field, give the bytes
 * back. Each input runs twice: with a generous budget, and with a small
 * one picked by the input, so that running out of memory midway is a
 * clean VL_ENOMEM, never a crash, a leak or a listing silently cut short.
 */
#include "fuzz_budget.h"
#include "fuzz.h"
#include "store/store_int.h"

#include <string.h>

#define MEM_BUDGET ((size_t)64 << 20)
#define ROUND_TRIP_MAX 2048 /* bytes of the input used by the round trips */

static fuzz_budget g_budget = {.limit = MEM_BUDGET};

static bool known_code(int rc) { return rc == VL_ENOMEM || rc == VL_ECORRUPT; }

typedef struct seen {
    size_t calls, stop_at; /* the callback says VL_STORE_STOP at call stop_at (0: never) */
    uint64_t sum;
} seen;

static int list_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)err;
    seen *s = ctx;
    FUZZ_ASSERT(o->key != NULL);
    FUZZ_ASSERT(o->key[o->key_len] == '\0' && strlen(o->key) == o->key_len);
    for (size_t i = 0; i < o->key_len; i++) s->sum += (unsigned char)o->key[i];
    s->sum += o->size + (uint64_t)o->mtime_us;
    return ++s->calls == s->stop_at ? VL_STORE_STOP : VL_OK;
}

static int upload_cb(void *ctx, const char *key, size_t key_len, const char *id, size_t id_len, int64_t initiated_us,
                     vl_error *err) {
    (void)err;
    seen *s = ctx;
    FUZZ_ASSERT(key != NULL && key[key_len] == '\0' && strlen(key) == key_len);
    for (size_t i = 0; i < key_len; i++) s->sum += (unsigned char)key[i];
    for (size_t i = 0; i < id_len; i++) s->sum += (unsigned char)id[i];
    s->sum += (uint64_t)initiated_us;
    return ++s->calls == s->stop_at ? VL_STORE_STOP : VL_OK;
}

/* The store prefix a listing of this body would strip: its <Prefix> up to
 * the first '/'. */
static size_t strip_of(const char *x, size_t n) {
    vl_buf p;
    vl_buf_init(&p);
    size_t at = 0, strip = 0;
    if (vl_s3__xml_field(x, n, "Prefix", &at, &p) == VL_OK && vl_s3__url_decode(&p)) {
        const char *slash = p.n ? memchr(p.p, '/', p.n) : NULL;
        if (slash) strip = (size_t)(slash - p.p) + 1;
    }
    vl_buf_free(&p);
    return strip;
}

static void check_refusal(int rc, const vl_error *err) {
    if (!known_code(rc)) fprintf(stderr, "unexpected code %d: %s\n", rc, err->msg);
    FUZZ_ASSERT(known_code(rc));
    FUZZ_ASSERT(err->msg[0] != '\0');
}

static void readers(const char *x, size_t n, size_t strip, size_t stop_at) {
    vl_s3__fault f;
    vl_s3__fault_init(&f);
    vl_s3__parse_error(x, n, &f);
    vl_s3__fault_free(&f);

    vl_s3__fault_init(&f);
    bool failed = false;
    int rc = vl_s3__parse_delete_errors(x, n, &f, &failed);
    FUZZ_ASSERT(rc == VL_OK || rc == VL_ENOMEM);
    if (rc == VL_OK && failed) FUZZ_ASSERT(!f.has_message || f.message.n > 0);
    vl_s3__fault_free(&f);

    vl_buf id;
    vl_buf_init(&id);
    if (vl_s3__parse_upload_id(x, n, &id)) FUZZ_ASSERT(id.n > 0);
    vl_buf_free(&id);

    vl_buf token, km, um;
    vl_buf_init(&token);
    vl_buf_init(&km);
    vl_buf_init(&um);
    seen s = {0, stop_at, 0};
    vl_error err = {0};
    bool more = false;
    rc = vl_s3__parse_list(x, n, strip, list_cb, &s, &token, &more, &err);
    if (rc == VL_STORE_STOP) FUZZ_ASSERT(stop_at && s.calls == stop_at);
    else if (rc != VL_OK) check_refusal(rc, &err);
    else if (more) FUZZ_ASSERT(token.n > 0); /* else the next request starts over */

    seen u = {0, stop_at, 0};
    memset(&err, 0, sizeof(err));
    more = false;
    rc = vl_s3__parse_uploads(x, n, upload_cb, &u, &km, &um, &more, &err);
    if (rc == VL_STORE_STOP) FUZZ_ASSERT(stop_at && u.calls == stop_at);
    else if (rc != VL_OK) check_refusal(rc, &err);
    else if (more) FUZZ_ASSERT(km.n > 0);
    vl_buf_free(&token);
    vl_buf_free(&km);
    vl_buf_free(&um);
}

/* URL-encode then decode, XML-escape then read back: the same bytes. */
static void round_trips(const uint8_t *data, size_t size) {
    size_t n = size < ROUND_TRIP_MAX ? size : ROUND_TRIP_MAX;
    vl_buf b;
    vl_buf_init(&b);
    if (vl_uri_encode((const char *)data, n, false, &b) == VL_OK) {
        FUZZ_ASSERT(vl_s3__url_decode(&b));
        FUZZ_ASSERT(b.n == n && (n == 0 || memcmp(b.p, data, n) == 0));
    }
    vl_buf_clear(&b);
    int rc = vl_buf_puts(&b, "<T>");
    for (size_t i = 0; rc == VL_OK && i < n; i++) {
        switch (data[i]) {
        case '&': rc = vl_buf_puts(&b, "&amp;"); break;
        case '<': rc = vl_buf_puts(&b, "&lt;"); break;
        case '>': rc = vl_buf_puts(&b, "&gt;"); break;
        default: rc = vl_buf_putc(&b, (char)data[i]); break;
        }
    }
    if (rc == VL_OK) rc = vl_buf_puts(&b, "</T>");
    if (rc == VL_OK) {
        vl_buf out;
        vl_buf_init(&out);
        size_t at = 0;
        if (vl_s3__xml_field(b.p, b.n, "T", &at, &out) == VL_OK) {
            FUZZ_ASSERT(at == b.n);
            FUZZ_ASSERT(out.n == n && (n == 0 || memcmp(out.p, data, n) == 0));
        }
        vl_buf_free(&out);
    }
    vl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *x = size ? (const char *)data : NULL; /* an empty body is never allocated */
    uint8_t last = size ? data[size - 1] : 0;
    for (int pass = 0; pass < 2; pass++) {
        /* pass 1: a budget of a few hundred bytes to a few KiB, picked by
         * the input's last byte, so allocations fail midway */
        g_budget.limit = pass == 0 ? MEM_BUDGET : (size_t)64 + (size_t)last * 16;
        fuzz_budget_install(&g_budget);
        size_t strip = strip_of(x, size);
        readers(x, size, strip, pass == 0 ? 0 : (size_t)(last & 7));
        if (pass == 0) round_trips(data, size);
        if (g_budget.live != 0) fprintf(stderr, "%zu bytes still allocated after the input\n", g_budget.live);
        FUZZ_ASSERT(g_budget.live == 0);
        vl_alloc_set_hooks(NULL);
    }
    return 0;
}
