/* vidlake - Apache-2.0 */
/*
 * delta: Delta Lake tables (delta-io/delta PROTOCOL.md) over the object-store
 * interface of src/store, so a table on the local disk and one on S3 are the
 * same code.
 *
 *  - Schemas: the Spark JSON schema of metaData.schemaString, parsed into a
 *    type tree (every primitive, decimals, nested struct/array/map) and
 *    written back; the mapping to Parquet schemas for data files.
 *  - Reading: log replay from the newest usable checkpoint (classic, single-
 *    or multi-part, found through _last_checkpoint or by listing) plus the
 *    JSON commits after it, into a snapshot: protocol, metadata, live files
 *    with typed partition values and stats, txn versions. Time travel by
 *    version or timestamp. Scans with projection, partition values, columns
 *    missing from older files as null, and file pruning by partition values
 *    and stats for simple predicates.
 *  - Writing: transactions that add and remove files, set metadata and txn
 *    versions, and commit by put-if-absent of the next log entry, with the
 *    protocol's conflict rules and retries. Checkpoints in the classic layout,
 *    log cleanup, optimize and vacuum.
 *
 * Refused, with an error naming the feature, never read wrongly: reader
 * versions above 1 unless every listed reader feature is one we support
 * (none today: deletion vectors, column mapping, v2 checkpoints, ...), and
 * writer features we do not implement when writing.
 *
 * Handles: a vl_delta_table is a store plus the table's key prefix; it is
 * immutable and may be shared by threads. A snapshot is immutable after load
 * and owns all its memory (one arena). A transaction belongs to one thread.
 */
#ifndef VL_DELTA_H
#define VL_DELTA_H

#include "core/core.h"
#include "parquet/parquet.h"
#include "store/store.h"

/* ================================================================ schema */

typedef enum vl_dt_kind {
    VL_DT_STRING = 0,
    VL_DT_LONG,
    VL_DT_INTEGER,
    VL_DT_SHORT,
    VL_DT_BYTE,
    VL_DT_FLOAT,
    VL_DT_DOUBLE,
    VL_DT_BOOLEAN,
    VL_DT_BINARY,
    VL_DT_DATE,
    VL_DT_TIMESTAMP,     /* µs since the epoch, UTC */
    VL_DT_TIMESTAMP_NTZ, /* µs, no time zone */
    VL_DT_DECIMAL,
    VL_DT_STRUCT,
    VL_DT_ARRAY,
    VL_DT_MAP,
} vl_dt_kind;

typedef struct vl_dt_field vl_dt_field;
typedef struct vl_dt_type vl_dt_type;

struct vl_dt_type {
    vl_dt_kind kind;
    int32_t precision, scale;    /* DECIMAL */
    vl_dt_field *fields;         /* STRUCT */
    uint32_t n_fields;
    vl_dt_type *elem;            /* ARRAY element */
    vl_dt_type *key, *value;     /* MAP */
    bool contains_null;          /* ARRAY containsNull, MAP valueContainsNull */
};

struct vl_dt_field {
    vl_sv name;
    vl_dt_type type;
    bool nullable;
    vl_sv metadata; /* the field's "metadata" object as JSON text ("{}" if none) */
};

/**
 * @brief Parses a Spark JSON schema (metaData.schemaString): a struct whose
 * fields have name, type, nullable and metadata.
 * @param a receives the tree; names point into a.
 * @return VL_OK; VL_ECORRUPT naming the field and what is wrong (unknown
 *         type, bad decimal, duplicate name, ...); VL_ENOMEM.
 */
int vl_delta_schema_parse(const char *json, size_t n, vl_arena *a, vl_dt_type *out,
                          vl_error *err) VL_MUST_CHECK;

/** @brief Appends the Spark JSON schema of a struct type to out. */
int vl_delta_schema_write(const vl_dt_type *root, vl_buf *out, vl_error *err) VL_MUST_CHECK;

/** @brief Appends the type's SQL-ish name: "long", "decimal(5,3)",
 *  "array<short>", "map<string,int>", "struct<a:int,b:string>". */
int vl_delta_type_name(const vl_dt_type *t, vl_buf *out) VL_MUST_CHECK;

/**
 * @brief Parses a type name as written by vl_delta_type_name (and the Spark
 * aliases int/bigint/smallint/tinyint/bool), e.g. for `table create --schema
 * "id long, name string, price decimal(10,2)"`.
 */
int vl_delta_type_parse(const char *s, size_t n, vl_arena *a, vl_dt_type *out,
                        vl_error *err) VL_MUST_CHECK;

