/* run_image.c - a run's results as one position-independent image (run_image.h): built from the
 * database, checked, attached to a store_run, and shared through files of one directory. */
#define _GNU_SOURCE /* qsort_r */
#include "run_image.h"

#include "code_order.h"
#include "xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- the format ------------------------------------------------------------------------------ */

#define MAGIC "HYOKARUN"
#define BYTE_ORDER_MARK 0x01020304u
#define NO_TEXT UINT32_MAX /* a department's missing kana or division */

/* Every field fixed-width and every section 8-aligned: the layout has no implicit padding. */
typedef struct header {
    char magic[8];
    uint32_t version, byte_order;
    int64_t run_id, data_version;
    uint64_t identity, size, checksum;
    uint32_t nitems, nlists, ndepartments, ncategories, nreasons, nflags;
    uint64_t items_off, lists_off, deps_off, texts_off, texts_size;
} header;

typedef struct department {
    uint32_t name, kana, division, division_kana; /* kana, division, division_kana may be NO_TEXT */
    int32_t has_position, pad;
    int64_t position;
} department;

_Static_assert(sizeof(header) == 120, "image header has no padding");
_Static_assert(sizeof(department) == 32, "image department has no padding");
_Static_assert(sizeof(store_run_item) == 72, "image item has no padding");

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

#define FNV_BASIS 14695981039346656037ULL

size_t rimg_checksum_offset(void) { return offsetof(header, checksum); }

/* FNV-1a, eight bytes a step over the body (a byte a step is ~4x slower on 15 MB). */
uint64_t rimg_checksum(const void *data, size_t size)
{
    const unsigned char *p = data;
    size_t at = offsetof(header, checksum);
    if (size < sizeof(header))
        return fnv(FNV_BASIS, p, size);
    static const unsigned char zero[8] = {0};
    uint64_t h = fnv(FNV_BASIS, p, at);
    h = fnv(h, zero, sizeof zero);
    h = fnv(h, p + at + 8, sizeof(header) - at - 8);
    size_t i = sizeof(header);
    for (; i + 8 <= size; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 1099511628211ULL;
        h ^= h >> 29;
    }
    return fnv(h, p + i, size - i);
}

uint64_t rimg_identity(const store_run *rn)
{
    const char *parts[] = {rn->survey_code, rn->survey_as_of, rn->evaluated_at, rn->rules_sha256};
    uint64_t h = FNV_BASIS;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *s = parts[i] != NULL ? parts[i] : "";
        h = fnv(h, (const unsigned char *)s, strlen(s) + 1);
    }
    return h;
}

static int fail(char *why, size_t nwhy, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t nwhy, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, nwhy, fmt, ap);
    va_end(ap);
    return -1;
}

/* Whether [off, off + count * elem) lies inside `size` bytes, 8-aligned. */
static bool section_fits(uint64_t off, uint64_t count, uint64_t elem, uint64_t size)
{
    if (off % 8 != 0 || off < sizeof(header) || off > size)
        return false;
    return count <= (size - off) / elem;
}

