/* vidlake - Apache-2.0 */
/*
 * The logger: one line per message on stderr, as text
 *   2024-05-01T12:00:00.000000Z INFO  ingest: committed version 12
 * or as one JSON object per line ({"ts":..,"level":..,"module":..,"msg":..}).
 * Each line is formatted on the stack and written with a single write(2), so
 * lines from different threads never interleave. Long messages are cut.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vl_log_level log_level = VL_LOG_INFO;
static bool log_json;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void vl_log_setup(vl_log_level level, bool json) {
    log_level = level;
    log_json = json;
}

void vl_log_init_from_env(void) {
    const char *lv = getenv("VIDLAKE_LOG");
    if (lv) {
        for (int i = 0; i < 4; i++)
            if (strcmp(lv, level_names[i]) == 0) log_level = (vl_log_level)i;
        if (strcmp(lv, "off") == 0) log_level = VL_LOG_OFF;
    }
    const char *fmt = getenv("VIDLAKE_LOG_FORMAT");
    if (fmt) log_json = strcmp(fmt, "json") == 0;
}

bool vl_log_enabled(vl_log_level level) { return level >= log_level && level < VL_LOG_OFF; }

void vl_log(vl_log_level level, const char *module, const char *fmt, ...) {
    if (!vl_log_enabled(level)) return;
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    int mn = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (mn < 0) return;
    size_t msg_n = (size_t)mn < sizeof(msg) ? (size_t)mn : sizeof(msg) - 1;

    char ts[27];
    vl_ts_format(ts, vl_now_us());
    /* The JSON form escapes at most 6x; size the line for it. */
    char line_mem[sizeof(msg) * 6 + 512];
    size_t mod_n = strnlen(module, 32);
    vl_buf b = {line_mem, 0, sizeof(line_mem)};
    char *o = line_mem;
    size_t n;
    if (log_json) {
        n = (size_t)snprintf(o, 128, "{\"ts\":\"%.27s\",\"level\":\"%s\",\"module\":", ts,
                             level_names[level]);
        b.n = n;
        /* line_mem holds the worst case (every byte escaped to 6), so the
         * buffer never needs to grow and is never reallocated. */
        if (vl_buf_json_str(&b, module, mod_n) != VL_OK) return;
        memcpy(b.p + b.n, ",\"msg\":", 7);
        b.n += 7;
        if (vl_buf_json_str(&b, msg, msg_n) != VL_OK) return;
        b.p[b.n++] = '}';
        b.p[b.n++] = '\n';
        n = b.n;
    } else {
        static const char *const up[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
        n = (size_t)snprintf(o, sizeof(line_mem), "%.27s %s %.*s: %.*s\n", ts, up[level], (int)mod_n, module,
                             (int)msg_n, msg);
        if (n >= sizeof(line_mem)) n = sizeof(line_mem) - 1;
    }
    ssize_t w = write(2, line_mem, n);
    (void)w;
}
