/* vidlake - Apache-2.0 */
/*
 * Unit tests for the readers of S3's XML answers (store_s3_xml.c), without
 * a server: a ListObjectsV2 page read to exact keys, sizes and times, %XX
 * and '+' decoding and malformed escapes refused, entities unescaped once,
 * the pages that would loop or cut a listing short, DeleteObjects' errors,
 * ListMultipartUploads, InitiateMultipartUpload and error bodies.
 */
#include "store/store_int.h"
#include "vl_test.h"

typedef struct got {
    int n;
    char keys[8][128];
    uint64_t sizes[8];
    int64_t mtimes[8];
} got;

static int collect(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)err;
    got *g = ctx;
    if (g->n < 8 && o->key_len < 128) {
        memcpy(g->keys[g->n], o->key, o->key_len + 1);
        g->sizes[g->n] = o->size;
        g->mtimes[g->n] = o->mtime_us;
    }
    g->n++;
    return VL_OK;
}

static int list(const char *xml, size_t strip, got *g, vl_buf *token, bool *more, vl_error *err) {
    memset(g, 0, sizeof(*g));
    return vl_s3__parse_list(xml, strlen(xml), strip, collect, g, token, more, err);
}

static void t_list_page(vl_test *t) {
    static const char xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
        "<Prefix>lake%2Ft%2F</Prefix><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>1ueGcx/LPRx1Tr+=</NextContinuationToken>"
        "<Contents><Key>lake/t/_delta_log/00000000000000000000.json</Key>"
        "<LastModified>2024-05-01T12:00:00.000Z</LastModified><ETag>&quot;9b2c&quot;</ETag><Size>1234</Size>"
        "<StorageClass>STANDARD</StorageClass></Contents>"
        "<Contents><Key>lake/t/date%3D2024-05-01/a+b%20c%25d%C3%A9.parquet</Key>"
        "<LastModified>2024-05-01T12:00:01.5Z</LastModified><Size>0</Size></Contents>"
        "<Contents><Key>lake/t/big</Key><Size>9223372036854775807</Size></Contents>"
        "</ListBucketResult>";
    got g;
    vl_buf token;
    vl_buf_init(&token);
    bool more = false;
    vl_error err = {0};
    int rc = list(xml, 5, &g, &token, &more, &err);
    CHECKF(t, rc == VL_OK, "%s", err.msg);
    CHECK_EQ_INT(t, g.n, 3);
    CHECK(t, strcmp(g.keys[0], "t/_delta_log/00000000000000000000.json") == 0);
    CHECK(t, g.sizes[0] == 1234);
    CHECK(t, g.mtimes[0] == 1714564800000000LL);
    CHECK(t, strcmp(g.keys[1], "t/date=2024-05-01/a b c%d\xc3\xa9.parquet") == 0);
    CHECK(t, g.sizes[1] == 0);
    CHECK(t, g.mtimes[1] == 1714564801500000LL);
    CHECK(t, strcmp(g.keys[2], "t/big") == 0);
    CHECK(t, g.sizes[2] == 9223372036854775807ULL);
    CHECK(t, g.mtimes[2] == 0);
    CHECK(t, more);
    CHECK(t, strcmp(vl_buf_cstr(&token), "1ueGcx/LPRx1Tr+=") == 0);
    vl_buf_free(&token);
}

static void t_list_last_and_empty(vl_test *t) {
    got g;
    vl_buf token;
    vl_buf_init(&token);
    bool more = true;
    vl_error err = {0};
    CHECK(t, list("<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>k</Key></Contents>"
                  "</ListBucketResult>", 0, &g, &token, &more, &err) == VL_OK);
    CHECK(t, !more && g.n == 1 && strcmp(g.keys[0], "k") == 0);
    more = true;
    CHECK(t, vl_s3__parse_list(NULL, 0, 0, collect, &g, &token, &more, &err) == VL_OK);
    CHECK(t, !more);
    /* shorter than the store's prefix: skipped, as before */
    CHECK(t, list("<Contents><Key>ab</Key></Contents><Contents><Key>abc/d</Key></Contents>", 4, &g, &token, &more,
                  &err) == VL_OK);
    CHECK(t, g.n == 1 && strcmp(g.keys[0], "d") == 0);
    vl_buf_free(&token);
}

