/* vidlake - Apache-2.0 */
/* Shared by the fuzz targets: FUZZ_ASSERT aborts with file:line even in
 * builds with NDEBUG, so a broken invariant is a finding, never ignored. */
#ifndef VL_FUZZ_H
#define VL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(cond)                                                      \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: fuzz assertion failed: %s\n", __FILE__,    \
                    __LINE__, #cond);                                          \
            abort();                                                           \
        }                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
