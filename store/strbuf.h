/* strbuf.h - the tree's one growable byte buffer (STYLE "The read side"): the COPY data and SQL
 * text of an import and an evaluation, the facts JSON, the CSV writer's document, whole files read
 * into memory.
 *
 * Ownership: the caller owns the struct; zero it to start (strbuf b = {0}) and release it with
 * strbuf_cleanup. Out of memory aborts (engine/xalloc.h), so no function here fails for want of
 * memory. data is NULL until something is reserved. After strbuf_put, strbuf_puts, strbuf_printf
 * and strbuf_read, data[len] is '\0': data is a C string when the bytes hold no NUL. Code that
 * writes into data directly after strbuf_reserve advances len itself and, if it wants the string,
 * writes the '\0' (strbuf_reserve leaves room for it). Setting len to 0 empties a buffer and keeps
 * its memory. */
#ifndef HYOKA_STRBUF_H
#define HYOKA_STRBUF_H

#include <stddef.h>
#include <stdio.h>

typedef struct strbuf {
    char *data;
    size_t len; /* bytes held, not counting the '\0' */
    size_t cap; /* bytes allocated */
} strbuf;

/* Frees the bytes and zeroes the struct; a zeroed or cleaned-up buffer is fine. */
void strbuf_cleanup(strbuf *b);
/* Room for `extra` more bytes and a '\0' after them. */
void strbuf_reserve(strbuf *b, size_t extra);
void strbuf_put(strbuf *b, const void *s, size_t n);
void strbuf_puts(strbuf *b, const char *s);
void strbuf_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the rest of fp (opened by the caller, who closes it). Returns 0 at its end; -1 when b
 * would then hold more than max bytes; -2 on a read error (ferror). On -1 and -2, b holds some
 * of the bytes: the caller frees it. */
int strbuf_read(strbuf *b, FILE *fp, size_t max);

#endif