static void t_list_refuses(vl_test *t) {
    static const char *bad[] = {
        "<Contents><Key>a%zz</Key></Contents>",            /* not hex */
        "<Contents><Key>a%4</Key></Contents>",             /* cut short */
        "<Contents><Key>a%</Key></Contents>",
        "<Contents><Key>a%00b</Key></Contents>",           /* a NUL would cut the key */
        "<Contents><Key>a</Key><Size>-1</Size></Contents>", /* not 2^64-1 bytes */
        "<Contents><Key>a</Key><Size>12x</Size></Contents>",
        "<Contents><Key>a</Key><Size></Size></Contents>",
        "<Contents><Key>a</Key><Size>9223372036854775808</Size></Contents>",
        /* more pages, but no way to ask for them */
        "<IsTruncated>true</IsTruncated>",
        "<IsTruncated>true</IsTruncated><NextContinuationToken></NextContinuationToken>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        got g;
        vl_buf token;
        vl_buf_init(&token);
        bool more = false;
        vl_error err = {0};
        int rc = list(bad[i], 0, &g, &token, &more, &err);
        CHECKF(t, rc == VL_ECORRUPT && err.msg[0] && g.n == 0, "%s: %d %s", bad[i], rc, err.msg);
        vl_buf_free(&token);
    }
}

static void t_entities(vl_test *t) {
    vl_buf b;
    vl_buf_init(&b);
    size_t at = 0;
    static const char x[] = "<K>a&amp;lt;b &lt;&gt;&quot;&apos;&amp; &bogus; &amp</K><K>2</K>";
    CHECK(t, vl_s3__xml_field(x, strlen(x), "K", &at, &b) == VL_OK);
    CHECK(t, strcmp(vl_buf_cstr(&b), "a&lt;b <>\"'& &bogus; &amp") == 0);
    CHECK(t, vl_s3__xml_field(x, strlen(x), "K", &at, &b) == VL_OK && strcmp(vl_buf_cstr(&b), "2") == 0);
    CHECK(t, vl_s3__xml_field(x, strlen(x), "K", &at, &b) == VL_ENOTFOUND);
    at = 0;
    CHECK(t, vl_s3__xml_field("<K>open", 7, "K", &at, &b) == VL_ENOTFOUND);
    at = 0;
    CHECK(t, vl_s3__xml_field(NULL, 0, "K", &at, &b) == VL_ENOTFOUND);
    /* in a listing, a field inside <Contents> is unescaped once */
    got g;
    vl_buf token;
    vl_buf_init(&token);
    bool more;
    vl_error err;
    CHECK(t, list("<Contents><Key>a&amp;lt;b</Key></Contents>", 0, &g, &token, &more, &err) == VL_OK);
    CHECK(t, g.n == 1 && strcmp(g.keys[0], "a&lt;b") == 0);
    vl_buf_free(&token);
    vl_buf_free(&b);
}

static bool decodes(const char *in, const char *want) {
    vl_buf b;
    vl_buf_init(&b);
    bool ok = vl_buf_puts(&b, in) == VL_OK && vl_s3__url_decode(&b);
    if (ok && want) ok = b.n == strlen(want) && memcmp(b.p, want, b.n) == 0;
    vl_buf_free(&b);
    return want ? ok : !ok;
}

static void t_url_decode(vl_test *t) {
    CHECK(t, decodes("a%2Fb%2fc", "a/b/c"));
    CHECK(t, decodes("a+b%20c%2B", "a b c+"));
    CHECK(t, decodes("%C3%A9", "\xc3\xa9"));
    CHECK(t, decodes("", ""));
    CHECK(t, decodes("%41", "A"));
    CHECK(t, decodes("%", NULL));
    CHECK(t, decodes("%4", NULL));
    CHECK(t, decodes("a%4g", NULL));
    CHECK(t, decodes("%%41", NULL));
    CHECK(t, decodes("%G1", NULL));
    /* a key that fills its buffer exactly (vl_buf_putc fills to cap):
     * decoding must not write past it (ASan checks) */
    for (size_t len = 62; len <= 66; len++) {
        vl_buf b;
        vl_buf_init(&b);
        for (size_t i = 0; i < len; i++) CHECK(t, vl_buf_putc(&b, 'k') == VL_OK);
        CHECK(t, vl_s3__url_decode(&b) && b.n == len);
        vl_buf_free(&b);
    }
}

