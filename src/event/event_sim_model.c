/* vidlake - Apache-2.0 */
/*
 * The simulator's world: who watches (countries and regions with their UTC
 * offsets, device and OS mixes, app versions, subscription tiers, viewing
 * habits, churn), what they watch (a catalog with Zipf popularity drawn
 * through alias tables, durations by content type, series of episodes) and
 * how it is delivered (CDNs of different quality, a bitrate ladder).
 *
 * Everything here is built once, from the seed, before the first event; the
 * engine in event_sim.c only reads it. The numbers are plausible shapes, not
 * measurements of any real service: they are chosen so that dashboards show
 * the patterns an operator expects (an evening peak per time zone, mobile
 * and the poor CDN stalling more, a long tail of content).
 */
#include "event_sim_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ the tables */

/* Regions with fixed UTC offsets (standard time, no DST: the simulated
 * clock is UTC and only the daily cycle depends on the offset). */
const sim_region vl_sim__regions[] = {
    /* US 0..5 */
    {SIM_STR("New York"), -300}, {SIM_STR("California"), -480}, {SIM_STR("Texas"), -360},
    {SIM_STR("Florida"), -300}, {SIM_STR("Illinois"), -360}, {SIM_STR("Washington"), -480},
    /* GB 6..8 */
    {SIM_STR("England"), 0}, {SIM_STR("Scotland"), 0}, {SIM_STR("Wales"), 0},
    /* DE 9..12 */
    {SIM_STR("Bavaria"), 60}, {SIM_STR("Berlin"), 60}, {SIM_STR("North Rhine-Westphalia"), 60},
    {SIM_STR("Hamburg"), 60},
    /* FR 13..15 */
    {SIM_STR("\xC3\x8Ele-de-France"), 60}, {SIM_STR("Provence-Alpes-C\xC3\xB4te d'Azur"), 60},
    {SIM_STR("Auvergne-Rh\xC3\xB4ne-Alpes"), 60},
    /* BR 16..19 */
    {SIM_STR("S\xC3\xA3o Paulo"), -180}, {SIM_STR("Rio de Janeiro"), -180},
    {SIM_STR("Minas Gerais"), -180}, {SIM_STR("Bahia"), -180},
    /* IN 20..23 */
    {SIM_STR("Maharashtra"), 330}, {SIM_STR("Karnataka"), 330}, {SIM_STR("Delhi"), 330},
    {SIM_STR("Tamil Nadu"), 330},
    /* JP 24..26 */
    {SIM_STR("Tokyo"), 540}, {SIM_STR("Osaka"), 540}, {SIM_STR("Kanagawa"), 540},
    /* CA 27..30 */
    {SIM_STR("Ontario"), -300}, {SIM_STR("Quebec"), -300}, {SIM_STR("British Columbia"), -480},
    {SIM_STR("Alberta"), -420},
    /* MX 31..33 */
    {SIM_STR("Mexico City"), -360}, {SIM_STR("Jalisco"), -360},
    {SIM_STR("Nuevo Le\xC3\xB3n"), -360},
    /* ES 34..36 */
    {SIM_STR("Madrid"), 60}, {SIM_STR("Catalonia"), 60}, {SIM_STR("Andalusia"), 60},
    /* IT 37..39 */
    {SIM_STR("Lombardy"), 60}, {SIM_STR("Lazio"), 60}, {SIM_STR("Campania"), 60},
    /* AU 40..43 */
    {SIM_STR("New South Wales"), 600}, {SIM_STR("Victoria"), 600}, {SIM_STR("Queensland"), 600},
    {SIM_STR("Western Australia"), 480},
    /* KR 44..46 */
    {SIM_STR("Seoul"), 540}, {SIM_STR("Busan"), 540}, {SIM_STR("Gyeonggi"), 540},
    /* NL 47..48 */
    {SIM_STR("North Holland"), 60}, {SIM_STR("South Holland"), 60},
    /* SE 49..50 */
    {SIM_STR("Stockholm"), 60}, {SIM_STR("V\xC3\xA4stra G\xC3\xB6taland"), 60},
    /* PL 51..52 */
    {SIM_STR("Masovia"), 60}, {SIM_STR("Lesser Poland"), 60},
    /* TR 53..54 */
    {SIM_STR("Istanbul"), 180}, {SIM_STR("Ankara"), 180},
    /* ID 55..57 */
    {SIM_STR("Jakarta"), 420}, {SIM_STR("West Java"), 420}, {SIM_STR("East Java"), 420},
    /* PH 58..59 */
    {SIM_STR("Metro Manila"), 480}, {SIM_STR("Cebu"), 480},
    /* NG 60..61 */
    {SIM_STR("Lagos"), 60}, {SIM_STR("Abuja"), 60},
    /* ZA 62..63 */
    {SIM_STR("Gauteng"), 120}, {SIM_STR("Western Cape"), 120},
    /* AR 64..65 */
    {SIM_STR("Buenos Aires"), -180}, {SIM_STR("C\xC3\xB3rdoba"), -180},
};

