/* vidlake - Apache-2.0 */
/*
 * store_s3: the object store on S3's REST API (AWS S3, MinIO, Ceph RGW,
 * R2), over libcurl, signed with our SigV4 (store_sigv4.c).
 *
 * Addressing: s3://bucket/prefix. With a custom endpoint
 * (AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL) requests are path-style
 * (http://host:port/bucket/key); on AWS virtual-hosted
 * (https://bucket.s3.REGION.amazonaws.com/key). Region from AWS_REGION,
 * else AWS_DEFAULT_REGION, else us-east-1. Credentials from
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the
 * profile AWS_PROFILE (default "default") of ~/.aws/credentials.
 *
 * Requests: a pool of curl handles (connections are reused), TLS verified.
 * Idempotent requests are retried on 5xx, 429, timeouts and connection
 * errors, with exponential backoff and jitter (5 attempts). A conditional
 * PUT (If-None-Match: *, a Delta commit) is retried too; a 412 may be its
 * own earlier success (after our retry, or libcurl's silent resend on a
 * reused connection), so the object is read back and compared before
 * calling it a conflict. Errors carry S3's code, message and
 * request id.
 */
#include "store_int.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POOL_MAX 16
#define ATTEMPTS 5
#define ATTEMPTS_STR "5" /* ATTEMPTS, for messages */
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct s3 {
    vl_store base;
    char *bucket, *prefix; /* prefix: "" or "a/b/" */
    char *endpoint;        /* scheme://host[:port], no trailing '/' */
    char *host;            /* the Host header */
    bool path_style;
    char *region, *key_id, *secret, *token;
    long timeout_ms, connect_timeout_ms;
    bool unsigned_payload; /* sign "UNSIGNED-PAYLOAD" instead of hashing bodies */
    char *ca_bundle;       /* AWS_CA_BUNDLE, or NULL for the system's */
    size_t part_bytes;     /* multipart: a part's size; puts above mp_threshold */
    size_t mp_threshold;
    int upload_threads;    /* parts uploaded at once */
    pthread_mutex_t mu;
    CURL *pool[POOL_MAX];
    int n_pool;
} s3;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static char *dupstr(const char *s) {
    size_t n = strlen(s);
    char *d = vl_malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

/* ------------------------------------------------------------ credentials */

/* The profile's key from ~/.aws/credentials, or NULL. */
static char *profile_value(const char *profile, const char *name) {
    const char *home = getenv("HOME");
    const char *file = getenv("AWS_SHARED_CREDENTIALS_FILE");
    char path[512];
    if (!file) {
        if (!home) return NULL;
        snprintf(path, sizeof(path), "%s/.aws/credentials", home);
        file = path;
    }
    FILE *f = fopen(file, "r");
    if (!f) return NULL;
    char line[1024], *found = NULL;
    bool in = false;
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strcspn(p, "\r\n");
        p[n] = 0;
        if (*p == '[') {
            char *e = strchr(p, ']');
            if (e) *e = 0;
            in = strcmp(p + 1, profile) == 0;
            continue;
        }
        if (!in) continue;
        char *eq = strchr(p, '=');
        if (!eq) continue;
        char *k = p, *ke = eq;
        while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t')) ke--;
        *ke = 0;
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t') v++;
        size_t vn = strlen(v);
        while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t')) v[--vn] = 0;
        if (strcmp(k, name) == 0) {
            found = dupstr(v);
            break;
        }
    }
    fclose(f);
    return found;
}

static const char *env(const char *a, const char *b) {
    const char *v = getenv(a);
    if ((!v || !*v) && b) v = getenv(b);
    return v && *v ? v : NULL;
}

/* A numeric setting from the environment: def when unset or empty, the
 * value clamped to [lo, hi] otherwise. */
static long env_long(const char *name, long def, long lo, long hi) {
    const char *v = getenv(name);
    if (!v || !*v) return def;
    long x = strtol(v, NULL, 10);
    return x < lo ? lo : x > hi ? hi : x;
}

/* ----------------------------------------------------------- the requests */

typedef struct resp {
    long status;
    vl_buf body;
    char etag[128], last_modified[64], request_id[128];
    uint64_t content_length;
    bool has_length;
    int attempts; /* how many run() made */
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ctx) {
    resp *r = ctx;
    return vl_buf_append(&r->body, p, sz * n) == VL_OK ? sz * n : 0;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap) {
    size_t k = strlen(name);
    if (n <= k + 1 || strncasecmp(line, name, k) != 0 || line[k] != ':') return;
    const char *v = line + k + 1;
    size_t vn = n - k - 1;
    while (vn && (*v == ' ' || *v == '\t')) v++, vn--;
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' ')) vn--;
    if (vn >= cap) vn = cap - 1;
    memcpy(out, v, vn);
    out[vn] = 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ctx) {
    resp *r = ctx;
    size_t len = sz * n;
    header_value(p, len, "ETag", r->etag, sizeof(r->etag));
    header_value(p, len, "Last-Modified", r->last_modified, sizeof(r->last_modified));
    header_value(p, len, "x-amz-request-id", r->request_id, sizeof(r->request_id));
    char cl[32] = "";
    header_value(p, len, "Content-Length", cl, sizeof(cl));
    if (cl[0]) {
        r->content_length = strtoull(cl, NULL, 10);
        r->has_length = true;
    }
    return len;
}

