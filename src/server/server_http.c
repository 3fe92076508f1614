/* vidlake - Apache-2.0 */
/*
 * vl_http: libmicrohttpd, one thread per connection, whole requests
 * handed to one handler. The body is gathered into a buffer that grows
 * with what arrives (never beyond max_body: a declared Content-Length
 * above it is refused with 413 at once; a chunked body that goes past it
 * is drained and then refused).
 */
#include "server.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct vl_http {
    struct MHD_Daemon *d;
    vl_http_handler h;
    void *ctx;
    size_t max_body;
    int port;
    _Atomic int64_t too_large; /* bodies refused here with 413 */
};

/* Per-request state, in MHD's *con_cls. */
struct vl_http_req {
    struct MHD_Connection *conn;
    const char *method, *path;
    vl_buf body;
    bool too_large, started;
    char client[INET6_ADDRSTRLEN];
};

const char *vl_http_req_method(const vl_http_req *r) { return r->method; }
const char *vl_http_req_path(const vl_http_req *r) { return r->path; }
const char *vl_http_req_client(const vl_http_req *r) { return r->client; }
const char *vl_http_req_header(const vl_http_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}
const char *vl_http_req_arg(const vl_http_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct args_it {
    vl_http_arg_cb cb;
    void *ctx;
} args_it;

static enum MHD_Result arg_one(void *cls, enum MHD_ValueKind kind, const char *key, const char *value) {
    (void)kind;
    const args_it *it = cls;
    return it->cb(it->ctx, key, value) ? MHD_YES : MHD_NO;
}

void vl_http_req_args(const vl_http_req *r, vl_http_arg_cb cb, void *ctx) {
    args_it it = {cb, ctx};
    (void)MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, arg_one, &it);
}

const char *vl_http_req_body(const vl_http_req *r, size_t *n) {
    *n = r->body.n;
    return r->body.p ? r->body.p : "";
}

static void free_body(void *p) { vl_free(p); }

static enum MHD_Result send_resp(struct MHD_Connection *conn, vl_http_resp *resp) {
    struct MHD_Response *r;
    if (resp->static_body) {
        r = MHD_create_response_from_buffer(resp->static_len, (void *)(uintptr_t)resp->static_body,
                                            MHD_RESPMEM_PERSISTENT);
        if (!r) return MHD_NO;
    } else {
        size_t n = resp->body.n;
        char *p = resp->body.p;
        vl_buf_init(&resp->body); /* the response takes the memory */
        static char empty[1];
        r = MHD_create_response_from_buffer_with_free_callback(n, p ? p : empty, p ? free_body : NULL);
        if (!r) {
            vl_free(p);
            return MHD_NO;
        }
    }
    if (resp->cache_control) MHD_add_response_header(r, "Cache-Control", resp->cache_control);
    MHD_add_response_header(r, "Content-Type", resp->content_type ? resp->content_type : "application/json");
    MHD_add_response_header(r, "Server", "vidlake/" VL_VERSION);
    if (resp->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof(ra), "%d", resp->retry_after);
        MHD_add_response_header(r, "Retry-After", ra);
    }
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

static void json_error(vl_http_resp *resp, int status, const char *msg) {
    resp->status = status;
    vl_json_error_doc(&resp->body, msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_n, void **con_cls) {
    (void)version;
    vl_http *s = cls;
    vl_http_req *r = *con_cls;
    if (!r) {
        r = vl_calloc(1, sizeof(*r));
        if (!r) return MHD_NO;
        r->conn = conn;
        r->method = method;
        r->path = url;
        vl_buf_init(&r->body);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->client,
                          sizeof(r->client));
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->client,
                          sizeof(r->client));
        }
        *con_cls = r;
        /* refuse a declared oversize body before reading it */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(cl, &end, 10);
            if (!errno && *end == 0 && v > s->max_body) {
                vl_http_resp resp = {0};
                vl_buf_init(&resp.body);
                char msg[160];
                snprintf(msg, sizeof(msg), "the body is %llu bytes, over the limit of %zu", v, s->max_body);
                json_error(&resp, 413, msg);
                atomic_fetch_add(&s->too_large, 1);
                enum MHD_Result ok = send_resp(conn, &resp);
                vl_buf_free(&resp.body);
                r->started = true;
                return ok;
            }
            if (!errno && *end == 0 && v > 0 && vl_buf_reserve(&r->body, (size_t)v) != VL_OK) return MHD_NO;
        }
        return MHD_YES;
    }
    if (r->started) { /* answered already (413 up front): drop what still arrives */
        *upload_n = 0;
        return MHD_YES;
    }
    if (*upload_n) {
        if (!r->too_large) {
            if (r->body.n + *upload_n > s->max_body) {
                r->too_large = true;
                vl_buf_free(&r->body);
            } else if (vl_buf_append(&r->body, upload, *upload_n) != VL_OK) {
                return MHD_NO;
            }
        }
        *upload_n = 0;
        return MHD_YES;
    }
    /* the whole request is here */
    r->started = true;
    vl_http_resp resp = {0};
    vl_buf_init(&resp.body);
    if (r->too_large) {
        char msg[160];
        snprintf(msg, sizeof(msg), "the body is over the limit of %zu bytes", s->max_body);
        json_error(&resp, 413, msg);
        atomic_fetch_add(&s->too_large, 1);
    } else {
        resp.status = 500;
        s->h(s->ctx, r, &resp);
    }
    enum MHD_Result ok = send_resp(conn, &resp);
    vl_buf_free(&resp.body);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode t) {
    (void)cls;
    (void)conn;
    (void)t;
    vl_http_req *r = *con_cls;
    if (!r) return;
    vl_buf_free(&r->body);
    vl_free(r);
    *con_cls = NULL;
}

/* libmicrohttpd's messages: its format, its arguments */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void on_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) msg[--n] = 0;
    VL_DEBUG("http", "%s", msg);
}
#pragma GCC diagnostic pop

int vl_http_start(const vl_http_opts *o, vl_http_handler h, void *ctx, vl_http **out, vl_error *err) {
    *out = NULL;
    const char *addr = o->addr && *o->addr ? o->addr : "127.0.0.1";
    if (o->port < 0 || o->port > 65535) return vl_error_set(err, VL_EINVAL, "port %d is out of range", o->port);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    bool v6 = false;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)o->port);
        v6 = true;
    } else {
        return vl_error_set(err, VL_EINVAL, "'%s' is not an IPv4 or IPv6 address", addr);
    }
    vl_http *s = vl_calloc(1, sizeof(*s));
    if (!s) return vl_error_set(err, VL_ENOMEM, "out of memory");
    s->h = h;
    s->ctx = ctx;
    s->max_body = o->max_body ? o->max_body : (64u << 20);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                     MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
    errno = 0;
    s->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s,                    /* */
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,                            /* */
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_conns ? o->max_conns : 1024), /* */
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout_s ? o->timeout_s : 60), /* */
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 * 1024),                /* */
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)511,                           /* */
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,                         /* */
                            MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,                                /* */
                            MHD_OPTION_END);
    if (!s->d) {
        int e = errno;
        vl_free(s);
        return vl_error_set(err, VL_EIO, "cannot listen on %s:%d%s%s", addr, o->port, e ? ": " : "",
                            e ? strerror(e) : "");
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    *out = s;
    return VL_OK;
}

int vl_http_port(const vl_http *s) { return s->port; }
int64_t vl_http_too_large(vl_http *s) { return atomic_load(&s->too_large); }

void vl_http_stop(vl_http *s) {
    if (!s) return;
    MHD_stop_daemon(s->d);
    vl_free(s);
}