static void t_delete_errors(vl_test *t) {
    static const char x[] =
        "<DeleteResult><Deleted><Key>a</Key></Deleted>"
        "<Error><Key>gone</Key><Code>NoSuchKey</Code><Message>no</Message></Error>"
        "<Error><Key>a&amp;lt;b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
        "<Error><Key>c</Key><Code>InternalError</Code></Error></DeleteResult>";
    vl_s3__fault f;
    vl_s3__fault_init(&f);
    bool failed = false;
    CHECK(t, vl_s3__parse_delete_errors(x, strlen(x), &f, &failed) == VL_OK);
    CHECK(t, failed && f.has_key && f.has_code && f.has_message);
    CHECK(t, strcmp(vl_buf_cstr(&f.key), "a&lt;b") == 0);
    CHECK(t, strcmp(vl_buf_cstr(&f.code), "AccessDenied") == 0);
    CHECK(t, strcmp(vl_buf_cstr(&f.message), "Access Denied") == 0);
    vl_s3__fault_free(&f);
    static const char quiet[] = "<DeleteResult><Error><Code>NoSuchKey</Code></Error></DeleteResult>";
    CHECK(t, vl_s3__parse_delete_errors(quiet, strlen(quiet), &f, &failed) == VL_OK && !failed);
    CHECK(t, vl_s3__parse_delete_errors(NULL, 0, &f, &failed) == VL_OK && !failed);
    /* an entry without a code is a failure too */
    CHECK(t, vl_s3__parse_delete_errors("<Error></Error>", 15, &f, &failed) == VL_OK && failed && !f.has_key);
    vl_s3__fault_free(&f);
}

static void t_error_and_upload_id(vl_test *t) {
    static const char x[] = "<?xml version=\"1.0\"?><Error><Code>SlowDown</Code><Message>Please &amp; reduce"
                            "</Message><RequestId>tx1</RequestId></Error>";
    vl_s3__fault f;
    vl_s3__fault_init(&f);
    vl_s3__parse_error(x, strlen(x), &f);
    CHECK(t, f.has_code && strcmp(vl_buf_cstr(&f.code), "SlowDown") == 0);
    CHECK(t, f.has_message && strcmp(vl_buf_cstr(&f.message), "Please & reduce") == 0);
    vl_s3__fault_free(&f);
    vl_s3__parse_error("<Error><Code>X</Code><Message></Message>", 40, &f);
    CHECK(t, f.has_code && !f.has_message);
    vl_s3__parse_error(NULL, 0, &f);
    CHECK(t, !f.has_code && !f.has_message);
    vl_s3__fault_free(&f);

    vl_buf id;
    vl_buf_init(&id);
    static const char init[] = "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                               "<UploadId>2~iCw_lDY8&amp;x</UploadId></InitiateMultipartUploadResult>";
    CHECK(t, vl_s3__parse_upload_id(init, strlen(init), &id) && strcmp(vl_buf_cstr(&id), "2~iCw_lDY8&x") == 0);
    CHECK(t, !vl_s3__parse_upload_id("<UploadId></UploadId>", 21, &id));
    CHECK(t, !vl_s3__parse_upload_id("<Error><Code>X</Code></Error>", 29, &id));
    vl_buf_free(&id);
}

typedef struct ups {
    int n;
    char keys[4][64], ids[4][64];
    int64_t when[4];
} ups;

static int upload(void *ctx, const char *key, size_t key_len, const char *id, size_t id_len, int64_t initiated_us,
                  vl_error *err) {
    (void)err;
    ups *u = ctx;
    if (u->n < 4 && key_len < 64 && id_len < 64) {
        memcpy(u->keys[u->n], key, key_len + 1);
        memcpy(u->ids[u->n], id, id_len);
        u->ids[u->n][id_len] = 0;
        u->when[u->n] = initiated_us;
    }
    u->n++;
    return VL_OK;
}