static CURL *take(s3 *s) {
    pthread_mutex_lock(&s->mu);
    CURL *c = s->n_pool ? s->pool[--s->n_pool] : NULL;
    pthread_mutex_unlock(&s->mu);
    return c ? c : curl_easy_init();
}

static void give(s3 *s, CURL *c) {
    pthread_mutex_lock(&s->mu);
    if (s->n_pool < POOL_MAX) {
        s->pool[s->n_pool++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (c) curl_easy_cleanup(c);
}

/* Appends c, XML-escaped. */
static int xml_putc(vl_buf *b, char c) {
    switch (c) {
    case '&': return vl_buf_printf(b, "&amp;");
    case '<': return vl_buf_printf(b, "&lt;");
    case '>': return vl_buf_printf(b, "&gt;");
    case '"': return vl_buf_printf(b, "&quot;");
    case '\'': return vl_buf_printf(b, "&apos;");
    default: return vl_buf_putc(b, c);
    }
}

/* A 404 for the bucket rather than the key. */
static bool no_bucket(const resp *r) {
    return r->body.n && memmem(r->body.p, r->body.n, "<Code>NoSuchBucket</Code>", 25) != NULL;
}

/* An error from an S3 answer: its code, message and request id. */
static int s3_error(const char *what, const char *key, const resp *r, int code, vl_error *err) {
    vl_s3__fault f;
    vl_s3__fault_init(&f);
    vl_s3__parse_error(r->body.p, r->body.n, &f);
    bool hc = f.has_code, hm = f.has_message;
    vl_error_set(err, code, "store: s3 %s %s: HTTP %ld%s%s%s%s (request id %s)%s", what, key, r->status,
                 hc ? " " : "", hc ? vl_buf_cstr(&f.code) : "", hm ? ": " : "", hm ? vl_buf_cstr(&f.message) : "",
                 r->request_id[0] ? r->request_id : "none", r->attempts >= ATTEMPTS ? ", after " ATTEMPTS_STR " attempts" : "");
    vl_s3__fault_free(&f);
    return code;
}

typedef struct req {
    const char *method;
    const char *key;   /* object key under the prefix, or NULL for the bucket */
    const char *query; /* encoded, or NULL */
    const void *body;
    size_t body_n;
    const char *range; /* "bytes=a-b" or NULL */
    const char *content_type; /* PUT/POST: NULL for application/octet-stream */
    const char *content_md5;  /* base64, or NULL */
    bool if_none_match;
} req;

/* One attempt: 0 with r filled, or a curl error code. */
static int attempt(s3 *s, const req *q, resp *r, vl_error *err) {
    CURL *c = take(s);
    if (!c) return vl_error_set(err, VL_ENOMEM, "store: s3: cannot create a curl handle");
    vl_buf url, path, auth, full_key;
    vl_buf_init(&url);
    vl_buf_init(&path);
    vl_buf_init(&auth);
    vl_buf_init(&full_key);
    int rc = VL_OK;
    if (q->key && vl_buf_printf(&full_key, "%s%s", s->prefix, q->key) != VL_OK) rc = VL_ENOMEM;
    /* the path: /bucket/key (path style) or /key */
    if (rc == VL_OK && s->path_style && vl_buf_printf(&path, "/%s", s->bucket) != VL_OK) rc = VL_ENOMEM;
    if (rc == VL_OK && (vl_buf_putc(&path, '/') != VL_OK ||
                        (q->key && vl_buf_append(&path, full_key.p, full_key.n) != VL_OK)))
        rc = VL_ENOMEM;
    if (rc == VL_OK && (vl_buf_append(&url, s->endpoint, strlen(s->endpoint)) != VL_OK ||
                        vl_uri_encode((const char *)path.p, path.n, true, &url) != VL_OK ||
                        (q->query && vl_buf_printf(&url, "?%s", q->query) != VL_OK)))
        rc = VL_ENOMEM;
    char amz_date[17], body_sha[65];
    vl_amz_date(time(NULL), amz_date);
    if (s->unsigned_payload) memcpy(body_sha, "UNSIGNED-PAYLOAD", 17);
    else if (q->body_n) vl_sha256_hex(q->body, q->body_n, body_sha);
    else memcpy(body_sha, EMPTY_SHA, 65);
    vl_sigv4_header hs[8];
    size_t nh = 0;
    hs[nh++] = (vl_sigv4_header){"host", s->host};
    hs[nh++] = (vl_sigv4_header){"x-amz-content-sha256", body_sha};
    hs[nh++] = (vl_sigv4_header){"x-amz-date", amz_date};
    if (q->range) hs[nh++] = (vl_sigv4_header){"range", q->range};
    if (q->if_none_match) hs[nh++] = (vl_sigv4_header){"if-none-match", "*"};
    if (q->content_md5) hs[nh++] = (vl_sigv4_header){"content-md5", q->content_md5};
    if (s->token) hs[nh++] = (vl_sigv4_header){"x-amz-security-token", s->token};
    vl_sigv4_req sr = {.method = q->method, .path = vl_buf_cstr(&path), .query = q->query, .headers = hs,
                       .n_headers = nh, .payload_hash = body_sha, .region = s->region, .service = "s3",
                       .amz_date = amz_date, .access_key = s->key_id, .secret_key = s->secret};
    if (rc == VL_OK) rc = vl_sigv4_authorization(&sr, &auth, NULL, err);
    struct curl_slist *hl = NULL;
    char line[1024];
    for (size_t i = 0; rc == VL_OK && i < nh; i++) {
        if (strcmp(hs[i].name, "host") == 0) continue; /* curl sends it from the URL */
        snprintf(line, sizeof(line), "%s: %s", hs[i].name, hs[i].value);
        hl = curl_slist_append(hl, line);
    }
    snprintf(line, sizeof(line), "Authorization: %s", vl_buf_cstr(&auth));
    hl = curl_slist_append(hl, line);
    hl = curl_slist_append(hl, "Expect:");
    if (strcmp(q->method, "PUT") == 0 || strcmp(q->method, "POST") == 0) {
        snprintf(line, sizeof(line), "Content-Type: %s", q->content_type ? q->content_type : "application/octet-stream");
        hl = curl_slist_append(hl, line);
    }
    if (rc == VL_OK) {
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, vl_buf_cstr(&url));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, s->timeout_ms);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        if (s->ca_bundle) curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_bundle);
        if (strcmp(q->method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
        else if (strcmp(q->method, "PUT") == 0 || strcmp(q->method, "POST") == 0) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body_n ? q->body : "");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_n);
        } else if (strcmp(q->method, "GET") != 0) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
        }
        CURLcode cc = curl_easy_perform(c);
        if (cc != CURLE_OK) {
            rc = vl_error_set(err, VL_EIO, "store: s3 %s %s%s%s: %s (endpoint %s)", q->method,
                              q->key ? q->key : "bucket ", q->key ? "" : s->bucket,
                              q->query && !q->key ? (strncmp(q->query, "encoding-type", 13) == 0 ? " (list)" : " (batch)") : "",
                              curl_easy_strerror(cc), s->endpoint);
        } else {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        }
    }
    curl_slist_free_all(hl);
    give(s, c);
    vl_buf_free(&url);
    vl_buf_free(&path);
    vl_buf_free(&auth);
    vl_buf_free(&full_key);
    if (rc == VL_ENOMEM) return vl_error_set(err, VL_ENOMEM, "out of memory");
    return rc;
}

