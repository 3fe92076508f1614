/* vidlake - Apache-2.0 */
/* etl: private helpers shared by the jobs. */
#ifndef VL_ETL_INT_H
#define VL_ETL_INT_H

#include "etl/etl.h"

#include <string.h>

#define VL_ETL_APP_PREFIX "vidlake-etl:"

/* A job's view of its input: the latest snapshot, the version the output
 * covers, and the input's files added since then. */
typedef struct etl_input {
    vl_delta_table *t;
    vl_delta_snapshot *now;          /* NULL: no input table yet */
    int64_t done;                    /* version the output covers; -1: none */
    const vl_delta_file **files;     /* new files (data changes only), or every file */
    size_t n_files;
    int64_t *dates;                  /* the new files' distinct event/view dates, ascending */
    size_t n_dates;
} etl_input;

/* Opens `path` in the lake and finds what changed since the version the
 * output (out, may be NULL) records for it; full: everything. The date
 * partition column is `date_col`. */
int etl_input_open(vl_store *s, const char *path, const vl_delta_snapshot *out, bool full, const char *date_col,
                   etl_input *in, vl_error *err) VL_MUST_CHECK;
void etl_input_close(etl_input *in);

/* The latest snapshot of the table at path (*out NULL when there is none). */
int etl_snapshot(vl_store *s, const char *path, vl_delta_table **t, vl_delta_snapshot **out,
                 vl_error *err) VL_MUST_CHECK;

/* Parses "<col> IN ('d1', ...)" (dates) against st into *e (memory in a). */
int etl_dates_expr(const char *col, const int64_t *dates, size_t n, const vl_dt_type *st, vl_arena *a,
                   const vl_delta_expr **e, vl_error *err) VL_MUST_CHECK;

/* The value of file f's date partition column col (days), or false. */
bool etl_file_date(const vl_delta_snapshot *s, const vl_delta_file *f, const char *col, int64_t *days);

/* Removes from x every live file whose date partition (col) is in dates. */
int etl_remove_dates(vl_delta_txn *x, const char *col, const int64_t *dates, size_t n, size_t *removed,
                     vl_error *err) VL_MUST_CHECK;

/* A set of ids (event ids, view ids) by two independent 64-bit hashes: a
 * false match needs both to collide, about 2^-100 per pair. */
typedef struct etl_idset {
    uint64_t *a, *b; /* a == 0: an empty slot */
    size_t cap, n;
} etl_idset;
/* Adds id; *fresh tells whether it was new. @return VL_OK or VL_ENOMEM. */
int etl_idset_add(etl_idset *s, vl_sv id, bool *fresh) VL_MUST_CHECK;
bool etl_idset_has(const etl_idset *s, vl_sv id);
void etl_idset_clear(etl_idset *s);
void etl_idset_free(etl_idset *s);

/* A scan consumer (vl_x_batch_cb) adding the non-null strings of each
 * batch's first column to set, under mu (workers share it). */
typedef struct etl_idsink {
    etl_idset *set;
    pthread_mutex_t *mu;
} etl_idsink;
int etl_idsink_cb(void *ctx, int worker, const vl_x_batch *b, vl_error *err);

/* ---------------------------------------------------- gold table queries */

/* An aggregation over an input's date partitions: read cols, add derived
 * columns (expressions over the columns before them), group by keys. */
typedef struct etl_query {
    const vl_delta_snapshot *in;
    const char *date_col;
    const int64_t *dates;
    size_t n_dates;
    const char *where; /* AND-ed with the dates, or NULL */
    const char *const *cols;
    uint32_t n_cols;
    const vl_x_expr *const *derived;
    uint32_t n_derived;
    const uint32_t *keys;
    const char *const *key_names;
    uint32_t n_keys;
    const vl_x_agg_spec *aggs;
    uint32_t n_aggs;
    int threads;
} etl_query;
/* Runs q into *out: the keys, then the aggregates, a row per group. */
int etl_query_run(const etl_query *q, vl_x_table **out, int64_t *rows_read, vl_error *err) VL_MUST_CHECK;
/* The output table: column i is exprs[i] over t's columns, of kind kinds[i]. */
int etl_project(const vl_x_table *t, const char *const *names, const vl_dt_kind *kinds, const vl_x_expr *const *exprs,
                uint32_t n, vl_x_table **out, vl_error *err) VL_MUST_CHECK;
/* Rewrites dates of the table at path with rows t (schema ddl, partition
 * "date"), recording the inputs' versions; fills the job's figures. */
int etl_write_gold(vl_store *s, const char *path, const char *ddl, const vl_x_table *t, const int64_t *dates,
                   size_t n_dates, bool full, etl_input *const *ins, size_t n_ins, const char *params_json,
                   vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
/* Opens the inputs of the table at out_path; *due is false when there is
 * nothing new in any of them. */
int etl_open_inputs(vl_store *s, const char *out_path, const char *const *in_paths, const char *const *date_cols,
                    size_t n, bool full, etl_input *ins, bool *due, vl_error *err) VL_MUST_CHECK;
/* The union of the inputs' changed dates, sorted and distinct. */
int etl_union_dates(etl_input *const *ins, size_t n, int64_t **out, size_t *n_out) VL_MUST_CHECK;
/* The distinct dates of a snapshot's date partitions, ascending. */
int etl_snapshot_dates(const vl_delta_snapshot *s, const char *col, int64_t **out, size_t *n_out) VL_MUST_CHECK;
/* Commits x as a job's output: records each input's version as its txn
 * (appId vidlake-etl:<input>), the operation (with params_json, may be
 * NULL), and fills the job's version and input version. */
int etl_commit(vl_delta_txn *x, etl_input *const *ins, size_t n_ins, bool full, const char *params_json,
               vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
/* probe LEFT JOIN build ON their first n_keys columns: probe's columns
 * then build's (names kept), build's null where nothing matched. */
int etl_left_join(const vl_x_table *probe, const vl_x_table *build, uint32_t n_keys, vl_x_table **out,
                  vl_error *err) VL_MUST_CHECK;
/* Prefixes err's message with the table's name. */
void etl_fail_msg(int rc, const char *table, vl_error *err);
/* A null literal of type t. */
const vl_x_expr *etl_null(vl_arena *ar, vl_x_type t);

/* Shorthands for building expressions in a function with `vl_arena ar`. */
#define N(x) (sizeof(x) / sizeof((x)[0]))
#define COL(i) vl_x_e_col(&ar, (i))
#define OP(o, x, y) vl_x_e_op(&ar, VL_X_E_##o, (x), (y))
#define I(v) vl_x_e_i64(&ar, (v))
#define F(v) vl_x_e_f64(&ar, (v))
#define S(v) vl_x_e_str(&ar, (v))
#define IF(c, x, y) vl_x_e_if(&ar, (c), (x), (y))
#define NUL(t) etl_null(&ar, (t))

/* The jobs. */
int etl_silver_events(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
int etl_silver_views(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
int etl_gold_qoe(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
int etl_gold_content(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
int etl_gold_ads(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
int etl_gold_kpi(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
int etl_gold_users(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
int etl_gold_segments(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;
int etl_gold_churn(vl_store *s, const vl_etl_opts *o, vl_etl_job *job, vl_error *err) VL_MUST_CHECK;

extern const vl_delta_commit_opts etl_commit_opts;

#endif /* VL_ETL_INT_H */
