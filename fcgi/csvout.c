/* csvout.c - flattens a JSON array of objects into CSV with libcsv's quoting. */
#include "csvout.h"

#include "json_eng.h"

#include <csv.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CSV_MAX_COLUMNS 256

typedef struct out {
    char *data;
    size_t len, cap;
} out;

/* Makes room for n more bytes and the NUL. */
static void reserve(out *o, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->data = realloc(o->data, o->cap);
        if (o->data == NULL)
            abort();
    }
}

static void put(out *o, const char *s, size_t n)
{
    reserve(o, n);
    memcpy(o->data + o->len, s, n);
    o->len += n;
    o->data[o->len] = '\0';
}

static void field(out *o, const char *s, bool first)
{
    if (!first)
        put(o, ",", 1);
    size_t n = strlen(s), need = csv_write(NULL, 0, s, n);
    reserve(o, need);
    o->len += csv_write(o->data + o->len, need, s, n);
    o->data[o->len] = '\0';
}

/* Text of a scalar or list cell; malloc'd. */
static char *cell(const json_t *v)
{
    if (v == NULL || json_is_null(v))
        return strdup("");
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (json_is_true(v))
        return strdup("true");
    if (json_is_false(v))
        return strdup("false");
    if (json_is_array(v)) {
        out o = {0};
        put(&o, "", 0);
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) {
            const json_t *id = json_is_object(e) ? json_object_get(e, "id") : NULL;
            if (json_is_object(e) && id == NULL)
                id = json_object_get(e, "code");
            if (json_is_object(e) && id == NULL)
                id = json_object_get(e, "name");
            char *s = cell(id != NULL ? id : e);
            if (i > 0)
                put(&o, ";", 1);
            put(&o, s, strlen(s));
            free(s);
        }
        return o.data;
    }
    return json_dumps(v, JENG_DUMP_FLAGS | JSON_ENCODE_ANY);
}

typedef struct columns {
    char *names[CSV_MAX_COLUMNS];
    int n;
} columns;

static void collect(const json_t *obj, const char *prefix, columns *cols)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        char name[256];
        snprintf(name, sizeof name, "%s%s%s", prefix, prefix[0] ? "." : "", k);
        if (json_is_object(v))
            collect(v, name, cols);
        else if (cols->n < CSV_MAX_COLUMNS)
            cols->names[cols->n++] = strdup(name);
    }
}

static const json_t *lookup(const json_t *obj, const char *path)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", path);
    const json_t *v = obj;
    char *save = NULL;
    for (char *part = strtok_r(copy, ".", &save); part && v; part = strtok_r(NULL, ".", &save))
        v = json_is_object(v) ? json_object_get(v, part) : NULL;
    return v;
}

char *csvout_items(const json_t *items, size_t *len)
{
    out o = {0};
    put(&o, "\xEF\xBB\xBF", 3); /* BOM: Excel reads UTF-8 only with it */
    columns cols = {{0}, 0};
    if (json_array_size(items) > 0)
        collect(json_array_get(items, 0), "", &cols);
    for (int c = 0; c < cols.n; c++)
        field(&o, cols.names[c], c == 0);
    put(&o, "\r\n", 2);
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item) {
        for (int c = 0; c < cols.n; c++) {
            char *s = cell(lookup(item, cols.names[c]));
            field(&o, s ? s : "", c == 0);
            free(s);
        }
        put(&o, "\r\n", 2);
    }
    for (int c = 0; c < cols.n; c++)
        free(cols.names[c]);
    *len = o.len;
    return o.data;
}