static bool retryable(long status) { return status >= 500 || status == 429 || status == 408; }

/* Runs q, retrying transport errors and retryable statuses with backoff. */
static int run(s3 *s, const req *q, resp *r, vl_error *err) {
    int64_t delay_ms = 50;
    for (int i = 0;; i++) {
        vl_buf_clear(&r->body);
        r->status = 0;
        r->etag[0] = r->last_modified[0] = r->request_id[0] = 0;
        r->has_length = false;
        int rc = attempt(s, q, r, err);
        r->attempts = i + 1;
        bool again = (rc == VL_EIO) || (rc == VL_OK && retryable(r->status));
        if (again && i + 1 >= ATTEMPTS && rc == VL_EIO && err) {
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof(err->msg) - n, ", after %d attempts", ATTEMPTS);
        }
        if (!again || i + 1 >= ATTEMPTS) return rc;
        int64_t jitter = (int64_t)(vl_mix64((uint64_t)vl_mono_us()) % (uint64_t)(delay_ms + 1));
        usleep((useconds_t)((delay_ms + jitter) * 1000));
        if (delay_ms < 2000) delay_ms *= 2;
    }
}

static void resp_free(resp *r) { vl_buf_free(&r->body); }

/* ------------------------------------------------------------- operations */

static int s3_get_range(vl_store *st, const char *key, uint64_t off, uint64_t len, vl_buf *out, vl_error *err) {
    s3 *s = (s3 *)st;
    char range[64];
    bool whole = off == 0 && len == UINT64_MAX;
    if (len == UINT64_MAX) snprintf(range, sizeof(range), "bytes=%llu-", (unsigned long long)off);
    else if (len == 0) return VL_OK;
    else snprintf(range, sizeof(range), "bytes=%llu-%llu", (unsigned long long)off, (unsigned long long)(off + len - 1));
    req q = {.method = "GET", .key = key, .range = whole ? NULL : range};
    resp r = {0};
    vl_buf_init(&r.body);
    int rc = run(s, &q, &r, err);
    if (rc == VL_OK) {
        if (r.status == 200 || r.status == 206) {
            vl_buf_clear(out);
            rc = vl_buf_append(out, r.body.p, r.body.n) == VL_OK ? VL_OK : vl_error_set(err, VL_ENOMEM, "out of memory");
        } else if (r.status == 404) {
            rc = s3_error("GET", key, &r, no_bucket(&r) ? VL_EIO : VL_ENOTFOUND, err);
        } else if (r.status == 416) {
            /* past the end: nothing when off is the size, else out of range */
            vl_store_obj o;
            rc = st->ops->head(st, key, &o, err);
            if (rc == VL_OK) rc = off == o.size ? VL_OK : vl_error_set(err, VL_ERANGE, "store: s3 GET %s: offset %llu is past the end (%llu bytes)", key, (unsigned long long)off, (unsigned long long)o.size);
        } else {
            rc = s3_error("GET", key, &r, VL_EIO, err);
        }
    }
    resp_free(&r);
    return rc;
}

/* ------------------------------------------------------ multipart upload */

/* A large put as a multipart upload: initiate, the parts in parallel
 * (each an idempotent PUT, retried by run()), complete; any failure aborts
 * the upload so that no parts linger. Readers see nothing until the
 * complete succeeds, then the whole object: as atomic as a single PUT. */
