/* vidlake - Apache-2.0 */
/*
 * vidlake validate [FILE|-] [--json] [--show N]: decodes every line of an
 * NDJSON stream with the ingest decoder, counts valid events by type and
 * rejects by reason, and prints the first rejects with their line numbers.
 * Exit status: 0 all valid, 1 some rejected, 2 usage or I/O error.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: vidlake validate [FILE|-] [--json] [--show N]\n"
    "\n"
    "Checks newline-delimited JSON events (default: standard input) exactly as\n"
    "ingestion does, and reports valid events by type and rejected lines by reason\n"
    "(reason:field). Blank lines are skipped and counted.\n"
    "\n"
    "  --json     print one JSON object:\n"
    "             {\"valid\":N,\"invalid\":N,\"by_type\":{...},\"by_reason\":{...},...}\n"
    "  --show N   print the first N rejects with line numbers (default 10; 0: none)\n"
    "\n"
    "exit status: 0 all lines valid, 1 some rejected, 2 usage or I/O error\n";

/* counts[reason][field + 1]: field -1 (no field) is column 0 */
typedef uint64_t reason_counts[VL_RJ_COUNT][VL_F_COUNT + 1];

static void print_count_json(FILE *out, bool *first, const char *key, uint64_t n) {
    fprintf(out, "%s\"%s\":%llu", *first ? "" : ",", key, (unsigned long long)n);
    *first = false;
}

