/* value.c - eng_value helpers: string values, decimal rounding (SPEC "Precise semantics"), and
 * the one way values are shown in explanations and messages. */
#include "i18n.h"
#include "internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

eng_value eng_str(const char *nul_terminated)
{
    assert(nul_terminated);
    return eng_strn(nul_terminated, strlen(nul_terminated));
}

/* Decimals beyond this change nothing (a double has at most ~17 significant digits and exponents
 * reach -324), and keeping them bounded keeps the exponent arithmetic below from overflowing. */
#define ROUND_MAX_DECIMALS 400

/* Round half away from zero on the decimal value. Step one: the 15-significant-digit decimal
 * form of x (as "%.14e" prints it). Step two:
 * rounding that digit string at the wanted place, in decimal, so no binary error can tip a
 * half the wrong way (61.49999999999999 -> "6.15000000000000e+01" -> 61.5). The kept digits
 * form an integer M <= 10^15 and the result M * 10^p is converted once by strtod, which rounds
 * correctly. */
double eng_round_exact(double x, int decimals)
{
    if (!isfinite(x) || x == 0)
        return x == 0 ? 0.0 : x;
    if (decimals > ROUND_MAX_DECIMALS)
        decimals = ROUND_MAX_DECIMALS;
    if (decimals < -ROUND_MAX_DECIMALS)
        decimals = -ROUND_MAX_DECIMALS;

    char s[32];
    snprintf(s, sizeof s, "%.14e", x); /* [-]D.DDDDDDDDDDDDDDe[+-]XX[X] */
    bool neg = s[0] == '-';
    const char *p = s + neg;
    char digits[15];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[nd++] = *p;
    assert(nd == 15 && *p == 'e');
    int exp10 = atoi(p + 1); /* digit i weighs 10^(exp10 - i) */

    int keep = exp10 + decimals + 1; /* digits 0 .. keep-1 stay */
    if (keep >= 15)
        return strtod(s, NULL); /* already no more decimals than wanted */
    if (keep < 0)
        return 0.0; /* below half of the last place kept */
    unsigned long long m = 0;
    for (int i = 0; i < keep; i++)
        m = m * 10 + (unsigned long long)(digits[i] - '0');
    if (digits[keep] >= '5')
        m++; /* half away from zero: we work on the magnitude */
    if (m == 0)
        return 0.0;
    char out[48];
    snprintf(out, sizeof out, "%s%llue%d", neg ? "-" : "", m, -decimals);
    return strtod(out, NULL);
}

/* What "%.15g" prints for d, without snprintf (most of an explanation's cost was spent in it),
 * when d is a decimal of at most 15 significant digits with at most 6 decimals, between 1e-4 and
 * 1e15: every number an explanation's text shows (rounded to 4 decimals) and most facts. Then d
 * is the double nearest to M / 10^k (the division of two exact values is correctly rounded), and
 * printing d to 15 significant digits gives back exactly that decimal (DBL_DIG is 15), which
 * "%.15g" shows in fixed notation (exponent -4 .. 14) without trailing zeros; the smallest k has
 * none. Writes at most 24 bytes and a NUL; returns the length, or -1 for "use snprintf". The unit
 * tests compare it with snprintf over many values. */
static int format_decimal(double d, char *out)
{
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
    double a = fabs(d);
    if (!(a >= 1e-4 && a < 1e15))
        return -1;
    for (int k = 0; k < (int)(sizeof pow10 / sizeof pow10[0]); k++) {
        double y = a * pow10[k];
        if (y >= 1e15)
            return -1;
        double m = floor(y + 0.5);
        if (m / pow10[k] != a)
            continue;
        char digits[16]; /* M's digits, least significant first */
        int n = 0;
        for (unsigned long long u = (unsigned long long)m; u != 0 || n == 0; u /= 10)
            digits[n++] = (char)('0' + u % 10);
        int len = 0;
        if (d < 0)
            out[len++] = '-';
        if (n <= k) { /* 0.00ddd */
            out[len++] = '0';
            out[len++] = '.';
            for (int i = n; i < k; i++)
                out[len++] = '0';
            for (int i = n - 1; i >= 0; i--)
                out[len++] = digits[i];
        } else {
            for (int i = n - 1; i >= k; i--)
                out[len++] = digits[i];
            if (k > 0)
                out[len++] = '.';
            for (int i = k - 1; i >= 0; i--)
                out[len++] = digits[i];
        }
        out[len] = '\0';
        return len;
    }
    return -1;
}

/* Also words of messages: N_ marks them for po/hyoka.pot (eng_type_label translates). */
static const char *const type_names[] = {N_("null"), N_("boolean"), N_("number"), N_("string"),
                                         N_("opaque")};

const char *eng_type_name(eng_type t)
{
    return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "?";
}

const char *eng_type_label(eng_type t)
{
    return _(eng_type_name(t));
}

/* snprintf(buf, size, "%s", word) without its cost. */
static int format_word(const char *word, char *buf, size_t size)
{
    size_t len = strlen(word);
    if (size > 0) {
        size_t k = len < size ? len : size - 1;
        memcpy(buf, word, k);
        buf[k] = '\0';
    }
    return (int)len;
}

int eng_value_format(eng_value v, char *buf, size_t size)
{
    switch (v.type) {
    case ENG_BOOL:
        return format_word(v.as.b ? "true" : "false", buf, size);
    case ENG_NUM: {
        double d = v.as.num == 0 ? 0.0 : v.as.num; /* never "-0" */
        char fast[32];
        if (d == 0 || format_decimal(d, fast) >= 0)
            return format_word(d == 0 ? "0" : fast, buf, size);
        int n = snprintf(buf, size, "%.15g", d);
        /* "%.15g" never groups digits, so a ',' is the radix of a program that set a locale
         * such as de_DE: explanations always show '.'. */
        for (char *c = buf; size > 0 && *c; c++)
            if (*c == ',')
                *c = '.';
        return n;
    }
    case ENG_STR: {
        /* Quoted; '"', '\\' and control characters escaped as JSON does, so that the text stays
         * one unambiguous line. */
        size_t need = 0;
        char tmp[8];
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (need + 1 < size)                                                                       \
            buf[need] = (c);                                                                       \
        need++;                                                                                    \
    } while (0)
        PUT('"');
        for (size_t i = 0; i < v.as.str.len; i++) {
            unsigned char c = (unsigned char)v.as.str.ptr[i];
            if (c == '"' || c == '\\') {
                PUT('\\');
                PUT((char)c);
            } else if (c < 0x20) {
                snprintf(tmp, sizeof tmp, "\\u%04x", c);
                for (const char *t = tmp; *t; t++)
                    PUT(*t);
            } else {
                PUT((char)c);
            }
        }
        PUT('"');
#undef PUT
        if (size > 0)
            buf[need < size ? need : size - 1] = '\0';
        return (int)need;
    }
    case ENG_NULL:
    case ENG_OPAQUE:
    default:
        return format_word("null", buf, size);
    }
}

/* The fast path is round_half_away in internal.h, inlined here and where a score is rounded. */
double eng_round(double x, int decimals)
{
    return round_half_away(x, decimals);
}
