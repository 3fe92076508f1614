/* vidlake - Apache-2.0 */
/*
 * Private to src/server: the server's state, shared by the route files
 * (server_routes.c: collector, probes, /metrics, assets; server_api.c:
 * /api/v1/...; server_gold.c: /api/v1/gold/...).
 */
#ifndef VL_SERVER_INT_H
#define VL_SERVER_INT_H

#include "server.h"

#include <pthread.h>

/* A table's figures for /api/v1/tables, reloaded at most once a second. */
typedef struct vl_table_info {
    const char *name; /* "bronze/events" */
    bool exists;
    int64_t version, files, rows, bytes, last_commit_ms;
    int64_t loaded_us; /* monotonic; 0: never */
} vl_table_info;

#define VL_SERVER_TABLES 2

/* The gold tables' snapshots, shared by requests (server_gold.c). */
typedef struct vl_gold_cache vl_gold_cache;

struct vl_server {
    vl_http *http;
    vl_collector *collector;
    vl_rt *rt;
    vl_store *lake;
    int64_t started_us;
    pthread_mutex_t tables_mu;
    vl_table_info tables[VL_SERVER_TABLES];
    _Atomic(vl_kafka_metrics *) kafka; /* vl_server_set_kafka; NULL (calloc): none */
    vl_gold_cache *gold;               /* NULL without a lake */
};

/* Routes under /api/v1/; fills resp (JSON). */
void vl_server_api(vl_server *s, const vl_http_req *req, vl_http_resp *resp);

/* GET /api/v1/gold[/<table>] (server_gold.c); rest is what follows
 * "/api/v1/gold" in the path. */
void vl_server_gold(vl_server *s, const char *rest, const vl_http_req *req, vl_http_resp *resp);
/* The snapshot cache: NULL when out of memory; free accepts NULL. */
vl_gold_cache *vl_gold_cache_new(void);
void vl_gold_cache_free(vl_gold_cache *c);

/* GET /metrics (server_metrics.c). */
void vl_server_metrics(vl_server *s, vl_http_resp *resp);

/* A JSON error document with a status. */
void vl_server_json_error(vl_http_resp *resp, int status, const char *msg);

#endif /* VL_SERVER_INT_H */
