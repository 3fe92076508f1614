/* vidlake - Apache-2.0 */
/*
 * etl: the batch layer. Jobs read the lake's tables with the execution
 * engine (src/exec) and write derived Delta tables:
 *
 *   bronze/events -> silver/events   deduplicated by event_id (within an
 *                                     event_date partition, where a resent
 *                                     event always lands), appended
 *   silver/events -> silver/views    one row per view, its date partitions
 *                                     rewritten when their events change
 *
 * Every job is incremental and idempotent: the target table's commits
 * carry, as a txn action (appId "vidlake-etl:<input table>"), the input
 * version they cover; a run compares the input's live files at that
 * version with the latest and processes only the partitions new files
 * touched (files an OPTIMIZE re-added, dataChange false, are skipped).
 * A job's output is one commit, so a run killed mid-way leaves the table
 * as it was (and data files no commit references, which vacuum removes),
 * and the next run does the work again. `full` rebuilds every partition.
 *
 * Definitions (docs/metrics.md) are the real-time engine's.
 */
#ifndef VL_ETL_H
#define VL_ETL_H

#include "core/core.h"
#include "exec/exec.h"
#include "store/store.h"

#include <stdatomic.h>

typedef struct vl_etl_opts {
    bool full;   /* rebuild everything from the inputs */
    int threads; /* 0: the machine's cores (at most 8) */
    /* called after each job with a one-line summary (may be NULL) */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    /* when set (e.g. on shutdown), the run stops before its next job */
    const atomic_bool *stop;
    /* a progress bar (may be NULL): jobs done of all, labelled by the job running */
    vl_progress *progress;
} vl_etl_opts;

/* What one job did. */
typedef struct vl_etl_job {
    char table[32];          /* the output, e.g. "silver/views" */
    bool ran;                /* false: already up to date */
    int64_t input_version;   /* the input version now covered */
    int64_t version;         /* the output's new version (-1 if none) */
    size_t partitions;       /* partitions written */
    int64_t rows_read, rows_written;
    double seconds;
    char note[128];          /* anything else worth saying (a model's AUC) */
} vl_etl_job;

#define VL_ETL_MAX_JOBS 16
typedef struct vl_etl_stats {
    vl_etl_job jobs[VL_ETL_MAX_JOBS];
    size_t n_jobs;
} vl_etl_stats;

/**
 * @brief Runs every job in order on the lake in store s.
 * @return VL_OK (nothing to do when there is no bronze/events yet);
 *         the engine's, the store's and Delta's errors, naming the job.
 */
int vl_etl_run(vl_store *s, const vl_etl_opts *o, vl_etl_stats *st, vl_error *err) VL_MUST_CHECK;

#endif /* VL_ETL_H */