int rimg_check(const void *data, size_t size, const rimg_expect *want, char *why, size_t nwhy)
{
    header h;
    if (size < sizeof h)
        return fail(why, nwhy, "%zu bytes, shorter than an image's header", size);
    memcpy(&h, data, sizeof h);
    if (memcmp(h.magic, MAGIC, sizeof h.magic) != 0)
        return fail(why, nwhy, "not a run image (wrong magic)");
    if (h.byte_order != BYTE_ORDER_MARK)
        return fail(why, nwhy, "written with another byte order");
    if (h.version != RIMG_VERSION)
        return fail(why, nwhy, "format version %u, this server reads %d", h.version, RIMG_VERSION);
    if (h.size != size)
        return fail(why, nwhy, "truncated or extended: %zu bytes, its header says %llu", size,
                    (unsigned long long)h.size);
    if (h.run_id != want->run_id || h.data_version != want->data_version ||
        h.identity != want->identity)
        return fail(why, nwhy, "holds run %lld of data version %lld, not run %lld of %lld",
                    (long long)h.run_id, (long long)h.data_version, want->run_id,
                    want->data_version);
    if (rimg_checksum(data, size) != h.checksum)
        return fail(why, nwhy, "checksum mismatch");
    if (h.ncategories != (uint32_t)want->ncategories || h.nreasons != (uint32_t)want->nreasons ||
        h.nflags != (uint32_t)want->nflags)
        return fail(why, nwhy, "catalog of %u/%u/%u entries, the run has %d/%d/%d", h.ncategories,
                    h.nreasons, h.nflags, want->ncategories, want->nreasons, want->nflags);
    if (h.nitems > RIMG_MAX_ITEMS || (long)h.nitems != want->total)
        return fail(why, nwhy, "%u results, the run has %ld", h.nitems, want->total);
    if (!section_fits(h.items_off, h.nitems, sizeof(store_run_item), size) ||
        !section_fits(h.lists_off, h.nlists, sizeof(uint32_t), size) ||
        !section_fits(h.deps_off, h.ndepartments, sizeof(department), size) ||
        !section_fits(h.texts_off, h.texts_size, 1, size) || h.texts_size == 0 ||
        h.ndepartments > INT_MAX / 2)
        return fail(why, nwhy, "a section lies outside the file");
    const unsigned char *base = data;
    const char *texts = (const char *)base + h.texts_off;
    if (texts[h.texts_size - 1] != '\0')
        return fail(why, nwhy, "the text pool is not terminated");
    uint64_t nt = h.texts_size;
    for (uint32_t i = 0; i < h.nlists; i++) {
        uint32_t t;
        memcpy(&t, base + h.lists_off + (uint64_t)i * 4, 4);
        if (t >= nt)
            return fail(why, nwhy, "list entry %u: text offset %u outside the pool", i, t);
    }
    uint64_t allowed_reasons = h.nreasons >= 64 ? UINT64_MAX : (UINT64_C(1) << h.nreasons) - 1;
    uint64_t allowed_flags = h.nflags >= 64 ? UINT64_MAX : (UINT64_C(1) << h.nflags) - 1;
    for (uint32_t i = 0; i < h.nitems; i++) {
        store_run_item it;
        memcpy(&it, base + h.items_off + (uint64_t)i * sizeof it, sizeof it);
        if (it.code >= nt || it.title >= nt || it.measure_code >= nt || it.measure_title >= nt)
            return fail(why, nwhy, "result %u: a text offset outside the pool", i);
        if (it.ndepartments < 0 || it.nrecommendations < 0 ||
            (uint64_t)it.departments + (uint64_t)it.ndepartments > h.nlists ||
            (uint64_t)it.recommendations + (uint64_t)it.nrecommendations > h.nlists)
            return fail(why, nwhy, "result %u: a list outside the lists", i);
        if (it.category < 0 || (uint32_t)it.category >= h.ncategories || it.primary_reason < -1 ||
            (it.primary_reason >= 0 && (uint32_t)it.primary_reason >= h.nreasons))
            return fail(why, nwhy, "result %u: a category or reason outside the catalog", i);
        if ((it.reasons & ~allowed_reasons) != 0 || (it.flags & ~allowed_flags) != 0)
            return fail(why, nwhy, "result %u: reason or flag bits outside the catalog", i);
        if (it.has_score > 1 || it.pad_ != 0 || (it.has_score && !isfinite(it.score)))
            return fail(why, nwhy, "result %u: a malformed score", i);
    }
    for (uint32_t i = 0; i < h.ndepartments; i++) {
        department d;
        memcpy(&d, base + h.deps_off + (uint64_t)i * sizeof d, sizeof d);
        if (d.name >= nt || (d.kana != NO_TEXT && d.kana >= nt) ||
            (d.division != NO_TEXT && d.division >= nt) ||
            (d.division_kana != NO_TEXT && d.division_kana >= nt) ||
            (d.has_position != 0 && d.has_position != 1) || d.pad != 0)
            return fail(why, nwhy, "department %u: a text offset outside the pool", i);
    }
    return 0;
}

