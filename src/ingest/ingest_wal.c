/* vidlake - Apache-2.0 */
/*
 * The collector's write-ahead log: what an HTTP 2xx promises is on disk.
 *
 * A WAL is a directory of segment files named by the LSN of their first
 * record ("%020lld.wal"), an `id` file naming this log (the appId its
 * commits carry is "wal-<id>"), and a `lock` file held with flock so that
 * two processes never share one log. A record is
 *
 *   u32 crc32 of the rest | u32 len | u64 lsn | i64 time (µs) | u16 source length | source | data
 *
 * little-endian, len counting everything after time. LSNs grow by one per
 * record and never repeat, even across restarts (the next LSN is above the
 * last on disk and above what the tables already hold).
 *
 * Group commit: appenders copy their record into the open buffer under a
 * mutex and wait; one writer thread swaps the buffer out, writes it, calls
 * fdatasync once for everything in it, wakes the waiters, and hands the
 * buffer (records in LSN order, now durable) to the deliver callback. So
 * concurrent requests share fsyncs, and what the pipeline receives is
 * exactly what a replay would read from disk.
 *
 * Segments rotate at segment_bytes; a segment is deleted (vl_wal_release)
 * only once every record in it is at or below the committed LSN, and the
 * newest segment is never deleted. At open, a torn record at the end of
 * the newest segment (a crash mid-write) is cut off; damage anywhere else
 * is an error naming the file and offset: that data was acknowledged.
 *
 * Metrics: each group's write + fdatasync time goes into a histogram
 * (vl_histo: atomic, read by vl_wal_get_stats without the writer's lock).
 */
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SEG_DEFAULT (64ull << 20)

typedef struct segment {
    int64_t first_lsn;
} segment;

struct vl_wal {
    char *dir;
    char id[33];
    int lock_fd;
    uint64_t segment_bytes;

    /* segments, oldest first; the last is the one being written */
    pthread_mutex_t seg_mu;
    segment *segs;
    size_t n_segs, cap_segs;
    int fd;               /* the newest segment, open for appending */
    uint64_t seg_size;
    int64_t last_on_disk; /* highest LSN found at open, -1 for none */

    /* group commit */
    pthread_mutex_t mu;
    pthread_cond_t has_data, durable_cv;
    vl_buf open_buf;      /* appended, not yet written */
    int64_t next_lsn, open_first, open_last;
    int64_t durable;      /* every LSN <= durable is fsync'd */
    size_t writing;       /* bytes being written now */
    bool started, stop, failed;
    char fail_msg[256];
    pthread_t thread;
    vl_wal_deliver_fn deliver;
    void *deliver_ctx;
    vl_wal_stats st;
    vl_histo fsync_us;    /* write + fdatasync of each group */
};

static int oom(vl_error *err) { return vl_error_set(err, VL_ENOMEM, "out of memory"); }

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

static int rec_next(const char *buf, size_t n, bool verify, vl_wal_rec *rec) {
    const uint8_t *p = (const uint8_t *)buf;
    if (n < VL_WAL_HEADER) return 0;
    uint32_t len = get32(p + 4);
    if (len < 2 || len > VL_WAL_MAX_RECORD) return -1;
    if (n - VL_WAL_HEADER < len) return 0;
    if (verify && (uint32_t)crc32_z(0, p + 4, (size_t)len + VL_WAL_HEADER - 4) != get32(p)) return -1;
    uint64_t lsn = get64(p + 8);
    rec->time_us = (int64_t)get64(p + 16);
    const uint8_t *body = p + VL_WAL_HEADER;
    size_t sn = (size_t)body[0] | (size_t)body[1] << 8;
    if (sn > len - 2 || lsn > (uint64_t)INT64_MAX) return -1;
    rec->lsn = (int64_t)lsn;
    rec->source = (const char *)body + 2;
    rec->source_n = sn;
    rec->data = (const char *)body + 2 + sn;
    rec->n = len - 2 - sn;
    rec->size = VL_WAL_HEADER + (size_t)len;
    return 1;
}

