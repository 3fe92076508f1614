/* vidlake - Apache-2.0 */
/*
 * Log replay: from _delta_log/ to a snapshot.
 *
 * 1. _last_checkpoint is a hint: when it is readable it says where to start
 *    listing; when it is missing, empty, malformed or stale the listing
 *    decides (the newest complete checkpoint at or before the target wins).
 * 2. The listing gives the commits and complete checkpoints (a multi-part
 *    checkpoint counts only with all its parts). The commits after the
 *    chosen checkpoint up to the target must be contiguous: a gap is an
 *    error naming the missing version.
 * 3. Checkpoint rows (read with our Parquet reader as JSON cells, so they
 *    take the same path as commit lines) then commit lines are applied in
 *    order: the last protocol and metaData win, add/remove keep a map of
 *    live files by path, txn keeps the last version per appId.
 * 4. The protocol is checked: what we cannot read is refused naming it.
 *
 * Not here: v2 checkpoints and sidecars, log compaction files (ignored; a
 * table that needs them declares v2Checkpoint and is refused), deletion
 * vectors (refused).
 */
#include "delta_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ================================================================ table */

int vl_delta_table_open(vl_store *s, const char *path, vl_delta_table **out, vl_error *err) {
    *out = NULL;
    size_t n = path ? strlen(path) : 0;
    while (n && path[n - 1] == '/') n--;
    vl_delta_table *t = vl_calloc(1, sizeof(*t));
    if (!t) return vl_error_set(err, VL_ENOMEM, "out of memory");
    t->store = s;
    t->path = vl_malloc(n + 2);
    t->log_prefix = vl_malloc(n + 16);
    if (!t->path || !t->log_prefix) {
        vl_delta_table_close(t);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    if (n) {
        memcpy(t->path, path, n);
        t->path[n] = '/';
        t->path[n + 1] = 0;
    } else {
        t->path[0] = 0;
    }
    snprintf(t->log_prefix, n + 16, "%s_delta_log/", t->path);
    const char *url = vl_store_url(s);
    size_t ul = strlen(url);
    t->name = vl_malloc(ul + n + 2);
    if (!t->name) {
        vl_delta_table_close(t);
        return vl_error_set(err, VL_ENOMEM, "out of memory");
    }
    if (n) snprintf(t->name, ul + n + 2, "%s%s%.*s", url, ul && url[ul - 1] == '/' ? "" : "/", (int)n, path);
    else memcpy(t->name, url, ul + 1);
    *out = t;
    return VL_OK;
}

void vl_delta_table_close(vl_delta_table *t) {
    if (!t) return;
    vl_free(t->path);
    vl_free(t->log_prefix);
    vl_free(t->name);
    vl_free(t);
}

vl_store *vl_delta_table_store(const vl_delta_table *t) { return t->store; }
const char *vl_delta_table_path(const vl_delta_table *t) { return t->path; }

int vl_delta__key(const vl_delta_table *t, const char *rel, size_t n, vl_buf *out) {
    vl_buf_clear(out);
    if (vl_buf_puts(out, t->path) || vl_buf_append(out, rel, n) || !vl_buf_cstr(out)) return VL_ENOMEM;
    return VL_OK;
}

int vl_delta__commit_key(const vl_delta_table *t, int64_t v, vl_buf *out) {
    vl_buf_clear(out);
    if (vl_buf_printf(out, "%s%020lld.json", t->log_prefix, (long long)v)) return VL_ENOMEM;
    return VL_OK;
}

static bool all_digits(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return n > 0;
}

static int64_t digits_value(const char *p, size_t n) {
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (v > (INT64_MAX - 9) / 10) return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

log_name vl_delta__log_name(const char *name, size_t n) {
    log_name ln = {LOG_OTHER, -1, 1, 1, false};
    if (n < 21 || !all_digits(name, 20) || name[20] != '.') return ln;
    int64_t v = digits_value(name, 20);
    if (v < 0) return ln;
    const char *rest = name + 21;
    size_t rn = n - 21;
    if (rn == 4 && memcmp(rest, "json", 4) == 0) {
        ln.kind = LOG_COMMIT;
        ln.version = v;
    } else if (rn == 18 && memcmp(rest, "checkpoint.parquet", 18) == 0) {
        ln.kind = LOG_CHECKPOINT;
        ln.version = v;
    } else if (rn == 11 + 10 + 1 + 10 + 8 && memcmp(rest, "checkpoint.", 11) == 0 &&
               all_digits(rest + 11, 10) && rest[21] == '.' && all_digits(rest + 22, 10) &&
               memcmp(rest + 32, ".parquet", 8) == 0) {
        int64_t p = digits_value(rest + 11, 10), k = digits_value(rest + 22, 10);
        if (p >= 1 && k >= 1 && p <= k && k <= 100000) {
            ln.kind = LOG_CHECKPOINT;
            ln.version = v;
            ln.part = (int32_t)p;
            ln.parts = (int32_t)k;
            ln.multi = true;
        }
    }
    return ln;
}

void vl_delta__uuid(char out[37]) {
    static __thread vl_rng rng;
    static __thread bool seeded;
    if (!seeded) {
        uint64_t seed = (uint64_t)vl_now_us() ^ ((uint64_t)(uintptr_t)&rng << 16) ^ (uint64_t)vl_mono_us();
        FILE *f = fopen("/dev/urandom", "rb");
        if (f) {
            uint64_t r;
            if (fread(&r, sizeof(r), 1, f) == 1) seed ^= r;
            fclose(f);
        }
        vl_rng_seed(&rng, seed);
        seeded = true;
    }
    uint8_t b[16];
    uint64_t x = vl_rng_next(&rng), y = vl_rng_next(&rng);
    memcpy(b, &x, 8);
    memcpy(b + 8, &y, 8);
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = 0;
}

int64_t vl_delta__interval_ms(const char *text, int64_t def) {
    if (!text) return def;
    const char *p = text;
    while (*p == ' ') p++;
    if (strncasecmp(p, "interval", 8) == 0) p += 8;
    while (*p == ' ') p++;
    char *end;
    long long n = strtoll(p, &end, 10);
    if (end == p || n < 0) return def;
    p = end;
    while (*p == ' ') p++;
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"millisecond", 1}, {"second", 1000}, {"minute", 60000}, {"hour", 3600000},
                 {"day", 86400000}, {"week", 7 * 86400000LL}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t ul = strlen(units[i].unit);
        if (strncasecmp(p, units[i].unit, ul) == 0) {
            if (n > INT64_MAX / units[i].ms) return def;
            return (int64_t)n * units[i].ms;
        }
    }
    return def;
}

/* =============================================================== commits */

