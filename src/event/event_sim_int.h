/* vidlake - Apache-2.0 */
/*
 * The simulator's private structures, shared by event_sim.c (the engine:
 * scheduling, the player state machine, output, faults and truth) and
 * event_sim_model.c (the world: countries, devices, CDNs, the bitrate
 * ladder, the user population, the content catalog and its popularity).
 * Only src/event/ includes this header.
 *
 * Time: every instant is int64 microseconds UTC, but all simulated delays
 * are whole milliseconds, so every event_time is a whole millisecond and the
 * truth (startup, watch and stall time in ms) is exact integer arithmetic on
 * what was emitted.
 */
#ifndef VL_EVENT_SIM_INT_H
#define VL_EVENT_SIM_INT_H

#include "event.h"

#define SIM_MS INT64_C(1000) /* one millisecond in µs */
#define SIM_SEC INT64_C(1000000)
#define SIM_MIN (60 * SIM_SEC)
#define SIM_HOUR (3600 * SIM_SEC)
#define SIM_NEVER INT64_MAX

/* A string with its length, for tables whose entries go into events. */
typedef struct sim_str {
    const char *p;
    uint8_t n;
} sim_str;
#define SIM_STR(lit) {(lit), (uint8_t)(sizeof(lit) - 1)}

/* ------------------------------------------------------------- the world */

enum { SIM_PROFILE_TV, SIM_PROFILE_MOBILE, SIM_PROFILE_COUNT }; /* country device mixes */

typedef struct sim_region {
    sim_str name;
    int16_t utc_off_min; /* fixed offset (no DST), minutes east of UTC */
} sim_region;

typedef struct sim_country {
    char code[3];
    double weight;     /* share of users */
    uint8_t profile;   /* SIM_PROFILE_* */
    uint8_t region0;   /* first index in vl_sim__regions */
    uint8_t n_regions;
    double ad_value;   /* CPM multiplier */
} sim_country;

typedef struct sim_cdn {
    sim_str name;
    double startup, stall, fail; /* multipliers on the base model */
    double weight[SIM_PROFILE_COUNT];
} sim_cdn;

typedef struct sim_rung {
    int32_t kbps;
    sim_str res;
} sim_rung;

/* Offsets span -8h .. +10h: a local day d starts at most 10h before UTC day d. */
#define SIM_MAX_EAST_MIN 600

extern const sim_country vl_sim__countries[];
extern const int vl_sim__n_countries;
extern const sim_region vl_sim__regions[];
extern const sim_cdn vl_sim__cdns[];
extern const int vl_sim__n_cdns;
extern const sim_rung vl_sim__ladder[];
extern const int vl_sim__n_rungs;
extern const sim_str vl_sim__os_names[];
extern const sim_str vl_sim__app_versions[];
extern const int vl_sim__n_app_versions;
extern const double vl_sim__hour_weight[24]; /* relative viewing by local hour */

/* --------------------------------------------------------------- users */

enum { SIM_HABIT_CASUAL, SIM_HABIT_BINGE, SIM_HABIT_WEEKEND, SIM_HABIT_COUNT };
#define SIM_MAX_DEVICES 3
#define SIM_DAY_NEVER INT16_MAX

typedef struct sim_user {
    uint8_t country, region, habit, tier;
    uint8_t n_dev;
    uint8_t busy; /* has a session running: a planned one is skipped */
    uint8_t dev_type[SIM_MAX_DEVICES], dev_os[SIM_MAX_DEVICES], dev_app[SIM_MAX_DEVICES];
    int16_t join_day, churn_day; /* active on plan days join_day <= d < churn_day */
    int32_t last_day;            /* truth: the last UTC day it was counted in */
    float activity;              /* sessions-per-day multiplier */
} sim_user;

/* --------------------------------------------------------------- catalog */

typedef struct sim_content {
    int64_t dur_ms;
    uint32_t next; /* the next episode of the series, or UINT32_MAX */
    uint8_t type;  /* VL_CT_* */
    uint8_t id_n;
    char id[18];
} sim_content;

/* Vose's alias table: O(1) draws from a fixed discrete distribution. */
typedef struct sim_alias {
    uint32_t n;
    uint32_t *item;  /* item[i]: catalog index of slot i */
    uint32_t *alias; /* slot to use when the coin says so */
    double *prob;    /* probability of keeping slot i */
} sim_alias;

typedef struct sim_world {
    sim_user *users;
    uint32_t n_users;
    sim_content *content;
    uint32_t n_content;
    sim_alias long_form, short_form; /* movie/episode/live; short/trailer */
    double country_cdf[32];
    double cdn_cdf[SIM_PROFILE_COUNT][8];
} sim_world;

/** @brief Builds users and catalog from rng (deterministic for a seed).
 *  churn false: everyone is active every day (real-time mode). */
int vl_sim__world_build(sim_world *w, uint32_t users, uint32_t days, bool churn, double activity,
                        uint64_t seed) VL_MUST_CHECK;
void vl_sim__world_free(sim_world *w);
uint32_t vl_sim__alias_draw(const sim_alias *a, vl_rng *r);
/** @return an index drawn from cdf[0..n) (increasing, last = 1). */
int vl_sim__pick(const double *cdf, int n, double u);

#endif /* VL_EVENT_SIM_INT_H */