int vl_cmd_validate(int argc, char **argv) {
    static const vl_opt opts[] = {{"json", false}, {"show", true}, {NULL, false}};
    vl_optparse op;
    vl_optparse_init(&op, "validate", argc, argv);
    const char *path = NULL, *val;
    bool json = false;
    int64_t show = 10;
    int k;
    while ((k = vl_optparse_next(&op, opts, &val)) != -1) {
        if (k == -4) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (k == -3) return 2;
        if (k == -2) {
            if (path) {
                vl_cli_err("validate", "one input at a time (got '%s' and '%s')", path, val);
                return 2;
            }
            path = val;
        } else if (k == 0) {
            json = true;
        } else if (k == 1) {
            vl_error err;
            if (vl_parse_count(val, &show, &err) != VL_OK) {
                vl_cli_err("validate", "--show: %s", err.msg);
                return 2;
            }
        }
    }
    int fd = 0;
    if (path && strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            vl_cli_err("validate", "cannot open '%s': %s", path, strerror(errno));
            return 2;
        }
    }
    const char *name = path && strcmp(path, "-") != 0 ? path : "standard input";

    vl_error err;
    vl_ndjson_reader rd;
    if (vl_ndjson_reader_init(&rd, fd, VL_EVENT_MAX_BYTES, &err) != VL_OK) {
        vl_cli_err("validate", "%s", err.msg);
        if (fd) close(fd);
        return 2;
    }
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena arena;
    vl_arena_init(&arena, 64 * 1024);
    static reason_counts by_reason;
    memset(by_reason, 0, sizeof(by_reason));
    uint64_t by_type[VL_ET_COUNT] = {0};
    uint64_t valid = 0, invalid = 0, blank = 0;
    int64_t shown = 0;
    int rc = 0;
    vl_progress pg;
    vl_progress_start(&pg, "validating", "lines", 0);
    int64_t t0 = vl_mono_us();

    vl_sv line;
    bool too_large;
    int r;
    while ((r = vl_ndjson_next(&rd, &line, &too_large, &err)) == 1) {
        vl_event ev;
        vl_reject rj;
        int drc;
        if (too_large) {
            /* the reader kept only a prefix; the decoder reports the size */
            rj.reason = VL_RJ_TOO_LARGE;
            rj.field = -1;
            snprintf(rj.detail, sizeof(rj.detail), "event is longer than %d bytes",
                     VL_EVENT_MAX_BYTES);
            drc = VL_EINVAL;
        } else {
            size_t i = 0;
            while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t' || line.p[i] == '\r')) i++;
            if (i == line.n) {
                blank++;
                continue;
            }
            drc = vl_decoder_decode(&dec, line.p, line.n, &ev, &arena, &rj);
            vl_arena_reset(&arena);
        }
        if (drc == VL_OK) {
            valid++;
            by_type[ev.v[VL_F_EVENT_TYPE].i]++;
        } else if (drc == VL_EINVAL) {
            invalid++;
            by_reason[rj.reason][rj.field + 1]++;
            if (shown < show) {
                char key[96];
                vl_reject_key(&rj, key, sizeof(key));
                fprintf(json ? stderr : stdout, "%s:%llu: %s: %s\n", name,
                        (unsigned long long)rd.line_no, key, rj.detail);
                shown++;
            }
        } else {
            vl_cli_err("validate", "line %llu: out of memory", (unsigned long long)rd.line_no);
            rc = 2;
            break;
        }
        vl_progress_set(&pg, rd.line_no);
    }
    vl_progress_finish(&pg);
    if (r < 0) {
        vl_cli_err("validate", "%s: %s", name, err.msg);
        rc = 2;
    }
    double secs = (double)(vl_mono_us() - t0) / 1e6;

    if (rc == 0) {
        FILE *out = stdout;
        if (json) {
            fprintf(out, "{\"valid\":%llu,\"invalid\":%llu,\"blank\":%llu,\"lines\":%llu,\"bytes\":%llu,",
                    (unsigned long long)valid, (unsigned long long)invalid,
                    (unsigned long long)blank, (unsigned long long)rd.line_no,
                    (unsigned long long)rd.bytes);
            fputs("\"by_type\":{", out);
            bool first = true;
            for (int t = 0; t < VL_ET_COUNT; t++)
                print_count_json(out, &first, vl_event_type_names[t], by_type[t]);
            fputs("},\"by_reason\":{", out);
            first = true;
            for (int rr = 0; rr < VL_RJ_COUNT; rr++)
                for (int f = -1; f < VL_F_COUNT; f++) {
                    if (!by_reason[rr][f + 1]) continue;
                    vl_reject tmp = {.reason = (vl_reject_reason)rr, .field = f};
                    char key[96];
                    vl_reject_key(&tmp, key, sizeof(key));
                    print_count_json(out, &first, key, by_reason[rr][f + 1]);
                }
            fputs("}}\n", out);
        } else {
            fprintf(out, "%s: %llu lines, %llu bytes in %.2f s (%.0f MB/s)\n", name,
                    (unsigned long long)rd.line_no, (unsigned long long)rd.bytes, secs,
                    secs > 0 ? (double)rd.bytes / secs / 1e6 : 0.0);
            fprintf(out, "valid   %llu\ninvalid %llu\n", (unsigned long long)valid,
                    (unsigned long long)invalid);
            if (blank) fprintf(out, "blank   %llu\n", (unsigned long long)blank);
            if (valid) {
                fputs("valid events by type:\n", out);
                for (int fam = 0; fam < VL_FAM_COUNT; fam++)
                    for (int t = 0; t < VL_ET_COUNT; t++)
                        if (vl_event_type_family[t] == (vl_event_family)fam && by_type[t])
                            fprintf(out, "  %-12s %-15s %llu\n", vl_event_family_names[fam],
                                    vl_event_type_names[t], (unsigned long long)by_type[t]);
            }
            if (invalid) {
                fputs("rejected lines by reason:\n", out);
                for (int rr = 0; rr < VL_RJ_COUNT; rr++)
                    for (int f = -1; f < VL_F_COUNT; f++) {
                        if (!by_reason[rr][f + 1]) continue;
                        vl_reject tmp = {.reason = (vl_reject_reason)rr, .field = f};
                        char key[96];
                        vl_reject_key(&tmp, key, sizeof(key));
                        fprintf(out, "  %-36s %llu\n", key,
                                (unsigned long long)by_reason[rr][f + 1]);
                    }
            }
        }
        rc = invalid ? 1 : 0;
    }
    vl_arena_destroy(&arena);
    vl_decoder_free(&dec);
    vl_ndjson_reader_free(&rd);
    if (fd) close(fd);
    return rc;
}
