/* vidlake - Apache-2.0 */
/*
 * gen_http: the `--to http://HOST[:PORT][/PATH]` sink of `vidlake generate`.
 * It POSTs the generated NDJSON lines to the collector (`vidlake serve`) in
 * batches over plain HTTP/1.1 and counts the lines a 2xx acknowledged.
 *
 * Protocol (the collector's): `POST /v1/events` (PATH when the URL has one
 * other than "/"), Content-Type application/x-ndjson, Content-Length bodies,
 * gzip-encoded when that makes them smaller. Answers:
 *   2xx            the batch is acknowledged; {"accepted":N,"rejected":M}
 *                  in the body is added up (debug log at finish)
 *   413            the body is too big: both halves are POSTed instead (each
 *                  split again if need be), and later batches are cut at half
 *                  the size; a single line that is too big is an error
 *   503 with a Retry-After, or 429: back-pressure; the same body is sent
 *                  again after Retry-After seconds (1 s if absent, at most 30)
 *   other 5xx, 408, connection and protocol errors: the same body is sent
 *                  again after an exponential backoff with jitter (50 ms
 *                  doubling to 2 s); after 60 s of failures in a row for one
 *                  batch (10 min of back-pressure) the sink fails
 *   anything else  fails with the status and the first 200 bytes of the body
 * Failing means: the error (naming the URL and the last status or errno) is
 * returned by the next write() or by finish(), and batches not yet sent are
 * dropped. Delivery is at least once: a batch whose response was lost (the
 * connection died after the body went out) is sent again, so the collector
 * may see it twice; with clean answers nothing is sent twice.
 *
 * Design, with the fixed defaults:
 *   - Batches hold whole lines: at most 5000 lines or about 4 MiB (a batch
 *     is closed by the line that crosses 4 MiB), whichever comes first, and
 *     a partial batch goes out once it is 200 ms old at the next write().
 *   - 4 connections, each owned by one thread that takes batches from a
 *     queue of at most 4; write() blocks while the queue is full, so memory
 *     stays bounded: about (1 + 4 queued + 4 in flight) batches of 4 MiB,
 *     plus a gzip buffer per connection. Batches are not ordered across
 *     connections.
 *   - Connections are kept alive and reopened when the server closes them;
 *     a request that fails on a reused connection before any byte of the
 *     answer arrived is retried once at once on a new connection (the
 *     server closed an idle connection). TCP_NODELAY; connect timeout 5 s;
 *     no byte moving for 60 s is a connection error.
 *   - Bodies of 64 KiB or more carry `Expect: 100-continue`, so a 413 comes
 *     before the body is sent; a server that does not answer the head within
 *     1 s gets the body anyway and no more Expect headers. While a body is
 *     being sent the socket is also watched for an early answer.
 *   - Responses: status line, headers (Content-Length, Transfer-Encoding:
 *     chunked, Connection, Retry-After), body read in full (the first 64 KiB
 *     kept), interim 1xx answers skipped; heads are limited to 64 KiB.
 *   - gzip level 1 (fast; NDJSON still shrinks 5-10x) for bodies of 1 KiB
 *     or more; `-X compression=none` sends bodies as they are (a load test
 *     on loopback, where the sender's gzip would take a core of its own).
 * It does not do TLS, redirects, proxies, authentication or chunked
 * request bodies.
 *
 * Threads: write() and finish() run on the caller's thread only; the worker
 * threads share the queue, the counters and the first error under mu. All
 * signals are blocked in the workers (the generator handles SIGINT/SIGTERM).
 */
#include "gen_sink.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>

#define HTTP_CONNS 4                 /* connections, one thread each */
#define HTTP_QUEUE 4                 /* batches waiting for a connection */
#define BATCH_LINES 5000             /* lines per POST at most */
#define BATCH_BYTES ((size_t)4 << 20) /* a batch is closed past this size */
#define BATCH_MIN_BYTES 1024         /* floor when 413s halve the size */
#define BATCH_LINGER_US 200000       /* a partial batch goes out when this old */
#define GZIP_LEVEL 1
#define GZIP_MIN 1024                /* smaller bodies are sent as they are */
#define GZIP_MAX ((size_t)1 << 30)   /* bodies are far smaller; a bound all the same */
#define EXPECT_MIN ((size_t)64 << 10) /* bodies this big ask 100-continue */
#define EXPECT_WAIT_MS 1000          /* then send the body anyway */
#define CONNECT_TIMEOUT_MS 5000
#define IO_TIMEOUT_MS 60000          /* no byte in or out for this long */
#define POLL_SLICE_MS 100            /* how often waits look at abort */
#define BACKOFF_MIN_US 50000
#define BACKOFF_MAX_US 2000000
#define GIVE_UP_US (60 * VL_US_PER_SEC)              /* of failures in a row */
#define PRESSURE_GIVE_UP_US (600 * VL_US_PER_SEC)    /* of 503/429 in a row */
#define RETRY_AFTER_MAX_S 30
#define HEAD_MAX ((size_t)64 << 10)  /* response status line + headers */
#define BODY_KEEP ((size_t)64 << 10) /* response body bytes kept */
#define READ_CHUNK ((size_t)16 << 10)
#define SPARE_MAX (HTTP_QUEUE + HTTP_CONNS + 1) /* every batch buffer alive at once */
#define SNIPPET 200                  /* body bytes quoted in an error */
#define DEFAULT_PATH "/v1/events"

typedef struct http_batch {
    struct http_batch *next;
    char *p; /* owned */
    size_t n, cap;
    size_t lines;
} http_batch;

typedef struct http_resp {
    int status;
    bool close;      /* the connection cannot carry another request */
    int retry_after; /* seconds; -1: absent or an HTTP date */
    vl_buf body;     /* the first BODY_KEEP bytes */
} http_resp;

struct http_sink;

typedef struct http_worker {
    struct http_sink *s;
    pthread_t tid;
    int fd;         /* -1: not connected */
    bool got_bytes; /* a byte of the current answer has arrived */
    vl_buf in;      /* received, consumed up to in_off */
    size_t in_off;
    vl_buf head;    /* the request head */
    vl_buf gz;      /* the compressed body */
    struct libdeflate_compressor *z;
    vl_arena arena; /* parsing the answer's JSON */
    vl_rng rng;     /* backoff jitter */
    http_resp resp;
} http_worker;

