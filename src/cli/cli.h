/* vidlake - Apache-2.0 */
/*
 * cli: the `vidlake` command. main.c dispatches to one vl_cmd_<name> per
 * sub-command (one file each); this header also holds the small option
 * parser they share. Commands print results to stdout, errors to stderr
 * ("vidlake <cmd>: ..."), and return the process exit status: 0 success,
 * 1 the command ran and found a problem (invalid events, ...), 2 usage or
 * I/O errors.
 */
#ifndef VL_CLI_H
#define VL_CLI_H

#include "core/core.h"
#include "event/event.h"

int vl_cmd_generate(int argc, char **argv);
int vl_cmd_validate(int argc, char **argv);
int vl_cmd_demo(int argc, char **argv);
int vl_cmd_parquet(int argc, char **argv);
int vl_cmd_table(int argc, char **argv);
int vl_cmd_ingest(int argc, char **argv);
int vl_cmd_serve(int argc, char **argv);
int vl_cmd_etl(int argc, char **argv);

/* `vidlake serve` with hooks, for `vidlake demo`: ready runs once the server
 * listens (url: http://ADDR:PORT) and may start helpers (non-zero: stop with
 * status 2); stopping runs first on the way out, before the server and the
 * collector stop, whenever ready ran. */
typedef struct vl_serve_hooks {
    int (*ready)(void *ctx, const char *url);
    void (*stopping)(void *ctx);
    /* on SIGCHLD: non-zero when a helper the hooks started has died (the
     * server then stops with status 2) */
    int (*child_exited)(void *ctx);
    void *ctx;
} vl_serve_hooks;
int vl_serve_run(int argc, char **argv, const vl_serve_hooks *hooks);

/* A long option: "--name VALUE" or "--name=VALUE" (has_arg), or "--name".
 * A one-letter name is also a short option: "-X VALUE" or "-XVALUE". */
typedef struct vl_opt {
    const char *name;
    bool has_arg;
} vl_opt;

/*
 * Walks argv like getopt_long, without global state. Returns the index of
 * the matched option in opts and sets *val (NULL for flags); returns -1 at
 * the end; -2 for a positional argument (*val = it); -3 on an error (unknown
 * option or missing value), after printing it as "vidlake CMD: ...".
 * "--help"/"-h" return -4.
 */
typedef struct vl_optparse {
    int argc, i;
    char **argv;
    const char *cmd;
} vl_optparse;

void vl_optparse_init(vl_optparse *p, const char *cmd, int argc, char **argv);
int vl_optparse_next(vl_optparse *p, const vl_opt *opts, const char **val);

/* -X KEY=VALUE properties (librdkafka's), at most VL_CLI_MAX_PROPS. */
#define VL_CLI_MAX_PROPS 64
typedef struct vl_cli_props {
    const char *kv[VL_CLI_MAX_PROPS];
    size_t n;
} vl_cli_props;
/* Adds one; prints the problem as "vidlake CMD: -X ..." and returns -1. */
int vl_cli_props_add(vl_cli_props *p, const char *cmd, const char *val);

/* Prints "vidlake CMD: message" to stderr. */
void vl_cli_err(const char *cmd, const char *fmt, ...) VL_PRINTF(2, 3);

#endif /* VL_CLI_H */
