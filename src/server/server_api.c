/* vidlake - Apache-2.0 */
/*
 * The JSON API of `vidlake serve` (docs/api.md):
 *   GET /api/v1/realtime/summary     ?window=5m&<one dimension filter>
 *   GET /api/v1/realtime/timeseries  ?metric=plays&window=15m&step=15s&<filter>
 *   GET /api/v1/realtime/top         ?dim=content_id&metric=plays&k=10&window=5m
 *   GET /api/v1/tables               each table's version, files, rows, last commit
 *   GET /api/v1/pipeline             the collector's and the engine's figures
 *   GET /api/v1/gold[/<table>]       the daily gold tables (server_gold.c)
 * Parameters are checked here (400 naming the parameter); the engine
 * (src/stream) answers the real-time queries under its lock, in well under
 * a millisecond for the default windows.
 */
#include "server_int.h"

#include "delta/delta.h"

#include <stdio.h>
#include <string.h>

static const char *const filter_dims[] = {"device_type", "country", "cdn", "os"};

void vl_server_json_error(vl_http_resp *resp, int status, const char *msg) {
    resp->status = status;
    resp->content_type = "application/json";
    vl_buf_clear(&resp->body);
    vl_json_error_doc(&resp->body, msg);
}

static void bad(vl_http_resp *resp, const char *msg) { vl_server_json_error(resp, 400, msg); }

/* A duration parameter, or def when absent. @return false (400 sent) when bad. */
static bool duration_arg(const vl_http_req *req, vl_http_resp *resp, const char *name, int64_t def, int64_t *out) {
    const char *v = vl_http_req_arg(req, name);
    *out = def;
    if (!v) return true;
    vl_error e;
    if (vl_parse_duration_us(v, out, &e) != VL_OK || *out <= 0) {
        char msg[300];
        snprintf(msg, sizeof(msg), "%s: '%.64s' is not a duration such as 30s, 5m or 1h", name, v);
        bad(resp, msg);
        return false;
    }
    return true;
}

/* The dimension filter: at most one of the dimensions. */
static bool filter_arg(const vl_http_req *req, vl_http_resp *resp, vl_rt_filter *f) {
    f->dim = f->value = NULL;
    for (size_t i = 0; i < sizeof(filter_dims) / sizeof(filter_dims[0]); i++) {
        const char *v = vl_http_req_arg(req, filter_dims[i]);
        if (!v) continue;
        if (f->dim) {
            char msg[200];
            snprintf(msg, sizeof(msg), "filter by one dimension at a time (%s and %s given)", f->dim, filter_dims[i]);
            bad(resp, msg);
            return false;
        }
        f->dim = filter_dims[i];
        f->value = v;
    }
    if (vl_http_req_arg(req, "content_id")) {
        bad(resp, "content_id is not a filter: use /api/v1/realtime/top?dim=content_id");
        return false;
    }
    return true;
}

static void answer(vl_http_resp *resp, int rc, const vl_error *e) {
    if (rc == VL_OK) {
        resp->status = 200;
        resp->content_type = "application/json";
        resp->cache_control = "no-store";
        return;
    }
    vl_server_json_error(resp, rc == VL_EINVAL ? 400 : rc == VL_ENOMEM ? 503 : 500, e->msg);
}

static void realtime(vl_server *s, const char *what, const vl_http_req *req, vl_http_resp *resp) {
    if (!s->rt) {
        vl_server_json_error(resp, 404, "this server runs no real-time engine");
        return;
    }
    vl_rt_filter f;
    vl_error e = {0};
    int64_t window, step;
    vl_buf_clear(&resp->body);
    if (strcmp(what, "summary") == 0) {
        if (!duration_arg(req, resp, "window", 300 * 1000000LL, &window) || !filter_arg(req, resp, &f)) return;
        answer(resp, vl_rt_summary_json(s->rt, window, f.dim ? &f : NULL, &resp->body, &e), &e);
    } else if (strcmp(what, "timeseries") == 0) {
        const char *metric = vl_http_req_arg(req, "metric");
        if (!metric) {
            bad(resp, "metric: required, e.g. metric=plays (any key of the summary's metrics)");
            return;
        }
        if (!duration_arg(req, resp, "window", 900 * 1000000LL, &window) ||
            !duration_arg(req, resp, "step", 0, &step) || !filter_arg(req, resp, &f))
            return;
        answer(resp, vl_rt_timeseries_json(s->rt, metric, window, step, f.dim ? &f : NULL, &resp->body, &e), &e);
    } else if (strcmp(what, "top") == 0) {
        const char *dim = vl_http_req_arg(req, "dim"), *metric = vl_http_req_arg(req, "metric");
        const char *ks = vl_http_req_arg(req, "k");
        int64_t k = 10;
        if (ks && (vl_parse_i64(ks, strlen(ks), &k) != VL_OK || k < 1 || k > 100)) {
            bad(resp, "k: a whole number from 1 to 100");
            return;
        }
        if (!duration_arg(req, resp, "window", 300 * 1000000LL, &window)) return;
        answer(resp,
               vl_rt_top_json(s->rt, dim ? dim : "content_id", metric ? metric : "plays", (int)k, window,
                              &resp->body, &e),
               &e);
    } else {
        vl_server_json_error(resp, 404, "no such path: /api/v1/realtime/ has summary, timeseries and top");
    }
}