int vl_wal_rec_next(const char *buf, size_t n, vl_wal_rec *rec) { return rec_next(buf, n, true, rec); }
int vl_wal_rec_next_unchecked(const char *buf, size_t n, vl_wal_rec *rec) { return rec_next(buf, n, false, rec); }

/* ------------------------------------------------------------ directory */

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

static int mkdirs(const char *dir, vl_error *err) {
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
        return vl_error_set(err, VL_EINVAL, "WAL directory path is too long: %s", dir);
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return vl_error_set(err, VL_EIO, "cannot create the WAL directory %s: %s", tmp, strerror(errno));
            *p = c;
            if (!c) break;
        }
    }
    return VL_OK;
}

static int read_or_make_id(vl_wal *w, vl_error *err) {
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/id", w->dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[64] = {0};
        bool ok = fgets(line, sizeof(line), f) != NULL;
        fclose(f);
        size_t n = ok ? strcspn(line, "\r\n") : 0;
        if (n == 0 || n > 32)
            return vl_error_set(err, VL_ECORRUPT, "%s: expected the log's id (1 to 32 characters) on one line", path);
        for (size_t i = 0; i < n; i++)
            if (!((line[i] >= '0' && line[i] <= '9') || (line[i] >= 'a' && line[i] <= 'z') || line[i] == '-'))
                return vl_error_set(err, VL_ECORRUPT, "%s: the id may hold only 0-9, a-z and '-'", path);
        memcpy(w->id, line, n);
        w->id[n] = 0;
        return VL_OK;
    }
    if (errno != ENOENT) return vl_error_set(err, VL_EIO, "cannot read %s: %s", path, strerror(errno));
    uint8_t rnd[8];
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        return vl_error_set(err, VL_EIO, "getrandom: %s", strerror(errno));
    for (int i = 0; i < 8; i++) snprintf(w->id + 2 * i, 3, "%02x", rnd[i]);
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char line[40];
    int ln = snprintf(line, sizeof(line), "%s\n", w->id);
    if (fd < 0 || write(fd, line, (size_t)ln) != ln || fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0 ||
        fsync_dir(w->dir) != 0) {
        int e = errno;
        if (fd >= 0) close(fd);
        return vl_error_set(err, VL_EIO, "cannot write %s: %s", path, strerror(e));
    }
    return VL_OK;
}

static void seg_path(const vl_wal *w, int64_t first, char *out, size_t n) {
    snprintf(out, n, "%s/%020lld.wal", w->dir, (long long)first);
}

static int cmp_seg(const void *a, const void *b) {
    int64_t x = ((const segment *)a)->first_lsn, y = ((const segment *)b)->first_lsn;
    return x < y ? -1 : x > y;
}

static int list_segments(vl_wal *w, vl_error *err) {
    DIR *d = opendir(w->dir);
    if (!d) return vl_error_set(err, VL_EIO, "cannot list the WAL directory %s: %s", w->dir, strerror(errno));
    struct dirent *e;
    int rc = VL_OK;
    while (rc == VL_OK && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n != 24 || strcmp(e->d_name + 20, ".wal") != 0) continue;
        int64_t v = 0;
        bool digits = true;
        for (int i = 0; i < 20; i++) {
            char c = e->d_name[i];
            if (c < '0' || c > '9' || v > (INT64_MAX - 9) / 10) {
                digits = false;
                break;
            }
            v = v * 10 + (c - '0');
        }
        if (!digits) continue;
        segment *s = vl_grow(w->segs, &w->cap_segs, w->n_segs, sizeof(*s), 16);
        if (!s) {
            rc = oom(err);
            break;
        }
        w->segs = s;
        w->segs[w->n_segs++].first_lsn = v;
    }
    closedir(d);
    if (rc == VL_OK && w->n_segs) qsort(w->segs, w->n_segs, sizeof(*w->segs), cmp_seg);
    return rc;
}