/**
 * @brief Parses a column list "name type[ NOT NULL], ..." into a struct.
 * @return VL_OK or VL_EINVAL naming the position.
 */
int vl_delta_schema_from_ddl(const char *ddl, vl_arena *a, vl_dt_type *out,
                             vl_error *err) VL_MUST_CHECK;

/** @brief Deep equality of two types (names compared exactly). */
bool vl_delta_type_equal(const vl_dt_type *a, const vl_dt_type *b);

/** @brief The field named `name` of a struct, or NULL. Exact match. */
const vl_dt_field *vl_delta_field_find(const vl_dt_type *st, vl_sv name, uint32_t *index);

/**
 * @brief The Parquet schema (flat, depth-first, root first) for the given
 * fields of a struct, as Spark writes it: string → BYTE_ARRAY STRING, long →
 * INT64, int → INT32, short/byte → INT32 with INTEGER(16/8), date → INT32
 * DATE, timestamp → INT64 TIMESTAMP(MICROS, utc), timestamp_ntz → INT64
 * TIMESTAMP(MICROS, not utc), decimal(p,s) → INT32/INT64/FIXED_LEN_BYTE_ARRAY
 * by precision, binary → BYTE_ARRAY, arrays/maps as three-level LIST/MAP.
 * @param keep which fields of st to include (NULL: all).
 * @param a receives the elements (names point into st or a).
 */
int vl_delta_schema_to_parquet(const vl_dt_type *st, const bool *keep, vl_arena *a,
                               vl_pq_schema_elem **out, uint32_t *n_out,
                               vl_error *err) VL_MUST_CHECK;

/*
 * A scalar value of a Delta primitive type, as used by partition values,
 * statistics and predicates. Integers of every width, dates (days),
 * timestamps (µs) and decimals (unscaled, when they fit 64 bits) are held in
 * i; float/double in d; string/binary in s; boolean in i (0/1).
 */
typedef struct vl_delta_value {
    bool is_null;
    int64_t i;
    double d;
    vl_sv s;
} vl_delta_value;

/* ====================================================== rows to columns */

/*
 * A shredder turns rows given as JSON objects (NDJSON input of `table
 * append`) into the Parquet leaf columns of a struct's fields (Dremel
 * definition and repetition levels), ready for vl_delta_txn_write. Values
 * follow the conventions of scan output, so scan | append round-trips:
 * numbers for integers and floats ("NaN", "Infinity", "-Infinity" as
 * strings), "YYYY-MM-DD" dates, ISO-8601 timestamps, decimals as strings or
 * numbers, base64 binary, arrays, objects for structs and for maps with
 * string keys, arrays of [key, value] for other maps. Missing keys are null.
 */
typedef struct vl_delta_shredder vl_delta_shredder;

/**
 * @param keep which fields of st to shred (NULL: all), e.g. every field but
 *        the partition columns; the columns are those of
 *        vl_delta_schema_to_parquet(st, keep).
 */
int vl_delta_shredder_new(const vl_dt_type *st, const bool *keep, vl_delta_shredder **out,
                          vl_error *err) VL_MUST_CHECK;
void vl_delta_shredder_free(vl_delta_shredder *sh); /* accepts NULL */

/**
 * @brief Appends one row. On error nothing of the row is kept.
 * @return VL_OK; VL_EINVAL naming the field and the problem (wrong type, a
 *         null in a non-nullable field, a value out of range, an unknown
 *         key); VL_ENOMEM.
 */
int vl_delta_shredder_add(vl_delta_shredder *sh, const vl_json *row, vl_error *err) VL_MUST_CHECK;
size_t vl_delta_shredder_rows(const vl_delta_shredder *sh);
/** @brief The columns so far (valid until the next add or reset). */
const vl_pq_column *vl_delta_shredder_columns(const vl_delta_shredder *sh, uint32_t *n_leaves);
/** @brief Forgets the rows, keeps the capacity. */
void vl_delta_shredder_reset(vl_delta_shredder *sh);

/**
 * @brief Converts a JSON value to a scalar of primitive type t, with the
 * same conventions (for partition columns of appended rows).
 * @param a receives string bytes when unescaping or decoding is needed.
 */
int vl_delta_value_from_json(const vl_dt_type *t, const vl_json *v, vl_arena *a,
                             vl_delta_value *out, vl_error *err) VL_MUST_CHECK;

/* ================================================================ values */