typedef struct http_sink {
    gen_sink base;
    char *url;       /* http://authority/path, for messages */
    char *authority; /* host:port, for Host and messages */
    char *path;
    struct addrinfo *ai;

    /* the batch being filled: the caller's thread only */
    vl_buf cur;
    size_t cur_lines;
    int64_t cur_since;
    bool finished;

    atomic_size_t max_lines, max_bytes; /* lowered by 413s */
    atomic_bool abort;                  /* stop: freed early, or failed */
    atomic_bool no_expect;              /* the server ignores 100-continue */
    bool gzip;                          /* -X compression=gzip (default) */

    bool sync_ready;
    pthread_mutex_t mu;
    pthread_cond_t cv_work;  /* a batch is queued, or closing */
    pthread_cond_t cv_space; /* room in the queue, or failed */
    http_batch *head, *tail;
    size_t queued;
    http_batch *spare; /* sent batches whose buffers the writer reuses */
    size_t n_spare;
    bool closing;
    bool failed;
    vl_error fail; /* the first failure */
    uint64_t accepted, rejected, posts, retries;
    bool counted; /* a response carried the two counts */

    size_t n_workers; /* threads started */
    http_worker w[HTTP_CONNS];
} http_sink;

/* ---------------------------------------------------------------- helpers */

static int cancelled(vl_error *err) { return vl_error_set(err, VL_EAGAIN, "cancelled"); }

static int oom(vl_error *err) { return vl_error_set(err, VL_ENOMEM, "out of memory"); }

/* Sleeps us microseconds, in slices; false if the sink is aborting. */
static bool nap(http_sink *s, int64_t us) {
    int64_t end = vl_mono_us() + us;
    for (;;) {
        if (atomic_load(&s->abort)) return false;
        int64_t left = end - vl_mono_us();
        if (left <= 0) return true;
        if (left > 50000) left = 50000;
        struct timespec ts = {0, (long)left * 1000};
        nanosleep(&ts, NULL);
    }
}

/* Waits up to timeout_ms for events on fd. Returns the revents (> 0), 0 on
 * timeout, or -1 when the sink is aborting. */
static int wait_fd(http_sink *s, int fd, short events, int timeout_ms) {
    int64_t end = vl_mono_us() + (int64_t)timeout_ms * 1000;
    for (;;) {
        if (atomic_load(&s->abort)) return -1;
        int64_t left = (end - vl_mono_us() + 999) / 1000;
        if (left <= 0) return 0;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, left < POLL_SLICE_MS ? (int)left : POLL_SLICE_MS);
        if (r > 0) return pfd.revents;
        if (r < 0 && errno != EINTR) return POLLERR;
    }
}

static void atomic_lower(atomic_size_t *a, size_t v) {
    size_t cur = atomic_load(a);
    while (v < cur && !atomic_compare_exchange_weak(a, &cur, v)) {
    }
}

/* At most cap - 1 bytes of p[0..n) as one printable line, for messages. */
static void snippet(const char *p, size_t n, char *out, size_t cap) {
    if (n > cap - 1) n = cap - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        out[i] = c < 0x20 || c == 0x7f ? ' ' : c >= 0x80 ? '?' : (char)c;
    }
    while (n && out[n - 1] == ' ') n--;
    out[n] = 0;
}

/* ------------------------------------------------------------- connection */

static void conn_close(http_worker *w) {
    if (w->fd >= 0) close(w->fd);
    w->fd = -1;
    w->in.n = w->in_off = 0;
}

/* Connects to the first address of the host that answers. */
static int conn_open(http_worker *w, vl_error *err) {
    http_sink *s = w->s;
    int last = ECONNREFUSED;
    for (const struct addrinfo *ai = s->ai; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            if (errno != EINPROGRESS) {
                last = errno;
                close(fd);
                continue;
            }
            int ev = wait_fd(s, fd, POLLOUT, CONNECT_TIMEOUT_MS);
            if (ev < 0) {
                close(fd);
                return cancelled(err);
            }
            int e = ETIMEDOUT;
            socklen_t len = sizeof(e);
            if (ev > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0) e = errno;
            if (e != 0) {
                last = e;
                close(fd);
                continue;
            }
        }
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* an optimisation only */
        w->fd = fd;
        w->in.n = w->in_off = 0;
        return VL_OK;
    }
    return vl_error_set(err, VL_EIO, "connecting to %s: %s", s->authority, strerror(last));
}

/* Reads more of the answer into w->in. End of stream sets *eof when eof is
 * not NULL, and is an error otherwise. */
static int fill(http_worker *w, bool *eof, vl_error *err) {
    http_sink *s = w->s;
    if (w->in_off == w->in.n) {
        w->in_off = w->in.n = 0;
    } else if (w->in_off > 0 && w->in.cap - w->in.n < READ_CHUNK) {
        memmove(w->in.p, w->in.p + w->in_off, w->in.n - w->in_off);
        w->in.n -= w->in_off;
        w->in_off = 0;
    }
    if (vl_buf_reserve(&w->in, READ_CHUNK) != VL_OK) return oom(err);
    for (;;) {
        int ev = wait_fd(s, w->fd, POLLIN, IO_TIMEOUT_MS);
        if (ev < 0) return cancelled(err);
        if (ev == 0)
            return vl_error_set(err, VL_EIO, "%s did not answer within %d s", s->authority,
                                IO_TIMEOUT_MS / 1000);
        ssize_t k = recv(w->fd, w->in.p + w->in.n, w->in.cap - w->in.n, MSG_DONTWAIT);
        if (k > 0) {
            w->in.n += (size_t)k;
            w->got_bytes = true;
            return VL_OK;
        }
        if (k == 0) {
            if (eof) {
                *eof = true;
                return VL_OK;
            }
            return vl_error_set(err, VL_EIO, "%s closed the connection %s", s->authority,
                                w->got_bytes ? "in the middle of its answer" : "without answering");
        }
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
        return vl_error_set(err, VL_EIO, "reading the answer of %s: %s", s->authority, strerror(errno));
    }
}

