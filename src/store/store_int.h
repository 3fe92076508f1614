/* vidlake - Apache-2.0 */
/*
 * store internals: the table of operations behind a vl_store. store.c checks
 * keys and arguments, then calls the implementation, so an implementation
 * only ever sees valid keys and prefixes. Each implementation embeds
 * struct vl_store as its first member.
 */
#ifndef VL_STORE_INT_H
#define VL_STORE_INT_H

#include "store.h"

/* The most keys handed to one del_many (S3's DeleteObjects limit). */
#define VL_STORE_DELETE_BATCH 1000

typedef struct vl_store_ops {
    const char *name; /* "local", "s3" */
    /* len == UINT64_MAX: to the end. Implementations clear out first. */
    int (*get_range)(vl_store *s, const char *key, uint64_t off, uint64_t len, vl_buf *out,
                     vl_error *err);
    int (*put)(vl_store *s, const char *key, const void *p, size_t n, bool if_absent,
               vl_error *err);
    int (*del)(vl_store *s, const char *key, vl_error *err);
    /* optional: deletes up to VL_STORE_DELETE_BATCH keys in one go */
    int (*del_many)(vl_store *s, const char *const *keys, size_t n, vl_error *err);
    int (*head)(vl_store *s, const char *key, vl_store_obj *out, vl_error *err);
    /* prefix is never NULL ("" for all); start_after may be NULL. */
    int (*list)(vl_store *s, const char *prefix, const char *start_after, vl_store_list_cb cb,
                void *ctx, vl_error *err);
    void (*close)(vl_store *s);
    /* optional: removes temporary objects left by crashed writers */
    int (*sweep)(vl_store *s, const char *prefix, int64_t older_than_us, size_t *removed, vl_error *err);
    /* gets worth running at once (each pays a round trip); 0 or 1: in turn */
    int get_concurrency;
} vl_store_ops;

struct vl_store {
    const vl_store_ops *ops;
    char *url; /* as given to vl_store_open; freed by the store's close */
    int64_t put_delay_us; /* VIDLAKE_STORE_PUT_DELAY: a slow store, for tests */
};

/* Temporary objects (a put in flight, or left by a crash) are named
 * ".<name>.tmp.<pid>.<random>" next to their final name, and a component
 * that begins with '.' and contains ".tmp." is reserved: keys may not use it
 * and listings skip it. */
bool vl_store__is_temp_name(const char *name, size_t n);

/* The value of a hex digit, or -1. */
int vl_store__hexval(char c);

/* Opens the local implementation on a directory path (already decoded). */
int vl_store__local_open(const char *url, const char *root, vl_store **out, vl_error *err);
/* Opens the S3 implementation on s3://bucket[/prefix] (store_s3.c). */
int vl_store__s3_open(const char *url, vl_store **out, vl_error *err);

/* ------------------------------------------------------------ SigV4 */

/*
 * AWS Signature Version 4, header form (store_sigv4.c). The canonical
 * request is METHOD, the URI path (each byte outside RFC 3986's unreserved
 * set percent-encoded, '/' kept; S3 paths are encoded once), the query
 * (parameters sorted by encoded name then value, both encoded, a missing
 * value as empty), the signed headers (names lower-cased, values trimmed
 * and inner runs of spaces collapsed, sorted by name), their names joined
 * by ';', and the payload's hex SHA-256 (or "UNSIGNED-PAYLOAD").
 */
typedef struct vl_sigv4_header {
    const char *name, *value;
} vl_sigv4_header;

typedef struct vl_sigv4_req {
    const char *method;  /* "GET" */
    const char *path;    /* the URI path, not yet encoded ("/bucket/a b.parquet") */
    const char *query;   /* "list-type=2&prefix=a%2Fb" as sent (already encoded), or NULL */
    const vl_sigv4_header *headers; /* every header to sign, host and x-amz-date included */
    size_t n_headers;
    const char *payload_hash; /* hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
    const char *region, *service;
    const char *amz_date;     /* "20130524T000000Z": also the x-amz-date header's value */
    const char *access_key, *secret_key;
} vl_sigv4_req;

/**
 * @brief The Authorization header's value for r into out (cleared first).
 * @param canonical if not NULL, receives the canonical request (for tests
 *        and for debugging a SignatureDoesNotMatch).
 * @return VL_OK, VL_EINVAL (a missing field), VL_ENOMEM.
 */
int vl_sigv4_authorization(const vl_sigv4_req *r, vl_buf *out, vl_buf *canonical, vl_error *err) VL_MUST_CHECK;
/** @brief Hex SHA-256 of p (65 bytes with the NUL). */
void vl_sha256_hex(const void *p, size_t n, char out[65]);
/** @brief Base64 of the MD5 of p (a Content-MD5 header's value; 25 bytes with the NUL). */
void vl_md5_base64(const void *p, size_t n, char out[32]);
/** @brief Appends s percent-encoded (RFC 3986 unreserved kept; '/' kept when keep_slash). */
int vl_uri_encode(const char *s, size_t n, bool keep_slash, vl_buf *out) VL_MUST_CHECK;
/** @brief "YYYYMMDDTHHMMSSZ" of a time in seconds. */
void vl_amz_date(int64_t secs, char out[17]);

