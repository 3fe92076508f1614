/* vidlake - Apache-2.0 */
/*
 * The event schema as data: the field table expanded from VL_EVENT_FIELDS,
 * the enum value lists, event type names and families, and the list of
 * assigned ISO 3166-1 alpha-2 country codes. Everything that needs to know
 * the shape of an event reads it from here.
 */
#include "event.h"

#include <math.h>
#include <string.h>

const char *const vl_event_type_names[VL_ET_COUNT] = {
#define X(id, name, fam) name,
    VL_EVENT_TYPES(X)
#undef X
};

const vl_event_family vl_event_type_family[VL_ET_COUNT] = {
#define X(id, name, fam) VL_FAM_##fam,
    VL_EVENT_TYPES(X)
#undef X
};

const char *const vl_event_family_names[VL_FAM_COUNT] = {"video", "interaction", "ad", "session"};

/* Value lists, in the order of the VL_CT_/VL_DT_/VL_TIER_/VL_ADPOS_ enums. */
static const char *const vl_enum_content_type[] = {"movie", "episode", "live", "short", "trailer"};
static const char *const vl_enum_device_type[] = {"tv",      "mobile",  "tablet",
                                                  "desktop", "console", "other"};
static const char *const vl_enum_subscription_tier[] = {"free", "basic", "standard", "premium"};
static const char *const vl_enum_ad_position[] = {"preroll", "midroll", "postroll"};
#define vl_enum_event_type vl_event_type_names
static const char *const vl_enum_NONE[1] = {NULL};

_Static_assert(sizeof(vl_enum_content_type) / sizeof(char *) == VL_CT_COUNT, "content types");
_Static_assert(sizeof(vl_enum_device_type) / sizeof(char *) == VL_DT_COUNT, "device types");
_Static_assert(sizeof(vl_enum_subscription_tier) / sizeof(char *) == VL_TIER_COUNT, "tiers");
_Static_assert(sizeof(vl_enum_ad_position) / sizeof(char *) == VL_ADPOS_COUNT, "ad positions");

#define IS_ENUM(ty) (VL_FT_##ty == VL_FT_ENUM)
#define NVALUES(en) (sizeof(vl_enum_##en) / sizeof(vl_enum_##en[0]))

const vl_field vl_event_fields[VL_F_COUNT] = {
#define X(id, nm, ty, en, lo, hi, fl, req)                                                       \
    {.name = nm,                                                                               \
     .name_len = sizeof(nm) - 1,                                                               \
     .type = VL_FT_##ty,                                                                     \
     .values = IS_ENUM(ty) ? vl_enum_##en : NULL,                                            \
     .n_values = IS_ENUM(ty) ? (uint8_t)NVALUES(en) : 0,                                     \
     .min = (lo),                                                                              \
     .max = (hi),                                                                              \
     .flags = (fl),                                                                            \
     .required_for = (req)},
    VL_EVENT_FIELDS(X)
#undef X
};

int vl_event_field_find(const char *name, size_t n) {
    for (int f = 0; f < VL_F_COUNT; f++)
        if (vl_event_fields[f].name_len == n && memcmp(vl_event_fields[f].name, name, n) == 0)
            return f;
    return -1;
}

int vl_event_enum_find(vl_field_id f, const char *s, size_t n) {
    const vl_field *fd = &vl_event_fields[f];
    for (int i = 0; i < fd->n_values; i++)
        if (strlen(fd->values[i]) == n && memcmp(fd->values[i], s, n) == 0) return i;
    return -1;
}

/* The officially assigned ISO 3166-1 alpha-2 codes (249), plus XK (Kosovo),
 * a user-assigned code that geo-IP databases and CDNs report. */
static const char countries[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZ"
    "BABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZ"
    "DEDJDKDMDODZ"
    "ECEEEGEHERESET"
    "FIFJFKFMFOFR"
    "GAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGY"
    "HKHMHNHRHTHU"
    "IDIEILIMINIOIQIRISIT"
    "JEJMJOJP"
    "KEKGKHKIKMKNKPKRKWKYKZ"
    "LALBLCLILKLRLSLTLULVLY"
    "MAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZ"
    "NANCNENFNGNINLNONPNRNUNZ"
    "OM"
    "PAPEPFPGPHPKPLPMPNPRPSPTPWPY"
    "QA"
    "RERORSRURW"
    "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZ"
    "TCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZ"
    "UAUGUMUSUYUZ"
    "VAVCVEVGVIVNVU"
    "WFWS"
    "XK"
    "YEYT"
    "ZAZMZW";

_Static_assert(sizeof(countries) - 1 == 250 * 2, "249 assigned codes plus XK");

bool vl_country_valid(const char *s, size_t n) {
    /* a 26x26 bitmap built on first use (idempotent, so races are benign) */
    static uint32_t rows[26];
    static int built;
    if (!__atomic_load_n(&built, __ATOMIC_ACQUIRE)) {
        uint32_t r[26] = {0};
        for (size_t i = 0; i + 1 < sizeof(countries); i += 2)
            r[countries[i] - 'A'] |= UINT32_C(1) << (countries[i + 1] - 'A');
        for (int i = 0; i < 26; i++) __atomic_store_n(&rows[i], r[i], __ATOMIC_RELAXED);
        __atomic_store_n(&built, 1, __ATOMIC_RELEASE);
    }
    if (n != 2) return false;
    unsigned a = (unsigned)(unsigned char)s[0] - 'A', b = (unsigned)(unsigned char)s[1] - 'A';
    if (a >= 26 || b >= 26) return false;
    return (rows[a] >> b) & 1;
}

bool vl_event_equal(const vl_event *a, const vl_event *b) {
    if (a->present != b->present) return false;
    for (int f = 0; f < VL_F_COUNT; f++) {
        if (!vl_event_has(a, (vl_field_id)f)) continue;
        const vl_value *x = &a->v[f], *y = &b->v[f];
        switch (vl_event_fields[f].type) {
        case VL_FT_STRING:
        case VL_FT_JSON:
            if (!vl_sv_eq(x->s, y->s)) return false;
            break;
        case VL_FT_DOUBLE:
            if (isnan(x->d) && isnan(y->d)) break;
            if (memcmp(&x->d, &y->d, sizeof(double)) != 0) return false;
            break;
        default:
            if (x->i != y->i) return false;
        }
    }
    return true;
}