/* The offset just past the blank line that ends a head in p[0..n), or 0. */
static size_t head_end(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\n') continue;
        size_t j = i + 1;
        if (j < n && p[j] == '\r') j++;
        if (j < n && p[j] == '\n') return j + 1;
    }
    return 0;
}

static bool name_is(const char *name, size_t n, const char *want) {
    return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

static bool token_is(const char *p, size_t n, const char *want) {
    while (n && (*p == ' ' || *p == '\t')) p++, n--;
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    return name_is(p, n, want);
}

/* Whether the comma-separated list v[0..n) holds the token want. */
static bool has_token(const char *v, size_t n, const char *want) {
    const char *e = v + n;
    while (v < e) {
        const char *c = memchr(v, ',', (size_t)(e - v));
        if (!c) c = e;
        if (token_is(v, (size_t)(c - v), want)) return true;
        v = c + 1;
    }
    return false;
}

/* Body framing decided by a head. */
typedef enum { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_TO_CLOSE } body_kind;

/* Parses the head p[0..n) (which ends with a blank line) into r. */
static int parse_head(http_sink *s, const char *p, size_t n, http_resp *r, body_kind *kind,
                      uint64_t *length, vl_error *err) {
    const char *e = p + n;
    const char *eol = memchr(p, '\n', n);
    size_t len = (size_t)(eol - p);
    if (len && p[len - 1] == '\r') len--;
    if (len < 12 || memcmp(p, "HTTP/1.", 7) != 0 || p[7] < '0' || p[7] > '9' || p[8] != ' ' ||
        p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
        (len > 12 && p[12] != ' ')) {
        char shown[64];
        snippet(p, len, shown, sizeof(shown));
        return vl_error_set(err, VL_ECORRUPT, "%s answered with a bad status line '%s'", s->authority, shown);
    }
    bool http10 = p[7] == '0';
    r->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
    bool conn_close = false, keep_alive = false, has_te = false, chunked = false;
    int64_t clen = -1;
    for (const char *l = eol + 1; l < e;) {
        const char *nl = memchr(l, '\n', (size_t)(e - l));
        size_t ll = (size_t)(nl - l);
        if (ll && l[ll - 1] == '\r') ll--;
        if (ll == 0) break;
        const char *colon = memchr(l, ':', ll);
        if (!colon || colon == l || memchr(l, ' ', (size_t)(colon - l)) || memchr(l, '\t', (size_t)(colon - l)))
            return vl_error_set(err, VL_ECORRUPT, "%s answered with a malformed header line", s->authority);
        size_t nn = (size_t)(colon - l);
        const char *v = colon + 1, *ve = l + ll;
        while (v < ve && (*v == ' ' || *v == '\t')) v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
        size_t vn = (size_t)(ve - v);
        if (name_is(l, nn, "content-length")) {
            int64_t x;
            if (vn == 0 || vn > 15 || vl_parse_i64(v, vn, &x) != VL_OK || x < 0 || (clen >= 0 && x != clen))
                return vl_error_set(err, VL_ECORRUPT, "%s answered with a bad Content-Length", s->authority);
            clen = x;
        } else if (name_is(l, nn, "transfer-encoding")) {
            has_te = true;
            const char *last = v;
            for (const char *c = v; c < ve; c++)
                if (*c == ',') last = c + 1;
            chunked = token_is(last, (size_t)(ve - last), "chunked");
        } else if (name_is(l, nn, "connection")) {
            if (has_token(v, vn, "close")) conn_close = true;
            if (has_token(v, vn, "keep-alive")) keep_alive = true;
        } else if (name_is(l, nn, "retry-after")) {
            int64_t x;
            if (vn > 0 && vn <= 9 && vl_parse_i64(v, vn, &x) == VL_OK && x >= 0) r->retry_after = (int)x;
        }
        l = nl + 1;
    }
    r->close = conn_close || (http10 && !keep_alive);
    if (r->status < 200 || r->status == 204 || r->status == 304) {
        *kind = BODY_NONE;
    } else if (has_te) {
        *kind = chunked ? BODY_CHUNKED : BODY_TO_CLOSE;
    } else if (clen >= 0) {
        *kind = BODY_LENGTH;
        *length = (uint64_t)clen;
    } else {
        *kind = BODY_TO_CLOSE;
    }
    if (*kind == BODY_TO_CLOSE) r->close = true;
    return VL_OK;
}

/* Consumes n body bytes (or, with to_eof, all until the server closes),
 * keeping the first BODY_KEEP in r->body. */
static int body_take(http_worker *w, http_resp *r, uint64_t n, bool to_eof, vl_error *err) {
    for (;;) {
        size_t avail = w->in.n - w->in_off;
        size_t k = to_eof || avail < n ? avail : (size_t)n;
        if (r->body.n < BODY_KEEP && k) {
            size_t c = BODY_KEEP - r->body.n < k ? BODY_KEEP - r->body.n : k;
            if (vl_buf_append(&r->body, w->in.p + w->in_off, c) != VL_OK) return oom(err);
        }
        w->in_off += k;
        if (!to_eof) {
            n -= k;
            if (n == 0) return VL_OK;
        }
        bool eof = false;
        VL_RETURN_IF_ERR(fill(w, to_eof ? &eof : NULL, err));
        if (eof) return VL_OK;
    }
}

/* Takes the next line (without CR LF) of a chunked body. */
static int take_line(http_worker *w, char *line, size_t cap, size_t *len, vl_error *err) {
    for (;;) {
        const char *b = w->in.p + w->in_off;
        size_t avail = w->in.n - w->in_off;
        const char *nl = avail ? memchr(b, '\n', avail) : NULL;
        if (nl) {
            size_t k = (size_t)(nl - b), l = k;
            if (l && b[l - 1] == '\r') l--;
            if (l >= cap) break;
            memcpy(line, b, l);
            line[l] = 0;
            *len = l;
            w->in_off += k + 1;
            return VL_OK;
        }
        if (avail > cap) break;
        VL_RETURN_IF_ERR(fill(w, NULL, err));
    }
    return vl_error_set(err, VL_ECORRUPT, "%s answered with a chunk line longer than %zu bytes",
                        w->s->authority, cap - 1);
}

static int read_chunked(http_worker *w, http_resp *r, vl_error *err) {
    char line[1024];
    size_t len;
    for (;;) {
        VL_RETURN_IF_ERR(take_line(w, line, sizeof(line), &len, err));
        uint64_t size = 0;
        size_t i = 0;
        for (; i < len; i++) {
            char c = line[i];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) break;
            if (size >> 40) goto bad; /* a terabyte chunk: not from a collector */
            size = size * 16 + (uint64_t)d;
        }
        size_t j = i;
        while (j < len && (line[j] == ' ' || line[j] == '\t')) j++;
        if (i == 0 || (j < len && line[j] != ';')) goto bad;
        if (size == 0) {
            do VL_RETURN_IF_ERR(take_line(w, line, sizeof(line), &len, err)); /* trailers */
            while (len);
            return VL_OK;
        }
        VL_RETURN_IF_ERR(body_take(w, r, size, false, err));
        VL_RETURN_IF_ERR(take_line(w, line, sizeof(line), &len, err));
        if (len) goto bad;
    }
bad:
    return vl_error_set(err, VL_ECORRUPT, "%s answered with a malformed chunked body", w->s->authority);
}

