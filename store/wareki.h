/* wareki.h - Gregorian dates to the Japanese era calendar (和暦) for reports and the UI.
 *
 * Eras: 令和 from 2019-05-01, 平成 from 1989-01-08, 昭和 from 1926-12-25; the first year of an
 * era is written 元年. Fiscal years run April to March and take the era of their start year's
 * name as Japanese administrations write it (FY2019 = 令和元年度, FY2018 = 平成30年度).
 *
 * Every function writes a NUL-terminated UTF-8 string into the caller's buffer and returns its
 * length in bytes, or -1 when the date is invalid or before 昭和 (buffer then holds ""), or when
 * the buffer is too small (WAREKI_MAX bytes always suffice). Nothing is allocated.
 */
#ifndef HYOKA_WAREKI_H
#define HYOKA_WAREKI_H

#include <stdbool.h>
#include <stddef.h>

#define WAREKI_MAX 64 /* bytes: the longest label ("平成31年度上半期末"-like) fits with room */

/* Parses "YYYY-MM-DD" (exactly, as PostgreSQL prints dates); false if malformed or invalid. */
bool wareki_parse_iso(const char *iso, int *year, int *month, int *day);

/* 2024-10-01 -> "令和6年10月1日" */
int wareki_day(int year, int month, int day, char *out, size_t n);
/* 2024-10 -> "令和6年10月"; the era of the month's first day (2019-04 -> "平成31年4月"). */
int wareki_month(int year, int month, char *out, size_t n);
/* 2023 -> "令和5年度" (FY2023 = 2023-04-01 .. 2024-03-31). */
int wareki_fiscal_year(int fiscal_year, char *out, size_t n);
/* The label of a survey's as-of date: a fiscal year's last day (March 31) gives "令和5年度末",
 * any other date its month ("令和6年10月"). */
int wareki_as_of(int year, int month, int day, char *out, size_t n);
/* The same from "YYYY-MM-DD"; -1 if it does not parse. */
int wareki_as_of_iso(const char *iso, char *out, size_t n);
/* wareki_day from the first 10 characters ("YYYY-MM-DD") of an ISO date or timestamp. */
int wareki_day_iso(const char *iso, char *out, size_t n);
/* wareki_month from "YYYY-MM-DD"; -1 if it does not parse. */
int wareki_month_iso(const char *iso, char *out, size_t n);

#endif
