/* vidlake - Apache-2.0 */
/*
 * store_s3_xml: the XML answers of S3 (ListObjectsV2, ListMultipartUploads,
 * DeleteObjects, InitiateMultipartUpload, error bodies) read into what
 * store_s3.c needs. Pure functions: no network, no globals, so that
 * fuzz/s3_xml.c and the unit tests run exactly the code the store runs.
 *
 * This is not an XML parser. S3's answers are flat and regular, so an
 * element is found by its literal open tag and the next literal close tag,
 * and its text is unescaped (the five predefined entities). A body comes
 * from the network and is untrusted: every search is bounded by the body's
 * length, and nothing is allocated beyond the body's size per field.
 */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

/* The raw text of the first <tag>...</tag> at or after *from, as
 * [*text, *text + *tn); *from moves past the close tag. */
static bool element(const char *xml, size_t n, const char *tag, size_t *from, const char **text, size_t *tn) {
    if (!xml || *from >= n) return false; /* an empty body is (NULL, 0) */
    char open[64], close[64];
    int ol = snprintf(open, sizeof(open), "<%s>", tag), cl = snprintf(close, sizeof(close), "</%s>", tag);
    const char *a = memmem(xml + *from, n - *from, open, (size_t)ol);
    if (!a) return false;
    a += ol;
    const char *b = memmem(a, (size_t)(xml + n - a), close, (size_t)cl);
    if (!b) return false;
    *from = (size_t)(b - xml) + (size_t)cl;
    *text = a;
    *tn = (size_t)(b - a);
    return true;
}

/* Appends p[0..n) to out with the five predefined entities replaced. */
static int unescape(const char *p, size_t n, vl_buf *out) {
    static const struct { const char *e; size_t l; char c; } ents[] = {
        {"&amp;", 5, '&'}, {"&lt;", 4, '<'}, {"&gt;", 4, '>'}, {"&quot;", 6, '"'}, {"&apos;", 6, '\''}};
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        for (size_t k = 0; c == '&' && k < sizeof(ents) / sizeof(ents[0]); k++) {
            if (n - i >= ents[k].l && memcmp(p + i, ents[k].e, ents[k].l) == 0) {
                c = ents[k].c;
                i += ents[k].l - 1;
                break;
            }
        }
        VL_RETURN_IF_ERR(vl_buf_putc(out, c));
    }
    return VL_OK;
}

int vl_s3__xml_field(const char *xml, size_t n, const char *tag, size_t *from, vl_buf *out) {
    const char *t;
    size_t tn;
    vl_buf_clear(out);
    if (!element(xml, n, tag, from, &t, &tn)) return VL_ENOTFOUND;
    return unescape(t, tn, out);
}

bool vl_s3__url_decode(vl_buf *b) {
    char *p = b->p;
    size_t o = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (p[i] == '%') {
            int hi = i + 2 < b->n ? vl_store__hexval(p[i + 1]) : -1;
            int lo = hi >= 0 ? vl_store__hexval(p[i + 2]) : -1;
            if (hi < 0 || lo < 0) return false;
            p[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            p[o++] = p[i] == '+' ? ' ' : p[i];
        }
    }
    /* no NUL written here: b may be full (n == cap); vl_buf_cstr adds one */
    b->n = o;
    return true;
}

/* A field's text, unescaped: VL_OK, VL_ENOTFOUND or VL_ENOMEM. */
static int field_in(const char *t, size_t tn, const char *tag, vl_buf *out) {
    size_t at = 0;
    return vl_s3__xml_field(t, tn, tag, &at, out);
}

static bool is(const vl_buf *b, const char *s) { return b->n == strlen(s) && memcmp(b->p, s, b->n) == 0; }

/* ----------------------------------------------------------- error bodies */

void vl_s3__fault_init(vl_s3__fault *f) {
    f->has_key = f->has_code = f->has_message = false;
    vl_buf_init(&f->key);
    vl_buf_init(&f->code);
    vl_buf_init(&f->message);
}

void vl_s3__fault_free(vl_s3__fault *f) {
    vl_buf_free(&f->key);
    vl_buf_free(&f->code);
    vl_buf_free(&f->message);
    vl_s3__fault_init(f);
}