#define TV SIM_PROFILE_TV
#define MOB SIM_PROFILE_MOBILE
const sim_country vl_sim__countries[] = {
    {"US", 28, TV, 0, 6, 1.6},  {"GB", 7, TV, 6, 3, 1.3},   {"DE", 6, TV, 9, 4, 1.2},
    {"FR", 5, TV, 13, 3, 1.1},  {"BR", 7, MOB, 16, 4, 0.5}, {"IN", 9, MOB, 20, 4, 0.3},
    {"JP", 5, TV, 24, 3, 1.2},  {"CA", 4, TV, 27, 4, 1.3},  {"MX", 4, MOB, 31, 3, 0.5},
    {"ES", 3, TV, 34, 3, 0.9},  {"IT", 3, TV, 37, 3, 0.9},  {"AU", 3, TV, 40, 4, 1.3},
    {"KR", 3, TV, 44, 3, 1.0},  {"NL", 2, TV, 47, 2, 1.1},  {"SE", 1.5, TV, 49, 2, 1.1},
    {"PL", 2, TV, 51, 2, 0.7},  {"TR", 2, MOB, 53, 2, 0.4}, {"ID", 3, MOB, 55, 3, 0.3},
    {"PH", 2, MOB, 58, 2, 0.3}, {"NG", 2, MOB, 60, 2, 0.25}, {"ZA", 1.5, MOB, 62, 2, 0.5},
    {"AR", 2, MOB, 64, 2, 0.4},
};
const int vl_sim__n_countries = (int)(sizeof(vl_sim__countries) / sizeof(vl_sim__countries[0]));
_Static_assert(sizeof(vl_sim__countries) / sizeof(vl_sim__countries[0]) <= 32, "country_cdf");

/* One CDN is clearly worse: slower starts, three times the stalls and
 * failures. It carries more of the traffic in mobile-first markets. */
const sim_cdn vl_sim__cdns[] = {
    {SIM_STR("akamai"), 1.0, 1.0, 1.0, {30, 26}},
    {SIM_STR("cloudfront"), 1.1, 1.1, 1.1, {26, 22}},
    {SIM_STR("fastly"), 0.9, 0.9, 0.9, {20, 14}},
    {SIM_STR("cloudflare"), 1.0, 1.2, 1.0, {16, 20}},
    {SIM_STR("budget-edge"), 1.9, 3.2, 3.0, {8, 18}},
};
const int vl_sim__n_cdns = (int)(sizeof(vl_sim__cdns) / sizeof(vl_sim__cdns[0]));
#define POOR_CDN 4

const sim_rung vl_sim__ladder[] = {
    {400, SIM_STR("240p")},   {800, SIM_STR("360p")},   {1500, SIM_STR("480p")},
    {3000, SIM_STR("720p")},  {6000, SIM_STR("1080p")}, {9000, SIM_STR("1440p")},
    {15000, SIM_STR("2160p")},
};
const int vl_sim__n_rungs = (int)(sizeof(vl_sim__ladder) / sizeof(vl_sim__ladder[0]));

const sim_str vl_sim__os_names[] = {
    SIM_STR("Tizen"),    SIM_STR("webOS"),   SIM_STR("Android TV"), SIM_STR("tvOS"),
    SIM_STR("Roku OS"),  SIM_STR("Fire OS"), SIM_STR("iOS"),        SIM_STR("Android"),
    SIM_STR("iPadOS"),   SIM_STR("Windows"), SIM_STR("macOS"),      SIM_STR("ChromeOS"),
    SIM_STR("Linux"),    SIM_STR("PlayStation"), SIM_STR("Xbox"),
};

/* Most users run the latest release; the oldest one fails more (see the
 * engine's app_penalty). */
const sim_str vl_sim__app_versions[] = {SIM_STR("7.12.0"), SIM_STR("7.11.2"), SIM_STR("7.10.1"),
                                        SIM_STR("7.9.0"), SIM_STR("6.22.4")};
