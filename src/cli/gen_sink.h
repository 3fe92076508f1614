/* vidlake - Apache-2.0 */
/*
 * Where `vidlake generate` sends its lines (--to): a file or stdout, the
 * HTTP collector of `vidlake serve` (batched POSTs), or a Kafka topic. The
 * generator hands over chunks of whole NDJSON lines; a sink may batch them
 * further, and gen_sink_finish delivers everything still held (waiting for
 * acknowledgements) before the command exits.
 */
#ifndef VL_CLI_GEN_SINK_H
#define VL_CLI_GEN_SINK_H

#include "core/core.h"

typedef struct gen_sink gen_sink;

/* One kind of sink. Each function returns VL_OK or an error code with err
 * set (naming the destination); write takes whole lines ("...\n"...). */
typedef struct gen_sink_ops {
    int (*write)(gen_sink *s, const char *lines, size_t n, vl_error *err);
    int (*finish)(gen_sink *s, vl_error *err);
    void (*free)(gen_sink *s);
} gen_sink_ops;

struct gen_sink {
    const gen_sink_ops *ops;
    const char *to;   /* as given to --to */
    uint64_t lines;   /* delivered (acknowledged) so far, for the summary */
};

/* Opens the sink `to` names: "-" (stdout), a file path, http://HOST:PORT[/path]
 * or kafka://BROKERS/TOPIC. props are the "key=value" settings of -X: passed
 * through to the Kafka producer; for HTTP, compression=gzip|none; a file
 * takes none. */
int gen_sink_open(const char *to, const char *const *props, size_t n_props, gen_sink **out,
                  vl_error *err) VL_MUST_CHECK;

static inline int gen_sink_write(gen_sink *s, const char *lines, size_t n, vl_error *err) {
    return n ? s->ops->write(s, lines, n, err) : VL_OK;
}
static inline int gen_sink_finish(gen_sink *s, vl_error *err) { return s->ops->finish(s, err); }
static inline void gen_sink_free(gen_sink *s) {
    if (s) s->ops->free(s);
}

/* The network sinks (gen_http.c, gen_kafka.c). */
int gen_http_open(const char *url, const char *const *props, size_t n_props, gen_sink **out,
                  vl_error *err) VL_MUST_CHECK;
int gen_kafka_open(const char *url, const char *const *props, size_t n_props, gen_sink **out,
                   vl_error *err) VL_MUST_CHECK;

#endif /* VL_CLI_GEN_SINK_H */