/* The actions of commit v (its file's bytes p, n), one JSON object a line. */
static int parse_commit(int64_t v, const char *body, size_t n, vl_arena *a, vl_delta__action_cb cb, void *ctx,
                        vl_error *err) {
    int rc = VL_OK;
    size_t line = 0;
    for (size_t at = 0; rc == VL_OK && at < n;) {
        const char *p = body + at;
        const char *nl = memchr(p, '\n', n - at);
        size_t len = nl ? (size_t)(nl - p) : n - at;
        at += len + (nl != NULL);
        line++;
        while (len && (p[len - 1] == '\r' || p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
        size_t lead = 0;
        while (lead < len && (p[lead] == ' ' || p[lead] == '\t')) lead++;
        if (lead == len) continue;
        const vl_json *j;
        rc = vl_json_parse(p + lead, len - lead, a, &j, err);
        if (rc) {
            vl_error_prefix(err, "delta log: version %lld line %zu: ", (long long)v, line);
            rc = VL_ECORRUPT;
            if (err) err->code = VL_ECORRUPT;
            break;
        }
        if (vl_json_kind(j) != VL_JSON_OBJECT) {
            rc = vl_error_set(err, VL_ECORRUPT, "delta log: version %lld line %zu: an action must be an object",
                              (long long)v, line);
            break;
        }
        rc = cb(ctx, j, err);
    }
    return rc;
}

/* A get of commit v's file that came back rc: a missing one is corrupt. */
static int commit_get_rc(int rc, int64_t v, const char *key, vl_error *err) {
    if (rc == VL_ENOTFOUND)
        rc = vl_error_set(err, VL_ECORRUPT, "delta log: version %lld is missing (%s)", (long long)v, key);
    return rc;
}

int vl_delta__read_commit(const vl_delta_table *t, int64_t v, vl_arena *a, vl_delta__action_cb cb, void *ctx,
                          vl_error *err) {
    vl_buf key, body;
    vl_buf_init(&key);
    vl_buf_init(&body);
    int rc = vl_delta__commit_key(t, v, &key);
    if (rc) rc = vl_error_set(err, VL_ENOMEM, "out of memory");
    if (rc == VL_OK) rc = commit_get_rc(vl_store_get(t->store, vl_buf_cstr(&key), &body, err), v,
                                        vl_buf_cstr(&key), err);
    if (rc == VL_OK) rc = parse_commit(v, (const char *)body.p, body.n, a, cb, ctx, err);
    vl_buf_free(&key);
    vl_buf_free(&body);
    return rc;
}

void vl_delta__commits_init(vl_delta__commits *c, const vl_delta_table *t, const int64_t *versions, size_t n) {
    memset(c, 0, sizeof(*c));
    c->t = t;
    c->vs = versions;
    c->n = n;
    for (size_t i = 0; i < VL_DELTA__COMMIT_WINDOW; i++) {
        vl_buf_init(&c->keys[i]);
        vl_buf_init(&c->bodies[i]);
    }
}

void vl_delta__commits_free(vl_delta__commits *c) {
    for (size_t i = 0; i < VL_DELTA__COMMIT_WINDOW; i++) {
        vl_buf_free(&c->keys[i]);
        vl_buf_free(&c->bodies[i]);
    }
}

int vl_delta__commits_read(vl_delta__commits *c, size_t i, vl_arena *a, vl_delta__action_cb cb, void *ctx,
                           vl_error *err) {
    if (i >= c->n) return vl_error_set(err, VL_EINVAL, "delta log: no commit %zu to read", i);
    if (i < c->base || i >= c->base + c->held) { /* fetch the window from i */
        c->base = i;
        c->held = c->n - i < VL_DELTA__COMMIT_WINDOW ? c->n - i : VL_DELTA__COMMIT_WINDOW;
        const char *keys[VL_DELTA__COMMIT_WINDOW];
        for (size_t k = 0; k < c->held; k++) {
            vl_buf_clear(&c->keys[k]);
            if (vl_delta__commit_key(c->t, c->vs[i + k], &c->keys[k]) != VL_OK || !vl_buf_cstr(&c->keys[k])) {
                c->held = 0;
                return vl_error_set(err, VL_ENOMEM, "out of memory");
            }
            keys[k] = vl_buf_cstr(&c->keys[k]);
        }
        vl_store_get_many(c->t->store, keys, c->held, c->bodies, c->rcs, c->errs);
    }
    size_t k = i - c->base;
    int64_t v = c->vs[i];
    int rc = c->rcs[k];
    if (rc) {
        if (err) *err = c->errs[k];
        return commit_get_rc(rc, v, vl_buf_cstr(&c->keys[k]), err);
    }
    return parse_commit(v, (const char *)c->bodies[k].p, c->bodies[k].n, a, cb, ctx, err);
}

/* ================================================================ listing */

typedef struct cp_info {
    int64_t version;
    int32_t parts, found;
    bool multi; /* the <p>.<n> naming (a 1-of-1 checkpoint may use either) */
    uint64_t mask_lo; /* which parts were seen, for up to 64 parts; counted beyond */
} cp_info;

typedef struct listing {
    int64_t *commits; /* sorted (the listing is in key order) */
    size_t n_commits, cap_commits;
    int64_t *commit_mtime;
    cp_info *cps;
    size_t n_cps, cap_cps;
    const vl_delta_table *t;
} listing;

static void listing_free(listing *L) {
    vl_free(L->commits);
    vl_free(L->commit_mtime);
    vl_free(L->cps);
}

static int list_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    listing *L = ctx;
    size_t pl = strlen(L->t->log_prefix);
    if (o->key_len <= pl) return VL_OK;
    const char *name = o->key + pl;
    size_t n = o->key_len - pl;
    if (memchr(name, '/', n)) return VL_OK; /* _sidecars/, .tmp/, ... */
    log_name ln = vl_delta__log_name(name, n);
    if (ln.kind == LOG_COMMIT) {
        if (L->n_commits == L->cap_commits) {
            size_t nc = L->cap_commits ? L->cap_commits * 2 : 256;
            int64_t *c = vl_realloc(L->commits, nc * sizeof(*c));
            if (c) L->commits = c;
            int64_t *m = c ? vl_realloc(L->commit_mtime, nc * sizeof(*m)) : NULL;
            if (!c || !m) return vl_error_set(err, VL_ENOMEM, "out of memory");
            L->commit_mtime = m;
            L->cap_commits = nc;
        }
        L->commit_mtime[L->n_commits] = o->mtime_us;
        L->commits[L->n_commits++] = ln.version;
    } else if (ln.kind == LOG_CHECKPOINT) {
        cp_info *c = NULL;
        for (size_t i = L->n_cps; i-- > 0;)
            if (L->cps[i].version == ln.version && L->cps[i].parts == ln.parts && L->cps[i].multi == ln.multi) {
                c = &L->cps[i];
                break;
            }
        if (!c) {
            cp_info *x = vl_grow(L->cps, &L->cap_cps, L->n_cps, sizeof(*x), 16);
            if (!x) return vl_error_set(err, VL_ENOMEM, "out of memory");
            L->cps = x;
            c = &L->cps[L->n_cps++];
            *c = (cp_info){ln.version, ln.parts, 0, ln.multi, 0};
        }
        if (ln.part <= 64) {
            uint64_t bit = (uint64_t)1 << (ln.part - 1);
            if (!(c->mask_lo & bit)) c->found++;
            c->mask_lo |= bit;
        } else {
            c->found++;
        }
    }
    return VL_OK;
}

static int list_log(const vl_delta_table *t, const char *start_after, listing *L, vl_error *err) {
    memset(L, 0, sizeof(*L));
    L->t = t;
    /* the prefix without its trailing '/': "_delta_log" matches "_delta_log/..." */
    return vl_store_list(t->store, t->log_prefix, start_after, list_cb, L, err);
}

typedef struct newest {
    size_t prefix_len;
    int64_t v;
} newest;

static int newest_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)err;
    newest *N = ctx;
    log_name ln = vl_delta__log_name(o->key + N->prefix_len, o->key_len - N->prefix_len);
    if (ln.kind == LOG_COMMIT && ln.version > N->v) N->v = ln.version;
    return VL_OK;
}

int vl_delta__latest_commit(const vl_delta_table *t, int64_t after, int64_t *latest, vl_error *err) {
    vl_buf key;
    vl_buf_init(&key);
    if (vl_delta__commit_key(t, after, &key) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
    newest N = {strlen(t->log_prefix), *latest};
    int rc = vl_store_list(t->store, t->log_prefix, vl_buf_cstr(&key), newest_cb, &N, err);
    vl_buf_free(&key);
    if (rc == VL_OK) *latest = N.v;
    return rc;
}

int vl_delta_latest_version(const vl_delta_table *t, int64_t *out, vl_error *err) {
    listing L;
    int rc = list_log(t, NULL, &L, err);
    *out = -1;
    if (rc == VL_OK) {
        if (L.n_commits) *out = L.commits[L.n_commits - 1];
        for (size_t i = 0; i < L.n_cps; i++)
            if (L.cps[i].found >= L.cps[i].parts && L.cps[i].version > *out) *out = L.cps[i].version;
    }
    listing_free(&L);
    return rc;
}

/* ================================================================ replay */

/* A live file while replaying: the snapshot's vl_delta_file plus the raw
 * partition values as they came (key order as in the log). */
typedef struct slot {
    uint64_t hash;
    size_t idx; /* into files; SIZE_MAX: empty */
} slot;

typedef struct replay {
    vl_delta_snapshot *s;
    vl_arena *a; /* the snapshot's arena */
    vl_delta_file *files;
    bool *live;
    size_t n_files, cap_files, n_live;
    slot *slots;
    size_t n_slots; /* power of two */
    vl_delta_tombstone *tombs;
    bool *tomb_live;
    size_t n_tombs, cap_tombs;
    slot *tslots;
    size_t n_tslots;
    bool has_protocol, has_metadata;
    vl_delta_app_txn *txns;
    size_t n_txns, cap_txns;
    int64_t version;      /* the commit being applied; -1 for checkpoint rows */
    int64_t commit_ts;    /* commitInfo.timestamp of the commit being applied, -1 */
    vl_error *err;
} replay;

static char *adup(vl_arena *a, vl_sv s) {
    char *p = vl_arena_alloc(a, s.n + 1);
    if (!p) return NULL;
    if (s.n) memcpy(p, s.p, s.n);
    p[s.n] = 0;
    return p;
}

static int oom(vl_error *err) { return vl_error_set(err, VL_ENOMEM, "out of memory"); }

static slot *find_slot(slot *slots, size_t n_slots, const void *items, size_t stride, size_t path_off,
                       vl_sv path, uint64_t h, bool *found) {
    size_t mask = n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        slot *sl = &slots[i];
        if (sl->idx == SIZE_MAX) {
            *found = false;
            return sl;
        }
        if (sl->hash == h) {
            vl_sv p;
            memcpy(&p, (const char *)items + sl->idx * stride + path_off, sizeof(p));
            if (vl_sv_eq(p, path)) {
                *found = true;
                return sl;
            }
        }
    }
}

static int grow_slots(slot **slots, size_t *n_slots, size_t n_items, const void *items, size_t stride,
                      size_t path_off, vl_error *err) {
    if (*n_slots && n_items * 2 < *n_slots) return VL_OK;
    size_t ns = *n_slots ? *n_slots * 2 : 1024;
    while (n_items * 2 >= ns) ns *= 2;
    slot *x = vl_malloc(ns * sizeof(slot));
    if (!x) return oom(err);
    for (size_t i = 0; i < ns; i++) x[i].idx = SIZE_MAX;
    for (size_t i = 0; i < *n_slots; i++) {
        slot *o = &(*slots)[i];
        if (o->idx == SIZE_MAX) continue;
        bool f;
        vl_sv p;
        memcpy(&p, (const char *)items + o->idx * stride + path_off, sizeof(p));
        slot *d = find_slot(x, ns, items, stride, path_off, p, o->hash, &f);
        *d = *o;
    }
    vl_free(*slots);
    *slots = x;
    *n_slots = ns;
    return VL_OK;
}

