/* vidlake - Apache-2.0 */
/*
 * core: the base every other module stands on. It owns the error type, the
 * allocation hooks, the arena, growable buffers, string views, hashing,
 * random numbers, time (RFC 3339 <-> microseconds), the logger and the
 * progress bar.
 *
 * Conventions (see STYLE.md): every fallible function returns int (VL_OK or a
 * VL_E* code) and takes `vl_error *err` last; err may be NULL. Nothing here
 * includes another vidlake module. Nothing here aborts on bad input: sizes
 * coming from outside are checked and refused with an error.
 */
#ifndef VL_CORE_H
#define VL_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VL_VERSION "0.1.0"

/* ------------------------------------------------------------------ errors */

/* Error codes. Values are pinned: they are printed, logged and compared. */
enum {
    VL_OK = 0,
    VL_EINVAL = 1,    /* bad argument or bad input */
    VL_ENOMEM = 2,    /* allocation failed or a limit on input size was hit */
    VL_EIO = 3,       /* the operating system said no */
    VL_ECORRUPT = 4,  /* stored bytes are not what the format says */
    VL_ENOTSUP = 5,   /* valid but not supported (named in the message) */
    VL_ERANGE = 6,    /* a value outside its allowed range */
    VL_ECONFLICT = 7, /* a concurrent writer won (Delta commit race) */
    VL_EAGAIN = 8,    /* try again later (back-pressure) */
    VL_ENOTFOUND = 9, /* no such file, key, version or column */
};

typedef struct vl_error {
    int code;
    char msg[512];
} vl_error;

#if defined(__GNUC__)
#define VL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define VL_MUST_CHECK __attribute__((warn_unused_result))
#define VL_LIKELY(x) __builtin_expect(!!(x), 1)
#define VL_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define VL_PRINTF(f, a)
#define VL_MUST_CHECK
#define VL_LIKELY(x) (x)
#define VL_UNLIKELY(x) (x)
#endif

/** @brief Sets err (if not NULL) to code and a formatted message, truncated
 *  safely. @return code, so that `return vl_error_set(err, ...)` reads well. */
int vl_error_set(vl_error *err, int code, const char *fmt, ...) VL_PRINTF(3, 4);

/** @brief Prepends context ("reading x: ") to an error already set. */
void vl_error_prefix(vl_error *err, const char *fmt, ...) VL_PRINTF(2, 3);

/** @brief The stable name of a code: "EINVAL", "ENOMEM", ... */
const char *vl_strerror(int code);

#define VL_RETURN_IF_ERR(expr)                                                 \
    do {                                                                       \
        int vl__rc = (expr);                                                   \
        if (VL_UNLIKELY(vl__rc != VL_OK)) return vl__rc;                       \
    } while (0)

/* Internal invariants. On in debug/test/fuzz builds; never for input checks. */
#include <assert.h>
#define VL_ASSERT(x) assert(x)

/* -------------------------------------------------------------- allocation */

/* All heap allocation goes through these hooks so that tests can inject
 * failures (fail the Nth allocation) and check that every path cleans up. */
typedef struct vl_alloc_hooks {
    void *(*malloc_fn)(void *ctx, size_t n);
    void *(*realloc_fn)(void *ctx, void *p, size_t n);
    void (*free_fn)(void *ctx, void *p);
    void *ctx;
} vl_alloc_hooks;

/** @brief Replaces the process-wide hooks; NULL restores the libc ones.
 *  @note Not thread-safe: call before starting threads (tests only). */
void vl_alloc_set_hooks(const vl_alloc_hooks *hooks);

void *vl_malloc(size_t n);
void *vl_calloc(size_t count, size_t size); /* overflow-checked */
/* zlib's zalloc/zfree through the hooks above (alloc_func / free_func:
 * voidpf is void *, uInt unsigned int): z.zalloc = vl_zlib_alloc. */
void *vl_zlib_alloc(void *opaque, unsigned items, unsigned size);
void vl_zlib_free(void *opaque, void *p);
void *vl_realloc(void *p, size_t n);
void vl_free(void *p); /* accepts NULL */
char *vl_strndup(const char *s, size_t n);