typedef struct mpu {
    s3 *s;
    const char *key;
    const uint8_t *p;
    size_t n, part, n_parts;
    vl_buf upload_id; /* URI-encoded */
    char (*etags)[128];
    pthread_mutex_t mu;
    size_t next;
    int rc;
    vl_error err;
} mpu;

static void *mpu_worker(void *arg) {
    mpu *m = arg;
    resp r = {0};
    vl_buf_init(&r.body);
    vl_buf query;
    vl_buf_init(&query);
    for (;;) {
        pthread_mutex_lock(&m->mu);
        size_t i = m->rc == VL_OK && m->next < m->n_parts ? m->next++ : SIZE_MAX;
        pthread_mutex_unlock(&m->mu);
        if (i == SIZE_MAX) break;
        size_t off = i * m->part, len = m->n - off < m->part ? m->n - off : m->part;
        vl_error e = {0};
        vl_buf_clear(&query);
        int rc = vl_buf_printf(&query, "partNumber=%zu&uploadId=%s", i + 1, vl_buf_cstr(&m->upload_id)) == VL_OK
                     ? VL_OK
                     : vl_error_set(&e, VL_ENOMEM, "out of memory");
        req q = {.method = "PUT", .key = m->key, .query = vl_buf_cstr(&query), .body = m->p + off, .body_n = len};
        if (rc == VL_OK) rc = run(m->s, &q, &r, &e);
        if (rc == VL_OK && r.status == 200 && r.etag[0]) memcpy(m->etags[i], r.etag, sizeof(r.etag));
        else if (rc == VL_OK) {
            char what[64];
            snprintf(what, sizeof(what), "PUT (part %zu of %zu)", i + 1, m->n_parts);
            rc = s3_error(what, m->key, &r, VL_EIO, &e);
        }
        if (rc != VL_OK) {
            pthread_mutex_lock(&m->mu);
            if (m->rc == VL_OK) m->rc = rc, m->err = e;
            pthread_mutex_unlock(&m->mu);
            break;
        }
    }
    vl_buf_free(&query);
    resp_free(&r);
    return NULL;
}

/* The body of an S3 answer that is an <Error> although its status is 200
 * (CompleteMultipartUpload reports late failures that way). */
static bool error_body(const resp *r) {
    return r->body.n && memmem(r->body.p, r->body.n, "<Error>", 7) != NULL;
}