/* Reads a whole segment file into buf. */
static int read_file(const char *path, vl_buf *buf, vl_error *err) {
    vl_buf_clear(buf);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return vl_error_set(err, VL_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat sb;
    int rc = VL_OK;
    if (fstat(fd, &sb) != 0) {
        rc = vl_error_set(err, VL_EIO, "%s: %s", path, strerror(errno));
    } else if (vl_buf_reserve(buf, (size_t)sb.st_size + 1) != VL_OK) {
        rc = oom(err);
    } else {
        for (;;) {
            if (buf->cap - buf->n < 65536 && vl_buf_reserve(buf, buf->n + 65536) != VL_OK) {
                rc = oom(err);
                break;
            }
            ssize_t r = read(fd, buf->p + buf->n, buf->cap - buf->n);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                rc = vl_error_set(err, VL_EIO, "reading %s: %s", path, strerror(errno));
                break;
            }
            if (r == 0) break;
            buf->n += (size_t)r;
        }
    }
    close(fd);
    return rc;
}

/* Checks every segment's records; cuts a torn tail off the newest. */
static int scan_segments(vl_wal *w, vl_error *err) {
    vl_buf buf;
    vl_buf_init(&buf);
    int rc = VL_OK;
    w->last_on_disk = -1;
    for (size_t i = 0; rc == VL_OK && i < w->n_segs; i++) {
        char path[PATH_MAX];
        seg_path(w, w->segs[i].first_lsn, path, sizeof(path));
        rc = read_file(path, &buf, err);
        if (rc) break;
        size_t off = 0;
        int64_t prev = w->segs[i].first_lsn - 1;
        for (;;) {
            vl_wal_rec r;
            int k = vl_wal_rec_next(buf.p + off, buf.n - off, &r);
            if (k == 1 && r.lsn <= prev) k = -1;
            if (k != 1) {
                if (off == buf.n) break;
                if (i + 1 < w->n_segs) {
                    rc = vl_error_set(err, VL_ECORRUPT,
                                      "%s: damaged record at byte %zu (after LSN %lld); the log holds acknowledged "
                                      "events, so it is left as it is",
                                      path, off, (long long)prev);
                    break;
                }
                VL_WARN("wal", "%s: cutting off %zu bytes of a record torn at byte %zu (a crash mid-write)", path,
                        buf.n - off, off);
                if (truncate(path, (off_t)off) != 0) {
                    rc = vl_error_set(err, VL_EIO, "cannot truncate %s: %s", path, strerror(errno));
                    break;
                }
                w->st.torn_bytes += (int64_t)(buf.n - off);
                break;
            }
            prev = r.lsn;
            off += r.size;
            w->st.replay_records++;
        }
        if (prev > w->last_on_disk) w->last_on_disk = prev;
        if (i + 1 == w->n_segs) w->seg_size = off;
    }
    vl_buf_free(&buf);
    return rc;
}

int vl_wal_open(const char *dir, uint64_t segment_bytes, vl_wal **out, vl_error *err) {
    *out = NULL;
    vl_wal *w = vl_calloc(1, sizeof(*w));
    if (!w) return oom(err);
    w->lock_fd = -1;
    w->fd = -1;
    w->segment_bytes = segment_bytes ? segment_bytes : SEG_DEFAULT;
    w->durable = -1;
    int hrc = vl_histo_init(&w->fsync_us, vl_histo_latency_us, vl_histo_latency_us_n, 1000000, NULL);
    VL_ASSERT(hrc == VL_OK); /* the standard bounds always fit */
    (void)hrc;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->seg_mu, NULL);
    pthread_cond_init(&w->has_data, NULL);
    pthread_cond_init(&w->durable_cv, NULL);
    vl_buf_init(&w->open_buf);
    w->dir = vl_malloc(strlen(dir) + 1);
    if (!w->dir) {
        vl_wal_close(w);
        return oom(err);
    }
    strcpy(w->dir, dir);
    int rc = mkdirs(dir, err);
    if (rc == VL_OK) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/lock", dir);
        w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (w->lock_fd < 0)
            rc = vl_error_set(err, VL_EIO, "cannot open %s: %s", path, strerror(errno));
        else if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0)
            rc = vl_error_set(err, errno == EWOULDBLOCK ? VL_ECONFLICT : VL_EIO,
                              "the WAL directory %s is in use by another process (%s)", dir, strerror(errno));
    }
    if (rc == VL_OK) rc = read_or_make_id(w, err);
    if (rc == VL_OK) rc = list_segments(w, err);
    if (rc == VL_OK) rc = scan_segments(w, err);
    if (rc) {
        vl_wal_close(w);
        return rc;
    }
    *out = w;
    return VL_OK;
}

