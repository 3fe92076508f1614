/* vidlake - Apache-2.0 */
/*
 * store: a small object-store interface (get, ranged get, put, put-if-absent,
 * delete, head, list) that the Delta layer and the Parquet writer use to read
 * and write a lake, with a local-filesystem implementation now and room for
 * S3 later (the handle carries a table of operations; callers never see
 * which implementation they talk to).
 *
 * The model is an object store, not a filesystem: a flat namespace of keys
 * ('/'-separated relative names such as "bronze/events/_delta_log/
 * 00000000000000000000.json"), whole objects written at once, no rename and
 * no directories. "a/b" as a list prefix matches "a/b/c" and "a/bc".
 *
 * Guarantees every implementation gives (docs/store.md has the details):
 *  - a reader never sees a partial object: a get returns the whole old or the
 *    whole new content;
 *  - put_if_absent is atomic across processes and machines: of any number of
 *    concurrent callers for one key exactly one gets VL_OK, the others
 *    VL_ECONFLICT. Delta commits rely on this;
 *  - a write that returned VL_OK is durable (it survives a crash or power
 *    loss of the writer);
 *  - list returns keys in byte-wise order.
 *
 * Deliberately not here: streaming writes, object metadata beyond size and
 * modification time, versioning. (Large puts go to S3 as multipart
 * uploads inside the S3 store; callers still hand over one buffer.)
 *
 * Threads: a vl_store is immutable after open; any number of threads may use
 * one handle at once. Every function that can fail returns VL_OK or a VL_E*
 * code and fills err (may be NULL).
 */
#ifndef VL_STORE_H
#define VL_STORE_H

#include "core/core.h"

/** Longest key, in bytes (the S3 limit). */
#define VL_STORE_KEY_MAX 1024

typedef struct vl_store vl_store;

/* One object's metadata. */
typedef struct vl_store_obj {
    const char *key;  /* list: the key, NUL-terminated, valid during the
                         callback only; head: NULL */
    size_t key_len;
    uint64_t size;    /* bytes */
    int64_t mtime_us; /* last modification, µs since the epoch (UTC) */
} vl_store_obj;

/**
 * @brief Opens a store.
 * @param url a local directory ("./lake", "/data/lake") or a file:// URL
 *        ("file:///data/lake", "file://localhost/data/lake"; %XX escapes are
 *        decoded). The directory need not exist yet: the first put creates it,
 *        and until then reads find nothing.
 * @param out receives the handle; the caller closes it with vl_store_close.
 * @return VL_OK; VL_EINVAL for an empty or malformed URL; VL_ENOTSUP for
 *         other schemes; for s3://bucket[/prefix], VL_EINVAL without a
 *         bucket or credentials (store_s3.c); VL_EIO when the
 *         root exists but is not a directory; VL_ENOMEM.
 */
int vl_store_open(const char *url, vl_store **out, vl_error *err) VL_MUST_CHECK;

/** @brief Closes a store; accepts NULL. */
void vl_store_close(vl_store *s);

/** @return the URL the store was opened with (owned by the store). */
const char *vl_store_url(const vl_store *s);

/**
 * @brief Checks that key is a valid object key: not empty, at most
 * VL_STORE_KEY_MAX bytes, relative (no leading '/'), no trailing '/', no
 * "//", no ".." or "." component ("a..b" is fine), and no component of the form ".<name>.tmp.<...>" (reserved for
 * temporary files, which are never listed).
 * @return VL_OK or VL_EINVAL naming the key and the rule it breaks.
 */
