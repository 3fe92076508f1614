/* vidlake - Apache-2.0 */
/*
 * event: the player event. One schema table (VL_EVENT_FIELDS below) defines
 * every field; the decoder, validator, encoder, the storage schemas and the
 * simulator all derive from it, so adding a field is one line here (plus,
 * for an enum, its value list in event_schema.c).
 *
 * In memory an event is a presence bitmask plus one 16-byte value per field.
 * Decoded strings point into the input line when they had no escapes, or
 * into the caller's arena: an event is valid while both live.
 *
 * This module does not do I/O beyond the NDJSON line reader, and knows
 * nothing of Parquet or Delta.
 */
#ifndef VL_EVENT_H
#define VL_EVENT_H

#include "core/core.h"

/* ---------------------------------------------------------------- the types */

/* The 20 event types (plus heartbeat) in their families. Order is the
 * storage order of the enum: append only. */
#define VL_EVENT_TYPES(X)                                                      \
    X(PLAY, "play", VIDEO)                                                     \
    X(PAUSE, "pause", VIDEO)                                                   \
    X(STOP, "stop", VIDEO)                                                     \
    X(SEEK, "seek", VIDEO)                                                     \
    X(BUFFER, "buffer", VIDEO)                                                 \
    X(ERROR, "error", VIDEO)                                                   \
    X(QUALITY_CHANGE, "quality_change", VIDEO)                                 \
    X(HEARTBEAT, "heartbeat", VIDEO)                                           \
    X(LIKE, "like", INTERACTION)                                               \
    X(DISLIKE, "dislike", INTERACTION)                                         \
    X(COMMENT, "comment", INTERACTION)                                         \
    X(SHARE, "share", INTERACTION)                                             \
    X(SUBSCRIBE, "subscribe", INTERACTION)                                     \
    X(AD_IMPRESSION, "ad_impression", AD)                                      \
    X(AD_CLICK, "ad_click", AD)                                                \
    X(AD_SKIP, "ad_skip", AD)                                                  \
    X(AD_COMPLETE, "ad_complete", AD)                                          \
    X(SESSION_START, "session_start", SESSION)                                 \
    X(SESSION_END, "session_end", SESSION)                                     \
    X(DEVICE_CHANGE, "device_change", SESSION)

typedef enum vl_event_type {
#define X(id, name, fam) VL_ET_##id,
    VL_EVENT_TYPES(X)
#undef X
    VL_ET_COUNT
} vl_event_type;

typedef enum vl_event_family {
    VL_FAM_VIDEO,
    VL_FAM_INTERACTION,
    VL_FAM_AD,
    VL_FAM_SESSION,
    VL_FAM_COUNT
} vl_event_family;

/* Bitmasks of event types, for "required for" rules. */
#define VL_ETM(id) (UINT32_C(1) << VL_ET_##id)
#define VL_ETM_VIDEO                                                           \
    (VL_ETM(PLAY) | VL_ETM(PAUSE) | VL_ETM(STOP) | VL_ETM(SEEK) | VL_ETM(BUFFER) | \
     VL_ETM(ERROR) | VL_ETM(QUALITY_CHANGE) | VL_ETM(HEARTBEAT))
#define VL_ETM_INTERACTION                                                     \
    (VL_ETM(LIKE) | VL_ETM(DISLIKE) | VL_ETM(COMMENT) | VL_ETM(SHARE) | VL_ETM(SUBSCRIBE))
#define VL_ETM_AD (VL_ETM(AD_IMPRESSION) | VL_ETM(AD_CLICK) | VL_ETM(AD_SKIP) | VL_ETM(AD_COMPLETE))
#define VL_ETM_SESSION (VL_ETM(SESSION_START) | VL_ETM(SESSION_END) | VL_ETM(DEVICE_CHANGE))

/* --------------------------------------------------------------- the fields */

