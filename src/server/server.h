/* vidlake - Apache-2.0 */
/*
 * server: vidlake's HTTP front. Two layers:
 *
 *  - vl_http: a small HTTP/1.1 server on libmicrohttpd (Debian's
 *    libmicrohttpd). A request reaches the handler whole: method, path,
 *    query arguments, headers and the body (up to max_body bytes; a larger
 *    Content-Length is answered 413 before the body is read). One thread per
 *    connection: a handler may block (the collector waits for the WAL's
 *    fsync) without holding up other clients, and collectors keep few,
 *    long-lived connections. The number of connections is capped.
 *
 *  - vl_server: the routes of `vidlake serve`: POST /v1/events (the
 *    collector), GET /healthz, /readyz and /metrics (Prometheus text
 *    format), the JSON API under /api/v1/ (docs/api.md) and the dashboard
 *    at /.
 */
#ifndef VL_SERVER_H
#define VL_SERVER_H

#include "core/core.h"
#include "ingest/ingest.h"

typedef struct vl_http vl_http;
typedef struct vl_http_req vl_http_req;

typedef struct vl_http_resp {
    int status;
    const char *content_type; /* static string; NULL: application/json */
    int retry_after;          /* seconds, > 0 adds Retry-After */
    const char *cache_control; /* static string; NULL: no Cache-Control header */
    const void *static_body;  /* non-NULL: sent instead of body, never freed */
    size_t static_len;
    vl_buf body;
} vl_http_resp;

/* Called on a connection thread for each complete request; fills resp. */
typedef void (*vl_http_handler)(void *ctx, const vl_http_req *req, vl_http_resp *resp);

typedef struct vl_http_opts {
    const char *addr;       /* IPv4 or IPv6 literal, NULL: 127.0.0.1 */
    int port;               /* 0: an ephemeral port (see vl_http_port) */
    size_t max_body;        /* 0: 64 MiB (as sent, before any gunzip) */
    unsigned max_conns;     /* 0: 1024 */
    unsigned timeout_s;     /* idle connection timeout, 0: 60 */
} vl_http_opts;

/** @brief Binds and starts serving. @return VL_OK, VL_EINVAL (bad address),
 *  VL_EIO (cannot bind: the message names the address and why). */
int vl_http_start(const vl_http_opts *o, vl_http_handler h, void *ctx, vl_http **out, vl_error *err) VL_MUST_CHECK;
/** @brief The port it listens on. */
int vl_http_port(const vl_http *s);
/** @brief Requests refused with 413 before the handler (body too large). */
int64_t vl_http_too_large(vl_http *s);
/** @brief Stops accepting, waits for the requests in progress, frees. */
void vl_http_stop(vl_http *s); /* accepts NULL */

const char *vl_http_req_method(const vl_http_req *r);
const char *vl_http_req_path(const vl_http_req *r);
/** @brief A header's value (case-insensitive name), NULL when absent. */
const char *vl_http_req_header(const vl_http_req *r, const char *name);
/** @brief A query argument's value (URL-decoded), NULL when absent. */
const char *vl_http_req_arg(const vl_http_req *r, const char *name);
/* Receives one query argument: key and value URL-decoded, value NULL for a
 * bare "?key". Return true to go on, false to stop. */
typedef bool (*vl_http_arg_cb)(void *ctx, const char *key, const char *value);
/** @brief Calls cb for each query argument in the order sent, a repeated
 *  key once per occurrence (vl_http_req_arg sees only the first). The
 *  strings live as long as the request. */
void vl_http_req_args(const vl_http_req *r, vl_http_arg_cb cb, void *ctx);
const char *vl_http_req_body(const vl_http_req *r, size_t *n);
/** @brief The client's address, e.g. "127.0.0.1". */
const char *vl_http_req_client(const vl_http_req *r);

/* ---------------------------------------------------------- vidlake serve */

typedef struct vl_server vl_server;

typedef struct vl_server_opts {
    vl_http_opts http;
    vl_collector *collector; /* POST /v1/events; NULL: 404 */
    vl_rt *rt;               /* /api/v1/realtime/...; NULL: 404 */
    vl_store *lake;          /* /api/v1/tables and /api/v1/gold; NULL: 404 */
} vl_server_opts;

int vl_server_start(const vl_server_opts *o, vl_server **out, vl_error *err) VL_MUST_CHECK;
int vl_server_port(const vl_server *s);
/** @brief Adds a Kafka member's figures (lag per partition, counts,
 *  commit and file-size histograms) to GET /metrics; NULL removes them.
 *  Thread-safe, any time after vl_server_start.
 *  @note m must stay valid until vl_server_stop or until replaced. */
void vl_server_set_kafka(vl_server *s, vl_kafka_metrics *m);
/** @brief Stops the HTTP side; the collector is the caller's to close. */
void vl_server_stop(vl_server *s); /* accepts NULL */

#endif /* VL_SERVER_H */
