/* vidlake - Apache-2.0 */
/*
 * delta internals shared by the log, scan, write and maintenance files:
 * the table handle, log file names, and a few helpers. Only the delta files
 * include this.
 */
#ifndef VL_DELTA_INT_H
#define VL_DELTA_INT_H

#include "delta.h"

struct vl_delta_table {
    vl_store *store;
    char *path;       /* "" or "dir/sub/" (with the trailing slash) */
    char *log_prefix; /* path + "_delta_log/" */
    char *name;       /* for messages: the store URL, plus the path if any */
};

/* The kinds of files in _delta_log/ that replay cares about. */
typedef enum log_kind {
    LOG_OTHER = 0,   /* .crc, temp files, compacted logs, v2 checkpoints, ... */
    LOG_COMMIT,      /* <v>.json */
    LOG_CHECKPOINT,  /* <v>.checkpoint.parquet or <v>.checkpoint.<p>.<n>.parquet */
} log_kind;

typedef struct log_name {
    log_kind kind;
    int64_t version;
    int32_t part, parts; /* multi-part checkpoints: part p of n (1-based); 1/1 otherwise */
    bool multi;          /* named <v>.checkpoint.<p>.<n>.parquet (also for 1 of 1) */
} log_name;

/* Classifies a key relative to the log prefix ("00000000000000000010.json"). */
log_name vl_delta__log_name(const char *name, size_t n);

/* "<path>_delta_log/<%020d>.json" and friends, written to out (cleared). */
int vl_delta__commit_key(const vl_delta_table *t, int64_t v, vl_buf *out) VL_MUST_CHECK;
int vl_delta__key(const vl_delta_table *t, const char *rel, size_t n, vl_buf *out) VL_MUST_CHECK;

/* Reads one commit file's actions: calls cb for each line's parsed action
 * object (the DOM lives in a, reset by the caller). */
typedef int (*vl_delta__action_cb)(void *ctx, const vl_json *action, vl_error *err);
int vl_delta__read_commit(const vl_delta_table *t, int64_t v, vl_arena *a, vl_delta__action_cb cb,
                          void *ctx, vl_error *err) VL_MUST_CHECK;

/*
 * Commits read in a given order, fetched a window ahead: on S3 the window's
 * gets run at once (vl_store_get_many), where in turn each would pay a
 * round trip. vs must outlive the reader; read them by increasing i.
 */
#define VL_DELTA__COMMIT_WINDOW 16
typedef struct vl_delta__commits {
    const vl_delta_table *t;
    const int64_t *vs;
    size_t n, base, held; /* vs[base .. base + held) are fetched */
    vl_buf keys[VL_DELTA__COMMIT_WINDOW], bodies[VL_DELTA__COMMIT_WINDOW];
    int rcs[VL_DELTA__COMMIT_WINDOW];
    vl_error errs[VL_DELTA__COMMIT_WINDOW];
} vl_delta__commits;
void vl_delta__commits_init(vl_delta__commits *c, const vl_delta_table *t, const int64_t *versions, size_t n);
void vl_delta__commits_free(vl_delta__commits *c);
/* As vl_delta__read_commit for version vs[i]. */
int vl_delta__commits_read(vl_delta__commits *c, size_t i, vl_arena *a, vl_delta__action_cb cb, void *ctx,
                           vl_error *err) VL_MUST_CHECK;

/* The newest commit version after `after` (by listing only what follows
 * it); *latest is left as it is when there is none. */
int vl_delta__latest_commit(const vl_delta_table *t, int64_t after, int64_t *latest, vl_error *err) VL_MUST_CHECK;

/* A random version-4 UUID as 36 characters plus NUL. */
void vl_delta__uuid(char out[37]);

/* Milliseconds of a duration property ("interval 7 days", "1 hour", ...),
 * or def when absent or unparsable. */
int64_t vl_delta__interval_ms(const char *text, int64_t def);

/* The value of partition column i of f parsed with its type. */
int vl_delta__file_part_value(const vl_delta_snapshot *s, const vl_delta_file *f, uint32_t i,
                              vl_delta_value *out, vl_error *err) VL_MUST_CHECK;

/* Rows of chosen files in table-schema order, as JSON cells: cells[i] for
 * schema field i (partition values filled in, missing columns "null"). Only
 * fields with want[i] are filled; the others are empty. */
typedef int (*vl_delta__row_cb)(void *ctx, const vl_sv *cells, vl_error *err);
/* Memory a caller reading many files lends to each read (NULL: private). */
typedef struct vl_delta__scratch {
    vl_arena cols; /* decoded columns of one row group */
    vl_delta_file_src src; /* the file's bytes */
} vl_delta__scratch;
void vl_delta__scratch_init(vl_delta__scratch *sc);
void vl_delta__scratch_free(vl_delta__scratch *sc);
/* What reads of files came to; each read adds to it. */
typedef struct vl_delta__read_stats {
    int64_t rows;
    uint64_t bytes;
    size_t row_groups, row_groups_pruned;
} vl_delta__read_stats;
/* where (may be NULL) prunes row groups; the rows of those kept are all
 * handed on (filtering them is the caller's). st may be NULL. */
int vl_delta__read_file_rows(const vl_delta_snapshot *s, const vl_delta_file *f, const bool *want,
                             const vl_delta_expr *where, vl_delta__scratch *sc, vl_delta__row_cb cb, void *ctx,
                             vl_delta__read_stats *st, vl_error *err) VL_MUST_CHECK;

/* Parses a cell's JSON text into a value of type t (a is scratch). */
int vl_delta__cell_value(const vl_dt_type *t, vl_sv cell, vl_arena *a, vl_delta_value *out,
                         vl_error *err) VL_MUST_CHECK;

/* Whether the files vl_delta_txn_write adds change data (default true;
 * compaction adds with false). */
void vl_delta__txn_set_data_change(vl_delta_txn *x, bool data_change);

#endif /* VL_DELTA_INT_H */
