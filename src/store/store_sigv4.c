/* vidlake - Apache-2.0 */
/*
 * store_sigv4: AWS Signature Version 4 for the S3 store's requests, in the
 * header form (Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders
 * =..., Signature=...). SHA-256 and HMAC come from OpenSSL's libcrypto; the
 * canonicalisation is ours (store_int.h describes it). Tested against AWS's
 * published examples (store_sigv4_test.c).
 */
#include "store_int.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char HEX[] = "0123456789abcdef";

static void hex(const unsigned char *p, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[p[i] >> 4];
        out[2 * i + 1] = HEX[p[i] & 15];
    }
    out[2 * n] = 0;
}

void vl_sha256_hex(const void *p, size_t n, char out[65]) {
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(p, n, md);
    hex(md, sizeof(md), out);
}

void vl_md5_base64(const void *p, size_t n, char out[32]) {
    unsigned char md[16];
    unsigned int len = 0;
    EVP_Digest(p, n, md, &len, EVP_md5(), NULL);
    EVP_EncodeBlock((unsigned char *)out, md, 16); /* 24 characters and a NUL */
}

static void hmac(const void *key, size_t kn, const void *msg, size_t n, unsigned char out[32]) {
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)kn, msg, n, out, &len);
}

void vl_amz_date(int64_t secs, char out[17]) {
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
}

int vl_uri_encode(const char *s, size_t n, bool keep_slash, vl_buf *out) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c) || (keep_slash && c == '/')) {
            VL_RETURN_IF_ERR(vl_buf_putc(out, (char)c));
        } else {
            char e[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
            VL_RETURN_IF_ERR(vl_buf_append(out, e, 3));
        }
    }
    return VL_OK;
}

/* Decodes %XX in s[0..n) into out (for re-encoding a query canonically). */
static int uri_decode(const char *s, size_t n, vl_buf *out) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            char *end;
            long v = strtol(h, &end, 16);
            if (*end == 0) {
                VL_RETURN_IF_ERR(vl_buf_putc(out, (char)v));
                i += 2;
                continue;
            }
        }
        VL_RETURN_IF_ERR(vl_buf_putc(out, s[i]));
    }
    return VL_OK;
}

typedef struct qparam {
    char *name, *value; /* encoded */
} qparam;

static int qcmp(const void *a, const void *b) {
    const qparam *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

/* The canonical query string of q into out. */
static int canonical_query(const char *q, vl_buf *out) {
    if (!q || !*q) return VL_OK;
    size_t cap = 1;
    for (const char *p = q; *p; p++) cap += *p == '&';
    qparam *ps = vl_calloc(cap, sizeof(qparam));
    if (!ps) return VL_ENOMEM;
    size_t n = 0;
    int rc = VL_OK;
    vl_buf raw, enc;
    vl_buf_init(&raw);
    vl_buf_init(&enc);
    for (const char *p = q; rc == VL_OK && *p;) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *ne = eq ? eq : end;
        if (end > p) {
            for (int part = 0; part < 2 && rc == VL_OK; part++) {
                const char *a = part ? (eq ? eq + 1 : end) : p, *b = part ? end : ne;
                vl_buf_clear(&raw);
                vl_buf_clear(&enc);
                rc = uri_decode(a, (size_t)(b - a), &raw);
                if (rc == VL_OK) rc = vl_uri_encode((const char *)raw.p, raw.n, false, &enc);
                char *d = rc == VL_OK ? vl_malloc(enc.n + 1) : NULL;
                if (rc == VL_OK && !d) rc = VL_ENOMEM;
                if (d) {
                    memcpy(d, enc.p, enc.n);
                    d[enc.n] = 0;
                    if (part) ps[n].value = d;
                    else ps[n].name = d;
                }
            }
            if (rc == VL_OK) n++;
        }
        p = amp ? amp + 1 : end;
    }
    if (rc == VL_OK) {
        qsort(ps, n, sizeof(qparam), qcmp);
        for (size_t i = 0; i < n && rc == VL_OK; i++)
            rc = vl_buf_printf(out, "%s%s=%s", i ? "&" : "", ps[i].name, ps[i].value);
    }
    for (size_t i = 0; i < cap; i++) {
        vl_free(ps[i].name);
        vl_free(ps[i].value);
    }
    vl_free(ps);
    vl_buf_free(&raw);
    vl_buf_free(&enc);
    return rc;
}

typedef struct hdr {
    char *name;        /* lower-cased */
    const char *value; /* as given */
} hdr;

static int hcmp(const void *a, const void *b) { return strcmp(((const hdr *)a)->name, ((const hdr *)b)->name); }

