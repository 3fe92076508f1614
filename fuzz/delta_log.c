/* vidlake - Apache-2.0 */
/*
 * Fuzz target: Delta log replay (src/delta/delta_log.c), history, and scans
 * of what loads (src/delta/delta_scan.c). The input is the content of a
 * table's _delta_log/, cut into parts at SEP ("\n@@\n"). Without a header
 * every part (at most MAX_COMMITS) is a commit: 00000000000000000000.json,
 * ...01.json, and so on. A header, the byte 0xFE (which JSON text never
 * starts with) and a flags byte, gives parts other roles and the versions
 * other numbers:
 *   F_DATA     the first part is a data file, stored under the first
 *              add.path found in the commits (so a scan finds it);
 *   F_LASTCP   the last part is _delta_log/_last_checkpoint;
 *   F_CKPT     the last remaining part is a classic checkpoint Parquet file
 *              at the version of the last commit (F_MULTI: named as part 1
 *              of a 1-part multi-part checkpoint);
 *   F_START    (2 bits) the first commit's version: 0, 1, 2 or 10;
 *   F_GAP      one version is skipped after the first commit.
 * The files go to a directory under /dev/shm (else $TMPDIR, else /tmp),
 * one per process, emptied before every input.
 *
 * Then: vl_delta_latest_version, vl_delta_snapshot_load (latest, the same
 * version again by number, version 0, and by the latest commit's
 * timestamp), vl_delta_history (all, and limit 1), and for a snapshot that
 * loads, vl_delta_file_may_match on every file and vl_delta_scan (NDJSON
 * and CSV, with a projection, a limit and a predicate on one primitive
 * column picked by the input). Data files are mostly missing: that must be
 * a clean error.
 *
 * Invariants: every refusal carries a known code and a message; a loaded
 * snapshot is self-consistent (partition values per file, sums, sorted
 * txns) and loading its version by number gives the same snapshot; history
 * runs newest first; the scan's counters add up; a checkpoint named as part
 * 1 of a 1-part multi-part checkpoint loads exactly as the same file under
 * the classic name (F_MULTI: the file is renamed and the table reloaded).
 * Memory goes through a budget (vl_alloc hooks) like parquet_file.c, so a
 * checkpoint or data file that asks for too much is VL_ENOMEM, not an RSS
 * kill, and the budget must be back at zero after each input (nothing
 * leaked).
 */
#include "fuzz_budget.h"
#include "delta/delta.h"
#include "fuzz.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MEM_BUDGET ((size_t)256 << 20)
#define MAX_PARTS 8
#define MAX_COMMITS 4

#define F_DATA 0x01
#define F_LASTCP 0x02
#define F_CKPT 0x04
#define F_MULTI 0x08
#define F_START(f) (((f) >> 4) & 3)
#define F_GAP 0x40

static const char SEP[] = "\n@@\n";

static fuzz_budget g_budget = {.limit = MEM_BUDGET};

/* --------------------------------------------------------- the files */

static char g_root[512];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f) {
    (void)st;
    (void)flag;
    (void)f;
    if (remove(p) != 0 && errno != ENOENT) {
        fprintf(stderr, "fuzz: cannot remove %s: %s\n", p, strerror(errno));
        abort();
    }
    return 0;
}