/* The partition values (a JSON object of strings or nulls) as kv pairs. */
static int copy_kvs(replay *R, const vl_json *obj, vl_delta_kv **out, uint32_t *n_out, const char *what) {
    *out = NULL;
    *n_out = 0;
    if (!obj || vl_json_is_null(obj)) return VL_OK;
    if (vl_json_kind(obj) != VL_JSON_OBJECT)
        return vl_error_set(R->err, VL_ECORRUPT, "%s must be an object", what);
    size_t n = vl_json_len(obj);
    if (!n) return VL_OK;
    vl_delta_kv *kv = vl_arena_alloc(R->a, n * sizeof(*kv));
    if (!kv) return oom(R->err);
    for (size_t i = 0; i < n; i++) {
        vl_sv k, v = {0};
        const vl_json *val = vl_json_member(obj, i, &k);
        kv[i].key = (vl_sv){adup(R->a, k), k.n};
        kv[i].value_null = vl_json_is_null(val);
        if (!kv[i].value_null && !vl_json_str(val, &v))
            return vl_error_set(R->err, VL_ECORRUPT, "%s: the value of '%.*s' must be a string or null", what,
                                (int)k.n, k.p);
        kv[i].value = (vl_sv){kv[i].value_null ? "" : adup(R->a, v), v.n};
        if (!kv[i].key.p || !kv[i].value.p) return oom(R->err);
    }
    *out = kv;
    *n_out = (uint32_t)n;
    return VL_OK;
}

static int64_t stats_num_records(vl_sv stats) {
    static const char needle[] = "\"numRecords\":";
    const char *p = stats.p, *e = stats.p + stats.n;
    for (; p && p + sizeof(needle) - 1 < e; p++) {
        p = memchr(p, '"', (size_t)(e - p));
        if (!p || (size_t)(e - p) < sizeof(needle) - 1) break;
        if (memcmp(p, needle, sizeof(needle) - 1) == 0) {
            p += sizeof(needle) - 1;
            while (p < e && *p == ' ') p++;
            const char *q = p;
            while (q < e && *q >= '0' && *q <= '9') q++;
            int64_t v;
            if (q > p && vl_parse_i64(p, (size_t)(q - p), &v) == VL_OK) return v;
            return -1;
        }
    }
    return -1;
}

/* The live-file entry for path: an existing one (marked live again) or a
 * new one with only the path set. */
static int file_slot(replay *R, vl_sv path, vl_delta_file **out) {
    vl_error *err = R->err;
    VL_RETURN_IF_ERR(grow_slots(&R->slots, &R->n_slots, R->n_files + 1, R->files, sizeof(vl_delta_file),
                                offsetof(vl_delta_file, path), err));
    uint64_t h = vl_hash64(path.p, path.n, 0x5eed);
    bool found;
    slot *sl = find_slot(R->slots, R->n_slots, R->files, sizeof(vl_delta_file), offsetof(vl_delta_file, path), path,
                         h, &found);
    vl_delta_file *f;
    if (found) {
        f = &R->files[sl->idx];
        if (!R->live[sl->idx]) R->n_live++;
        R->live[sl->idx] = true;
    } else {
        if (R->n_files == R->cap_files) {
            size_t nc = R->cap_files ? R->cap_files * 2 : 256;
            vl_delta_file *x = vl_realloc(R->files, nc * sizeof(*x));
            if (x) R->files = x;
            bool *l = x ? vl_realloc(R->live, nc * sizeof(*l)) : NULL;
            if (!x || !l) return oom(err);
            R->live = l;
            R->cap_files = nc;
        }
        sl->hash = h;
        sl->idx = R->n_files;
        f = &R->files[R->n_files];
        R->live[R->n_files++] = true;
        R->n_live++;
        memset(f, 0, sizeof(*f));
        f->path = (vl_sv){adup(R->a, path), path.n};
        if (!f->path.p) return oom(err);
    }
    *out = f;
    return VL_OK;
}

/* The members of an add action, found in one pass over its keys (a large
 * log has millions of adds: looking each key up separately costs). */
typedef struct add_fields {
    const vl_json *path, *dv, *pv, *size, *mtime, *dc, *stats, *stats_parsed, *tags;
} add_fields;

static void add_members(const vl_json *add, add_fields *a) {
    memset(a, 0, sizeof(*a));
    size_t n = vl_json_len(add);
    for (size_t i = 0; i < n; i++) {
        vl_sv k;
        const vl_json *v = vl_json_member(add, i, &k);
        switch (k.n) {
        case 4:
            if (memcmp(k.p, "path", 4) == 0) a->path = v;
            else if (memcmp(k.p, "size", 4) == 0) a->size = v;
            else if (memcmp(k.p, "tags", 4) == 0) a->tags = v;
            break;
        case 5:
            if (memcmp(k.p, "stats", 5) == 0) a->stats = v;
            break;
        case 10:
            if (memcmp(k.p, "dataChange", 10) == 0) a->dc = v;
            break;
        case 12:
            if (memcmp(k.p, "stats_parsed", 12) == 0) a->stats_parsed = v;
            break;
        case 14:
            if (memcmp(k.p, "deletionVector", 14) == 0) a->dv = v;
            break;
        case 15:
            if (memcmp(k.p, "partitionValues", 15) == 0) a->pv = v;
            break;
        case 16:
            if (memcmp(k.p, "modificationTime", 16) == 0) a->mtime = v;
            break;
        default: break;
        }
    }
}

/* Room for n more files without growing (a checkpoint says how many rows
 * it holds: sizing up front saves rehashing and copying a million entries). */
static int reserve_files(replay *R, size_t n) {
    size_t want = R->n_files + n;
    if (want > R->cap_files) {
        vl_delta_file *x = vl_realloc(R->files, want * sizeof(*x));
        if (x) R->files = x;
        bool *l = x ? vl_realloc(R->live, want * sizeof(*l)) : NULL;
        if (!x || !l) return oom(R->err);
        R->live = l;
        R->cap_files = want;
    }
    return grow_slots(&R->slots, &R->n_slots, want, R->files, sizeof(vl_delta_file), offsetof(vl_delta_file, path),
                      R->err);
}

static int apply_add(replay *R, const vl_json *add) {
    vl_error *err = R->err;
    vl_sv path;
    add_fields A;
    add_members(add, &A);
    if (!A.path || !vl_json_str(A.path, &path) || path.n == 0)
        return vl_error_set(err, VL_ECORRUPT, "add: 'path' is missing, empty or not a string");
    const vl_json *dv = A.dv;
    if (dv && !vl_json_is_null(dv))
        return vl_error_set(err, VL_ENOTSUP,
                            "table uses deletion vectors (file %.*s), which are not supported", (int)path.n, path.p);
    vl_delta_file *f;
    VL_RETURN_IF_ERR(file_slot(R, path, &f));
    VL_RETURN_IF_ERR(copy_kvs(R, A.pv, &f->partition_values, &f->n_partition_values, "add.partitionValues"));
    int64_t v;
    f->size = A.size && vl_json_i64(A.size, &v) ? v : -1;
    f->modification_time = A.mtime && vl_json_i64(A.mtime, &v) ? v : 0;
    bool b;
    f->data_change = A.dc && vl_json_bool(A.dc, &b) ? b : true;
    vl_sv st = {"", 0};
    const vl_json *sj = A.stats;
    if (sj && vl_json_str(sj, &st)) {
        f->stats = (vl_sv){adup(R->a, st), st.n};
        if (!f->stats.p) return oom(err);
    } else {
        f->stats = (vl_sv){"", 0};
        /* checkpoints may carry stats only as a struct (stats_parsed): keep
         * it as JSON text, which is the same shape */
        const vl_json *sp = A.stats_parsed;
        if (sp && vl_json_kind(sp) == VL_JSON_OBJECT) {
            vl_buf b2;
            vl_buf_init(&b2);
            vl_json_w w;
            vl_json_w_init(&w, &b2, 0);
            vl_json_w_value(&w, sp);
            if (vl_json_w_finish(&w, err) == VL_OK) f->stats = (vl_sv){adup(R->a, (vl_sv){(const char *)b2.p, b2.n}), b2.n};
            vl_buf_free(&b2);
            if (!f->stats.p) return oom(err);
        }
    }
    f->num_records = f->stats.n ? stats_num_records(f->stats) : -1;
    VL_RETURN_IF_ERR(copy_kvs(R, A.tags, &f->tags, &f->n_tags, "add.tags"));
    f->added_version = R->version;
    return VL_OK;
}

static int apply_remove(replay *R, const vl_json *rm) {
    vl_error *err = R->err;
    vl_sv path;
    if (vl_json_get_str(rm, "path", &path, NULL) != VL_OK || path.n == 0)
        return vl_error_set(err, VL_ECORRUPT, "remove: 'path' is missing, empty or not a string");
    if (R->n_slots) {
        uint64_t h = vl_hash64(path.p, path.n, 0x5eed);
        bool found;
        slot *sl = find_slot(R->slots, R->n_slots, R->files, sizeof(vl_delta_file), offsetof(vl_delta_file, path),
                             path, h, &found);
        if (found && R->live[sl->idx]) {
            R->live[sl->idx] = false;
            R->n_live--;
        }
    }
    /* the tombstone */
    VL_RETURN_IF_ERR(grow_slots(&R->tslots, &R->n_tslots, R->n_tombs + 1, R->tombs, sizeof(vl_delta_tombstone),
                                offsetof(vl_delta_tombstone, path), err));
    uint64_t h = vl_hash64(path.p, path.n, 0x5eed);
    bool found;
    slot *sl = find_slot(R->tslots, R->n_tslots, R->tombs, sizeof(vl_delta_tombstone),
                         offsetof(vl_delta_tombstone, path), path, h, &found);
    vl_delta_tombstone *tb;
    if (found) {
        tb = &R->tombs[sl->idx];
        R->tomb_live[sl->idx] = true;
    } else {
        if (R->n_tombs == R->cap_tombs) {
            size_t nc = R->cap_tombs ? R->cap_tombs * 2 : 64;
            vl_delta_tombstone *x = vl_realloc(R->tombs, nc * sizeof(*x));
            if (x) R->tombs = x;
            bool *l = x ? vl_realloc(R->tomb_live, nc * sizeof(*l)) : NULL;
            if (!x || !l) return oom(err);
            R->tomb_live = l;
            R->cap_tombs = nc;
        }
        sl->hash = h;
        sl->idx = R->n_tombs;
        tb = &R->tombs[R->n_tombs];
        R->tomb_live[R->n_tombs++] = true;
        memset(tb, 0, sizeof(*tb));
        tb->path = (vl_sv){adup(R->a, path), path.n};
        if (!tb->path.p) return oom(err);
    }
    int64_t v;
    tb->deletion_timestamp = vl_json_get_i64(rm, "deletionTimestamp", &v, NULL) == VL_OK ? v : 0;
    tb->size = vl_json_get_i64(rm, "size", &v, NULL) == VL_OK ? v : -1;
    bool b;
    tb->data_change = vl_json_get_bool(rm, "dataChange", &b, NULL) == VL_OK ? b : true;
    tb->extended_file_metadata = vl_json_get_bool(rm, "extendedFileMetadata", &b, NULL) == VL_OK && b;
    return copy_kvs(R, vl_json_get(rm, "partitionValues"), &tb->partition_values, &tb->n_partition_values,
                    "remove.partitionValues");
}

