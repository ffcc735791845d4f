/* csv_cell.h - the value syntaxes of `hyoka import` cells: decimals with thousands separators,
 * progress as 0.5 or 50%, dates YYYY-MM-DD or YYYY/M/D, booleans in the spellings SPEC allows.
 *
 * Every function reads a NUL-terminated UTF-8 cell (already trimmed) and writes the normalised
 * text PostgreSQL accepts into a caller-owned buffer; nothing is allocated.
 */
#ifndef HYOKA_CSV_CELL_H
#define HYOKA_CSV_CELL_H

#include <stdbool.h>
#include <stddef.h>

#define CSV_CELL_MAX_DIGITS 40 /* digits of a number; longer is refused, not rounded */

/* `[+-]? digits ('.' digits)?`, with `thousands` also "1,234,567.5" (groups of exactly three).
 * Writes e.g. "-1234567.5" (leading zeros dropped). Returns 0, or -1 if `s` is not such a number
 * or `out` is too small. */
int csv_cell_decimal(const char *s, bool thousands, char *out, size_t outsz);

/* A progress value: a decimal in [0, 1], or a decimal in [0, 100] followed by '%' (divided by 100
 * exactly: "33.3%" -> "0.333"). Returns 0 with the value in `out`, or -1 with a message in `msg`. */
int csv_cell_progress(const char *s, char *out, size_t outsz, char *msg, size_t msgsz);

/* YYYY-MM-DD or YYYY/MM/DD (one-digit month and day allowed, same separator twice), a real day of
 * 1900..2200. Writes "YYYY-MM-DD". Returns 0 or -1. */
int csv_cell_date(const char *s, char *out, size_t outsz);

/* true/false, yes/no, 1/0 (ASCII case-insensitive), はい/いいえ, ○/× (also 〇). Returns 1, 0, or -1
 * for anything else. */
int csv_cell_bool(const char *s);

/* ASCII case-insensitive equality, `b` in lower case. */
bool csv_cell_ieq(const char *a, const char *b);

#endif