void rimg_attach(store_run *rn, void *data, size_t size, bool mapped)
{
    header h;
    memcpy(&h, data, sizeof h);
    const char *base = data;
    rn->image_ = data;
    rn->image_size_ = size;
    rn->image_mapped = mapped;
    rn->image_fd_ = -1;
    rn->items = (const store_run_item *)(const void *)(base + h.items_off);
    rn->nitems = (int)h.nitems;
    rn->lists_ = (const uint32_t *)(const void *)(base + h.lists_off);
    rn->texts_ = base + h.texts_off;
    int n = (int)h.ndepartments;
    rn->departments = xcalloc((size_t)n + 1, sizeof *rn->departments);
    rn->divisions = xcalloc((size_t)n + 1, sizeof *rn->divisions);
    const department *deps = (const department *)(const void *)(base + h.deps_off);
    for (int i = 0; i < n; i++) {
        store_department *dp = &rn->departments[i];
        dp->name = rn->texts_ + deps[i].name;
        dp->kana = deps[i].kana == NO_TEXT ? NULL : rn->texts_ + deps[i].kana;
        dp->division = deps[i].division == NO_TEXT ? NULL : rn->texts_ + deps[i].division;
        dp->division_kana =
            deps[i].division_kana == NO_TEXT ? NULL : rn->texts_ + deps[i].division_kana;
        dp->has_position = deps[i].has_position != 0;
        dp->position = (long)deps[i].position;
    }
    rn->ndepartments = n;
    rn->ndivisions = store_departments_order(rn->departments, n, rn->divisions);
    /* A mapped image counts too, though its pages are shared: the cache's budget then bounds how
     * many runs a worker keeps mapped as it bounded how many it kept. */
    rn->bytes += (size_t)(n + 1) * (sizeof *rn->departments + sizeof *rn->divisions) + size;
    rn->items_loaded = true;
}

/* ---- building an image from the database ------------------------------------------------------ */

/* A growable byte buffer. */
typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static size_t buf_add(buf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    size_t at = b->n;
    memcpy(b->p + at, data, n);
    b->n += n;
    return at;
}

/* The text pool, each distinct string kept once (open addressing, FNV-1a). */
typedef struct pool {
    buf texts;
    uint32_t *slots; /* offset + 1; 0 empty */
    size_t cap, n;
    bool full;       /* over UINT32_MAX bytes: refused */
} pool;

static size_t text_hash(const char *s)
{
    return (size_t)fnv(FNV_BASIS, (const unsigned char *)s, strlen(s));
}

static uint32_t pool_text(pool *t, const char *s)
{
    if (t->n * 2 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        uint32_t *slots = xcalloc(cap, sizeof *slots);
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i] != 0) {
                size_t j = text_hash(t->texts.p + t->slots[i] - 1) & (cap - 1);
                while (slots[j] != 0)
                    j = (j + 1) & (cap - 1);
                slots[j] = t->slots[i];
            }
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    size_t j = text_hash(s) & (t->cap - 1);
    while (t->slots[j] != 0) {
        if (strcmp(t->texts.p + t->slots[j] - 1, s) == 0)
            return t->slots[j] - 1;
        j = (j + 1) & (t->cap - 1);
    }
    size_t len = strlen(s) + 1;
    if (t->texts.n + len >= UINT32_MAX) {
        t->full = true;
        return 0;
    }
    size_t at = buf_add(&t->texts, s, len);
    t->n++;
    t->slots[j] = (uint32_t)at + 1;
    return (uint32_t)at;
}

/* The few distinct JSON arrays of a run's results (reasons, flags, recommendations repeat across
 * its initiatives): each text is parsed once. Linear over MEMO_MAX entries; past that, texts are
 * parsed every time (correct, only slower). */
#define MEMO_MAX 64
typedef struct memo {
    int n;
    struct {
        uint32_t text; /* pooled: compared by offset */
        uint32_t first;
        int32_t nlist;
        uint64_t bits;
        int unknown;
    } e[MEMO_MAX];
} memo;

/* Appends the strings of a JSON array (array_to_json) to the lists: 0 with first and n set, or -1. */
static int parse_list(pool *t, buf *lists, const char *text, uint32_t *first, int32_t *n)
{
    json_t *arr = json_loads(text, 0, NULL);
    *first = (uint32_t)(lists->n / sizeof(uint32_t));
    *n = 0;
    if (!json_is_array(arr)) {
        json_decref(arr);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        if (json_string_value(e) == NULL)
            continue;
        uint32_t off = pool_text(t, json_string_value(e));
        buf_add(lists, &off, sizeof off);
        (*n)++;
    }
    json_decref(arr);
    return 0;
}

/* parse_list through `m`: a text seen before shares the list parsed the first time. */
static int memo_list(pool *t, buf *lists, memo *m, const char *text, uint32_t *first, int32_t *n)
{
    uint32_t key = pool_text(t, text);
    for (int k = 0; k < m->n; k++)
        if (m->e[k].text == key) {
            *first = m->e[k].first;
            *n = m->e[k].nlist;
            return 0;
        }
    if (parse_list(t, lists, text, first, n) < 0)
        return -1;
    if (m->n < MEMO_MAX) {
        m->e[m->n].text = key;
        m->e[m->n].first = *first;
        m->e[m->n++].nlist = *n;
    }
    return 0;
}

