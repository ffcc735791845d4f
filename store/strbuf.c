/* strbuf.c - the growable byte buffer (strbuf.h). */
#include "strbuf.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FIRST_CAP 1024
#define READ_CHUNK 65536

void strbuf_cleanup(strbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void strbuf_reserve(strbuf *b, size_t extra)
{
    if (extra >= SIZE_MAX - b->len)
        abort(); /* as large as the address space: out of memory by any measure */
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : FIRST_CAP;
    while (cap < need)
        cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void strbuf_put(strbuf *b, const void *s, size_t n)
{
    strbuf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void strbuf_puts(strbuf *b, const char *s)
{
    strbuf_put(b, s, strlen(s));
}

void strbuf_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort(); /* a bad format or more than INT_MAX bytes: the caller's mistake */
    strbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

int strbuf_read(strbuf *b, FILE *fp, size_t max)
{
    size_t got;
    do {
        strbuf_reserve(b, READ_CHUNK);
        got = fread(b->data + b->len, 1, b->cap - b->len - 1, fp);
        if (b->len + got > max) /* no overflow: both fit in the allocation */
            return -1;
        b->len += got;
        b->data[b->len] = '\0';
    } while (got > 0);
    return ferror(fp) ? -2 : 0;
}