void vl_s3__parse_error(const char *xml, size_t n, vl_s3__fault *f) {
    f->has_code = field_in(xml, n, "Code", &f->code) == VL_OK;
    f->has_message = field_in(xml, n, "Message", &f->message) == VL_OK && f->message.n;
}

int vl_s3__parse_delete_errors(const char *xml, size_t n, vl_s3__fault *f, bool *failed) {
    /* quiet mode lists only the failures; an absent key is not one. Each
     * entry's fields are read from its raw text: unescaping the entry
     * first would unescape its fields twice ("&amp;lt;" as '<'). */
    *failed = false;
    const char *t;
    size_t tn;
    for (size_t at = 0; !*failed && element(xml, n, "Error", &at, &t, &tn);) {
        int rk = field_in(t, tn, "Key", &f->key), rc = field_in(t, tn, "Code", &f->code);
        int rm = field_in(t, tn, "Message", &f->message);
        if (rk == VL_ENOMEM || rc == VL_ENOMEM || rm == VL_ENOMEM) return VL_ENOMEM;
        f->has_key = rk == VL_OK;
        f->has_code = rc == VL_OK;
        f->has_message = rm == VL_OK && f->message.n;
        *failed = !is(&f->code, "NoSuchKey");
    }
    return VL_OK;
}

bool vl_s3__parse_upload_id(const char *xml, size_t n, vl_buf *id) {
    return field_in(xml, n, "UploadId", id) == VL_OK && id->n;
}

/* ------------------------------------------------------------- listings */

/* A decimal <Size>: digits only, at most 2^63 - 1 (what a signed
 * offset can reach), so a hostile "-1" is not 2^64 - 1 bytes. */
static bool parse_size(const vl_buf *b, uint64_t *out) {
    uint64_t v = 0;
    if (b->n == 0) return false;
    for (size_t i = 0; i < b->n; i++) {
        if (b->p[i] < '0' || b->p[i] > '9' || v > ((uint64_t)INT64_MAX - (uint64_t)(b->p[i] - '0')) / 10) return false;
        v = v * 10 + (uint64_t)(b->p[i] - '0');
    }
    *out = v;
    return true;
}

/* At most this much of a bad key in a message. */
#define KEY_SHOW 200

int vl_s3__parse_list(const char *xml, size_t n, size_t strip, vl_store_list_cb cb, void *ctx, vl_buf *token,
                      bool *more, vl_error *err) {
    vl_buf key, field;
    vl_buf_init(&key);
    vl_buf_init(&field);
    const char *t;
    size_t tn;
    int rc = VL_OK;
    for (size_t at = 0; rc == VL_OK && element(xml, n, "Contents", &at, &t, &tn);) {
        vl_store_obj o = {0};
        rc = field_in(t, tn, "Key", &key);
        if (rc == VL_ENOTFOUND) { /* not an object: skipped, as before */
            rc = VL_OK;
            continue;
        }
        if (rc) break;
        /* a key that does not decode, or decodes to a NUL, cannot be
         * named: refuse the page rather than leave the object out of the
         * listing without a word */
        if (!vl_s3__url_decode(&key) || (key.n && memchr(key.p, 0, key.n))) {
            rc = vl_error_set(err, VL_ECORRUPT, "store: s3 LIST: the answer has a malformed key \"%.*s\"",
                              (int)(key.n > KEY_SHOW ? KEY_SHOW : key.n), key.p ? key.p : "");
            break;
        }
        if (key.n < strip) continue;
        rc = field_in(t, tn, "Size", &field);
        if (rc == VL_OK && !parse_size(&field, &o.size)) {
            rc = vl_error_set(err, VL_ECORRUPT, "store: s3 LIST: the answer gives %.*s a size of \"%.*s\"",
                              (int)(key.n > KEY_SHOW ? KEY_SHOW : key.n), key.p,
                              (int)(field.n > 32 ? 32 : field.n), field.p ? field.p : "");
            break;
        }
        if (rc == VL_ENOTFOUND) rc = VL_OK; /* no size: 0, as before */
        if (rc == VL_OK) rc = field_in(t, tn, "LastModified", &field);
        if (rc == VL_OK) {
            int64_t us = 0;
            vl_error e2;
            if (vl_ts_parse(field.p, field.n, &us, &e2) == VL_OK) o.mtime_us = us;
        } else if (rc == VL_ENOTFOUND) {
            rc = VL_OK;
        }
        const char *k = rc == VL_OK ? vl_buf_cstr(&key) : NULL;
        if (rc || !k) {
            rc = VL_ENOMEM;
            break;
        }
        o.key = k + strip;
        o.key_len = key.n - strip;
        rc = cb(ctx, &o, err);
    }
    if (rc == VL_OK) {
        size_t at = 0;
        *more = false;
        rc = vl_s3__xml_field(xml, n, "IsTruncated", &at, &field);
        if (rc == VL_OK && is(&field, "true")) {
            at = 0;
            rc = vl_s3__xml_field(xml, n, "NextContinuationToken", &at, token);
            /* without a token the next request would start over, forever;
             * and stopping here would cut the listing short unsaid */
            if (rc == VL_ENOTFOUND || (rc == VL_OK && token->n == 0))
                rc = vl_error_set(err, VL_ECORRUPT,
                                  "store: s3 LIST: the answer says more keys follow but gives no continuation token");
            *more = rc == VL_OK;
        } else if (rc == VL_ENOTFOUND) {
            rc = VL_OK;
        }
    }
    if (rc == VL_ENOMEM) vl_error_set(err, VL_ENOMEM, "out of memory");
    vl_buf_free(&key);
    vl_buf_free(&field);
    return rc;
}

