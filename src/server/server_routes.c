/* vidlake - Apache-2.0 */
/*
 * The routes of `vidlake serve`:
 *   POST /v1/events   the collector (NDJSON or a JSON array; gzip)
 *   GET  /healthz     the process is up
 *   GET  /readyz      it accepts events (not shutting down, WAL writable)
 *   GET  /metrics     Prometheus text exposition of the pipeline figures
 * Anything else: 404, or 405 with Allow for a known path and wrong method.
 */
#include "server.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct vl_server {
    vl_http *http;
    vl_collector *collector;
    int64_t started_us;
};

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

static void metric(vl_buf *b, const char *name, const char *type, const char *help, double v) {
    if (vl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n", name, help, name, type, name, v)) return;
}

static void metrics(vl_server *s, vl_http_resp *resp) {
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    vl_buf *b = &resp->body;
    vl_buf_clear(b);
    metric(b, "vidlake_uptime_seconds", "gauge", "Seconds since the server started.",
           (double)(vl_mono_us() - s->started_us) / 1e6);
    if (!s->collector) return;
    vl_collector_stats st;
    vl_collector_get_stats(s->collector, &st);
    metric(b, "vidlake_http_event_requests_total", "counter", "POST /v1/events requests received.",
           (double)st.requests);
    metric(b, "vidlake_http_event_bytes_total", "counter", "Request body bytes received on /v1/events, as sent.",
           (double)st.bytes_in);
    metric(b, "vidlake_events_accepted_total", "counter", "Valid events acknowledged (durable in the WAL).",
           (double)st.accepted);
    metric(b, "vidlake_events_rejected_total", "counter", "Invalid events acknowledged (bound for dead letters).",
           (double)st.rejected);
    metric(b, "vidlake_http_shed_total", "counter", "Requests refused with 503 (back-pressure or shutdown).",
           (double)st.shed);
    metric(b, "vidlake_http_too_large_total", "counter", "Requests refused with 413.",
           (double)(st.too_large + vl_http_too_large(s->http)));
    metric(b, "vidlake_http_bad_requests_total", "counter", "Requests refused with 400 or 415.",
           (double)st.bad_requests);
    metric(b, "vidlake_bronze_commits_total", "counter", "Delta commits of the collector's pipeline.",
           (double)st.commits);
    metric(b, "vidlake_bronze_commit_failures_total", "counter", "Failed commits (retried from the WAL).",
           (double)st.commit_failures);
    metric(b, "vidlake_bronze_commit_last_seconds", "gauge", "Duration of the last commit.",
           (double)st.commit_us_last / 1e6);
    metric(b, "vidlake_bronze_events_committed_total", "counter", "Events committed to bronze/events.",
           (double)st.events_committed);
    metric(b, "vidlake_bronze_dead_letters_committed_total", "counter",
           "Records committed to bronze/dead_letters.", (double)st.dead_letters_committed);
    metric(b, "vidlake_bronze_optimizes_total", "counter", "Background compactions of bronze committed.",
           (double)st.optimizes);
    metric(b, "vidlake_bronze_files_compacted_total", "counter", "Small bronze files replaced by compaction.",
           (double)st.files_compacted);
    metric(b, "vidlake_pipeline_queue_bytes", "gauge", "Durable WAL bytes waiting for the pipeline.",
           (double)st.queued_bytes);
    metric(b, "vidlake_wal_committed_lsn", "gauge", "Highest WAL LSN committed to bronze.", (double)st.committed_lsn);
    metric(b, "vidlake_wal_records_total", "counter", "Records appended to the WAL.", (double)st.wal.records);
    metric(b, "vidlake_wal_bytes_total", "counter", "Bytes written to the WAL.", (double)st.wal.bytes);
    metric(b, "vidlake_wal_fsyncs_total", "counter", "WAL fdatasync calls (one per group commit).",
           (double)st.wal.fsyncs);
    metric(b, "vidlake_wal_fsync_seconds_total", "counter", "Time spent writing and syncing the WAL.",
           (double)st.wal.fsync_us_total / 1e6);
    metric(b, "vidlake_wal_segments", "gauge", "WAL segment files on disk.", (double)st.wal.segments);
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
            metrics(s, resp);
        } else if (strcmp(path, "/readyz") == 0 && s->collector && !vl_collector_ready(s->collector, why, sizeof(why))) {
            resp->status = 503;
            resp->retry_after = 1;
            vl_json_error_doc(&resp->body, why);
        } else {
            text(resp, 200, "application/json", "{\"status\":\"ok\"}\n");
        }
        return;
    }
    text(resp, 404, "application/json", "{\"error\":\"no such path\"}\n");
}

int vl_server_start(const vl_server_opts *o, vl_server **out, vl_error *err) {
    *out = NULL;
    vl_server *s = vl_calloc(1, sizeof(*s));
    if (!s) return vl_error_set(err, VL_ENOMEM, "out of memory");
    s->collector = o->collector;
    s->started_us = vl_mono_us();
    int rc = vl_http_start(&o->http, handle, s, &s->http, err);
    if (rc) {
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
    vl_free(s);
}