typedef enum vl_ftype {
    VL_FT_STRING,    /* UTF-8, length limits in bytes */
    VL_FT_ENUM,      /* one of a fixed list of strings; stored as its index */
    VL_FT_TIMESTAMP, /* RFC 3339 string or epoch ms number; stored as µs UTC */
    VL_FT_DATE,      /* YYYY-MM-DD; stored as days since 1970-01-01 */
    VL_FT_INT32,
    VL_FT_INT64,
    VL_FT_BOOL,
    VL_FT_DOUBLE,
    VL_FT_JSON, /* a JSON object, kept as text */
} vl_ftype;

/* Field flags. */
#define VL_FF_REQUIRED 1u /* every event has it */
#define VL_FF_SERVER 2u   /* set by vidlake on ingest (clients' values are replaced) */
#define VL_FF_COUNTRY 4u  /* an assigned ISO 3166-1 alpha-2 code */

/* Limits: strings min..max bytes; numbers min..max value; timestamps are
 * checked against VL_TS_MIN..VL_TS_MAX. */
#define VL_TS_MIN INT64_C(946684800000000)  /* 2000-01-01T00:00:00Z */
#define VL_TS_MAX INT64_C(4102444800000000) /* 2100-01-01T00:00:00Z, exclusive */
#define VL_MS_MAX INT64_C(10000000000)      /* ~115 days: playheads of long live streams */

/*
 * The schema. Columns: id, JSON name, type, enum value list (or NONE), min,
 * max, flags, and the event types (mask) for which the field is required.
 * Order is the canonical key order of the encoder and the column order of
 * storage.
 */
#define VL_EVENT_FIELDS(X)                                                                              \
    X(EVENT_ID, "event_id", STRING, NONE, 1, 64, VL_FF_REQUIRED, 0)                                     \
    X(EVENT_TYPE, "event_type", ENUM, event_type, 0, 0, VL_FF_REQUIRED, 0)                              \
    X(EVENT_TIME, "event_time", TIMESTAMP, NONE, 0, 0, VL_FF_REQUIRED, 0)                               \
    X(USER_ID, "user_id", STRING, NONE, 1, 128, VL_FF_REQUIRED, 0)                                      \
    X(DEVICE_ID, "device_id", STRING, NONE, 1, 128, VL_FF_REQUIRED, 0)                                  \
    X(SESSION_ID, "session_id", STRING, NONE, 1, 128, VL_FF_REQUIRED, 0)                                \
    X(VIEW_ID, "view_id", STRING, NONE, 1, 128, 0, VL_ETM_VIDEO | VL_ETM_AD)                            \
    X(CONTENT_ID, "content_id", STRING, NONE, 1, 128, 0, VL_ETM_VIDEO | VL_ETM_INTERACTION)             \
    X(CONTENT_TYPE, "content_type", ENUM, content_type, 0, 0, 0, 0)                                     \
    X(DEVICE_TYPE, "device_type", ENUM, device_type, 0, 0, 0, 0)                                        \
    X(OS, "os", STRING, NONE, 0, 64, 0, 0)                                                              \
    X(APP_VERSION, "app_version", STRING, NONE, 0, 32, 0, 0)                                            \
    X(COUNTRY, "country", STRING, NONE, 2, 2, VL_FF_COUNTRY, 0)                                         \
    X(REGION, "region", STRING, NONE, 0, 64, 0, 0)                                                      \
    X(CDN, "cdn", STRING, NONE, 0, 64, 0, 0)                                                            \
    X(SUBSCRIPTION_TIER, "subscription_tier", ENUM, subscription_tier, 0, 0, 0, 0)                      \
    X(POSITION_MS, "position_ms", INT64, NONE, 0, VL_MS_MAX, 0, 0)                                      \
    X(DURATION_MS, "duration_ms", INT64, NONE, 0, VL_MS_MAX, 0, 0)                                      \
    X(STARTUP_MS, "startup_ms", INT32, NONE, 0, 600000, 0, 0)                                           \
    X(BITRATE_KBPS, "bitrate_kbps", INT32, NONE, 0, 1000000, 0, 0)                                      \
    X(RESOLUTION, "resolution", STRING, NONE, 0, 16, 0, 0)                                              \
    X(BUFFER_MS, "buffer_ms", INT32, NONE, 0, 86400000, 0, VL_ETM(BUFFER))                              \
    X(SEEK_FROM_MS, "seek_from_ms", INT64, NONE, 0, VL_MS_MAX, 0, VL_ETM(SEEK))                         \
    X(SEEK_TO_MS, "seek_to_ms", INT64, NONE, 0, VL_MS_MAX, 0, VL_ETM(SEEK))                             \
    X(ERROR_CODE, "error_code", STRING, NONE, 1, 64, 0, VL_ETM(ERROR))                                  \
    X(ERROR_FATAL, "error_fatal", BOOL, NONE, 0, 0, 0, VL_ETM(ERROR))                                   \
    X(AD_ID, "ad_id", STRING, NONE, 1, 128, 0, VL_ETM_AD)                                               \
    X(AD_CAMPAIGN_ID, "ad_campaign_id", STRING, NONE, 1, 128, 0, 0)                                     \
    X(AD_POSITION, "ad_position", ENUM, ad_position, 0, 0, 0, VL_ETM_AD)                                \
    X(AD_DURATION_MS, "ad_duration_ms", INT32, NONE, 0, 600000, 0, 0)                                   \
    X(AD_REVENUE_USD, "ad_revenue_usd", DOUBLE, NONE, 0, 1000000, 0, 0)                                 \
    X(EXTRA, "extra", JSON, NONE, 0, 0, 0, 0)                                                           \
    X(INGEST_TIME, "ingest_time", TIMESTAMP, NONE, 0, 0, VL_FF_SERVER, 0)                               \
    X(EVENT_DATE, "event_date", DATE, NONE, 0, 0, VL_FF_SERVER, 0)

