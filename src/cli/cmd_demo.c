/* vidlake - Apache-2.0 */
/*
 * vidlake demo: the embedded pipeline on simulated traffic, two ways.
 *
 *  - Live (the default): `vidlake serve` with simulated viewers feeding it.
 *    Once the server listens, a `vidlake generate --rate R --to URL` child
 *    process posts real-time events to its collector; they go to the WAL,
 *    bronze and the real-time engine, and the dashboard at / shows them.
 *    Ctrl-C (SIGINT to both) or SIGTERM: the viewers stop, the server
 *    commits what it accepted and exits 0.
 *  - A day (--day, --events or --out): simulates a day of a streaming service
 *    (faults included: invalid, duplicate and late events), runs every line
 *    through the ingest decoder, and prints what a day looks like: volumes,
 *    audiences, device and country mix, rejects.
 */
#include "cli.h"
#include "ingest/ingest.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char usage_text[] =
    "usage: vidlake demo [--lake DIR] [--listen ADDR:PORT] [--rate EV_PER_S] [--seed S]\n"
    "       vidlake demo --day [--events N] [--seed S] [--out FILE.parquet]\n"
    "\n"
    "Live (the default): runs vidlake serve on LAKE (default ./lake) and feeds it\n"
    "with simulated viewers in real time (vidlake generate --rate, default 3000\n"
    "events/s, 0.5% of them invalid): collector -> WAL -> bronze Delta tables and\n"
    "the real-time engine; the dashboard is at http://ADDR:PORT/ (default\n"
    "127.0.0.1:8080). Ctrl-C stops the viewers, commits and exits.\n"
    "\n"
    "A day (--day, or --events / --out): simulates one day of a streaming service\n"
    "(default 1,000,000 events, with 0.5% invalid, 1% duplicate and 2% late\n"
    "events), decodes and validates every event as ingestion does, and prints a\n"
    "summary of the day. With --out, the valid events (duplicates dropped) are\n"
    "stored in a Parquet file through column batches, as the bronze sink does.\n"
    "\n"
    "options:\n"
    "  --lake DIR            live: the lake (default ./lake; created if missing)\n"
    "  --listen ADDR:PORT    live: where the server listens (default 127.0.0.1:8080)\n"
    "  --rate EV_PER_S       live: simulated events per second (default 3000)\n"
    "  --port-file FILE      live: write the port listened on to FILE once ready\n"
    "  --day                 a simulated day, summarised (no server)\n"
    "  --events N            a day: events to simulate (default 1M)\n"
    "  --out FILE.parquet    a day: store the valid events in a Parquet file\n"
    "  --seed S              the simulation's seed (default 1)\n";

/* ------------------------------------------------------------------ live */

typedef struct live_ctx {
    const char *rate;
    char seed[24];
    pid_t viewers;
} live_ctx;

/* exec and main want char *argv[]: writable copies of words[0..n) in buf,
 * NULL-terminated in args. @return 0, or -1 when buf is too small. */
static int argv_of(const char *const *words, int n, char *buf, size_t cap, char **args) {
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(words[i]) + 1;
        if (off + len > cap) return -1;
        memcpy(buf + off, words[i], len);
        args[i] = buf + off;
        off += len;
    }
    args[n] = NULL;
    return 0;
}

/* Starts the simulated viewers: this binary's generate, posting to url. */
static int live_ready(void *arg, const char *url) {
    live_ctx *c = arg;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0) {
        vl_cli_err("demo", "cannot find this program (/proc/self/exe): %s", strerror(errno));
        return -1;
    }
    self[n] = 0;
    const char *words[] = {"vidlake", "generate", "--rate", c->rate, "--seed", c->seed,
                           "--invalid-fraction", "0.005", "--to", url};
    enum { N_WORDS = sizeof(words) / sizeof(words[0]) };
    char buf[1024], *args[N_WORDS + 1];
    if (argv_of(words, N_WORDS, buf, sizeof(buf), args) != 0) {
        vl_cli_err("demo", "the viewers' command line is too long");
        return -1;
    }
    /* the server blocks and ignores signals its viewers must take as usual */
    posix_spawnattr_t at;
    int e = posix_spawnattr_init(&at);
    if (e == 0) {
        sigset_t none, deflt;
        sigemptyset(&none);
        sigemptyset(&deflt);
        sigaddset(&deflt, SIGINT);
        sigaddset(&deflt, SIGTERM);
        sigaddset(&deflt, SIGPIPE);
        sigaddset(&deflt, SIGCHLD);
        if ((e = posix_spawnattr_setsigmask(&at, &none)) == 0 && (e = posix_spawnattr_setsigdefault(&at, &deflt)) == 0 &&
            (e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0)
            e = posix_spawn(&c->viewers, self, NULL, &at, args, environ);
        posix_spawnattr_destroy(&at);
    }
    if (e != 0) {
        vl_cli_err("demo", "cannot start the simulated viewers: %s", strerror(e));
        return -1;
    }
    fprintf(stderr,
            "\nvidlake demo: simulated viewers (about %s events/s) -> collector -> lake -> real-time engine\n"
            "  dashboard:  %s/\n"
            "  API:        %s/api/v1/realtime/summary\n"
            "  stop:       Ctrl-C (commits what was accepted, then exits)\n\n",
            c->rate, url, url);
    return 0;
}