/* A header value trimmed, inner runs of spaces collapsed to one. */
static int put_value(const char *v, vl_buf *out) {
    while (*v == ' ' || *v == '\t') v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        char c = v[i] == '\t' ? ' ' : v[i];
        if (c == ' ') {
            if (space) continue;
            space = true;
        } else {
            space = false;
        }
        VL_RETURN_IF_ERR(vl_buf_putc(out, c));
    }
    return VL_OK;
}

int vl_sigv4_authorization(const vl_sigv4_req *r, vl_buf *out, vl_buf *canonical, vl_error *err) {
    if (!r->method || !r->path || !r->payload_hash || !r->region || !r->service || !r->amz_date ||
        strlen(r->amz_date) != 16 || !r->access_key || !r->secret_key)
        return vl_error_set(err, VL_EINVAL, "SigV4: a request field is missing");
    vl_buf cr, signed_names, sts;
    vl_buf_init(&cr);
    vl_buf_init(&signed_names);
    vl_buf_init(&sts);
    hdr *hs = vl_calloc(r->n_headers + 1, sizeof(hdr));
    int rc = hs ? VL_OK : VL_ENOMEM;
    for (size_t i = 0; rc == VL_OK && i < r->n_headers; i++) {
        size_t n = strlen(r->headers[i].name);
        if (!(hs[i].name = vl_malloc(n + 1))) {
            rc = VL_ENOMEM;
            break;
        }
        for (size_t k = 0; k <= n; k++) {
            char c = r->headers[i].name[k];
            hs[i].name[k] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        hs[i].value = r->headers[i].value;
    }
    if (rc == VL_OK) qsort(hs, r->n_headers, sizeof(hdr), hcmp);
    /* the canonical request */
    if (rc == VL_OK) rc = vl_buf_printf(&cr, "%s\n", r->method);
    if (rc == VL_OK) rc = vl_uri_encode(r->path, strlen(r->path), true, &cr);
    if (rc == VL_OK) rc = vl_buf_putc(&cr, '\n');
    if (rc == VL_OK) rc = canonical_query(r->query, &cr);
    if (rc == VL_OK) rc = vl_buf_putc(&cr, '\n');
    for (size_t i = 0; rc == VL_OK && i < r->n_headers; i++) {
        rc = vl_buf_printf(&cr, "%s:", hs[i].name);
        if (rc == VL_OK) rc = put_value(hs[i].value, &cr);
        if (rc == VL_OK) rc = vl_buf_putc(&cr, '\n');
        if (rc == VL_OK) rc = vl_buf_printf(&signed_names, "%s%s", i ? ";" : "", hs[i].name);
    }
    if (rc == VL_OK)
        rc = vl_buf_printf(&cr, "\n%s\n%s", vl_buf_cstr(&signed_names), r->payload_hash);
    /* the string to sign and the signature */
    char date[9], crh[65], sig[65];
    memcpy(date, r->amz_date, 8);
    date[8] = 0;
    if (rc == VL_OK) {
        vl_sha256_hex(cr.p, cr.n, crh);
        rc = vl_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", r->amz_date, date, r->region,
                           r->service, crh);
    }
    if (rc == VL_OK) {
        unsigned char k[32], k2[32];
        size_t sn = strlen(r->secret_key);
        char *ks = vl_malloc(sn + 5);
        if (!ks) {
            rc = VL_ENOMEM;
        } else {
            memcpy(ks, "AWS4", 4);
            memcpy(ks + 4, r->secret_key, sn + 1);
            hmac(ks, sn + 4, date, 8, k);
            hmac(k, 32, r->region, strlen(r->region), k2);
            hmac(k2, 32, r->service, strlen(r->service), k);
            hmac(k, 32, "aws4_request", 12, k2);
            hmac(k2, 32, sts.p, sts.n, k);
            hex(k, 32, sig);
            memset(ks, 0, sn + 4);
            vl_free(ks);
        }
    }
    if (rc == VL_OK) {
        vl_buf_clear(out);
        rc = vl_buf_printf(out, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                           r->access_key, date, r->region, r->service, vl_buf_cstr(&signed_names), sig);
    }
    if (rc == VL_OK && canonical) {
        vl_buf_clear(canonical);
        rc = vl_buf_append(canonical, cr.p, cr.n);
    }
    for (size_t i = 0; hs && i < r->n_headers; i++) vl_free(hs[i].name);
    vl_free(hs);
    vl_buf_free(&cr);
    vl_buf_free(&signed_names);
    vl_buf_free(&sts);
    return rc ? vl_error_set(err, rc, "out of memory") : VL_OK;
}