static uint64_t id_bits(const store_run_label *list, int n, const char *text, int *unknown)
{
    json_t *arr = json_loads(text, 0, NULL);
    uint64_t bits = 0;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) {
        int k = json_string_value(e) ? store_run_find(list, n, json_string_value(e)) : -1;
        if (k < 0)
            (*unknown)++;
        else
            bits |= (uint64_t)1 << k;
    }
    json_decref(arr);
    return bits;
}

static uint64_t memo_bits(pool *t, memo *m, const store_run_label *list, int nlist,
                          const char *text, int *unknown)
{
    uint32_t key = pool_text(t, text);
    for (int k = 0; k < m->n; k++)
        if (m->e[k].text == key) {
            *unknown += m->e[k].unknown;
            return m->e[k].bits;
        }
    int u = 0;
    uint64_t bits = id_bits(list, nlist, text, &u);
    *unknown += u;
    if (m->n < MEMO_MAX) {
        m->e[m->n].text = key;
        m->e[m->n].bits = bits;
        m->e[m->n++].unknown = u;
    }
    return bits;
}

static int item_cmp(const void *a, const void *b, void *texts)
{
    return code_order_cmp((const char *)texts + ((const store_run_item *)a)->code,
                          (const char *)texts + ((const store_run_item *)b)->code);
}

/* In initiative_id order, as sql_departments: the two are merged by id in C. A correlated
 * json_agg of each initiative's departments made loading a run of 100,000 take ~1.2 s, most of
 * it PostgreSQL running 100,000 subqueries. */
static const char *const sql_items =
    "SELECT i.code, i.title, m.code, m.title, e.initiative_id,"
    " e.score::text, e.category, array_to_json(e.reasons)::text,"
    " array_to_json(e.flags)::text, array_to_json(e.recommendations)::text, e.primary_reason"
    " FROM evaluation_results e JOIN initiatives i ON i.id = e.initiative_id"
    " JOIN measures m ON m.id = i.measure_id WHERE e.run_id = $1 ORDER BY e.initiative_id";
static const char *const sql_departments =
    "SELECT x.initiative_id, d.name FROM initiative_departments x"
    " JOIN departments d ON d.id = x.department_id"
    " WHERE x.initiative_id IN (SELECT e.initiative_id FROM evaluation_results e WHERE e.run_id = $1)"
    " ORDER BY x.initiative_id, x.position";
/* Every department (a city has a few hundred at most), read after the results' departments so
 * that it names each of them. */
static const char *const sql_department_catalog =
    "SELECT name, kana, division, division_kana, position FROM departments";

static uint32_t optional_text(pool *t, const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NO_TEXT : pool_text(t, PQgetvalue(r, row, col));
}

static void pad8(buf *b)
{
    static const char zero[8] = {0};
    if (b->n % 8 != 0)
        buf_add(b, zero, 8 - b->n % 8);
}

int rimg_build(PGconn *c, const store_run *rn, long long data_version, void **out, size_t *size,
               store_error *err)
{
    store_error_clear(err);
    *out = NULL;
    *size = 0;
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", rn->id);
    const char *params[] = {idtext};
    PGresult *res = NULL, *deps = NULL, *cat = NULL;
    int rc = -1;
    res = store_select(c, sql_items, 1, params, "reading the run's results", err);
    if (res != NULL)
        deps = store_select(c, sql_departments, 1, params, "reading the results' departments", err);
    if (deps != NULL)
        cat = store_select(c, sql_department_catalog, 0, NULL, "reading the departments", err);
    if (cat != NULL)
        rc = rimg_build_results(rn, data_version, res, deps, cat, out, size, err);
    PQclear(res);
    PQclear(deps);
    PQclear(cat);
    return rc;
}