const char *vl_wal_id(const vl_wal *w) { return w->id; }
int64_t vl_wal_last_lsn(const vl_wal *w) { return w->last_on_disk; }

/* ------------------------------------------------------------- reading */

int vl_wal_read(vl_wal *w, int64_t after, int64_t upto, vl_wal_read_fn fn, void *ctx, vl_error *err) {
    pthread_mutex_lock(&w->seg_mu);
    size_t n = w->n_segs;
    segment *segs = n ? vl_malloc(n * sizeof(*segs)) : NULL;
    if (n && segs) memcpy(segs, w->segs, n * sizeof(*segs));
    pthread_mutex_unlock(&w->seg_mu);
    if (n && !segs) return oom(err);
    vl_buf buf;
    vl_buf_init(&buf);
    int rc = VL_OK;
    for (size_t i = 0; rc == VL_OK && i < n; i++) {
        if (i + 1 < n && segs[i + 1].first_lsn - 1 <= after) continue; /* all at or below `after` */
        if (segs[i].first_lsn > upto) break;
        char path[PATH_MAX];
        seg_path(w, segs[i].first_lsn, path, sizeof(path));
        rc = read_file(path, &buf, err);
        size_t off = 0;
        while (rc == VL_OK) {
            vl_wal_rec r;
            int k = vl_wal_rec_next(buf.p + off, buf.n - off, &r);
            if (k != 1) break; /* the end, or a record being written now */
            off += r.size;
            if (r.lsn <= after) continue;
            if (r.lsn > upto) break;
            rc = fn(ctx, &r, err);
        }
    }
    vl_buf_free(&buf);
    vl_free(segs);
    return rc;
}

int vl_wal_release(vl_wal *w, int64_t lsn, vl_error *err) {
    for (;;) {
        char path[PATH_MAX];
        pthread_mutex_lock(&w->seg_mu);
        bool drop = w->n_segs >= 2 && w->segs[1].first_lsn - 1 <= lsn;
        if (drop) seg_path(w, w->segs[0].first_lsn, path, sizeof(path));
        pthread_mutex_unlock(&w->seg_mu);
        if (!drop) return VL_OK;
        if (unlink(path) != 0 && errno != ENOENT)
            return vl_error_set(err, VL_EIO, "cannot delete the WAL segment %s: %s", path, strerror(errno));
        pthread_mutex_lock(&w->seg_mu);
        memmove(w->segs, w->segs + 1, (w->n_segs - 1) * sizeof(*w->segs));
        w->n_segs--;
        w->st.segments_deleted++;
        pthread_mutex_unlock(&w->seg_mu);
    }
}

/* ------------------------------------------------------------- writing */