/* Reloads a table's figures when they are older than a second. */
static void table_refresh(vl_server *s, vl_table_info *ti) {
    int64_t now = vl_mono_us();
    if (ti->loaded_us && now - ti->loaded_us < 1000000) return;
    ti->loaded_us = now;
    vl_delta_table *t = NULL;
    vl_delta_snapshot *snap = NULL;
    vl_error e;
    if (vl_delta_table_open(s->lake, ti->name, &t, &e) != VL_OK) return;
    int rc = vl_delta_snapshot_load(t, VL_DELTA_LATEST, &snap, &e);
    if (rc == VL_OK) {
        ti->exists = true;
        ti->version = snap->version;
        ti->files = (int64_t)snap->n_files;
        ti->rows = snap->num_records;
        ti->bytes = snap->size_bytes;
        ti->last_commit_ms = snap->timestamp_ms;
    } else if (rc == VL_ENOTFOUND) {
        ti->exists = false;
    } /* other errors: keep the last figures */
    vl_delta_snapshot_free(snap);
    vl_delta_table_close(t);
}

static void tables(vl_server *s, vl_http_resp *resp) {
    if (!s->lake) {
        vl_server_json_error(resp, 404, "this server has no lake");
        return;
    }
    vl_buf *b = &resp->body;
    vl_buf_clear(b);
    int rc = vl_buf_puts(b, "{\"tables\":[");
    pthread_mutex_lock(&s->tables_mu);
    for (int i = 0; rc == VL_OK && i < VL_SERVER_TABLES; i++) {
        vl_table_info *ti = &s->tables[i];
        table_refresh(s, ti);
        const char *lake = vl_store_url(s->lake);
        char url[1200];
        size_t ln = strlen(lake);
        snprintf(url, sizeof(url), "%s%s%s", lake, ln && lake[ln - 1] == '/' ? "" : "/", ti->name);
        rc = vl_buf_printf(b, "%s{\"name\":\"%s\",\"url\":", i ? "," : "", ti->name);
        if (!rc) rc = vl_buf_json_str(b, url, strlen(url));
        if (!rc && !ti->exists) {
            rc = vl_buf_puts(b, ",\"version\":null,\"files\":0,\"rows\":0,\"bytes\":0,\"last_commit\":null}");
        } else if (!rc) {
            char ts[48];
            ts[vl_ts_format(ts, ti->last_commit_ms * 1000)] = 0;
            rc = vl_buf_printf(b, ",\"version\":%lld,\"files\":%lld,\"rows\":%lld,\"bytes\":%lld,\"last_commit\":\"%s\"}",
                               (long long)ti->version, (long long)ti->files, (long long)ti->rows,
                               (long long)ti->bytes, ts);
        }
    }
    pthread_mutex_unlock(&s->tables_mu);
    if (!rc) rc = vl_buf_puts(b, "]}");
    vl_error e;
    if (rc) vl_error_set(&e, VL_ENOMEM, "out of memory");
    answer(resp, rc, &e);
}

static void pipeline(vl_server *s, vl_http_resp *resp) {
    vl_buf *b = &resp->body;
    vl_buf_clear(b);
    int rc = vl_buf_printf(b, "{\"uptime_s\":%.1f", (double)(vl_mono_us() - s->started_us) / 1e6);
    if (!rc && s->collector) {
        vl_collector_stats st;
        vl_collector_get_stats(s->collector, &st);
        char why[200];
        bool ready = vl_collector_ready(s->collector, why, sizeof(why));
        rc = vl_buf_printf(b,
                           ",\"collector\":{\"requests\":%lld,\"events_received\":%lld,\"events_accepted\":%lld,"
                           "\"events_rejected\":%lld,\"bytes_received\":%lld,\"backlog_bytes\":%lld,"
                           "\"events_committed\":%lld,\"dead_letters_committed\":%lld,\"commits\":%lld,"
                           "\"commit_failures\":%lld,\"last_commit_s\":%.6f,\"wal_fsyncs\":%lld,\"shed\":%lld,"
                           "\"ready\":%s}",
                           (long long)st.requests, (long long)(st.accepted + st.rejected), (long long)st.accepted,
                           (long long)st.rejected, (long long)st.bytes_in, (long long)st.queued_bytes,
                           (long long)st.events_committed, (long long)st.dead_letters_committed,
                           (long long)st.commits, (long long)st.commit_failures, (double)st.commit_us_last / 1e6,
                           (long long)st.wal.fsyncs, (long long)st.shed, ready ? "true" : "false");
    }
    if (!rc && s->rt) {
        rc = vl_buf_puts(b, ",\"realtime\":");
        if (!rc) rc = vl_rt_stats_json(s->rt, b);
    }
    if (!rc) rc = vl_buf_putc(b, '}');
    vl_error e;
    if (rc) vl_error_set(&e, VL_ENOMEM, "out of memory");
    answer(resp, rc, &e);
}

void vl_server_api(vl_server *s, const vl_http_req *req, vl_http_resp *resp) {
    const char *path = vl_http_req_path(req), *method = vl_http_req_method(req);
    const char *p = path + strlen("/api/v1/");
    bool gold = strncmp(p, "gold", 4) == 0 && (p[4] == 0 || p[4] == '/');
    bool known = strcmp(p, "realtime/summary") == 0 || strcmp(p, "realtime/timeseries") == 0 ||
                 strcmp(p, "realtime/top") == 0 || strcmp(p, "tables") == 0 || strcmp(p, "pipeline") == 0 || gold;
    if (known && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        vl_server_json_error(resp, 405, "the API answers GET only");
        return;
    }
    if (strncmp(p, "realtime/", 9) == 0) realtime(s, p + 9, req, resp);
    else if (strcmp(p, "tables") == 0) tables(s, resp);
    else if (strcmp(p, "pipeline") == 0) pipeline(s, resp);
    else if (gold) vl_server_gold(s, p + 4, req, resp);
    else vl_server_json_error(resp, 404, "no such path: the API has /api/v1/realtime/{summary,timeseries,top}, "
                                         "/api/v1/tables, /api/v1/pipeline and /api/v1/gold/<table>");
}
