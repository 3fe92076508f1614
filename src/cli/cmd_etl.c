/* vidlake - Apache-2.0 */
/*
 * vidlake etl run --lake LAKE [--full] [--threads N]: runs the batch jobs
 * (src/etl) once: bronze/events -> silver/events -> silver/views. Each job
 * processes only what changed since its last run and commits once, so the
 * command is safe to re-run, to run from cron, and to kill.
 */
#include "cli.h"
#include "etl/etl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "etl"

static const char usage_text[] =
    "usage: vidlake etl run --lake LAKE [--full] [--threads N]\n"
    "\n"
    "Runs the batch jobs once, in order:\n"
    "  bronze/events -> silver/events   deduplicated by event_id, appended\n"
    "  silver/events -> silver/views    one row per view (watch time, stalls,\n"
    "                                   bitrate, outcome, ads), by view_date\n"
    "Each job reads only the input partitions that changed since the version its\n"
    "table's last commit records, rewrites only the partitions they affect, and\n"
    "commits once: re-running does nothing new, and a run killed mid-way leaves\n"
    "the tables as they were (the next run does the work).\n"
    "  --lake LAKE    the lake (a directory)\n"
    "  --full         rebuild every table from its input\n"
    "  --threads N    worker threads (default: the machine's cores, at most 8)\n"
    "Prints one line per job to stderr (and a progress bar when it is a terminal).\n";

static void log_line(void *ctx, const char *line) {
    vl_progress *pg = ctx;
    if (pg && pg->enabled) fputs("\r\x1b[K", stderr); /* the line replaces the bar; the next job draws it again */
    fprintf(stderr, "etl: %s\n", line);
}

int vl_cmd_etl(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "run") != 0) {
        vl_cli_err(CMD, "unknown sub-command '%s' (see vidlake etl --help)", argv[1]);
        return 2;
    }
    static const vl_opt opts[] = {{"lake", true}, {"full", false}, {"threads", true}, {NULL, false}};
    vl_optparse p;
    vl_optparse_init(&p, CMD, argc - 1, argv + 1);
    const char *lake = NULL, *val;
    vl_etl_opts o = {.log = log_line};
    int k;
    while ((k = vl_optparse_next(&p, opts, &val)) != -1) {
        switch (k) {
        case -4:
            fputs(usage_text, stdout);
            return 0;
        case -3:
            return 2;
        case -2:
            vl_cli_err(CMD, "unexpected argument '%s' (see vidlake etl --help)", val);
            return 2;
        case 0:
            lake = val;
            break;
        case 1:
            o.full = true;
            break;
        case 2: {
            char *end;
            long n = strtol(val, &end, 10);
            if (*end || n < 1 || n > 64) {
                vl_cli_err(CMD, "--threads: '%s' is not a number of threads (1 .. 64)", val);
                return 2;
            }
            o.threads = (int)n;
            break;
        }
        default:
            break;
        }
    }
    if (!lake) {
        vl_cli_err(CMD, "--lake is required (see vidlake etl --help)");
        return 2;
    }
    vl_error err = {0};
    vl_store *s = NULL;
    if (vl_store_open(lake, &s, &err) != VL_OK) {
        vl_cli_err(CMD, "%s", err.msg);
        return 2;
    }
    vl_etl_stats st;
    vl_progress pg;
    vl_progress_start(&pg, "etl", "jobs", 9);
    o.progress = &pg;
    o.log_ctx = &pg;
    int rc = vl_etl_run(s, &o, &st, &err);
    vl_progress_finish(&pg);
    vl_store_close(s);
    if (rc) {
        vl_cli_err(CMD, "%s", err.msg);
        return 2;
    }
    return 0;
}
