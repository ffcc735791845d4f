/* fuzz_set.c - libFuzzer target for the value of `--set` (cli/set_option.c): any bytes, as a
 * NUMBER and as FROM:TO:STEP. Accepted options keep their promises (a valid name, finite values,
 * 1 .. SET_MAX_POINTS strictly increasing values from FROM up to TO); refusals leave nothing to
 * free and a NUL-terminated message that quotes the argument. */
#include "set_option.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *arg, bool range)
{
    set_option o;
    char err[SET_ERROR_MAX];
    memset(err, 'x', sizeof err);
    if (set_option_parse(arg, range, &o, err, sizeof err) != 0) {
        if (o.name != NULL || memchr(err, '\0', sizeof err) == NULL ||
            strncmp(err, "--set '", 7) != 0)
            abort();
        return;
    }
    if (o.name == NULL || o.name[0] < 'a' || o.name[0] > 'z' ||
        strspn(o.name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(o.name))
        abort();
    if (o.npoints < 1 || o.npoints > SET_MAX_POINTS || !isfinite(o.from) || !isfinite(o.to) ||
        o.from > o.to || (range ? !(o.step > 0) : o.step != 0 || o.npoints != 1))
        abort();
    double prev = -INFINITY;
    for (int i = 0; i < o.npoints; i++) {
        double v = set_option_value(&o, i);
        if (!isfinite(v) || v <= prev || v > o.to)
            abort();
        prev = v;
    }
    set_option_cleanup(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *arg = malloc(size + 1);
    if (arg == NULL)
        abort();
    memcpy(arg, data, size);
    arg[size] = '\0'; /* argv strings end at their first NUL */
    check(arg, false);
    check(arg, true);
    free(arg);
    return 0;
}
