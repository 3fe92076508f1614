/* vidlake - Apache-2.0 */
/*
 * Fuzz target: the event decoder on arbitrary bytes. Whatever it accepts
 * must re-encode to a line that decodes to the same event and re-encodes to
 * the same bytes; whatever it rejects must carry a reason and a message.
 */
#include "event/event.h"
#include "fuzz.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vl_decoder d;
    vl_decoder_init(&d);
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_event ev, ev2;
    vl_reject rj;
    int rc = vl_decoder_decode(&d, (const char *)data, size, &ev, &a, &rj);
    if (rc == VL_OK) {
        vl_buf line, again;
        vl_buf_init(&line);
        vl_buf_init(&again);
        FUZZ_ASSERT(vl_event_encode(&ev, &line) == VL_OK);
        FUZZ_ASSERT(line.n > 0 && line.p[line.n - 1] == '\n');
        rc = vl_decoder_decode(&d, line.p, line.n - 1, &ev2, &a, &rj);
        FUZZ_ASSERT(rc == VL_OK);
        FUZZ_ASSERT(vl_event_equal(&ev, &ev2));
        FUZZ_ASSERT(vl_event_encode(&ev2, &again) == VL_OK);
        FUZZ_ASSERT(again.n == line.n && memcmp(again.p, line.p, line.n) == 0);
        vl_buf_free(&line);
        vl_buf_free(&again);
    } else {
        FUZZ_ASSERT(rc == VL_EINVAL);
        FUZZ_ASSERT(rj.reason > VL_RJ_NONE && rj.reason < VL_RJ_COUNT);
        FUZZ_ASSERT(rj.detail[0] != '\0');
        FUZZ_ASSERT(rj.offset <= size);
        char key[96];
        FUZZ_ASSERT(vl_reject_key(&rj, key, sizeof(key)) > 0);
    }
    vl_arena_destroy(&a);
    vl_decoder_free(&d);
    return 0;
}
