/* vidlake - Apache-2.0 */
/*
 * The unit-test harness: one table of cases per test file, run in order.
 * Each case prints "ok NAME", "FAIL NAME" (after its failed checks, with
 * file:line) or "skip NAME: why"; tests/run.sh adds the lines up. A failed
 * CHECK records and continues; REQUIRE returns from the case.
 *
 *   static void t_parse(vl_test *t) { CHECK(t, 1 + 1 == 2); }
 *   static const vl_test_case cases[] = {{"parses things", t_parse}};
 *   VL_TEST_MAIN(cases)
 */
#ifndef VL_TEST_H
#define VL_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct vl_test {
    const char *name;
    int failed;
    const char *skip; /* set by SKIP */
} vl_test;

typedef struct vl_test_case {
    const char *name;
    void (*fn)(vl_test *t);
} vl_test_case;

#define CHECK(t, cond)                                                                     \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stdout, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);     \
            (t)->failed++;                                                                 \
        }                                                                                  \
    } while (0)

#define CHECKF(t, cond, ...)                                                               \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stdout, "  %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);     \
            fprintf(stdout, __VA_ARGS__);                                                  \
            fputc('\n', stdout);                                                           \
            (t)->failed++;                                                                 \
        }                                                                                  \
    } while (0)

#define REQUIRE(t, cond)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stdout, "  %s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond); \
            (t)->failed++;                                                                 \
            return;                                                                        \
        }                                                                                  \
    } while (0)

#define CHECK_EQ_INT(t, a, b)                                                              \
    do {                                                                                   \
        long long vl__a = (long long)(a), vl__b = (long long)(b);                          \
        CHECKF(t, vl__a == vl__b, "%lld != %lld", vl__a, vl__b);                           \
    } while (0)

#define CHECK_EQ_STR(t, a, b)                                                              \
    do {                                                                                   \
        const char *vl__a = (a), *vl__b = (b);                                             \
        CHECKF(t, vl__a && vl__b && strcmp(vl__a, vl__b) == 0, "\"%s\" != \"%s\"",         \
               vl__a ? vl__a : "(null)", vl__b ? vl__b : "(null)");                        \
    } while (0)

#define SKIP(t, why)                                                                       \
    do {                                                                                   \
        (t)->skip = (why);                                                                 \
        return;                                                                            \
    } while (0)

/* The shared test data ($VIDLAKE_TESTDATA, default ../shared/testdata,
 * beside the repository), or NULL when its subdirectory sub is absent:
 * tests then SKIP visibly. */
static inline const char *vl_test_data_dir(const char *sub) {
    const char *d = getenv("VIDLAKE_TESTDATA");
    if (!d || !*d) d = "../shared/testdata";
    char probe[4096];
    struct stat st;
    snprintf(probe, sizeof(probe), "%s/%s", d, sub ? sub : "");
    return stat(probe, &st) == 0 && S_ISDIR(st.st_mode) ? d : NULL;
}

/* A whole file in memory from malloc (the caller frees it), or NULL. */
static inline uint8_t *vl_test_slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *p = NULL;
    long len = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (len >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = malloc(len > 0 ? (size_t)len : 1);
        if (p && fread(p, 1, (size_t)len, f) != (size_t)len) {
            free(p);
            p = NULL;
        }
    }
    fclose(f);
    *n = p ? (size_t)len : 0;
    return p;
}

/* Runs every case whose name contains argv[1] (all if absent). Exit status
 * is 1 if any case failed. */
static inline int vl_test_run(int argc, char **argv, const vl_test_case *cases, size_t n) {
    int failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && !strstr(cases[i].name, argv[1])) continue;
        vl_test t = {cases[i].name, 0, NULL};
        cases[i].fn(&t);
        if (t.failed) {
            printf("FAIL %s\n", t.name);
            failed++;
        } else if (t.skip) {
            printf("skip %s: %s\n", t.name, t.skip);
        } else {
            printf("ok %s\n", t.name);
        }
    }
    return failed ? 1 : 0;
}

#define VL_TEST_MAIN(cases)                                                                \
    int main(int argc, char **argv) {                                                      \
        return vl_test_run(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));           \
    }

#endif /* VL_TEST_H */
