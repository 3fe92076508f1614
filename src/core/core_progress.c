/* vidlake - Apache-2.0 */
/*
 * A progress bar on stderr, for commands that run for seconds or more. It is
 * drawn only when stderr is a terminal, at most ten times a second, on one
 * line rewritten with '\r'; finish erases it so later output starts clean.
 */
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void vl_progress_start(vl_progress *pg, const char *label, const char *unit, uint64_t total) {
    memset(pg, 0, sizeof(*pg));
    pg->label = label;
    pg->unit = unit;
    pg->total = total;
    pg->start_us = vl_mono_us();
    const char *env = getenv("VIDLAKE_PROGRESS");
    pg->enabled = isatty(2) && !(env && strcmp(env, "0") == 0);
}

static void human(char *out, size_t cap, double v) {
    if (v >= 1e9) snprintf(out, cap, "%.2fG", v / 1e9);
    else if (v >= 1e6) snprintf(out, cap, "%.2fM", v / 1e6);
    else if (v >= 1e4) snprintf(out, cap, "%.1fk", v / 1e3);
    else snprintf(out, cap, "%.0f", v);
}

void vl_progress__draw(vl_progress *pg) {
    int64_t now = vl_mono_us();
    if (now - pg->last_draw_us < 100000) return;
    pg->last_draw_us = now;
    double secs = (double)(now - pg->start_us) / 1e6;
    char done[32], rate[32], line[160];
    human(done, sizeof(done), (double)pg->done);
    human(rate, sizeof(rate), secs > 0 ? (double)pg->done / secs : 0);
    int n;
    if (pg->total) {
        double f = (double)pg->done / (double)pg->total;
        if (f > 1) f = 1;
        char bar[31];
        int fill = (int)(f * 30);
        for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
        bar[30] = '\0';
        double eta = f > 0 ? secs / f - secs : 0;
        n = snprintf(line, sizeof(line), "\r%s [%s] %5.1f%% %s %s, %s/s, eta %.0fs\x1b[K",
                     pg->label, bar, f * 100, done, pg->unit, rate, eta);
    } else {
        n = snprintf(line, sizeof(line), "\r%s %s %s, %s/s\x1b[K", pg->label, done, pg->unit, rate);
    }
    if (n > 0) {
        ssize_t w = write(2, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
        (void)w;
    }
}

void vl_progress_finish(vl_progress *pg) {
    if (!pg->enabled) return;
    ssize_t w = write(2, "\r\x1b[K", 4);
    (void)w;
    pg->enabled = false;
}