static int s3_multipart(s3 *s, const char *key, const void *p, size_t n, vl_error *err) {
    mpu m = {.s = s, .key = key, .p = p, .n = n, .part = s->part_bytes};
    m.n_parts = (n + m.part - 1) / m.part;
    vl_buf_init(&m.upload_id);
    pthread_mutex_init(&m.mu, NULL);
    resp r = {0};
    vl_buf_init(&r.body);
    vl_buf id, body, query;
    vl_buf_init(&id);
    vl_buf_init(&body);
    vl_buf_init(&query);
    int rc = VL_OK;
    /* initiate */
    req q = {.method = "POST", .key = key, .query = "uploads"};
    rc = run(s, &q, &r, err);
    if (rc == VL_OK && (r.status != 200 || !vl_s3__parse_upload_id(r.body.p, r.body.n, &id)))
        rc = s3_error("POST (initiate multipart upload)", key, &r, VL_EIO, err);
    if (rc == VL_OK && vl_uri_encode((const char *)id.p, id.n, false, &m.upload_id) != VL_OK)
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    if (rc == VL_OK && !(m.etags = vl_calloc(m.n_parts, sizeof(*m.etags)))) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    /* the parts */
    if (rc == VL_OK) {
        pthread_t th[32];
        int nt = s->upload_threads < 32 ? s->upload_threads : 32, started = 0;
        if ((size_t)nt > m.n_parts) nt = (int)m.n_parts;
        for (int i = 1; i < nt; i++)
            if (pthread_create(&th[started], NULL, mpu_worker, &m) == 0) started++;
        mpu_worker(&m);
        for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
        if (m.rc != VL_OK) {
            rc = m.rc;
            if (err) *err = m.err;
        }
    }
    /* complete */
    if (rc == VL_OK) {
        rc = vl_buf_printf(&body, "<CompleteMultipartUpload>");
        for (size_t i = 0; rc == VL_OK && i < m.n_parts; i++)
            rc = vl_buf_printf(&body, "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag></Part>", i + 1, m.etags[i]);
        if (rc == VL_OK) rc = vl_buf_printf(&body, "</CompleteMultipartUpload>");
        if (rc == VL_OK) rc = vl_buf_printf(&query, "uploadId=%s", vl_buf_cstr(&m.upload_id));
        if (rc) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    if (rc == VL_OK) {
        req c = {.method = "POST", .key = key, .query = vl_buf_cstr(&query), .body = body.p, .body_n = body.n,
                 .content_type = "application/xml"};
        rc = run(s, &c, &r, err);
        if (rc == VL_OK && r.status == 404) {
            /* an earlier attempt (ours, or libcurl's silent resend)
             * completed it and the upload is gone: the object must be
             * there, with our size */
            vl_store_obj o;
            if (s->base.ops->head(&s->base, key, &o, err) != VL_OK || o.size != n)
                rc = s3_error("POST (complete multipart upload)", key, &r, VL_EIO, err);
        } else if (rc == VL_OK && (r.status != 200 || error_body(&r))) {
            rc = s3_error("POST (complete multipart upload)", key, &r, VL_EIO, err);
        }
    }
    /* abort on failure, so that no parts linger (best effort) */
    if (rc != VL_OK && m.upload_id.n) {
        vl_buf_clear(&query);
        if (vl_buf_printf(&query, "uploadId=%s", vl_buf_cstr(&m.upload_id)) == VL_OK) {
            req a = {.method = "DELETE", .key = key, .query = vl_buf_cstr(&query)};
            vl_error ignored;
            (void)run(s, &a, &r, &ignored);
        }
    }
    pthread_mutex_destroy(&m.mu);
    vl_free(m.etags);
    vl_buf_free(&m.upload_id);
    vl_buf_free(&id);
    vl_buf_free(&body);
    vl_buf_free(&query);
    resp_free(&r);
    return rc;
}

/* --------------------------------------------------------- batch delete */

static int s3_del_many(vl_store *st, const char *const *keys, size_t n, vl_error *err) {
    s3 *s = (s3 *)st;
    vl_buf body;
    vl_buf_init(&body);
    int rc = vl_buf_printf(&body, "<Delete><Quiet>true</Quiet>");
    for (size_t i = 0; rc == VL_OK && i < n; i++) {
        rc = vl_buf_printf(&body, "<Object><Key>");
        for (const char *k = s->prefix; rc == VL_OK && *k; k++) rc = xml_putc(&body, *k);
        for (const char *k = keys[i]; rc == VL_OK && *k; k++) rc = xml_putc(&body, *k);
        if (rc == VL_OK) rc = vl_buf_printf(&body, "</Key></Object>");
    }
    if (rc == VL_OK) rc = vl_buf_printf(&body, "</Delete>");
    if (rc) {
        vl_buf_free(&body);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    char md5[32];
    vl_md5_base64(body.p, body.n, md5);
    req q = {.method = "POST", .query = "delete", .body = body.p, .body_n = body.n, .content_type = "application/xml",
             .content_md5 = md5};
    resp r = {0};
    vl_buf_init(&r.body);
    rc = run(s, &q, &r, err);
    if (rc == VL_OK && r.status != 200) rc = s3_error("POST (delete objects)", keys[0], &r, VL_EIO, err);
    vl_s3__fault f;
    vl_s3__fault_init(&f);
    bool failed = false;
    if (rc == VL_OK && vl_s3__parse_delete_errors(r.body.p, r.body.n, &f, &failed) != VL_OK)
        rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    if (rc == VL_OK && failed) {
        const char *key = f.has_key ? vl_buf_cstr(&f.key) : "?";
        if (f.has_key && f.key.n >= strlen(s->prefix)) key += strlen(s->prefix);
        rc = vl_error_set(err, VL_EIO, "store: s3 DELETE %s (batch of %zu): %s%s%s (request id %s)", key, n,
                          vl_buf_cstr(&f.code), f.has_message ? ": " : "", f.has_message ? vl_buf_cstr(&f.message) : "",
                          r.request_id[0] ? r.request_id : "none");
    }
    vl_s3__fault_free(&f);
    vl_buf_free(&body);
    resp_free(&r);
    return rc;
}

static int s3_put(vl_store *st, const char *key, const void *p, size_t n, bool if_absent, vl_error *err) {
    s3 *s = (s3 *)st;
    if (!if_absent && n > s->mp_threshold) return s3_multipart(s, key, p, n, err);
    req q = {.method = "PUT", .key = key, .body = p, .body_n = n, .if_none_match = if_absent};
    resp r = {0};
    vl_buf_init(&r.body);
    int rc = run(s, &q, &r, err);
    if (rc == VL_OK && r.status != 200) {
        if (if_absent && (r.status == 412 || r.status == 409)) {
            /* maybe our own earlier attempt won: after our retry, or after
             * libcurl's own silent resend on a reused connection that died
             * once the server had the request. Compare what is there (a
             * commit holds its writer's unique commitInfo). */
            rc = VL_ECONFLICT;
            {
                vl_buf have;
                vl_buf_init(&have);
                if (s3_get_range(st, key, 0, UINT64_MAX, &have, err) == VL_OK && have.n == n &&
                    (n == 0 || memcmp(have.p, p, n) == 0))
                    rc = VL_OK;
                vl_buf_free(&have);
            }
            if (rc == VL_ECONFLICT) vl_error_set(err, VL_ECONFLICT, "store: s3 PUT %s: the key exists", key);
        } else {
            rc = s3_error("PUT", key, &r, VL_EIO, err);
        }
    }
    resp_free(&r);
    return rc;
}

static int s3_del(vl_store *st, const char *key, vl_error *err) {
    s3 *s = (s3 *)st;
    req q = {.method = "DELETE", .key = key};
    resp r = {0};
    vl_buf_init(&r.body);
    int rc = run(s, &q, &r, err);
    if (rc == VL_OK && r.status != 204 && r.status != 200 && r.status != 404) rc = s3_error("DELETE", key, &r, VL_EIO, err);
    resp_free(&r);
    return rc;
}

static int64_t http_date_us(const char *v) {
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!strptime(v, "%a, %d %b %Y %H:%M:%S", &tm)) return 0;
    return (int64_t)timegm(&tm) * 1000000;
}

static int s3_head(vl_store *st, const char *key, vl_store_obj *out, vl_error *err) {
    s3 *s = (s3 *)st;
    req q = {.method = "HEAD", .key = key};
    resp r = {0};
    vl_buf_init(&r.body);
    int rc = run(s, &q, &r, err);
    if (rc == VL_OK) {
        if (r.status == 200) {
            memset(out, 0, sizeof(*out));
            out->size = r.content_length;
            out->mtime_us = http_date_us(r.last_modified);
        } else if (r.status == 404) {
            rc = vl_error_set(err, VL_ENOTFOUND, "store: s3 HEAD %s: no such key", key);
        } else {
            rc = s3_error("HEAD", key, &r, VL_EIO, err);
        }
    }
    resp_free(&r);
    return rc;
}

static int s3_list(vl_store *st, const char *prefix, const char *start_after, vl_store_list_cb cb, void *ctx,
                   vl_error *err) {
    s3 *s = (s3 *)st;
    vl_buf query, token, prev;
    vl_buf_init(&query);
    vl_buf_init(&token);
    vl_buf_init(&prev);
    resp r = {0};
    vl_buf_init(&r.body);
    size_t pl = strlen(s->prefix);
    int rc = VL_OK;
    for (bool more = true; more && rc == VL_OK;) {
        vl_buf_clear(&query);
        vl_buf full;
        vl_buf_init(&full);
        rc = vl_buf_printf(&full, "%s%s", s->prefix, prefix);
        /* keys come back URL-encoded: XML 1.0 cannot carry every byte a
         * key may hold, and gateways differ in how they escape the rest */
        if (rc == VL_OK) rc = vl_buf_printf(&query, "encoding-type=url&list-type=2&prefix=");
        if (rc == VL_OK) rc = vl_uri_encode((const char *)full.p, full.n, false, &query);
        if (rc == VL_OK && token.n) {
            rc = vl_buf_printf(&query, "&continuation-token=");
            if (rc == VL_OK) rc = vl_uri_encode((const char *)token.p, token.n, false, &query);
        } else if (rc == VL_OK && start_after) {
            vl_buf_clear(&full);
            rc = vl_buf_printf(&full, "%s%s", s->prefix, start_after);
            if (rc == VL_OK) rc = vl_buf_printf(&query, "&start-after=");
            if (rc == VL_OK) rc = vl_uri_encode((const char *)full.p, full.n, false, &query);
        }
        vl_buf_free(&full);
        if (rc) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            break;
        }
        req q = {.method = "GET", .query = vl_buf_cstr(&query)};
        rc = run(s, &q, &r, err);
        if (rc) break;
        if (r.status != 200) {
            /* a missing bucket is an error, not an empty lake: it is a
             * typo or a bucket nobody created, and writes would fail */
            rc = s3_error("LIST", prefix, &r, VL_EIO, err);
            break;
        }
        vl_buf_clear(&prev);
        if (vl_buf_append(&prev, token.p, token.n) != VL_OK) {
            rc = vl_error_set(err, VL_ENOMEM, "out of memory");
            break;
        }
        rc = vl_s3__parse_list(r.body.p, r.body.n, pl, cb, ctx, &token, &more, err);
        if (rc == VL_STORE_STOP) {
            rc = VL_OK;
            break;
        }
        /* a server that hands back the token it was given would have us
         * ask for the same page forever */
        if (rc == VL_OK && more && prev.n && prev.n == token.n && memcmp(prev.p, token.p, token.n) == 0)
            rc = vl_error_set(err, VL_ECORRUPT, "store: s3 LIST %s: the server repeats the continuation token", prefix);
    }
    resp_free(&r);
    vl_buf_free(&query);
    vl_buf_free(&token);
    vl_buf_free(&prev);
    return rc;
}