int vl_s3__parse_uploads(const char *xml, size_t n, vl_s3__upload_cb cb, void *ctx, vl_buf *key_marker,
                         vl_buf *id_marker, bool *more, vl_error *err) {
    vl_buf key, id, ini;
    vl_buf_init(&key);
    vl_buf_init(&id);
    vl_buf_init(&ini);
    const char *t;
    size_t tn;
    int rc = VL_OK;
    for (size_t at = 0; rc == VL_OK && element(xml, n, "Upload", &at, &t, &tn);) {
        int64_t when = 0;
        vl_error e2;
        rc = field_in(t, tn, "Key", &key);
        if (rc == VL_OK) rc = field_in(t, tn, "UploadId", &id);
        if (rc == VL_OK) rc = field_in(t, tn, "Initiated", &ini);
        if (rc == VL_ENOTFOUND) {
            rc = VL_OK;
            continue;
        }
        if (rc) break;
        /* the sweep is best effort: an upload it cannot name or date is
         * left alone (a key with a NUL could name another object) */
        if (!vl_s3__url_decode(&key) || (key.n && memchr(key.p, 0, key.n)) || vl_ts_parse(ini.p, ini.n, &when, &e2) != VL_OK)
            continue;
        const char *k = vl_buf_cstr(&key);
        rc = k ? cb(ctx, k, key.n, id.p, id.n, when, err) : VL_ENOMEM;
    }
    if (rc == VL_OK) {
        size_t at = 0;
        *more = false;
        rc = vl_s3__xml_field(xml, n, "IsTruncated", &at, &ini);
        if (rc == VL_OK && is(&ini, "true")) {
            size_t k0 = 0, u0 = 0;
            /* without a key marker the next request would start over:
             * stop instead (what is left is swept next time) */
            rc = vl_s3__xml_field(xml, n, "NextKeyMarker", &k0, key_marker);
            *more = rc == VL_OK && vl_s3__url_decode(key_marker) && key_marker->n;
            if (rc == VL_OK || rc == VL_ENOTFOUND) rc = vl_s3__xml_field(xml, n, "NextUploadIdMarker", &u0, id_marker);
        }
        if (rc == VL_ENOTFOUND) rc = VL_OK;
    }
    if (rc == VL_ENOMEM) vl_error_set(err, VL_ENOMEM, "out of memory");
    vl_buf_free(&key);
    vl_buf_free(&id);
    vl_buf_free(&ini);
    return rc;
}
