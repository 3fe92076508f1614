/* vidlake - Apache-2.0 */
/*
 * The local-filesystem store: key "a/b/c" is the file <root>/a/b/c.
 *
 * Objects are never written in place. A put writes a temporary file next to
 * the final name (".<name>.tmp.<pid>.<random>", created with O_EXCL), fsyncs
 * it, then publishes it in one atomic step, and fsyncs the directory so that
 * the new name survives a crash:
 *  - put_if_absent publishes with link(2), which fails with EEXIST when the
 *    final name exists, atomically, even between processes (and on NFS v3+
 *    it is still atomic on the server); the temporary name is then unlinked.
 *  - put publishes with rename(2). An object store has no rename, and the
 *    interface never exposes one; we use it here only as the local way to
 *    make a replacing put atomic, since a reader must never see a partial
 *    object and a file opened before the rename keeps its old content.
 * Temporary names are reserved (keys may not use them) and never listed, so
 * a writer killed mid-put leaves a hidden temporary file and nothing else.
 *
 * Directories are an artefact of the mapping, never visible as objects: a put
 * creates the missing ones (fsyncing each new directory's parent), a delete
 * removes the ones it leaves empty (best effort; a put racing with that
 * removal retries). A consequence of the mapping: the local store cannot hold
 * both "x" and "x/y" (one would have to be a file and a directory), which an
 * object store can; such a put fails with VL_ENOTSUP.
 *
 * Listing reads each directory once, sorts its names as their keys sort
 * (a directory "d" sorts as "d/", so "a.txt" < "a/x" as in byte order), and
 * descends only into directories that can hold keys matching the prefix and
 * greater than start_after. Names that are not valid keys (temporary names,
 * keys longer than VL_STORE_KEY_MAX) are skipped.
 */
#include "store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Paths are root + '/' + key (+ room for a temporary name's suffix or a
 * directory entry); the root is limited so that every key fits. */
#define PATH_CAP 4096
#define ROOT_MAX (PATH_CAP - VL_STORE_KEY_MAX - 300)
#define TMP_BASE_MAX 200 /* bytes of the final name kept in a temp name: keeps it < NAME_MAX */
#define PUT_TRIES 16     /* retries when a racing delete removes a directory we made */

typedef struct local_store {
    vl_store base;
    char *root; /* absolute, no trailing '/' ("" for the filesystem root) */
    size_t root_len;
} local_store;

static local_store *as_local(vl_store *s) { return (local_store *)s; }

/* ------------------------------------------------------------- helpers */

static int os_err(vl_error *err, int code, int e, const char *op, const char *key) {
    char buf[128];
    const char *why = strerror_r(e, buf, sizeof(buf)); /* GNU: returns the text */
    return vl_error_set(err, code, "store: %s %s: %s", op, key, why);
}

static int64_t mtime_us(const struct stat *st) {
    return (int64_t)st->st_mtim.tv_sec * VL_US_PER_SEC + st->st_mtim.tv_nsec / 1000;
}

/* path = root + '/' + key; keys are <= VL_STORE_KEY_MAX and the root is
 * limited at open, so it always fits. */
static size_t key_path(const local_store *ls, const char *key, char *path) {
    size_t kn = strlen(key);
    memcpy(path, ls->root, ls->root_len);
    path[ls->root_len] = '/';
    memcpy(path + ls->root_len + 1, key, kn + 1);
    return ls->root_len + 1 + kn;
}

