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

typedef struct vl_store_ops {
    const char *name; /* "local", "s3" */
    /* len == UINT64_MAX: to the end. Implementations clear out first. */
    int (*get_range)(vl_store *s, const char *key, uint64_t off, uint64_t len, vl_buf *out,
                     vl_error *err);
    int (*put)(vl_store *s, const char *key, const void *p, size_t n, bool if_absent,
               vl_error *err);
    int (*del)(vl_store *s, const char *key, vl_error *err);
    int (*head)(vl_store *s, const char *key, vl_store_obj *out, vl_error *err);
    /* prefix is never NULL ("" for all); start_after may be NULL. */
    int (*list)(vl_store *s, const char *prefix, const char *start_after, vl_store_list_cb cb,
                void *ctx, vl_error *err);
    void (*close)(vl_store *s);
    /* optional: removes temporary objects left by crashed writers */
    int (*sweep)(vl_store *s, const char *prefix, int64_t older_than_us, size_t *removed, vl_error *err);
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

/* Opens the local implementation on a directory path (already decoded). */
int vl_store__local_open(const char *url, const char *root, vl_store **out, vl_error *err);

#endif /* VL_STORE_INT_H */