const int vl_sim__n_app_versions = 5;
static const double app_cdf[] = {0.60, 0.80, 0.90, 0.96, 1.0};

/* Viewing by local hour: a trough at 3-5 am, a lunch bump and an evening
 * peak at 20-22 h. Relative weights. */
const double vl_sim__hour_weight[24] = {3.0, 1.8, 1.0, 0.6, 0.5, 0.6, 1.2, 2.0, 2.4, 2.4, 2.5, 2.8,
                                        3.4, 3.3, 3.0, 3.1, 3.6, 4.5, 5.8, 7.5, 9.0, 9.2, 7.4, 5.0};

/* Device type mix per profile, in VL_DT_* order (tv mobile tablet desktop console other). */
static const double device_mix[SIM_PROFILE_COUNT][VL_DT_COUNT] = {
    {0.36, 0.30, 0.10, 0.16, 0.07, 0.01},
    {0.14, 0.62, 0.07, 0.14, 0.02, 0.01},
};

/* OS per device type: indexes into vl_sim__os_names with a weight per profile. */
typedef struct {
    uint8_t n;
    uint8_t os[6];
    double w[SIM_PROFILE_COUNT][6];
} os_mix;
static const os_mix os_by_device[VL_DT_COUNT] = {
    [VL_DT_TV] = {6, {0, 1, 2, 3, 4, 5}, {{.28, .20, .20, .10, .14, .08}, {.30, .15, .35, .04, .06, .10}}},
    [VL_DT_MOBILE] = {2, {6, 7}, {{.50, .50}, {.18, .82}}},
    [VL_DT_TABLET] = {2, {8, 7}, {{.60, .40}, {.35, .65}}},
    [VL_DT_DESKTOP] = {4, {9, 10, 11, 12}, {{.70, .22, .05, .03}, {.80, .08, .07, .05}}},
    [VL_DT_CONSOLE] = {2, {13, 14}, {{.55, .45}, {.60, .40}}},
    [VL_DT_OTHER] = {1, {12}, {{1}, {1}}},
};

static const double tier_mix[SIM_PROFILE_COUNT][VL_TIER_COUNT] = {
    {0.30, 0.22, 0.30, 0.18},
    {0.55, 0.20, 0.17, 0.08},
};
static const double habit_mix[SIM_HABIT_COUNT] = {0.55, 0.20, 0.25};
static const double churn_per_day[SIM_HABIT_COUNT] = {0.012, 0.004, 0.008};

/* ---------------------------------------------------------------- helpers */

int vl_sim__pick(const double *cdf, int n, double u) {
    for (int i = 0; i < n - 1; i++)
        if (u < cdf[i]) return i;
    return n - 1;
}

static int pick_weights(vl_rng *r, const double *w, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += w[i];
    double u = vl_rng_unif(r) * sum;
    for (int i = 0; i < n - 1; i++) {
        if (u < w[i]) return i;
        u -= w[i];
    }
    return n - 1;
}

/* ------------------------------------------------------------ alias table */

static int alias_build(sim_alias *a, const uint32_t *items, const double *w, uint32_t n) {
    a->n = n;
    a->item = vl_malloc(n * sizeof(uint32_t));
    a->alias = vl_malloc(n * sizeof(uint32_t));
    a->prob = vl_malloc(n * sizeof(double));
    uint32_t *small = vl_malloc(n * sizeof(uint32_t)), *large = vl_malloc(n * sizeof(uint32_t));
    double *scaled = vl_malloc(n * sizeof(double));
    int rc = VL_OK;
    if (!a->item || !a->alias || !a->prob || !small || !large || !scaled) {
        rc = VL_ENOMEM;
        goto done;
    }
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) sum += w[i];
    uint32_t ns = 0, nl = 0;
    for (uint32_t i = 0; i < n; i++) {
        a->item[i] = items[i];
        a->alias[i] = i;
        scaled[i] = w[i] * n / sum;
        if (scaled[i] < 1.0) small[ns++] = i;
        else large[nl++] = i;
    }
    while (ns && nl) {
        uint32_t s = small[--ns], l = large[nl - 1];
        a->prob[s] = scaled[s];
        a->alias[s] = l;
        scaled[l] -= 1.0 - scaled[s];
        if (scaled[l] < 1.0) {
            nl--;
            small[ns++] = l;
        }
    }
    while (nl) a->prob[large[--nl]] = 1.0;
    while (ns) a->prob[small[--ns]] = 1.0; /* rounding leftovers */