static void t_uploads(vl_test *t) {
    static const char x[] =
        "<ListMultipartUploadsResult><Bucket>b</Bucket><NextKeyMarker>lake%2Fbig%20file</NextKeyMarker>"
        "<NextUploadIdMarker>2~Ab</NextUploadIdMarker><IsTruncated>true</IsTruncated>"
        "<Upload><Key>lake/t/p%2Bq</Key><UploadId>2~iCw</UploadId><Initiated>2024-05-01T12:00:00.000Z</Initiated>"
        "</Upload>"
        "<Upload><Key>lake/x%ZZ</Key><UploadId>u</UploadId><Initiated>2024-05-02T00:00:00Z</Initiated></Upload>"
        "<Upload><Key>lake/n%00x</Key><UploadId>u</UploadId><Initiated>2024-05-02T00:00:00Z</Initiated></Upload>"
        "<Upload><Key>lake/nodate</Key><UploadId>u</UploadId></Upload>"
        "<Upload><Key>lake/big file</Key><UploadId>2~Ab</UploadId><Initiated>2024-05-02T00:00:00Z</Initiated>"
        "</Upload></ListMultipartUploadsResult>";
    ups u = {0};
    vl_buf km, um;
    vl_buf_init(&km);
    vl_buf_init(&um);
    bool more = false;
    vl_error err = {0};
    CHECK(t, vl_s3__parse_uploads(x, strlen(x), upload, &u, &km, &um, &more, &err) == VL_OK);
    CHECK_EQ_INT(t, u.n, 2);
    CHECK(t, strcmp(u.keys[0], "lake/t/p+q") == 0 && strcmp(u.ids[0], "2~iCw") == 0);
    CHECK(t, u.when[0] == 1714564800000000LL);
    CHECK(t, strcmp(u.keys[1], "lake/big file") == 0);
    CHECK(t, more && strcmp(vl_buf_cstr(&km), "lake/big file") == 0 && strcmp(vl_buf_cstr(&um), "2~Ab") == 0);
    /* truncated without a key marker: the sweep stops rather than start over */
    static const char y[] = "<IsTruncated>true</IsTruncated><NextKeyMarker></NextKeyMarker>";
    CHECK(t, vl_s3__parse_uploads(y, strlen(y), upload, &u, &km, &um, &more, &err) == VL_OK && !more);
    CHECK(t, vl_s3__parse_uploads(NULL, 0, upload, &u, &km, &um, &more, &err) == VL_OK && !more);
    vl_buf_free(&km);
    vl_buf_free(&um);
}

static int stop_at_first(void *ctx, const vl_store_obj *o, vl_error *err) {
    (void)o, (void)err;
    ++*(int *)ctx;
    return VL_STORE_STOP;
}

static void t_list_stop(vl_test *t) {
    static const char x[] = "<IsTruncated>true</IsTruncated><Contents><Key>a</Key></Contents>"
                            "<Contents><Key>b</Key></Contents>";
    int calls = 0;
    vl_buf token;
    vl_buf_init(&token);
    bool more = false;
    vl_error err = {0};
    CHECK(t, vl_s3__parse_list(x, strlen(x), 0, stop_at_first, &calls, &token, &more, &err) == VL_STORE_STOP);
    CHECK_EQ_INT(t, calls, 1);
    vl_buf_free(&token);
}

static const vl_test_case cases[] = {
    {"ListObjectsV2 page: exact keys, sizes, times and the continuation", t_list_page},
    {"a last page, an empty body, keys shorter than the store prefix", t_list_last_and_empty},
    {"malformed keys, sizes and truncated pages are refused", t_list_refuses},
    {"entities are unescaped once, unknown ones kept", t_entities},
    {"URL decoding of %XX and '+', malformed escapes refused", t_url_decode},
    {"DeleteObjects: the first error that is not NoSuchKey", t_delete_errors},
    {"error bodies and InitiateMultipartUpload's UploadId", t_error_and_upload_id},
    {"ListMultipartUploads: uploads, markers, bad entries skipped", t_uploads},
    {"a listing callback's VL_STORE_STOP ends the page", t_list_stop},
};

VL_TEST_MAIN(cases)