static int str_array(replay *R, const vl_json *arr, vl_sv **out, uint32_t *n_out, const char *what) {
    *out = NULL;
    *n_out = 0;
    if (!arr || vl_json_is_null(arr)) return VL_OK;
    if (vl_json_kind(arr) != VL_JSON_ARRAY) return vl_error_set(R->err, VL_ECORRUPT, "%s must be an array", what);
    size_t n = vl_json_len(arr);
    if (!n) return VL_OK;
    vl_sv *v = vl_arena_alloc(R->a, n * sizeof(*v));
    if (!v) return oom(R->err);
    for (size_t i = 0; i < n; i++) {
        vl_sv s;
        if (!vl_json_str(vl_json_at(arr, i), &s))
            return vl_error_set(R->err, VL_ECORRUPT, "%s must hold strings", what);
        v[i] = (vl_sv){adup(R->a, s), s.n};
        if (!v[i].p) return oom(R->err);
    }
    *out = v;
    *n_out = (uint32_t)n;
    return VL_OK;
}

static int apply_protocol(replay *R, const vl_json *p) {
    vl_delta_protocol *pr = &R->s->protocol;
    memset(pr, 0, sizeof(*pr));
    int64_t v;
    if (vl_json_get_i64(p, "minReaderVersion", &v, NULL) || v < 0 || v > INT32_MAX)
        return vl_error_set(R->err, VL_ECORRUPT, "protocol: minReaderVersion missing or invalid");
    pr->min_reader = (int32_t)v;
    if (vl_json_get_i64(p, "minWriterVersion", &v, NULL) || v < 0 || v > INT32_MAX)
        return vl_error_set(R->err, VL_ECORRUPT, "protocol: minWriterVersion missing or invalid");
    pr->min_writer = (int32_t)v;
    const vl_json *rf = vl_json_get(p, "readerFeatures"), *wf = vl_json_get(p, "writerFeatures");
    pr->has_reader_features = rf && !vl_json_is_null(rf);
    pr->has_writer_features = wf && !vl_json_is_null(wf);
    VL_RETURN_IF_ERR(str_array(R, rf, &pr->reader_features, &pr->n_reader_features, "protocol.readerFeatures"));
    VL_RETURN_IF_ERR(str_array(R, wf, &pr->writer_features, &pr->n_writer_features, "protocol.writerFeatures"));
    R->has_protocol = true;
    return VL_OK;
}

static int apply_metadata(replay *R, const vl_json *m) {
    vl_delta_metadata *md = &R->s->metadata;
    memset(md, 0, sizeof(*md));
    vl_sv s;
    md->id = vl_json_get_str(m, "id", &s, NULL) == VL_OK ? (vl_sv){adup(R->a, s), s.n} : (vl_sv){"", 0};
    if (vl_json_get_str(m, "name", &s, NULL) == VL_OK) {
        md->name = (vl_sv){adup(R->a, s), s.n};
        md->has_name = true;
    }
    if (vl_json_get_str(m, "description", &s, NULL) == VL_OK) {
        md->description = (vl_sv){adup(R->a, s), s.n};
        md->has_description = true;
    }
    const vl_json *fmt = vl_json_get(m, "format");
    md->provider = (vl_sv){"parquet", 7};
    if (fmt && vl_json_get_str(fmt, "provider", &s, NULL) == VL_OK) md->provider = (vl_sv){adup(R->a, s), s.n};
    md->schema_string = (vl_sv){NULL, 0};
    if (vl_json_get_str(m, "schemaString", &s, NULL) == VL_OK) {
        md->schema_string = (vl_sv){adup(R->a, s), s.n};
        if (!md->schema_string.p) return oom(R->err);
    }
    VL_RETURN_IF_ERR(str_array(R, vl_json_get(m, "partitionColumns"), &md->partition_columns,
                               &md->n_partition_columns, "metaData.partitionColumns"));
    VL_RETURN_IF_ERR(copy_kvs(R, vl_json_get(m, "configuration"), &md->configuration, &md->n_configuration,
                              "metaData.configuration"));
    int64_t v;
    md->created_time = vl_json_get_i64(m, "createdTime", &v, NULL) == VL_OK ? v : -1;
    R->has_metadata = true;
    return VL_OK;
}

static int apply_txn(replay *R, const vl_json *x) {
    vl_sv app;
    int64_t v, lu = -1;
    if (vl_json_get_str(x, "appId", &app, NULL) || vl_json_get_i64(x, "version", &v, NULL))
        return vl_error_set(R->err, VL_ECORRUPT, "txn: appId and version are required");
    if (vl_json_get_i64(x, "lastUpdated", &lu, NULL)) lu = -1;
    for (size_t i = 0; i < R->n_txns; i++)
        if (vl_sv_eq(R->txns[i].app_id, app)) {
            R->txns[i].version = v;
            R->txns[i].last_updated = lu;
            return VL_OK;
        }
    vl_delta_app_txn *t = vl_grow(R->txns, &R->cap_txns, R->n_txns, sizeof(*t), 16);
    if (!t) return oom(R->err);
    R->txns = t;
    R->txns[R->n_txns++] = (vl_delta_app_txn){(vl_sv){adup(R->a, app), app.n}, v, lu};
    return VL_OK;
}

static int apply_action(void *ctx, const vl_json *j, vl_error *err) {
    replay *R = ctx;
    (void)err;
    size_t n = vl_json_len(j);
    for (size_t i = 0; i < n; i++) {
        vl_sv k;
        const vl_json *v = vl_json_member(j, i, &k);
        if (vl_json_is_null(v)) continue;
        if (vl_sv_eq_cstr(k, "add")) VL_RETURN_IF_ERR(apply_add(R, v));
        else if (vl_sv_eq_cstr(k, "remove")) VL_RETURN_IF_ERR(apply_remove(R, v));
        else if (vl_sv_eq_cstr(k, "metaData")) VL_RETURN_IF_ERR(apply_metadata(R, v));
        else if (vl_sv_eq_cstr(k, "protocol")) VL_RETURN_IF_ERR(apply_protocol(R, v));
        else if (vl_sv_eq_cstr(k, "txn")) VL_RETURN_IF_ERR(apply_txn(R, v));
        else if (vl_sv_eq_cstr(k, "commitInfo")) {
            int64_t ts;
            if (vl_json_get_i64(v, "inCommitTimestamp", &ts, NULL) == VL_OK ||
                vl_json_get_i64(v, "timestamp", &ts, NULL) == VL_OK)
                R->commit_ts = ts;
        } else if (vl_sv_eq_cstr(k, "checkpointMetadata")) {
            return vl_error_set(R->err, VL_ENOTSUP, "v2 checkpoints (checkpointMetadata) are not supported");
        } else if (vl_sv_eq_cstr(k, "sidecar")) {
            return vl_error_set(R->err, VL_ENOTSUP, "v2 checkpoint sidecars are not supported");
        }
    }
    return VL_OK;
}

/* Checkpoint rows come as JSON cells per top-level field. */
typedef struct cp_rows {
    replay *R;
    const vl_pq_node *root;
    const char *names[8];
    uint32_t idx[8];
    uint32_t n;
    vl_arena scratch;
} cp_rows;

static int cp_row(void *ctx, const vl_sv *cells, vl_error *err) {
    cp_rows *C = ctx;
    for (uint32_t k = 0; k < C->n; k++) {
        vl_sv c = cells[C->idx[k]];
        if (c.n == 0 || (c.n == 4 && memcmp(c.p, "null", 4) == 0)) continue; /* not selected, or null */
        vl_arena_reset(&C->scratch);
        const vl_json *j;
        int rc = vl_json_parse(c.p, c.n, &C->scratch, &j, err);
        if (rc) return rc;
        const char *name = C->names[k];
        rc = VL_OK;
        if (strcmp(name, "add") == 0) rc = apply_add(C->R, j);
        else if (strcmp(name, "remove") == 0) rc = apply_remove(C->R, j);
        else if (strcmp(name, "metaData") == 0) rc = apply_metadata(C->R, j);
        else if (strcmp(name, "protocol") == 0) rc = apply_protocol(C->R, j);
        else if (strcmp(name, "txn") == 0) rc = apply_txn(C->R, j);
        else if (strcmp(name, "checkpointMetadata") == 0 || strcmp(name, "sidecar") == 0)
            rc = vl_error_set(err, VL_ENOTSUP, "v2 checkpoints (%s) are not supported", name);
        if (rc) return rc;
    }
    return VL_OK;
}