static void rm_root(void) {
    if (g_root[0]) nftw(g_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void setup_root(void) {
    if (!g_root[0]) {
        const char *base = "/dev/shm";
        if (access(base, W_OK) != 0) base = getenv("TMPDIR");
        if (!base || !*base || access(base, W_OK) != 0) base = "/tmp";
        snprintf(g_root, sizeof(g_root), "%s/vl-fuzz-delta-log.%ld", base, (long)getpid());
        atexit(rm_root);
    }
    rm_root();
    char log[600];
    snprintf(log, sizeof(log), "%s/_delta_log", g_root);
    if (mkdir(g_root, 0755) != 0 || mkdir(log, 0755) != 0) {
        fprintf(stderr, "fuzz: cannot create %s: %s\n", log, strerror(errno));
        abort();
    }
}

static void put_log_file(const char *name, const uint8_t *p, size_t n) {
    char path[700];
    snprintf(path, sizeof(path), "%s/_delta_log/%s", g_root, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    FUZZ_ASSERT(fd >= 0);
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        FUZZ_ASSERT(w > 0);
        done += (size_t)w;
    }
    close(fd);
}

typedef struct part {
    const uint8_t *p;
    size_t n;
} part;

/* The first add.path of the commits, decoded: where the data part goes. */
static bool first_add_path(const part *commits, size_t nc, vl_buf *key) {
    static const char pat[] = "\"add\":{\"path\":\"";
    for (size_t c = 0; c < nc; c++) {
        const uint8_t *at = memmem(commits[c].p, commits[c].n, pat, sizeof(pat) - 1);
        if (!at) continue;
        const uint8_t *s = at + sizeof(pat) - 1, *end = commits[c].p + commits[c].n;
        const uint8_t *q = memchr(s, '"', (size_t)(end - s));
        if (!q) continue;
        vl_buf_clear(key);
        return vl_delta_path_decode((const char *)s, (size_t)(q - s), key, NULL) == VL_OK && key->n > 0;
    }
    return false;
}

/* ------------------------------------------------------------ checks */

static bool known_code(int rc) {
    return rc == VL_ECORRUPT || rc == VL_ENOTSUP || rc == VL_ENOTFOUND || rc == VL_ENOMEM || rc == VL_EINVAL ||
           rc == VL_ERANGE || rc == VL_EIO;
}

static void check_refusal(int rc, const vl_error *err) {
    if (!known_code(rc) || !err->msg[0]) fprintf(stderr, "unexpected refusal %d: %s\n", rc, err->msg);
    FUZZ_ASSERT(known_code(rc));
    FUZZ_ASSERT(err->msg[0]);
}

static void check_snapshot(const vl_delta_snapshot *s) {
    FUZZ_ASSERT(s->version >= 0);
    FUZZ_ASSERT(s->checkpoint_version <= s->version);
    const vl_delta_metadata *md = &s->metadata;
    FUZZ_ASSERT(md->schema.kind == VL_DT_STRUCT);
    for (uint32_t i = 0; i < md->n_partition_columns; i++) {
        FUZZ_ASSERT(md->partition_index[i] < md->schema.n_fields);
        FUZZ_ASSERT(vl_sv_eq(md->schema.fields[md->partition_index[i]].name, md->partition_columns[i]));
    }
    int64_t records = 0, bytes = 0;
    for (size_t i = 0; i < s->n_files; i++) {
        const vl_delta_file *f = &s->files[i];
        FUZZ_ASSERT(f->n_partition_values == md->n_partition_columns);
        FUZZ_ASSERT(f->path.n > 0);
        if (f->num_records < 0 || records < 0) records = -1;
        else records += f->num_records;
        bytes += f->size > 0 ? f->size : 0;
        FUZZ_ASSERT(f->added_version <= s->version);
    }
    FUZZ_ASSERT(s->num_records == records);
    FUZZ_ASSERT(s->size_bytes == bytes);
    for (size_t i = 0; i + 1 < s->n_txns; i++) FUZZ_ASSERT(vl_sv_cmp(s->txns[i].app_id, s->txns[i + 1].app_id) < 0);
    for (size_t i = 0; i < s->n_txns; i++) {
        if (memchr(s->txns[i].app_id.p, 0, s->txns[i].app_id.n)) continue;
        char id[256];
        if (s->txns[i].app_id.n >= sizeof(id)) continue;
        memcpy(id, s->txns[i].app_id.p, s->txns[i].app_id.n);
        id[s->txns[i].app_id.n] = '\0';
        FUZZ_ASSERT(vl_delta_snapshot_app_version(s, id) == s->txns[i].version);
    }
    FUZZ_ASSERT(vl_delta_snapshot_prop(s, "delta.checkpointInterval", "10") != NULL);
}

static bool same_snapshot(const vl_delta_snapshot *a, const vl_delta_snapshot *b) {
    if (a->version != b->version || a->n_files != b->n_files || a->n_txns != b->n_txns ||
        a->n_tombstones != b->n_tombstones || a->num_records != b->num_records || a->size_bytes != b->size_bytes)
        return false;
    if (!vl_sv_eq(a->metadata.id, b->metadata.id) || !vl_delta_type_equal(&a->metadata.schema, &b->metadata.schema))
        return false;
    for (size_t i = 0; i < a->n_files; i++)
        if (!vl_sv_eq(a->files[i].path, b->files[i].path)) return false;
    return true;
}

typedef struct hist {
    int64_t last, calls;
} hist;

static int hist_cb(void *ctx, const vl_delta_commit_info *c, vl_error *err) {
    (void)err;
    hist *h = ctx;
    FUZZ_ASSERT(c->version >= 0);
    FUZZ_ASSERT(h->calls == 0 || c->version < h->last);
    FUZZ_ASSERT(c->n_add >= 0 && c->n_remove >= 0);
    if (c->info_json) {
        unsigned x = 0;
        for (size_t i = 0; i < c->info_len; i++) x += (unsigned char)c->info_json[i];
        (void)x;
    }
    h->last = c->version;
    h->calls++;
    return VL_OK;
}

static int discard(void *ctx, const char *p, size_t n, vl_error *err) {
    (void)err;
    int64_t *lines = ctx;
    FUZZ_ASSERT(n > 0 && p[n - 1] == '\n');
    ++*lines;
    return VL_OK;
}

/* A predicate on a primitive column that parses for its type. */
static const vl_delta_expr *make_where(const vl_delta_snapshot *s, vl_arena *a, uint8_t pick) {
    const vl_dt_type *st = &s->metadata.schema;
    if (st->n_fields == 0) return NULL;
    uint32_t c = pick % st->n_fields;
    const vl_dt_field *f = &st->fields[c];
    const char *lit;
    switch (f->type.kind) {
    case VL_DT_STRING:
    case VL_DT_BINARY: lit = pick & 0x80 ? "= 'a'" : "< 'm'"; break;
    case VL_DT_BOOLEAN: lit = "= true"; break;
    case VL_DT_DATE:
    case VL_DT_TIMESTAMP:
    case VL_DT_TIMESTAMP_NTZ: lit = pick & 0x80 ? ">= '2024-05-01'" : "< '2000-01-01'"; break;
    case VL_DT_STRUCT:
    case VL_DT_ARRAY:
    case VL_DT_MAP: return NULL;
    default: lit = pick & 0x80 ? "> 1" : "IN (0, 2, NULL)"; break;
    }
    if (memchr(f->name.p, 0, f->name.n)) return NULL;
    vl_buf b;
    vl_buf_init(&b);
    const vl_delta_expr *e = NULL;
    int rc = VL_OK;
    for (int k = pick & 0x40 ? 0 : 1; k < 2 && rc == VL_OK; k++) {
        /* "`c` IS NULL OR `c` <op> <lit>" or just the comparison */
        rc = vl_buf_putc(&b, '`');
        for (size_t i = 0; i < f->name.n && rc == VL_OK; i++)
            rc = f->name.p[i] == '`' ? vl_buf_puts(&b, "``") : vl_buf_putc(&b, f->name.p[i]);
        if (rc == VL_OK) rc = vl_buf_puts(&b, k == 0 ? "` IS NULL OR " : "` ");
    }
    if (rc == VL_OK) rc = vl_buf_puts(&b, lit);
    vl_error err;
    if (rc == VL_OK && vl_delta_expr_parse(vl_buf_cstr(&b), st, a, &e, &err) != VL_OK) e = NULL;
    vl_buf_free(&b);
    return e;
}

static void scan_checks(const vl_delta_snapshot *s, uint8_t flags) {
    vl_arena a;
    vl_arena_init(&a, 0);
    const vl_delta_expr *where = make_where(s, &a, flags);
    for (size_t i = 0; i < s->n_files; i++) {
        (void)vl_delta_file_may_match(s, &s->files[i], where);
        FUZZ_ASSERT(vl_delta_file_may_match(s, &s->files[i], NULL));
    }
    for (int k = 0; k < 3; k++) {
        vl_delta_scan_opts o = {0};
        o.format = k == 1 ? VL_DELTA_ROWS_CSV : VL_DELTA_ROWS_NDJSON;
        o.csv_header = true;
        o.limit = k == 2 ? 1 : -1;
        o.where = k == 0 ? NULL : where;
        const char *col = NULL;
        char name[128];
        if (k == 2 && s->metadata.schema.n_fields) {
            vl_sv nm = s->metadata.schema.fields[s->metadata.schema.n_fields - 1].name;
            if (nm.n < sizeof(name) && !memchr(nm.p, 0, nm.n)) {
                memcpy(name, nm.p, nm.n);
                name[nm.n] = '\0';
                col = name;
                o.columns = &col;
                o.n_columns = 1;
            }
        }
        vl_delta_scan_stats st;
        memset(&st, 0, sizeof(st));
        int64_t lines = 0;
        vl_error err = {0};
        int rc = vl_delta_scan(s, &o, discard, &lines, &st, &err);
        if (rc != VL_OK) check_refusal(rc, &err);
        FUZZ_ASSERT(st.files_pruned + st.files_read <= st.files_total);
        FUZZ_ASSERT(st.files_total <= s->n_files);
        FUZZ_ASSERT(st.rows_out <= st.rows_read || o.where == NULL);
        if (rc == VL_OK) {
            FUZZ_ASSERT(st.rows_out <= lines);
            if (o.limit >= 0) FUZZ_ASSERT(st.rows_out <= o.limit);
        }
        if (s->n_files == 0) FUZZ_ASSERT(rc == VL_OK);
    }
    vl_arena_destroy(&a);
}

/* ------------------------------------------------------------- target */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t flags = 0;
    if (size >= 2 && data[0] == 0xFE) {
        flags = data[1];
        data += 2;
        size -= 2;
    }
    part parts[MAX_PARTS];
    size_t np = 0;
    for (size_t at = 0;;) {
        const uint8_t *q = np + 1 < MAX_PARTS ? memmem(data + at, size - at, SEP, sizeof(SEP) - 1) : NULL;
        size_t end = q ? (size_t)(q - data) : size;
        parts[np].p = data + at;
        parts[np].n = end - at;
        np++;
        if (!q) break;
        at = end + sizeof(SEP) - 1;
    }
    size_t lo = 0, hi = np;
    const part *data_part = NULL, *lastcp = NULL, *ckpt = NULL;
    if ((flags & F_DATA) && hi - lo > 1) data_part = &parts[lo++];
    if ((flags & F_LASTCP) && hi - lo > 1) lastcp = &parts[--hi];
    if ((flags & F_CKPT) && hi - lo > 0) ckpt = &parts[--hi];
    size_t nc = hi - lo > MAX_COMMITS ? MAX_COMMITS : hi - lo;
    static const int64_t starts[4] = {0, 1, 2, 10};
    int64_t v = starts[F_START(flags)], last_v = v;

    setup_root();
    char name[96];
    for (size_t i = 0; i < nc; i++) {
        if (i == 1 && (flags & F_GAP)) v++;
        snprintf(name, sizeof(name), "%020lld.json", (long long)v);
        put_log_file(name, parts[lo + i].p, parts[lo + i].n);
        last_v = v++;
    }
    if (ckpt) {
        if (flags & F_MULTI)
            snprintf(name, sizeof(name), "%020lld.checkpoint.0000000001.0000000001.parquet", (long long)last_v);
        else snprintf(name, sizeof(name), "%020lld.checkpoint.parquet", (long long)last_v);
        put_log_file(name, ckpt->p, ckpt->n);
    }
    if (lastcp) put_log_file("_last_checkpoint", lastcp->p, lastcp->n);

    fuzz_budget_install(&g_budget);
    vl_error err = {0};
    vl_store *store = NULL;
    int rc = vl_store_open(g_root, &store, &err);
    FUZZ_ASSERT(rc == VL_OK);
    if (data_part) {
        vl_buf key;
        vl_buf_init(&key);
        if (first_add_path(&parts[lo], nc, &key) && vl_store_key_check(vl_buf_cstr(&key), NULL) == VL_OK &&
            strncmp(key.p, "_delta_log/", 11) != 0)
            if (vl_store_put(store, vl_buf_cstr(&key), data_part->p, data_part->n, NULL) != VL_OK) {
                /* a key the local store cannot hold: no data file then */
            }
        vl_buf_free(&key);
    }
    vl_delta_table *t = NULL;
    rc = vl_delta_table_open(store, "", &t, &err);
    FUZZ_ASSERT(rc == VL_OK);

    int64_t latest = -2;
    rc = vl_delta_latest_version(t, &latest, &err);
    if (rc != VL_OK) check_refusal(rc, &err);
    else FUZZ_ASSERT(latest >= -1);

    vl_delta_snapshot *s = NULL;
    rc = vl_delta_snapshot_load(t, VL_DELTA_LATEST, &s, &err);
    int rc_latest = rc;
    char latest_msg[sizeof(err.msg)];
    memcpy(latest_msg, err.msg, sizeof(latest_msg));
    if (rc != VL_OK) {
        check_refusal(rc, &err);
        FUZZ_ASSERT(s == NULL);
    } else {
        check_snapshot(s);
        if (latest >= 0) FUZZ_ASSERT(s->version == latest);
        /* the same version by number: the same snapshot */
        vl_delta_snapshot *again = NULL;
        rc = vl_delta_snapshot_load(t, (vl_delta_at){s->version, -1}, &again, &err);
        if (rc != VL_OK) fprintf(stderr, "latest loads as version %lld, which then fails: %s\n",
                                 (long long)s->version, err.msg);
        FUZZ_ASSERT(rc == VL_OK);
        FUZZ_ASSERT(same_snapshot(s, again));
        vl_delta_snapshot_free(again);
        /* by the latest commit's timestamp */
        if (s->timestamp_ms >= 0 && s->timestamp_ms < INT64_MAX / 1000) {
            rc = vl_delta_snapshot_load(t, (vl_delta_at){-1, s->timestamp_ms * 1000}, &again, &err);
            if (rc == VL_OK) {
                check_snapshot(again);
                FUZZ_ASSERT(again->version <= s->version);
                vl_delta_snapshot_free(again);
            } else {
                check_refusal(rc, &err);
            }
        }
        scan_checks(s, flags ^ (uint8_t)size);
    }

    vl_delta_snapshot *s0 = NULL;
    rc = vl_delta_snapshot_load(t, (vl_delta_at){0, -1}, &s0, &err);
    if (rc == VL_OK) {
        check_snapshot(s0);
        FUZZ_ASSERT(s0->version == 0);
        vl_delta_snapshot_free(s0);
    } else {
        check_refusal(rc, &err);
    }

    for (int64_t limit = -1; limit <= 1; limit += 2) {
        hist h = {0, 0};
        rc = vl_delta_history(t, limit, hist_cb, &h, &err);
        if (rc != VL_OK) check_refusal(rc, &err);
        else FUZZ_ASSERT(limit < 0 || h.calls <= limit);
        if (rc == VL_OK && latest >= 0) FUZZ_ASSERT(h.calls > 0 && h.last <= latest);
    }

    if (ckpt && (flags & F_MULTI)) {
        /* part 1 of 1 of a multi-part checkpoint is the classic checkpoint
         * under another name: both must load the same */
        char from[700], to[700];
        snprintf(from, sizeof(from), "%s/_delta_log/%020lld.checkpoint.0000000001.0000000001.parquet", g_root,
                 (long long)last_v);
        snprintf(to, sizeof(to), "%s/_delta_log/%020lld.checkpoint.parquet", g_root, (long long)last_v);
        FUZZ_ASSERT(rename(from, to) == 0);
        vl_delta_snapshot *c = NULL;
        vl_error err2 = {0};
        rc = vl_delta_snapshot_load(t, VL_DELTA_LATEST, &c, &err2);
        if ((rc == VL_OK) != (rc_latest == VL_OK))
            fprintf(stderr, "classic checkpoint: %d %s; as part 1 of 1: %d %s\n", rc, err2.msg, rc_latest,
                    rc_latest == VL_OK ? "" : latest_msg);
        FUZZ_ASSERT((rc == VL_OK) == (rc_latest == VL_OK));
        if (rc == VL_OK) FUZZ_ASSERT(same_snapshot(s, c));
        vl_delta_snapshot_free(c);
    }

    vl_delta_snapshot_free(s);
    vl_delta_table_close(t);
    vl_store_close(store);
    if (g_budget.live != 0) fprintf(stderr, "%zu bytes still allocated after the input\n", g_budget.live);
    FUZZ_ASSERT(g_budget.live == 0);
    vl_alloc_set_hooks(NULL);
    return 0;
}