int vl_store_key_check(const char *key, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Reads a whole object.
 * @param out cleared, then receives the bytes (out->n is the size). The
 *        caller owns out (vl_buf_init before, vl_buf_free after). On error
 *        out->n is 0.
 * @return VL_OK; VL_ENOTFOUND when the key is absent; VL_EINVAL for a bad
 *         key; VL_EIO (message has the key and the OS reason); VL_ENOMEM.
 */
int vl_store_get(vl_store *s, const char *key, vl_buf *out, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Reads len bytes at off. A range that runs past the end returns
 * the bytes up to the end (off == size returns nothing, VL_OK).
 * @param out cleared, then receives the bytes; as for vl_store_get.
 * @return as vl_store_get, plus VL_ERANGE when off > size.
 */
int vl_store_get_range(vl_store *s, const char *key, uint64_t off, uint64_t len, vl_buf *out,
                       vl_error *err) VL_MUST_CHECK;

/**
 * @brief Gets n objects: on a store where each request pays a round trip
 * (S3) several at a time, elsewhere in turn. For each i, rcs[i] and
 * errs[i] are what vl_store_get(keys[i], &outs[i], &errs[i]) returns.
 */
void vl_store_get_many(vl_store *s, const char *const *keys, size_t n, vl_buf *outs, int *rcs, vl_error *errs);

/** @brief How many gets vl_store_get_many runs at once (1: in turn). */
int vl_store_get_concurrency(const vl_store *s);

/**
 * @brief Writes an object, replacing any previous one atomically: readers
 * see the old or the new content, never a mix or a partial object. Durable
 * when it returns VL_OK. p is not retained (may be NULL when n is 0).
 * @return VL_OK; VL_EINVAL for a bad key; VL_ENOTSUP when the local store
 *         cannot hold the key (it is also a prefix "key/..." of other keys);
 *         VL_EIO with the OS reason ("store: put bronze/x: No space left on
 *         device").
 */
int vl_store_put(vl_store *s, const char *key, const void *p, size_t n, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Writes an object only if the key is absent, atomically across
 * concurrent processes: exactly one of several racing callers succeeds.
 * Durable when it returns VL_OK. This is what a Delta commit is.
 * @note On S3, a key that already holds exactly these bytes counts as this
 *       caller's success: a request resent after its answer was lost (by
 *       us, or by libcurl on a dead reused connection) cannot be told apart
 *       from it. Delta commits carry a unique txnId, so two writers never
 *       produce the same bytes.
 * @return VL_OK; VL_ECONFLICT when the key exists (its object is untouched);
 *         otherwise as vl_store_put.
 */
int vl_store_put_if_absent(vl_store *s, const char *key, const void *p, size_t n,
                           vl_error *err) VL_MUST_CHECK;

/**
 * @brief Deletes an object. Deleting an absent key is VL_OK (idempotent).
 * @return VL_OK; VL_EINVAL for a bad key; VL_EIO.
 */
int vl_store_delete(vl_store *s, const char *key, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Deletes n objects (absent ones are fine), in batches where the
 * store has them (S3's DeleteObjects, 1,000 keys a request); every key is
 * checked before anything is deleted. Not atomic: on an error some of the
 * keys may be gone.
 * @return VL_OK; VL_EINVAL for a bad key (naming it); VL_EIO naming the
 *         first key that could not be deleted and why.
 */
int vl_store_delete_many(vl_store *s, const char *const *keys, size_t n, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Size and modification time of an object (out->key is NULL).
 * @return VL_OK; VL_ENOTFOUND; VL_EINVAL; VL_EIO.
 */
int vl_store_head(vl_store *s, const char *key, vl_store_obj *out, vl_error *err) VL_MUST_CHECK;

/* A list callback returns VL_OK to continue, VL_STORE_STOP to end the
 * listing early (vl_store_list then returns VL_OK), or an error code, which
 * ends the listing and is returned (the callback sets err itself). */
#define VL_STORE_STOP (-1)
typedef int (*vl_store_list_cb)(void *ctx, const vl_store_obj *obj, vl_error *err);

/**
 * @brief Lists the objects whose keys start with prefix and are strictly
 * greater than start_after, in byte-wise (memcmp) key order, at every depth.
 * @param prefix "" or NULL for everything; need not end at a '/'
 *        ("a/b" matches "a/b/c" and "a/bc"). No ".." component, no leading '/'.
 * @param start_after NULL for no lower bound; need not be an existing key.
 *        Use the last key seen to resume a listing.
 * @param cb called once per object, in order; obj and obj->key are valid
 *        during the call only.
 * @note Objects written or deleted during the listing may or may not appear.
 * @return VL_OK; VL_EINVAL for a bad prefix; VL_EIO; VL_ENOMEM; or what cb
 *         returned.
 */
int vl_store_list(vl_store *s, const char *prefix, const char *start_after, vl_store_list_cb cb,
                  void *ctx, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Removes what writers that crashed mid-put left behind (on the
 * local store, the hidden ".<name>.tmp.<pid>.<random>" files) under prefix,
 * when last modified before older_than_us (µs since the epoch): make that
 * older than any put still in flight could be.
 * @param removed receives the number removed (may be NULL).
 * @return VL_OK (also when the store has nothing of the kind); VL_EINVAL for
 *         a bad prefix; VL_EIO.
 */
int vl_store_sweep(vl_store *s, const char *prefix, int64_t older_than_us, size_t *removed,
                   vl_error *err) VL_MUST_CHECK;

#endif /* VL_STORE_H */