/* ------------------------------------------- checkpoint adds, columnar */

/*
 * The add actions of a checkpoint decoded straight from their columns: a
 * checkpoint of a million files holds a million add rows, and assembling
 * each as JSON text to parse it again costs more than the rest of a load.
 * Only the classic layout is taken this way (add: optional group of
 * optional primitives, partitionValues and tags as MAP groups); anything
 * else (stats only as stats_parsed, unexpected shapes) goes through the
 * JSON cells instead. CP_FALLBACK asks for that.
 */
#define CP_FALLBACK 1

static const vl_pq_node *child_named(const vl_pq_node *n, const char *name) {
    for (uint32_t i = 0; n && i < n->n_children; i++)
        if (vl_sv_eq_cstr(n->children[i].name, name)) return &n->children[i];
    return NULL;
}

/* A flat optional leaf directly under add: max_def 2, no repetition. */
static bool flat_leaf(const vl_pq_node *n, int32_t physical) {
    return n && n->leaf >= 0 && n->physical == physical && n->max_def == 2 && n->max_rep == 0;
}

/* A MAP<string,string> group under add: returns its key and value leaves. */
static bool map_leaves(const vl_pq_node *n, const vl_pq_node **k, const vl_pq_node **v) {
    if (!n || n->leaf >= 0 || n->n_children != 1) return false;
    const vl_pq_node *kv = &n->children[0];
    if (kv->repetition != VL_PQ_REP_REPEATED || kv->n_children != 2) return false;
    *k = &kv->children[0];
    *v = &kv->children[1];
    return (*k)->leaf >= 0 && (*v)->leaf >= 0 && (*k)->physical == VL_PQ_T_BYTE_ARRAY &&
           (*v)->physical == VL_PQ_T_BYTE_ARRAY && (*k)->max_rep == 1 && (*v)->max_rep == 1 &&
           (*k)->max_def == 3 && (*v)->max_def == 4 && n->max_def == 2;
}

typedef struct flat_cur {
    vl_pq_column c;
    size_t vi;
    bool have;
} flat_cur;

/* The next row's value of a flat column: true when present. */
static inline bool flat_next(flat_cur *fc, size_t row, int16_t want_def) {
    if (!fc->have || row >= fc->c.n) return false;
    int16_t d = fc->c.def ? fc->c.def[row] : want_def;
    if (d != want_def || fc->vi >= fc->c.n_values) return false;
    fc->vi++;
    return true;
}

typedef struct map_cur {
    vl_pq_column k, v;
    size_t li, ki, vi;
    bool have;
} map_cur;

/* The entries of the next row of a map column, copied as kv pairs. */
static int map_next(replay *R, map_cur *mc, vl_delta_kv **out, uint32_t *n_out) {
    *out = NULL;
    *n_out = 0;
    if (!mc->have) return VL_OK;
    size_t start = mc->li, end = start + 1;
    if (start >= mc->k.n || start >= mc->v.n) return vl_error_set(R->err, VL_ECORRUPT, "checkpoint map column is short");
    while (end < mc->k.n && mc->k.rep && mc->k.rep[end] == 1) end++;
    mc->li = end;
    size_t n = 0;
    for (size_t i = start; i < end; i++) n += mc->k.def && mc->k.def[i] == 3;
    if (!n) return VL_OK;
    vl_delta_kv *kv = vl_arena_alloc(R->a, n * sizeof(*kv));
    if (!kv) return oom(R->err);
    size_t o = 0;
    for (size_t i = start; i < end; i++) {
        if (!mc->k.def || mc->k.def[i] != 3) continue;
        if (mc->ki >= mc->k.n_values) return vl_error_set(R->err, VL_ECORRUPT, "checkpoint map keys are short");
        vl_sv key = mc->k.v.bin[mc->ki++];
        bool vnull = !(mc->v.def && i < mc->v.n && mc->v.def[i] == 4);
        vl_sv val = {"", 0};
        if (!vnull) {
            if (mc->vi >= mc->v.n_values) return vl_error_set(R->err, VL_ECORRUPT, "checkpoint map values are short");
            val = mc->v.v.bin[mc->vi++];
        }
        kv[o].key = (vl_sv){adup(R->a, key), key.n};
        kv[o].value = vnull ? (vl_sv){"", 0} : (vl_sv){adup(R->a, val), val.n};
        kv[o].value_null = vnull;
        if (!kv[o].key.p || !kv[o].value.p) return oom(R->err);
        o++;
    }
    *out = kv;
    *n_out = (uint32_t)o;
    return VL_OK;
}

static int cp_adds_columnar(replay *R, vl_pq_reader *r, uint32_t rg, const vl_pq_node *add, vl_arena *a,
                            vl_error *err) {
    const vl_pq_node *path = child_named(add, "path"), *size = child_named(add, "size"),
                     *mtime = child_named(add, "modificationTime"), *dc = child_named(add, "dataChange"),
                     *stats = child_named(add, "stats"), *dv = child_named(add, "deletionVector"),
                     *pv = child_named(add, "partitionValues"), *tags = child_named(add, "tags");
    const vl_pq_node *pk = NULL, *pvv = NULL, *tk = NULL, *tv = NULL;
    if (!flat_leaf(path, VL_PQ_T_BYTE_ARRAY) || (size && !flat_leaf(size, VL_PQ_T_INT64)) ||
        (mtime && !flat_leaf(mtime, VL_PQ_T_INT64)) || (dc && !flat_leaf(dc, VL_PQ_T_BOOLEAN)) ||
        (stats && !flat_leaf(stats, VL_PQ_T_BYTE_ARRAY)) || (!stats && child_named(add, "stats_parsed")) ||
        (pv && !map_leaves(pv, &pk, &pvv)) || (tags && !map_leaves(tags, &tk, &tv)) || add->max_def != 1)
        return CP_FALLBACK;
    vl_arena_reset(a);
    flat_cur cp = {0}, cs = {0}, cm = {0}, cd = {0}, ct = {0}, cdv = {0};
    map_cur mp = {0}, mt = {0};
    VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, (uint32_t)path->leaf, a, &cp.c, err));
    cp.have = true;
    struct {
        const vl_pq_node *n;
        flat_cur *c;
    } flats[] = {{size, &cs}, {mtime, &cm}, {dc, &cd}, {stats, &ct}};
    for (size_t i = 0; i < sizeof(flats) / sizeof(flats[0]); i++) {
        if (!flats[i].n) continue;
        VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, (uint32_t)flats[i].n->leaf, a, &flats[i].c->c, err));
        flats[i].c->have = flats[i].c->c.n == cp.c.n;
        if (!flats[i].c->have) return vl_error_set(err, VL_ECORRUPT, "checkpoint: add columns disagree on rows");
    }
    if (dv) {
        /* any deletion vector present: the table needs a feature we lack */
        const vl_pq_node *leaf = dv;
        while (leaf->leaf < 0 && leaf->n_children) leaf = &leaf->children[0];
        if (leaf->leaf >= 0) {
            VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, (uint32_t)leaf->leaf, a, &cdv.c, err));
            for (size_t i = 0; i < cdv.c.n; i++)
                if (cdv.c.def && cdv.c.def[i] >= 2)
                    return vl_error_set(err, VL_ENOTSUP, "table uses deletion vectors, which are not supported");
        }
    }
    if (pv) {
        VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, (uint32_t)pk->leaf, a, &mp.k, err));
        VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, (uint32_t)pvv->leaf, a, &mp.v, err));
        mp.have = true;
    }
    if (tags) {
        VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, (uint32_t)tk->leaf, a, &mt.k, err));
        VL_RETURN_IF_ERR(vl_pq_read_column(r, rg, (uint32_t)tv->leaf, a, &mt.v, err));
        mt.have = true;
    }
    size_t rows = cp.c.n;
    for (size_t i = 0; i < rows; i++) {
        int16_t d = cp.c.def ? cp.c.def[i] : 2;
        bool has_path = flat_next(&cp, i, 2);
        bool has_size = flat_next(&cs, i, 2), has_mtime = flat_next(&cm, i, 2), has_dc = flat_next(&cd, i, 2),
             has_stats = flat_next(&ct, i, 2);
        vl_delta_kv *pkv = NULL, *tkv = NULL;
        uint32_t npk = 0, ntk = 0;
        /* the maps advance one row either way */
        VL_RETURN_IF_ERR(map_next(R, &mp, &pkv, &npk));
        VL_RETURN_IF_ERR(map_next(R, &mt, &tkv, &ntk));
        if (d < 1) continue; /* another action's row */
        if (!has_path || cp.c.v.bin[cp.vi - 1].n == 0)
            return vl_error_set(err, VL_ECORRUPT, "checkpoint: an add without a path (row %zu)", i);
        vl_delta_file *f;
        VL_RETURN_IF_ERR(file_slot(R, cp.c.v.bin[cp.vi - 1], &f));
        f->partition_values = pkv;
        f->n_partition_values = npk;
        f->tags = tkv;
        f->n_tags = ntk;
        f->size = has_size ? cs.c.v.i64[cs.vi - 1] : -1;
        f->modification_time = has_mtime ? cm.c.v.i64[cm.vi - 1] : 0;
        f->data_change = has_dc ? cd.c.v.b[cd.vi - 1] != 0 : true;
        if (has_stats) {
            vl_sv st = ct.c.v.bin[ct.vi - 1];
            f->stats = (vl_sv){adup(R->a, st), st.n};
            if (!f->stats.p) return oom(err);
        } else {
            f->stats = (vl_sv){"", 0};
        }
        f->num_records = f->stats.n ? stats_num_records(f->stats) : -1;
        f->added_version = -1;
    }
    return VL_OK;
}

