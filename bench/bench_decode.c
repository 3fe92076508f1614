/* vidlake - Apache-2.0 */
/*
 * Benchmark: the event decoder against general-purpose JSON parsers, and the
 * simulator's raw speed. Events come from the simulator (a day of traffic,
 * fixed seed), are held in memory, and each parser runs over all of them
 * several times on one thread; the median run is reported.
 *
 * The peer (json-c, the JSON library most Debian C programs use) only
 * builds a DOM: it does not validate the schema, convert timestamps or check
 * enums, so it does less work than our decoder. It is built in when
 * pkg-config finds it (`make bench` installs libjson-c-dev).
 */
#include "event/event.h"

#include "bench.h"

#include <stdlib.h>
#include <string.h>



typedef size_t (*parse_fn)(const corpus *c); /* returns a checksum */

static double median_secs(parse_fn fn, const corpus *c, size_t *check) {
    double t[REPS];
    for (int r = 0; r < REPS; r++) {
        int64_t t0 = vl_mono_us();
        *check = fn(c);
        t[r] = (double)(vl_mono_us() - t0) / 1e6;
    }
    return median_of(t);
}

static size_t run_vidlake(const corpus *c) {
    vl_decoder d;
    vl_decoder_init(&d);
    vl_arena a;
    vl_arena_init(&a, 1 << 16);
    size_t ok = 0;
    for (size_t i = 0; i < c->n; i++) {
        vl_event ev;
        vl_reject rj;
        if (vl_decoder_decode(&d, c->lines[i].p, c->lines[i].n, &ev, &a, &rj) == VL_OK) ok++;
        vl_arena_reset(&a);
    }
    vl_arena_destroy(&a);
    vl_decoder_free(&d);
    return ok;
}


int main(int argc, char **argv) {
    int64_t events = argc > 1 ? atoll(argv[1]) : 300000;
    vl_sim_config cfg;
    vl_sim_config_default(&cfg);
    cfg.events = (uint64_t)events;
    cfg.seed = 7;
    vl_sim *sim;
    vl_error err;
    if (vl_sim_create(&cfg, &sim, &err) != VL_OK) {
        fprintf(stderr, "bench: %s\n", err.msg);
        return 1;
    }
    /* simulator speed, no I/O: lines into a buffer that is recycled */
    vl_buf out;
    vl_buf_init(&out);
    int64_t when;
    vl_sim_kind kind;
    size_t n = 0, bytes = 0;
    int rc;
    int64_t t0 = vl_mono_us();
    while ((rc = vl_sim_next(sim, &out, &when, &kind)) == 1) {
        n++;
        if (out.n > (1u << 20)) {
            bytes += out.n;
            vl_buf_clear(&out);
        }
    }
    bytes += out.n;
    double gsecs = (double)(vl_mono_us() - t0) / 1e6;
    vl_sim_destroy(sim);
    if (rc < 0) return 1;
    printf("generate  vidlake   %8.2f M events/s  %7.0f MB/s   (%zu events, encoded, no I/O, 1 thread)\n",
           (double)n / gsecs / 1e6, (double)bytes / gsecs / 1e6, n);

    /* the same events again, kept in memory for the decoders */
    vl_buf all;
    vl_buf_init(&all);
    if (vl_sim_create(&cfg, &sim, &err) != VL_OK || vl_buf_reserve(&all, bytes) != VL_OK) return 1;
    vl_buf_clear(&out);
    while ((rc = vl_sim_next(sim, &all, &when, &kind)) == 1) {
    }
    vl_sim_destroy(sim);
    if (rc < 0) return 1;

    corpus c = {vl_calloc(n, sizeof(vl_sv)), 0, all.n};
    for (char *p = all.p, *e = all.p + all.n; p < e;) {
        char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) break;
        c.lines[c.n++] = (vl_sv){p, (size_t)(nl - p)};
        p = nl + 1;
    }
    size_t check;
    double secs = median_secs(run_vidlake, &c, &check);
    double ours = (double)c.bytes / secs / 1e6;
    printf("decode    vidlake   %8.0f MB/s  %6.2f M events/s  (%zu of %zu valid; decode + validate, "
           "median of %d)\n",
           ours, (double)c.n / secs / 1e6, check, c.n, REPS);
#ifdef HAVE_JSONC
    secs = median_secs(bench_jsonc_parse, &c, &check);
    printf("decode    json-c    %8.0f MB/s  %6.2f M events/s  (DOM parse only)  vidlake is %.1fx faster\n",
           (double)c.bytes / secs / 1e6, (double)c.n / secs / 1e6,
           ours / ((double)c.bytes / secs / 1e6));
#endif
    vl_free(c.lines);
    vl_buf_free(&all);
    vl_buf_free(&out);
    return 0;
}