/* fsync the directory path[0..n) (n == 0: "/"). */
static int sync_dir(char *path, size_t n, const char *op, const char *key, vl_error *err) {
    char saved = path[n];
    path[n] = '\0';
    int fd = open(n ? path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    path[n] = saved;
    if (fd < 0) return os_err(err, VL_EIO, errno, op, key);
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    /* some filesystems cannot fsync a directory (EINVAL): nothing to do */
    if (rc != 0 && e != EINVAL) return os_err(err, VL_EIO, e, op, key);
    return VL_OK;
}

static size_t last_slash(const char *path, size_t n) {
    while (n > 0 && path[n - 1] != '/') n--;
    return n ? n - 1 : 0;
}

/* Creates the directory path[0..n) and any missing parents, fsyncing the
 * parent of each directory it creates. */
static int make_dirs(char *path, size_t n, const char *key, vl_error *err) {
    if (n == 0) return VL_OK;
    for (int tries = 0; tries < PUT_TRIES; tries++) {
        char saved = path[n];
        path[n] = '\0';
        int rc = mkdir(path, 0755);
        int e = errno;
        path[n] = saved;
        if (rc == 0) return sync_dir(path, last_slash(path, n), "put", key, err);
        if (e == EEXIST) return VL_OK; /* a file there shows up as ENOTDIR later */
        if (e != ENOENT) return os_err(err, e == ENOTDIR ? VL_ENOTSUP : VL_EIO, e, "put", key);
        VL_RETURN_IF_ERR(make_dirs(path, last_slash(path, n), key, err));
    }
    return vl_error_set(err, VL_EIO, "store: put %s: directories keep disappearing", key);
}

static int write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A process-wide sequence mixed with the pid and the clock: unique among
 * this process's threads, and unlikely to repeat across processes (O_EXCL
 * catches the rest). */
static uint64_t tmp_rand(void) {
    static _Atomic uint64_t seq;
    uint64_t n = atomic_fetch_add(&seq, 1);
    return vl_mix64(n ^ ((uint64_t)getpid() << 40) ^ (uint64_t)vl_mono_us() ^
                    ((uint64_t)vl_now_us() << 20));
}

/* ------------------------------------------------------------- operations */

static int local_get_range(vl_store *s, const char *key, uint64_t off, uint64_t len, vl_buf *out,
                           vl_error *err) {
    local_store *ls = as_local(s);
    char path[PATH_CAP];
    key_path(ls, key, path);
    const char *op = len == UINT64_MAX ? "get" : "get_range";
    vl_buf_clear(out);
    /* O_NONBLOCK: a FIFO someone left in the tree must not hang a get (no
     * effect on regular files) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return vl_error_set(err, VL_ENOTFOUND, "store: %s %s: no such object", op, key);
        return os_err(err, VL_EIO, errno, op, key);
    }
    struct stat st;
    int rc = VL_OK;
    if (fstat(fd, &st) != 0) {
        rc = os_err(err, VL_EIO, errno, op, key);
    } else if (S_ISDIR(st.st_mode)) {
        rc = vl_error_set(err, VL_ENOTFOUND, "store: %s %s: no such object", op, key);
    } else if (!S_ISREG(st.st_mode)) {
        rc = vl_error_set(err, VL_EIO, "store: %s %s: not a regular file", op, key);
    } else if (off > (uint64_t)st.st_size) {
        rc = vl_error_set(err, VL_ERANGE, "store: %s %s: offset %llu is past the end (%llu bytes)",
                          op, key, (unsigned long long)off, (unsigned long long)st.st_size);
    }
    if (rc != VL_OK) {
        close(fd);
        return rc;
    }
    uint64_t avail = (uint64_t)st.st_size - off;
    uint64_t want = len < avail ? len : avail;
    if (want > SIZE_MAX / 4 || vl_buf_reserve(out, (size_t)want) != VL_OK) {
        close(fd);
        return vl_error_set(err, VL_ENOMEM, "store: %s %s: out of memory for %llu bytes", op, key,
                            (unsigned long long)want);
    }
    /* The file never changes in place (puts replace it by name), so st_size
     * holds for this descriptor; stop early at EOF all the same. */
    while (out->n < want) {
        ssize_t r = pread(fd, out->p + out->n, (size_t)want - out->n, (off_t)(off + out->n));
        if (r < 0) {
            if (errno == EINTR) continue;
            rc = os_err(err, VL_EIO, errno, op, key);
            vl_buf_clear(out);
            break;
        }
        if (r == 0) break;
        out->n += (size_t)r;
    }
    close(fd);
    return rc;
}

