/* wareki.c - Gregorian dates to 和暦 labels (令和5年度末, 令和6年10月, 令和6年10月1日).
 *
 * Hand-written on purpose: glibc's strftime era support (%EY) depends on an installed ja_JP locale
 * and on the process locale, which a server must not switch per request; ICU would be a large
 * dependency for three table lookups.
 */
#include "wareki.h"

#include <stdio.h>
#include <string.h>

typedef struct era {
    const char *name;
    int year, month, day; /* first day of the era */
} era;

/* Newest first, so the first era whose start is <= the date is the right one. */
static const era eras[] = {
    {"令和", 2019, 5, 1},
    {"平成", 1989, 1, 8},
    {"昭和", 1926, 12, 25},
};
#define NERAS (sizeof eras / sizeof eras[0])

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

static bool valid_date(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

static int compare_date(int y1, int m1, int d1, int y2, int m2, int d2)
{
    if (y1 != y2)
        return y1 < y2 ? -1 : 1;
    if (m1 != m2)
        return m1 < m2 ? -1 : 1;
    if (d1 != d2)
        return d1 < d2 ? -1 : 1;
    return 0;
}

static const era *find_era(int y, int m, int d)
{
    for (size_t i = 0; i < NERAS; i++)
        if (compare_date(y, m, d, eras[i].year, eras[i].month, eras[i].day) >= 0)
            return &eras[i];
    return NULL;
}

/* Writes "<era><N|元>年" followed by `rest`; -1 (and "") if it does not fit. */
static int put_year(char *out, size_t n, const era *e, int year, const char *rest)
{
    int ey = year - e->year + 1;
    int len;
    if (ey == 1)
        len = snprintf(out, n, "%s元年%s", e->name, rest);
    else
        len = snprintf(out, n, "%s%d年%s", e->name, ey, rest);
    if (len < 0 || (size_t)len >= n) {
        if (n > 0)
            out[0] = '\0';
        return -1;
    }
    return len;
}

static int fail(char *out, size_t n)
{
    if (n > 0)
        out[0] = '\0';
    return -1;
}

bool wareki_parse_iso(const char *iso, int *year, int *month, int *day)
{
    if (iso == NULL || strlen(iso) != 10 || iso[4] != '-' || iso[7] != '-')
        return false;
    int v[3] = {0, 0, 0};
    static const int starts[3] = {0, 5, 8}, lens[3] = {4, 2, 2};
    for (int f = 0; f < 3; f++) {
        for (int i = 0; i < lens[f]; i++) {
            char c = iso[starts[f] + i];
            if (c < '0' || c > '9')
                return false;
            v[f] = v[f] * 10 + (c - '0');
        }
    }
    if (!valid_date(v[0], v[1], v[2]))
        return false;
    *year = v[0];
    *month = v[1];
    *day = v[2];
    return true;
}

int wareki_day(int year, int month, int day, char *out, size_t n)
{
    if (!valid_date(year, month, day))
        return fail(out, n);
    const era *e = find_era(year, month, day);
    if (e == NULL)
        return fail(out, n);
    char rest[32]; /* "12月31日": the compiler cannot see month and day are 1..31 */
    snprintf(rest, sizeof rest, "%d月%d日", month, day);
    return put_year(out, n, e, year, rest);
}

int wareki_month(int year, int month, char *out, size_t n)
{
    if (!valid_date(year, month, 1))
        return fail(out, n);
    const era *e = find_era(year, month, 1);
    if (e == NULL)
        return fail(out, n);
    char rest[32]; /* "12月31日": the compiler cannot see month and day are 1..31 */
    snprintf(rest, sizeof rest, "%d月", month);
    return put_year(out, n, e, year, rest);
}

int wareki_fiscal_year(int fiscal_year, char *out, size_t n)
{
    if (fiscal_year < 1 || fiscal_year > 9998)
        return fail(out, n);
    /* A fiscal year is named in the era that holds most of it, as administrations write it:
     * FY2019 began in 平成31 but is 令和元年度, FY1988 ended in 平成 but is 昭和63年度. Eras
     * change in January or May, so the era of June 1 is the one that holds most of the year,
     * and the number counts calendar years of that era. */
    const era *e = find_era(fiscal_year, 6, 1);
    if (e == NULL)
        return fail(out, n);
    int ey = fiscal_year - e->year + 1;
    int len;
    if (ey == 1)
        len = snprintf(out, n, "%s元年度", e->name);
    else
        len = snprintf(out, n, "%s%d年度", e->name, ey);
    if (len < 0 || (size_t)len >= n)
        return fail(out, n);
    return len;
}

int wareki_as_of(int year, int month, int day, char *out, size_t n)
{
    if (!valid_date(year, month, day))
        return fail(out, n);
    if (month == 3 && day == 31) {
        int len = wareki_fiscal_year(year - 1, out, n);
        if (len < 0 || (size_t)len + sizeof "末" > n)
            return fail(out, n);
        memcpy(out + len, "末", sizeof "末");
        return len + (int)sizeof "末" - 1;
    }
    return wareki_month(year, month, out, n);
}

int wareki_as_of_iso(const char *iso, char *out, size_t n)
{
    int y, m, d;
    if (!wareki_parse_iso(iso, &y, &m, &d))
        return fail(out, n);
    return wareki_as_of(y, m, d, out, n);
}

int wareki_month_iso(const char *iso, char *out, size_t n)
{
    int y, m, d;
    if (!wareki_parse_iso(iso, &y, &m, &d))
        return fail(out, n);
    return wareki_month(y, m, out, n);
}

int wareki_day_iso(const char *iso, char *out, size_t n)
{
    char date[11];
    int y, m, d;
    if (iso == NULL || strlen(iso) < 10)
        return fail(out, n);
    memcpy(date, iso, 10);
    date[10] = '\0';
    if (!wareki_parse_iso(date, &y, &m, &d))
        return fail(out, n);
    return wareki_day(y, m, d, out, n);
}