static int read_checkpoint(const vl_delta_table *t, const cp_info *cp, replay *R, vl_error *err) {
    vl_buf key, body;
    vl_buf_init(&key);
    vl_buf_init(&body);
    int rc = VL_OK;
    for (int32_t part = 1; part <= cp->parts && rc == VL_OK; part++) {
        vl_buf_clear(&key);
        if (!cp->multi)
            rc = vl_buf_printf(&key, "%s%020lld.checkpoint.parquet", t->log_prefix, (long long)cp->version);
        else
            rc = vl_buf_printf(&key, "%s%020lld.checkpoint.%010d.%010d.parquet", t->log_prefix,
                               (long long)cp->version, part, cp->parts);
        if (rc) {
            rc = oom(err);
            break;
        }
        rc = vl_store_get(t->store, vl_buf_cstr(&key), &body, err);
        vl_pq_reader *r = NULL;
        if (rc == VL_OK) rc = vl_pq_reader_open_mem((const uint8_t *)body.p, body.n, vl_buf_cstr(&key), &r, err);
        if (rc == VL_OK) {
            cp_rows C = {.R = R, .root = vl_pq_reader_schema(r)->root};
            vl_arena_init(&C.scratch, 1 << 14);
            static const char *const wanted[] = {"protocol", "metaData", "txn", "add", "remove",
                                                 "checkpointMetadata", "sidecar"};
            bool *fields = vl_calloc(C.root->n_children + 1, sizeof(bool));
            if (!fields) rc = oom(err);
            for (uint32_t i = 0; rc == VL_OK && i < C.root->n_children; i++)
                for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++)
                    if (vl_sv_eq_cstr(C.root->children[i].name, wanted[w]) && C.n < 8) {
                        fields[i] = true;
                        C.names[C.n] = wanted[w];
                        C.idx[C.n++] = i;
                    }
            /* apply in the protocol's order within a row: it does not matter
             * for a checkpoint (no file is both added and removed) */
            const vl_pq_file_meta *m = vl_pq_reader_meta(r);
            if (rc == VL_OK && m->num_rows > 0 && (uint64_t)m->num_rows <= body.n)
                rc = reserve_files(R, (size_t)m->num_rows);
            /* the add column, when it has the classic layout, is decoded
             * directly; the other actions (few) go through JSON cells */
            uint32_t add_i = UINT32_MAX;
            for (uint32_t k = 0; k < C.n; k++)
                if (strcmp(C.names[k], "add") == 0) add_i = k;
            vl_arena cols;
            vl_arena_init(&cols, 1 << 20);
            for (uint32_t rg = 0; rc == VL_OK && rg < m->n_row_groups; rg++) {
                bool direct = false;
                if (add_i != UINT32_MAX) {
                    rc = cp_adds_columnar(R, r, rg, &C.root->children[C.idx[add_i]], &cols, err);
                    direct = rc == VL_OK;
                    if (rc == CP_FALLBACK) rc = VL_OK;
                    fields[C.idx[add_i]] = !direct;
                }
                if (rc == VL_OK) {
                    bool any = false;
                    for (uint32_t k = 0; k < C.n; k++) any |= fields[C.idx[k]];
                    if (any) rc = vl_pq_rows_cells(r, rg, fields, &cols, cp_row, &C, NULL, err);
                }
            }
            vl_arena_destroy(&cols);
            vl_free(fields);
            vl_arena_destroy(&C.scratch);
        }
        vl_pq_reader_close(r);
        if (rc && rc != VL_ENOMEM) vl_error_prefix(err, "delta checkpoint %s: ", vl_buf_cstr(&key));
        if (rc == VL_ENOTFOUND) rc = VL_ECORRUPT;
    }
    vl_buf_free(&key);
    vl_buf_free(&body);
    return rc;
}

/* _last_checkpoint: {"version":N,"size":...,"parts":P}. -1 when unusable. */
static int64_t last_checkpoint(const vl_delta_table *t) {
    vl_buf key, body;
    vl_buf_init(&key);
    vl_buf_init(&body);
    int64_t v = -1;
    if (vl_buf_printf(&key, "%s_last_checkpoint", t->log_prefix) == VL_OK &&
        vl_store_get(t->store, vl_buf_cstr(&key), &body, NULL) == VL_OK && body.n) {
        vl_arena a;
        vl_arena_init(&a, 4096);
        const vl_json *j;
        size_t n = body.n;
        while (n && (body.p[n - 1] == '\n' || body.p[n - 1] == ' ' || body.p[n - 1] == '\r')) n--;
        if (vl_json_parse((const char *)body.p, n, &a, &j, NULL) == VL_OK &&
            vl_json_get_i64(j, "version", &v, NULL) != VL_OK)
            v = -1;
        if (v < 0) VL_WARN("delta", "%s is unreadable; listing the log instead", vl_buf_cstr(&key));
        vl_arena_destroy(&a);
    }
    vl_buf_free(&key);
    vl_buf_free(&body);
    return v;
}

/* What this reader can read. */
static int check_protocol(const vl_delta_snapshot *s, vl_error *err) {
    const vl_delta_protocol *p = &s->protocol;
    const char *mode = vl_delta_snapshot_prop(s, "delta.columnMapping.mode", "none");
    bool mapping = strcmp(mode, "none") != 0;
    /* name the feature when the table lists one we do not know, whatever
     * the version says */
    for (uint32_t i = 0; i < p->n_reader_features; i++) {
        vl_sv f = p->reader_features[i];
        if (vl_sv_eq_cstr(f, "timestampNtz") || vl_sv_eq_cstr(f, "vacuumProtocolCheck")) continue;
        if (vl_sv_eq_cstr(f, "columnMapping") && !mapping) continue;
        const char *what = vl_sv_eq_cstr(f, "deletionVectors") ? "deletion vectors"
                           : vl_sv_eq_cstr(f, "columnMapping") ? "column mapping"
                           : vl_sv_eq_cstr(f, "v2Checkpoint")  ? "v2 checkpoints"
                           : vl_sv_eq_cstr(f, "typeWidening")  ? "type widening"
                           : vl_sv_eq_cstr(f, "variantType")   ? "the variant type"
                                                               : NULL;
        if (what)
            return vl_error_set(err, VL_ENOTSUP, "table requires reader feature '%.*s' (%s), which is not supported",
                                (int)f.n, f.p, what);
        return vl_error_set(err, VL_ENOTSUP, "table requires unknown reader feature '%.*s'", (int)f.n, f.p);
    }
    if (p->min_reader > 3 || p->min_reader < 1)
        return vl_error_set(err, VL_ENOTSUP, "table requires Delta reader version %d, which is not supported (1 to 3 are)",
                            p->min_reader);
    if (p->min_reader >= 2 && mapping)
        return vl_error_set(err, VL_ENOTSUP, "table uses column mapping (mode %s), which is not supported", mode);
    return VL_OK;
}

static int cmp_txn(const void *a, const void *b) {
    return vl_sv_cmp(((const vl_delta_app_txn *)a)->app_id, ((const vl_delta_app_txn *)b)->app_id);
}

/* Orders each file's partition values like metadata.partition_columns. */
static int normalize_partitions(vl_delta_snapshot *s, vl_delta_kv **kvp, uint32_t *np, vl_error *err) {
    const vl_delta_metadata *md = &s->metadata;
    uint32_t n = md->n_partition_columns;
    vl_delta_kv *in = *kvp, *outv = NULL;
    if (*np == n) { /* already in column order: the usual case */
        bool same = true;
        for (uint32_t c = 0; c < n && same; c++) same = vl_sv_eq(in[c].key, md->partition_columns[c]);
        if (same) return VL_OK;
    }
    if (n) {
        outv = vl_arena_alloc(&s->arena, n * sizeof(*outv));
        if (!outv) return oom(err);
    }
    for (uint32_t c = 0; c < n; c++) {
        outv[c] = (vl_delta_kv){md->partition_columns[c], {"", 0}, true};
        for (uint32_t k = 0; k < *np; k++)
            if (vl_sv_eq(in[k].key, md->partition_columns[c])) {
                outv[c] = in[k];
                break;
            }
    }
    *kvp = outv;
    *np = n;
    return VL_OK;
}

/* Versions [lo, hi] of the listing, contiguous, or an error naming the gap. */
static int check_contiguous(const listing *L, int64_t lo, int64_t hi, size_t *first, vl_error *err) {
    size_t i = 0;
    while (i < L->n_commits && L->commits[i] < lo) i++;
    *first = i;
    for (int64_t v = lo; v <= hi; v++, i++) {
        if (i >= L->n_commits || L->commits[i] != v)
            return vl_error_set(err, VL_ECORRUPT,
                                "delta log: version %lld is missing (versions are not contiguous between %lld and %lld)",
                                (long long)v, (long long)lo, (long long)hi);
    }
    return VL_OK;
}

static int version_timestamp(const vl_delta_table *t, int64_t v, int64_t mtime_us, int64_t *ts_ms, vl_error *err);