static int local_put(vl_store *s, const char *key, const void *p, size_t n, bool if_absent,
                     vl_error *err) {
    local_store *ls = as_local(s);
    const char *op = if_absent ? "put_if_absent" : "put";
    char final[PATH_CAP], tmp[PATH_CAP];
    size_t fn = key_path(ls, key, final);
    size_t dn = last_slash(final, fn); /* final[0..dn) is the directory */
    const char *base = final + dn + 1;
    size_t bn = fn - dn - 1;

    int fd = -1;
    for (int tries = 0; fd < 0; tries++) {
        if (tries == PUT_TRIES)
            return vl_error_set(err, VL_EIO, "store: %s %s: cannot create a temporary file", op, key);
        snprintf(tmp, sizeof(tmp), "%.*s/.%.*s.tmp.%ld.%016llx", (int)dn, final,
                 (int)(bn < TMP_BASE_MAX ? bn : TMP_BASE_MAX), base, (long)getpid(),
                 (unsigned long long)tmp_rand());
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) break;
        int e = errno;
        if (e == EEXIST) continue;
        if (e == ENOENT) {
            VL_RETURN_IF_ERR(make_dirs(final, dn, key, err));
            continue;
        }
        if (e == ENOTDIR)
            return vl_error_set(err, VL_ENOTSUP,
                                "store: %s %s: a shorter key on its path is an object (the local "
                                "store cannot hold both \"x\" and \"x/...\")", op, key);
        return os_err(err, VL_EIO, e, op, key);
    }

    int e = write_all(fd, p, n);
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (e) {
        unlink(tmp);
        return os_err(err, VL_EIO, e, op, key);
    }

    if (if_absent) {
        /* link(2) creates the name only if it does not exist: the atomic
         * compare-and-set the Delta log needs. */
        int rc = link(tmp, final);
        e = errno;
        unlink(tmp);
        if (rc != 0) {
            struct stat st;
            if (e == EEXIST && stat(final, &st) == 0 && S_ISDIR(st.st_mode))
                return vl_error_set(err, VL_ENOTSUP,
                                    "store: %s %s: other keys start with \"%s/\" (the local store "
                                    "cannot hold both \"x\" and \"x/...\")", op, key, key);
            if (e == EEXIST)
                return vl_error_set(err, VL_ECONFLICT, "store: %s %s: the key exists", op, key);
            if (e == EPERM || e == EOPNOTSUPP)
                return vl_error_set(err, VL_ENOTSUP,
                                    "store: %s %s: this filesystem has no hard links, which "
                                    "put_if_absent needs", op, key);
            return os_err(err, VL_EIO, e, op, key);
        }
    } else if (rename(tmp, final) != 0) {
        e = errno;
        unlink(tmp);
        if (e == EISDIR || e == ENOTEMPTY || e == EEXIST)
            return vl_error_set(err, VL_ENOTSUP,
                                "store: %s %s: other keys start with \"%s/\" (the local store "
                                "cannot hold both \"x\" and \"x/...\")", op, key, key);
        return os_err(err, VL_EIO, e, op, key);
    }
    return sync_dir(final, dn, op, key, err);
}

static int local_del(vl_store *s, const char *key, vl_error *err) {
    local_store *ls = as_local(s);
    char path[PATH_CAP];
    size_t n = key_path(ls, key, path);
    if (unlink(path) != 0) {
        /* absent, or only a prefix of other keys (a directory): no object */
        if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return VL_OK;
        return os_err(err, VL_EIO, errno, "delete", key);
    }
    size_t dn = last_slash(path, n);
    VL_RETURN_IF_ERR(sync_dir(path, dn, "delete", key, err));
    /* Remove the directories this leaves empty, up to (not including) the
     * root; rmdir fails on the first non-empty one, and a put racing with
     * this retries. Best effort: an empty directory holds no object. */
    while (dn > ls->root_len) {
        path[dn] = '\0';
        if (rmdir(path) != 0) break;
        dn = last_slash(path, dn);
    }
    return VL_OK;
}