/* Sweep: on S3 a put is atomic, so nothing is left half-written; what a
 * writer that died mid multipart upload leaves is the upload, with its
 * parts (billed, invisible to listings). Abort those under the prefix
 * begun before older_than_us. */
typedef struct sweep {
    s3 *s;
    int64_t older_than_us;
    size_t *removed;
    const char *full; /* the store's prefix and the sweep's */
    size_t full_n;
} sweep;

static int sweep_one(void *ctx, const char *key, size_t key_len, const char *id, size_t id_len, int64_t initiated_us,
                     vl_error *err) {
    sweep *w = ctx;
    s3 *s = w->s;
    /* only under the prefix swept: a server that ignored it must not have
     * us abort another table's upload */
    if (initiated_us >= w->older_than_us || key_len <= strlen(s->prefix) || key_len < w->full_n ||
        memcmp(key, w->full, w->full_n) != 0)
        return VL_OK;
    vl_buf aq;
    vl_buf_init(&aq);
    int rc = vl_buf_printf(&aq, "uploadId=") == VL_OK && vl_uri_encode(id, id_len, false, &aq) == VL_OK ? VL_OK
                                                                                                       : VL_ENOMEM;
    resp ar = {0};
    vl_buf_init(&ar.body);
    req abort_q = {.method = "DELETE", .key = key + strlen(s->prefix), .query = vl_buf_cstr(&aq)};
    if (rc == VL_OK) rc = run(s, &abort_q, &ar, err);
    if (rc == VL_OK && ar.status != 204 && ar.status != 200 && ar.status != 404)
        rc = s3_error("DELETE (abort multipart upload)", abort_q.key, &ar, VL_EIO, err);
    else if (rc == VL_OK && w->removed)
        (*w->removed)++;
    resp_free(&ar);
    vl_buf_free(&aq);
    return rc;
}