done:
    vl_free(small);
    vl_free(large);
    vl_free(scaled);
    return rc;
}

static void alias_free(sim_alias *a) {
    vl_free(a->item);
    vl_free(a->alias);
    vl_free(a->prob);
    memset(a, 0, sizeof(*a));
}

uint32_t vl_sim__alias_draw(const sim_alias *a, vl_rng *r) {
    /* one 64-bit draw: the high 32 bits pick the slot, the low 32 the coin */
    uint64_t x = vl_rng_next(r);
    uint32_t i = (uint32_t)(((x >> 32) * (uint64_t)a->n) >> 32);
    double coin = (double)(uint32_t)x * 0x1.0p-32;
    return a->item[coin < a->prob[i] ? i : a->alias[i]];
}

/* ---------------------------------------------------------------- catalog */

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static int catalog_build(sim_world *w, uint32_t n, vl_rng *r) {
    w->content = vl_calloc(n, sizeof(sim_content));
    uint32_t *items = vl_malloc(n * sizeof(uint32_t));
    double *wt = vl_malloc(n * sizeof(double));
    int rc = VL_OK;
    if (!w->content || !items || !wt) {
        rc = VL_ENOMEM;
        goto done;
    }
    w->n_content = n;
    /* long form: 35% movies, 4% live events, the rest seasons of episodes */
    uint32_t n_long = n * 3 / 5, i = 0, series = 0, movies = 0, lives = 0, shorts = 0, trailers = 0;
    uint32_t n_movies = n_long * 35 / 100, n_live = n_long * 4 / 100;
    for (; i < n_movies; i++) {
        sim_content *c = &w->content[i];
        c->type = VL_CT_MOVIE;
        c->dur_ms = clamp64((int64_t)((112 + 16 * vl_rng_normal(r)) * 60000), 80 * 60000, 150 * 60000);
        c->id_n = (uint8_t)snprintf(c->id, sizeof(c->id), "mov-%06u", ++movies);
        c->next = UINT32_MAX;
    }
    for (; i < n_movies + n_live; i++) {
        sim_content *c = &w->content[i];
        c->type = VL_CT_LIVE;
        c->dur_ms = (int64_t)(2 + vl_rng_below(r, 7)) * 30 * 60000; /* 1 h .. 4 h */
        c->id_n = (uint8_t)snprintf(c->id, sizeof(c->id), "live-%05u", ++lives);
        c->next = UINT32_MAX;
    }
    while (i < n_long) {
        /* a season: 6..24 episodes of about the same length */
        static const int lens[] = {22, 30, 45, 55};
        int base = lens[vl_rng_below(r, 4)];
        uint32_t eps = 6 + (uint32_t)vl_rng_below(r, 19);
        series++;
        for (uint32_t e = 1; e <= eps && i < n_long; e++, i++) {
            sim_content *c = &w->content[i];
            c->type = VL_CT_EPISODE;
            c->dur_ms = clamp64((int64_t)((base + 2.5 * vl_rng_normal(r)) * 60000), 20 * 60000, 60 * 60000);
            c->id_n = (uint8_t)snprintf(c->id, sizeof(c->id), "ep-%05u-%02u", series, e);
            c->next = e < eps && i + 1 < n_long ? i + 1 : UINT32_MAX;
        }
    }
    for (; i < n; i++) {
        sim_content *c = &w->content[i];
        c->next = UINT32_MAX;
        if (vl_rng_chance(r, 0.85)) {
            c->type = VL_CT_SHORT;
            c->dur_ms = 15000 + (int64_t)vl_rng_below(r, 75001);
            c->id_n = (uint8_t)snprintf(c->id, sizeof(c->id), "sh-%07u", ++shorts);
        } else {
            c->type = VL_CT_TRAILER;
            c->dur_ms = 60000 + (int64_t)vl_rng_below(r, 120001);
            c->id_n = (uint8_t)snprintf(c->id, sizeof(c->id), "tr-%06u", ++trailers);
        }
    }
    /* Zipf popularity over a random ranking of each pool (s = 1.05 for long
     * form, 0.9 for the flatter short-form feed). */
    for (int pool = 0; pool < 2; pool++) {
        uint32_t lo = pool ? n_long : 0, hi = pool ? n : n_long, m = hi - lo;
        double s = pool ? 0.9 : 1.05;
        for (uint32_t k = 0; k < m; k++) items[k] = lo + k;
        for (uint32_t k = m; k > 1; k--) { /* Fisher-Yates */
            uint32_t j = (uint32_t)vl_rng_below(r, k);
            uint32_t tmp = items[k - 1];
            items[k - 1] = items[j];
            items[j] = tmp;
        }
        for (uint32_t k = 0; k < m; k++) wt[k] = 1.0 / pow((double)k + 1.0, s);
        rc = alias_build(pool ? &w->short_form : &w->long_form, items, wt, m);
        if (rc) goto done;
    }
done:
    vl_free(items);
    vl_free(wt);
    return rc;
}

