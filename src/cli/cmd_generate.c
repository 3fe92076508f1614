/* vidlake - Apache-2.0 */
/*
 * `vidlake generate`: runs the viewer simulator (src/event/event_sim.c) and
 * hands its NDJSON lines, in large chunks of whole lines, to the sink --to
 * names (stdout, a file, the HTTP collector, a Kafka topic: gen_sink.h),
 * optionally paced to the wall clock (--rate), then writes the ground truth.
 */
#include "cli.h"
#include "gen_sink.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "generate"
#define OUT_BUF (1u << 20) /* write(2) in 1 MiB pieces */

static const char usage_text[] =
    "usage: vidlake generate [options]\n"
    "\n"
    "Simulates the viewers of a video streaming service and writes the events\n"
    "their players send, one JSON object per line (NDJSON), in delivery order.\n"
    "Users in ~20 countries with their own time zones, devices, OS and app\n"
    "versions, subscription tiers and habits watch a Zipf-popular catalog over\n"
    "CDNs of different quality; sessions follow a player state machine (startup,\n"
    "ads, heartbeats, pauses, seeks, stalls, bitrate changes, errors, likes, ...).\n"
    "See docs/simulator.md for the model and the truth file.\n"
    "\n"
    "options:\n"
    "  --events N              exact number of lines to write (k/M/G suffixes: 2M);\n"
    "                          default 100000, unbounded with --rate; 0 with --users:\n"
    "                          the whole period, however many lines that is\n"
    "  --users N               simulated users; default: sized so the period yields\n"
    "                          about --events lines (if it ends first, time goes on)\n"
    "  --days N                length of the simulated period in days (default 1)\n"
    "  --seed S                random seed (default 1): the same seed and options\n"
    "                          always give byte-identical output\n"
    "  --start YYYY-MM-DD      first simulated day, 00:00 UTC (default 2024-05-01)\n"
    "  --rate EV_PER_S         real-time mode: event times are now, lines are written\n"
    "                          when due, the audience is sized for about EV_PER_S\n"
    "                          lines per second from the first second (sessions\n"
    "                          are found running); runs until --events or\n"
    "                          Ctrl-C / SIGTERM\n"
    "  --invalid-fraction F    fraction of lines the validator must reject (each a\n"
    "                          mutated copy of a real event, which is sent as well)\n"
    "  --duplicate-fraction F  fraction of lines that resend an earlier event with\n"
    "                          the same event_id, a little later\n"
    "  --late-fraction F       fraction of lines delivered out of order, seconds to\n"
    "                          hours late (all are delivered before the end)\n"
    "  --truth FILE            write the ground truth (counts by type, reason and day,\n"
    "                          and every view's startup, watch, stall, outcome, ads)\n"
    "  --to -|FILE             where to write the lines (default -: stdout)\n"
    "  --to http://HOST:PORT   POST them to a collector (vidlake serve) in batches,\n"
    "                          retrying on 503 and connection errors\n"
    "  --to kafka://BROKERS/TOPIC  produce them to Kafka (idempotent, acks=all,\n"
    "                          compressed, keyed by session_id); BROKERS is\n"
    "                          host:port[,host:port...]\n"
    "  -X KEY=VALUE            kafka://: a librdkafka producer property; http://:\n"
    "                          compression=gzip (default) or none (repeatable)\n"
    "  -h, --help              this text\n"
    "\n"
    "examples:\n"
    "  vidlake generate --events 1M --seed 7 > events.ndjson\n"
    "  vidlake generate --events 200k --invalid-fraction 0.01 --duplicate-fraction 0.02 \\\n"
    "                   --late-fraction 0.02 --truth truth.json --to events.ndjson\n"
    "  vidlake generate --users 5000 --days 7 --events 0 --truth week.json > week.ndjson\n"
    "  vidlake generate --rate 500 | vidlake validate\n";

/* Real-time mode writes a line up to this early, with those due before it. */
#define EARLY_US 1000

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

/* Sleeps until the wall clock reaches us, or a signal arrives. */
static void sleep_until(int64_t us) {
    for (;;) {
        if (got_signal) return;
        int64_t d = us - vl_now_us();
        if (d <= 0) return;
        struct timespec ts = {(time_t)(d / 1000000), (long)(d % 1000000) * 1000};
        if (nanosleep(&ts, NULL) != 0 && errno != EINTR) return;
    }
}

