/* vidlake - Apache-2.0 */
/*
 * vidlake: entry point. Dispatches to the sub-commands and holds the shared
 * option parser.
 */
#include "cli.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"generate", vl_cmd_generate, "simulate viewers and write their events as NDJSON"},
    {"validate", vl_cmd_validate, "check NDJSON events; count valid ones by type, rejects by reason"},
    {"parquet", vl_cmd_parquet, "look inside a Parquet file: schema, meta, cat"},
    {"ingest", vl_cmd_ingest, "load NDJSON events into the lake's bronze tables, exactly once"},
    {"serve", vl_cmd_serve, "the HTTP collector: events in over HTTP, exactly once into bronze"},
    {"table", vl_cmd_table, "Delta tables: create, append, history, describe, files, scan, optimize, vacuum"},
    {"etl", vl_cmd_etl, "batch jobs: bronze -> silver events and views, incremental"},
    {"demo", vl_cmd_demo, "the embedded pipeline live: simulated viewers -> serve -> dashboard"},
};

static void usage(FILE *f) {
    fprintf(f,
            "vidlake %s - real-time video analytics lakehouse\n\n"
            "usage: vidlake [--s3-endpoint URL] <command> [options]   (vidlake <command> --help for its options)\n\n"
            "commands:\n",
            VL_VERSION);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nenvironment: VIDLAKE_LOG=debug|info|warn|error|off, VIDLAKE_LOG_FORMAT=text|json,\n"
               "             VIDLAKE_PROGRESS=0 hides progress bars\n"
               "lakes on S3: s3://bucket/prefix; AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN\n"
               "             or AWS_PROFILE; AWS_REGION; AWS_ENDPOINT_URL(_S3) or --s3-endpoint for\n"
               "             MinIO, Ceph RGW, R2 (docs/store.md has the rest)\n");
}

int vl_cli_props_add(vl_cli_props *p, const char *cmd, const char *val) {
    if (!strchr(val, '=') || val[0] == '=') {
        vl_cli_err(cmd, "-X %s: expected KEY=VALUE", val);
        return -1;
    }
    if (p->n == VL_CLI_MAX_PROPS) {
        vl_cli_err(cmd, "-X: at most %d properties", VL_CLI_MAX_PROPS);
        return -1;
    }
    p->kv[p->n++] = val;
    return 0;
}

void vl_cli_err(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vidlake %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void vl_optparse_init(vl_optparse *p, const char *cmd, int argc, char **argv) {
    p->argc = argc;
    p->argv = argv;
    p->i = 1; /* argv[0] is the sub-command */
    p->cmd = cmd;
}

int vl_optparse_next(vl_optparse *p, const vl_opt *opts, const char **val) {
    *val = NULL;
    if (p->i >= p->argc) return -1;
    const char *a = p->argv[p->i++];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return -4;
    if (strcmp(a, "-") == 0 || a[0] != '-') {
        *val = a;
        return -2;
    }
    if (a[0] == '-' && a[1] != '-') {
        /* one-letter options ("-X key=value", "-Xkey=value") where declared */
        for (int k = 0; opts[k].name; k++) {
            if (opts[k].name[1] != 0 || opts[k].name[0] != a[1]) continue;
            if (!opts[k].has_arg) {
                if (a[2]) break;
                return k;
            }
            if (a[2]) {
                *val = a + 2;
            } else if (p->i < p->argc) {
                *val = p->argv[p->i++];
            } else {
                vl_cli_err(p->cmd, "option -%s needs a value", opts[k].name);
                return -3;
            }
            return k;
        }
        vl_cli_err(p->cmd, "unknown option '%s' (options are long: --name)", a);
        return -3;
    }
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    for (int k = 0; opts[k].name; k++) {
        if (strlen(opts[k].name) != nlen || strncmp(opts[k].name, name, nlen) != 0) continue;
        if (!opts[k].has_arg) {
            if (eq) {
                vl_cli_err(p->cmd, "option --%s takes no value", opts[k].name);
                return -3;
            }
            return k;
        }
        if (eq) {
            *val = eq + 1;
        } else if (p->i < p->argc) {
            *val = p->argv[p->i++];
        } else {
            vl_cli_err(p->cmd, "option --%s needs a value", opts[k].name);
            return -3;
        }
        return k;
    }
    vl_cli_err(p->cmd, "unknown option '%s' (see vidlake %s --help)", a, p->cmd);
    return -3;
}

int main(int argc, char **argv) {
    /* Batches, pages and files are large and recycled all the time: keep
     * freed memory in the heap instead of returning it to the kernel and
     * faulting fresh zeroed pages back in (this halves the system time of
     * an ingest). Memory stays bounded by what the pipeline holds at once. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    vl_log_init_from_env();
    /* global options, before the command: the S3 endpoint (the store reads
     * it from the environment, ahead of AWS_ENDPOINT_URL_S3) */
    while (argc >= 2 && strncmp(argv[1], "--s3-endpoint", 13) == 0 && (argv[1][13] == 0 || argv[1][13] == '=')) {
        const char *v = argv[1][13] == '=' ? argv[1] + 14 : argc >= 3 ? argv[2] : NULL;
        if (!v || !*v) {
            fprintf(stderr, "vidlake: option --s3-endpoint needs a URL (http[s]://host[:port])\n");
            return 2;
        }
        setenv("VIDLAKE_S3_ENDPOINT", v, 1);
        int used = argv[1][13] == '=' ? 1 : 2;
        argc -= used;
        argv += used;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("vidlake %s\n", VL_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "vidlake: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