typedef enum vl_field_id {
#define X(id, name, type, en, lo, hi, flags, req) VL_F_##id,
    VL_EVENT_FIELDS(X)
#undef X
    VL_F_COUNT
} vl_field_id;

_Static_assert(VL_F_COUNT <= 64, "the presence mask holds 64 fields");

typedef struct vl_field {
    const char *name;
    uint8_t name_len;
    vl_ftype type;
    const char *const *values; /* VL_FT_ENUM: value names; else NULL */
    uint8_t n_values;
    int64_t min, max;
    unsigned flags;
    uint32_t required_for; /* event-type mask */
} vl_field;

/** @brief The schema: vl_event_fields[VL_F_x]. */
extern const vl_field vl_event_fields[VL_F_COUNT];
/** @brief Event type names and families, indexed by vl_event_type. */
extern const char *const vl_event_type_names[VL_ET_COUNT];
extern const vl_event_family vl_event_type_family[VL_ET_COUNT];
extern const char *const vl_event_family_names[VL_FAM_COUNT];

/* Enum value indexes, named for code that sets them (the simulator). They
 * follow the order of the lists in event_schema.c. */
enum { VL_CT_MOVIE, VL_CT_EPISODE, VL_CT_LIVE, VL_CT_SHORT, VL_CT_TRAILER, VL_CT_COUNT };
enum { VL_DT_TV, VL_DT_MOBILE, VL_DT_TABLET, VL_DT_DESKTOP, VL_DT_CONSOLE, VL_DT_OTHER, VL_DT_COUNT };
enum { VL_TIER_FREE, VL_TIER_BASIC, VL_TIER_STANDARD, VL_TIER_PREMIUM, VL_TIER_COUNT };
enum { VL_ADPOS_PREROLL, VL_ADPOS_MIDROLL, VL_ADPOS_POSTROLL, VL_ADPOS_COUNT };

/** @return the field with this JSON name, or -1. */
int vl_event_field_find(const char *name, size_t n);
/** @return the index of value in the enum list of field f, or -1. */
int vl_event_enum_find(vl_field_id f, const char *s, size_t n);
/** @return true if s is an assigned ISO 3166-1 alpha-2 code. */
bool vl_country_valid(const char *s, size_t n);

/* ---------------------------------------------------------------- the event */

typedef union vl_value {
    int64_t i; /* ints, bools (0/1), enums (index), timestamps (µs), dates (days) */
    double d;
    vl_sv s; /* strings and JSON text */
} vl_value;