/* Opens a new segment starting at `first` (the writer thread, or start). */
static int open_segment(vl_wal *w, int64_t first, char *msg, size_t msg_n) {
    char path[PATH_MAX];
    seg_path(w, first, path, sizeof(path));
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || fsync_dir(w->dir) != 0) {
        snprintf(msg, msg_n, "cannot create the WAL segment %.200s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    pthread_mutex_lock(&w->seg_mu);
    segment *s = vl_grow(w->segs, &w->cap_segs, w->n_segs, sizeof(*s), 16);
    if (s) {
        w->segs = s;
        w->segs[w->n_segs++].first_lsn = first;
    }
    pthread_mutex_unlock(&w->seg_mu);
    if (!s) {
        close(fd);
        unlink(path);
        snprintf(msg, msg_n, "out of memory");
        return -1;
    }
    if (w->fd >= 0) close(w->fd);
    w->fd = fd;
    w->seg_size = 0;
    return 0;
}

static int write_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void *writer_main(void *arg) {
    vl_wal *w = arg;
    vl_buf wbuf;
    vl_buf_init(&wbuf);
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->open_buf.n && !w->stop) pthread_cond_wait(&w->has_data, &w->mu);
        if (!w->open_buf.n) break; /* stopping, nothing left */
        vl_buf tmp = w->open_buf;
        w->open_buf = wbuf;
        wbuf = tmp;
        vl_buf_clear(&w->open_buf);
        int64_t first = w->open_first, last = w->open_last;
        w->open_first = -1;
        w->writing = wbuf.n;
        bool failed = w->failed;
        pthread_mutex_unlock(&w->mu);

        char msg[256] = {0};
        int64_t t0 = vl_mono_us();
        if (!failed && (w->fd < 0 || (w->seg_size > 0 && w->seg_size + wbuf.n > w->segment_bytes))) {
            if (w->fd >= 0 && fdatasync(w->fd) != 0)
                snprintf(msg, sizeof(msg), "fdatasync of a WAL segment in %s: %s", w->dir, strerror(errno));
            else
                open_segment(w, first, msg, sizeof(msg));
        }
        if (!failed && !msg[0]) {
            if (write_all(w->fd, wbuf.p, wbuf.n) != 0 || fdatasync(w->fd) != 0)
                snprintf(msg, sizeof(msg), "writing the WAL in %s: %s", w->dir, strerror(errno));
            else
                w->seg_size += wbuf.n;
        }
        int64_t dt = vl_mono_us() - t0;

        pthread_mutex_lock(&w->mu);
        w->writing = 0;
        if (msg[0] && !w->failed) {
            w->failed = true;
            snprintf(w->fail_msg, sizeof(w->fail_msg), "%s", msg);
            VL_ERROR("wal", "%s; the collector refuses events from now on", msg);
        }
        if (!w->failed) {
            vl_histo_observe(&w->fsync_us, dt);
            w->durable = last;
            w->st.fsyncs++;
            w->st.fsync_us_total += dt;
            if (dt > w->st.fsync_us_max) w->st.fsync_us_max = dt;
            w->st.bytes += (int64_t)wbuf.n;
        }
        pthread_cond_broadcast(&w->durable_cv);
        bool ok = !w->failed;
        pthread_mutex_unlock(&w->mu);
        if (ok && w->deliver) w->deliver(w->deliver_ctx, &wbuf, last);
        vl_buf_clear(&wbuf);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    vl_buf_free(&wbuf);
    return NULL;
}

int vl_wal_start(vl_wal *w, int64_t next_lsn, vl_wal_deliver_fn deliver, void *ctx, vl_error *err) {
    if (w->started) return vl_error_set(err, VL_EINVAL, "the WAL is already started");
    if (next_lsn <= w->last_on_disk) next_lsn = w->last_on_disk + 1;
    w->next_lsn = next_lsn;
    w->durable = next_lsn - 1;
    w->open_first = -1;
    w->deliver = deliver;
    w->deliver_ctx = ctx;
    /* append to the newest segment, or start one at next_lsn */
    char msg[256];
    if (w->n_segs) {
        char path[PATH_MAX];
        seg_path(w, w->segs[w->n_segs - 1].first_lsn, path, sizeof(path));
        w->fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
        if (w->fd < 0) return vl_error_set(err, VL_EIO, "cannot open %s: %s", path, strerror(errno));
    } else if (open_segment(w, next_lsn, msg, sizeof(msg)) != 0) {
        return vl_error_set(err, VL_EIO, "%s", msg);
    }
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0)
        return vl_error_set(err, VL_EIO, "cannot start the WAL writer thread");
    w->started = true;
    return VL_OK;
}