int rimg_build_results(const store_run *rn, long long data_version, const PGresult *res,
                       const PGresult *deps, const PGresult *cat, void **out, size_t *size,
                       store_error *err)
{
    store_error_clear(err);
    *out = NULL;
    *size = 0;
    long long id = rn->id;
    pool texts = {{NULL, 0, 0}, NULL, 0, 0, false};
    buf lists = {NULL, 0, 0}, items = {NULL, 0, 0};
    memo *recs = xcalloc(3, sizeof *recs), *reasons = recs + 1, *flags = recs + 2;
    int rc = -1;
    pool_text(&texts, ""); /* offset 0: the empty string */
    int n = PQntuples(res), nd = PQntuples(deps), d = 0;
    if (n != rn->total || n > RIMG_MAX_ITEMS) {
        /* Never cached: a run is read whole or not at all (sql/010 says how it could differ). */
        store_fail(err, STORE_EDB, "run %lld: %d of its %ld results could be read", id, n,
                   rn->total);
        goto out;
    }
    int unknown = 0;
    for (int i = 0; i < n; i++) {
        store_run_item it = {0};
        it.code = pool_text(&texts, PQgetvalue(res, i, 0));
        it.title = pool_text(&texts, PQgetvalue(res, i, 1));
        it.measure_code = pool_text(&texts, PQgetvalue(res, i, 2));
        it.measure_title = pool_text(&texts, PQgetvalue(res, i, 3));
        long initiative = strtol(PQgetvalue(res, i, 4), NULL, 10);
        while (d < nd && strtol(PQgetvalue(deps, d, 0), NULL, 10) < initiative)
            d++;
        it.departments = (uint32_t)(lists.n / sizeof(uint32_t));
        while (d < nd && strtol(PQgetvalue(deps, d, 0), NULL, 10) == initiative) {
            uint32_t off = pool_text(&texts, PQgetvalue(deps, d++, 1));
            buf_add(&lists, &off, sizeof off);
            it.ndepartments++;
        }
        if (memo_list(&texts, &lists, recs, PQgetvalue(res, i, 9), &it.recommendations,
                      &it.nrecommendations) < 0) {
            store_fail(err, STORE_ESCHEMA, "run %lld: malformed result row", id);
            goto out;
        }
        it.has_score = !PQgetisnull(res, i, 5);
        it.score = it.has_score ? strtod(PQgetvalue(res, i, 5), NULL) : 0;
        if (it.has_score && !isfinite(it.score)) {
            store_fail(err, STORE_ESCHEMA, "run %lld: a score is not a finite number", id);
            goto out;
        }
        it.category = store_run_find(rn->categories, rn->ncategories, PQgetvalue(res, i, 6));
        if (it.category < 0) {
            unknown++;
            it.category = rn->ncategories - 1;
        }
        it.reasons = memo_bits(&texts, reasons, rn->reasons, rn->nreasons, PQgetvalue(res, i, 7),
                               &unknown);
        it.flags = memo_bits(&texts, flags, rn->flags, rn->nflags, PQgetvalue(res, i, 8), &unknown);
        it.primary_reason = -1;
        if (!PQgetisnull(res, i, 10)) {
            it.primary_reason = store_run_find(rn->reasons, rn->nreasons, PQgetvalue(res, i, 10));
            if (it.primary_reason < 0)
                unknown++;
        }
        buf_add(&items, &it, sizeof it);
    }
    if (unknown > 0) {
        store_fail(err, STORE_ESCHEMA, "run %lld: %d result ids are not in the rule set's catalog",
                   id, unknown);
        goto out;
    }
    int ncat = PQntuples(cat);
    buf depbuf = {NULL, 0, 0};
    for (int i = 0; i < ncat; i++) {
        department dp = {0};
        dp.name = pool_text(&texts, PQgetvalue(cat, i, 0));
        dp.kana = optional_text(&texts, cat, i, 1);
        dp.division = optional_text(&texts, cat, i, 2);
        dp.division_kana = optional_text(&texts, cat, i, 3);
        dp.has_position = !PQgetisnull(cat, i, 4);
        dp.position = dp.has_position ? strtoll(PQgetvalue(cat, i, 4), NULL, 10) : 0;
        buf_add(&depbuf, &dp, sizeof dp);
    }
    if (texts.full || lists.n / sizeof(uint32_t) >= UINT32_MAX) {
        free(depbuf.p);
        store_fail(err, STORE_EDB, "run %lld: its texts exceed 4 GiB", id);
        goto out;
    }
    qsort_r(items.p, (size_t)n, sizeof(store_run_item), item_cmp, texts.texts.p);

    header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof h.magic);
    h.version = RIMG_VERSION;
    h.byte_order = BYTE_ORDER_MARK;
    h.run_id = id;
    h.data_version = data_version;
    h.identity = rimg_identity(rn);
    h.nitems = (uint32_t)n;
    h.nlists = (uint32_t)(lists.n / sizeof(uint32_t));
    h.ndepartments = (uint32_t)ncat;
    h.ncategories = (uint32_t)rn->ncategories;
    h.nreasons = (uint32_t)rn->nreasons;
    h.nflags = (uint32_t)rn->nflags;
    buf img = {NULL, 0, 0};
    buf_add(&img, &h, sizeof h);
    pad8(&img);
    h.items_off = img.n;
    if (items.n > 0)
        buf_add(&img, items.p, items.n);
    h.lists_off = img.n;
    if (lists.n > 0)
        buf_add(&img, lists.p, lists.n);
    pad8(&img);
    h.deps_off = img.n;
    if (depbuf.n > 0)
        buf_add(&img, depbuf.p, depbuf.n);
    h.texts_off = img.n;
    h.texts_size = texts.texts.n;
    buf_add(&img, texts.texts.p, texts.texts.n);
    pad8(&img);
    h.size = img.n;
    memcpy(img.p, &h, sizeof h);
    h.checksum = rimg_checksum(img.p, img.n);
    memcpy(img.p + offsetof(header, checksum), &h.checksum, sizeof h.checksum);
    free(depbuf.p);
    *out = img.p;
    *size = img.n;
    rc = 0;
