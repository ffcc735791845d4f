/* symtab.c - eng_symtab: one id per distinct string text (engine.h, "string symbols"), given once
 * where facts are read, so that the register VM (regvm.c) maps a string fact to the rule set's
 * reference by its id instead of hashing and comparing its text on every evaluation.
 *
 * Ids come from one counter for the whole process, never reused: two tables never give the same
 * id, so an eng_ctx's cache (id -> reference) is right whatever table a fact's id came from and
 * after that table is freed. */
#include "internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct sym_entry {
    uint64_t hash;
    char *text; /* the table's copy; NULL: empty entry */
    size_t len;
    uint32_t sym;
} sym_entry;

struct eng_symtab {
    sym_entry *entries; /* open addressing, at most half full */
    size_t mask;
    int count, max;
};

/* The next id to give; 0 is "no symbol", UINT32_MAX is never given (the counter stops there). */
static _Atomic uint32_t next_sym = 1;

/* For tests of the id space running out: the next id the process gives. */
void symtab_set_next_id(uint32_t id);
void symtab_set_next_id(uint32_t id)
{
    atomic_store(&next_sym, id == 0 ? 1 : id);
}

static uint32_t new_sym(void)
{
    uint32_t s = atomic_load(&next_sym);
    do {
        if (s == UINT32_MAX)
            return 0;
    } while (!atomic_compare_exchange_weak(&next_sym, &s, s + 1));
    return s;
}

static uint64_t text_hash64(const char *p, size_t n) /* FNV-1a */
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3u;
    return h;
}

eng_symtab *eng_symtab_new(int max)
{
    eng_symtab *t = xcalloc(1, sizeof *t);
    t->max = max <= 0 || max > ENG_MAX_SYMBOLS ? ENG_MAX_SYMBOLS : max;
    t->mask = 63;
    t->entries = xcalloc(t->mask + 1, sizeof *t->entries);
    return t;
}

void eng_symtab_free(eng_symtab *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i <= t->mask; i++)
        free(t->entries[i].text);
    free(t->entries);
    free(t);
}

int eng_symtab_count(const eng_symtab *t)
{
    return t->count;
}

static void grow(eng_symtab *t)
{
    size_t size = 2 * (t->mask + 1);
    sym_entry *e = xcalloc(size, sizeof *e);
    for (size_t i = 0; i <= t->mask; i++) {
        if (t->entries[i].text == NULL)
            continue;
        size_t h = (size_t)t->entries[i].hash & (size - 1);
        while (e[h].text != NULL)
            h = (h + 1) & (size - 1);
        e[h] = t->entries[i];
    }
    free(t->entries);
    t->entries = e;
    t->mask = size - 1;
}

eng_value eng_symtab_intern(eng_symtab *t, eng_value v)
{
    if (v.type != ENG_STR)
        return v;
    const char *p = v.as.str.ptr;
    size_t n = v.as.str.len;
    uint64_t hash = text_hash64(p, n);
    size_t h = (size_t)hash & t->mask;
    for (; t->entries[h].text != NULL; h = (h + 1) & t->mask) {
        const sym_entry *e = &t->entries[h];
        if (e->hash == hash && e->len == n && (n == 0 || memcmp(e->text, p, n) == 0)) {
            v.sym = e->sym;
            return v;
        }
    }
    uint32_t sym = t->count < t->max ? new_sym() : 0;
    v.sym = sym;
    if (sym == 0)
        return v; /* full: the text is evaluated by its bytes, as a value without a symbol */
    char *copy = xmalloc(n + 1);
    if (n > 0)
        memcpy(copy, p, n);
    copy[n] = '\0';
    t->entries[h] = (sym_entry){hash, copy, n, sym};
    if (2 * (size_t)++t->count > t->mask + 1)
        grow(t);
    return v;
}
