/* vidlake - Apache-2.0 */
/*
 * Unit tests for AWS Signature Version 4 (store_sigv4.c) against AWS's
 * published examples: the S3 API reference's "Authenticating Requests"
 * examples (GET with a range, PUT with a body and a storage class, GET
 * ?lifecycle, GET ?max-keys=2&prefix=J) and the general SigV4 test suite's
 * request with repeated query keys, whose canonical request is published too.
 */
#include "store/store_int.h"
#include "vl_test.h"

#define S3_KEY "AKIAIOSFODNN7EXAMPLE"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define S3_HOST "examplebucket.s3.amazonaws.com"

static void sign_check(vl_test *t, const char *what, const vl_sigv4_req *r, const char *want_signed,
                       const char *want_sig) {
    vl_buf auth;
    vl_buf_init(&auth);
    vl_error err = {0};
    int rc = vl_sigv4_authorization(r, &auth, NULL, &err);
    CHECKF(t, rc == VL_OK, "%s: %s", what, err.msg);
    char want[512];
    snprintf(want, sizeof(want), "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
             r->access_key, r->amz_date, r->region, r->service, want_signed, want_sig);
    CHECKF(t, rc == VL_OK && strcmp(vl_buf_cstr(&auth), want) == 0, "%s:\n   got  %s\n   want %s", what,
           vl_buf_cstr(&auth), want);
    vl_buf_free(&auth);
}

static void t_s3_examples(vl_test *t) {
    /* GET an object's first 10 bytes */
    vl_sigv4_header get_h[] = {{"Host", S3_HOST}, {"Range", "bytes=0-9"}, {"x-amz-content-sha256", EMPTY_SHA},
                               {"x-amz-date", "20130524T000000Z"}};
    vl_sigv4_req get = {.method = "GET", .path = "/test.txt", .headers = get_h, .n_headers = 4,
                        .payload_hash = EMPTY_SHA, .region = "us-east-1", .service = "s3",
                        .amz_date = "20130524T000000Z", .access_key = S3_KEY, .secret_key = S3_SECRET};
    sign_check(t, "GET Object", &get, "host;range;x-amz-content-sha256;x-amz-date",
               "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    /* PUT an object whose key needs encoding */
    char body_sha[65];
    vl_sha256_hex("Welcome to Amazon S3.", 21, body_sha);
    CHECK_EQ_STR(t, body_sha, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    vl_sigv4_header put_h[] = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"Host", S3_HOST},
                               {"x-amz-date", "20130524T000000Z"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                               {"x-amz-content-sha256", body_sha}};
    vl_sigv4_req put = get;
    put.method = "PUT";
    put.path = "/test$file.text";
    put.headers = put_h;
    put.n_headers = 5;
    put.payload_hash = body_sha;
    sign_check(t, "PUT Object", &put, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
               "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    /* GET a bucket's lifecycle: a query parameter without a value */
    vl_sigv4_header b_h[] = {{"Host", S3_HOST}, {"x-amz-date", "20130524T000000Z"}, {"x-amz-content-sha256", EMPTY_SHA}};
    vl_sigv4_req lc = get;
    lc.path = "/";
    lc.query = "lifecycle";
    lc.headers = b_h;
    lc.n_headers = 3;
    sign_check(t, "GET Bucket lifecycle", &lc, "host;x-amz-content-sha256;x-amz-date",
               "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    /* list objects: the query's parameters sorted */
    vl_sigv4_req ls = lc;
    ls.query = "prefix=J&max-keys=2";
    sign_check(t, "GET Bucket (list objects)", &ls, "host;x-amz-content-sha256;x-amz-date",
               "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void t_suite_repeated_keys(vl_test *t) {
    /* the SigV4 test suite: repeated keys sorted by value ("Zoo" < "aha") */
    vl_sigv4_header h[] = {{"Date", "Mon, 09 Sep 2011 23:36:00 GMT"}, {"Host", "host.foo.com"}};
    vl_sigv4_req r = {.method = "GET", .path = "/", .query = "foo=Zoo&foo=aha", .headers = h, .n_headers = 2,
                      .payload_hash = EMPTY_SHA, .region = "us-east-1", .service = "host",
                      .amz_date = "20110909T233600Z", .access_key = "AKIDEXAMPLE",
                      .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    vl_buf auth, canon;
    vl_buf_init(&auth);
    vl_buf_init(&canon);
    vl_error err;
    CHECK(t, vl_sigv4_authorization(&r, &auth, &canon, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&canon),
                 "GET\n/\nfoo=Zoo&foo=aha\ndate:Mon, 09 Sep 2011 23:36:00 GMT\nhost:host.foo.com\n\ndate;host\n" EMPTY_SHA);
    char h2[65];
    vl_sha256_hex(canon.p, canon.n, h2);
    CHECK_EQ_STR(t, h2, "e25f777ba161a0f1baf778a87faf057187cf5987f17953320e3ca399feb5f00d");
    CHECK(t, strstr(vl_buf_cstr(&auth), "Signature=be7148d34ebccdc6423b19085378aa0bee970bdc61d144bd1a8c48c33079ab09"));
    vl_buf_free(&auth);
    vl_buf_free(&canon);
}

static void t_encoding(vl_test *t) {
    vl_buf b;
    vl_buf_init(&b);
    CHECK(t, vl_uri_encode("a b/c~d+e%f\xc3\xa9", 13, true, &b) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b), "a%20b/c~d%2Be%25f%C3%A9");
    vl_buf_clear(&b);
    CHECK(t, vl_uri_encode("a/b", 3, false, &b) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&b), "a%2Fb");
    /* an encoded query is canonicalised the same as its plain form; spaces and values trimmed */
    vl_sigv4_header h[] = {{"host", "h"}, {"x-amz-date", "20150830T123600Z"}, {"My-Header1", "  a   b   c  "}};
    vl_sigv4_req r = {.method = "GET", .path = "/a b", .query = "list-type=2&prefix=a%2Fb&start-after=", .headers = h,
                      .n_headers = 3, .payload_hash = "UNSIGNED-PAYLOAD", .region = "r", .service = "s3",
                      .amz_date = "20150830T123600Z", .access_key = "k", .secret_key = "s"};
    vl_buf canon;
    vl_buf_init(&canon);
    vl_error err;
    CHECK(t, vl_sigv4_authorization(&r, &b, &canon, &err) == VL_OK);
    CHECK_EQ_STR(t, vl_buf_cstr(&canon),
                 "GET\n/a%20b\nlist-type=2&prefix=a%2Fb&start-after=\nhost:h\nmy-header1:a b c\n"
                 "x-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\nUNSIGNED-PAYLOAD");
    char d[17];
    vl_amz_date(1440938160, d);
    CHECK_EQ_STR(t, d, "20150830T123600Z");
    vl_sigv4_req bad = r;
    bad.secret_key = NULL;
    CHECK(t, vl_sigv4_authorization(&bad, &b, NULL, &err) == VL_EINVAL);
    vl_buf_free(&b);
    vl_buf_free(&canon);
}

static const vl_test_case cases[] = {
    {"SigV4: the S3 reference's four signed examples", t_s3_examples},
    {"SigV4: the test suite's repeated query keys, canonical request and signature", t_suite_repeated_keys},
    {"SigV4: URI encoding, canonical query and header values", t_encoding},
};

VL_TEST_MAIN(cases)