static int load_at(const vl_delta_table *t, vl_delta_at at, vl_delta_snapshot **out, bool *gap, vl_error *err) {
    int rc;
    int64_t hint = at.version < 0 ? last_checkpoint(t) : -1;
    listing L;
    char start[32];
    if (hint >= 0) snprintf(start, sizeof(start), "%020lld", (long long)hint);
    const char *start_after = NULL;
    vl_buf sa;
    vl_buf_init(&sa);
    if (hint >= 0) {
        if (vl_buf_printf(&sa, "%s%s", t->log_prefix, start)) return oom(err);
        start_after = vl_buf_cstr(&sa);
    }
    rc = list_log(t, start_after, &L, err);
    if (rc == VL_OK && hint >= 0) {
        /* the hint is only good if the checkpoint it names is complete */
        bool ok = false;
        for (size_t i = 0; i < L.n_cps; i++)
            if (L.cps[i].version == hint && L.cps[i].found >= L.cps[i].parts) ok = true;
        if (!ok) {
            listing_free(&L);
            rc = list_log(t, NULL, &L, err);
        }
    }
    vl_buf_free(&sa);
    if (rc) {
        listing_free(&L);
        return rc;
    }
    if (L.n_commits == 0 && L.n_cps == 0) {
        listing_free(&L);
        return vl_error_set(err, VL_ENOTFOUND, "no Delta table at '%s' (no _delta_log entries)",
                            t->name);
    }
    int64_t latest = L.n_commits ? L.commits[L.n_commits - 1] : -1;
    for (size_t i = 0; i < L.n_cps; i++)
        if (L.cps[i].found >= L.cps[i].parts && L.cps[i].version > latest) latest = L.cps[i].version;
    int64_t target = at.version < 0 ? latest : at.version;
    if (target > latest) {
        listing_free(&L);
        return vl_error_set(err, VL_ENOTFOUND, "version %lld of '%s' does not exist (latest is %lld)",
                            (long long)target, t->name, (long long)latest);
    }
    const cp_info *cp = NULL;
    for (size_t i = 0; i < L.n_cps; i++) {
        const cp_info *c = &L.cps[i];
        if (c->found < c->parts || c->version > target) continue;
        if (!cp || c->version > cp->version) cp = c;
    }
    int64_t from = cp ? cp->version + 1 : 0;
    size_t first = 0;
    if (!cp && (L.n_commits == 0 || L.commits[0] > 0)) {
        int64_t lo = L.n_commits ? L.commits[0] : -1;
        listing_free(&L);
        return vl_error_set(err, VL_ENOTFOUND,
                            "version %lld of '%s' cannot be reconstructed: the log starts at version %lld with no "
                            "checkpoint at or before it",
                            (long long)target, t->name, (long long)lo);
    }
    rc = check_contiguous(&L, from, target, &first, err);
    if (rc) {
        listing_free(&L);
        *gap = true;
        return rc;
    }
    vl_delta_snapshot *s = vl_calloc(1, sizeof(*s));
    if (!s) {
        listing_free(&L);
        return oom(err);
    }
    vl_arena_init(&s->arena, 1 << 16);
    s->table = t;
    s->version = target;
    s->checkpoint_version = cp ? cp->version : -1;
    s->timestamp_ms = -1;
    replay R = {.s = s, .a = &s->arena, .err = err, .version = -1, .commit_ts = -1};
    if (cp) rc = read_checkpoint(t, cp, &R, err);
    vl_arena scratch;
    vl_arena_init(&scratch, 1 << 16);
    size_t n_vs = target >= from ? (size_t)(target - from + 1) : 0;
    int64_t *vs = vl_malloc((n_vs + 1) * sizeof(int64_t));
    if (!vs && rc == VL_OK) rc = oom(err);
    for (size_t i = 0; vs && i < n_vs; i++) vs[i] = from + (int64_t)i;
    vl_delta__commits C;
    vl_delta__commits_init(&C, t, vs, n_vs);
    for (int64_t v = from; rc == VL_OK && v <= target; v++) {
        R.version = v;
        R.commit_ts = -1;
        vl_arena_reset(&scratch);
        rc = vl_delta__commits_read(&C, (size_t)(v - from), &scratch, apply_action, &R, err);
        if (rc && rc != VL_ENOMEM && err && strncmp(err->msg, "delta log", 9) != 0)
            vl_error_prefix(err, "delta log: version %lld: ", (long long)v);
        if (v == target) {
            s->timestamp_ms = R.commit_ts;
            if (s->timestamp_ms < 0) s->timestamp_ms = L.commit_mtime[first + (size_t)(v - from)] / 1000;
        }
    }
    vl_delta__commits_free(&C);
    vl_free(vs);
    vl_arena_destroy(&scratch);
    /* the target is the checkpoint's own version: no commit was replayed,
     * so read its commitInfo (or take its file time) */
    for (size_t i = 0; rc == VL_OK && s->timestamp_ms < 0 && i < L.n_commits; i++)
        if (L.commits[i] == target) rc = version_timestamp(t, target, L.commit_mtime[i], &s->timestamp_ms, err);
    listing_free(&L);
    if (rc == VL_OK && !R.has_protocol)
        rc = vl_error_set(err, VL_ECORRUPT, "delta log of '%s' at version %lld has no protocol action", t->name,
                          (long long)target);
    if (rc == VL_OK) rc = check_protocol(s, err);
    if (rc == VL_OK && !R.has_metadata)
        rc = vl_error_set(err, VL_ECORRUPT, "delta log of '%s' at version %lld has no metaData action", t->name,
                          (long long)target);
    if (rc == VL_OK && !s->metadata.schema_string.p)
        rc = vl_error_set(err, VL_ECORRUPT, "delta log of '%s': metaData has no schemaString", t->name);
    if (rc == VL_OK) {
        rc = vl_delta_schema_parse(s->metadata.schema_string.p, s->metadata.schema_string.n, &s->arena,
                                   &s->metadata.schema, err);
        if (rc) vl_error_prefix(err, "delta log of '%s': schemaString: ", t->name);
    }
    vl_delta_metadata *md = &s->metadata;
    if (rc == VL_OK && md->n_partition_columns) {
        md->partition_index = vl_arena_alloc(&s->arena, md->n_partition_columns * sizeof(uint32_t));
        if (!md->partition_index) rc = oom(err);
        for (uint32_t i = 0; rc == VL_OK && i < md->n_partition_columns; i++) {
            uint32_t idx;
            const vl_dt_field *f = vl_delta_field_find(&md->schema, md->partition_columns[i], &idx);
            if (!f)
                rc = vl_error_set(err, VL_ECORRUPT, "partition column '%.*s' is not in the schema",
                                  (int)md->partition_columns[i].n, md->partition_columns[i].p);
            else if (f->type.kind >= VL_DT_STRUCT)
                rc = vl_error_set(err, VL_ECORRUPT, "partition column '%.*s' has a nested type",
                                  (int)md->partition_columns[i].n, md->partition_columns[i].p);
            else
                md->partition_index[i] = idx;
        }
    }
    if (rc == VL_OK) {
        size_t nt = 0;
        for (size_t i = 0; i < R.n_tombs; i++) nt += R.tomb_live[i];
        /* a path removed and re-added is live, not a tombstone */
        s->tombstones = nt ? vl_arena_alloc(&s->arena, nt * sizeof(vl_delta_tombstone)) : NULL;
        if (nt && !s->tombstones) rc = oom(err);
        size_t k = 0;
        for (size_t i = 0; rc == VL_OK && i < R.n_tombs; i++) {
            if (!R.tomb_live[i]) continue;
            bool live = false;
            if (R.n_slots) {
                bool found;
                slot *sl = find_slot(R.slots, R.n_slots, R.files, sizeof(vl_delta_file), offsetof(vl_delta_file, path),
                                     R.tombs[i].path, vl_hash64(R.tombs[i].path.p, R.tombs[i].path.n, 0x5eed), &found);
                live = found && R.live[sl->idx];
            }
            if (!live) s->tombstones[k++] = R.tombs[i];
        }
        s->n_tombstones = k;
    }
    /* the live files, in the order the log added them (sorting a million
     * paths would cost more than the rest of the replay), with partition
     * values in column order; compacted in place and handed over (after
     * the tombstones, which look entries up by their replay index) */
    if (rc == VL_OK) {
        size_t k = 0;
        s->num_records = 0;
        for (size_t i = 0; rc == VL_OK && i < R.n_files; i++) {
            if (!R.live[i]) continue;
            vl_delta_file *f = &R.files[k++];
            if (f != &R.files[i]) *f = R.files[i];
            rc = normalize_partitions(s, &f->partition_values, &f->n_partition_values, err);
            if (f->num_records < 0) s->num_records = -1;
            else if (s->num_records >= 0) s->num_records += f->num_records;
            s->size_bytes += f->size > 0 ? f->size : 0;
        }
        s->n_files = k;
        s->files = k ? R.files : NULL;
        s->files_heap = R.files;
        R.files = NULL;
    }
    if (rc == VL_OK && R.n_txns) {
        s->txns = vl_arena_memdup(&s->arena, R.txns, R.n_txns * sizeof(*R.txns));
        if (!s->txns) rc = oom(err);
        s->n_txns = R.n_txns;
        if (rc == VL_OK) qsort(s->txns, s->n_txns, sizeof(*s->txns), cmp_txn);
    }
    vl_free(R.files);
    vl_free(R.live);
    vl_free(R.slots);
    vl_free(R.tombs);
    vl_free(R.tomb_live);
    vl_free(R.tslots);
    vl_free(R.txns);
    if (rc) {
        vl_delta_snapshot_free(s);
        return rc;
    }
    *out = s;
    return VL_OK;
}