typedef struct vl_event {
    uint64_t present; /* bit VL_F_x set: v[VL_F_x] holds a value */
    vl_value v[VL_F_COUNT];
} vl_event;

static inline bool vl_event_has(const vl_event *ev, vl_field_id f) {
    return (ev->present >> f) & 1;
}
static inline void vl_event_clear(vl_event *ev) { ev->present = 0; }
static inline void vl_event_set_i(vl_event *ev, vl_field_id f, int64_t i) {
    ev->v[f].i = i;
    ev->present |= UINT64_C(1) << f;
}
static inline void vl_event_set_d(vl_event *ev, vl_field_id f, double d) {
    ev->v[f].d = d;
    ev->present |= UINT64_C(1) << f;
}
static inline void vl_event_set_s(vl_event *ev, vl_field_id f, const char *p, size_t n) {
    ev->v[f].s = (vl_sv){p, n};
    ev->present |= UINT64_C(1) << f;
}
/** @return true if both events have the same fields with equal values
 *  (doubles bitwise, except that all NaNs are equal). */
bool vl_event_equal(const vl_event *a, const vl_event *b);

/* ------------------------------------------------------------- the decoder */

/* Why a line was rejected. Names are stable (they key counts and reports). */
#define VL_REJECT_REASONS(X)                                                   \
    X(NONE, "none")                                                            \
    X(MALFORMED_JSON, "malformed_json")                                        \
    X(INVALID_UTF8, "invalid_utf8")                                            \
    X(TOO_LARGE, "too_large")                                                  \
    X(TRAILING_DATA, "trailing_data")                                          \
    X(NOT_OBJECT, "not_object")                                                \
    X(DUPLICATE_FIELD, "duplicate_field")                                      \
    X(MISSING_FIELD, "missing_field")                                          \
    X(WRONG_TYPE, "wrong_type")                                                \
    X(NOT_ALLOWED, "value_not_allowed")                                        \
    X(BAD_TIMESTAMP, "bad_timestamp")                                          \
    X(OUT_OF_RANGE, "out_of_range")

typedef enum vl_reject_reason {
#define X(id, name) VL_RJ_##id,
    VL_REJECT_REASONS(X)
#undef X
    VL_RJ_COUNT
} vl_reject_reason;

#define VL_EVENT_MAX_BYTES 65536 /* one event, as received, at most 64 KiB */

typedef struct vl_reject {
    vl_reject_reason reason;
    int field;      /* vl_field_id, or -1 when no field is involved */
    size_t offset;  /* byte offset in the line where it went wrong */
    char detail[200];
} vl_reject;

const char *vl_reject_reason_name(vl_reject_reason r);
/** @brief Writes the key counts are grouped by: "missing_field:user_id", or
 *  the reason name alone when no field is involved. @return length. */
size_t vl_reject_key(const vl_reject *rj, char *out, size_t cap);

/* A decoder holds reusable scratch space (for `extra`); one per thread. */
typedef struct vl_decoder {
    vl_buf extra;
} vl_decoder;

void vl_decoder_init(vl_decoder *d);
void vl_decoder_free(vl_decoder *d);

/**
 * @brief Decodes and validates one event: a JSON object without the line
 * terminator (surrounding whitespace allowed).
 * @param arena receives unescaped strings and `extra`; the event also points
 *        into p, so both must outlive it.
 * @return VL_OK; VL_EINVAL when the event is rejected (rj says why); VL_ENOMEM
 *         when the arena could not grow (rj is not set).
 * @note Strict RFC 8259 JSON and RFC 3629 UTF-8. Unknown fields are kept in
 *       `extra` verbatim; an `extra` object in the input is merged into it.
 *       JSON null counts as absent. Later errors never hide an earlier
 *       syntax error: a line that is not JSON is reported as such.
 */
int vl_decoder_decode(vl_decoder *d, const char *p, size_t n, vl_event *ev, vl_arena *arena,
                      vl_reject *rj) VL_MUST_CHECK;

/* ------------------------------------------------------------- the encoder */