static int s3_sweep(vl_store *st, const char *prefix, int64_t older_than_us, size_t *removed, vl_error *err) {
    s3 *s = (s3 *)st;
    vl_buf query, full, km, um, pkm, pum;
    vl_buf_init(&query);
    vl_buf_init(&full);
    vl_buf_init(&km);
    vl_buf_init(&um);
    vl_buf_init(&pkm);
    vl_buf_init(&pum);
    resp r = {0};
    vl_buf_init(&r.body);
    int rc = vl_buf_printf(&full, "%s%s", s->prefix, prefix) == VL_OK ? VL_OK : VL_ENOMEM;
    sweep w = {s, older_than_us, removed, full.p ? full.p : "", full.n};
    for (bool more = true; more && rc == VL_OK;) {
        more = false;
        vl_buf_clear(&query);
        rc = vl_buf_printf(&query, "encoding-type=url");
        if (rc == VL_OK && km.n) {
            rc = vl_buf_printf(&query, "&key-marker=");
            if (rc == VL_OK) rc = vl_uri_encode((const char *)km.p, km.n, false, &query);
        }
        if (rc == VL_OK) rc = vl_buf_printf(&query, "&prefix=");
        if (rc == VL_OK) rc = vl_uri_encode((const char *)full.p, full.n, false, &query);
        if (rc == VL_OK && um.n) {
            rc = vl_buf_printf(&query, "&upload-id-marker=");
            if (rc == VL_OK) rc = vl_uri_encode((const char *)um.p, um.n, false, &query);
        }
        if (rc == VL_OK) rc = vl_buf_printf(&query, "&uploads");
        if (rc) break;
        req q = {.method = "GET", .query = vl_buf_cstr(&query)};
        rc = run(s, &q, &r, err);
        if (rc) break;
        if (r.status == 404) break; /* no bucket: nothing to sweep */
        if (r.status != 200) {
            rc = s3_error("GET (list multipart uploads)", prefix, &r, VL_EIO, err);
            break;
        }
        vl_buf_clear(&pkm);
        vl_buf_clear(&pum);
        if (vl_buf_append(&pkm, km.p, km.n) != VL_OK || vl_buf_append(&pum, um.p, um.n) != VL_OK) {
            rc = VL_ENOMEM;
            break;
        }
        rc = vl_s3__parse_uploads(r.body.p, r.body.n, sweep_one, &w, &km, &um, &more, err);
        /* markers that do not move would have us ask for the same page
         * forever: stop, what is left is swept next time */
        if (more && km.n == pkm.n && um.n == pum.n && memcmp(km.p, pkm.p, km.n) == 0 &&
            (um.n == 0 || memcmp(um.p, pum.p, um.n) == 0))
            more = false;
    }
    if (rc == VL_ENOMEM) vl_error_set(err, VL_ENOMEM, "out of memory");
    resp_free(&r);
    vl_buf_free(&query);
    vl_buf_free(&full);
    vl_buf_free(&km);
    vl_buf_free(&um);
    vl_buf_free(&pkm);
    vl_buf_free(&pum);
    return rc;
}

static void s3_close(vl_store *st) {
    s3 *s = (s3 *)st;
    for (int i = 0; i < s->n_pool; i++) curl_easy_cleanup(s->pool[i]);
    pthread_mutex_destroy(&s->mu);
    vl_free(s->bucket);
    vl_free(s->prefix);
    vl_free(s->endpoint);
    vl_free(s->host);
    vl_free(s->region);
    vl_free(s->key_id);
    if (s->secret) memset(s->secret, 0, strlen(s->secret));
    vl_free(s->secret);
    vl_free(s->token);
    vl_free(s->ca_bundle);
    vl_free(s->base.url);
    vl_free(s);
}

static const vl_store_ops s3_ops = {.name = "s3",
                                    .get_range = s3_get_range,
                                    .put = s3_put,
                                    .del = s3_del,
                                    .del_many = s3_del_many,
                                    .head = s3_head,
                                    .list = s3_list,
                                    .close = s3_close,
                                    .sweep = s3_sweep,
                                    .get_concurrency = 8};