int vl_delta_snapshot_load(const vl_delta_table *t, vl_delta_at at, vl_delta_snapshot **out, vl_error *err) {
    *out = NULL;
    int rc;
    if (at.version < 0 && at.timestamp_us >= 0) {
        /* resolve the timestamp to a version first */
        listing L;
        rc = list_log(t, NULL, &L, err);
        if (rc == VL_OK && L.n_commits == 0) rc = vl_error_set(err, VL_ENOTFOUND, "no Delta table at '%s'", t->name);
        int64_t found = -1;
        /* commits are in order; timestamps are monotonic by protocol (we
         * take the larger of a commit's and the previous one's), so a
         * binary search over the listed commits finds the last one <= ts */
        size_t lo = 0, hi = L.n_commits;
        while (rc == VL_OK && lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int64_t ts;
            rc = version_timestamp(t, L.commits[mid], L.commit_mtime[mid], &ts, err);
            if (rc) break;
            if (ts * 1000 <= at.timestamp_us) {
                found = L.commits[mid];
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        listing_free(&L);
        if (rc) return rc;
        if (found < 0) {
            char b[48];
            b[vl_ts_format(b, at.timestamp_us)] = 0;
            return vl_error_set(err, VL_ENOTFOUND, "no version of '%s' at or before %s (the first commit is later)",
                                t->name, b);
        }
        at.version = found;
    }
    /* A listing may miss commits written while it runs (the store promises
     * nothing about those), which looks like a gap: list again before
     * calling it one. */
    for (int attempt = 0;; attempt++) {
        bool gap = false;
        rc = load_at(t, at, out, &gap, err);
        if (!gap || attempt >= 4) return rc;
        struct timespec ts = {0, 5000000L * (attempt + 1)};
        nanosleep(&ts, NULL);
    }
}

void vl_delta_snapshot_free(vl_delta_snapshot *s) {
    if (!s) return;
    vl_free(s->files_heap);
    vl_arena_destroy(&s->arena);
    vl_free(s);
}

int64_t vl_delta_snapshot_app_version(const vl_delta_snapshot *s, const char *app_id) {
    vl_sv a = vl_sv_cstr(app_id);
    size_t lo = 0, hi = s->n_txns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = vl_sv_cmp(s->txns[mid].app_id, a);
        if (c == 0) return s->txns[mid].version;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

const char *vl_delta_snapshot_prop(const vl_delta_snapshot *s, const char *key, const char *def) {
    for (uint32_t i = 0; i < s->metadata.n_configuration; i++)
        if (vl_sv_eq_cstr(s->metadata.configuration[i].key, key))
            return s->metadata.configuration[i].value_null ? def : s->metadata.configuration[i].value.p;
    return def;
}

/* ============================================================== history */

typedef struct hist {
    vl_delta_commit_info ci;
    vl_buf info;
} hist;

static int hist_action(void *ctx, const vl_json *j, vl_error *err) {
    hist *H = ctx;
    const vl_json *v;
    if ((v = vl_json_get(j, "add")) && !vl_json_is_null(v)) H->ci.n_add++;
    if ((v = vl_json_get(j, "remove")) && !vl_json_is_null(v)) H->ci.n_remove++;
    if ((v = vl_json_get(j, "commitInfo")) && !vl_json_is_null(v)) {
        int64_t ts;
        if (vl_json_get_i64(v, "inCommitTimestamp", &ts, NULL) == VL_OK ||
            vl_json_get_i64(v, "timestamp", &ts, NULL) == VL_OK)
            H->ci.timestamp_ms = ts;
        vl_sv s;
        if (vl_json_get_str(v, "operation", &s, NULL) == VL_OK) H->ci.operation = s;
        if (vl_json_get_str(v, "engineInfo", &s, NULL) == VL_OK) H->ci.engine_info = s;
        vl_buf_clear(&H->info);
        vl_json_w w;
        vl_json_w_init(&w, &H->info, 0);
        vl_json_w_value(&w, v);
        VL_RETURN_IF_ERR(vl_json_w_finish(&w, err));
        H->ci.info_json = (const char *)H->info.p;
        H->ci.info_len = H->info.n;
    }
    return VL_OK;
}

static int version_timestamp(const vl_delta_table *t, int64_t v, int64_t mtime_us, int64_t *ts_ms, vl_error *err) {
    hist H = {0};
    vl_buf_init(&H.info);
    H.ci.timestamp_ms = -1;
    vl_arena a;
    vl_arena_init(&a, 1 << 14);
    int rc = vl_delta__read_commit(t, v, &a, hist_action, &H, err);
    *ts_ms = H.ci.timestamp_ms >= 0 ? H.ci.timestamp_ms : mtime_us / 1000;
    vl_arena_destroy(&a);
    vl_buf_free(&H.info);
    return rc;
}

int vl_delta_history(const vl_delta_table *t, int64_t limit, vl_delta_history_cb cb, void *ctx, vl_error *err) {
    listing L;
    int rc = list_log(t, NULL, &L, err);
    if (rc == VL_OK && L.n_commits == 0)
        rc = vl_error_set(err, VL_ENOTFOUND, "no Delta table at '%s'", t->name);
    vl_arena a;
    vl_arena_init(&a, 1 << 14);
    hist H;
    vl_buf_init(&H.info);
    /* newest first, up to limit */
    size_t n_vs = limit >= 0 && (uint64_t)limit < L.n_commits ? (size_t)limit : L.n_commits;
    int64_t *vs = vl_malloc((n_vs + 1) * sizeof(int64_t));
    if (!vs && rc == VL_OK) rc = oom(err);
    for (size_t k = 0; vs && k < n_vs; k++) vs[k] = L.commits[L.n_commits - 1 - k];
    vl_delta__commits C;
    vl_delta__commits_init(&C, t, vs, n_vs);
    for (size_t k = 0; rc == VL_OK && k < n_vs; k++) {
        size_t i = L.n_commits - 1 - k;
        vl_arena_reset(&a);
        memset(&H.ci, 0, sizeof(H.ci));
        H.ci.version = L.commits[i];
        H.ci.timestamp_ms = -1;
        H.ci.operation = (vl_sv){"", 0};
        H.ci.engine_info = (vl_sv){"", 0};
        rc = vl_delta__commits_read(&C, k, &a, hist_action, &H, err);
        if (H.ci.timestamp_ms < 0) H.ci.timestamp_ms = L.commit_mtime[i] / 1000;
        if (rc == VL_OK) rc = cb(ctx, &H.ci, err);
    }
    vl_delta__commits_free(&C);
    vl_free(vs);
    vl_buf_free(&H.info);
    vl_arena_destroy(&a);
    listing_free(&L);
    return rc;
}

/* ============================================================ log cleanup */

typedef struct clean_ent {
    char *key;
    int64_t version, mtime_us;
    log_kind kind;
    bool complete_cp;
} clean_ent;

typedef struct clean_list {
    clean_ent *e;
    size_t n, cap;
    size_t prefix_len;
} clean_list;

static int clean_cb(void *ctx, const vl_store_obj *o, vl_error *err) {
    clean_list *L = ctx;
    const char *name = o->key + L->prefix_len;
    size_t n = o->key_len - L->prefix_len;
    if (memchr(name, '/', n) || n < 21 || !all_digits(name, 20) || name[20] != '.') return VL_OK;
    clean_ent *x = vl_grow(L->e, &L->cap, L->n, sizeof(*x), 256);
    if (!x) return oom(err);
    L->e = x;
    log_name ln = vl_delta__log_name(name, n);
    clean_ent *c = &L->e[L->n];
    c->key = vl_strndup(o->key, o->key_len);
    if (!c->key) return oom(err);
    c->version = digits_value(name, 20);
    c->mtime_us = o->mtime_us;
    c->kind = ln.kind;
    c->complete_cp = ln.kind == LOG_CHECKPOINT && ln.parts == 1;
    L->n++;
    return VL_OK;
}

int vl_delta_log_cleanup(const vl_delta_table *t, int64_t now_ms, size_t *deleted, vl_error *err) {
    if (deleted) *deleted = 0;
    vl_delta_snapshot *s = NULL;
    VL_RETURN_IF_ERR(vl_delta_snapshot_load(t, VL_DELTA_LATEST, &s, err));
    int64_t retention = vl_delta__interval_ms(vl_delta_snapshot_prop(s, "delta.logRetentionDuration", NULL),
                                              30LL * 86400000);
    vl_delta_snapshot_free(s);
    int64_t cutoff_us = (now_ms - retention) * 1000;
    clean_list L = {.prefix_len = strlen(t->log_prefix)};
    int rc = vl_store_list(t->store, t->log_prefix, NULL, clean_cb, &L, err);
    /* the newest single-file checkpoint whose commit is past the retention */
    int64_t boundary = -1;
    for (size_t i = 0; rc == VL_OK && i < L.n; i++) {
        if (!L.e[i].complete_cp) continue;
        int64_t cv = L.e[i].version, ts = L.e[i].mtime_us;
        for (size_t k = 0; k < L.n; k++)
            if (L.e[k].kind == LOG_COMMIT && L.e[k].version == cv) ts = L.e[k].mtime_us;
        if (ts <= cutoff_us && cv > boundary) boundary = cv;
    }
    for (size_t i = 0; rc == VL_OK && i < L.n; i++) {
        if (L.e[i].version >= boundary || L.e[i].mtime_us > cutoff_us) continue;
        rc = vl_store_delete(t->store, L.e[i].key, err);
        if (rc == VL_OK && deleted) (*deleted)++;
    }
    for (size_t i = 0; i < L.n; i++) vl_free(L.e[i].key);
    vl_free(L.e);
    return rc;
}
