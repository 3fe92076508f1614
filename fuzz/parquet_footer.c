/* vidlake - Apache-2.0 */
/*
 * Fuzz target: the Parquet footer (FileMetaData) and PageHeader decoders on
 * arbitrary bytes. A rejection must be a clean VL_ECORRUPT / VL_ENOTSUP with
 * a message; an acceptance must re-encode, decode again, and re-encode to
 * the same bytes (encode o decode is the identity on encoder output). The
 * first 8 bytes are also fed to vl_pq_footer_locate as a file trailer.
 */
#include "fuzz.h"
#include "parquet/parquet_meta.h"

#include <string.h>

static void footer_round_trip(const uint8_t *data, size_t size) {
    vl_arena a;
    vl_arena_init(&a, 0);
    a.limit = 64u << 20; /* inputs are <= 8 KiB; far above what they may need */
    vl_error err = {0, ""};
    vl_pq_file_meta m;
    int rc = vl_pq_meta_decode(data, size, &a, &m, &err);
    if (rc != VL_OK) {
        FUZZ_ASSERT(rc == VL_ECORRUPT || rc == VL_ENOTSUP);
        FUZZ_ASSERT(err.code == rc && err.msg[0] != '\0');
        vl_arena_destroy(&a);
        return;
    }
    vl_buf b1, b2;
    vl_buf_init(&b1);
    vl_buf_init(&b2);
    FUZZ_ASSERT(vl_pq_meta_encode(&m, &b1, &err) == VL_OK);
    vl_pq_file_meta m2;
    rc = vl_pq_meta_decode((const uint8_t *)b1.p, b1.n, &a, &m2, &err);
    if (rc != VL_OK) fprintf(stderr, "re-decode: %s\n", err.msg);
    FUZZ_ASSERT(rc == VL_OK);
    FUZZ_ASSERT(m2.n_schema == m.n_schema && m2.n_row_groups == m.n_row_groups);
    FUZZ_ASSERT(m2.num_rows == m.num_rows && m2.version == m.version);
    FUZZ_ASSERT(vl_pq_meta_encode(&m2, &b2, &err) == VL_OK);
    FUZZ_ASSERT(b1.n == b2.n && memcmp(b1.p, b2.p, b1.n) == 0);
    vl_buf_free(&b1);
    vl_buf_free(&b2);
    vl_arena_destroy(&a);
}

static void page_header_round_trip(const uint8_t *data, size_t size) {
    vl_error err = {0, ""};
    vl_pq_page_header h, h2;
    size_t used = 0, used2 = 0;
    int rc = vl_pq_page_header_decode(data, size, &used, &h, &err);
    if (rc != VL_OK) {
        FUZZ_ASSERT(rc == VL_ECORRUPT);
        FUZZ_ASSERT(err.code == rc && err.msg[0] != '\0');
        return;
    }
    FUZZ_ASSERT(used > 0 && used <= size);
    vl_buf b1, b2;
    vl_buf_init(&b1);
    vl_buf_init(&b2);
    FUZZ_ASSERT(vl_pq_page_header_encode(&h, &b1, &err) == VL_OK);
    FUZZ_ASSERT(b1.n <= used); /* only known fields survive */
    rc = vl_pq_page_header_decode((const uint8_t *)b1.p, b1.n, &used2, &h2, &err);
    FUZZ_ASSERT(rc == VL_OK && used2 == b1.n);
    FUZZ_ASSERT(h2.type == h.type && h2.compressed_page_size == h.compressed_page_size);
    FUZZ_ASSERT(h2.has_crc == h.has_crc && (!h.has_crc || h2.crc == h.crc));
    FUZZ_ASSERT(vl_pq_page_header_encode(&h2, &b2, &err) == VL_OK);
    FUZZ_ASSERT(b1.n == b2.n && memcmp(b1.p, b2.p, b1.n) == 0);
    vl_buf_free(&b1);
    vl_buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    footer_round_trip(data, size);
    page_header_round_trip(data, size);
    if (size >= 8) {
        uint32_t len = 0;
        vl_error err = {0, ""};
        uint64_t file_size = (uint64_t)size * 3;
        int rc = vl_pq_footer_locate(data + size - 8, 8, file_size, &len, &err);
        if (rc == VL_OK) FUZZ_ASSERT(len > 0 && (uint64_t)len + 12 <= file_size);
        else FUZZ_ASSERT(rc == VL_ECORRUPT || rc == VL_ENOTSUP);
    }
    return 0;
}