/* Reads one answer (an interim 1xx or a final one, with its whole body). */
static int read_one(http_worker *w, http_resp *r, vl_error *err) {
    r->status = 0;
    r->close = false;
    r->retry_after = -1;
    r->body.n = 0;
    size_t end;
    while (!(end = head_end(w->in.p + w->in_off, w->in.n - w->in_off))) {
        if (w->in.n - w->in_off > HEAD_MAX)
            return vl_error_set(err, VL_ECORRUPT, "%s answered with a head longer than %zu KiB",
                                w->s->authority, HEAD_MAX >> 10);
        VL_RETURN_IF_ERR(fill(w, NULL, err));
    }
    body_kind kind = BODY_NONE;
    uint64_t length = 0;
    VL_RETURN_IF_ERR(parse_head(w->s, w->in.p + w->in_off, end, r, &kind, &length, err));
    w->in_off += end;
    switch (kind) {
    case BODY_NONE: break;
    case BODY_LENGTH: VL_RETURN_IF_ERR(body_take(w, r, length, false, err)); break;
    case BODY_CHUNKED: VL_RETURN_IF_ERR(read_chunked(w, r, err)); break;
    case BODY_TO_CLOSE: VL_RETURN_IF_ERR(body_take(w, r, 0, true, err)); break;
    }
    if (r->status >= 200 && w->in_off != w->in.n) r->close = true; /* bytes nobody asked for */
    return VL_OK;
}

/* What is left to send of a request: the head, then the body. */
typedef struct out_q {
    struct iovec v[2];
    int i, n;
} out_q;

static void outq_add(out_q *q, const void *p, size_t n) {
    if (!n) return;
    q->v[q->n].iov_base = (void *)(uintptr_t)p;
    q->v[q->n].iov_len = n;
    q->n++;
}

/* Sends what q holds, watching for an early answer: then *early is set and
 * the rest stays in q. A send error sets *sock_err to errno. */
