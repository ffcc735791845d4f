/* csv_cell.c - parsing one cell of an imported CSV file: decimals, progress, dates, booleans.
 * Hand-written because these are the SPEC's own syntaxes ("1,200", "50%", "2024/4/1", "はい"):
 * strtod and strptime would accept more (exponents, locales, "2024-4-1x") and say less. */
#include "i18n.h"
#include "csv_cell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

int csv_cell_decimal(const char *s, bool thousands, char *out, size_t outsz)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    char digits[CSV_CELL_MAX_DIGITS + 1];
    size_t n = 0;
    int group = 0;
    bool grouped = false;
    while (is_digit(*p) || (thousands && *p == ',')) {
        if (*p == ',') {
            if (group == 0 || (grouped && group != 3) || (!grouped && group > 3))
                return -1;
            grouped = true;
            group = 0;
        } else {
            if (n == CSV_CELL_MAX_DIGITS)
                return -1;
            digits[n++] = *p;
            group++;
        }
        p++;
    }
    if (grouped && group != 3)
        return -1;
    size_t nint = n;
    if (*p == '.') {
        p++;
        while (is_digit(*p)) {
            if (n == CSV_CELL_MAX_DIGITS)
                return -1;
            digits[n++] = *p++;
        }
    }
    if (*p != '\0' || n == 0)
        return -1;
    size_t skip = 0; /* leading zeros of the integer part, keeping one */
    while (skip + 1 < nint && digits[skip] == '0')
        skip++;
    int w;
    if (nint == 0)
        w = snprintf(out, outsz, "%s0.%.*s", neg ? "-" : "", (int)n, digits);
    else
        w = snprintf(out, outsz, "%s%.*s%s%.*s", neg ? "-" : "", (int)(nint - skip),
                     digits + skip, n > nint ? "." : "", (int)(n - nint), digits + nint);
    return w > 0 && (size_t)w < outsz ? 0 : -1;
}

/* "33.3" -> "0.333", "100" -> "1", "5" -> "0.05": a non-negative decimal divided by 100. */
static int divide_by_100(const char *s, char *out, size_t outsz)
{
    char digits[CSV_CELL_MAX_DIGITS + 8];
    size_t n = 0, nint = 0;
    bool seen_dot = false;
    for (const char *p = s; *p; p++) {
        if (*p == '.') {
            seen_dot = true;
            continue;
        }
        if (n + 1 >= sizeof digits)
            return -1;
        digits[n++] = *p;
        if (!seen_dot)
            nint++;
    }
    /* pad on the left so that the point can move two places */
    char padded[sizeof digits + 4];
    size_t pad = nint < 3 ? 3 - nint : 0;
    memset(padded, '0', pad);
    memcpy(padded + pad, digits, n);
    n += pad;
    nint += pad;
    padded[n] = '\0';
    size_t point = nint - 2;
    size_t lead = 0;
    while (lead + 1 < point && padded[lead] == '0')
        lead++;
    size_t end = n;
    while (end > point && padded[end - 1] == '0')
        end--;
    int w = snprintf(out, outsz, "%.*s%s%.*s", (int)(point - lead), padded + lead,
                     end > point ? "." : "", (int)(end - point), padded + point);
    return w > 0 && (size_t)w < outsz ? 0 : -1;
}

int csv_cell_progress(const char *s, char *out, size_t outsz, char *msg, size_t msgsz)
{
    char number[CSV_CELL_MAX_DIGITS + 4];
    size_t len = strlen(s);
    bool percent = len > 0 && s[len - 1] == '%';
    if (len >= sizeof number) {
        snprintf(msg, msgsz, _("not a progress value: '%.40s...' (expected e.g. 0.5 or 50%%)"), s);
        return -1;
    }
    memcpy(number, s, len + 1);
    if (percent)
        number[len - 1] = '\0';
    char norm[CSV_CELL_MAX_DIGITS + 8];
    if (csv_cell_decimal(number, false, norm, sizeof norm) != 0) {
        snprintf(msg, msgsz, _("not a progress value: '%.40s' (expected e.g. 0.5 or 50%%)"), s);
        return -1;
    }
    double v = strtod(norm, NULL); /* only for the range check; the text is stored */
    if (norm[0] == '-' || (percent ? v > 100 : v > 1)) {
        snprintf(msg, msgsz,
                 _("progress %s%s is outside %s (write a fraction such as 0.5 or a percentage such "
                 "as 50%%)"),
                 norm, percent ? "%" : "", percent ? "0%..100%" : "0..1");
        return -1;
    }
    if (percent)
        return divide_by_100(norm, out, outsz) == 0 ? 0 : (snprintf(msg, msgsz, _("too long")), -1);
    int w = snprintf(out, outsz, "%s", norm);
    return w > 0 && (size_t)w < outsz ? 0 : (snprintf(msg, msgsz, _("too long")), -1);
}

int csv_cell_date(const char *s, char *out, size_t outsz)
{
    int y = 0, m = 0, d = 0, i = 0;
    for (; i < 4; i++) {
        if (!is_digit(s[i]))
            return -1;
        y = y * 10 + (s[i] - '0');
    }
    char sep = s[i++];
    if (sep != '-' && sep != '/')
        return -1;
    int k = 0;
    for (; is_digit(s[i]) && k < 2; i++, k++)
        m = m * 10 + (s[i] - '0');
    if (k == 0 || s[i++] != sep)
        return -1;
    for (k = 0; is_digit(s[i]) && k < 2; i++, k++)
        d = d * 10 + (s[i] - '0');
    if (k == 0 || s[i] != '\0')
        return -1;
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1)
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[m - 1] + (m == 2 && leap))
        return -1;
    int w = snprintf(out, outsz, "%04d-%02d-%02d", y, m, d);
    return w > 0 && (size_t)w < outsz ? 0 : -1;
}

bool csv_cell_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        if (x != *b)
            return false;
    }
    return *a == *b;
}

int csv_cell_bool(const char *s)
{
    static const char *const yes[] = {"true", "yes", "1", "はい", "○", "〇"};
    static const char *const no[] = {"false", "no", "0", "いいえ", "×"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        if (csv_cell_ieq(s, yes[i]))
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        if (csv_cell_ieq(s, no[i]))
            return 0;
    return -1;
}