static int local_head(vl_store *s, const char *key, vl_store_obj *out, vl_error *err) {
    local_store *ls = as_local(s);
    char path[PATH_CAP];
    key_path(ls, key, path);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return vl_error_set(err, VL_ENOTFOUND, "store: head %s: no such object", key);
        return os_err(err, VL_EIO, errno, "head", key);
    }
    if (S_ISDIR(st.st_mode))
        return vl_error_set(err, VL_ENOTFOUND, "store: head %s: no such object", key);
    if (!S_ISREG(st.st_mode))
        return vl_error_set(err, VL_EIO, "store: head %s: not a regular file", key);
    out->key = NULL;
    out->key_len = 0;
    out->size = (uint64_t)st.st_size;
    out->mtime_us = mtime_us(&st);
    return VL_OK;
}

/* ------------------------------------------------------------------ list */

typedef struct entry {
    char *name;
    size_t len;
    bool dir;
} entry;

typedef struct lister {
    const char *prefix;
    size_t prefix_len;
    const char *after; /* NULL: no bound */
    size_t after_len;
    vl_store_list_cb cb;
    void *ctx;
    vl_error *err;
    char path[PATH_CAP]; /* root '/' key-so-far */
    size_t key_off;      /* where keys start in path */
} lister;

/* Byte order of name, with "/" appended to directories (the order of the
 * keys under them). Two entries never compare equal: names are unique. */
static int entry_cmp(const void *a, const void *b) {
    const entry *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    if (c) return c;
    int cx = x->len > n ? (unsigned char)x->name[n] : x->dir ? '/' : -1;
    int cy = y->len > n ? (unsigned char)y->name[n] : y->dir ? '/' : -1;
    return (cx > cy) - (cx < cy);
}

/* memcmp order of a[0..an) against b[0..bn). */
static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static void free_entries(entry *ents, size_t n) {
    for (size_t i = 0; i < n; i++) vl_free(ents[i].name);
    vl_free(ents);
}

/* Reads the directory whose key prefix is path[key_off..key_off+klen)
 * ("" or ending in '/'), keeps the names that can lead to a match, sorted. */
static int read_dir(lister *L, size_t klen, entry **out, size_t *out_n) {
    *out = NULL;
    *out_n = 0;
    char *dpath = L->path;
    size_t dend = L->key_off + klen;
    dpath[dend] = '\0';
    DIR *d = opendir(dpath);
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR) return VL_OK; /* nothing under it */
        return os_err(L->err, VL_EIO, errno, "list", L->prefix);
    }
    /* the rest of the prefix that names in this directory must match */
    const char *rest = klen < L->prefix_len ? L->prefix + klen : "";
    size_t rest_n = klen < L->prefix_len ? L->prefix_len - klen : 0;
    entry *ents = NULL;
    size_t n = 0, cap = 0;
    int rc = VL_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) rc = os_err(L->err, VL_EIO, errno, "list", L->prefix);
            break;
        }
        const char *nm = de->d_name;
        size_t nl = strlen(nm);
        if ((nm[0] == '.' && (nl == 1 || (nl == 2 && nm[1] == '.'))) ||
            vl_store__is_temp_name(nm, nl))
            continue;
        if (klen + nl > VL_STORE_KEY_MAX) continue;
        bool dir;
        if (de->d_type == DT_DIR) {
            dir = true;
        } else if (de->d_type == DT_REG) {
            dir = false;
        } else { /* unknown type or a symbolic link: look at what it is */
            struct stat st;
            if (fstatat(dirfd(d), nm, &st, 0) != 0) continue; /* gone, or a dangling link */
            dir = S_ISDIR(st.st_mode);
        }
        /* prefix: a file must start with rest; a directory "nm/" must start
         * with rest or be the start of it */
        size_t cn = nl < rest_n ? nl : rest_n;
        if (memcmp(nm, rest, cn) != 0) continue;
        if (nl < rest_n && !(dir && rest[nl] == '/')) continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            entry *e = vl_realloc(ents, ncap * sizeof(*e));
            if (!e) {
                rc = vl_error_set(L->err, VL_ENOMEM, "store: list %s: out of memory", L->prefix);
                break;
            }
            ents = e;
            cap = ncap;
        }
        char *copy = vl_strndup(nm, nl);
        if (!copy) {
            rc = vl_error_set(L->err, VL_ENOMEM, "store: list %s: out of memory", L->prefix);
            break;
        }
        ents[n++] = (entry){copy, nl, dir};
    }
    closedir(d);
    if (rc != VL_OK) {
        free_entries(ents, n);
        return rc;
    }
    if (n > 1) qsort(ents, n, sizeof(*ents), entry_cmp);
    *out = ents;
    *out_n = n;
    return VL_OK;
}

