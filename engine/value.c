/* value.c - eng_value helpers: string values, decimal rounding (SPEC "Precise semantics"), and
 * the one way values are shown in explanations and messages. */
#include "internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

eng_value eng_str(const char *nul_terminated)
{
    assert(nul_terminated);
    eng_value v = {ENG_STR, {.str = {nul_terminated, strlen(nul_terminated)}}};
    return v;
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

static const char *const type_names[] = {"null", "boolean", "number", "string", "opaque"};

const char *eng_type_name(eng_type t)
{
    return (unsigned)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "?";
}

int eng_value_format(eng_value v, char *buf, size_t size)
{
    switch (v.type) {
    case ENG_BOOL:
        return snprintf(buf, size, "%s", v.as.b ? "true" : "false");
    case ENG_NUM: {
        double d = v.as.num == 0 ? 0.0 : v.as.num; /* never "-0" */
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
        return snprintf(buf, size, "null");
    }
}

/* The fast path is round_half_away in internal.h, inlined here and where a score is rounded. */
double eng_round(double x, int decimals)
{
    return round_half_away(x, decimals);
}