/* Test helper: makes the Nth allocation from now on (0-based) and every one
 * after it fail; n < 0 disables. Counts allocations made since the call. */
void vl_alloc_fail_after(long n);
long vl_alloc_count(void);

/* -------------------------------------------------------------------- arena */

/*
 * A bump allocator for one batch, request or page: allocate many small
 * things, free them all at once with reset or destroy. Blocks grow
 * geometrically; requests larger than a quarter of the block size get a
 * block of their own. Memory is 16-byte aligned. Not thread-safe.
 */
typedef struct vl_arena_block vl_arena_block;
typedef struct vl_arena {
    vl_arena_block *head; /* current block, linked to older ones */
    size_t block_size;    /* size of the next ordinary block */
    size_t total;         /* bytes held in blocks (for limits and stats) */
    size_t limit;         /* 0 = unlimited; otherwise allocation fails past it */
} vl_arena;

/** @brief Initialises an empty arena; first_block is a size hint (0: 4 KiB). */
void vl_arena_init(vl_arena *a, size_t first_block);
/** @return memory or NULL when out of memory or past a.limit. */
void *vl_arena_alloc(vl_arena *a, size_t n);
void *vl_arena_memdup(vl_arena *a, const void *p, size_t n);
/** @brief Frees everything allocated but keeps the largest block for reuse. */
void vl_arena_reset(vl_arena *a);
void vl_arena_destroy(vl_arena *a);

/* ------------------------------------------------------------------ strings */

/* A view of bytes owned elsewhere; not NUL-terminated. */
typedef struct vl_sv {
    const char *p;
    size_t n;
} vl_sv;

#define VL_SV(lit) ((vl_sv){(lit), sizeof(lit) - 1})
static inline vl_sv vl_sv_make(const char *p, size_t n) { return (vl_sv){p, n}; }
vl_sv vl_sv_cstr(const char *s);
bool vl_sv_eq(vl_sv a, vl_sv b);
bool vl_sv_eq_cstr(vl_sv a, const char *s);
/** @brief Equality ignoring ASCII case (column names of Parquet files). */
bool vl_sv_eq_nocase(vl_sv a, vl_sv b);
int vl_sv_cmp(vl_sv a, vl_sv b); /* byte order */

/** @brief The length (2..4) of the well-formed UTF-8 sequence starting at p,
 *  whose first byte is >= 0x80, or 0 when it is not one (RFC 3629 section 4:
 *  no overlongs, no surrogates, nothing above U+10FFFF). Reads no byte at or
 *  past e. */