static int walk(lister *L, size_t klen) {
    entry *ents;
    size_t n;
    VL_RETURN_IF_ERR(read_dir(L, klen, &ents, &n));
    char *key = L->path + L->key_off;
    int rc = VL_OK;
    for (size_t i = 0; i < n && rc == VL_OK; i++) {
        const entry *e = &ents[i];
        memcpy(key + klen, e->name, e->len);
        size_t kn = klen + e->len;
        if (e->dir) {
            if (kn + 1 > VL_STORE_KEY_MAX) continue;
            key[kn++] = '/';
            /* every key below starts with key[0..kn): skip the directory
             * when that start is already below start_after */
            if (L->after && bytes_cmp(key, kn, L->after, kn < L->after_len ? kn : L->after_len) < 0)
                continue;
            rc = walk(L, kn);
            continue;
        }
        if (kn < L->prefix_len) continue; /* shorter than the prefix */
        if (L->after && bytes_cmp(key, kn, L->after, L->after_len) <= 0) continue;
        key[kn] = '\0';
        struct stat st;
        if (stat(L->path, &st) != 0 || !S_ISREG(st.st_mode)) continue; /* deleted meanwhile */
        vl_store_obj obj = {.key = key, .key_len = kn, .size = (uint64_t)st.st_size,
                            .mtime_us = mtime_us(&st)};
        rc = L->cb(L->ctx, &obj, L->err);
    }
    free_entries(ents, n);
    return rc;
}

static int local_list(vl_store *s, const char *prefix, const char *start_after,
                      vl_store_list_cb cb, void *ctx, vl_error *err) {
    local_store *ls = as_local(s);
    lister *L = vl_malloc(sizeof(*L));
    if (!L) return vl_error_set(err, VL_ENOMEM, "store: list %s: out of memory", prefix);
    L->prefix = prefix;
    L->prefix_len = strlen(prefix);
    L->after = start_after;
    L->after_len = start_after ? strlen(start_after) : 0;
    L->cb = cb;
    L->ctx = ctx;
    L->err = err;
    memcpy(L->path, ls->root, ls->root_len);
    L->path[ls->root_len] = '/';
    L->key_off = ls->root_len + 1;
    /* start in the deepest directory the prefix names */
    size_t klen = 0;
    const char *slash = strrchr(prefix, '/');
    if (slash) {
        klen = (size_t)(slash - prefix) + 1;
        memcpy(L->path + L->key_off, prefix, klen);
    }
    int rc = walk(L, klen);
    vl_free(L);
    return rc == VL_STORE_STOP ? VL_OK : rc;
}

static void local_close(vl_store *s) {
    local_store *ls = as_local(s);
    vl_free(ls->root);
    vl_free(s->url);
    vl_free(ls);
}

static int local_sweep(vl_store *s, const char *prefix, int64_t older_than_us, size_t *removed, vl_error *err);

static const vl_store_ops local_ops = {
    .name = "local",
    .get_range = local_get_range,
    .put = local_put,
    .del = local_del,
    .head = local_head,
    .list = local_list,
    .close = local_close,
    .sweep = local_sweep,
};

/* Sweeping: a depth-first walk from the directory part of the prefix. */
typedef struct sweeper {
    char path[PATH_CAP];
    const char *prefix; /* the key prefix: only entries whose key starts with it */
    size_t root_len;
    int64_t older_than_us;
    size_t removed;
    vl_error *err;
} sweeper;