/* ------------------------------------------------------------------ users */

static void user_build(sim_user *u, vl_rng *r, const sim_world *w, uint32_t days, bool churn,
                       double activity) {
    memset(u, 0, sizeof(*u));
    u->country = (uint8_t)vl_sim__pick(w->country_cdf, vl_sim__n_countries, vl_rng_unif(r));
    const sim_country *co = &vl_sim__countries[u->country];
    u->region = (uint8_t)(co->region0 + vl_rng_below(r, co->n_regions));
    u->habit = (uint8_t)pick_weights(r, habit_mix, SIM_HABIT_COUNT);
    u->tier = (uint8_t)pick_weights(r, tier_mix[co->profile], VL_TIER_COUNT);
    double d = vl_rng_unif(r);
    u->n_dev = d < 0.45 ? 1 : d < 0.85 ? 2 : 3;
    for (int k = 0; k < u->n_dev; k++) {
        int dt = pick_weights(r, device_mix[co->profile], VL_DT_COUNT);
        const os_mix *om = &os_by_device[dt];
        u->dev_type[k] = (uint8_t)dt;
        u->dev_os[k] = om->os[pick_weights(r, om->w[co->profile], om->n)];
        u->dev_app[k] = (uint8_t)vl_sim__pick(app_cdf, vl_sim__n_app_versions, vl_rng_unif(r));
    }
    /* people differ: a lognormal activity with mean 1 (sigma 0.5) */
    u->activity = (float)(activity * exp(0.5 * vl_rng_normal(r) - 0.125));
    u->join_day = 0;
    u->churn_day = SIM_DAY_NEVER;
    u->last_day = INT32_MIN;
    if (churn) {
        if (days > 1 && vl_rng_chance(r, 0.08)) u->join_day = (int16_t)(1 + vl_rng_below(r, days - 1));
        double h = churn_per_day[u->habit];
        double g = floor(log(1.0 - vl_rng_unif(r)) / log(1.0 - h)) + 1; /* days to churn */
        if (u->join_day + g < 32000) u->churn_day = (int16_t)(u->join_day + g);
    }
}

int vl_sim__world_build(sim_world *w, uint32_t users, uint32_t days, bool churn, double activity,
                        uint64_t seed) {
    memset(w, 0, sizeof(*w));
    double sum = 0, acc = 0;
    for (int c = 0; c < vl_sim__n_countries; c++) sum += vl_sim__countries[c].weight;
    for (int c = 0; c < vl_sim__n_countries; c++) {
        acc += vl_sim__countries[c].weight;
        w->country_cdf[c] = acc / sum;
    }
    for (int p = 0; p < SIM_PROFILE_COUNT; p++) {
        double s = 0, a = 0;
        for (int k = 0; k < vl_sim__n_cdns; k++) s += vl_sim__cdns[k].weight[p];
        for (int k = 0; k < vl_sim__n_cdns; k++) {
            a += vl_sim__cdns[k].weight[p];
            w->cdn_cdf[p][k] = a / s;
        }
    }
    vl_rng r;
    vl_rng_seed(&r, vl_mix64(seed ^ 0x55534552u)); /* "USER" */
    w->users = vl_calloc(users ? users : 1, sizeof(sim_user));
    if (!w->users) return VL_ENOMEM;
    w->n_users = users;
    for (uint32_t i = 0; i < users; i++) user_build(&w->users[i], &r, w, days, churn, activity);
    vl_rng_seed(&r, vl_mix64(seed ^ 0x434154414cu)); /* "CATAL" */
    uint32_t n_content = users / 3;
    if (n_content < 3000) n_content = 3000;
    if (n_content > 60000) n_content = 60000;
    int rc = catalog_build(w, n_content, &r);
    if (rc) vl_sim__world_free(w);
    return rc;
}

void vl_sim__world_free(sim_world *w) {
    vl_free(w->users);
    vl_free(w->content);
    alias_free(&w->long_form);
    alias_free(&w->short_form);
    memset(w, 0, sizeof(*w));
}
