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

bool vl_s3__xml_field(const char *xml, size_t n, const char *tag, size_t *from, vl_buf *out) {
    char open[64], close[64];
    snprintf(open, sizeof(open), "<%s>", tag);
    snprintf(close, sizeof(close), "</%s>", tag);
    const char *a = memmem(xml + *from, n - *from, open, strlen(open));
    if (!a) return false;
    a += strlen(open);
    const char *b = memmem(a, (size_t)(xml + n - a), close, strlen(close));
    if (!b) return false;
    *from = (size_t)(b - xml) + strlen(close);
    vl_buf_clear(out);
    for (const char *p = a; p < b; p++) {
        static const struct { const char *e; char c; } ents[] = {
            {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
        bool done = false;
        for (size_t k = 0; k < 5 && *p == '&'; k++) {
            size_t l = strlen(ents[k].e);
            if ((size_t)(b - p) >= l && memcmp(p, ents[k].e, l) == 0) {
                if (vl_buf_putc(out, ents[k].c) != VL_OK) return false;
                p += l - 1;
                done = true;
                break;
            }
        }
        if (!done && vl_buf_putc(out, *p) != VL_OK) return false;
    }
    return true;
}

bool vl_s3__url_decode(vl_buf *b) {
    char *p = (char *)b->p;
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
    b->n = o;
    if (b->cap) p[o] = 0;
    return true;
}

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
    size_t at = 0;
    f->has_code = n && vl_s3__xml_field(xml, n, "Code", &at, &f->code);
    at = 0;
    f->has_message = n && vl_s3__xml_field(xml, n, "Message", &at, &f->message) && f->message.n;
}

bool vl_s3__parse_delete_errors(const char *xml, size_t n, vl_s3__fault *f) {
    /* quiet mode lists only the failures; an absent key is not one */
    vl_buf e;
    vl_buf_init(&e);
    bool failed = false;
    for (size_t at = 0; !failed && vl_s3__xml_field(xml, n, "Error", &at, &e);) {
        size_t k = 0, c = 0, m = 0;
        vl_buf_clear(&f->code);
        vl_buf_clear(&f->message);
        f->has_key = vl_s3__xml_field(e.p, e.n, "Key", &k, &f->key);
        f->has_code = vl_s3__xml_field(e.p, e.n, "Code", &c, &f->code);
        f->has_message = vl_s3__xml_field(e.p, e.n, "Message", &m, &f->message) && f->message.n;
        if (strcmp(vl_buf_cstr(&f->code), "NoSuchKey") != 0) failed = true;
    }
    vl_buf_free(&e);
    return failed;
}

bool vl_s3__parse_upload_id(const char *xml, size_t n, vl_buf *id) {
    size_t at = 0;
    return vl_s3__xml_field(xml, n, "UploadId", &at, id) && id->n;
}

/* ------------------------------------------------------------- listings */

int vl_s3__parse_list(const char *xml, size_t n, size_t strip, vl_store_list_cb cb, void *ctx, vl_buf *token,
                      bool *more, vl_error *err) {
    vl_buf key, field;
    vl_buf_init(&key);
    vl_buf_init(&field);
    size_t at = 0;
    int rc = VL_OK;
    for (;;) {
        size_t c0 = at;
        if (!vl_s3__xml_field(xml, n, "Contents", &c0, &field)) break;
        vl_buf contents;
        vl_buf_init(&contents);
        if (vl_buf_append(&contents, field.p, field.n) != VL_OK) {
            vl_buf_free(&contents);
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            break;
        }
        at = c0;
        size_t k0 = 0;
        vl_store_obj o = {0};
        if (vl_s3__xml_field(contents.p, contents.n, "Key", &k0, &key) && vl_s3__url_decode(&key) && key.n >= strip) {
            vl_buf sz;
            vl_buf_init(&sz);
            size_t s0 = 0;
            if (vl_s3__xml_field(contents.p, contents.n, "Size", &s0, &sz)) o.size = strtoull(vl_buf_cstr(&sz), NULL, 10);
            s0 = 0;
            if (vl_s3__xml_field(contents.p, contents.n, "LastModified", &s0, &sz)) {
                int64_t us = 0;
                vl_error e2;
                if (vl_ts_parse(sz.p, sz.n, &us, &e2) == VL_OK) o.mtime_us = us;
            }
            vl_buf_free(&sz);
            o.key = vl_buf_cstr(&key) + strip;
            o.key_len = key.n - strip;
            rc = cb(ctx, &o, err);
        }
        vl_buf_free(&contents);
        if (rc) break;
    }
    if (rc == VL_OK) {
        size_t t0 = 0;
        *more = false;
        if (vl_s3__xml_field(xml, n, "IsTruncated", &t0, &field) && strcmp(vl_buf_cstr(&field), "true") == 0) {
            t0 = 0;
            *more = vl_s3__xml_field(xml, n, "NextContinuationToken", &t0, token);
        }
    }
    vl_buf_free(&key);
    vl_buf_free(&field);
    return rc;
}

int vl_s3__parse_uploads(const char *xml, size_t n, vl_s3__upload_cb cb, void *ctx, vl_buf *key_marker,
                         vl_buf *id_marker, bool *more, vl_error *err) {
    vl_buf up, f;
    vl_buf_init(&up);
    vl_buf_init(&f);
    int rc = VL_OK;
    for (size_t at = 0; rc == VL_OK && vl_s3__xml_field(xml, n, "Upload", &at, &up);) {
        vl_buf key, id, ini;
        vl_buf_init(&key);
        vl_buf_init(&id);
        vl_buf_init(&ini);
        size_t a = 0, b = 0, c = 0;
        int64_t when = 0;
        vl_error e2;
        if (vl_s3__xml_field(up.p, up.n, "Key", &a, &key) && vl_s3__url_decode(&key) &&
            vl_s3__xml_field(up.p, up.n, "UploadId", &b, &id) && vl_s3__xml_field(up.p, up.n, "Initiated", &c, &ini) &&
            vl_ts_parse(ini.p, ini.n, &when, &e2) == VL_OK)
            rc = cb(ctx, vl_buf_cstr(&key), key.n, id.p, id.n, when, err);
        vl_buf_free(&key);
        vl_buf_free(&id);
        vl_buf_free(&ini);
    }
    if (rc == VL_OK) {
        size_t t0 = 0;
        *more = false;
        if (vl_s3__xml_field(xml, n, "IsTruncated", &t0, &f) && strcmp(vl_buf_cstr(&f), "true") == 0) {
            size_t k0 = 0, u0 = 0;
            *more = vl_s3__xml_field(xml, n, "NextKeyMarker", &k0, key_marker) && vl_s3__url_decode(key_marker);
            if (!vl_s3__xml_field(xml, n, "NextUploadIdMarker", &u0, id_marker)) vl_buf_clear(id_marker);
        }
    }
    vl_buf_free(&up);
    vl_buf_free(&f);
    return rc;
}
