/* vidlake - Apache-2.0 */
/* Shared by the benchmark programs: a corpus of lines held in memory and the
 * median of repeated timings. */
#ifndef VL_BENCH_H
#define VL_BENCH_H

#include "core/core.h"

#include <stdlib.h>

#define REPS 5

typedef struct {
    vl_sv *lines;
    size_t n;
    size_t bytes;
} corpus;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of REPS timings (sorted in place). */
static inline double median_of(double *t) {
    qsort(t, REPS, sizeof(double), cmp_double);
    return t[REPS / 2];
}

#ifdef HAVE_JSONC
#include <json-c/json.h>

/* The peer: json-c parses every line into a DOM (no validation). @return
 * the lines it accepted. */
static inline size_t bench_jsonc_parse(const corpus *c) {
    json_tokener *tok = json_tokener_new();
    size_t ok = 0;
    for (size_t i = 0; i < c->n; i++) {
        json_object *o = json_tokener_parse_ex(tok, c->lines[i].p, (int)c->lines[i].n);
        if (o) ok++;
        json_object_put(o);
        json_tokener_reset(tok);
    }
    json_tokener_free(tok);
    return ok;
}
#endif

#endif
