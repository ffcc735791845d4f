/* xalloc.h - the tree's one allocation-failure helper: out of memory aborts (STYLE "Errors"), so
 * no caller checks for NULL. Every folder uses it (engine/'s include directory is PUBLIC, so the
 * store, the server, the CLI, the config loader, the tests and the benchmarks see it); nothing
 * else writes `if (p == NULL) abort();` after malloc (jansson's NULL goes through
 * store/json_eng.h's jeng_must, to the same end). The growable byte buffer on top of it is
 * store/strbuf.h.
 * A size of 0 allocates 1 byte, so NULL never means "nothing". Static inline: no symbol, so no
 * library that links the engine can clash with it. */
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
