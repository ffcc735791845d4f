/* cache.c - a small keyed store with a byte budget, pinning and oldest-first eviction. */
#include "cache.h"

#include "metrics.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char *key;
    void *obj;
    size_t bytes;
    void (*free_fn)(void *);
    int pins;
    unsigned long seq; /* insertion order: the smallest is evicted first */
} entry;

/* Linear search over at most CACHE_MAX_ENTRIES keys costs a few microseconds; a hash table would
 * not pay for itself at this size. */
static entry entries[CACHE_MAX_ENTRIES];
static int nentries;
static size_t used, budget;
static unsigned long seq;

void cache_configure(size_t max_bytes)
{
    cache_flush();
    budget = max_bytes;
}

size_t cache_bytes_used(void) { return used; }

static void release(int i)
{
    entry *e = &entries[i];
    if (e->free_fn != NULL)
        e->free_fn(e->obj);
    free(e->key);
    used -= e->bytes;
    entries[i] = entries[--nentries];
}

/* Evicts unpinned entries, oldest first, until `need` more bytes and one more entry fit. */
static bool make_room(size_t need)
{
    while (used + need > budget || nentries == CACHE_MAX_ENTRIES) {
        int oldest = -1;
        for (int i = 0; i < nentries; i++)
            if (entries[i].pins == 0 && (oldest < 0 || entries[i].seq < entries[oldest].seq))
                oldest = i;
        if (oldest < 0)
            return false;
        release(oldest);
    }
    return true;
}

static entry *find_obj(void *obj)
{
    for (int i = 0; i < nentries; i++)
        if (entries[i].obj == obj)
            return &entries[i];
    return NULL;
}

void *cache_get(const char *key)
{
    for (int i = 0; i < nentries; i++)
        if (strcmp(entries[i].key, key) == 0) {
            metrics_cache(1);
            return entries[i].obj;
        }
    metrics_cache(0);
    return NULL;
}

bool cache_put(const char *key, void *obj, size_t bytes, void (*free_fn)(void *))
{
    for (int i = 0; i < nentries; i++)
        if (strcmp(entries[i].key, key) == 0 && entries[i].pins == 0) {
            release(i);
            break;
        }
    if (bytes > budget || !make_room(bytes))
        return false;
    entry *e = &entries[nentries++];
    e->key = xstrdup(key);
    e->obj = obj;
    e->bytes = bytes;
    e->free_fn = free_fn;
    e->pins = 0;
    e->seq = ++seq;
    used += bytes;
    return true;
}

void cache_resize(void *obj, size_t bytes)
{
    entry *e = find_obj(obj);
    if (e == NULL)
        return;
    used = used - e->bytes + bytes;
    e->bytes = bytes;
    int pins = e->pins;
    e->pins++; /* keep it while making room */
    make_room(0);
    e = find_obj(obj);
    if (e != NULL)
        e->pins = pins;
}

bool cache_holds(const void *obj)
{
    return find_obj((void *)obj) != NULL;
}

void cache_pin(void *obj)
{
    entry *e = find_obj(obj);
    if (e != NULL)
        e->pins++;
}

void cache_unpin(void *obj)
{
    entry *e = find_obj(obj);
    if (e != NULL && e->pins > 0)
        e->pins--;
}

void cache_flush(void)
{
    /* Pinned entries belong to the request in progress; they are dropped from the index (so
     * nothing new finds them) but freed by their holder through cache_unpin's caller. Workers are
     * single-threaded and pins never outlive a request, so in practice nothing is pinned here
     * except during a read's reconnect inside a handler: keep those until unpinned. */
    for (int i = nentries - 1; i >= 0; i--)
        if (entries[i].pins == 0)
            release(i);
    for (int i = 0; i < nentries; i++)
        entries[i].key[0] = '\0'; /* stale: never found again, evicted once unpinned */
}

static void body_free(void *p)
{
    cache_body *b = p;
    free(b->content_type);
    free(b->data);
    free(b);
}

void cache_put_body(const char *key, const char *content_type, const char *data, size_t len)
{
    if (budget == 0 || len + strlen(key) + 64 > budget)
        return;
    cache_body *b = xmalloc(sizeof *b);
    char *copy = xmalloc(len);
    char *ct = xstrdup(content_type);
    memcpy(copy, data, len);
    b->content_type = ct;
    b->data = copy;
    b->len = len;
    if (!cache_put(key, b, len + strlen(key) + sizeof *b + 64, body_free))
        body_free(b);
}

const cache_body *cache_get_body(const char *key)
{
    return cache_get(key);
}