static int parse_fraction(const char *opt, const char *val, double *out) {
    vl_error err;
    if (vl_parse_double(val, out, &err) != VL_OK || !(*out >= 0 && *out <= 1)) {
        vl_cli_err(CMD, "--%s: '%s' is not a fraction between 0 and 1", opt, val);
        return -1;
    }
    return 0;
}

static int parse_u64(const char *opt, const char *val, uint64_t *out) {
    char *end;
    errno = 0;
    if (!*val || *val == '-' || *val == '+') goto bad;
    unsigned long long v = strtoull(val, &end, 10);
    if (errno || *end) goto bad;
    *out = v;
    return 0;
bad:
    vl_cli_err(CMD, "--%s: '%s' is not a whole number from 0 to 18446744073709551615", opt, val);
    return -1;
}

enum { O_EVENTS, O_USERS, O_DAYS, O_SEED, O_START, O_RATE, O_INV, O_DUP, O_LATE, O_TRUTH, O_TO, O_X };

int vl_cmd_generate(int argc, char **argv) {
    static const vl_opt opts[] = {
        {"events", true},        {"users", true},      {"days", true},
        {"seed", true},          {"start", true},      {"rate", true},
        {"invalid-fraction", true}, {"duplicate-fraction", true}, {"late-fraction", true},
        {"truth", true},         {"to", true},         {"X", true},          {NULL, false},
    };
    vl_sim_config cfg;
    vl_sim_config_default(&cfg);
    const char *truth_path = NULL, *to = "-";
    vl_cli_props props = {0};
    bool events_given = false;
    vl_optparse op;
    vl_optparse_init(&op, CMD, argc, argv);
    const char *val;
    int k;
    vl_error err;
    while ((k = vl_optparse_next(&op, opts, &val)) != -1) {
        int64_t v;
        switch (k) {
        case -4:
            fputs(usage_text, stdout);
            return 0;
        case -3:
            return 2;
        case -2:
            vl_cli_err(CMD, "unexpected argument '%s' (see vidlake generate --help)", val);
            return 2;
        case O_EVENTS:
        case O_USERS:
        case O_DAYS:
            if (vl_parse_count(val, &v, &err) != VL_OK) {
                vl_cli_err(CMD, "--%s: %s", opts[k].name, err.msg);
                return 2;
            }
            if (k == O_EVENTS) {
                cfg.events = (uint64_t)v;
                events_given = true;
            } else if (k == O_USERS) {
                if (v < 1 || v > 50000000) {
                    vl_cli_err(CMD, "--users: must be 1 .. 50000000 (got %s)", val);
                    return 2;
                }
                cfg.users = (uint32_t)v;
            } else {
                if (v < 1 || v > 3650) {
                    vl_cli_err(CMD, "--days: must be 1 .. 3650 (got %s)", val);
                    return 2;
                }
                cfg.days = (uint32_t)v;
            }
            break;
        case O_SEED:
            if (parse_u64("seed", val, &cfg.seed)) return 2;
            break;
        case O_START: {
            int64_t days;
            if (vl_date_parse(val, strlen(val), &days, &err) != VL_OK) {
                vl_cli_err(CMD, "--start: '%s' is not a date YYYY-MM-DD (%s)", val, err.msg);
                return 2;
            }
            cfg.start_us = days * VL_US_PER_DAY;
            break;
        }
        case O_RATE:
            if (vl_parse_double(val, &cfg.rate, &err) != VL_OK || !(cfg.rate > 0) || cfg.rate > 1e8) {
                vl_cli_err(CMD, "--rate: '%s' is not a rate in events per second (0 < rate <= 1e8)", val);
                return 2;
            }
            break;
        case O_INV:
            if (parse_fraction(opts[k].name, val, &cfg.invalid_fraction)) return 2;
            break;
        case O_DUP:
            if (parse_fraction(opts[k].name, val, &cfg.duplicate_fraction)) return 2;
            break;
        case O_LATE:
            if (parse_fraction(opts[k].name, val, &cfg.late_fraction)) return 2;
            break;
        case O_TRUTH:
            truth_path = val;
            break;
        case O_TO:
            to = val;
            break;
        case O_X:
            if (vl_cli_props_add(&props, CMD, val) != 0) return 2;
            break;
        }
    }
    bool rate_mode = cfg.rate > 0;
    if (rate_mode && !events_given) cfg.events = 0;
    cfg.no_view_truth = rate_mode && !truth_path; /* a long run would keep every view */
    if (!rate_mode && cfg.events == 0 && cfg.users == 0) {
        vl_cli_err(CMD, "--events 0 means \"the whole period\" and needs --users");
        return 2;
    }

    gen_sink *sink = NULL;
    if (gen_sink_open(to, props.kv, props.n, &sink, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        return 2;
    }
    FILE *truth = NULL;
    if (truth_path && !(truth = fopen(truth_path, "w"))) {
        vl_cli_err(CMD, "--truth %s: %s", truth_path, strerror(errno));
        gen_sink_free(sink);
        return 2;
    }
    vl_sim *sim = NULL;
    if (vl_sim_create(&cfg, &sim, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        if (truth) fclose(truth);
        gen_sink_free(sink);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: a signal ends the sleep */
    sigaction(SIGTERM, &sa, NULL);

    vl_buf out;
    vl_buf_init(&out);
    int rc = 0;
    if (vl_buf_reserve(&out, OUT_BUF + 256 * 1024) != VL_OK) {
        vl_cli_err(CMD, "out of memory");
        rc = 2;
        goto done;
    }
    vl_progress pg;
    vl_progress_start(&pg, "generating", "events", cfg.events);
    uint64_t lines = 0;
    bool stopping = false;
    int64_t last_flush = vl_mono_us();
    for (;;) {
        if (got_signal && !stopping) {
            vl_sim_stop(sim);
            stopping = true;
        }
        size_t n0 = out.n;
        int64_t when;
        vl_sim_kind kind;
        int r = vl_sim_next(sim, &out, &when, &kind);
        if (r == 0) break;
        if (r < 0) {
            vl_cli_err(CMD, "out of memory after %llu lines", (unsigned long long)lines);
            rc = 2;
            break;
        }
        lines++;
        if (rate_mode && !stopping) {
            if (when > vl_now_us() + EARLY_US) {
                /* what is due goes out now; this line (and those due within
                 * EARLY_US of it) when its time comes: one sleep per line
                 * would cap the rate at what the timer allows (~20k/s) */
                if (gen_sink_write(sink, out.p, n0, &err) != VL_OK) goto write_failed;
                memmove(out.p, out.p + n0, out.n - n0);
                out.n -= n0;
                sleep_until(when - EARLY_US);
                last_flush = vl_mono_us();
            } else if (vl_mono_us() - last_flush > 100000) { /* behind: flush every 0.1 s */
                if (gen_sink_write(sink, out.p, out.n, &err) != VL_OK) goto write_failed;
                out.n = 0;
                last_flush = vl_mono_us();
            }
        }
        if (out.n >= OUT_BUF) {
            if (gen_sink_write(sink, out.p, out.n, &err) != VL_OK) goto write_failed;
            out.n = 0;
        }
        vl_progress_set(&pg, lines);
    }
    if (gen_sink_write(sink, out.p, out.n, &err) != VL_OK) goto write_failed;
    out.n = 0;
    if (gen_sink_finish(sink, &err) != VL_OK) goto write_failed;
    vl_progress_finish(&pg);
    if (pg.enabled)
        fprintf(stderr, "vidlake generate: %llu lines in %.1f s\n", (unsigned long long)lines,
                (double)(vl_mono_us() - pg.start_us) / 1e6);
    if (truth) {
        if (vl_sim_write_truth(sim, truth, &err) != VL_OK) {
            vl_cli_err(CMD, "--truth %s: %s", truth_path, err.msg);
            rc = 2;
        }
    }
    if (rc == 0 && stopping && !rate_mode) rc = 130; /* a batch run cut short */
    goto done;
write_failed:
    vl_progress_finish(&pg);
    vl_cli_err(CMD, "%s", err.msg);
    rc = 2;
done:
    vl_buf_free(&out);
    vl_sim_destroy(sim);
    if (truth && fclose(truth) != 0 && rc == 0) {
        vl_cli_err(CMD, "--truth %s: %s", truth_path, strerror(errno));
        rc = 2;
    }
    gen_sink_free(sink);
    return rc;
}