static int send_q(http_worker *w, out_q *q, bool *early, int *sock_err, vl_error *err) {
    http_sink *s = w->s;
    *early = false;
    while (q->i < q->n) {
        int ev = wait_fd(s, w->fd, POLLOUT | POLLIN, IO_TIMEOUT_MS);
        if (ev < 0) return cancelled(err);
        if (ev == 0)
            return vl_error_set(err, VL_EIO, "sending to %s: stalled for %d s", s->authority, IO_TIMEOUT_MS / 1000);
        if (ev & POLLIN) {
            *early = true;
            return VL_OK;
        }
        struct msghdr m;
        memset(&m, 0, sizeof(m));
        m.msg_iov = q->v + q->i;
        m.msg_iovlen = (size_t)(q->n - q->i);
        ssize_t k = sendmsg(w->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (k < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
            *sock_err = errno;
            return vl_error_set(err, VL_EIO, "sending to %s: %s", s->authority, strerror(errno));
        }
        for (size_t left = (size_t)k; left;) {
            struct iovec *v = &q->v[q->i];
            size_t t = left < v->iov_len ? left : v->iov_len;
            v->iov_base = (char *)v->iov_base + t;
            v->iov_len -= t;
            left -= t;
            if (v->iov_len == 0) q->i++;
        }
    }
    return VL_OK;
}

/* One request on the open connection: *r is a final answer on VL_OK. */
static int exchange(http_worker *w, const char *body, size_t n, bool expect, http_resp *r, vl_error *err) {
    http_sink *s = w->s;
    out_q q = {.i = 0, .n = 0};
    outq_add(&q, w->head.p, w->head.n);
    bool body_queued = !expect;
    if (body_queued) outq_add(&q, body, n);
    w->got_bytes = false;
    for (;;) {
        if (q.i < q.n) {
            bool early;
            int sock_err = 0;
            int rc = send_q(w, &q, &early, &sock_err, err);
            if (rc != VL_OK) {
                /* The server may have answered (413) and closed before it
                 * took the whole body: the answer can still be read. */
                vl_error e2;
                if ((sock_err == EPIPE || sock_err == ECONNRESET) && read_one(w, r, &e2) == VL_OK &&
                    r->status >= 300) {
                    r->close = true;
                    return VL_OK;
                }
                return rc;
            }
            if (!early) continue;
        } else if (!body_queued) {
            int ev = wait_fd(s, w->fd, POLLIN, EXPECT_WAIT_MS);
            if (ev < 0) return cancelled(err);
            if (ev == 0) { /* no 100 Continue: send the body anyway */
                atomic_store(&s->no_expect, true);
                body_queued = true;
                q.i = q.n = 0;
                outq_add(&q, body, n);
                continue;
            }
        } else {
            break; /* all sent */
        }
        /* an answer before the request was all sent */
        VL_RETURN_IF_ERR(read_one(w, r, err));
        if (r->status == 100 && !body_queued) {
            body_queued = true;
            q.i = q.n = 0;
            outq_add(&q, body, n);
            continue;
        }
        if (r->status < 200) continue; /* a late 100 Continue, 102 Processing, ... */
        r->close = true;                /* the rest of the request is not coming */
        if (r->status < 300)
            return vl_error_set(err, VL_EIO, "%s answered HTTP %d before the body was sent", s->authority,
                                r->status);
        return VL_OK;
    }
    do VL_RETURN_IF_ERR(read_one(w, r, err));
    while (r->status < 200);
    return VL_OK;
}

/* exchange() on a connection opened if need be; a reused connection that
 * fails before any answer (an idle connection the server closed) gets one
 * immediate retry on a new one. */
static int request(http_worker *w, const char *body, size_t n, bool expect, http_resp *r, vl_error *err) {
    for (int attempt = 0;; attempt++) {
        bool fresh = w->fd < 0;
        if (fresh) VL_RETURN_IF_ERR(conn_open(w, err));
        int rc = exchange(w, body, n, expect, r, err);
        if (rc == VL_OK) {
            if (r->close) conn_close(w);
            return VL_OK;
        }
        conn_close(w);
        if (fresh || w->got_bytes || attempt > 0 || rc == VL_ENOMEM || atomic_load(&w->s->abort)) return rc;
    }
}

/* ------------------------------------------------------------------ posts */


/* Compresses p[0..n) into w->gz (gzip format), with libdeflate: a whole
 * buffer at a time, about three times as fast as zlib's level 1. */
static int gzip_body(http_worker *w, const char *p, size_t n, vl_error *err) {
    if (!w->z && !(w->z = libdeflate_alloc_compressor(GZIP_LEVEL))) return oom(err);
    size_t bound = libdeflate_gzip_compress_bound(w->z, n);
    w->gz.n = 0;
    if (vl_buf_reserve(&w->gz, bound) != VL_OK) return oom(err);
    w->gz.n = libdeflate_gzip_compress(w->z, p, n, w->gz.p, bound);
    if (!w->gz.n) return vl_error_set(err, VL_EIO, "gzip: the compressed body does not fit its bound");
    return VL_OK;
}

static int build_head(http_worker *w, size_t n, bool gz, bool expect, vl_error *err) {
    http_sink *s = w->s;
    w->head.n = 0;
    if (vl_buf_printf(&w->head,
                      "POST %s HTTP/1.1\r\n"
                      "Host: %s\r\n"
                      "User-Agent: vidlake/" VL_VERSION "\r\n"
                      "Accept: application/json\r\n"
                      "Content-Type: application/x-ndjson\r\n"
                      "%s"
                      "Content-Length: %zu\r\n"
                      "%s"
                      "\r\n",
                      s->path, s->authority, gz ? "Content-Encoding: gzip\r\n" : "", n,
                      expect ? "Expect: 100-continue\r\n" : "") != VL_OK)
        return oom(err);
    return VL_OK;
}

/* Adds a 2xx answer's {"accepted":N,"rejected":M} to the totals. */
static void count_answer(http_worker *w, const http_resp *r, size_t lines) {
    http_sink *s = w->s;
    int64_t acc = -1, rej = -1;
    if (r->body.n) {
        const vl_json *root;
        vl_arena_reset(&w->arena);
        if (vl_json_parse(r->body.p, r->body.n, &w->arena, &root, NULL) == VL_OK) {
            if (vl_json_get_i64(root, "accepted", &acc, NULL) != VL_OK) acc = -1;
            if (vl_json_get_i64(root, "rejected", &rej, NULL) != VL_OK) rej = -1;
        }
    }
    pthread_mutex_lock(&s->mu);
    s->base.lines += lines;
    s->posts++;
    if (acc >= 0 && rej >= 0) {
        s->accepted += (uint64_t)acc;
        s->rejected += (uint64_t)rej;
        s->counted = true;
    }
    pthread_mutex_unlock(&s->mu);
}

/* POSTs p[0..n) (lines lines) until a 2xx (VL_OK), a 413 (VL_OK with
 * *too_big), a failure that is final, or giving up. */
static int post_body(http_worker *w, const char *p, size_t n, size_t lines, bool *too_big, vl_error *err) {
    http_sink *s = w->s;
    *too_big = false;
    const char *body = p;
    size_t bn = n;
    bool gz = false;
    if (s->gzip && n >= GZIP_MIN && n <= GZIP_MAX) {
        VL_RETURN_IF_ERR(gzip_body(w, p, n, err));
        if (w->gz.n < n) {
            body = w->gz.p;
            bn = w->gz.n;
            gz = true;
        }
    }
    int64_t fail_since = 0, pressure_since = 0;
    unsigned tries = 0;
    char last[sizeof(((vl_error *)0)->msg)] = "";
    for (;;) {
        if (atomic_load(&s->abort)) return cancelled(err);
        bool expect = bn >= EXPECT_MIN && !atomic_load(&s->no_expect);
        VL_RETURN_IF_ERR(build_head(w, bn, gz, expect, err));
        http_resp *r = &w->resp;
        vl_error e;
        int64_t started = vl_mono_us();
        int rc = request(w, body, bn, expect, r, &e);
        if (rc == VL_OK) {
            int st = r->status;
            char snip[SNIPPET + 1];
            snippet(r->body.p, r->body.n, snip, sizeof(snip));
            if (st >= 200 && st < 300) {
                count_answer(w, r, lines);
                return VL_OK;
            }
            if (st == 413) {
                *too_big = true;
                return VL_OK;
            }
            if (st == 429 || (st == 503 && r->retry_after >= 0)) { /* back-pressure */
                int64_t now = vl_mono_us();
                if (!pressure_since) pressure_since = now;
                fail_since = 0;
                tries = 0;
                int secs = r->retry_after < 0 ? 1 : r->retry_after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S
                                                                                          : r->retry_after;
                int64_t wait = secs ? secs * VL_US_PER_SEC : 20000;
                wait += (int64_t)vl_rng_below(&w->rng, (uint64_t)wait / 10 + 1); /* spread the herd */
                if (now + wait - pressure_since > PRESSURE_GIVE_UP_US)
                    return vl_error_set(err, VL_EIO, "POST %s: giving up: the collector kept answering HTTP %d "
                                        "(back-pressure) for %d s", s->url, st,
                                        (int)(PRESSURE_GIVE_UP_US / VL_US_PER_SEC));
                VL_DEBUG("gen_http", "POST %s: HTTP %d (back-pressure); retrying in %lld ms", s->url, st,
                         (long long)(wait / 1000));
                pthread_mutex_lock(&s->mu);
                s->retries++;
                pthread_mutex_unlock(&s->mu);
                if (!nap(s, wait)) return cancelled(err);
                continue;
            }
            if (st >= 500 || st == 408) {
                snprintf(last, sizeof(last), "HTTP %d%s%s", st, snip[0] ? ": " : "", snip);
            } else {
                return vl_error_set(err, VL_EIO, "POST %s: HTTP %d%s%s", s->url, st, snip[0] ? ": " : " (no body)",
                                    snip);
            }
        } else {
            if (rc == VL_ENOMEM || atomic_load(&s->abort)) {
                if (err) *err = e;
                return rc;
            }
            snprintf(last, sizeof(last), "%s", e.msg);
        }
        int64_t now = vl_mono_us();
        if (!fail_since) fail_since = started; /* a hang counts from its start */
        if (now - fail_since >= GIVE_UP_US)
            return vl_error_set(err, VL_EIO, "POST %s: giving up after %.0f s of failed attempts (%u); last: %s",
                                s->url, (double)(now - fail_since) / 1e6, tries + 1, last);
        int64_t d = (int64_t)BACKOFF_MIN_US << (tries < 8 ? tries : 8);
        if (d > BACKOFF_MAX_US) d = BACKOFF_MAX_US;
        d = d / 2 + (int64_t)vl_rng_below(&w->rng, (uint64_t)d / 2 + 1); /* jitter: [d/2, d] */
        tries++;
        VL_DEBUG("gen_http", "POST %s: %s; retrying in %lld ms", s->url, last, (long long)(d / 1000));
        pthread_mutex_lock(&s->mu);
        s->retries++;
        pthread_mutex_unlock(&s->mu);
        if (!nap(s, d)) return cancelled(err);
    }
}

/* POSTs lines p[0..n), splitting in halves while the server says 413. */
static int post_lines(http_worker *w, const char *p, size_t n, size_t lines, vl_error *err) {
    http_sink *s = w->s;
    bool too_big;
    VL_RETURN_IF_ERR(post_body(w, p, n, lines, &too_big, err));
    if (!too_big) return VL_OK;
    if (lines <= 1)
        return vl_error_set(err, VL_ERANGE, "POST %s: HTTP 413: a single line of %zu bytes is more than the "
                            "collector accepts", s->url, n);
    size_t half = lines / 2;
    const char *cut = p;
    for (size_t i = 0; i < half; i++) { /* lines - 1 newlines at least, half <= that */
        const char *nl = memchr(cut, '\n', (size_t)(p + n - cut));
        VL_ASSERT(nl);
        cut = nl + 1;
    }
    atomic_lower(&s->max_lines, half);
    atomic_lower(&s->max_bytes, n / 2 > BATCH_MIN_BYTES ? n / 2 : BATCH_MIN_BYTES);
    VL_DEBUG("gen_http", "POST %s: HTTP 413 for %zu lines (%zu bytes): halving", s->url, lines, n);
    VL_RETURN_IF_ERR(post_lines(w, p, (size_t)(cut - p), half, err));
    return post_lines(w, cut, (size_t)(p + n - cut), lines - half, err);
}

/* Records the first failure and stops the other workers and the writer. */
static void sink_fail(http_sink *s, const vl_error *e) {
    pthread_mutex_lock(&s->mu);
    if (!s->failed && !atomic_load(&s->abort)) {
        s->failed = true;
        s->fail = *e;
    }
    atomic_store(&s->abort, true);
    pthread_cond_broadcast(&s->cv_space);
    pthread_mutex_unlock(&s->mu);
}

static void *worker_main(void *arg) {
    http_worker *w = arg;
    http_sink *s = w->s;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        while (!s->head && !s->closing) pthread_cond_wait(&s->cv_work, &s->mu);
        http_batch *b = s->head;
        if (!b) {
            pthread_mutex_unlock(&s->mu);
            break;
        }
        s->head = b->next;
        if (!s->head) s->tail = NULL;
        s->queued--;
        pthread_cond_signal(&s->cv_space);
        pthread_mutex_unlock(&s->mu);
        if (!atomic_load(&s->abort)) {
            vl_error e = {0, ""};
            if (post_lines(w, b->p, b->n, b->lines, &e) != VL_OK) sink_fail(s, &e);
        }
        pthread_mutex_lock(&s->mu);
        if (s->n_spare < SPARE_MAX && !s->closing) {
            b->next = s->spare;
            s->spare = b;
            s->n_spare++;
            b = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        if (b) {
            vl_free(b->p);
            vl_free(b);
        }
    }
    conn_close(w);
    return NULL;
}

/* ------------------------------------------------------------------- sink */

/* The first failure, if any, copied to err. */
static int check_failed(http_sink *s, vl_error *err) {
    pthread_mutex_lock(&s->mu);
    int rc = VL_OK;
    if (s->failed) {
        rc = s->fail.code ? s->fail.code : VL_EIO;
        if (err) *err = s->fail;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Hands the current batch to the workers, waiting for room in the queue. */
static int push_batch(http_sink *s, vl_error *err) {
    if (!s->cur.n) return VL_OK;
    http_batch *b = vl_malloc(sizeof(*b));
    if (!b) return oom(err);
    b->next = NULL;
    b->p = s->cur.p;
    b->n = s->cur.n;
    b->cap = s->cur.cap;
    b->lines = s->cur_lines;
    vl_buf_init(&s->cur);
    s->cur_lines = 0;
    pthread_mutex_lock(&s->mu);
    while (s->queued >= HTTP_QUEUE && !s->failed) pthread_cond_wait(&s->cv_space, &s->mu);
    if (s->failed) {
        pthread_mutex_unlock(&s->mu);
        vl_free(b->p);
        vl_free(b);
        return check_failed(s, err);
    }
    if (s->tail) s->tail->next = b;
    else s->head = b;
    s->tail = b;
    s->queued++;
    pthread_cond_signal(&s->cv_work);
    pthread_mutex_unlock(&s->mu);
    return VL_OK;
}

/* Gives the empty current batch a buffer: a spare one, or a new one big
 * enough that appending does not reallocate (pages are touched only when
 * written, so a bigger reservation costs no memory). */
static int cur_begin(http_sink *s, size_t max_bytes, vl_error *err) {
    pthread_mutex_lock(&s->mu);
    http_batch *b = s->spare;
    if (b) {
        s->spare = b->next;
        s->n_spare--;
    }
    pthread_mutex_unlock(&s->mu);
    if (b) {
        s->cur.p = b->p;
        s->cur.cap = b->cap;
        s->cur.n = 0;
        vl_free(b);
        return VL_OK;
    }
    if (vl_buf_reserve(&s->cur, max_bytes + ((size_t)64 << 10)) != VL_OK)
        return vl_error_set(err, VL_ENOMEM, "--to %s: out of memory for a batch", s->url);
    return VL_OK;
}

static bool cur_closed(const http_sink *s) { return s->cur.n && s->cur.p[s->cur.n - 1] == '\n'; }

static int http_write(gen_sink *base, const char *p, size_t n, vl_error *err) {
    http_sink *s = (http_sink *)base;
    VL_RETURN_IF_ERR(check_failed(s, err));
    const char *e = p + n;
    while (p < e) {
        size_t max_lines = atomic_load(&s->max_lines), max_bytes = atomic_load(&s->max_bytes);
        bool open = s->cur.n && !cur_closed(s); /* the batch ends inside a line */
        const char *q = p;
        while (q < e) {
            if (!open && (s->cur_lines >= max_lines || s->cur.n + (size_t)(q - p) >= max_bytes)) break;
            const char *nl = memchr(q, '\n', (size_t)(e - q));
            if (!nl) { /* the start of a line the next write finishes */
                q = e;
                break;
            }
            q = nl + 1;
            s->cur_lines++;
            open = false;
        }
        if (!s->cur.cap) VL_RETURN_IF_ERR(cur_begin(s, max_bytes, err));
        if (!s->cur.n) s->cur_since = vl_mono_us();
        if (vl_buf_append(&s->cur, p, (size_t)(q - p)) != VL_OK)
            return vl_error_set(err, VL_ENOMEM, "--to %s: out of memory for a batch", s->url);
        p = q;
        if (cur_closed(s) && (s->cur_lines >= max_lines || s->cur.n >= max_bytes))
            VL_RETURN_IF_ERR(push_batch(s, err));
    }
    if (cur_closed(s) && vl_mono_us() - s->cur_since >= BATCH_LINGER_US) VL_RETURN_IF_ERR(push_batch(s, err));
    return VL_OK;
}

/* Lets the workers finish the queue (or, with abort, drop it) and joins them. */
static void stop_workers(http_sink *s, bool abort) {
    if (!s->n_workers) return;
    pthread_mutex_lock(&s->mu);
    s->closing = true;
    if (abort) atomic_store(&s->abort, true);
    pthread_cond_broadcast(&s->cv_work);
    pthread_cond_broadcast(&s->cv_space);
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < s->n_workers; i++) pthread_join(s->w[i].tid, NULL);
    s->n_workers = 0;
}

static int http_finish(gen_sink *base, vl_error *err) {
    http_sink *s = (http_sink *)base;
    if (s->finished) return check_failed(s, err);
    s->finished = true;
    if (s->cur.n && !cur_closed(s)) s->cur_lines++; /* a last line without "\n" */
    int rc = push_batch(s, err);
    stop_workers(s, false);
    int frc = check_failed(s, err);
    if (frc != VL_OK) return frc;
    if (rc != VL_OK) return rc;
    if (s->counted)
        VL_DEBUG("gen_http", "%s: %llu lines acknowledged in %llu POSTs (%llu retries): %llu accepted, %llu rejected",
                 s->url, (unsigned long long)s->base.lines, (unsigned long long)s->posts,
                 (unsigned long long)s->retries, (unsigned long long)s->accepted,
                 (unsigned long long)s->rejected);
    return VL_OK;
}

static void http_free(gen_sink *base) {
    http_sink *s = (http_sink *)base;
    if (!s) return;
    stop_workers(s, true);
    for (int list = 0; list < 2; list++) {
        for (http_batch *b = list ? s->spare : s->head, *next; b; b = next) {
            next = b->next;
            vl_free(b->p);
            vl_free(b);
        }
    }
    vl_buf_free(&s->cur);
    for (size_t i = 0; i < HTTP_CONNS; i++) {
        http_worker *w = &s->w[i];
        conn_close(w);
        vl_buf_free(&w->in);
        vl_buf_free(&w->head);
        vl_buf_free(&w->gz);
        vl_buf_free(&w->resp.body);
        if (w->z) libdeflate_free_compressor(w->z);
        vl_arena_destroy(&w->arena);
    }
    if (s->ai) freeaddrinfo(s->ai);
    if (s->sync_ready) {
        pthread_cond_destroy(&s->cv_space);
        pthread_cond_destroy(&s->cv_work);
        pthread_mutex_destroy(&s->mu);
    }
    vl_free(s->url);
    vl_free(s->authority);
    vl_free(s->path);
    vl_free(s);
}

static const gen_sink_ops http_ops = {http_write, http_finish, http_free};

static char *dup_printf(const char *fmt, ...) VL_PRINTF(1, 2);
static char *dup_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = vl_malloc((size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* Splits http://HOST[:PORT][/PATH] into s->authority, s->path, s->url and
 * host/port for getaddrinfo. */
static int parse_url(http_sink *s, const char *url, char *host, size_t host_cap, char *port, size_t port_cap,
                     vl_error *err) {
    const char *a = url + strlen("http://");
    const char *slash = strchr(a, '/');
    const char *ae = slash ? slash : a + strlen(a);
    const char *hb, *he, *pb = NULL;
    bool v6 = *a == '[';
    if (memchr(a, '@', (size_t)(ae - a)))
        return vl_error_set(err, VL_EINVAL, "--to %s: user names and passwords in the URL are not supported", url);
    if (v6) {
        hb = a + 1;
        he = memchr(hb, ']', (size_t)(ae - hb));
        if (!he) return vl_error_set(err, VL_EINVAL, "--to %s: missing ']' after the IPv6 address", url);
        if (he + 1 < ae && he[1] != ':')
            return vl_error_set(err, VL_EINVAL, "--to %s: expected ':PORT' or '/' after ']'", url);
        if (he + 1 < ae) pb = he + 2;
    } else {
        hb = a;
        he = memchr(a, ':', (size_t)(ae - a));
        if (he) pb = he + 1;
        else he = ae;
    }
    size_t hn = (size_t)(he - hb);
    if (hn == 0) return vl_error_set(err, VL_EINVAL, "--to %s: the host is missing (http://HOST:PORT)", url);
    if (hn >= host_cap) return vl_error_set(err, VL_EINVAL, "--to %s: the host name is too long", url);
    for (size_t i = 0; i < hn; i++) {
        char c = hb[i];
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                  c == '.' || (!v6 && c == '_') || (v6 && (c == ':' || c == '%'));
        if (!ok) return vl_error_set(err, VL_EINVAL, "--to %s: '%c' is not allowed in a host", url, c);
    }
    memcpy(host, hb, hn);
    host[hn] = 0;
    unsigned pn = 80;
    if (pb) {
        size_t n = (size_t)(ae - pb);
        int64_t v;
        if (n == 0 || n > 5 || vl_parse_i64(pb, n, &v) != VL_OK || *pb == '-' || v < 1 || v > 65535)
            return vl_error_set(err, VL_EINVAL, "--to %s: the port must be a number from 1 to 65535", url);
        pn = (unsigned)v;
    }
    snprintf(port, port_cap, "%u", pn);
    const char *path = !slash || strcmp(slash, "/") == 0 ? DEFAULT_PATH : slash;
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || *c == '#')
            return vl_error_set(err, VL_EINVAL, "--to %s: the path may hold printable ASCII only, no spaces or "
                                "'#' (percent-encode the rest)", url);
    s->authority = dup_printf(v6 ? "[%s]:%s" : "%s:%s", host, port);
    s->path = dup_printf("%s", path);
    if (!s->authority || !s->path) return oom(err);
    s->url = dup_printf("http://%s%s", s->authority, s->path);
    if (!s->url) return oom(err);
    return VL_OK;
}

/* The sink's -X settings: compression=gzip|none. */
static int apply_props(http_sink *s, const char *url, const char *const *props, size_t n_props, vl_error *err) {
    s->gzip = true;
    for (size_t i = 0; i < n_props; i++) {
        const char *kv = props[i], *eq = strchr(kv, '=');
        size_t kn = eq ? (size_t)(eq - kv) : strlen(kv);
        if (eq && kn == 11 && memcmp(kv, "compression", 11) == 0 && (!strcmp(eq + 1, "gzip") || !strcmp(eq + 1, "none"))) {
            s->gzip = strcmp(eq + 1, "gzip") == 0;
        } else if (eq && kn == 11 && memcmp(kv, "compression", 11) == 0) {
            return vl_error_set(err, VL_EINVAL, "--to %s: -X %s: compression is gzip or none", url, kv);
        } else {
            return vl_error_set(err, VL_EINVAL, "--to %s: -X %s: unknown setting for an HTTP collector "
                                                "(known: compression=gzip|none)", url, kv);
        }
    }
    return VL_OK;
}

int gen_http_open(const char *url, const char *const *props, size_t n_props, gen_sink **out, vl_error *err) {
    *out = NULL;
    http_sink *s = vl_calloc(1, sizeof(*s));
    if (!s) return oom(err);
    s->base.ops = &http_ops;
    s->base.to = url;
    int prc = apply_props(s, url, props, n_props, err);
    if (prc != VL_OK) {
        vl_free(s);
        return prc;
    }
    for (size_t i = 0; i < HTTP_CONNS; i++) {
        http_worker *w = &s->w[i];
        w->s = s;
        w->fd = -1;
        vl_arena_init(&w->arena, 0);
        w->arena.limit = (size_t)4 << 20; /* a JSON answer of 64 KiB needs < 1 MiB */
        vl_rng_seed(&w->rng, (uint64_t)vl_now_us() ^ vl_mix64(i + 1));
    }
    atomic_init(&s->max_lines, BATCH_LINES);
    atomic_init(&s->max_bytes, BATCH_BYTES);
    atomic_init(&s->abort, false);
    atomic_init(&s->no_expect, false);
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        vl_free(s);
        return vl_error_set(err, VL_EIO, "--to %s: cannot create a mutex", url);
    }
    if (pthread_cond_init(&s->cv_work, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        vl_free(s);
        return vl_error_set(err, VL_EIO, "--to %s: cannot create a condition variable", url);
    }
    if (pthread_cond_init(&s->cv_space, NULL) != 0) {
        pthread_cond_destroy(&s->cv_work);
        pthread_mutex_destroy(&s->mu);
        vl_free(s);
        return vl_error_set(err, VL_EIO, "--to %s: cannot create a condition variable", url);
    }
    s->sync_ready = true;

    char host[256], port[16];
    int rc = parse_url(s, url, host, sizeof(host), port, sizeof(port), err);
    if (rc != VL_OK) goto fail;
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    for (size_t i = 0; i < HTTP_CONNS; i++) {
        if (vl_buf_reserve(&s->w[i].in, READ_CHUNK) != VL_OK) {
            rc = oom(err);
            goto fail;
        }
    }
    int g = getaddrinfo(host, port, &hints, &s->ai);
    if (g != 0) {
        s->ai = NULL;
        rc = vl_error_set(err, VL_EINVAL, "--to %s: cannot resolve '%s': %s", url, host,
                          g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
        goto fail;
    }

    /* The workers block every signal: the caller's thread handles them. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (size_t i = 0; i < HTTP_CONNS; i++) {
        int e = pthread_create(&s->w[i].tid, NULL, worker_main, &s->w[i]);
        if (e != 0) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            rc = vl_error_set(err, VL_EIO, "--to %s: cannot start a thread: %s", url, strerror(e));
            goto fail;
        }
        s->n_workers++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    *out = &s->base;
    return VL_OK;
fail:
    http_free(&s->base);
    return rc;
}
