/* vidlake - Apache-2.0 */
/*
 * Fuzz target: encode then decode is the identity. The input bytes drive
 * the construction of a valid event (which fields, which values, string
 * bytes taken verbatim when they are valid UTF-8); the encoded line must
 * decode to an equal event.
 */
#include "event/event.h"
#include "fuzz.h"

#include <string.h>

typedef struct {
    const uint8_t *p;
    size_t n;
} input;

static uint64_t take(input *in, size_t k) {
    uint64_t v = 0;
    for (size_t i = 0; i < k; i++) {
        v = v << 8 | (in->n ? *in->p : 0);
        if (in->n) {
            in->p++;
            in->n--;
        }
    }
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    input in = {data, size};
    vl_event ev;
    vl_event_clear(&ev);
    for (int f = 0; f < VL_F_COUNT; f++) {
        const vl_field *fd = &vl_event_fields[f];
        bool want = (fd->flags & VL_FF_REQUIRED) || (take(&in, 1) & 1);
        if (!want) continue;
        switch (fd->type) {
        case VL_FT_STRING: {
            size_t len = (size_t)take(&in, 1);
            if (len > in.n) len = in.n;
            const char *s = (const char *)in.p;
            in.p += len;
            in.n -= len;
            if (len < (size_t)fd->min || len > (size_t)fd->max || !vl_utf8_valid(s, len, NULL))
                s = "ok", len = 2;
            if ((fd->flags & VL_FF_COUNTRY) && !vl_country_valid(s, len)) s = "FR", len = 2;
            vl_event_set_s(&ev, (vl_field_id)f, s, len);
            break;
        }
        case VL_FT_ENUM:
            vl_event_set_i(&ev, (vl_field_id)f, (int64_t)(take(&in, 1) % fd->n_values));
            break;
        case VL_FT_TIMESTAMP:
            vl_event_set_i(&ev, (vl_field_id)f,
                           VL_TS_MIN + (int64_t)(take(&in, 8) % (uint64_t)(VL_TS_MAX - VL_TS_MIN)));
            break;
        case VL_FT_DATE:
            vl_event_set_i(&ev, (vl_field_id)f, (int64_t)(take(&in, 2) % 2932896)); /* to 9999 */
            break;
        case VL_FT_INT32:
        case VL_FT_INT64:
            vl_event_set_i(&ev, (vl_field_id)f,
                           fd->min + (int64_t)(take(&in, 8) % (uint64_t)(fd->max - fd->min + 1)));
            break;
        case VL_FT_BOOL:
            vl_event_set_i(&ev, (vl_field_id)f, (int64_t)(take(&in, 1) & 1));
            break;
        case VL_FT_DOUBLE: {
            uint64_t bits = take(&in, 8);
            double d;
            memcpy(&d, &bits, 8);
            if (!(d >= (double)fd->min && d <= (double)fd->max)) d = (double)(bits % 1000000) / 7;
            if (d == 0) d = 0; /* -0.0 prints as "-0", which reads back as -0.0: fine either way */
            vl_event_set_d(&ev, (vl_field_id)f, d);
            break;
        }
        case VL_FT_JSON: {
            static const char x[] = "{\"k\":[1,\"\\u00e9\"]}";
            vl_event_set_s(&ev, (vl_field_id)f, x, sizeof(x) - 1);
            break;
        }
        }
    }
    int64_t type = ev.v[VL_F_EVENT_TYPE].i;
    for (int f = 0; f < VL_F_COUNT; f++)
        if (((vl_event_fields[f].required_for >> type) & 1) && !vl_event_has(&ev, (vl_field_id)f)) {
            if (vl_event_fields[f].type == VL_FT_STRING) vl_event_set_s(&ev, (vl_field_id)f, "r", 1);
            else vl_event_set_i(&ev, (vl_field_id)f, 0);
        }

    vl_buf line;
    vl_buf_init(&line);
    FUZZ_ASSERT(vl_event_encode(&ev, &line) == VL_OK);
    vl_decoder d;
    vl_decoder_init(&d);
    vl_arena a;
    vl_arena_init(&a, 0);
    vl_event back;
    vl_reject rj;
    int rc = vl_decoder_decode(&d, line.p, line.n - 1, &back, &a, &rj);
    if (rc != VL_OK) fprintf(stderr, "rejected: %s\n%.*s", rj.detail, (int)line.n, line.p);
    FUZZ_ASSERT(rc == VL_OK);
    FUZZ_ASSERT(vl_event_equal(&ev, &back));
    vl_arena_destroy(&a);
    vl_decoder_free(&d);
    vl_buf_free(&line);
    return 0;
}
