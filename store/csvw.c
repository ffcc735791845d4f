/* csvw.c - the one CSV writer: typed cells, libcsv's quoting, formula-looking text neutralised. */
#include "csvw.h"

#include "strbuf.h"
#include "xalloc.h"

#include <assert.h>
#include <csv.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct csvw {
    strbuf out;  /* the document (NUL-terminated, as strbuf_put leaves it) */
    strbuf list; /* the list cell being built by csvw_list_item */
    bool list_open;
    bool in_row; /* a cell was written on the current row: the next one needs a ',' first */
    const char *eol;
};

csvw *csvw_new(csvw_dialect dialect)
{
    csvw *w = xcalloc(1, sizeof *w);
    w->eol = dialect == CSVW_EXCEL ? "\r\n" : "\n";
    strbuf_put(&w->out, "\xEF\xBB\xBF", dialect == CSVW_EXCEL ? 3 : 0); /* the BOM, or "" */
    return w;
}

void csvw_free(csvw *w)
{
    if (w == NULL)
        return;
    strbuf_cleanup(&w->out);
    strbuf_cleanup(&w->list);
    free(w);
}

static void put(csvw *w, const char *s, size_t n)
{
    strbuf_put(&w->out, s, n);
}

/* The ',' before every cell but a row's first. */
static void cell_start(csvw *w)
{
    assert(!w->list_open && "a list cell was begun and not ended");
    if (w->in_row)
        put(w, ",", 1);
    w->in_row = true;
}

/* The characters that make a spreadsheet read a cell as a formula (OWASP): '=', '+', '-', '@',
 * and TAB and CR, which some of them skip before looking at the next character. */
static bool looks_like_formula(const char *s, size_t n)
{
    return n > 0 && strchr("=+-@\t\r", s[0]) != NULL;
}

/* A quoted text cell of n bytes (libcsv doubles the quotes), "'" first if it looks like a
 * formula. */
static void text(csvw *w, const char *s, size_t n)
{
    cell_start(w);
    size_t need = csv_write(NULL, 0, s, n); /* both quotes and every doubled one */
    if (need == SIZE_MAX || need > SIZE_MAX - 3 - w->out.len)
        abort(); /* a cell as large as the address space: out of memory by any measure */
    bool neutralise = looks_like_formula(s, n);
    strbuf_reserve(&w->out, need + 1); /* the cell and a "'" before it */
    char *at = w->out.data + w->out.len;
    if (neutralise) {
        /* libcsv writes `"…"`; written one byte further on, its opening quote becomes the "'"
         * after ours: `"'…"`. */
        csv_write(at + 1, need, s, n);
        at[0] = '"';
        at[1] = '\'';
        need++;
    } else {
        csv_write(at, need, s, n);
    }
    w->out.len += need;
    w->out.data[w->out.len] = '\0';
}

void csvw_text(csvw *w, const char *s)
{
    if (s == NULL)
        s = "";
    text(w, s, strlen(s));
}

/* A plain name: written bare, it is read back as the same text and never as a formula. */
static bool is_plain_name(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        return false;
    for (; *s != '\0'; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '.'))
            return false;
    return true;
}

void csvw_header(csvw *w, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i] != NULL ? names[i] : "";
        if (is_plain_name(name)) {
            cell_start(w);
            put(w, name, strlen(name));
        } else {
            text(w, name, strlen(name));
        }
    }
    csvw_row_end(w);
}

void csvw_number(csvw *w, double x, int decimals)
{
    assert(decimals == CSVW_SHORTEST || (decimals >= 0 && decimals <= CSVW_MAX_DECIMALS));
    if (!isfinite(x)) {
        csvw_empty(w);
        return;
    }
    /* %f of the largest double has 309 digits before the point */
    char num[320 + CSVW_MAX_DECIMALS];
    int n = decimals == CSVW_SHORTEST ? snprintf(num, sizeof num, "%.15g", x)
                                      : snprintf(num, sizeof num, "%.*f", decimals, x);
    assert(n > 0 && (size_t)n < sizeof num);
    cell_start(w);
    put(w, num, (size_t)n);
}

void csvw_integer(csvw *w, long long x)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", x);
    cell_start(w);
    put(w, num, (size_t)n);
}

void csvw_empty(csvw *w)
{
    cell_start(w);
}

void csvw_list_item(csvw *w, const char *s)
{
    if (s == NULL)
        s = "";
    if (w->list_open)
        strbuf_put(&w->list, ";", 1);
    w->list_open = true;
    strbuf_put(&w->list, s, strlen(s));
}

void csvw_list_end(csvw *w)
{
    w->list_open = false;
    text(w, w->list.data != NULL ? w->list.data : "", w->list.len);
    w->list.len = 0;
}

void csvw_row_end(csvw *w)
{
    assert(!w->list_open && "a list cell was begun and not ended");
    put(w, w->eol, strlen(w->eol));
    w->in_row = false;
}

const char *csvw_data(const csvw *w, size_t *len)
{
    *len = w->out.len;
    return w->out.data;
}

char *csvw_release(csvw *w, size_t *len)
{
    char *doc = w->out.data;
    *len = w->out.len;
    w->out = (strbuf){0};
    csvw_free(w);
    return doc;
}