/* SIGCHLD: the viewers exiting on their own is a failure (they run until
 * stopped); say why. */
static int live_child_exited(void *arg) {
    live_ctx *c = arg;
    int st;
    if (c->viewers <= 0 || waitpid(c->viewers, &st, WNOHANG) != c->viewers) return 0;
    c->viewers = 0;
    if (WIFEXITED(st)) vl_cli_err("demo", "the simulated viewers stopped (exit status %d)", WEXITSTATUS(st));
    else vl_cli_err("demo", "the simulated viewers died (signal %d)", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 1;
}

/* Stops the viewers: SIGTERM (they send what they hold), SIGKILL after 10 s. */
static void live_stopping(void *arg) {
    live_ctx *c = arg;
    if (c->viewers <= 0) return;
    kill(c->viewers, SIGTERM);
    int st;
    for (int i = 0; i < 1000; i++) {
        pid_t r = waitpid(c->viewers, &st, WNOHANG);
        if (r == c->viewers || (r < 0 && errno != EINTR)) {
            c->viewers = 0;
            return;
        }
        usleep(10000);
    }
    kill(c->viewers, SIGKILL);
    while (waitpid(c->viewers, &st, 0) < 0 && errno == EINTR) {
    }
    c->viewers = 0;
}

static int demo_live(const char *lake, const char *listen, const char *rate, uint64_t seed, const char *port_file) {
    const char *words[] = {"serve", "--lake", lake, "--listen", listen, "--port-file", port_file};
    int n = port_file ? 7 : 5;
    char buf[8192], *args[8];
    if (argv_of(words, n, buf, sizeof(buf), args) != 0) {
        vl_cli_err("demo", "the server's command line is too long");
        return 2;
    }
    live_ctx c = {.rate = rate};
    snprintf(c.seed, sizeof(c.seed), "%llu", (unsigned long long)seed);
    vl_serve_hooks h = {live_ready, live_stopping, live_child_exited, &c};
    return vl_serve_run(n, args, &h);
}

/* ------------------------------------------------------------- a day */

/* Parquet output of the demo: events -> column batches -> writer -> file. */
typedef struct {
    FILE *f;
    vl_event_batch *batch;
    vl_pq_writer *w;
    uint64_t rows;
    uint64_t ndjson_bytes; /* of the events stored */
} demo_out;

static int file_write(void *ctx, const void *p, size_t n, vl_error *err) {
    if (fwrite(p, 1, n, ctx) != n) return vl_error_set(err, VL_EIO, "write failed: %s", strerror(errno));
    return VL_OK;
}

static int flush_batch(demo_out *o, vl_error *err) {
    if (!vl_event_batch_rows(o->batch)) return VL_OK;
    vl_pq_column cols[VL_F_COUNT];
    vl_event_batch_columns(o->batch, cols);
    VL_RETURN_IF_ERR(vl_pq_writer_write(o->w, cols, vl_event_batch_rows(o->batch), err));
    o->rows += vl_event_batch_rows(o->batch);
    vl_event_batch_clear(o->batch);
    return VL_OK;
}

typedef struct {
    const char *name;
    uint64_t n;
} named_count;

static int by_count_desc(const void *a, const void *b) {
    const named_count *x = a, *y = b;
    return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

static void print_mix(const char *title, named_count *items, size_t n, uint64_t total, size_t top) {
    qsort(items, n, sizeof(*items), by_count_desc);
    printf("%-13s", title);
    for (size_t i = 0; i < n && i < top && items[i].n; i++) {
        double pct = total ? 100.0 * (double)items[i].n / (double)total : 0.0;
        printf("%s %s %.*f%%", i ? "," : "", items[i].name, pct < 0.1 ? 3 : 1, pct);
    }
    printf("\n");
}

int vl_cmd_demo(int argc, char **argv) {
    enum { O_EVENTS, O_SEED, O_OUT, O_DAY, O_LAKE, O_LISTEN, O_RATE, O_PORT_FILE };
    static const vl_opt opts[] = {{"events", true}, {"seed", true},   {"out", true},  {"day", false},
                                  {"lake", true},   {"listen", true}, {"rate", true}, {"port-file", true},
                                  {NULL, false}};
    const char *out_path = NULL, *lake = "lake", *listen = "127.0.0.1:8080", *rate = "3000";
    const char *port_file = NULL;
    bool day = false, live_opt = false;
    vl_optparse op;
    vl_optparse_init(&op, "demo", argc, argv);
    vl_sim_config cfg;
    vl_sim_config_default(&cfg);
    cfg.events = 1000000;
    cfg.invalid_fraction = 0.005;
    cfg.duplicate_fraction = 0.01;
    cfg.late_fraction = 0.02;
    const char *val;
    int k;
    vl_error err;
    while ((k = vl_optparse_next(&op, opts, &val)) != -1) {
        int64_t v;
        if (k == -4) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (k == -3) return 2;
        if (k == -2) {
            vl_cli_err("demo", "unexpected argument '%s'", val);
            return 2;
        }
        switch (k) {
        case O_OUT: out_path = val; day = true; continue;
        case O_DAY: day = true; continue;
        case O_LAKE: lake = val; live_opt = true; continue;
        case O_LISTEN: listen = val; live_opt = true; continue;
        case O_PORT_FILE: port_file = val; live_opt = true; continue;
        case O_RATE: {
            double r;
            if (vl_parse_double(val, &r, &err) != VL_OK || !(r > 0 && r <= 1e7)) {
                vl_cli_err("demo", "--rate: '%s' is not an event rate from 0 to 10000000 per second", val);
                return 2;
            }
            rate = val;
            live_opt = true;
            continue;
        }
        default: break;
        }
        if (vl_parse_count(val, &v, &err) != VL_OK) {
            vl_cli_err("demo", "--%s: %s", opts[k].name, err.msg);
            return 2;
        }
        if (k == O_EVENTS) {
            cfg.events = (uint64_t)v;
            day = true;
        } else {
            cfg.seed = (uint64_t)v;
        }
    }
    if (day && live_opt) {
        vl_cli_err("demo", "--lake, --listen, --rate and --port-file are for the live demo; --day, --events and --out "
                           "for a simulated day");
        return 2;
    }
    if (!day) return demo_live(lake, listen, rate, cfg.seed, port_file);
    if (cfg.events == 0) {
        vl_cli_err("demo", "--events must be at least 1");
        return 2;
    }
    vl_sim *sim;
    if (vl_sim_create(&cfg, &sim, &err) != VL_OK) {
        vl_cli_err("demo", "%s", err.msg);
        return 2;
    }
    demo_out po = {0};
    if (out_path) {
        vl_pq_schema_elem schema[VL_F_COUNT + 1];
        vl_event_parquet_schema(schema);
        vl_pq_writer_opts wo;
        vl_pq_writer_opts_default(&wo);
        po.f = fopen(out_path, "wb");
        if (!po.f) {
            vl_cli_err("demo", "cannot create %s: %s", out_path, strerror(errno));
            vl_sim_destroy(sim);
            return 2;
        }
        if (vl_event_batch_create(65536, &po.batch, &err) != VL_OK ||
            vl_pq_writer_open((vl_pq_sink){po.f, file_write}, schema, VL_F_COUNT + 1, &wo, &po.w, &err) != VL_OK) {
            vl_cli_err("demo", "%s", err.msg);
            vl_event_batch_destroy(po.batch);
            fclose(po.f);
            vl_sim_destroy(sim);
            return 2;
        }
    }
    int64_t store_us = 0;
    printf("vidlake demo: one simulated day of a streaming service (seed %llu)\n\n",
           (unsigned long long)cfg.seed);

    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena arena;
    vl_arena_init(&arena, 1 << 16);
    vl_buf line;
    vl_buf_init(&line);
    vl_u64set ids, users, sessions, views;
    vl_u64set_init(&ids);
    vl_u64set_init(&users);
    vl_u64set_init(&sessions);
    vl_u64set_init(&views);
    uint64_t by_type[VL_ET_COUNT] = {0}, by_device[VL_DT_COUNT] = {0};
    uint64_t by_tier[VL_TIER_COUNT] = {0};
    named_count countries[26 * 26];
    memset(countries, 0, sizeof(countries));
    static char cnames[26 * 26][3];
    static uint64_t rejects[VL_RJ_COUNT][VL_F_COUNT + 1];
    memset(rejects, 0, sizeof(rejects));
    uint64_t lines = 0, bytes = 0, valid = 0, invalid = 0, dups = 0;
    int64_t first_ts = INT64_MAX, last_ts = INT64_MIN;
    double revenue = 0;
    int64_t gen_us = 0, dec_us = 0;
    int rc = 0, r;
    vl_progress pg;
    vl_progress_start(&pg, "simulating", "events", cfg.events);

    for (;;) {
        int64_t when;
        vl_sim_kind kind;
        vl_buf_clear(&line);
        int64_t t0 = vl_mono_us();
        r = vl_sim_next(sim, &line, &when, &kind);
        int64_t t1 = vl_mono_us();
        gen_us += t1 - t0;
        if (r != 1) break;
        lines++;
        bytes += line.n;
        vl_event ev;
        vl_reject rj;
        int drc = vl_decoder_decode(&dec, line.p, line.n - 1, &ev, &arena, &rj);
        dec_us += vl_mono_us() - t1;
        if (drc == VL_ENOMEM) {
            r = -VL_ENOMEM;
            break;
        }
        if (drc != VL_OK) {
            invalid++;
            rejects[rj.reason][rj.field + 1]++;
        } else {
            valid++;
            vl_sv id = ev.v[VL_F_EVENT_ID].s;
            if (vl_u64set_add(&ids, vl_hash64(id.p, id.n, 0)) == 0) {
                dups++;
            } else {
                by_type[ev.v[VL_F_EVENT_TYPE].i]++;
                vl_sv u = ev.v[VL_F_USER_ID].s, s = ev.v[VL_F_SESSION_ID].s;
                if (vl_u64set_add(&users, vl_hash64(u.p, u.n, 0)) < 0 ||
                    vl_u64set_add(&sessions, vl_hash64(s.p, s.n, 0)) < 0) {
                    r = -VL_ENOMEM;
                    break;
                }
                if (vl_event_has(&ev, VL_F_VIEW_ID)) {
                    vl_sv v = ev.v[VL_F_VIEW_ID].s;
                    if (vl_u64set_add(&views, vl_hash64(v.p, v.n, 0)) < 0) {
                        r = -VL_ENOMEM;
                        break;
                    }
                }
                if (ev.v[VL_F_EVENT_TYPE].i == VL_ET_SESSION_START) {
                    if (vl_event_has(&ev, VL_F_DEVICE_TYPE)) by_device[ev.v[VL_F_DEVICE_TYPE].i]++;
                    if (vl_event_has(&ev, VL_F_SUBSCRIPTION_TIER))
                        by_tier[ev.v[VL_F_SUBSCRIPTION_TIER].i]++;
                    if (vl_event_has(&ev, VL_F_COUNTRY)) {
                        vl_sv c = ev.v[VL_F_COUNTRY].s;
                        int ci = (c.p[0] - 'A') * 26 + (c.p[1] - 'A');
                        countries[ci].n++;
                    }
                }
                if (vl_event_has(&ev, VL_F_AD_REVENUE_USD)) revenue += ev.v[VL_F_AD_REVENUE_USD].d;
                if (po.w) {
                    int64_t s0 = vl_mono_us();
                    if ((vl_event_batch_full(po.batch) && flush_batch(&po, &err) != VL_OK) ||
                        vl_event_batch_add(po.batch, &ev, &err) != VL_OK) {
                        r = -VL_EIO;
                        break;
                    }
                    po.ndjson_bytes += line.n;
                    store_us += vl_mono_us() - s0;
                }
                int64_t ts = ev.v[VL_F_EVENT_TIME].i;
                if (ts < first_ts) first_ts = ts;
                if (ts > last_ts) last_ts = ts;
            }
        }
        vl_arena_reset(&arena);
        vl_progress_set(&pg, lines);
    }
    vl_progress_finish(&pg);
    if (r >= 0 && po.w) {
        int64_t s0 = vl_mono_us();
        if (flush_batch(&po, &err) != VL_OK || vl_pq_writer_close(po.w, &err) != VL_OK ||
            fflush(po.f) != 0)
            r = -VL_EIO;
        store_us += vl_mono_us() - s0;
    }
    if (r == -VL_EIO) {
        vl_cli_err("demo", "%s: %s", out_path, err.msg);
        rc = 2;
    } else if (r < 0) {
        vl_cli_err("demo", "out of memory after %llu events", (unsigned long long)lines);
        rc = 2;
    } else {
        char a[32], b[32];
        a[vl_ts_format(a, first_ts == INT64_MAX ? 0 : first_ts)] = '\0';
        b[vl_ts_format(b, last_ts == INT64_MIN ? 0 : last_ts)] = '\0';
        printf("simulated    %llu events (%.1f MB) in %.2f s; decoded and validated in %.2f s "
               "(%.0f MB/s)\n",
               (unsigned long long)lines, (double)bytes / 1e6, (double)gen_us / 1e6,
               (double)dec_us / 1e6, dec_us ? (double)bytes / (double)dec_us : 0.0);
        printf("event time   %s .. %s\n", a, b);
        printf("ingest       %llu valid, %llu rejected (%.2f%%), %llu duplicates (same event_id)\n",
               (unsigned long long)valid, (unsigned long long)invalid,
               lines ? 100.0 * (double)invalid / (double)lines : 0.0, (unsigned long long)dups);
        printf("audience     %zu users, %zu sessions, %zu views, ad revenue $%.2f\n",
               vl_u64set_count(&users), vl_u64set_count(&sessions), vl_u64set_count(&views),
               revenue);
        uint64_t distinct = valid - dups;
        named_count fam[VL_FAM_COUNT], types[VL_ET_COUNT], dev[VL_DT_COUNT], tier[VL_TIER_COUNT];
        for (int f = 0; f < VL_FAM_COUNT; f++) fam[f] = (named_count){vl_event_family_names[f], 0};
        for (int t = 0; t < VL_ET_COUNT; t++) {
            types[t] = (named_count){vl_event_type_names[t], by_type[t]};
            fam[vl_event_type_family[t]].n += by_type[t];
        }
        uint64_t sess = 0, tiers = 0, ctry = 0;
        for (int d = 0; d < VL_DT_COUNT; d++) {
            dev[d] = (named_count){vl_event_fields[VL_F_DEVICE_TYPE].values[d], by_device[d]};
            sess += by_device[d];
        }
        for (int t = 0; t < VL_TIER_COUNT; t++) {
            tier[t] = (named_count){vl_event_fields[VL_F_SUBSCRIPTION_TIER].values[t], by_tier[t]};
            tiers += by_tier[t];
        }
        for (int i = 0; i < 26 * 26; i++) {
            cnames[i][0] = (char)('A' + i / 26);
            cnames[i][1] = (char)('A' + i % 26);
            countries[i].name = cnames[i];
            ctry += countries[i].n;
        }
        printf("\n");
        print_mix("families", fam, VL_FAM_COUNT, distinct, VL_FAM_COUNT);
        print_mix("event types", types, VL_ET_COUNT, distinct, 8);
        print_mix("devices", dev, VL_DT_COUNT, sess, VL_DT_COUNT);
        print_mix("tiers", tier, VL_TIER_COUNT, tiers, VL_TIER_COUNT);
        print_mix("countries", countries, 26 * 26, ctry, 8);
        if (invalid) {
            named_count rs[VL_RJ_COUNT * (VL_F_COUNT + 1)];
            static char keys[VL_RJ_COUNT * (VL_F_COUNT + 1)][64];
            size_t nr = 0;
            for (int rr = 0; rr < VL_RJ_COUNT; rr++)
                for (int f = -1; f < VL_F_COUNT; f++) {
                    if (!rejects[rr][f + 1]) continue;
                    vl_reject tmp = {.reason = (vl_reject_reason)rr, .field = f};
                    vl_reject_key(&tmp, keys[nr], sizeof(keys[nr]));
                    rs[nr] = (named_count){keys[nr], rejects[rr][f + 1]};
                    nr++;
                }
            print_mix("rejects", rs, nr, invalid, 6);
        }
        if (po.w) {
            long size = ftell(po.f);
            printf("stored       %llu events in %s: %.1f MB of Parquet (zstd) for %.1f MB of NDJSON, "
                   "%.1fx smaller, in %.2f s\n",
                   (unsigned long long)po.rows, out_path, (double)size / 1e6,
                   (double)po.ndjson_bytes / 1e6,
                   size > 0 ? (double)po.ndjson_bytes / (double)size : 0.0, (double)store_us / 1e6);
        }
        printf("\nSee every event: vidlake generate --events 20 --seed %llu\n"
               "Check a file:    vidlake generate --events 100000 --invalid-fraction 0.01 | "
               "vidlake validate -\n",
               (unsigned long long)cfg.seed);
    }
    if (po.f) {
        vl_pq_writer_destroy(po.w);
        vl_event_batch_destroy(po.batch);
        fclose(po.f);
    }
    vl_u64set_free(&ids);
    vl_u64set_free(&users);
    vl_u64set_free(&sessions);
    vl_u64set_free(&views);
    vl_buf_free(&line);
    vl_arena_destroy(&arena);
    vl_decoder_free(&dec);
    vl_sim_destroy(sim);
    return rc;
}