out:
    free(texts.texts.p);
    free(texts.slots);
    free(lists.p);
    free(items.p);
    free(recs);
    return rc;
}

/* ---- files ------------------------------------------------------------------------------------ */

/* Whether this process may trust the file `st` describes not to change under a mapping: owned by
 * the server's own uid and writable by nobody else. Anyone who can write the file can truncate
 * it, and a worker touching a page past the new end is killed by SIGBUS. 0, or -1 with why. */
static int trusted(const struct stat *st, char *why, size_t nwhy)
{
    uid_t self = geteuid();
    if (st->st_uid != self)
        return fail(why, nwhy, "owned by uid %ld, not by the server's uid %ld", (long)st->st_uid,
                    (long)self);
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return fail(why, nwhy, "writable by %s (mode %04o)",
                    (st->st_mode & S_IWOTH) != 0 ? "others" : "its group",
                    (unsigned)(st->st_mode & 07777));
    return 0;
}

int rimg_map_file(const char *path, const rimg_expect *want, void **data, size_t *size, int *fd,
                  char *why, size_t nwhy)
{
    *data = NULL;
    *size = 0;
    *fd = -1;
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0) {
        if (errno == ENOENT)
            return 1;
        return fail(why, nwhy, "cannot open: %s", strerror(errno));
    }
    /* Shared, so that rimg_clean_dir (exclusive, never waiting) leaves a mapped image in place. A
     * cleanup holding it exclusively is about to remove the file: as if it were gone. */
    while (flock(f, LOCK_SH | LOCK_NB) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return 1;
        return fail(why, nwhy, "cannot lock: %s", strerror(e));
    }
    struct stat st;
    if (fstat(f, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(f);
        return fail(why, nwhy, "not a regular file");
    }
    if (trusted(&st, why, nwhy) < 0) {
        close(f);
        return -2;
    }
    if (st.st_size < (off_t)sizeof(header)) {
        close(f);
        return fail(why, nwhy, "%lld bytes, shorter than an image's header",
                    (long long)st.st_size);
    }
    size_t n = (size_t)st.st_size;
    void *p = mmap(NULL, n, PROT_READ, MAP_SHARED, f, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(f);
        return fail(why, nwhy, "cannot map: %s", strerror(e));
    }
    if (rimg_check(p, n, want, why, nwhy) < 0) {
        munmap(p, n);
        close(f);
        return -1;
    }
    *data = p;
    *size = n;
    *fd = f;
    return 0;
}

void rimg_unmap(void *data, size_t size, int fd)
{
    if (data != NULL)
        munmap(data, size);
    if (fd >= 0)
        close(fd); /* and with it the shared lock */
}

