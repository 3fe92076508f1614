/* vidlake - Apache-2.0 */
/* Unit tests for the event column batch and the event Parquet schema. */
#include "ingest/ingest.h"
#include "vl_test.h"

#include <string.h>

static int buf_sink(void *ctx, const void *p, size_t n, vl_error *err) {
    if (vl_buf_append(ctx, p, n) != VL_OK) return vl_error_set(err, VL_ENOMEM, "out of memory");
    return VL_OK;
}

/* Simulated events -> batch -> Parquet (in memory) -> reader: every level
 * and value comes back as it went in. */
static void t_batch_round_trip(vl_test *t) {
    vl_sim_config cfg;
    vl_sim_config_default(&cfg);
    cfg.events = 3000;
    cfg.seed = 5;
    vl_sim *sim;
    vl_error err;
    REQUIRE(t, vl_sim_create(&cfg, &sim, &err) == VL_OK);
    vl_event_batch *b;
    REQUIRE(t, vl_event_batch_create(4096, &b, &err) == VL_OK);
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena scratch;
    vl_arena_init(&scratch, 0);
    vl_buf line;
    vl_buf_init(&line);
    int64_t when;
    vl_sim_kind kind;
    while (vl_sim_next(sim, &line, &when, &kind) == 1) {
        vl_event ev;
        vl_reject rj;
        REQUIRE(t, vl_decoder_decode(&dec, line.p, line.n - 1, &ev, &scratch, &rj) == VL_OK);
        REQUIRE(t, vl_event_batch_add(b, &ev, &err) == VL_OK);
        vl_buf_clear(&line);
        vl_arena_reset(&scratch); /* the batch copied what it needs */
    }
    CHECK_EQ_INT(t, vl_event_batch_rows(b), 3000);

    vl_pq_schema_elem schema[VL_F_COUNT + 1];
    vl_event_parquet_schema(schema);
    vl_buf file;
    vl_buf_init(&file);
    vl_pq_writer_opts o;
    vl_pq_writer_opts_default(&o);
    o.row_group_rows = 1000; /* several row groups */
    vl_pq_writer *w;
    REQUIRE(t, vl_pq_writer_open((vl_pq_sink){&file, buf_sink}, schema, VL_F_COUNT + 1, &o, &w, &err) == VL_OK);
    vl_pq_column cols[VL_F_COUNT];
    vl_event_batch_columns(b, cols);
    CHECKF(t, vl_pq_writer_write(w, cols, vl_event_batch_rows(b), &err) == VL_OK, "%s", err.msg);
    CHECKF(t, vl_pq_writer_close(w, &err) == VL_OK, "%s", err.msg);
    vl_pq_writer_destroy(w);

    vl_pq_reader *r;
    REQUIRE(t, vl_pq_reader_open_mem((const uint8_t *)file.p, file.n, "events", &r, &err) == VL_OK);
    const vl_pq_file_meta *m = vl_pq_reader_meta(r);
    CHECK_EQ_INT(t, m->num_rows, 3000);
    CHECK_EQ_INT(t, m->n_row_groups, 3);
    CHECK_EQ_INT(t, vl_pq_reader_schema(r)->n_leaves, VL_F_COUNT);
    vl_arena a;
    vl_arena_init(&a, 0);
    for (int f = 0; f < VL_F_COUNT; f++) {
        size_t li = 0, vi = 0;
        const vl_pq_node *leaf = vl_pq_reader_schema(r)->leaves[f];
        size_t w8 = leaf->physical == VL_PQ_T_BYTE_ARRAY ? sizeof(vl_sv)
                    : leaf->physical == VL_PQ_T_BOOLEAN  ? 1
                    : leaf->physical == VL_PQ_T_INT32    ? 4
                                                         : 8;
        bool same = true;
        for (uint32_t g = 0; g < m->n_row_groups && same; g++) {
            vl_pq_column c;
            REQUIRE(t, vl_pq_read_column(r, g, (uint32_t)f, &a, &c, &err) == VL_OK);
            for (size_t i = 0; i < c.n && same; i++)
                same = !c.def || c.def[i] == cols[f].def[li + i];
            for (size_t i = 0; i < c.n_values && same; i++) {
                if (leaf->physical == VL_PQ_T_BYTE_ARRAY)
                    same = vl_sv_eq(c.v.bin[i], cols[f].v.bin[vi + i]);
                else
                    same = memcmp(c.v.b + i * w8, cols[f].v.b + (vi + i) * w8, w8) == 0;
            }
            li += c.n;
            vi += c.n_values;
            vl_arena_reset(&a);
        }
        CHECKF(t, same && li == 3000 && vi == cols[f].n_values, "field %s", vl_event_fields[f].name);
    }
    vl_arena_destroy(&a);
    vl_pq_reader_close(r);
    vl_buf_free(&file);
    vl_buf_free(&line);
    vl_arena_destroy(&scratch);
    vl_decoder_free(&dec);
    vl_event_batch_destroy(b);
    vl_sim_destroy(sim);
}

