/* xalloc.h - the engine's one allocation-failure helper: out of memory aborts (STYLE "Errors"),
 * so no caller checks for NULL. A size of 0 allocates 1 byte, so NULL never means "nothing".
 * Static inline: every engine file that allocates includes this header, and no symbol clashes
 * with the same-named helpers of other folders that link the engine. */
#ifndef HYOKA_ENGINE_XALLOC_H
#define HYOKA_ENGINE_XALLOC_H

#include <stdlib.h>
#include <string.h>

static inline void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        abort();
    return p;
}

static inline void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        abort();
    return p;
}

static inline void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (p == NULL)
        abort();
    return p;
}

/* A NUL-terminated copy of the first `len` bytes of s. */
static inline char *xmemdup(const char *s, size_t len)
{
    char *c = xmalloc(len + 1);
    memcpy(c, s, len);
    c[len] = '\0';
    return c;
}

static inline char *xstrdup(const char *s)
{
    return xmemdup(s, strlen(s));
}

#endif
