/* cache.h - the worker's bounded in-memory cache of what stored runs produce.
 *
 * A stored run never changes, so its list-level data (run.c) and the serialised bodies built from
 * it are kept per worker, keyed by strings ("run:7", "body:/api/v1/summary?survey=2023").
 * Everything is flushed when a run is inserted (NOTIFY hyoka_runs), after a reconnect (missed
 * notifications) and, since workers are replaced, on reload. The total size is bounded by
 * limits.cache_bytes; the oldest unpinned entries go first.
 *
 * Ownership: cache_put takes the object and frees it with `free_fn` when it is evicted or
 * flushed; cache_get returns a borrowed pointer valid until the next cache_put/cache_flush,
 * unless pinned (cache_pin/cache_unpin), which keeps it through both.
 */
#ifndef HYOKA_FCGI_CACHE_H
#define HYOKA_FCGI_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#define CACHE_MAX_ENTRIES 1024
#define CACHE_MAX_KEY 1200

void cache_configure(size_t max_bytes);   /* 0 disables it: cache_put frees at once */
void *cache_get(const char *key);
/* Stores obj under key (replacing an older one). Returns true if kept, false if it was too big
 * for the cache (then obj was NOT taken: the caller still owns it). */
bool cache_put(const char *key, void *obj, size_t bytes, void (*free_fn)(void *));
/* Records that a cached object grew to `bytes` (evicting older unpinned entries if needed). */
void cache_resize(void *obj, size_t bytes);
/* Whether obj is in the cache (also when flushed while pinned: its holder unpins, never frees it). */
bool cache_holds(const void *obj);
void cache_pin(void *obj);
void cache_unpin(void *obj);
void cache_flush(void);
size_t cache_bytes_used(void);

/* A cached response body. */
typedef struct cache_body {
    char *content_type;
    char *data;
    size_t len;
} cache_body;
/* Stores a copy of a response body (no-op when it does not fit). */
void cache_put_body(const char *key, const char *content_type, const char *data, size_t len);
const cache_body *cache_get_body(const char *key);

#endif