static void warnf(void (*warn)(const char *), const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warnf(void (*warn)(const char *), const char *fmt, ...)
{
    if (warn == NULL)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    warn(msg);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes `path` atomically: a temp file beside it, fsync'd, renamed, the directory fsync'd. */
static int write_image(const char *dir, const char *path, const void *data, size_t size,
                       char *why, size_t nwhy)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp)
        return fail(why, nwhy, "path too long");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(why, nwhy, "cannot create %s: %s", tmp, strerror(errno));
    if (write_all(fd, data, size) < 0 || fsync(fd) < 0) {
        fail(why, nwhy, "cannot write %s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        fail(why, nwhy, "cannot rename %s: %s", tmp, strerror(errno));
        unlink(tmp);
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* the rename is durable; an image lost in a crash is only rebuilt */
        close(dfd);
    }
    return 0;
}

/* An image file of the directory: its name's run id and data version and its mtime. */
typedef struct found {
    char name[256];
    time_t mtime;
} found;

static int by_mtime_desc(const void *a, const void *b)
{
    time_t x = ((const found *)a)->mtime, y = ((const found *)b)->mtime;
    return (x < y) - (x > y);
}

/* Removes the image `name` of the directory `dfd` unless a worker maps it (holds its shared
 * lock, rimg_map_file): 0 removed, 1 kept because mapped, -1 with errno. The exclusive lock is
 * taken without waiting and held across the unlink, so no worker maps the file in between. */
static int remove_unmapped(int dfd, const char *name)
{
    int f = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0) {
        if (errno == ENOENT)
            return 0;
        /* a file this server cannot open (another owner's) is one no worker of it maps */
        return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
    }
    int rc;
    while ((rc = flock(f, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
        ;
    if (rc < 0) {
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return 1;
        errno = e;
        return -1;
    }
    rc = unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -1 : 0;
    int e = errno;
    close(f);
    errno = e;
    return rc;
}

/* run_image.h. A mapped image waits for a later cleanup (remove_unmapped), so that the directory
 * shows every file in use and the space it takes. */
void rimg_clean_dir(const char *dir, const char *keep, long long data_version,
                    void (*warn)(const char *))
{
    DIR *dp = opendir(dir);
    if (dp == NULL)
        return;
    int dfd = dirfd(dp);
    found *list = NULL;
    int n = 0, cap = 0;
    char suffix[32];
    snprintf(suffix, sizeof suffix, ".v%d.img", RIMG_VERSION);
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        if (strncmp(name, "run-", 4) != 0 || strcmp(name, keep) == 0)
            continue;
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
            if (now - st.st_mtime > RIMG_TMP_AGE_S)
                unlinkat(dfd, name, 0);
            continue;
        }
        long long run = 0, dv = -1;
        bool current = sscanf(name, "run-%lld-%lld-", &run, &dv) == 2 && dv == data_version &&
                       len > strlen(suffix) && strcmp(name + len - strlen(suffix), suffix) == 0 &&
                       len < sizeof list->name;
        if (!current) {
            if (remove_unmapped(dfd, name) < 0)
                warnf(warn, "cannot remove the stale run image %s/%s: %s", dir, name,
                      strerror(errno));
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            list = xrealloc(list, (size_t)cap * sizeof *list);
        }
        snprintf(list[n].name, sizeof list[n].name, "%s", name);
        list[n++].mtime = st.st_mtime;
    }
    if (n > 1) /* list is NULL when no current image was found: qsort's pointer is nonnull */
        qsort(list, (size_t)n, sizeof *list, by_mtime_desc);
    for (int i = RIMG_KEEP; i < n; i++)
        remove_unmapped(dfd, list[i].name);
    free(list);
    closedir(dp);
}

/* Takes `<dir>/lock`, waiting up to RIMG_LOCK_WAIT_S: the fd, or -1 (why set). */
static int lock_dir(const char *dir, char *why, size_t nwhy)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/lock", dir) >= (int)sizeof path)
        return fail(why, nwhy, "path too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return fail(why, nwhy, "cannot open %s: %s", path, strerror(errno));
    for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; waited++) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            fail(why, nwhy, "cannot lock %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (waited >= RIMG_LOCK_WAIT_S * 20) {
            fail(why, nwhy, "%s still locked after %d s", path, RIMG_LOCK_WAIT_S);
            close(fd);
            return -1;
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return fd;
}

/* Loads from the database into a private block (no image file). */
static int load_private(PGconn *c, store_run *rn, long long dv, rimg_source *source,
                        store_error *err)
{
    void *img;
    size_t size;
    if (rimg_build(c, rn, dv, &img, &size, err) < 0)
        return -1;
    rimg_attach(rn, img, size, false);
    *source = RIMG_FROM_DB;
    return 0;
}

/* Gives rn a mapped image and the file that stays open, share-locked, while it is mapped. */
static int attach_file(store_run *rn, void *data, size_t size, int fd, rimg_source from,
                       rimg_source *source)
{
    rimg_attach(rn, data, size, true);
    rn->image_fd_ = fd;
    *source = from;
    return 0;
}

/* An image this server must not map (rimg_map_file's -2: another owner, or writable by others):
 * said once per load, the file left as it is (it is not ours to remove), the run read privately. */
static int untrusted(PGconn *c, store_run *rn, long long dv, const char *path, const char *why,
                     void (*warn)(const char *), rimg_source *source, store_error *err)
{
    warnf(warn,
          "run image %s not mapped: %s (anyone who can write it could truncate it under a "
          "worker); run %lld is read from the database privately",
          path, why, rn->id);
    return load_private(c, rn, dv, source, err);
}

int rimg_load_items(PGconn *c, store_run *rn, const char *dir, rimg_source *source,
                    void (*warn)(const char *message), store_error *err)
{
    store_error_clear(err);
    *source = RIMG_FROM_DB;
    if (rn->items_loaded)
        return 0;
    long long newest, dv, dv_after;
    if (store_read_versions(c, &newest, &dv, err) < 0)
        return -1;
    if (dir == NULL || dir[0] == '\0')
        return load_private(c, rn, dv, source, err);
    rimg_expect want = {rn->id, dv, rimg_identity(rn), rn->ncategories, rn->nreasons, rn->nflags,
                        rn->total};
    char path[PATH_MAX], name[128], why[512];
    snprintf(name, sizeof name, "run-%lld-%lld-%016llx.v%d.img", rn->id, dv,
             (unsigned long long)want.identity, RIMG_VERSION);
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        warnf(warn, "run images: the directory name %s is too long; reading runs privately", dir);
        return load_private(c, rn, dv, source, err);
    }
    void *data;
    size_t size;
    int fd;
    int m = rimg_map_file(path, &want, &data, &size, &fd, why, sizeof why);
    if (m == 0)
        return attach_file(rn, data, size, fd, RIMG_FROM_IMAGE, source);
    if (m == -2)
        return untrusted(c, rn, dv, path, why, warn, source, err);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        warnf(warn, "run images: cannot create %s: %s; reading runs privately", dir,
              strerror(errno));
        return load_private(c, rn, dv, source, err);
    }
    int lock = lock_dir(dir, why, sizeof why);
    if (lock < 0) {
        warnf(warn, "run images: %s; reading run %lld privately", why, rn->id);
        return load_private(c, rn, dv, source, err);
    }
    /* Under the lock: another process may have written it while this one waited. */
    m = rimg_map_file(path, &want, &data, &size, &fd, why, sizeof why);
    if (m == 0) {
        close(lock);
        return attach_file(rn, data, size, fd, RIMG_FROM_IMAGE, source);
    }
    if (m == -2) {
        close(lock);
        return untrusted(c, rn, dv, path, why, warn, source, err);
    }
    if (m < 0) {
        warnf(warn, "run image %s refused (%s); removed, run %lld is read from the database", path,
              why, rn->id);
        unlink(path);
    }
    void *img;
    if (rimg_build(c, rn, dv, &img, &size, err) < 0) {
        close(lock);
        return -1;
    }
    /* An import that committed while the results were read may have changed them: such an
     * image would carry the old data version's name with newer titles. Keep it private. */
    if (store_read_versions(c, &newest, &dv_after, err) < 0 || dv_after != dv) {
        close(lock);
        store_error_clear(err);
        rimg_attach(rn, img, size, false);
        *source = RIMG_FROM_DB;
        return 0;
    }
    if (write_image(dir, path, img, size, why, sizeof why) < 0) {
        close(lock);
        warnf(warn, "run images: %s; run %lld is kept privately", why, rn->id);
        rimg_attach(rn, img, size, false);
        *source = RIMG_FROM_DB;
        return 0;
    }
    rimg_clean_dir(dir, name, dv, warn);
    m = rimg_map_file(path, &want, &data, &size, &fd, why, sizeof why);
    close(lock);
    if (m != 0) { /* removed or replaced under us: keep the private copy */
        warnf(warn, "run image %s written but not readable (%s); kept privately", path,
              m < 0 ? why : "gone");
        rimg_attach(rn, img, size, false);
        *source = RIMG_FROM_DB;
        return 0;
    }
    free(img);
#ifdef __GLIBC__
    malloc_trim(0); /* the build's peak (results, lists, the private copy) back to the system */
#endif
    return attach_file(rn, data, size, fd, RIMG_WROTE, source);
}