int vl_store__s3_open(const char *url, vl_store **out, vl_error *err) {
    *out = NULL;
    pthread_once(&curl_once, curl_init_once);
    const char *b = strstr(url, "://") + 3;
    const char *slash = strchr(b, '/');
    size_t bn = slash ? (size_t)(slash - b) : strlen(b);
    if (bn == 0 || bn > 63) return vl_error_set(err, VL_EINVAL, "store: %s: no bucket name", url);
    s3 *s = vl_calloc(1, sizeof(*s));
    if (!s) return vl_error_set(err, VL_ENOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    s->base.ops = &s3_ops;
    s->timeout_ms = env_long("VIDLAKE_S3_TIMEOUT_MS", 60000, 1, 3600000);
    s->connect_timeout_ms = env_long("VIDLAKE_S3_CONNECT_TIMEOUT_MS", 10000, 1, 600000);
    s->part_bytes = (size_t)env_long("VIDLAKE_S3_PART_MB", 16, 5, 5120) << 20;
    s->mp_threshold = (size_t)env_long("VIDLAKE_S3_MULTIPART_MB", 32, 5, 5120) << 20;
    s->upload_threads = (int)env_long("VIDLAKE_S3_UPLOAD_THREADS", 4, 1, 32);
    s->bucket = vl_malloc(bn + 1);
    const char *pfx = slash ? slash + 1 : "";
    size_t pn = strlen(pfx);
    while (pn && pfx[pn - 1] == '/') pn--;
    s->prefix = vl_malloc(pn + 2);
    s->base.url = dupstr(url);
    const char *region = env("AWS_REGION", "AWS_DEFAULT_REGION");
    s->region = dupstr(region ? region : "us-east-1");
    /* the endpoint: --s3-endpoint (main puts it in VIDLAKE_S3_ENDPOINT),
     * else the standard variables */
    const char *ep_from = "--s3-endpoint", *ep = env("VIDLAKE_S3_ENDPOINT", NULL);
    if (!ep) ep_from = "AWS_ENDPOINT_URL_S3", ep = env("AWS_ENDPOINT_URL_S3", NULL);
    if (!ep) ep_from = "AWS_ENDPOINT_URL", ep = env("AWS_ENDPOINT_URL", NULL);
    const char *profile = env("AWS_PROFILE", NULL);
    if (!profile) profile = "default";
    const char *kid = env("AWS_ACCESS_KEY_ID", NULL), *sec = env("AWS_SECRET_ACCESS_KEY", NULL);
    const char *tok = env("AWS_SESSION_TOKEN", NULL);
    const char *ca = env("AWS_CA_BUNDLE", NULL);
    if (ca && !(s->ca_bundle = dupstr(ca))) {
        s3_close(&s->base);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    s->key_id = kid ? dupstr(kid) : profile_value(profile, "aws_access_key_id");
    s->secret = sec ? dupstr(sec) : profile_value(profile, "aws_secret_access_key");
    s->token = tok ? dupstr(tok) : (kid ? NULL : profile_value(profile, "aws_session_token"));
    if (!s->bucket || !s->prefix || !s->base.url || !s->region) {
        s3_close(&s->base);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    memcpy(s->bucket, b, bn);
    s->bucket[bn] = 0;
    memcpy(s->prefix, pfx, pn);
    s->prefix[pn] = pn ? '/' : 0;
    s->prefix[pn + (pn ? 1 : 0)] = 0;
    if (!s->key_id || !s->secret) {
        s3_close(&s->base);
        return vl_error_set(err, VL_EINVAL,
                            "store: %s: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile "
                            "(AWS_PROFILE, default \"default\") in ~/.aws/credentials", url);
    }
    vl_buf e, h;
    vl_buf_init(&e);
    vl_buf_init(&h);
    int rc = VL_OK;
    const char *style = env("VIDLAKE_S3_ADDRESSING", NULL);
    if (style && strcmp(style, "path") != 0 && strcmp(style, "virtual") != 0) {
        s3_close(&s->base);
        return vl_error_set(err, VL_EINVAL, "store: VIDLAKE_S3_ADDRESSING is \"%s\": path or virtual", style);
    }
    if (ep) {
        /* scheme://host[:port], nothing after it but a '/' */
        const char *host = strstr(ep, "://");
        size_t sn = host ? (size_t)(host - ep) : 0;
        host = host ? host + 3 : NULL;
        size_t hn = host ? strcspn(host, "/") : 0;
        if (!host || !((sn == 4 && strncmp(ep, "http", 4) == 0) || (sn == 5 && strncmp(ep, "https", 5) == 0)) ||
            hn == 0 || strspn(host + hn, "/") != strlen(host + hn)) {
            s3_close(&s->base);
            return vl_error_set(err, VL_EINVAL,
                                "store: the S3 endpoint \"%s\" (from %s) is not http[s]://host[:port]", ep, ep_from);
        }
        s->path_style = !style || strcmp(style, "path") == 0;
        if (s->path_style) {
            rc = vl_buf_printf(&e, "%.*s://%.*s", (int)sn, ep, (int)hn, host);
            if (rc == VL_OK) rc = vl_buf_append(&h, host, hn);
        } else {
            rc = vl_buf_printf(&e, "%.*s://%s.%.*s", (int)sn, ep, s->bucket, (int)hn, host);
            if (rc == VL_OK) rc = vl_buf_printf(&h, "%s.%.*s", s->bucket, (int)hn, host);
        }
    } else {
        s->path_style = style && strcmp(style, "path") == 0;
        if (s->path_style) {
            rc = vl_buf_printf(&e, "https://s3.%s.amazonaws.com", s->region);
            if (rc == VL_OK) rc = vl_buf_printf(&h, "s3.%s.amazonaws.com", s->region);
        } else {
            rc = vl_buf_printf(&e, "https://%s.s3.%s.amazonaws.com", s->bucket, s->region);
            if (rc == VL_OK) rc = vl_buf_printf(&h, "%s.s3.%s.amazonaws.com", s->bucket, s->region);
        }
    }
    if (rc == VL_OK && !(s->endpoint = dupstr(vl_buf_cstr(&e)))) rc = VL_ENOMEM;
    if (rc == VL_OK && !(s->host = dupstr(vl_buf_cstr(&h)))) rc = VL_ENOMEM;
    /* payloads: over TLS, which guards their integrity, unsigned (saves
     * hashing every byte); over plain HTTP, signed */
    if (rc == VL_OK)
        s->unsigned_payload = env_long("VIDLAKE_S3_UNSIGNED_PAYLOAD", strncmp(s->endpoint, "https://", 8) == 0, 0, 1) == 1;
    vl_buf_free(&e);
    vl_buf_free(&h);
    if (rc) {
        s3_close(&s->base);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    *out = &s->base;
    return VL_OK;
}