static inline size_t vl_utf8_seq_len(const unsigned char *p, const unsigned char *e) {
    unsigned c = p[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) len = 3;
    else if (c == 0xED) { len = 3; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) { len = 4; hi = 0x8F; }
    else return 0;
    if ((size_t)(e - p) < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < len; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    return len;
}

/** @brief Validates UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
 *  @return true if valid; otherwise *bad_at (if not NULL) is the offset of the
 *  first byte of the bad sequence. */
bool vl_utf8_valid(const char *p, size_t n, size_t *bad_at);

/** @brief Parses a whole decimal integer (optional '-'), no overflow. */
int vl_parse_i64(const char *p, size_t n, int64_t *out) VL_MUST_CHECK;
/** @brief Parses a whole non-negative decimal size with optional k/M/G suffix
 *  (powers of 1000 for counts: "1M" = 1000000). */
int vl_parse_count(const char *s, int64_t *out, vl_error *err) VL_MUST_CHECK;
/** @brief Parses a duration into microseconds: a number (decimals allowed)
 *  with a unit us, ms, s, m or h ("1s", "250ms", "1.5m"); a bare number is
 *  seconds. */
int vl_parse_duration_us(const char *s, int64_t *out, vl_error *err) VL_MUST_CHECK;
/** @brief Parses a size in bytes: a whole number with an optional unit
 *  B, K/KB/KiB, M/MB/MiB, G/GB/GiB (all powers of 1024: "128MiB", "64k"). */
int vl_parse_bytes(const char *s, int64_t *out, vl_error *err) VL_MUST_CHECK;
/** @brief Parses a whole decimal floating point number (strtod, C locale). */
int vl_parse_double(const char *s, double *out, vl_error *err) VL_MUST_CHECK;

/* Formats v in decimal at p (needs 20 bytes for i64 / u64); returns length. */
size_t vl_fmt_u64(char *p, uint64_t v);
size_t vl_fmt_i64(char *p, int64_t v);
/** @brief Shortest decimal that reads back as the same double (needs 32
 *  bytes). NaN and infinities are written as NaN, Infinity, -Infinity. */
size_t vl_fmt_double(char *p, double v);

/* ------------------------------------------------------------------ buffers */

/* A growable byte buffer. On allocation failure the buffer keeps its old
 * contents and the call returns VL_ENOMEM. */
typedef struct vl_buf {
    char *p;
    size_t n;
    size_t cap;
} vl_buf;

void vl_buf_init(vl_buf *b);
void vl_buf_free(vl_buf *b);
static inline void vl_buf_clear(vl_buf *b) { b->n = 0; }
/** @brief Makes room for at least extra more bytes. */
int vl_buf_reserve(vl_buf *b, size_t extra) VL_MUST_CHECK;
int vl_buf_append(vl_buf *b, const void *p, size_t n) VL_MUST_CHECK;
int vl_buf__putc_slow(vl_buf *b, char c) VL_MUST_CHECK;
static inline VL_MUST_CHECK int vl_buf_putc(vl_buf *b, char c) {
    if (VL_LIKELY(b->n < b->cap)) {
        b->p[b->n++] = c;
        return VL_OK;
    }
    return vl_buf__putc_slow(b, c);
}
int vl_buf_puts(vl_buf *b, const char *s) VL_MUST_CHECK;
int vl_buf_printf(vl_buf *b, const char *fmt, ...) VL_PRINTF(2, 3) VL_MUST_CHECK;
/** @brief Ensures a NUL after the data (not counted in n) and returns p. */
const char *vl_buf_cstr(vl_buf *b);

/** @brief Appends to out what in[0..n) inflates to: gzip (one or more
 *  concatenated members) or a zlib stream, detected. Stops with *too_large
 *  set (and VL_OK) once the output passes limit bytes, so a small body
 *  cannot make it allocate more than about limit.
 *  @return VL_OK; VL_EINVAL for corrupt or truncated data (the message names
 *  the byte); VL_ENOMEM. */
int vl_inflate(const char *in, size_t n, size_t limit, vl_buf *out, bool *too_large, vl_error *err) VL_MUST_CHECK;

/** @brief A write callback that appends to the vl_buf ctx (for sinks such
 *  as vl_pq_sink): VL_OK or VL_ENOMEM with err set. */
int vl_buf_sink_write(void *ctx, const void *p, size_t n, vl_error *err) VL_MUST_CHECK;

/**
 * @brief Room for element n of a growing array p of *cap elements of elem
 * bytes: returns p when n < *cap, else p reallocated to twice the capacity
 * (first when *cap is 0) with *cap updated, or NULL (p untouched) when out
 * of memory.
 *   vl_sv *r = vl_grow(x->items, &x->cap, x->n, sizeof(*r), 64);
 *   if (!r) return ENOMEM; x->items = r; x->items[x->n++] = ...;
 */
void *vl_grow(void *p, size_t *cap, size_t n, size_t elem, size_t first);

/* Appends s as a JSON string literal (quotes, escapes). s must be valid UTF-8
 * or the bad bytes are written as U+FFFD. */
int vl_buf_json_str(vl_buf *b, const char *s, size_t n) VL_MUST_CHECK;
/** @brief The same into caller memory of at least 6 * n + 2 bytes.
 *  @return bytes written. */
size_t vl_json_escape(char *out, const char *s, size_t n);

/* ------------------------------------------------------------------ hashing */

/** @brief A fast 64-bit hash of bytes (not cryptographic; seedable). */
uint64_t vl_hash64(const void *p, size_t n, uint64_t seed);
/** @brief A bijective 64-bit mix (SplitMix64 finaliser): distinct inputs give
 *  distinct outputs, so mixing a counter yields unique, random-looking ids. */
static inline uint64_t vl_mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* A set of 64-bit keys (typically hashes), open addressing with linear
 * probing, grows at 50% load. Key 0 is stored out of band. */
typedef struct vl_u64set {
    uint64_t *slots;
    size_t cap; /* power of two, or 0 */
    size_t n;
    bool has_zero;
} vl_u64set;

void vl_u64set_init(vl_u64set *s);
void vl_u64set_free(vl_u64set *s);
/** @return 1 if key was added, 0 if it was there, or -VL_ENOMEM. */
int vl_u64set_add(vl_u64set *s, uint64_t key);
bool vl_u64set_has(const vl_u64set *s, uint64_t key);
static inline size_t vl_u64set_count(const vl_u64set *s) { return s->n + s->has_zero; }

/* ------------------------------------------------------------------- random */

/* xoshiro256** (Blackman & Vigna): fast, 256-bit state, good statistics. */
typedef struct vl_rng {
    uint64_t s[4];
} vl_rng;

void vl_rng_seed(vl_rng *r, uint64_t seed);
uint64_t vl_rng_next(vl_rng *r);
/** @return uniform in [0, 1) with 53 random bits. */
double vl_rng_unif(vl_rng *r);
/** @return uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t vl_rng_below(vl_rng *r, uint64_t n);
/** @return exponential with the given mean. */
double vl_rng_exp(vl_rng *r, double mean);
/** @return standard normal (Box-Muller, one of the pair). */
double vl_rng_normal(vl_rng *r);
/** @return true with probability p. */
static inline bool vl_rng_chance(vl_rng *r, double p) { return vl_rng_unif(r) < p; }

/* --------------------------------------------------------------------- time */

/* Timestamps are int64 microseconds since 1970-01-01T00:00:00Z (UTC);
 * dates are int32 days since 1970-01-01. */
#define VL_US_PER_SEC INT64_C(1000000)
#define VL_US_PER_DAY INT64_C(86400000000)

/** @brief Days since the epoch of a proleptic Gregorian civil date. */
int64_t vl_days_from_civil(int64_t y, unsigned m, unsigned d);
void vl_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/** @brief Floor division of a timestamp into days. */
static inline int64_t vl_ts_day(int64_t us) {
    int64_t q = us / VL_US_PER_DAY; /* defined for every int64, INT64_MIN too */
    return (us % VL_US_PER_DAY < 0) ? q - 1 : q;
}
/** @return day of week, 0 = Monday ... 6 = Sunday. */
int vl_weekday(int64_t days);

/**
 * @brief Parses an RFC 3339 date-time ("2024-05-01T12:00:00.123Z",
 * "...+02:00"; 't'/'z' and a space for 'T' accepted). Fractions beyond
 * microseconds are truncated; a leap second (:60) is read as :59.999999.
 * @return VL_OK or VL_EINVAL (message says which part is wrong).
 */
int vl_ts_parse(const char *p, size_t n, int64_t *us, vl_error *err) VL_MUST_CHECK;
/** @brief Parses YYYY-MM-DD into days. */
int vl_date_parse(const char *p, size_t n, int64_t *days, vl_error *err) VL_MUST_CHECK;
/** @brief Writes "YYYY-MM-DDTHH:MM:SS.ffffffZ" (27 bytes, no NUL) for years
 *  0000..9999. @return bytes written. */
size_t vl_ts_format(char *out, int64_t us);
/** @brief Writes "YYYY-MM-DD" (10 bytes, no NUL). */
size_t vl_date_format(char *out, int64_t days);
/** @return the wall clock now, and a monotonic clock, in microseconds. */
int64_t vl_now_us(void);
int64_t vl_mono_us(void);

/* ------------------------------------------------------------------ logging */

typedef enum vl_log_level {
    VL_LOG_DEBUG = 0,
    VL_LOG_INFO = 1,
    VL_LOG_WARN = 2,
    VL_LOG_ERROR = 3,
    VL_LOG_OFF = 4,
} vl_log_level;

/** @brief Sets the level and format (json: one JSON object per line). The
 *  defaults come from VIDLAKE_LOG (debug|info|warn|error|off) and
 *  VIDLAKE_LOG_FORMAT (text|json); level info, text. Thread-safe logging. */
void vl_log_setup(vl_log_level level, bool json);
void vl_log_init_from_env(void);
bool vl_log_enabled(vl_log_level level);
void vl_log(vl_log_level level, const char *module, const char *fmt, ...) VL_PRINTF(3, 4);

#define VL_DEBUG(mod, ...) vl_log(VL_LOG_DEBUG, mod, __VA_ARGS__)
#define VL_INFO(mod, ...) vl_log(VL_LOG_INFO, mod, __VA_ARGS__)
#define VL_WARN(mod, ...) vl_log(VL_LOG_WARN, mod, __VA_ARGS__)
#define VL_ERROR(mod, ...) vl_log(VL_LOG_ERROR, mod, __VA_ARGS__)

/* ----------------------------------------------------------------- progress */

/* A progress bar on stderr for long work, drawn only when stderr is a
 * terminal (and VIDLAKE_PROGRESS is not 0), at most 10 times a second.
 * total 0 = unknown (shows a count and a rate instead of a bar). */
typedef struct vl_progress {
    const char *label;
    const char *unit;
    uint64_t total;
    uint64_t done;
    int64_t start_us;
    int64_t last_draw_us;
    bool enabled;
} vl_progress;

void vl_progress_start(vl_progress *pg, const char *label, const char *unit, uint64_t total);
void vl_progress__draw(vl_progress *pg); /* internal */
/** @brief Sets the amount done; cheap enough to call per item. */
static inline void vl_progress_set(vl_progress *pg, uint64_t done) {
    pg->done = done;
    if (VL_UNLIKELY(pg->enabled) && (done & 1023) == 0) vl_progress__draw(pg);
}
/** @brief Erases the bar. */
void vl_progress_finish(vl_progress *pg);

/* ===================================================================== JSON
 * A general JSON reader (a DOM in an arena) and a streaming writer, for the
 * Delta Lake transaction log, the HTTP API and configuration files. The
 * event decoder (src/event) stays separate: it is schema-specific and faster.
 *
 * Reading is strict RFC 8259 with the event decoder's rules: no trailing
 * commas, no leading zeros, no comments, no NaN/Infinity, valid escapes with
 * paired surrogates, UTF-8 validated (RFC 3629), control characters refused,
 * no byte order mark, nothing but whitespace after the value. Any value may
 * be the top level.
 *
 * Errors: VL_ECORRUPT when the bytes are not JSON, VL_EINVAL when they are
 * but break a limit (depth, size), VL_ENOMEM when the arena or its limit
 * says no. Every message starts "byte N: " and says what was expected.
 *
 * Ownership: every node lives in the caller's arena. Strings without
 * escapes, number texts and keys point into the input (zero copy), so the
 * input must outlive the DOM as much as the arena must; strings with escapes
 * are unescaped into the arena. Nodes are read-only and may be shared
 * between threads once parsed.
 *
 * Objects keep their members in input order, duplicates included; lookups
 * (vl_json_get...) return the LAST member with the key, as most JSON readers
 * do. Lookup is a linear scan from the end: fine for the small objects of a
 * Delta log or a request; iterate with vl_json_member for large ones.
 */

typedef struct vl_json vl_json; /* a node: opaque, read through accessors */

/* Kinds; values pinned. MISSING is what accessors say about a NULL node, so
 * that vl_json_kind(vl_json_get(obj, "k")) == VL_JSON_MISSING tests absence. */
typedef enum vl_json_kind_t {
    VL_JSON_MISSING = 0,
    VL_JSON_NULL = 1,
    VL_JSON_BOOL = 2,
    VL_JSON_NUMBER = 3,
    VL_JSON_STRING = 4,
    VL_JSON_ARRAY = 5,
    VL_JSON_OBJECT = 6,
} vl_json_kind_t;

#define VL_JSON_MAX_DEPTH 64                /* default nesting limit */
#define VL_JSON_MAX_BYTES ((size_t)1 << 28) /* default input limit: 256 MiB */

/* Parse limits; a zero field means the default. */
typedef struct vl_json_opts {
    size_t max_depth; /* nested arrays/objects allowed (default 64) */
    size_t max_bytes; /* input size allowed (default VL_JSON_MAX_BYTES) */
} vl_json_opts;

/**
 * @brief Parses one JSON text p[0..n) into a DOM in arena a.
 * @param opts limits, or NULL for the defaults.
 * @param out the root node on success (untouched on error).
 * @return VL_OK; VL_ECORRUPT (not JSON, the message says which byte and
 *  what was expected); VL_EINVAL (deeper than max_depth, longer than
 *  max_bytes); VL_ENOMEM (arena exhausted or past its limit; what was
 *  allocated stays in the arena until reset).
 * @note The DOM points into p: keep p alive and unchanged while it is used.
 *  Memory: 32 bytes per value (plus unescaped strings) from the arena, up
 *  to 16 times the input for "[0,0,...]"; a scratch stack (on the C stack
 *  for up to 256 pending values, then vl_malloc, freed before returning).
 *  For untrusted input set a->limit: it bounds the scratch stack as well.
 */
int vl_json_parse_opts(const char *p, size_t n, const vl_json_opts *opts, vl_arena *a,
                       const vl_json **out, vl_error *err) VL_MUST_CHECK;
/** @brief vl_json_parse_opts with the default limits. */
int vl_json_parse(const char *p, size_t n, vl_arena *a, const vl_json **out,
                  vl_error *err) VL_MUST_CHECK;

/* Accessors. All accept NULL nodes (a missing value) and then return
 * MISSING / 0 / NULL / false, so lookups chain:
 *   vl_json_get(vl_json_get(root, "add"), "path")                         */

vl_json_kind_t vl_json_kind(const vl_json *v);
/** @brief "missing", "null", "a boolean", "a number", "a string", "an
 *  array", "an object": for messages. */
const char *vl_json_kind_name(vl_json_kind_t k);
/** @return elements of an array, members of an object, otherwise 0. */
size_t vl_json_len(const vl_json *v);
/** @return element i of an array, or NULL (not an array, i out of range). */
const vl_json *vl_json_at(const vl_json *arr, size_t i);
/** @return the value of member i of an object (input order) and its key in
 *  *key (may be NULL), or NULL (not an object, i out of range). */
const vl_json *vl_json_member(const vl_json *obj, size_t i, vl_sv *key);
/** @return the value of the last member named key, or NULL (absent or obj
 *  not an object). Keys are compared bytewise after unescaping. */
const vl_json *vl_json_get(const vl_json *obj, const char *key);
const vl_json *vl_json_get_sv(const vl_json *obj, vl_sv key);

/** @brief A string's unescaped bytes (valid UTF-8, may contain NUL bytes).
 *  @return false if v is not a string. */
bool vl_json_str(const vl_json *v, vl_sv *out);
/** @brief A number as int64. @return false if v is not a number, not
 *  integral in its text (1.0 and 1e2 are not), or outside int64. */
bool vl_json_i64(const vl_json *v, int64_t *out);
/** @brief A number as the nearest double (correctly rounded; beyond the
 *  double range it is +-HUGE_VAL, below it 0). @return false if not a number. */
bool vl_json_f64(const vl_json *v, double *out);
/** @brief A number's text exactly as in the input. */
bool vl_json_num_text(const vl_json *v, vl_sv *out);
bool vl_json_bool(const vl_json *v, bool *out);
static inline bool vl_json_is_null(const vl_json *v) { return vl_json_kind(v) == VL_JSON_NULL; }

/* Typed member getters for code such as a Delta log reader. A member whose
 * value is JSON null counts as absent. Messages name the key.
 * @return VL_OK; VL_ENOTFOUND (absent, null, or obj is not an object);
 *  VL_EINVAL (present with another type, or a fraction for _i64);
 *  VL_ERANGE (_i64: a whole number outside int64). *out is set only on VL_OK. */
int vl_json_get_str(const vl_json *obj, const char *key, vl_sv *out, vl_error *err) VL_MUST_CHECK;
int vl_json_get_i64(const vl_json *obj, const char *key, int64_t *out, vl_error *err) VL_MUST_CHECK;
int vl_json_get_f64(const vl_json *obj, const char *key, double *out, vl_error *err) VL_MUST_CHECK;
int vl_json_get_bool(const vl_json *obj, const char *key, bool *out, vl_error *err) VL_MUST_CHECK;
int vl_json_get_obj(const vl_json *obj, const char *key, const vl_json **out,
                    vl_error *err) VL_MUST_CHECK;
int vl_json_get_arr(const vl_json *obj, const char *key, const vl_json **out,
                    vl_error *err) VL_MUST_CHECK;

/** @brief Deep equality: same kinds, same strings, same number TEXT (1.0
 *  and 1 differ), members in the same order. NULL equals NULL only. */
bool vl_json_equal(const vl_json *a, const vl_json *b);

/*
 * The writer: appends compact JSON to a vl_buf, inserting commas and
 * tracking nesting itself. Errors are sticky: after the first one, calls do
 * nothing and return it; check each call or only vl_json_w_finish. Misuse (a
 * value where a key is due, a key in an array, unbalanced end) asserts in
 * debug builds and is VL_EINVAL in release builds. NaN and infinities are
 * VL_EINVAL unless flags has VL_JSON_W_NONFINITE_NULL (then written as null).
 * Strings that are not valid UTF-8 get U+FFFD for each bad byte.
 *
 *   vl_json_w w; vl_json_w_init(&w, &buf, 0);
 *   vl_json_w_begin_obj(&w); vl_json_w_key(&w, "size"); vl_json_w_int(&w, 123);
 *   vl_json_w_end_obj(&w); VL_RETURN_IF_ERR(vl_json_w_finish(&w, err));
 */
#define VL_JSON_W_MAX_DEPTH 1024
#define VL_JSON_W_NONFINITE_NULL 1u

typedef struct vl_json_w {
    vl_buf *out;     /* not owned */
    unsigned flags;
    int rc;          /* the first error, sticky */
    bool need_comma; /* a value was written at this level */
    bool want_value; /* in an object, a key was written */
    bool done;       /* a complete top-level value was written */
    uint32_t depth;
    uint64_t is_obj[VL_JSON_W_MAX_DEPTH / 64]; /* one bit per open level */
} vl_json_w;

/** @brief Starts writing into out (appended to; not owned). */
void vl_json_w_init(vl_json_w *w, vl_buf *out, unsigned flags);
int vl_json_w_begin_obj(vl_json_w *w);
int vl_json_w_end_obj(vl_json_w *w);
int vl_json_w_begin_arr(vl_json_w *w);
int vl_json_w_end_arr(vl_json_w *w);
/** @brief A member key: a NUL-terminated string, or n bytes. */
int vl_json_w_key(vl_json_w *w, const char *key);
int vl_json_w_key_n(vl_json_w *w, const char *key, size_t n);
int vl_json_w_str(vl_json_w *w, const char *s, size_t n);
int vl_json_w_cstr(vl_json_w *w, const char *s);
int vl_json_w_int(vl_json_w *w, int64_t v);
int vl_json_w_uint(vl_json_w *w, uint64_t v);
/** @brief The shortest text that reads back as v (vl_fmt_double). */
int vl_json_w_double(vl_json_w *w, double v);
int vl_json_w_bool(vl_json_w *w, bool v);
int vl_json_w_null(vl_json_w *w);
/** @brief n bytes of JSON written as one value, verbatim. The caller
 *  vouches that they are exactly one valid JSON value. */
int vl_json_w_raw(vl_json_w *w, const char *json, size_t n);
/** @brief A DOM node and everything below it (numbers as their text);
 *  NULL writes null. */
int vl_json_w_value(vl_json_w *w, const vl_json *v);
/** @return VL_OK if exactly one complete value was written without error,
 *  otherwise the sticky error (with a message) or VL_EINVAL (unbalanced). */
int vl_json_w_finish(vl_json_w *w, vl_error *err) VL_MUST_CHECK;
/** @brief Replaces out's content with the error document {"error":msg}
 *  and a newline (what HTTP error replies carry); empties out when out of
 *  memory. */
void vl_json_error_doc(vl_buf *out, const char *msg);

/* ================================================================ end JSON */


/* JSON string primitives, shared by the DOM parser and the event decoder. */
/** @brief The first byte at or after p (before e) that a string scanner must
 *  look at: '"', '\\', a control character or a byte >= 0x80; e if none. */
const char *vl_json_skip_plain(const char *p, const char *e);
/** @brief Reads 4 hex digits at p (before e) into *out. */
bool vl_json_read_u4(const char *p, const char *e, unsigned *out);
/** @brief Writes the unescaped form of the already validated string content
 *  p[0..n) (escapes checked, surrogates paired) to out, which needs n bytes.
 *  @return the length written. */
size_t vl_json_unescape(const char *p, size_t n, char *out);

/* ============================================================= histograms
 * vl_histo: a histogram with fixed bucket bounds and atomic counters, for
 * metrics observed on hot paths (commit and fsync latencies, file sizes).
 * Observing is a binary search over at most VL_HISTO_MAX_BOUNDS bounds and
 * two relaxed atomic adds: no lock, no allocation, any number of threads.
 *
 * Values are integers in the unit the code measures (microseconds, bytes,
 * rows); `unit` says how many of them make one unit of exposition (1000000
 * for microseconds shown as seconds, 1 for bytes), so sums stay exact and
 * bucket bounds print as short decimals (1000 / 1e6 is exactly 0.001).
 * Buckets are Prometheus's: bound i counts observations <= bounds[i], and
 * one more bucket (+Inf) takes those above the last bound.
 *
 * Reading (vl_histo_read) loads each counter once, without stopping
 * writers: a snapshot taken while observations land may hold an
 * observation in its buckets but not yet in its sum (or the reverse); the
 * count is always the sum of the buckets, so _count equals the +Inf bucket
 * and the cumulative buckets never decrease.
 */
#define VL_HISTO_MAX_BOUNDS 24

typedef struct vl_histo {
    int64_t bounds[VL_HISTO_MAX_BOUNDS]; /* ascending, inclusive upper bounds */
    uint32_t n_bounds;
    int64_t unit;                        /* observed units per exposed unit (>= 1) */
    _Atomic int64_t buckets[VL_HISTO_MAX_BOUNDS + 1]; /* per bucket, not cumulative;
                                                         [n_bounds] is +Inf */
    _Atomic int64_t sum;
} vl_histo;

/* A plain copy of a histogram, for exposition. */
typedef struct vl_histo_snap {
    int64_t bounds[VL_HISTO_MAX_BOUNDS];
    uint32_t n_bounds;
    int64_t unit;
    int64_t cum[VL_HISTO_MAX_BOUNDS + 1]; /* cumulative: cum[i] observations <= bounds[i];
                                             cum[n_bounds] is the count (+Inf) */
    int64_t sum;
} vl_histo_snap;

/**
 * @brief Sets a histogram's bounds and zeroes it (not thread-safe: before
 * any observation).
 * @param bounds n_bounds strictly ascending upper bounds (copied).
 * @param unit observed units per exposed unit, >= 1.
 * @return VL_OK; VL_EINVAL for more than VL_HISTO_MAX_BOUNDS bounds, bounds
 *  not strictly ascending, or unit < 1 (the histogram is then left with no
 *  bounds: everything goes to +Inf).
 */
int vl_histo_init(vl_histo *h, const int64_t *bounds, uint32_t n_bounds, int64_t unit,
                  vl_error *err) VL_MUST_CHECK;
/** @brief Counts one observation (thread-safe, lock-free). */
void vl_histo_observe(vl_histo *h, int64_t v);
/** @brief A snapshot (thread-safe; see the consistency note above). */
void vl_histo_read(const vl_histo *h, vl_histo_snap *out);
/** @brief The number of the bucket v falls in (n_bounds: +Inf). */
uint32_t vl_histo_bucket(const int64_t *bounds, uint32_t n_bounds, int64_t v);

/* Bucket bounds used across vidlake, so that the same figure is bucketed
 * the same way wherever it is measured. */
extern const int64_t vl_histo_latency_us[]; /* 50 µs .. 60 s: fsyncs, commits */
extern const uint32_t vl_histo_latency_us_n;
extern const int64_t vl_histo_counts[];     /* 1 .. 10M: rows per file, events per request */
extern const uint32_t vl_histo_counts_n;
extern const int64_t vl_histo_bytes[];      /* 4 KiB .. 1 GiB: file sizes */
extern const uint32_t vl_histo_bytes_n;

/* ========================================================= end histograms */

#endif /* VL_CORE_H */