/**
 * @brief Appends the canonical NDJSON line of ev (with '\n') to out: keys in
 * schema order, only present fields, no whitespace, timestamps as
 * "YYYY-MM-DDTHH:MM:SS.ffffffZ", dates "YYYY-MM-DD", doubles in shortest
 * round-trip form, `extra` as a nested object.
 * @return VL_OK or VL_ENOMEM (out keeps its previous contents).
 */
int vl_event_encode(const vl_event *ev, vl_buf *out) VL_MUST_CHECK;

/* --------------------------------------------------------- NDJSON framing */

/*
 * Reads newline-delimited records from a file descriptor with one reusable
 * buffer. Lines longer than max_line are not buffered whole: the reader
 * returns their first max_line + 1 bytes with `too_large` set and skips the
 * rest, so memory stays bounded whatever the input.
 */
typedef struct vl_ndjson_reader {
    int fd;
    char *buf;
    size_t cap, start, end;
    size_t max_line;
    uint64_t line_no; /* of the line last returned, 1-based */
    uint64_t bytes;   /* total bytes consumed */
    bool eof;
    bool skipping; /* inside an over-long line: discard up to its newline */
} vl_ndjson_reader;

int vl_ndjson_reader_init(vl_ndjson_reader *r, int fd, size_t max_line, vl_error *err) VL_MUST_CHECK;
void vl_ndjson_reader_free(vl_ndjson_reader *r);
/**
 * @brief Next line without its "\n" (or "\r\n"); a last line without a
 * terminator counts too.
 * @return 1 and *line (valid until the next call), 0 at end of input, or -1
 *         with err set (VL_EIO) when reading fails.
 */
int vl_ndjson_next(vl_ndjson_reader *r, vl_sv *line, bool *too_large, vl_error *err);

/* ------------------------------------------------------------ the simulator */

typedef struct vl_sim_config {
    uint64_t events;      /* lines to produce; 0 = unbounded (rate mode) */
    uint32_t users;       /* 0 = derived from events and days */
    uint32_t days;        /* length of the simulated period */
    uint64_t seed;
    double rate;          /* > 0: real-time mode, events per second, times = now */
    double invalid_fraction, duplicate_fraction, late_fraction;
    int64_t start_us;     /* first simulated instant (not in rate mode) */
    bool no_view_truth;   /* keep no per-view truth (long real-time runs) */
} vl_sim_config;

/* What one produced line is. */
typedef enum vl_sim_kind {
    VL_SIM_EVENT,     /* a fresh valid event */
    VL_SIM_DUPLICATE, /* an earlier event resent, same event_id */
    VL_SIM_INVALID,   /* a line the validator must reject */
} vl_sim_kind;

typedef struct vl_sim vl_sim;

/** @brief Fills c with the defaults (100000 events, 1 day, seed 1, no faults,
 *  start 2024-05-01T00:00:00Z). */
void vl_sim_config_default(vl_sim_config *c);
/** @return VL_OK, VL_EINVAL (bad option, named), VL_ENOMEM. */
int vl_sim_create(const vl_sim_config *c, vl_sim **out, vl_error *err) VL_MUST_CHECK;
void vl_sim_destroy(vl_sim *s); /* accepts NULL */
/**
 * @brief Appends the next line (with '\n') to out.
 * @param deliver_us receives the simulated time at which the line is sent
 *        (in rate mode: the wall-clock time to send it at).
 * @return 1 for a line, 0 when the configured number of events is reached,
 *         or -VL_ENOMEM.
 */
int vl_sim_next(vl_sim *s, vl_buf *out, int64_t *deliver_us, vl_sim_kind *kind);
/** @brief Stops making fresh events: later vl_sim_next calls return the
 *  lines still held back (late events, duplicates), then 0, so that the
 *  truth covers exactly what was produced. For interrupted real-time runs. */
void vl_sim_stop(vl_sim *s);
/** @brief Writes the ground truth of everything produced so far as JSON. */
int vl_sim_write_truth(vl_sim *s, FILE *f, vl_error *err) VL_MUST_CHECK;

#endif /* VL_EVENT_H */