/**
 * @brief Parses a partition value string (add.partitionValues) of type t.
 * A NULL pointer (JSON null) or an empty string is null. Timestamps accept
 * "2021-09-08 11:11:11[.ffffff]" (UTC) and ISO-8601; dates "YYYY-MM-DD";
 * booleans "true"/"false"; decimals "12.50".
 * @return VL_OK; VL_ECORRUPT naming the text and the type; VL_ENOTSUP for
 *         nested types (which cannot be partition columns).
 */
int vl_delta_value_parse(const vl_dt_type *t, const char *s, size_t n, bool is_null,
                         vl_delta_value *out, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Appends the value as a partition value string (as Spark writes it):
 * timestamps "2021-09-08 11:11:11.123456" (fraction dropped when zero),
 * dates "YYYY-MM-DD", decimals with their scale. Nulls append nothing; the
 * caller writes a JSON null.
 */
int vl_delta_value_format(const vl_dt_type *t, const vl_delta_value *v, vl_buf *out) VL_MUST_CHECK;

/**
 * @brief Appends the value as a JSON cell with the row conventions of
 * DESIGN.md (numbers, "YYYY-MM-DD", ISO timestamps with µs, decimal strings,
 * base64 binary, null).
 */
int vl_delta_value_json(const vl_dt_type *t, const vl_delta_value *v, vl_buf *out) VL_MUST_CHECK;

/** @brief Three-way comparison of two non-null values of type t (strings
 *  and binary as unsigned bytes, NaN greatest). */
int vl_delta_value_cmp(const vl_dt_type *t, const vl_delta_value *a, const vl_delta_value *b);

/**
 * @brief Hive-style partition directory component "col=value" with the
 * characters Spark escapes written as %XX (null → __HIVE_DEFAULT_PARTITION__).
 */
int vl_delta_partition_dir(vl_sv col, const char *value, size_t n, bool is_null,
                           vl_buf *out) VL_MUST_CHECK;

/** @brief Percent-encodes a relative path for add.path (RFC 3986 path chars
 *  kept, '/' kept) and decodes it back. */
int vl_delta_path_encode(const char *p, size_t n, vl_buf *out) VL_MUST_CHECK;
int vl_delta_path_decode(const char *p, size_t n, vl_buf *out, vl_error *err) VL_MUST_CHECK;

/* ============================================================ predicates */

/*
 * A predicate for `scan --where`: comparisons of a top-level column with
 * literals, combined with AND, OR, NOT and parentheses:
 *   a = 1 AND b IN ('x', 'y') OR c IS NULL AND NOT (d >= 2.5)
 * Operators: = != <> < <= > >= IN (...) NOT IN (...) IS NULL IS NOT NULL.
 * Literals: integers, decimals, 'strings' ('' escapes a quote), true, false,
 * null, and strings for dates and timestamps (typed by the column).
 * Column names may be quoted with backquotes or double quotes.
 */
typedef struct vl_delta_expr vl_delta_expr;

/**
 * @brief Parses `text` against the struct st (column names resolved, literals
 * converted to the column's type).
 * @param a receives the expression tree.
 * @return VL_OK; VL_EINVAL with the byte offset and what was expected, or
 *         naming an unknown column or a literal of the wrong type.
 */
int vl_delta_expr_parse(const char *text, const vl_dt_type *st, vl_arena *a,
                        const vl_delta_expr **out, vl_error *err) VL_MUST_CHECK;

/* Tri-state outcome of evaluating a predicate when some inputs are unknown. */
enum { VL_DELTA_NO = 0, VL_DELTA_YES = 1, VL_DELTA_MAYBE = 2 };

/* What is known about one column when pruning a whole file. */
typedef struct vl_delta_colinfo {
    bool exact;           /* a partition column: every row holds value */
    vl_delta_value value; /* exact: the value */
    bool has_min, has_max;
    vl_delta_value min, max; /* stats bounds (max may be a truncated prefix bound) */
    int64_t null_count;      /* -1 when unknown */
    int64_t num_records;     /* -1 when unknown */
} vl_delta_colinfo;

/** @brief Whether some row of a file with these column facts (indexed like
 *  st's fields) may satisfy e: VL_DELTA_NO only when provably none does. */
int vl_delta_expr_prune(const vl_delta_expr *e, const vl_dt_type *st,
                        const vl_delta_colinfo *cols);

/** @brief Evaluates e over one row (values indexed like st's fields; only
 *  the columns the expression names need be filled). SQL semantics: a
 *  comparison with null is unknown, and unknown rows are filtered out. */
bool vl_delta_expr_eval(const vl_delta_expr *e, const vl_dt_type *st, const vl_delta_value *row);

/** @brief Marks in used[] (indexed like st's fields) the columns e names. */
void vl_delta_expr_columns(const vl_delta_expr *e, bool *used);

/* A read-only view of one node of a predicate, for engines that compile it
 * (src/exec). Leaves compare column `col` of st: CMP with vals[0] (which
 * may be null) by op; IN with vals (n_vals, has_null when one is null),
 * negated (NOT IN) when `negated`; ISNULL, negated for IS NOT NULL. */
typedef enum vl_delta_expr_kind {
    VL_DELTA_E_AND = 0,
    VL_DELTA_E_OR,
    VL_DELTA_E_NOT,
    VL_DELTA_E_CMP,
    VL_DELTA_E_IN,
    VL_DELTA_E_ISNULL,
} vl_delta_expr_kind;
typedef enum vl_delta_cmp_op {
    VL_DELTA_OP_EQ = 0,
    VL_DELTA_OP_NE,
    VL_DELTA_OP_LT,
    VL_DELTA_OP_LE,
    VL_DELTA_OP_GT,
    VL_DELTA_OP_GE,
} vl_delta_cmp_op;
typedef struct vl_delta_expr_node {
    vl_delta_expr_kind kind;
    vl_delta_cmp_op op;          /* CMP */
    bool negated;                /* IN, ISNULL */
    uint32_t col;                /* leaves */
    const vl_delta_expr *a, *b;  /* AND, OR: both; NOT: a */
    const vl_delta_value *vals;  /* CMP: one; IN: n_vals */
    uint32_t n_vals;
    bool has_null;               /* IN */
} vl_delta_expr_node;
void vl_delta_expr_node_get(const vl_delta_expr *e, vl_delta_expr_node *out);

/* ============================================================== snapshot */

typedef struct vl_delta_table vl_delta_table;

/**
 * @brief Opens the table rooted at key prefix `path` of store s ("" for the
 * store's root, "bronze/events" for a table inside a lake). Nothing is read.
 * @note s must outlive the table; the table does not close it.
 */
int vl_delta_table_open(vl_store *s, const char *path, vl_delta_table **out,
                        vl_error *err) VL_MUST_CHECK;
void vl_delta_table_close(vl_delta_table *t); /* accepts NULL */
vl_store *vl_delta_table_store(const vl_delta_table *t);
const char *vl_delta_table_path(const vl_delta_table *t);

typedef struct vl_delta_protocol {
    int32_t min_reader, min_writer;
    vl_sv *reader_features, *writer_features;
    uint32_t n_reader_features, n_writer_features;
    bool has_reader_features, has_writer_features;
} vl_delta_protocol;

typedef struct vl_delta_kv {
    vl_sv key, value;
    bool value_null;
} vl_delta_kv;

typedef struct vl_delta_metadata {
    vl_sv id, name, description, provider;
    bool has_name, has_description;
    vl_sv schema_string;
    vl_dt_type schema;            /* parsed schemaString (a STRUCT) */
    vl_sv *partition_columns;
    uint32_t n_partition_columns;
    uint32_t *partition_index;    /* index in schema.fields of each partition column */
    vl_delta_kv *configuration;
    uint32_t n_configuration;
    int64_t created_time;         /* ms; -1 when absent */
} vl_delta_metadata;

/* One live data file. */
typedef struct vl_delta_file {
    vl_sv path;                 /* as in the log: URL-encoded, relative or absolute */
    vl_delta_kv *partition_values; /* in the order of metadata.partition_columns */
    uint32_t n_partition_values;
    int64_t size, modification_time;
    bool data_change;
    vl_sv stats;                /* JSON text, or empty */
    vl_delta_kv *tags;
    uint32_t n_tags;
    int64_t num_records;        /* from stats; -1 when unknown */
    int64_t added_version;      /* version of the commit that added it; -1 from a checkpoint */
} vl_delta_file;

/* A removed file kept as a tombstone (for checkpoints and vacuum). */
typedef struct vl_delta_tombstone {
    vl_sv path;
    int64_t deletion_timestamp; /* ms */
    int64_t size;               /* -1 when absent */
    bool data_change, extended_file_metadata;
    vl_delta_kv *partition_values;
    uint32_t n_partition_values;
} vl_delta_tombstone;

typedef struct vl_delta_app_txn {
    vl_sv app_id;
    int64_t version;
    int64_t last_updated; /* ms; -1 when absent */
} vl_delta_app_txn;

typedef struct vl_delta_snapshot {
    const vl_delta_table *table;
    int64_t version;
    int64_t timestamp_ms;         /* of the commit at `version` (commitInfo or file time) */
    int64_t checkpoint_version;   /* the checkpoint the replay started from, -1 if none */
    vl_delta_protocol protocol;
    vl_delta_metadata metadata;
    vl_delta_file *files;         /* live files, in the order they were added */
    size_t n_files;
    vl_delta_tombstone *tombstones;
    size_t n_tombstones;
    vl_delta_app_txn *txns;       /* sorted by app_id */
    size_t n_txns;
    int64_t num_records;          /* sum over files; -1 if any file lacks stats */
    int64_t size_bytes;
    vl_arena arena;               /* owns everything above but files */
    void *files_heap;             /* owns files (internal) */
} vl_delta_snapshot;

/* Which snapshot to load. */
typedef struct vl_delta_at {
    int64_t version;      /* >= 0: that version; -1: latest */
    int64_t timestamp_us; /* when version == -1 and this is >= 0: the latest
                             version committed at or before this time */
} vl_delta_at;
#define VL_DELTA_LATEST ((vl_delta_at){-1, -1})

/**
 * @brief Loads a snapshot.
 * @return VL_OK; VL_ENOTFOUND when there is no table (no _delta_log/ entry)
 *         or the version does not exist or has been cleaned up (message says
 *         which versions are available), or the timestamp is before the
 *         first commit; VL_ECORRUPT for a bad log (a gap in versions, a bad
 *         action, a bad checkpoint: named with the version and file);
 *         VL_ENOTSUP naming a protocol version or feature we cannot read;
 *         the store's errors.
 * @note The caller frees *out with vl_delta_snapshot_free.
 */
int vl_delta_snapshot_load(const vl_delta_table *t, vl_delta_at at, vl_delta_snapshot **out,
                           vl_error *err) VL_MUST_CHECK;
void vl_delta_snapshot_free(vl_delta_snapshot *s); /* accepts NULL */

/** @brief The version of appId's last txn action, or -1. */
int64_t vl_delta_snapshot_app_version(const vl_delta_snapshot *s, const char *app_id);

/** @brief A table property (configuration) or def when absent. */
const char *vl_delta_snapshot_prop(const vl_delta_snapshot *s, const char *key, const char *def);

/** @brief The latest version by listing the log (no replay); -1 if none. */
int vl_delta_latest_version(const vl_delta_table *t, int64_t *out, vl_error *err) VL_MUST_CHECK;

/* One commit of the log, for `table history`. */
typedef struct vl_delta_commit_info {
    int64_t version;
    int64_t timestamp_ms;
    vl_sv operation, engine_info;
    const char *info_json;  /* the whole commitInfo object, or NULL */
    size_t info_len;
    int64_t n_add, n_remove;
} vl_delta_commit_info;

typedef int (*vl_delta_history_cb)(void *ctx, const vl_delta_commit_info *c, vl_error *err);

/** @brief Calls cb for each commit file still in the log, newest first, at
 *  most `limit` (-1: all). */
int vl_delta_history(const vl_delta_table *t, int64_t limit, vl_delta_history_cb cb, void *ctx,
                     vl_error *err) VL_MUST_CHECK;

/* ================================================================== scan */

enum { VL_DELTA_ROWS_NDJSON = 0, VL_DELTA_ROWS_CSV = 1 };

typedef struct vl_delta_scan_opts {
    const char *const *columns;   /* projection by name (NULL: all), in this order */
    size_t n_columns;
    const vl_delta_expr *where;   /* NULL: every row */
    int format;                   /* VL_DELTA_ROWS_* */
    bool csv_header;
    int64_t limit;                /* rows; -1: all */
} vl_delta_scan_opts;

typedef struct vl_delta_scan_stats {
    size_t files_total, files_pruned, files_read;
    size_t row_groups_total, row_groups_pruned; /* of the files read */
    int64_t rows_read, rows_out;
    uint64_t bytes_read;
} vl_delta_scan_stats;

/** @brief Whether file f may hold rows matching e (partition values and
 *  stats), for pruning. Exposed for the execution engine. */
bool vl_delta_file_may_match(const vl_delta_snapshot *s, const vl_delta_file *f,
                             const vl_delta_expr *e);

/** @brief The top-level column of a data file's Parquet schema (root) that
 *  holds table field `name`: matched exactly, else ignoring case (as Spark
 *  resolves them); NULL when the file lacks it. */
const vl_pq_node *vl_delta_file_column(const vl_pq_node *root, vl_sv name);

/** @brief Whether row group rg of data file f (opened as r) may hold rows
 *  matching e: the file's partition values, nulls for the columns the file
 *  lacks, and the row group's Parquet statistics for the others (bounds
 *  brought to the table's types as the scans bring values; a bound that
 *  cannot be, such as INT96 or a decimal, never prunes). */
bool vl_delta_rg_may_match(const vl_delta_snapshot *s, const vl_delta_file *f, const vl_pq_reader *r, uint32_t rg,
                           const vl_delta_expr *e);

/*
 * Where a data file's bytes come from: the table's store, in ranges (a
 * footer, then the column chunks a read needs) for a file of at least
 * VL_DELTA_RANGED_MIN bytes whose add action gives its size, else in one
 * read. A reader keeps one of these per thread and reuses its buffers from
 * file to file; the reader opened through it must be closed before it is
 * used for the next file or freed.
 */
#define VL_DELTA_RANGED_MIN ((int64_t)1 << 20)
typedef struct vl_delta_file_src {
    vl_store *store;
    vl_buf key, rel, body, tmp;
    bool preloaded;     /* body already holds the next file opened (read whole) */
    uint64_t size;      /* of the file being read in ranges */
    int64_t version;    /* of the snapshot it belongs to (for messages) */
    uint64_t bytes;     /* fetched from the store, over every file */
} vl_delta_file_src;
void vl_delta_file_src_init(vl_delta_file_src *fs);
void vl_delta_file_src_free(vl_delta_file_src *fs);

/*
 * Look-ahead for stores whose gets each pay a round trip (those where
 * vl_store_get_concurrency > 1): the small files (read whole) a reader
 * will open, in its order, are fetched several at once with
 * vl_store_get_many, in windows that start at first_window files and
 * double up to VL_DELTA_AHEAD_MAX (a reader that may stop early starts
 * small). files: the order (NULL: the snapshot's files); where, if not
 * NULL, prunes files as vl_delta_file_may_match does.
 */
#define VL_DELTA_AHEAD_MAX 16
typedef struct vl_delta_ahead vl_delta_ahead;
vl_delta_ahead *vl_delta_ahead_new(const vl_delta_snapshot *s, const vl_delta_file *const *files, size_t n,
                                   const vl_delta_expr *where, size_t first_window); /* NULL: out of memory */
void vl_delta_ahead_free(vl_delta_ahead *a);
/** @brief Whether file i is pruned by the predicate (decided once). */
bool vl_delta_ahead_pruned(vl_delta_ahead *a, size_t i);
/** @brief File i is about to be opened with fs: if it is small, its bytes
 *  go to fs (fetching the window from i when i is not in it), and the next
 *  vl_delta_file_open takes them. A failed fetch is left to that open. */
void vl_delta_ahead_take(vl_delta_ahead *a, size_t i, vl_delta_file_src *fs);

/**
 * @brief Opens data file f of s. In ranges, column chunks must be loaded
 * (vl_pq_reader_load) before they are read; read whole, that is a no-op.
 * @return VL_OK; VL_ECORRUPT when the file is missing ("data file K of
 *         version V is missing") or shorter than its add action says;
 *         VL_ENOTSUP for an absolute path; the store's and the reader's
 *         errors.
 */
int vl_delta_file_open(const vl_delta_snapshot *s, const vl_delta_file *f, vl_delta_file_src *fs, vl_pq_reader **out,
                       vl_error *err) VL_MUST_CHECK;

/**
 * @brief Writes the rows of a snapshot, in the schema's column order (or the
 * projection's), with partition values filled in and columns missing from a
 * file (schema evolution) as null. Files are read in path order.
 * @return VL_OK, the store's and the Parquet reader's errors (naming the
 *         file), VL_EINVAL for an unknown projected column, or the sink's error.
 */
int vl_delta_scan(const vl_delta_snapshot *s, const vl_delta_scan_opts *o, vl_pq_row_sink sink,
                  void *ctx, vl_delta_scan_stats *stats, vl_error *err) VL_MUST_CHECK;

/* ================================================================= write */

typedef struct vl_delta_txn vl_delta_txn;

/**
 * @brief Starts a transaction on the latest snapshot (read now), or on an
 * empty table when there is none yet.
 * @param engine_info e.g. "vidlake/0.1.0"; NULL for that default.
 */
int vl_delta_txn_begin(const vl_delta_table *t, vl_delta_txn **out, vl_error *err) VL_MUST_CHECK;
void vl_delta_txn_free(vl_delta_txn *x); /* accepts NULL; abandons an uncommitted txn */

/** @brief The snapshot the transaction reads (NULL for a new table). */
const vl_delta_snapshot *vl_delta_txn_snapshot(const vl_delta_txn *x);

/**
 * @brief Sets the table's metadata: the schema (a STRUCT), partition columns
 * (top-level, primitive) and configuration. For a new table this is the
 * create; for an existing one a metadata change (a conflict for concurrent
 * writers). Names and values are copied.
 * @return VL_OK; VL_EINVAL naming a bad partition column or property.
 */
int vl_delta_txn_set_metadata(vl_delta_txn *x, const vl_dt_type *schema, const char *const *part_cols,
                              uint32_t n_part_cols, const vl_delta_kv *config, uint32_t n_config,
                              vl_error *err) VL_MUST_CHECK;

/** @brief The schema and partition columns the transaction writes with. */
const vl_delta_metadata *vl_delta_txn_metadata(const vl_delta_txn *x);

/**
 * @brief Allows appends to add nullable columns: the new schema must keep
 * every existing field with the same type and only add nullable ones.
 * @return VL_OK; VL_EINVAL naming the first incompatible change.
 */
int vl_delta_txn_evolve_schema(vl_delta_txn *x, const vl_dt_type *schema, vl_error *err) VL_MUST_CHECK;

/** @brief The commitInfo operation ("WRITE", "OPTIMIZE", ...) and its
 *  parameters as a JSON object text (NULL: {}). */
int vl_delta_txn_set_operation(vl_delta_txn *x, const char *op, const char *params_json,
                               vl_error *err) VL_MUST_CHECK;

/** @brief Records (app_id, version) in this commit (a txn action); one per
 *  appId, a later call for the same appId replacing the earlier version. */
int vl_delta_txn_set_app_version(vl_delta_txn *x, const char *app_id, int64_t version,
                                 vl_error *err) VL_MUST_CHECK;

/* An add action to record (strings are copied). */
typedef struct vl_delta_add {
    const char *path;           /* relative to the table, not yet URL-encoded */
    const vl_delta_kv *partition_values; /* one per partition column, in order */
    uint32_t n_partition_values;
    int64_t size, modification_time;
    bool data_change;
    const char *stats;          /* JSON or NULL */
} vl_delta_add;

int vl_delta_txn_add(vl_delta_txn *x, const vl_delta_add *add, vl_error *err) VL_MUST_CHECK;

/** @brief Row groups of at most `rows` rows in the files this transaction
 *  writes (0: the Parquet writer's default, 262,144), for tables read in
 *  narrow ranges. */
void vl_delta_txn_set_row_group_rows(vl_delta_txn *x, size_t rows);

/** @brief Removes a live file of the read snapshot (by its log path). */
int vl_delta_txn_remove(vl_delta_txn *x, const vl_delta_file *f, bool data_change,
                        vl_error *err) VL_MUST_CHECK;

/**
 * @brief Writes `rows` rows as one Parquet data file and adds it. cols holds
 * the Parquet leaf columns of the non-partition fields (in schema order, as
 * vl_delta_schema_to_parquet lays them out); part_values one value per
 * partition column (the partition of every row). Stats are computed
 * (numRecords, min/max for the first 32 leaf columns, strings truncated to
 * 32 characters, nullCount).
 * @return VL_OK; VL_EINVAL; the writer's and store's errors.
 */
int vl_delta_txn_write(vl_delta_txn *x, const vl_delta_value *part_values, const vl_pq_column *cols,
                       size_t rows, vl_error *err) VL_MUST_CHECK;

/*
 * The same, a piece at a time: a data file open in the transaction takes
 * rows in as many writes as the caller likes (the Parquet writer cuts row
 * groups and pages as usual), and close puts it in the store and records
 * its add action (stats over the whole file). Abort drops it. One thread at
 * a time per transaction.
 */
typedef struct vl_delta_writer vl_delta_writer;
/** @param rows_hint rows expected, to size the file's buffer (0: unknown). */
int vl_delta_writer_open(vl_delta_txn *x, const vl_delta_value *part_values, size_t rows_hint, vl_delta_writer **out,
                       vl_error *err) VL_MUST_CHECK;
int vl_delta_writer_write(vl_delta_writer *f, const vl_pq_column *cols, size_t rows, vl_error *err) VL_MUST_CHECK;
/** @brief Bytes of the file so far (pages written; the open row group's
 *  current pages are not counted yet). */
uint64_t vl_delta_writer_bytes(const vl_delta_writer *f);
int64_t vl_delta_writer_rows(const vl_delta_writer *f);
/** @brief Finishes the file, puts it, adds it to the transaction; frees f
 *  whatever happens. */
int vl_delta_writer_close(vl_delta_writer *f, vl_error *err) VL_MUST_CHECK;
void vl_delta_writer_abort(vl_delta_writer *f); /* accepts NULL */

/* Commit options. */
typedef struct vl_delta_commit_opts {
    int max_attempts;       /* default 50 */
    int64_t backoff_us;     /* first retry delay, doubling with jitter, capped at 1 s (default 2 ms) */
    bool no_checkpoint;     /* do not write the interval checkpoint after committing */
} vl_delta_commit_opts;

/**
 * @brief Commits: writes `<next version>.json` with put-if-absent. When
 * another writer won that version, reads its actions and, if they do not
 * conflict with this transaction (blind appends never do), retries at the
 * next version with backoff. Writes a checkpoint when the new version is a
 * multiple of delta.checkpointInterval (default 10).
 * @param version receives the committed version.
 * @return VL_OK; VL_ECONFLICT naming the winning version and the rule
 *         (concurrent metadata or protocol change, a file removed by both,
 *         the same appId's txn, a concurrent append to a partition this
 *         transaction read and rewrote); VL_EAGAIN after max_attempts; the
 *         store's errors. After an error the transaction must be freed.
 */
int vl_delta_txn_commit(vl_delta_txn *x, const vl_delta_commit_opts *o, int64_t *version,
                        vl_error *err) VL_MUST_CHECK;

/* ============================================================ maintenance */

/**
 * @brief Writes a classic single-file checkpoint of snapshot s (the Parquet
 * layout Spark writes, with stats as JSON strings) and _last_checkpoint.
 */
int vl_delta_checkpoint_write(const vl_delta_snapshot *s, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Deletes commit and checkpoint files older than the retention
 * (delta.logRetentionDuration, default 30 days) that are not needed to
 * reconstruct any version still inside it: only files before the newest
 * checkpoint at or before the retention boundary go.
 * @param deleted receives the number of files deleted (may be NULL).
 */
int vl_delta_log_cleanup(const vl_delta_table *t, int64_t now_ms, size_t *deleted,
                         vl_error *err) VL_MUST_CHECK;

typedef struct vl_delta_optimize_opts {
    int64_t target_size;   /* bytes per output file (default 128 MiB) */
    int64_t min_files;     /* only partitions with at least this many small files (default 2) */
} vl_delta_optimize_opts;

typedef struct vl_delta_optimize_result {
    int64_t version;       /* committed version, -1 when nothing to do */
    size_t files_removed, files_added, partitions;
    int64_t rows;
} vl_delta_optimize_result;

/** @brief Bin-packs small files per partition into files near target_size,
 *  one commit with dataChange=false. */
int vl_delta_optimize(const vl_delta_table *t, const vl_delta_optimize_opts *o,
                      vl_delta_optimize_result *res, vl_error *err) VL_MUST_CHECK;

typedef struct vl_delta_vacuum_opts {
    int64_t retention_ms;  /* > 0: this retention; 0: the table's
                              delta.deletedFileRetentionDuration, else 7 days */
    bool retain_nothing;   /* a zero retention: every unreferenced file goes
                              (unsafe while other writers are running) */
    bool dry_run;
    int64_t now_ms;        /* 0: the clock */
} vl_delta_vacuum_opts;

/* Receives each file vacuum deletes (or would delete on a dry run). */
typedef int (*vl_delta_vacuum_cb)(void *ctx, const char *key, uint64_t size, vl_error *err);

/**
 * @brief Deletes data files under the table that no version within the
 * retention references: not live in the latest snapshot, and removed (or
 * never committed) longer ago than the retention. Never touches _delta_log
 * or hidden (_ or .) top-level entries other than partition directories.
 */
int vl_delta_vacuum(const vl_delta_table *t, const vl_delta_vacuum_opts *o, vl_delta_vacuum_cb cb,
                    void *ctx, size_t *n_deleted, uint64_t *bytes_deleted, vl_error *err) VL_MUST_CHECK;

#endif /* VL_DELTA_H */
