/* vidlake - Apache-2.0 */
/* Unit tests for the collector's write-ahead log. */
#include "ingest/ingest.h"
#include "vl_test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void tmpdir(vl_test *t, char *dir, size_t n) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, n, "%s/vlwal.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) CHECKF(t, 0, "mkdtemp %s: %s", dir, strerror(errno));
}

static void rmtree(const char *dir) {
    char cmd[4200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

/* What the deliver callback saw: the records, parsed. */
typedef struct seen {
    pthread_mutex_t mu;
    vl_buf all; /* the chunks, concatenated */
    int64_t last;
    int chunks;
} seen;

static void deliver(void *ctx, vl_buf *chunk, int64_t last) {
    seen *s = ctx;
    pthread_mutex_lock(&s->mu);
    if (vl_buf_append(&s->all, chunk->p, chunk->n) != VL_OK) abort();
    s->last = last;
    s->chunks++;
    pthread_mutex_unlock(&s->mu);
}

typedef struct collect {
    int64_t lsns[4096];
    char data[4096][24];
    int n;
} collect;

static int on_rec(void *ctx, const vl_wal_rec *r, vl_error *err) {
    (void)err;
    collect *c = ctx;
    if (c->n < 4096) {
        c->lsns[c->n] = r->lsn;
        snprintf(c->data[c->n], sizeof(c->data[0]), "%.*s", (int)r->n, r->data);
        c->n++;
    }
    return VL_OK;
}

typedef struct appender {
    vl_wal *w;
    int id, n, fails;
} appender;

static void *append_main(void *arg) {
    appender *a = arg;
    for (int i = 0; i < a->n; i++) {
        char rec[32];
        int k = snprintf(rec, sizeof(rec), "t%d-%d\n", a->id, i);
        int64_t lsn;
        vl_error err;
        if (vl_wal_append(a->w, "test", 1, rec, (size_t)k, &lsn, &err) != VL_OK || vl_wal_wait(a->w, lsn, &err) != VL_OK)
            a->fails++;
    }
    return NULL;
}

/* 4 threads append 200 records each; every record is durable when its wait
 * returns, delivered once in LSN order, and read back after a reopen. */
static void t_group_commit(vl_test *t) {
    char dir[256];
    tmpdir(t, dir, sizeof(dir));
    vl_error err;
    vl_wal *w = NULL;
    REQUIRE(t, vl_wal_open(dir, 0, &w, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_wal_last_lsn(w), -1);
    CHECK(t, strlen(vl_wal_id(w)) == 16);
    char id[40];
    snprintf(id, sizeof(id), "%s", vl_wal_id(w));
    seen s = {.last = -1};
    pthread_mutex_init(&s.mu, NULL);
    vl_buf_init(&s.all);
    REQUIRE(t, vl_wal_start(w, 10, deliver, &s, &err) == VL_OK);
    appender a[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (appender){w, i, 200, 0};
        pthread_create(&th[i], NULL, append_main, &a[i]);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK_EQ_INT(t, a[i].fails, 0);
    vl_wal_stats st;
    vl_wal_get_stats(w, &st);
    CHECK_EQ_INT(t, st.records, 800);
    CHECKF(t, st.fsyncs >= 1 && st.fsyncs <= 800, "%lld fsyncs", (long long)st.fsyncs);
    vl_wal_close(w);
    /* delivered: 800 records, LSN 10..809 in order */
    size_t off = 0;
    int64_t want = 10;
    vl_wal_rec r;
    while (vl_wal_rec_next(s.all.p + off, s.all.n - off, &r) == 1) {
        if (r.lsn != want) break;
        CHECK(t, r.source_n == 4 && memcmp(r.source, "test", 4) == 0 && r.time_us == 1);
        want++;
        off += r.size;
    }
    CHECK_EQ_INT(t, want, 810);
    CHECK_EQ_INT(t, off, s.all.n);
    CHECK_EQ_INT(t, s.last, 809);
    /* reopened: same id, last LSN 809, records readable by range */
    REQUIRE(t, vl_wal_open(dir, 0, &w, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_wal_id(w), id);
    CHECK_EQ_INT(t, vl_wal_last_lsn(w), 809);
    collect *c = calloc(1, sizeof(*c));
    REQUIRE(t, c);
    CHECK(t, vl_wal_read(w, 799, 804, on_rec, c, &err) == VL_OK);
    CHECK_EQ_INT(t, c->n, 5);
    CHECK_EQ_INT(t, c->lsns[0], 800);
    /* a second process cannot take the log */
    vl_wal *w2 = NULL;
    CHECK(t, vl_wal_open(dir, 0, &w2, &err) == VL_ECONFLICT && strstr(err.msg, "in use"));
    /* new records continue above the last one */
    REQUIRE(t, vl_wal_start(w, 0, NULL, NULL, &err) == VL_OK);
    int64_t lsn = -1;
    CHECK(t, vl_wal_append(w, "x", 2, "y\n", 2, &lsn, &err) == VL_OK && vl_wal_wait(w, lsn, &err) == VL_OK);
    CHECK_EQ_INT(t, lsn, 810);
    vl_wal_close(w);
    free(c);
    vl_buf_free(&s.all);
    pthread_mutex_destroy(&s.mu);
    rmtree(dir);
}

static int64_t file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (int64_t)sb.st_size : -1;
}

/* A record torn by a crash at the end of the newest segment is cut off;
 * damage in an older segment is an error, not silently skipped. */
static void t_torn_tail_and_damage(vl_test *t) {
    char dir[256];
    tmpdir(t, dir, sizeof(dir));
    vl_error err;
    vl_wal *w = NULL;
    /* small segments: each record (~60 bytes) rotates after 100 bytes */
    REQUIRE(t, vl_wal_open(dir, 100, &w, &err) == VL_OK);
    REQUIRE(t, vl_wal_start(w, 0, NULL, NULL, &err) == VL_OK);
    for (int i = 0; i < 6; i++) {
        char rec[64];
        int k = snprintf(rec, sizeof(rec), "{\"record\":%d,\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}\n", i);
        int64_t lsn;
        CHECK(t, vl_wal_append(w, "src", 3, rec, (size_t)k, &lsn, &err) == VL_OK && vl_wal_wait(w, lsn, &err) == VL_OK);
    }
    vl_wal_stats st;
    vl_wal_get_stats(w, &st);
    CHECKF(t, st.segments >= 3, "%lld segments", (long long)st.segments);
    vl_wal_close(w);
    /* tear the last record of the newest segment */
    char path[512];
    snprintf(path, sizeof(path), "%s/%020d.wal", dir, 5);
    int64_t sz = file_size(path);
    CHECKF(t, sz > 20, "%s: %lld bytes", path, (long long)sz);
    CHECK(t, truncate(path, (off_t)(sz - 7)) == 0);
    REQUIRE(t, vl_wal_open(dir, 100, &w, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_wal_last_lsn(w), 4);
    vl_wal_get_stats(w, &st);
    CHECK_EQ_INT(t, st.torn_bytes, sz - 7);
    CHECK_EQ_INT(t, file_size(path), 0);
    /* release deletes whole segments at or below the LSN, never the newest */
    CHECK(t, vl_wal_release(w, 2, &err) == VL_OK);
    char p0[512], p3[512];
    snprintf(p0, sizeof(p0), "%s/%020d.wal", dir, 0);
    snprintf(p3, sizeof(p3), "%s/%020d.wal", dir, 3);
    CHECK(t, file_size(p0) < 0 && file_size(p3) > 0);
    collect *c = calloc(1, sizeof(*c));
    REQUIRE(t, c);
    CHECK(t, vl_wal_read(w, 2, INT64_MAX, on_rec, c, &err) == VL_OK);
    CHECK_EQ_INT(t, c->n, 2);
    CHECK_EQ_INT(t, c->lsns[0], 3);
    CHECK(t, strstr(c->data[1], "\"record\":4") != NULL);
    vl_wal_close(w);
    /* flip a byte in an older segment: refused, naming the file */
    int fd = open(p3, O_RDWR);
    CHECK(t, fd >= 0 && pwrite(fd, "Z", 1, 30) == 1);
    if (fd >= 0) close(fd);
    CHECK(t, vl_wal_open(dir, 100, &w, &err) == VL_ECORRUPT && strstr(err.msg, p3));
    free(c);
    rmtree(dir);
}

/* A log emptied by hand starts above the LSN the caller knows committed. */
static void t_next_lsn(vl_test *t) {
    char dir[256];
    tmpdir(t, dir, sizeof(dir));
    vl_error err;
    vl_wal *w = NULL;
    REQUIRE(t, vl_wal_open(dir, 0, &w, &err) == VL_OK);
    REQUIRE(t, vl_wal_start(w, 1000, NULL, NULL, &err) == VL_OK);
    int64_t lsn = -1;
    CHECK(t, vl_wal_append(w, "", 4, "", 0, &lsn, &err) == VL_OK && vl_wal_wait(w, lsn, &err) == VL_OK);
    CHECK_EQ_INT(t, lsn, 1000);
    vl_wal_close(w);
    REQUIRE(t, vl_wal_open(dir, 0, &w, &err) == VL_OK);
    CHECK_EQ_INT(t, vl_wal_last_lsn(w), 1000);
    REQUIRE(t, vl_wal_start(w, 5, NULL, NULL, &err) == VL_OK); /* lower: the log wins */
    CHECK(t, vl_wal_append(w, "", 5, "a", 1, &lsn, &err) == VL_OK && vl_wal_wait(w, lsn, &err) == VL_OK);
    CHECK_EQ_INT(t, lsn, 1001);
    vl_wal_close(w);
    rmtree(dir);
}

/* The record parser never reads past its input, whatever the bytes. */
static void t_parse_garbage(vl_test *t) {
    vl_rng rng;
    vl_rng_seed(&rng, 7);
    uint8_t buf[64];
    int ok = 0;
    for (int i = 0; i < 100000; i++) {
        size_t n = (size_t)vl_rng_below(&rng, sizeof(buf) + 1);
        for (size_t j = 0; j < n; j++) buf[j] = (uint8_t)vl_rng_next(&rng);
        if (n >= 8 && (i & 1)) buf[4] = (uint8_t)(n - VL_WAL_HEADER), buf[5] = buf[6] = buf[7] = 0;
        char *copy = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(copy, buf, n);
        vl_wal_rec r;
        if (vl_wal_rec_next(copy, n, &r) == 1) ok++;
        free(copy);
    }
    CHECK_EQ_INT(t, ok, 0);
}

static const vl_test_case cases[] = {
    {"concurrent appends share fsyncs, arrive once in LSN order and survive a reopen", t_group_commit},
    {"a torn tail is cut off, damage before it is refused; release keeps the newest segment",
     t_torn_tail_and_damage},
    {"LSNs continue above both the log and the committed position", t_next_lsn},
    {"the record parser rejects garbage without reading past it", t_parse_garbage},
};
VL_TEST_MAIN(cases)
