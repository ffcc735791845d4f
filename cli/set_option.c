/* set_option.c - parses and checks the value of `--set` (set_option.h). */
#include "set_option.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "thresholds."
#define QUOTE_MAX 80 /* bytes of the argument quoted in a message */

static int fail(char *err, size_t errlen, const char *arg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "--set 'ARG': message", ARG cut to QUOTE_MAX bytes. */
static int fail(char *err, size_t errlen, const char *arg, const char *fmt, ...)
{
    size_t len = strlen(arg);
    int n = snprintf(err, errlen, "--set '%.*s%s': ", QUOTE_MAX, arg, len > QUOTE_MAX ? "…" : "");
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* number -> [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits], the whole of [s, end) */
static bool plain_number(const char *s, const char *end)
{
    const char *p = s;
    size_t digits = 0;
    if (p < end && (*p == '+' || *p == '-'))
        p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
        digits++;
    if (p < end && *p == '.')
        for (p++; p < end && *p >= '0' && *p <= '9'; p++)
            digits++;
    if (digits == 0)
        return false;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        const char *exp = p;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            ;
        if (p == exp)
            return false;
    }
    return p == end;
}

/* Parses [s, end) as a finite number into *v; -1 with a message naming `what` otherwise. */
static int number(const char *arg, const char *s, const char *end, const char *what, double *v,
                  char *err, size_t errlen)
{
    int len = (int)(end - s > QUOTE_MAX ? QUOTE_MAX : end - s);
    if (s == end)
        return fail(err, errlen, arg, "%s is empty: write a number such as 0.9", what);
    if (!plain_number(s, end))
        return fail(err, errlen, arg, "%s '%.*s' is not a number (write e.g. 0.9, 12 or -1.5e3)",
                    what, len, s);
    char buf[512];
    if ((size_t)(end - s) >= sizeof buf)
        return fail(err, errlen, arg, "%s has more than %zu characters", what, sizeof buf - 1);
    memcpy(buf, s, (size_t)(end - s));
    buf[end - s] = '\0';
    errno = 0;
    *v = strtod(buf, NULL);
    if (!isfinite(*v) || (errno == ERANGE && fabs(*v) > 1))
        return fail(err, errlen, arg, "%s '%.*s' is too large for a number", what, len, s);
    return 0;
}

double set_option_value(const set_option *o, int i)
{
    if (o->step == 0 || i == 0)
        return o->from; /* FROM as parsed: taken at 15 digits, FROM:FROM:1 with a FROM of more
                         * (0.1234567890123456) was a point above TO (fuzz_set found it in a
                         * clean-clone run's 20 s of fuzzing) */
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", o->from + (double)i * o->step);
    return strtod(buf, NULL);
}

/* FROM:TO:STEP of [s, end) into out (values counted and checked). */
static int parse_range(const char *arg, const char *s, const char *end, set_option *out, char *err,
                       size_t errlen)
{
    const char *c1 = memchr(s, ':', (size_t)(end - s));
    const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
    if (c1 == NULL || c2 == NULL || memchr(c2 + 1, ':', (size_t)(end - c2 - 1)) != NULL)
        return fail(err, errlen, arg,
                    "expected FROM:TO:STEP, three numbers, e.g. thresholds.%s=0.5:1:0.05",
                    out->name);
    if (number(arg, s, c1, "FROM", &out->from, err, errlen) != 0 ||
        number(arg, c1 + 1, c2, "TO", &out->to, err, errlen) != 0 ||
        number(arg, c2 + 1, end, "STEP", &out->step, err, errlen) != 0)
        return -1;
    if (!(out->step > 0))
        return fail(err, errlen, arg, "STEP is %g: it must be greater than 0", out->step);
    if (out->from > out->to)
        return fail(err, errlen, arg, "FROM %.15g is greater than TO %.15g", out->from, out->to);
    /* i/STEP first estimated, then made exact against the values as set_option_value takes
     * them; bounded before any conversion to int */
    double span = (out->to - out->from) / out->step;
    if (!isfinite(span) || span >= SET_MAX_POINTS)
        return fail(err, errlen, arg,
                    "that is %.15g values or more, more than %d: take a larger STEP or a narrower "
                    "range",
                    isfinite(span) ? floor(span) : HUGE_VAL, SET_MAX_POINTS);
    int last = (int)floor(span);
    out->npoints = SET_MAX_POINTS + 1; /* set_option_value does not look at it */
    while (last + 1 <= SET_MAX_POINTS && set_option_value(out, last + 1) <= out->to)
        last++;
    while (last > 0 && set_option_value(out, last) > out->to)
        last--;
    if (last + 1 > SET_MAX_POINTS)
        return fail(err, errlen, arg,
                    "that is %d values, more than %d: take a larger STEP or a narrower range",
                    last + 1, SET_MAX_POINTS);
    out->npoints = last + 1;
    for (int i = 1; i < out->npoints; i++)
        if (set_option_value(out, i) <= set_option_value(out, i - 1))
            return fail(err, errlen, arg,
                        "STEP %g is too small for values near %.15g: they repeat at 15 "
                        "significant digits",
                        out->step, set_option_value(out, i));
    return 0;
}

int set_option_parse(const char *arg, bool range, set_option *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    if (eq == NULL)
        return fail(err, errlen, arg, "expected thresholds.NAME=%s",
                    range ? "FROM:TO:STEP" : "NUMBER");
    if (strncmp(arg, PREFIX, strlen(PREFIX)) != 0)
        return fail(err, errlen, arg, "only thresholds can be set: write thresholds.NAME=%s",
                    range ? "FROM:TO:STEP" : "NUMBER");
    const char *name = arg + strlen(PREFIX);
    size_t nlen = (size_t)(eq - name);
    bool valid = nlen > 0 && name[0] >= 'a' && name[0] <= 'z';
    for (size_t i = 0; i < nlen && valid; i++)
        valid = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
                name[i] == '_';
    if (!valid)
        return fail(err, errlen, arg,
                    "'%.*s' is not a threshold name (lowercase letters, digits and _, starting "
                    "with a letter)",
                    (int)(nlen > QUOTE_MAX ? QUOTE_MAX : nlen), name);
    out->name = malloc(nlen + 1);
    if (out->name == NULL)
        abort();
    memcpy(out->name, name, nlen);
    out->name[nlen] = '\0';

    const char *value = eq + 1, *end = value + strlen(value);
    bool has_colon = memchr(value, ':', (size_t)(end - value)) != NULL;
    int rc;
    if (range && !has_colon)
        rc = fail(err, errlen, arg,
                  "hyoka sweep takes a range FROM:TO:STEP, e.g. thresholds.%s=0.5:1:0.05",
                  out->name);
    else if (!range && has_colon)
        rc =
            fail(err, errlen, arg, "a range FROM:TO:STEP is for hyoka sweep; here give one NUMBER");
    else if (range)
        rc = parse_range(arg, value, end, out, err, errlen);
    else
        rc = number(arg, value, end, "the value", &out->from, err, errlen);
    if (rc != 0) {
        set_option_cleanup(out);
        return -1;
    }
    if (!range) {
        out->to = out->from;
        out->npoints = 1;
    }
    return 0;
}

void set_option_cleanup(set_option *o)
{
    if (o == NULL)
        return;
    free(o->name);
    memset(o, 0, sizeof *o);
}
