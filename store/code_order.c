/* code_order.c - roadmap codes in numeric segment order (code_order.h). */
#include "code_order.h"

#include <stddef.h>
#include <string.h>

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }

int code_order_cmp(const char *a, const char *b)
{
    const char *p = a, *q = b;
    while (*p != '\0' && *q != '\0') {
        if (is_digit(*p) && is_digit(*q)) {
            while (*p == '0')
                p++;
            while (*q == '0')
                q++;
            size_t np = 0, nq = 0;
            while (is_digit(p[np]))
                np++;
            while (is_digit(q[nq]))
                nq++;
            if (np != nq) /* without leading zeros, the longer run is the larger number */
                return np < nq ? -1 : 1;
            int c = memcmp(p, q, np);
            if (c != 0)
                return c < 0 ? -1 : 1;
            p += np;
            q += nq;
            continue;
        }
        if (*p != *q)
            return (unsigned char)*p < (unsigned char)*q ? -1 : 1;
        p++;
        q++;
    }
    if (*p != *q)
        return *p == '\0' ? -1 : 1;
    int c = strcmp(a, b); /* "1-02" and "1-2": equal by value, ordered by bytes */
    return (c > 0) - (c < 0);
}

int code_order_qsort(const void *a, const void *b)
{
    return code_order_cmp(*(const char *const *)a, *(const char *const *)b);
}