int vl_wal_append(vl_wal *w, const char *source, int64_t time_us, const char *data, size_t n, int64_t *lsn,
                  vl_error *err) {
    size_t sn = strlen(source);
    if (sn > 65535) sn = 65535;
    if (n + sn + 2 > VL_WAL_MAX_RECORD)
        return vl_error_set(err, VL_ERANGE, "a WAL record of %zu bytes is over the limit of %u", n + sn + 2,
                            (unsigned)VL_WAL_MAX_RECORD);
    uint32_t len = (uint32_t)(n + sn + 2);
    pthread_mutex_lock(&w->mu);
    if (!w->started || w->stop || w->failed) {
        int rc = vl_error_set(err, VL_EIO, "the WAL is not accepting records%s%s", w->failed ? ": " : "",
                              w->failed ? w->fail_msg : "");
        pthread_mutex_unlock(&w->mu);
        return rc;
    }
    size_t at = w->open_buf.n;
    if (vl_buf_reserve(&w->open_buf, at + VL_WAL_HEADER + len) != VL_OK) {
        pthread_mutex_unlock(&w->mu);
        return oom(err);
    }
    uint8_t *p = (uint8_t *)w->open_buf.p + at;
    int64_t l = w->next_lsn++;
    put32(p + 4, len);
    put64(p + 8, (uint64_t)l);
    put64(p + 16, (uint64_t)time_us);
    uint8_t *q = p + VL_WAL_HEADER;
    q[0] = (uint8_t)sn;
    q[1] = (uint8_t)(sn >> 8);
    memcpy(q + 2, source, sn);
    if (n) memcpy(q + 2 + sn, data, n);
    put32(p, (uint32_t)crc32_z(0, p + 4, (size_t)len + VL_WAL_HEADER - 4));
    w->open_buf.n = at + VL_WAL_HEADER + len;
    if (w->open_first < 0) w->open_first = l;
    w->open_last = l;
    w->st.records++;
    pthread_cond_signal(&w->has_data);
    pthread_mutex_unlock(&w->mu);
    *lsn = l;
    return VL_OK;
}

int vl_wal_wait(vl_wal *w, int64_t lsn, vl_error *err) {
    pthread_mutex_lock(&w->mu);
    while (w->durable < lsn && !w->failed) pthread_cond_wait(&w->durable_cv, &w->mu);
    int rc = VL_OK;
    if (w->durable < lsn) rc = vl_error_set(err, VL_EIO, "%s", w->fail_msg);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

bool vl_wal_failed(vl_wal *w, char *why, size_t n) {
    pthread_mutex_lock(&w->mu);
    bool f = w->failed;
    if (f && why && n) snprintf(why, n, "%s", w->fail_msg);
    pthread_mutex_unlock(&w->mu);
    return f;
}

size_t vl_wal_buffered(vl_wal *w) {
    pthread_mutex_lock(&w->mu);
    size_t n = w->open_buf.n + w->writing;
    pthread_mutex_unlock(&w->mu);
    return n;
}

void vl_wal_get_stats(vl_wal *w, vl_wal_stats *st) {
    pthread_mutex_lock(&w->mu);
    *st = w->st;
    st->durable_lsn = w->durable;
    st->buffered_bytes = (int64_t)(w->open_buf.n + w->writing);
    st->failed = w->failed;
    pthread_mutex_unlock(&w->mu);
    vl_histo_read(&w->fsync_us, &st->fsync_us);
    pthread_mutex_lock(&w->seg_mu);
    st->segments = (int64_t)w->n_segs;
    pthread_mutex_unlock(&w->seg_mu);
}

void vl_wal_stop(vl_wal *w) {
    pthread_mutex_lock(&w->mu);
    bool join = w->started && !w->stop;
    w->stop = true;
    pthread_cond_broadcast(&w->has_data);
    pthread_mutex_unlock(&w->mu);
    if (join) pthread_join(w->thread, NULL);
}

void vl_wal_close(vl_wal *w) {
    if (!w) return;
    vl_wal_stop(w);
    if (w->fd >= 0) close(w->fd);
    if (w->lock_fd >= 0) close(w->lock_fd);
    vl_buf_free(&w->open_buf);
    vl_free(w->segs);
    vl_free(w->dir);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->seg_mu);
    pthread_cond_destroy(&w->has_data);
    pthread_cond_destroy(&w->durable_cv);
    vl_free(w);
}