static int sweep_dir(sweeper *W, size_t n, int depth) {
    if (depth > 64) return VL_OK;
    DIR *d = opendir(W->path);
    if (!d) return errno == ENOENT || errno == ENOTDIR ? VL_OK : os_err(W->err, VL_EIO, errno, "sweep", W->path);
    int rc = VL_OK;
    struct dirent *de;
    while (rc == VL_OK && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        size_t ln = strlen(name);
        if ((ln == 1 && name[0] == '.') || (ln == 2 && name[0] == '.' && name[1] == '.')) continue;
        if (n + 1 + ln >= sizeof(W->path)) continue;
        W->path[n] = '/';
        memcpy(W->path + n + 1, name, ln + 1);
        /* the key of this entry must extend the prefix, or the prefix it */
        const char *key = W->path + W->root_len + 1;
        size_t kl = n + 1 + ln - W->root_len - 1, pl = strlen(W->prefix);
        size_t m = kl < pl ? kl : pl;
        struct stat st;
        if (memcmp(key, W->prefix, m) != 0 || lstat(W->path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            rc = sweep_dir(W, n + 1 + ln, depth + 1);
        } else if (S_ISREG(st.st_mode) && kl >= pl && vl_store__is_temp_name(name, ln) &&
                   mtime_us(&st) < W->older_than_us) {
            if (unlink(W->path) == 0) W->removed++;
            else if (errno != ENOENT) rc = os_err(W->err, VL_EIO, errno, "sweep", key);
        }
    }
    W->path[n] = 0;
    closedir(d);
    return rc;
}

static int local_sweep(vl_store *s, const char *prefix, int64_t older_than_us, size_t *removed, vl_error *err) {
    local_store *ls = (local_store *)s;
    sweeper W = {.prefix = prefix, .root_len = ls->root_len, .older_than_us = older_than_us, .err = err};
    memcpy(W.path, ls->root, ls->root_len + 1);
    /* start at the deepest directory the prefix names */
    size_t n = ls->root_len;
    const char *slash = strrchr(prefix, '/');
    if (slash) {
        size_t dl = (size_t)(slash - prefix);
        if (n + 1 + dl >= sizeof(W.path)) return vl_error_set(err, VL_EINVAL, "store: sweep: prefix too long");
        W.path[n] = '/';
        memcpy(W.path + n + 1, prefix, dl);
        n += 1 + dl;
        W.path[n] = 0;
    }
    if (n == 0) {
        W.path[0] = '/';
        W.path[1] = 0;
    }
    int rc = sweep_dir(&W, n, 0);
    if (removed) *removed = W.removed;
    return rc;
}

int vl_store__local_open(const char *url, const char *root, vl_store **out, vl_error *err) {
    *out = NULL;
    char abs[PATH_CAP];
    size_t n;
    if (root[0] == '/') {
        n = strnlen(root, sizeof(abs));
        if (n >= sizeof(abs)) return vl_error_set(err, VL_EINVAL, "store: %s: path too long", url);
        memcpy(abs, root, n + 1);
    } else {
        if (!getcwd(abs, sizeof(abs)))
            return os_err(err, VL_EIO, errno, "open", url);
        n = strlen(abs);
        size_t rn = strlen(root);
        if (n + 1 + rn >= sizeof(abs)) return vl_error_set(err, VL_EINVAL, "store: %s: path too long", url);
        if (n > 0 && abs[n - 1] != '/') abs[n++] = '/';
        memcpy(abs + n, root, rn + 1);
        n += rn;
    }
    while (n > 0 && abs[n - 1] == '/') abs[--n] = '\0'; /* "/" becomes "" */
    if (n > ROOT_MAX)
        return vl_error_set(err, VL_EINVAL, "store: %s: root path longer than %d bytes", url, ROOT_MAX);
    struct stat st;
    if (stat(n ? abs : "/", &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            return vl_error_set(err, VL_EIO, "store: open %s: not a directory", url);
    } else if (errno != ENOENT) {
        return os_err(err, VL_EIO, errno, "open", url);
    }
    local_store *ls = vl_calloc(1, sizeof(*ls));
    char *r = vl_strndup(abs, n);
    char *u = vl_strndup(url, strlen(url));
    if (!ls || !r || !u) {
        vl_free(ls);
        vl_free(r);
        vl_free(u);
        return vl_error_set(err, VL_ENOMEM, "store: open %s: out of memory", url);
    }
    ls->base.ops = &local_ops;
    ls->base.url = u;
    ls->root = r;
    ls->root_len = n;
    *out = &ls->base;
    return VL_OK;
}
