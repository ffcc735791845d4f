/* csvout.c - flattens a JSON array of objects into CSV cells of store/csvw. */
#include "csvout.h"

#include "csvw.h"
#include "json_eng.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

#define CSV_MAX_COLUMNS 256

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
            cols->names[cols->n++] = xstrdup(name);
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

/* One item of a list cell: a string as it is, an object by its id (or code, or name), anything
 * else as its JSON text. */
static void list_item(csvw *w, const json_t *e)
{
    const json_t *id = NULL;
    if (json_is_object(e)) {
        id = json_object_get(e, "id");
        if (id == NULL)
            id = json_object_get(e, "code");
        if (id == NULL)
            id = json_object_get(e, "name");
        e = id;
    }
    if (e == NULL || json_is_null(e)) {
        csvw_list_item(w, "");
    } else if (json_is_string(e)) {
        csvw_list_item(w, json_string_value(e));
    } else {
        char *s = jeng_dumps(e, JENG_DUMP_FLAGS | JSON_ENCODE_ANY);
        csvw_list_item(w, s);
        free(s);
    }
}

static void cell(csvw *w, const json_t *v)
{
    if (v == NULL || json_is_null(v)) {
        csvw_empty(w);
    } else if (json_is_string(v)) {
        csvw_text(w, json_string_value(v));
    } else if (json_is_integer(v)) {
        csvw_integer(w, (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        csvw_number(w, json_real_value(v), CSVW_SHORTEST);
    } else if (json_is_boolean(v)) {
        csvw_text(w, json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) list_item(w, e);
        csvw_list_end(w);
    } else { /* an object past CSV_MAX_COLUMNS columns */
        char *s = jeng_dumps(v, JENG_DUMP_FLAGS);
        csvw_text(w, s);
        free(s);
    }
}

char *csvout_items(const json_t *items, size_t *len)
{
    csvw *w = csvw_new(CSVW_EXCEL);
    columns cols = {{0}, 0};
    if (json_array_size(items) > 0)
        collect(json_array_get(items, 0), "", &cols);
    csvw_header(w, (const char *const *)cols.names, (size_t)cols.n);
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item) {
        for (int c = 0; c < cols.n; c++)
            cell(w, lookup(item, cols.names[c]));
        csvw_row_end(w);
    }
    for (int c = 0; c < cols.n; c++)
        free(cols.names[c]);
    return csvw_release(w, len);
}
