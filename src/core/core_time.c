/* vidlake - Apache-2.0 */
/*
 * Civil time without the C library's time zone machinery: timestamps are
 * int64 microseconds since the Unix epoch in UTC, dates int64 days. The
 * civil <-> days conversion is Howard Hinnant's era-based algorithm
 * ("chrono-Compatible Low-Level Date Algorithms"), exact over the whole
 * proleptic Gregorian calendar.
 */
#include "core.h"

#include <string.h>
#include <time.h>

int64_t vl_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);                            /* [0, 399] */
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;       /* [0, 365] */
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                /* [0, 146096] */
    return era * 146097 + (int64_t)doe - 719468;
}

void vl_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int vl_weekday(int64_t days) {
    /* 1970-01-01 was a Thursday (3 with Monday = 0) */
    int64_t w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static unsigned days_in_month(int64_t y, unsigned m) {
    static const unsigned char dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dim[m - 1];
}

static bool digits(const char *p, size_t k, unsigned *out) {
    unsigned v = 0;
    for (size_t i = 0; i < k; i++) {
        unsigned d = (unsigned)(unsigned char)p[i] - '0';
        if (d > 9) return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int parse_date_part(const char *p, size_t n, int64_t *days, vl_error *err) {
    unsigned y, m, d;
    if (n < 10 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &m) || p[7] != '-' ||
        !digits(p + 8, 2, &d))
        return vl_error_set(err, VL_EINVAL, "expected a date YYYY-MM-DD");
    if (m < 1 || m > 12) return vl_error_set(err, VL_EINVAL, "month %u out of range", m);
    if (d < 1 || d > days_in_month(y, m))
        return vl_error_set(err, VL_EINVAL, "day %u out of range for %04u-%02u", d, y, m);
    *days = vl_days_from_civil(y, m, d);
    return VL_OK;
}

int vl_date_parse(const char *p, size_t n, int64_t *days, vl_error *err) {
    if (n != 10) return vl_error_set(err, VL_EINVAL, "expected a date YYYY-MM-DD");
    return parse_date_part(p, n, days, err);
}

int vl_ts_parse(const char *p, size_t n, int64_t *us, vl_error *err) {
    int64_t days;
    VL_RETURN_IF_ERR(parse_date_part(p, n, &days, err));
    unsigned hh, mi, ss;
    if (n < 19 || (p[10] != 'T' && p[10] != 't' && p[10] != ' '))
        return vl_error_set(err, VL_EINVAL, "expected 'T' and a time after the date");
    if (!digits(p + 11, 2, &hh) || p[13] != ':' || !digits(p + 14, 2, &mi) || p[16] != ':' ||
        !digits(p + 17, 2, &ss))
        return vl_error_set(err, VL_EINVAL, "expected a time HH:MM:SS");
    if (hh > 23 || mi > 59 || ss > 60)
        return vl_error_set(err, VL_EINVAL, "time %02u:%02u:%02u out of range", hh, mi, ss);
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && p[i] == '.') {
        i++;
        size_t start = i;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (i - start < 6) frac = frac * 10 + (p[i] - '0');
            i++;
        }
        size_t nd = i - start;
        if (nd == 0) return vl_error_set(err, VL_EINVAL, "expected digits after '.'");
        if (nd > 9) return vl_error_set(err, VL_EINVAL, "more than 9 fractional digits");
        for (size_t k = nd; k < 6; k++) frac *= 10;
    }
    if (ss == 60) { /* leap second: the last microsecond of the minute */
        ss = 59;
        frac = 999999;
    }
    int64_t off = 0;
    if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
        i++;
    } else if (i < n && (p[i] == '+' || p[i] == '-')) {
        unsigned oh, om;
        if (n - i < 6 || !digits(p + i + 1, 2, &oh) || p[i + 3] != ':' || !digits(p + i + 4, 2, &om))
            return vl_error_set(err, VL_EINVAL, "expected a UTC offset +HH:MM");
        if (oh > 23 || om > 59) return vl_error_set(err, VL_EINVAL, "UTC offset out of range");
        off = ((int64_t)oh * 60 + om) * 60;
        if (p[i] == '-') off = -off;
        i += 6;
    } else {
        return vl_error_set(err, VL_EINVAL, "missing time zone ('Z' or +HH:MM)");
    }
    if (i != n) return vl_error_set(err, VL_EINVAL, "unexpected characters after the time zone");
    int64_t secs = days * 86400 + (int64_t)hh * 3600 + (int64_t)mi * 60 + ss - off;
    *us = secs * VL_US_PER_SEC + frac;
    return VL_OK;
}

static inline void put2(char *o, unsigned v) {
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

size_t vl_date_format(char *o, int64_t days) {
    int64_t y;
    unsigned m, d;
    vl_civil_from_days(days, &y, &m, &d);
    if (y < 0) y = 0;
    if (y > 9999) y = 9999;
    put2(o, (unsigned)(y / 100));
    put2(o + 2, (unsigned)(y % 100));
    o[4] = '-';
    put2(o + 5, m);
    o[7] = '-';
    put2(o + 8, d);
    return 10;
}

size_t vl_ts_format(char *o, int64_t us) {
    /* Consecutive timestamps nearly always share a day: keep the last date
     * per thread instead of converting the calendar every time. */
    static _Thread_local int64_t cached_day = INT64_MIN;
    static _Thread_local char cached_date[10];
    int64_t day = vl_ts_day(us);
    int64_t rem = us - day * VL_US_PER_DAY; /* [0, 86400e6) */
    unsigned secs = (unsigned)(rem / VL_US_PER_SEC);
    unsigned frac = (unsigned)(rem % VL_US_PER_SEC);
    if (day != cached_day) {
        vl_date_format(cached_date, day);
        cached_day = day;
    }
    memcpy(o, cached_date, 10);
    o[10] = 'T';
    put2(o + 11, secs / 3600);
    o[13] = ':';
    put2(o + 14, secs / 60 % 60);
    o[16] = ':';
    put2(o + 17, secs % 60);
    o[19] = '.';
    for (int k = 25; k >= 20; k--) {
        o[k] = (char)('0' + frac % 10);
        frac /= 10;
    }
    o[26] = 'Z';
    return 27;
}

int64_t vl_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * VL_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t vl_mono_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * VL_US_PER_SEC + ts.tv_nsec / 1000;
}
