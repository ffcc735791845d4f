/* fuzz_round.c - libFuzzer target for eng_round (SPEC: half away from zero on the 15-digit decimal
 * value): for any double and decimals -15..15 the result is finite, idempotent, at most half a
 * unit of the last kept place (plus the 15-digit step) from x, symmetric in sign, and the same
 * as the decimal algorithm without eng_round's fast path. */
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    double x;
    memcpy(&x, data, sizeof x);
    int decimals = (int)(data[8] % 31) - 15;
    if (!isfinite(x))
        return 0;
    double r = eng_round(x, decimals);
    double exact = eng_round_exact(x, decimals);
    if (!(r == exact || (isnan(r) && isnan(exact))))
        abort(); /* the fast path decides as the decimal digits do */
    if (!isfinite(r) && fabs(x) < 1e300)
        abort();
    if (!isfinite(r))
        return 0; /* rounding 1.7e308 up to a power of ten may overflow */
    if (eng_round(r, decimals) != r)
        abort(); /* idempotent */
    if (eng_round(-x, decimals) != -r && !(r == 0 && eng_round(-x, decimals) == 0))
        abort(); /* half away from zero is symmetric */
    double unit = pow(10.0, -decimals);
    if (fabs(r - x) > unit / 2 + fabs(x) * 1e-14 + 1e-300)
        abort(); /* never further than half a unit (the 15-digit step adds <= 5e-15 relative) */
    return 0;
}