/* Borrowed input: strings inside the borrowed range stay views of it,
 * others (escaped strings decoded into scratch) are copied. */
static void t_batch_borrow(vl_test *t) {
    const char *line =
        "{\"event_id\":\"e-1\",\"event_type\":\"play\",\"event_time\":\"2024-05-01T00:00:00Z\","
        "\"user_id\":\"u\\u0031\",\"session_id\":\"s-1\",\"device_id\":\"d-1\",\"view_id\":\"v-1\","
        "\"content_id\":\"c-1\",\"device_type\":\"tv\",\"os\":\"tvos\",\"app_version\":\"1.0\",\"country\":\"US\","
        "\"cdn\":\"akamai\",\"subscription_tier\":\"free\",\"content_type\":\"movie\",\"position_ms\":0}";
    vl_decoder dec;
    vl_decoder_init(&dec);
    vl_arena scratch;
    vl_arena_init(&scratch, 0);
    vl_event ev;
    vl_reject rj;
    vl_error err;
    vl_event_batch *b = NULL;
    int drc = vl_decoder_decode(&dec, line, strlen(line), &ev, &scratch, &rj);
    CHECKF(t, drc == VL_OK, "%s", rj.detail);
    REQUIRE(t, drc == VL_OK && vl_event_batch_create(4, &b, &err) == VL_OK);
    vl_event_batch_borrow(b, line, line + strlen(line));
    CHECK(t, vl_event_batch_add(b, &ev, &err) == VL_OK);
    vl_event_batch_borrow(b, NULL, NULL);
    CHECK(t, vl_event_batch_add(b, &ev, &err) == VL_OK);
    vl_pq_column cols[VL_F_COUNT];
    vl_event_batch_columns(b, cols);
    const vl_sv *id = cols[VL_F_EVENT_ID].v.bin, *user = cols[VL_F_USER_ID].v.bin;
    CHECK(t, id[0].p >= line && id[0].p < line + strlen(line)); /* a view */
    CHECK(t, id[1].p < line || id[1].p >= line + strlen(line)); /* a copy */
    CHECK(t, vl_sv_eq(id[0], id[1]) && vl_sv_eq_cstr(id[0], "e-1"));
    CHECK(t, vl_sv_eq_cstr(user[0], "u1") && (user[0].p < line || user[0].p >= line + strlen(line)));
    vl_event_batch_destroy(b);
    vl_arena_destroy(&scratch);
    vl_decoder_free(&dec);
}

static void t_batch_limits(vl_test *t) {
    vl_event_batch *b;
    vl_error err;
    CHECK(t, vl_event_batch_create(0, &b, &err) == VL_EINVAL);
    REQUIRE(t, vl_event_batch_create(1, &b, &err) == VL_OK);
    vl_event ev;
    vl_event_clear(&ev);
    CHECK(t, vl_event_batch_add(b, &ev, &err) == VL_EINVAL); /* no required fields */
    CHECK(t, strstr(err.msg, "event_id") != NULL);
    CHECK_EQ_INT(t, vl_event_batch_rows(b), 0);
    vl_event_set_s(&ev, VL_F_EVENT_ID, "e", 1);
    vl_event_set_i(&ev, VL_F_EVENT_TYPE, VL_ET_PLAY);
    vl_event_set_i(&ev, VL_F_EVENT_TIME, VL_TS_MIN);
    vl_event_set_s(&ev, VL_F_USER_ID, "u", 1);
    vl_event_set_s(&ev, VL_F_DEVICE_ID, "d", 1);
    vl_event_set_s(&ev, VL_F_SESSION_ID, "s", 1);
    CHECK(t, vl_event_batch_add(b, &ev, &err) == VL_OK);
    CHECK(t, vl_event_batch_full(b));
    CHECK(t, vl_event_batch_add(b, &ev, &err) == VL_ERANGE);
    vl_event_batch_clear(b);
    CHECK(t, vl_event_batch_rows(b) == 0 && vl_event_batch_add(b, &ev, &err) == VL_OK);
    vl_pq_column cols[VL_F_COUNT];
    vl_event_batch_columns(b, cols);
    CHECK_EQ_INT(t, cols[VL_F_EVENT_ID].n_values, 1);
    CHECK_EQ_INT(t, cols[VL_F_VIEW_ID].n_values, 0);
    CHECK(t, cols[VL_F_VIEW_ID].def[0] == 0 && cols[VL_F_EVENT_ID].def == NULL);
    vl_event_batch_destroy(b);
}

static const vl_test_case cases[] = {
    {"simulated events go through a column batch into Parquet and back unchanged", t_batch_round_trip},
    {"the batch refuses events without required fields and past its capacity", t_batch_limits},
    {"strings inside a borrowed input range are kept as views, others copied", t_batch_borrow},
};
VL_TEST_MAIN(cases)
