/* vidlake - Apache-2.0 */
/*
 * stream: the real-time engine. Valid events go in as they are decoded
 * (from the collector's pipeline, a Kafka consumer or a file); quality-of-
 * experience and engagement metrics over sliding windows come out, within
 * milliseconds of an event's arrival. docs/metrics.md has the formulas,
 * docs/api.md the windows, slices and JSON the server returns.
 *
 * Model:
 *  - Event time. `now` is the latest event_time seen, never ahead of the
 *    wall clock; the watermark is now - lateness. An event older than the
 *    watermark is counted as late and otherwise ignored (the batch layer
 *    has it).
 *  - Views. Each view_id has a small state (started, playing, ended, last
 *    event, bitrate, the event ids of its last 8 events for deduplication)
 *    that turns its events into attempts, plays, failures, watch and stall
 *    time. A view ends with a stop or a fatal error, or after view_timeout
 *    without an event; ended views are forgotten after a grace period.
 *  - Slices. Everything is counted for all views and for each value of
 *    device_type, country, cdn and os (at most 64 values per dimension; the
 *    rest share the value "(other)"), and per content_id for top-k.
 *  - Buckets. Counters per second for the retention and per minute for
 *    24 h; sketches (startup quantiles, unique viewers) per minute for an
 *    hour and per hour for 24 h. Every event is written to each granularity
 *    at once, so there is no roll-up step to fall behind.
 *
 * Threads: one mutex, taken per event by vl_rt_add (so that a writer never
 * holds it while it waits on something else) and by each query for the
 * time of one answer (microseconds to a millisecond).
 */
#ifndef VL_STREAM_H
#define VL_STREAM_H

#include "core/core.h"
#include "event/event.h"
#include "exec/exec.h"

typedef struct vl_rt vl_rt;

typedef struct vl_rt_opts {
    int64_t retention_us;    /* per-second counters; 0: 1 h (60 s .. 24 h) */
    int64_t lateness_us;     /* allowed lateness; 0: 30 s */
    int64_t view_timeout_us; /* a view without events for this long ends; 0: 10 min */
    int64_t rollup_us;       /* per-minute counters, per-hour sketches; 0: 24 h (up to 31 days) */
    bool no_wall_clock;      /* tests: `now` is the latest event time, unclamped */
} vl_rt_opts;

/** @return VL_OK; VL_EINVAL for options out of range; VL_ENOMEM. */
int vl_rt_create(const vl_rt_opts *o, vl_rt **out, vl_error *err) VL_MUST_CHECK;
void vl_rt_destroy(vl_rt *rt); /* accepts NULL */

/** @brief Adds one event (a valid one: vl_decoder_decode's output), under
 *  the engine's lock. @return VL_OK or VL_ENOMEM (the event is then not
 *  counted; the engine stays usable). */
int vl_rt_add(vl_rt *rt, const vl_event *ev) VL_MUST_CHECK;
/** @brief Lets time pass without events (call about once a second): once
 *  the engine has seen events of the present, now follows the wall clock,
 *  so that a stream that stops ends its views (concurrent plays fall to 0
 *  after the view timeout) instead of freezing at its last values. A replay
 *  of old events is never moved. */
void vl_rt_tick(vl_rt *rt);

/* Engine figures (for /metrics and /api/v1/pipeline). */
typedef struct vl_rt_stats {
    int64_t events;       /* counted */
    int64_t late_events;  /* older than the watermark */
    int64_t duplicates;   /* an event_id the view had already sent */
    int64_t views_tracked, views_timed_out, contents_tracked;
    int64_t views_joined; /* first seen mid-way (begun before): playing, not attempts */
    int64_t future_events; /* more than a minute ahead of the wall clock: not applied */
    int64_t views_dropped; /* events of new views past the views cap: counted, not tracked */
    int64_t now_us, watermark_us; /* 0 before the first event */
    int64_t memory_bytes;
    double concurrent_plays, plays_per_min, rebuffering_ratio, vsf_rate; /* last minute; NaN: no data */
} vl_rt_stats;
void vl_rt_get_stats(vl_rt *rt, vl_rt_stats *st);

/* Queries. A filter is a dimension name (device_type, country, cdn, os,
 * content_id) and a value, or NULLs for all views. Each writes a JSON
 * document (docs/api.md) to out. VL_EINVAL with a message a user can act
 * on for a bad metric, dimension, window or step. */
typedef struct vl_rt_filter {
    const char *dim, *value;
} vl_rt_filter;

int vl_rt_summary_json(vl_rt *rt, int64_t window_us, const vl_rt_filter *f, vl_buf *out, vl_error *err) VL_MUST_CHECK;
/** step_us 0: window / 60, at least 1 s. */
int vl_rt_timeseries_json(vl_rt *rt, const char *metric, int64_t window_us, int64_t step_us, const vl_rt_filter *f,
                          vl_buf *out, vl_error *err) VL_MUST_CHECK;
int vl_rt_top_json(vl_rt *rt, const char *dim, const char *metric, int k, int64_t window_us, vl_buf *out,
                   vl_error *err) VL_MUST_CHECK;
/** @brief The engine's figures as a JSON object (the "realtime" part of
 *  /api/v1/pipeline). */
int vl_rt_stats_json(vl_rt *rt, vl_buf *out) VL_MUST_CHECK;

/** @brief One metric's value over [now - window, now) for all views or a
 *  slice, as the summary computes it (tests, /metrics). NaN when undefined.
 *  @return VL_OK or VL_EINVAL (unknown metric or filter, bad window). */
int vl_rt_value(vl_rt *rt, const char *metric, int64_t window_us, const vl_rt_filter *f, double *out,
                vl_error *err) VL_MUST_CHECK;

/** @brief The i-th metric's name, in the summary's order; NULL past the last. */
const char *vl_rt_metric_name(size_t i);

#endif /* VL_STREAM_H */