/* ------------------------------------------- S3 answers (store_s3_xml.c) */

/*
 * The XML bodies of S3's answers, parsed apart from the requests so that the
 * fuzz target fuzz/s3_xml.c runs the very code store_s3.c runs. A body is
 * untrusted input: no answer may crash, read out of bounds, hang or take
 * memory beyond a small multiple of its size. Tags are matched literally
 * ("<Key>", no attributes, no namespaces), as S3's answers write them.
 */

/**
 * @brief The text between the first <tag> at or after *from and the next
 *        </tag>, XML-unescaped into out (cleared first); *from moves past
 *        the close tag. xml may be NULL when n is 0.
 * @return VL_OK, VL_ENOTFOUND (no such element) or VL_ENOMEM.
 */
int vl_s3__xml_field(const char *xml, size_t n, const char *tag, size_t *from, vl_buf *out) VL_MUST_CHECK;

/** @brief Decodes %XX escapes and '+' in place (a key of an answer asked
 *         with encoding-type=url). @return false for a malformed escape
 *         ('%' not followed by two hex digits); b is then garbage. */
bool vl_s3__url_decode(vl_buf *b);

/* What an <Error> says: a whole error body, or one entry of a DeleteResult. */
typedef struct vl_s3__fault {
    bool has_key, has_code, has_message; /* has_message: present and not empty */
    vl_buf key, code, message;           /* owned; key is as sent (not URL-decoded) */
} vl_s3__fault;

void vl_s3__fault_init(vl_s3__fault *f);
void vl_s3__fault_free(vl_s3__fault *f);

/** @brief The <Code> and <Message> of an error body into f (s3_error). */
void vl_s3__parse_error(const char *xml, size_t n, vl_s3__fault *f);

/**
 * @brief The first entry of a DeleteObjects answer's <Error>s that is a
 *        failure (NoSuchKey is not: the key is gone either way), into f;
 *        *failed says whether there is one.
 * @return VL_OK or VL_ENOMEM.
 */
int vl_s3__parse_delete_errors(const char *xml, size_t n, vl_s3__fault *f, bool *failed) VL_MUST_CHECK;

/** @brief InitiateMultipartUpload's <UploadId> into id. @return false when
 *         absent or empty. */
bool vl_s3__parse_upload_id(const char *xml, size_t n, vl_buf *id);

/**
 * @brief One page of ListObjectsV2 (asked with encoding-type=url): calls cb
 *        for each <Contents> with a <Key> at least strip bytes long, with
 *        the key (URL-decoded) less its first strip bytes (the store's
 *        prefix), its <Size> (0 when absent) and its <LastModified> (0 when
 *        unreadable).
 * @param token receives NextContinuationToken when the page says more follow.
 * @param more  set, when VL_OK is returned, to whether another page follows.
 * @return VL_OK; VL_ECORRUPT (a key that does not URL-decode or holds a NUL,
 *         a size that is not a decimal below 2^63, a truncated page without
 *         a continuation token); VL_ENOMEM; or what cb returned other than
 *         VL_OK (VL_STORE_STOP included: the caller ends the listing).
 */
int vl_s3__parse_list(const char *xml, size_t n, size_t strip, vl_store_list_cb cb, void *ctx, vl_buf *token,
                      bool *more, vl_error *err) VL_MUST_CHECK;

/* One multipart upload in progress: its key (URL-decoded, NUL-terminated),
 * its id and when it began. Returns VL_OK to go on, else stops the parse. */
typedef int (*vl_s3__upload_cb)(void *ctx, const char *key, size_t key_len, const char *id, size_t id_len,
                                int64_t initiated_us, vl_error *err);

/**
 * @brief One page of ListMultipartUploads (asked with encoding-type=url):
 *        calls cb for each <Upload> with a key (that URL-decodes, without a
 *        NUL), an id and a readable <Initiated>; others are skipped.
 * @param key_marker, id_marker receive NextKeyMarker (URL-decoded) and
 *        NextUploadIdMarker (cleared when absent) when the page is
 *        truncated; more follow only with a non-empty key marker.
 * @param more set, when VL_OK is returned, to whether another page follows.
 * @return VL_OK, VL_ENOMEM, or what cb returned.
 */
int vl_s3__parse_uploads(const char *xml, size_t n, vl_s3__upload_cb cb, void *ctx, vl_buf *key_marker,
                         vl_buf *id_marker, bool *more, vl_error *err) VL_MUST_CHECK;

#endif /* VL_STORE_INT_H */
