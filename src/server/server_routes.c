/* vidlake - Apache-2.0 */
/*
 * The routes of `vidlake serve`:
 *   POST /v1/events   the collector (NDJSON or a JSON array; gzip)
 *   GET  /healthz     the process is up
 *   GET  /readyz      it accepts events (not shutting down, WAL writable)
 *   GET  /metrics     Prometheus text exposition of the pipeline figures
 *   GET  /api/v1/...  the JSON API (server_api.c; the gold tables: server_gold.c)
 *   GET  / and /assets/...  the dashboard, built into the binary
 * Anything else: 404, or 405 for a known path and wrong method.
 */
#include "server_assets.h"
#include "server_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void text(vl_http_resp *resp, int status, const char *ctype, const char *fmt, ...) VL_PRINTF(4, 5);
static void text(vl_http_resp *resp, int status, const char *ctype, const char *fmt, ...) {
    resp->status = status;
    resp->content_type = ctype;
    vl_buf_clear(&resp->body);
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (vl_buf_append(&resp->body, tmp, strlen(tmp)) != VL_OK) resp->status = 500;
}

static void handle(void *ctx, const vl_http_req *req, vl_http_resp *resp) {
    vl_server *s = ctx;
    const char *path = vl_http_req_path(req), *method = vl_http_req_method(req);
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    if (strcmp(path, "/v1/events") == 0) {
        if (strcmp(method, "POST") != 0) {
            text(resp, 405, "application/json", "{\"error\":\"use POST for /v1/events\"}\n");
            return;
        }
        if (!s->collector) {
            text(resp, 404, "application/json", "{\"error\":\"this server does not collect events\"}\n");
            return;
        }
        size_t n;
        const char *body = vl_http_req_body(req, &n);
        char source[80];
        snprintf(source, sizeof(source), "http:%s", vl_http_req_client(req));
        vl_collector_reply reply = {0};
        reply.body = resp->body; /* fill the response's buffer directly */
        vl_buf_init(&resp->body);
        (void)vl_collector_post(s->collector, body, n, vl_http_req_header(req, "Content-Encoding"), source, &reply);
        resp->status = reply.status;
        resp->retry_after = reply.retry_after;
        resp->content_type = "application/json";
        resp->body = reply.body;
        return;
    }
    if (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 || strcmp(path, "/metrics") == 0) {
        if (!get) {
            text(resp, 405, "application/json", "{\"error\":\"use GET for %s\"}\n", path);
            return;
        }
        char why[300];
        if (strcmp(path, "/metrics") == 0) {
            vl_server_metrics(s, resp);
        } else if (strcmp(path, "/readyz") == 0 && s->collector && !vl_collector_ready(s->collector, why, sizeof(why))) {
            resp->status = 503;
            resp->retry_after = 1;
            vl_json_error_doc(&resp->body, why);
        } else {
            text(resp, 200, "application/json", "{\"status\":\"ok\"}\n");
        }
        return;
    }
    if (strncmp(path, "/api/v1/", 8) == 0) {
        vl_server_api(s, req, resp);
        return;
    }
    const vl_asset *a = get ? vl_server_asset(path) : NULL;
    if (a) {
        resp->status = 200;
        resp->content_type = a->content_type;
        resp->cache_control = "no-cache"; /* revalidate: a new binary serves new files */
        resp->static_body = a->data;
        resp->static_len = a->len;
        return;
    }
    text(resp, 404, "application/json", "{\"error\":\"no such path\"}\n");
}

int vl_server_start(const vl_server_opts *o, vl_server **out, vl_error *err) {
    *out = NULL;
    vl_server *s = vl_calloc(1, sizeof(*s));
    if (!s) return vl_error_set(err, VL_ENOMEM, "out of memory");
    s->collector = o->collector;
    s->rt = o->rt;
    s->lake = o->lake;
    s->started_us = vl_mono_us();
    pthread_mutex_init(&s->tables_mu, NULL);
    s->tables[0].name = "bronze/events";
    s->tables[1].name = "bronze/dead_letters";
    if (s->lake && !(s->gold = vl_gold_cache_new())) {
        pthread_mutex_destroy(&s->tables_mu);
        vl_free(s);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    int rc = vl_http_start(&o->http, handle, s, &s->http, err);
    if (rc) {
        vl_gold_cache_free(s->gold);
        pthread_mutex_destroy(&s->tables_mu);
        vl_free(s);
        return rc;
    }
    *out = s;
    return VL_OK;
}

int vl_server_port(const vl_server *s) { return vl_http_port(s->http); }

void vl_server_stop(vl_server *s) {
    if (!s) return;
    vl_http_stop(s->http);
    vl_gold_cache_free(s->gold);
    pthread_mutex_destroy(&s->tables_mu);
    vl_free(s);
}
