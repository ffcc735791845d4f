/* import.c - `hyoka import`: CSV (libcsv, iconv) -> positioned validation -> COPY into temporary
 * tables -> set-based checks and upserts, all in one transaction. */
#include "i18n.h"
#include "import.h"
#include "csv_cell.h"
#include "kana.h"
#include "narrative.h"
#include "strbuf.h"
#include "xalloc.h"

#include <csv.h>
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- what each file holds ------------------------------------------------------------------- */

typedef enum {
    CT_TEXT,      /* any text */
    CT_CODE,      /* a code or key: no control characters, at most IMPORT_MAX_CODE_BYTES */
    CT_DATE,      /* YYYY-MM-DD or YYYY/M/D */
    CT_PROGRESS,  /* 0..1 or 0%..100% */
    CT_AMOUNT,    /* number >= 0, thousands separators allowed */
    CT_NUMBER,    /* any number, thousands separators allowed */
    CT_BOOL,      /* true/false, yes/no, 1/0, はい/いいえ, ○/× */
    CT_YEAR,      /* fiscal year 1900..2200 */
    CT_DIRECTION, /* up / down */
    CT_LIST,      /* items separated by '、' or ';' (stored joined by U+001F) */
    CT_KIND,      /* a kind of report_texts.csv's rows (narrative_kind) */
    CT_KANA,      /* a reading: full-width katakana or hiragana (kana_check) */
    CT_POSITION,  /* a place in an order: a whole number 0..999999999 */
} cell_type;

enum {
    F_KEY = 1,      /* part of the upsert key: the column is required and its cells too */
    F_REQUIRED = 2, /* required column (title), cells must not be empty */
    F_NEW = 4,      /* may be left out, but a new row needs it; a cell given must not be empty */
};

typedef struct column_spec {
    const char *name;
    cell_type type;
    unsigned flags;
    const char *sql_type; /* of the temporary table's column */
    const char *target;   /* column of the real table; NULL for lists (handled apart) */
    const char *ref;      /* the cell is the code of a row of this table; `target` gets its id */
} column_spec;

#define MAX_SPEC_COLUMNS 10

typedef struct table_spec {
    const char *file;     /* base name, e.g. "measures.csv" */
    const char *table;    /* real table */
    const char *tmp;      /* temporary table */
    const char *exists;   /* predicate over t: the row is already stored */
    bool numbered;        /* the table numbers new rows (identity id): insert them in file order */
    int ncols;
    column_spec cols[MAX_SPEC_COLUMNS];
} table_spec;

/* In dependency order: the order files are applied in. plans.csv, departments.csv and
 * report_texts.csv extend the SPEC's eight files (the report names the plan and the roadmap, and
 * quotes the planning office's text: store/narrative.h; departments.csv gives the departments'
 * readings, 部 and order: store/departments.h); nothing else refers to them. departments.csv
 * comes before initiatives.csv: a department new to both files is counted as new by it. */
static const table_spec TABLES[] = {
    {"plans.csv", "plans", "imp_plans",
     "EXISTS (SELECT 1 FROM plans x WHERE x.code = t.code)", true, 7,
     {{"code", CT_CODE, F_KEY, "text", "code", NULL},
      {"title", CT_TEXT, F_REQUIRED, "text", "title", NULL},
      {"period_start", CT_DATE, 0, "date", "period_start", NULL},
      {"period_end", CT_DATE, 0, "date", "period_end", NULL},
      {"adopted_on", CT_DATE, 0, "date", "adopted_on", NULL},
      {"roadmap_title", CT_TEXT, 0, "text", "roadmap_title", NULL},
      {"roadmap_adopted_on", CT_DATE, 0, "date", "roadmap_adopted_on", NULL}}},
    {"departments.csv", "departments", "imp_departments",
     "EXISTS (SELECT 1 FROM departments x WHERE x.name = t.name)", true, 5,
     {{"name", CT_CODE, F_KEY, "text", "name", NULL},
      {"kana", CT_KANA, 0, "text", "kana", NULL},
      {"division", CT_CODE, 0, "text", "division", NULL},
      {"division_kana", CT_KANA, 0, "text", "division_kana", NULL},
      {"position", CT_POSITION, 0, "integer", "position", NULL}}},
    {"measures.csv", "measures", "imp_measures",
     "EXISTS (SELECT 1 FROM measures x WHERE x.code = t.code)", true, 3,
     {{"code", CT_CODE, F_KEY, "text", "code", NULL},
      {"title", CT_TEXT, F_REQUIRED, "text", "title", NULL},
      {"area", CT_TEXT, 0, "text", "area", NULL}}},
    {"initiatives.csv", "initiatives", "imp_initiatives",
     "EXISTS (SELECT 1 FROM initiatives x WHERE x.code = t.code)", true, 6,
     {{"code", CT_CODE, F_KEY, "text", "code", NULL},
      {"measure_code", CT_CODE, F_NEW, "text", "measure_id",
       "measures"},
      {"title", CT_TEXT, F_REQUIRED, "text", "title", NULL},
      {"departments", CT_LIST, 0, "text", NULL, NULL},
      {"start_date", CT_DATE, 0, "date", "start_date", NULL},
      {"due_date", CT_DATE, 0, "date", "due_date", NULL}}},
    {"milestones.csv", "milestones", "imp_milestones",
     "EXISTS (SELECT 1 FROM milestones x JOIN initiatives i ON i.id = x.initiative_id"
     " WHERE i.code = t.initiative_code AND x.fiscal_year = t.fiscal_year)",
     false, 4,
     {{"initiative_code", CT_CODE, F_KEY, "text", "initiative_id", "initiatives"},
      {"fiscal_year", CT_YEAR, F_KEY, "integer", "fiscal_year", NULL},
      {"planned_progress", CT_PROGRESS, F_NEW, "numeric", "planned_progress", NULL},
      {"phase", CT_TEXT, 0, "text", "phase", NULL}}},
    {"surveys.csv", "surveys", "imp_surveys",
     "EXISTS (SELECT 1 FROM surveys x WHERE x.code = t.code)", true, 3,
     {{"code", CT_CODE, F_KEY, "text", "code", NULL},
      {"as_of", CT_DATE, F_NEW, "date", "as_of", NULL},
      {"label", CT_TEXT, 0, "text", "label", NULL}}},
    {"progress.csv", "progress_reports", "imp_progress",
     "EXISTS (SELECT 1 FROM progress_reports x JOIN initiatives i ON i.id = x.initiative_id"
     " JOIN surveys s ON s.id = x.survey_id"
     " WHERE i.code = t.initiative_code AND s.code = t.survey_code)",
     false, 10,
     {{"initiative_code", CT_CODE, F_KEY, "text", "initiative_id", "initiatives"},
      {"survey_code", CT_CODE, F_KEY, "text", "survey_id",
       "surveys"},
      {"actual_progress", CT_PROGRESS, 0, "numeric", "actual_progress", NULL},
      {"budget_planned", CT_AMOUNT, 0, "numeric", "budget_planned", NULL},
      {"budget_spent", CT_AMOUNT, 0, "numeric", "budget_spent", NULL},
      {"expected_benefit", CT_AMOUNT, 0, "numeric", "expected_benefit", NULL},
      {"plan_decided", CT_BOOL, 0, "boolean", "plan_decided", NULL},
      {"context_changed", CT_BOOL, 0, "boolean", "context_changed", NULL},
      {"reported_reason", CT_TEXT, 0, "text", "reported_reason", NULL},
      {"comment", CT_TEXT, 0, "text", "comment", NULL}}},
    {"kpis.csv", "kpis", "imp_kpis", "EXISTS (SELECT 1 FROM kpis x WHERE x.code = t.code)",
     true, 9,
     {{"code", CT_CODE, F_KEY, "text", "code", NULL},
      {"title", CT_TEXT, F_REQUIRED, "text", "title", NULL},
      {"unit", CT_TEXT, 0, "text", "unit", NULL},
      {"direction", CT_DIRECTION, 0, "text", "direction", NULL},
      {"baseline_value", CT_NUMBER, 0, "numeric", "baseline_value", NULL},
      {"baseline_date", CT_DATE, 0, "date", "baseline_date", NULL},
      {"target_value", CT_NUMBER, 0, "numeric", "target_value", NULL},
      {"target_date", CT_DATE, 0, "date", "target_date", NULL},
      {"initiative_codes", CT_LIST, 0, "text", NULL, NULL}}},
    {"kpi_values.csv", "kpi_values", "imp_kpi_values",
     "EXISTS (SELECT 1 FROM kpi_values x JOIN kpis k ON k.id = x.kpi_id"
     " WHERE k.code = t.kpi_code AND x.date = t.date)",
     false, 3,
     {{"kpi_code", CT_CODE, F_KEY, "text", "kpi_id",
       "kpis"},
      {"date", CT_DATE, F_KEY, "date", "date", NULL},
      {"value", CT_NUMBER, F_NEW, "numeric", "value", NULL}}},
    {"projects.csv", "projects", "imp_projects",
     "EXISTS (SELECT 1 FROM projects x WHERE x.theme = t.theme)", true, 3,
     {{"theme", CT_CODE, F_KEY, "text", "theme", NULL},
      {"department", CT_TEXT, 0, "text", "department", NULL},
      {"stage", CT_TEXT, 0, "text", "stage", NULL}}},
    /* No key: the rows of a survey are its narrative in file order (narrative_apply). */
    {NARRATIVE_FILE, "report_texts", NARRATIVE_TMP, "false", false, 4,
     {{"survey_code", CT_CODE, F_REQUIRED, "text", NULL, NULL},
      {"kind", CT_KIND, F_REQUIRED, "text", NULL, NULL},
      {"text", CT_TEXT, 0, "text", NULL, NULL},
      {"kpi_codes", CT_LIST, 0, "text", NULL, NULL}}},
};
#define NTABLES ((int)(sizeof TABLES / sizeof TABLES[0]))
_Static_assert(sizeof TABLES / sizeof TABLES[0] == IMPORT_MAX_FILES, "one file of each kind");

enum {
    T_PLANS, T_DEPARTMENTS, T_MEASURES, T_INITIATIVES, T_MILESTONES, T_SURVEYS, T_PROGRESS, T_KPIS, T_KPI_VALUES,
    T_PROJECTS, T_REPORT_TEXTS
};

/* ---- diagnostics ------------------------------------------------------------------------------ */

typedef struct diag {
    int file;   /* index into import.files */
    long row;   /* 0: the whole file */
    int column; /* header position, -1: none */
    const char *missing; /* a required column the header lacks (static), named as the column */
    char *message;
} diag;

typedef struct imp_file {
    const char *path;        /* as given */
    const table_spec *spec;
    int header_row;          /* 0 until the header is read */
    bool skip_rows;          /* the header is unusable: its rows would only repeat that */
    int ncols;               /* header cells */
    int col_spec[IMPORT_MAX_COLUMNS]; /* header position -> spec column, -1: unknown */
    char *col_name[IMPORT_MAX_COLUMNS]; /* header cells as UTF-8 */
    int present[MAX_SPEC_COLUMNS];  /* spec column -> header position, -1: left out */
    strbuf copy;                    /* COPY text data: row, then the cells in header order */
    long nrows;              /* data rows */
} imp_file;

typedef struct import {
    imp_file files[IMPORT_MAX_FILES];
    int nfiles;
    iconv_t cd;               /* source encoding -> UTF-8 */
    bool cp932;
    diag *diags;
    int ndiags, capdiags;
    long dropped;             /* errors beyond IMPORT_MAX_KEPT_ERRORS */
} import;

static void add_diag(import *im, int file, long row, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add_diag(import *im, int file, long row, int column, const char *fmt, ...)
{
    if (im->ndiags == IMPORT_MAX_KEPT_ERRORS) {
        im->dropped++; /* counted, not kept: a file of bad rows must not exhaust memory */
        return;
    }
    if (im->ndiags == im->capdiags) {
        im->capdiags = im->capdiags ? im->capdiags * 2 : 32;
        im->diags = xrealloc(im->diags, (size_t)im->capdiags * sizeof *im->diags);
    }
    fmt = _(fmt); /* every import diagnostic passes here; the position is printed apart */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(msg, (size_t)n + 1, fmt, ap);
    va_end(ap);
    im->diags[im->ndiags++] = (diag){file, row, column, NULL, msg};
}

static int by_position(const void *a, const void *b)
{
    const diag *x = a, *y = b;
    if (x->file != y->file)
        return x->file - y->file;
    if (x->row != y->row)
        return (x->row > y->row) - (x->row < y->row);
    return x->column - y->column;
}

/* Prints the diagnostics sorted by file (dependency order), row and column. */
static void print_diags(import *im, FILE *out)
{
    if (im->ndiags > 0) /* qsort's array may not be NULL, even empty */
        qsort(im->diags, (size_t)im->ndiags, sizeof *im->diags, by_position);
    for (int i = 0; i < im->ndiags && i < IMPORT_MAX_PRINTED_ERRORS; i++) {
        const diag *d = &im->diags[i];
        const imp_file *f = &im->files[d->file];
        if (d->row == 0)
            fprintf(out, "%s: %s\n", f->path, d->message);
        else if (d->missing != NULL)
            fprintf(out, "%s:%ld:%s: %s\n", f->path, d->row, d->missing, d->message);
        else if (d->column < 0 || d->column >= f->ncols)
            fprintf(out, "%s:%ld: %s\n", f->path, d->row, d->message);
        else
            fprintf(out, "%s:%ld:%s: %s\n", f->path, d->row, f->col_name[d->column], d->message);
    }
    long more = im->dropped + (im->ndiags > IMPORT_MAX_PRINTED_ERRORS
                                   ? im->ndiags - IMPORT_MAX_PRINTED_ERRORS : 0);
    if (more > 0)
        fprintf(out, dngettext(HY_TEXTDOMAIN, "... and %ld more error\n", "... and %ld more errors\n",
                                  (unsigned long)more),
                more);
}

/* ---- cell parsing ----------------------------------------------------------------------------- */

/* Converts `len` bytes of `in` to UTF-8 in *out (NUL-terminated). Returns 0, or -1 with `why`
 * describing the first invalid byte. */
static int to_utf8(import *im, const char *in, size_t len, strbuf *out, char *why, size_t whysz)
{
    out->len = 0;
    strbuf_reserve(out, len * 3 + 4);
    iconv(im->cd, NULL, NULL, NULL, NULL);
    char *src = (char *)(uintptr_t)in, *dst = out->data;
    size_t left = len, room = out->cap - 1;
    if (memchr(in, '\0', len) != NULL) {
        snprintf(why, whysz, _("contains a NUL byte"));
        return -1;
    }
    if (iconv(im->cd, &src, &left, &dst, &room) == (size_t)-1) {
        if (errno == EILSEQ || errno == EINVAL) {
            snprintf(why, whysz, _("invalid %s byte sequence at byte %zu (0x%02X)%s"),
                     im->cp932 ? "CP932" : "UTF-8", (size_t)(src - in) + 1,
                     (unsigned)(unsigned char)*src,
                     im->cp932 ? "" : _(": is it Shift_JIS? then use --encoding cp932"));
            return -1;
        }
        abort(); /* E2BIG cannot happen: 3 bytes of UTF-8 per input byte is enough for CP932 */
    }
    out->len = (size_t)(dst - out->data);
    out->data[out->len] = '\0';
    return 0;
}

static bool has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return true;
    return false;
}

/* Trims ASCII blanks, line breaks and U+3000 (ideographic space) from both ends of a list item, in place. */
static char *trim_item(char *s)
{
    for (;;) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
            s++;
        else if (strncmp(s, "\xE3\x80\x80", 3) == 0)
            s += 3;
        else
            break;
    }
    size_t n = strlen(s);
    for (;;) {
        if (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
            n--;
        else if (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0)
            n -= 3;
        else
            break;
    }
    s[n] = '\0';
    return s;
}

/* Validates one non-empty UTF-8 cell of type `type`; on success appends its COPY form to `out`
 * and returns 0, else returns -1 with the message in `msg`. */
static int parse_cell(const column_spec *col, char *s, strbuf *out, char *msg, size_t msgsz)
{
    char norm[128];
    switch (col->type) {
    case CT_TEXT:
        if (strlen(s) > IMPORT_MAX_CELL_BYTES) {
            snprintf(msg, msgsz, _("longer than %d bytes"), IMPORT_MAX_CELL_BYTES);
            return -1;
        }
        strbuf_puts(out, s);
        return 0;
    case CT_CODE:
        if (strlen(s) > IMPORT_MAX_CODE_BYTES) {
            snprintf(msg, msgsz, _("longer than %d bytes"), IMPORT_MAX_CODE_BYTES);
            return -1;
        }
        if (has_control(s)) {
            snprintf(msg, msgsz, _("contains a line break or control character"));
            return -1;
        }
        strbuf_puts(out, s);
        return 0;
    case CT_DATE:
        if (csv_cell_date(s, norm, sizeof norm) != 0) {
            snprintf(msg, msgsz, _("not a date: '%.40s' (expected YYYY-MM-DD or YYYY/M/D)"), s);
            return -1;
        }
        strbuf_puts(out, norm);
        return 0;
    case CT_PROGRESS:
        if (csv_cell_progress(s, norm, sizeof norm, msg, msgsz) != 0)
            return -1;
        strbuf_puts(out, norm);
        return 0;
    case CT_AMOUNT:
    case CT_NUMBER:
        if (csv_cell_decimal(s, true, norm, sizeof norm) != 0) {
            snprintf(msg, msgsz, _("not a number: '%.40s'"), s);
            return -1;
        }
        if (col->type == CT_AMOUNT && norm[0] == '-' && strspn(norm, "-0.") != strlen(norm)) {
            snprintf(msg, msgsz, _("negative amount %s (amounts are >= 0)"), norm);
            return -1;
        }
        strbuf_puts(out, norm[0] == '-' && col->type == CT_AMOUNT ? norm + 1 : norm);
        return 0;
    case CT_BOOL: {
        int b = csv_cell_bool(s);
        if (b < 0) {
            snprintf(msg, msgsz,
                     _("not a boolean: '%.40s' (expected true/false, yes/no, 1/0, はい/いいえ, ○/×)"),
                     s);
            return -1;
        }
        strbuf_puts(out, b ? "t" : "f");
        return 0;
    }
    case CT_YEAR: {
        char *end;
        long y = strtol(s, &end, 10);
        if (s[0] == '\0' || strspn(s, "0123456789") != strlen(s) || *end != '\0' || y < 1900 ||
            y > 2200) {
            snprintf(msg, msgsz, _("not a fiscal year: '%.40s' (expected e.g. 2023)"), s);
            return -1;
        }
        strbuf_printf(out, "%ld", y);
        return 0;
    }
    case CT_DIRECTION:
        if (csv_cell_ieq(s, "up") || csv_cell_ieq(s, "down")) {
            strbuf_puts(out, csv_cell_ieq(s, "up") ? "up" : "down");
            return 0;
        }
        snprintf(msg, msgsz, _("direction must be 'up' or 'down', not '%.40s'"), s);
        return -1;
    case CT_KIND: {
        const char *kind = narrative_kind(s);
        if (kind == NULL) {
            snprintf(msg, msgsz, _("unknown kind '%.40s' (expected %s)"), s, narrative_kinds_text());
            return -1;
        }
        strbuf_puts(out, kind);
        return 0;
    }
    case CT_KANA:
        switch (kana_check(s)) {
        case KANA_OK:
            strbuf_puts(out, s);
            return 0;
        case KANA_HALFWIDTH:
            snprintf(msg, msgsz, _("half-width katakana in '%.60s': write the reading in "
                                 "full-width katakana or hiragana"), s);
            return -1;
        case KANA_OTHER:
            break;
        }
        snprintf(msg, msgsz, _("not a reading in kana: '%.60s' (katakana or hiragana, e.g. "
                             "ソウムカ or そうむか)"), s);
        return -1;
    case CT_POSITION:
        if (strspn(s, "0123456789") != strlen(s) || strlen(s) > 9) {
            snprintf(msg, msgsz, _("not a position: '%.40s' (expected a whole number from 0 to "
                                 "999999999, e.g. 10)"), s);
            return -1;
        }
        strbuf_printf(out, "%ld", strtol(s, NULL, 10));
        return 0;
    case CT_LIST: {
        /* split on '、' and ';'; empty items (a trailing separator) are skipped */
        char *items[IMPORT_MAX_LIST_ITEMS];
        int n = 0;
        char *p = s;
        for (;;) {
            char *sep1 = strstr(p, "\xE3\x80\x81"), *sep2 = strchr(p, ';');
            char *sep = sep1 && (!sep2 || sep1 < sep2) ? sep1 : sep2;
            size_t seplen = sep == sep1 && sep1 ? 3 : 1;
            if (sep)
                *sep = '\0';
            char *item = trim_item(p);
            if (*item != '\0') {
                if (n == IMPORT_MAX_LIST_ITEMS) {
                    snprintf(msg, msgsz, _("more than %d items"), IMPORT_MAX_LIST_ITEMS);
                    return -1;
                }
                if (strlen(item) > IMPORT_MAX_CODE_BYTES || has_control(item)) {
                    snprintf(msg, msgsz, _("item '%.40s' is too long or has a control character"),
                             item);
                    return -1;
                }
                for (int k = 0; k < n; k++) {
                    if (strcmp(items[k], item) == 0) {
                        snprintf(msg, msgsz, _("'%s' is listed twice"), item);
                        return -1;
                    }
                }
                items[n++] = item;
            }
            if (!sep)
                break;
            p = sep + seplen;
        }
        if (n == 0)
            return 1; /* only separators: null */
        for (int k = 0; k < n; k++) {
            if (k > 0)
                strbuf_puts(out, "\x1f");
            strbuf_puts(out, items[k]);
        }
        return 0;
    }
    }
    return -1;
}

/* ---- CSV reading ------------------------------------------------------------------------------ */

typedef struct field {
    size_t off, len;
} field;

typedef struct reader {
    import *im;
    int file;
    long row;        /* spreadsheet row of the last record */
    int last_term;   /* terminator of the previous record ('\r' of a CRLF) */
    field fields[IMPORT_MAX_COLUMNS];
    int nfields;     /* may exceed IMPORT_MAX_COLUMNS: the excess is counted, not kept */
    strbuf raw;      /* this record's raw bytes */
    strbuf utf8, cell; /* scratch */
} reader;

static void on_field(void *s, size_t len, void *data)
{
    reader *r = data;
    if (r->nfields < IMPORT_MAX_COLUMNS) {
        r->fields[r->nfields] = (field){r->raw.len, len};
        if (len > 0)
            strbuf_put(&r->raw, s, len);
    }
    r->nfields++;
}

static void read_header(reader *r)
{
    import *im = r->im;
    imp_file *f = &im->files[r->file];
    const table_spec *t = f->spec;
    char why[160];
    f->header_row = (int)r->row;
    if (r->nfields > IMPORT_MAX_COLUMNS) {
        add_diag(im, r->file, r->row, -1, "more than %d columns", IMPORT_MAX_COLUMNS);
        f->ncols = 0;
        f->skip_rows = true;
        return;
    }
    f->ncols = r->nfields;
    for (int i = 0; i < f->ncols; i++) {
        f->col_spec[i] = -1;
        if (to_utf8(im, r->raw.data + r->fields[i].off, r->fields[i].len, &r->utf8, why,
                    sizeof why) != 0) {
            f->col_name[i] = xstrdup("?");
            add_diag(im, r->file, r->row, i, "header: %s", why);
            continue;
        }
        f->col_name[i] = xstrdup(r->utf8.data);
    }
    for (int i = 0; i < f->ncols; i++) {
        if (strcmp(f->col_name[i], "?") == 0)
            continue;
        if (f->col_name[i][0] == '\0') {
            add_diag(im, r->file, r->row, -1, "column %d has an empty header", i + 1);
            continue;
        }
        int k = 0;
        while (k < t->ncols && strcmp(t->cols[k].name, f->col_name[i]) != 0)
            k++;
        if (k == t->ncols) {
            strbuf names = {0};
            for (int j = 0; j < t->ncols; j++)
                strbuf_printf(&names, "%s%s", j ? ", " : "", t->cols[j].name);
            add_diag(im, r->file, r->row, i, "unknown column (%s has: %s)", t->file, names.data);
            strbuf_cleanup(&names);
            continue;
        }
        if (f->present[k] >= 0) {
            add_diag(im, r->file, r->row, i, "column given twice (also column %d)",
                     f->present[k] + 1);
            continue;
        }
        f->present[k] = i;
        f->col_spec[i] = k;
    }
    /* SPEC's position `file:row:column` names the column even though no cell of it exists */
    for (int k = 0; k < t->ncols; k++) {
        if (f->present[k] < 0 && (t->cols[k].flags & (F_KEY | F_REQUIRED))) {
            int kept = im->ndiags;
            add_diag(im, r->file, r->row, -1, "missing required column");
            if (im->ndiags > kept)
                im->diags[kept].missing = t->cols[k].name;
        }
    }
}

/* COPY text format: backslash, tab, newline and carriage return are escaped. */
static void copy_escape(strbuf *out, const char *s, size_t n)
{
    strbuf_reserve(out, n * 2);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (c) {
        case '\\': strbuf_put(out, "\\\\", 2); break;
        case '\t': strbuf_put(out, "\\t", 2); break;
        case '\n': strbuf_put(out, "\\n", 2); break;
        case '\r': strbuf_put(out, "\\r", 2); break;
        default: out->data[out->len++] = c;
        }
    }
    out->data[out->len] = '\0';
}

static void read_record(reader *r)
{
    import *im = r->im;
    imp_file *f = &im->files[r->file];
    char why[512];
    if (f->skip_rows)
        return;
    if (r->nfields > f->ncols) {
        /* trailing empty cells (a spreadsheet's export of a wider sheet) are harmless */
        for (int i = f->ncols; i < r->nfields; i++) {
            if (i >= IMPORT_MAX_COLUMNS || r->fields[i].len > 0) {
                add_diag(im, r->file, r->row, -1, "%d cells, but the header has %d columns",
                         r->nfields, f->ncols);
                return;
            }
        }
    }
    f->nrows++;
    strbuf_printf(&f->copy, "%ld", r->row);
    for (int i = 0; i < f->ncols; i++) {
        if (f->col_spec[i] < 0)
            continue;
        const column_spec *col = &f->spec->cols[f->col_spec[i]];
        strbuf_put(&f->copy, "\t", 1);
        size_t len = i < r->nfields ? r->fields[i].len : 0;
        if (len > IMPORT_MAX_CELL_BYTES) {
            add_diag(im, r->file, r->row, i, "longer than %d bytes", IMPORT_MAX_CELL_BYTES);
            strbuf_put(&f->copy, "\\N", 2);
            continue;
        }
        if (len > 0 && to_utf8(im, r->raw.data + r->fields[i].off, len, &r->utf8, why,
                               sizeof why) != 0) {
            add_diag(im, r->file, r->row, i, "%s", why);
            strbuf_put(&f->copy, "\\N", 2);
            continue;
        }
        if (len == 0) {
            if (col->flags & (F_KEY | F_REQUIRED | F_NEW))
                add_diag(im, r->file, r->row, i, "empty, but %s is required", col->name);
            strbuf_put(&f->copy, "\\N", 2);
            continue;
        }
        r->cell.len = 0;
        strbuf_reserve(&r->cell, 0);
        r->cell.data[0] = '\0';
        int rc = parse_cell(col, r->utf8.data, &r->cell, why, sizeof why);
        if (rc < 0) {
            add_diag(im, r->file, r->row, i, "%s", why);
            strbuf_put(&f->copy, "\\N", 2);
        } else if (rc > 0) {
            strbuf_put(&f->copy, "\\N", 2);
        } else {
            copy_escape(&f->copy, r->cell.data, r->cell.len);
        }
    }
    strbuf_put(&f->copy, "\n", 1);
}

static void on_record(int c, void *data)
{
    reader *r = data;
    if (r->nfields == 0 && c == '\n' && r->last_term == '\r') {
        r->last_term = c; /* the LF of a CRLF */
        return;
    }
    r->last_term = c;
    r->row++;
    bool blank = true;
    for (int i = 0; i < r->nfields && i < IMPORT_MAX_COLUMNS && blank; i++)
        blank = r->fields[i].len == 0;
    if (!blank) {
        if (r->im->files[r->file].header_row == 0)
            read_header(r);
        else
            read_record(r);
    }
    r->nfields = 0;
    r->raw.len = 0;
}

/* Reads the whole file into memory (bounded by IMPORT_MAX_FILE_BYTES). */
static char *slurp(const char *path, size_t *len, store_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        store_fail(err, STORE_EDB, "%s: %s", path, strerror(errno));
        return NULL;
    }
    strbuf b = {0};
    int rc = strbuf_read(&b, fp, (size_t)IMPORT_MAX_FILE_BYTES);
    fclose(fp);
    if (rc != 0) {
        if (rc == -1)
            store_fail(err, STORE_EUSER, "%s: larger than %ld bytes", path,
                       IMPORT_MAX_FILE_BYTES);
        else
            store_fail(err, STORE_EDB, "%s: read error", path);
        strbuf_cleanup(&b);
        return NULL;
    }
    *len = b.len;
    return b.data; /* never NULL: strbuf_read reserves before it reads */
}

/* Parses and validates the `len` bytes of one file into f->copy, adding a diagnostic for every
 * bad cell, row or header. Reads nothing else and writes nothing else. */
static void parse_text(import *im, int fi, const char *data, size_t len)
{
    imp_file *f = &im->files[fi];
    size_t start = 0;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        if (im->cp932)
            add_diag(im, fi, 1, -1,
                     "starts with a UTF-8 byte order mark, but --encoding cp932 was given");
        start = 3;
    }
    reader r = {.im = im, .file = fi};
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_REPALL_NL) != 0)
        abort();
    size_t done = csv_parse(&p, data + start, len - start, on_field, on_record, &r);
    int rc = done == len - start ? csv_fini(&p, on_field, on_record, &r) : -1;
    if (rc != 0) {
        /* the record in progress starts on the next row */
        int column = r.nfields < f->ncols ? r.nfields : -1;
        add_diag(im, fi, r.row + 1, f->header_row ? column : -1,
                 "malformed CSV: %s (a quote inside an unquoted cell, text after a closing "
                 "quote, or a quote that is never closed)",
                 csv_error(&p) == CSV_EPARSE ? _("bad quoting") : csv_strerror(csv_error(&p)));
    }
    csv_free(&p);
    if (f->header_row == 0 && rc == 0)
        add_diag(im, fi, 1, -1, "no header row (the file is empty)");
    strbuf_cleanup(&r.raw);
    strbuf_cleanup(&r.utf8);
    strbuf_cleanup(&r.cell);
}

/* Parses and validates one file into f->copy. Returns -1 only for an unreadable file. */
static int read_file(import *im, int fi, store_error *err)
{
    size_t len;
    char *data = slurp(im->files[fi].path, &len, err);
    if (data == NULL)
        return -1;
    parse_text(im, fi, data, len);
    free(data);
    return 0;
}

/* The files are read (parsed into COPY data) on a thread of their own while the database loads
 * the ones already read: reading took `hyoka import` 0.65-0.87 s of CPU for the 100,000
 * initiatives of bench/data, all of it before the first statement, and COPY of the file before
 * costs the server about as long. The reader touches only the files it has not handed over yet
 * and the diagnostics, which the loader reads only after file_reader_join. */
typedef struct file_reader {
    import *im;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;         /* files read so far (im->files[0 .. done-1] are the loader's) */
    bool failed;      /* reading file `done` failed: err says why */
    bool stop;        /* the loader gave up: read no further file */
    store_error err;
} file_reader;

static void *file_reader_run(void *arg)
{
    file_reader *r = arg;
    for (int i = 0; i < r->im->nfiles; i++) {
        pthread_mutex_lock(&r->mu);
        bool stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop)
            break;
        store_error e = {0};
        int rc = read_file(r->im, i, &e);
        pthread_mutex_lock(&r->mu);
        if (rc != 0) {
            r->failed = true;
            r->err = e;
        } else {
            r->done = i + 1;
        }
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        if (rc != 0)
            break;
    }
    return NULL;
}

/* Starts reading im's files; if no thread can be had, reads them all here. 0 or -1 (err). */
static int file_reader_start(file_reader *r, import *im, store_error *err)
{
    *r = (file_reader){.im = im};
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    if (pthread_create(&r->thread, NULL, file_reader_run, r) == 0) {
        r->started = true;
        return 0;
    }
    for (int i = 0; i < im->nfiles; i++)
        if (read_file(im, i, err) != 0)
            return -1;
    r->done = im->nfiles;
    return 0;
}

/* Waits until file `fi` is read. 0, or -1 with err set if reading it (or one before) failed. */
static int file_reader_wait(file_reader *r, int fi, store_error *err)
{
    pthread_mutex_lock(&r->mu);
    while (r->done <= fi && !r->failed)
        pthread_cond_wait(&r->cv, &r->mu);
    int rc = 0;
    if (r->done <= fi) {
        *err = r->err;
        rc = -1;
    }
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* Stops the reader after the file it reads now and waits for it; safe to call twice. */
static void file_reader_join(file_reader *r)
{
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stop = true;
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
        r->started = false;
    }
    if (r->im != NULL) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        r->im = NULL;
    }
}

/* ---- database side ---------------------------------------------------------------------------- */

static int exec_ok(PGconn *c, const char *sql, store_error *err)
{
    PGresult *res = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = store_fail_pq(err, c, res, "import");
    PQclear(res);
    return rc;
}

static int create_temp_tables(PGconn *c, store_error *err)
{
    strbuf sql = {0};
    int rc = 0;
    for (int t = 0; t < NTABLES && rc == 0; t++) {
        sql.len = 0;
        strbuf_printf(&sql, "CREATE TEMPORARY TABLE %s (row bigint NOT NULL", TABLES[t].tmp);
        for (int k = 0; k < TABLES[t].ncols; k++)
            strbuf_printf(&sql, ", %s %s", TABLES[t].cols[k].name, TABLES[t].cols[k].sql_type);
        strbuf_puts(&sql, ") ON COMMIT DROP");
        rc = exec_ok(c, sql.data, err);
    }
    strbuf_cleanup(&sql);
    return rc;
}

static int copy_in(PGconn *c, const imp_file *f, store_error *err)
{
    strbuf sql = {0};
    strbuf_printf(&sql, "COPY %s (row", f->spec->tmp);
    for (int i = 0; i < f->ncols; i++)
        if (f->col_spec[i] >= 0)
            strbuf_printf(&sql, ", %s", f->spec->cols[f->col_spec[i]].name);
    strbuf_puts(&sql, ") FROM STDIN");
    PGresult *res = PQexecParams(c, sql.data, 0, NULL, NULL, NULL, NULL, 0);
    strbuf_cleanup(&sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        store_fail_pq(err, c, res, "COPY");
        PQclear(res);
        return -1;
    }
    PQclear(res);
    const size_t chunk = 1 << 20;
    for (size_t off = 0; off < f->copy.len; off += chunk) {
        size_t n = f->copy.len - off < chunk ? f->copy.len - off : chunk;
        if (PQputCopyData(c, f->copy.data + off, (int)n) != 1)
            return store_fail_pq(err, c, NULL, "COPY");
    }
    if (PQputCopyEnd(c, NULL) != 1)
        return store_fail_pq(err, c, NULL, "COPY");
    int rc = 0;
    while ((res = PQgetResult(c)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0)
            rc = store_fail_pq(err, c, res, f->path);
        PQclear(res);
    }
    return rc;
}

/* Text values a check query may return after the row, for its message's %s. */
#define CHECK_MAX_VALUES 4

/* Runs a check query returning (row, value...) and adds a diagnostic per row at `column` (a spec
 * column index; its header position is used, -1 if the file left it out): the message is `fmt`
 * (English, translated by add_diag) with the row's values for its %s, up to CHECK_MAX_VALUES.
 * The query only finds the rows and their values; the words are C's, so that they can be
 * translated (po/: check_rows is an xgettext keyword). */
static int check_rows(PGconn *c, import *im, int fi, int spec_col, const char *fmt,
                      const char *sql, store_error *err)
{
    PGresult *res = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_fail_pq(err, c, res, "import check");
        PQclear(res);
        return -1;
    }
    int column = spec_col >= 0 ? im->files[fi].present[spec_col] : -1;
    int nvalues = PQnfields(res) - 1;
    if (nvalues > CHECK_MAX_VALUES)
        abort(); /* a query of this file returns more values than a message takes */
    for (int i = 0; i < PQntuples(res); i++) {
        const char *v[CHECK_MAX_VALUES] = {"", "", "", ""};
        for (int k = 0; k < nvalues; k++)
            v[k] = PQgetvalue(res, i, k + 1);
        /* The format is one of this file's literals (or NARRATIVE_CHECKS'); a message takes
         * only the leading values it names, the rest are ignored as printf allows. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        add_diag(im, fi, strtol(PQgetvalue(res, i, 0), NULL, 10), column, fmt, v[0], v[1], v[2],
                 v[3]);
#pragma GCC diagnostic pop
    }
    PQclear(res);
    return 0;
}

static const char *opt_col(const imp_file *f, int k, const char *stored)
{
    return f->present[k] >= 0 ? NULL : stored;
}

/* Rows of file `fi` whose date in column k_late is before the one in k_early, each taken from the
 * file or, where the file leaves that column out, from the stored row of the same code; reported
 * at the later column when the file has it. `fmt` takes the later date, then the earlier: "due
 * date %s is before the start date %s". Nothing to check when the file has neither column. */
static int check_date_order(PGconn *c, import *im, int fi, int k_early, int k_late,
                            const char *fmt, store_error *err)
{
    const imp_file *f = &im->files[fi];
    if (f->present[k_early] < 0 && f->present[k_late] < 0)
        return 0;
    const char *early = f->spec->cols[k_early].name, *late = f->spec->cols[k_late].name;
    char e[80], l[80];
    snprintf(e, sizeof e, "%s.%s", f->present[k_early] >= 0 ? "t" : "x", early);
    snprintf(l, sizeof l, "%s.%s", f->present[k_late] >= 0 ? "t" : "x", late);
    strbuf q = {0};
    strbuf_printf(&q,
                  "SELECT t.row, %s::text, %s::text FROM %s t "
                  "LEFT JOIN %s x ON x.code = t.code WHERE %s < %s ORDER BY t.row",
                  l, e, f->spec->tmp, f->spec->table, l, e);
    int rc = check_rows(c, im, fi, f->present[k_late] >= 0 ? k_late : k_early, fmt, q.data, err);
    strbuf_cleanup(&q);
    return rc;
}

/* departments.csv's rows against each other and the stored departments: two departments never
 * share a position (the order would be a coin toss), a division is read one way, and a reading
 * of a division needs the division. */
static int check_departments(PGconn *c, import *im, int fi, store_error *err)
{
    const imp_file *f = &im->files[fi];
    int rc = 0;
    if (f->present[4] >= 0) {
        rc = check_rows(c, im, fi, 4, "position %s is already given to %s at row %s",
                   "SELECT t.row, t.position::text, quote_literal(o.name), o.row::text "
                   "FROM imp_departments t "
                   "CROSS JOIN LATERAL (SELECT o.name, o.row FROM imp_departments o WHERE "
                   "o.position = t.position AND o.row < t.row ORDER BY o.row LIMIT 1) o "
                   "ORDER BY t.row",
                   err);
        if (rc == 0)
            rc = check_rows(c, im, fi, 4,
                       "position %s is that of %s in the database (give one of them another "
                       "position; this file may list it too)",
                       "SELECT t.row, t.position::text, quote_literal(d.name) "
                       "FROM imp_departments t JOIN "
                       "departments d ON d.position = t.position WHERE NOT EXISTS (SELECT 1 FROM "
                       "imp_departments x WHERE x.name = d.name) ORDER BY t.row, d.name",
                       err);
    }
    if (rc == 0 && f->present[2] >= 0 && f->present[3] >= 0)
        rc = check_rows(c, im, fi, 3, "division %s is read %s at row %s",
                   "SELECT t.row, quote_literal(t.division), quote_literal(o.division_kana), "
                   "o.row::text FROM imp_departments t "
                   "CROSS JOIN LATERAL (SELECT o.division_kana, o.row FROM imp_departments o "
                   "WHERE o.division = t.division AND o.division_kana IS NOT NULL AND o.row < "
                   "t.row ORDER BY o.row LIMIT 1) o WHERE t.division_kana IS NOT NULL AND "
                   "t.division_kana <> o.division_kana ORDER BY t.row",
                   err);
    if (rc == 0 && f->present[3] >= 0 && f->present[2] >= 0)
        rc = check_rows(c, im, fi, 3,
                        "a reading of the division needs the division (column division is empty)",
                        "SELECT t.row FROM imp_departments t WHERE t.division_kana IS NOT NULL "
                        "AND t.division IS NULL ORDER BY t.row",
                        err);
    else if (rc == 0 && f->present[3] >= 0)
        rc = check_rows(c, im, fi, 3,
                        "a reading of the division needs the division (this file has no column "
                        "division, and none is stored for %s)",
                        "SELECT t.row, quote_literal(t.name) FROM imp_departments t LEFT JOIN "
                        "departments d ON d.name = t.name WHERE t.division_kana IS NOT NULL AND "
                        "d.division IS NULL ORDER BY t.row",
                        err);
    return rc;
}

/* The cross-row and cross-file checks, set-based over the temporary tables. */
static int run_checks(PGconn *c, import *im, store_error *err)
{
    strbuf q = {0};
    int rc = 0;
    for (int fi = 0; fi < im->nfiles && rc == 0; fi++) {
        const imp_file *f = &im->files[fi];
        const table_spec *t = f->spec;
        int ti = (int)(t - TABLES);
        /* duplicate keys: an error at the second row */
        strbuf keys = {0}, notnull = {0}, shown = {0};
        for (int k = 0; k < t->ncols; k++) {
            if (!(t->cols[k].flags & F_KEY))
                continue;
            strbuf_printf(&keys, "%s%s", keys.len ? ", " : "", t->cols[k].name);
            strbuf_printf(&notnull, " AND %s IS NOT NULL", t->cols[k].name);
            strbuf_printf(&shown, "%s'%s ' || quote_literal(%s::text)",
                          shown.len ? " || ', ' || " : "", t->cols[k].name, t->cols[k].name);
        }
        q.len = 0;
        /* the window (a sort of every row) only over the keys a hash aggregate found twice */
        strbuf_printf(&q,
                      "SELECT row, %s, first::text "
                      "FROM (SELECT row, %s, min(row) OVER (PARTITION BY %s) AS first FROM %s "
                      "WHERE (%s) IN (SELECT %s FROM %s WHERE true%s GROUP BY %s "
                      "HAVING count(*) > 1)) s WHERE row > first ORDER BY row",
                      shown.data, keys.data, keys.data, t->tmp, keys.data, keys.data, t->tmp,
                      notnull.data, keys.data);
        if (keys.len > 0)
            rc = check_rows(c, im, fi, 0, "duplicate key (%s): first given at row %s", q.data,
                            err);
        strbuf_cleanup(&keys);
        strbuf_cleanup(&notnull);
        strbuf_cleanup(&shown);
        /* a column a new row needs, left out of the file */
        for (int k = 0; k < t->ncols && rc == 0; k++) {
            if (!(t->cols[k].flags & F_NEW) || f->present[k] >= 0)
                continue;
            q.len = 0;
            /* the column's name is one of the table spec's identifiers, never the file's text */
            strbuf_printf(&q, "SELECT row, '%s' FROM %s t WHERE NOT %s ORDER BY row",
                          t->cols[k].name, t->tmp, t->exists);
            rc = check_rows(c, im, fi, -1,
                            "a new row needs column '%s', which this file does not have", q.data,
                            err);
        }
        if (rc != 0)
            break;
        switch (ti) {
        case T_PLANS: {
            rc = check_date_order(c, im, fi, 2, 3, N_("period end %s is before the period start %s"),
                                  err);
            break;
        }
        case T_DEPARTMENTS:
            rc = check_departments(c, im, fi, err);
            break;
        case T_INITIATIVES: {
            rc = check_rows(c, im, fi, 1,
                       "unknown measure %s (neither in measures.csv of this import nor in the "
                       "database)",
                       "SELECT t.row, quote_literal(t.measure_code) FROM imp_initiatives t WHERE t.measure_code IS NOT NULL "
                       "AND NOT EXISTS (SELECT 1 FROM imp_measures m WHERE m.code = "
                       "t.measure_code) AND NOT EXISTS (SELECT 1 FROM measures m "
                       "WHERE m.code = t.measure_code) ORDER BY t.row",
                       err);
            if (rc == 0)
                rc = check_date_order(c, im, fi, 4, 5, N_("due date %s is before the start date %s"),
                                      err);
            break;
        }
        case T_MILESTONES:
        case T_PROGRESS:
            rc = check_rows(c, im, fi, 0,
                       "unknown initiative %s (neither in initiatives.csv of this import nor in "
                       "the database)",
                       ti == T_MILESTONES
                           ? "SELECT t.row, quote_literal(t.initiative_code) FROM imp_milestones t "
                             "WHERE t.initiative_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                             "imp_initiatives x WHERE x.code = t.initiative_code) AND NOT EXISTS "
                             "(SELECT 1 FROM initiatives x WHERE x.code = t.initiative_code) "
                             "ORDER BY t.row"
                           : "SELECT t.row, quote_literal(t.initiative_code) FROM imp_progress t "
                             "WHERE t.initiative_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                             "imp_initiatives x WHERE x.code = t.initiative_code) AND NOT EXISTS "
                             "(SELECT 1 FROM initiatives x WHERE x.code = t.initiative_code) "
                             "ORDER BY t.row",
                       err);
            if (rc == 0 && ti == T_PROGRESS)
                rc = check_rows(c, im, fi, 1,
                           "unknown survey %s (neither in surveys.csv of this import nor in the "
                           "database)",
                           "SELECT t.row, quote_literal(t.survey_code) FROM imp_progress t WHERE t.survey_code IS NOT NULL AND NOT EXISTS "
                           "(SELECT 1 FROM imp_surveys x WHERE x.code = t.survey_code) AND NOT "
                           "EXISTS (SELECT 1 FROM surveys x WHERE x.code = t.survey_code) "
                           "ORDER BY t.row",
                           err);
            break;
        case T_KPIS: {
            rc = check_rows(c, im, fi, 8,
                       "unknown initiative %s (neither in initiatives.csv of this import nor in "
                       "the database)",
                       "SELECT t.row, quote_literal(u.code) FROM imp_kpis t CROSS JOIN LATERAL "
                       "unnest(string_to_array(t.initiative_codes, E'\\x1f')) u(code) "
                       "WHERE NOT EXISTS (SELECT 1 FROM imp_initiatives x WHERE x.code = u.code) "
                       "AND NOT EXISTS (SELECT 1 FROM initiatives x WHERE x.code = u.code) "
                       "ORDER BY t.row",
                       err);
            const char *dir = opt_col(f, 3, "k.direction"), *bv = opt_col(f, 4, "k.baseline_value"),
                       *tv = opt_col(f, 6, "k.target_value");
            dir = dir ? dir : "t.direction";
            bv = bv ? bv : "t.baseline_value";
            tv = tv ? tv : "t.target_value";
            /* one query per direction: the message says above or below */
            int col = f->present[6] >= 0 ? 6 : f->present[4] >= 0 ? 4 : 3;
            static const char *const dirs[2][3] = {
                {"up", ">", N_("a KPI whose direction is %s needs a target_value above its "
                               "baseline_value (target %s, baseline %s)")},
                {"down", "<", N_("a KPI whose direction is %s needs a target_value below its "
                                 "baseline_value (target %s, baseline %s)")},
            };
            for (int d = 0; d < 2 && rc == 0; d++) {
                if (f->present[3] < 0 && f->present[4] < 0 && f->present[6] < 0)
                    break;
                q.len = 0;
                strbuf_printf(&q,
                              "SELECT t.row, quote_literal(%s), %s::text, %s::text "
                              "FROM imp_kpis t LEFT JOIN kpis k ON k.code = t.code "
                              "WHERE %s IS NOT NULL AND %s IS NOT NULL AND %s = '%s' AND "
                              "NOT (%s %s %s) ORDER BY t.row",
                              dir, tv, bv, tv, bv, dir, dirs[d][0], tv, dirs[d][1], bv);
                rc = check_rows(c, im, fi, col, dirs[d][2], q.data, err);
            }
            if (rc == 0)
                rc = check_date_order(c, im, fi, 5, 7,
                                      N_("target date %s is before the baseline date %s"), err);
            break;
        }
        case T_REPORT_TEXTS:
            for (size_t k = 0; k < NARRATIVE_NCHECKS && rc == 0; k++)
                rc = check_rows(c, im, fi, NARRATIVE_CHECKS[k].column, NARRATIVE_CHECKS[k].fmt,
                                NARRATIVE_CHECKS[k].sql, err);
            break;
        case T_KPI_VALUES:
            rc = check_rows(c, im, fi, 0,
                       "unknown KPI %s (neither in kpis.csv of this import nor in the database)",
                       "SELECT t.row, quote_literal(t.kpi_code) FROM imp_kpi_values t WHERE t.kpi_code IS NOT NULL AND NOT EXISTS "
                       "(SELECT 1 FROM imp_kpis x WHERE x.code = t.kpi_code) AND NOT EXISTS "
                       "(SELECT 1 FROM kpis x WHERE x.code = t.kpi_code) ORDER BY t.row",
                       err);
            break;
        default:
            break;
        }
    }
    strbuf_cleanup(&q);
    return rc;
}

/* Upserts one file's rows: only the columns the file has are written. */
/* Runs one data-modifying statement; returns the number of rows it touched, or -1 with err set
 * to the database's message (and its detail, which names the offending key). */
static long exec_count(PGconn *c, const char *sql, const char *what, store_error *err)
{
    PGresult *res = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    long n = -1;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        store_fail_pq(err, c, res, what);
        const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        if (detail != NULL && strlen(err->message) + strlen(detail) + 4 < sizeof err->message) {
            strcat(err->message, " (");
            strcat(err->message, detail);
            strcat(err->message, ")");
        }
    } else {
        n = strtol(PQcmdTuples(res), NULL, 10);
    }
    PQclear(res);
    return n;
}

/* Upserts one file's rows, writing only the columns the file has: an UPDATE of the stored rows
 * whose values differ (unchanged rows are not even locked, so re-importing a file is cheap), then
 * an INSERT of the new ones. Imports are serialised (store_import's advisory lock), so no other
 * import can add a key between the two statements. */
static int upsert(PGconn *c, const imp_file *f, FILE *out, store_error *err)
{
    const table_spec *t = f->spec;
    strbuf cols = {0}, vals = {0}, joins = {0}, set = {0}, keys = {0}, cur = {0}, next = {0},
           sql = {0};
    for (int k = 0; k < t->ncols; k++) {
        const column_spec *col = &t->cols[k];
        if (f->present[k] < 0 || col->target == NULL)
            continue;
        const char *sep = cols.len ? ", " : "";
        strbuf_printf(&cols, "%s%s", sep, col->target);
        if (col->ref) {
            /* a hash join, not a lookup per row: 200,000 milestones resolve in one pass */
            strbuf_printf(&vals, "%sj%d.id AS %s", sep, k, col->target);
            strbuf_printf(&joins, " LEFT JOIN %s j%d ON j%d.code = t.%s", col->ref, k, k,
                          col->name);
        } else {
            strbuf_printf(&vals, "%st.%s AS %s", sep, col->name, col->target);
        }
        if (col->flags & F_KEY) {
            strbuf_printf(&keys, " AND cur.%s = n.%s", col->target, col->target);
        } else {
            strbuf_printf(&set, "%s%s = n.%s", set.len ? ", " : "", col->target, col->target);
            strbuf_printf(&cur, "%scur.%s", cur.len ? ", " : "", col->target);
            strbuf_printf(&next, "%sn.%s", next.len ? ", " : "", col->target);
        }
    }
    long updated = 0, inserted = -1;
    if (set.len) {
        /* ROW(...) so that a single column compares as a row too */
        strbuf_printf(&sql,
                      "UPDATE %s AS cur SET %s FROM (SELECT %s FROM %s t%s) n WHERE true%s "
                      "AND ROW(%s) IS DISTINCT FROM ROW(%s)",
                      t->table, set.data, vals.data, t->tmp, joins.len ? joins.data : "", keys.data,
                      cur.data, next.data);
        updated = exec_count(c, sql.data, f->path, err);
    }
    if (updated >= 0) {
        sql.len = 0;
        /* in file order where that numbers the new rows (identity ids); elsewhere the sort
         * would only cost time (200,000 milestones) */
        strbuf_printf(&sql, "INSERT INTO %s (%s) SELECT %s FROM %s t%s WHERE NOT %s%s", t->table,
                      cols.data, vals.data, t->tmp, joins.len ? joins.data : "", t->exists,
                      t->numbered ? " ORDER BY t.row" : "");
        inserted = exec_count(c, sql.data, f->path, err);
        if (inserted >= 0 && out != NULL)
            fprintf(out,
                    dngettext(HY_TEXTDOMAIN, "%s: %ld row, %ld new, %ld updated, %ld unchanged\n",
                              "%s: %ld rows, %ld new, %ld updated, %ld unchanged\n",
                              (unsigned long)f->nrows),
                    f->path, f->nrows, inserted, updated, f->nrows - inserted - updated);
    }
    strbuf_cleanup(&cols);
    strbuf_cleanup(&vals);
    strbuf_cleanup(&joins);
    strbuf_cleanup(&set);
    strbuf_cleanup(&keys);
    strbuf_cleanup(&cur);
    strbuf_cleanup(&next);
    strbuf_cleanup(&sql);
    return updated < 0 || inserted < 0 ? -1 : 0;
}

/* Replaces the department lists of the imported initiatives / the initiative links of the
 * imported KPIs, when the file has that column. */
static int replace_lists(PGconn *c, const imp_file *f, store_error *err)
{
    int ti = (int)(f->spec - TABLES);
    if (ti == T_INITIATIVES && f->present[3] >= 0) {
        if (exec_ok(c,
                    "INSERT INTO departments (name) SELECT DISTINCT u.name FROM imp_initiatives t "
                    "CROSS JOIN LATERAL unnest(string_to_array(t.departments, E'\\x1f')) u(name) "
                    "ORDER BY 1 ON CONFLICT (name) DO NOTHING",
                    err) != 0 ||
            /* only the lists that differ from the stored ones are replaced; the stored lists
             * are those of the imported initiatives only (aggregating every initiative's took
             * 177 ms of database CPU to import 111 initiatives into 100,000: the cost of a
             * small import grew with the installation, bench/scale/cities.sh) */
            exec_ok(c,
                    "CREATE TEMPORARY TABLE imp_changed_departments ON COMMIT DROP AS "
                    "SELECT i.id AS initiative_id, t.departments FROM imp_initiatives t "
                    "JOIN initiatives i ON i.code = t.code LEFT JOIN (SELECT x.initiative_id, "
                    "string_agg(d.name, E'\\x1f' ORDER BY x.position) AS names FROM "
                    "initiative_departments x JOIN departments d ON d.id = x.department_id "
                    "WHERE x.initiative_id IN (SELECT i2.id FROM imp_initiatives t2 "
                    "JOIN initiatives i2 ON i2.code = t2.code) "
                    "GROUP BY x.initiative_id) cur ON cur.initiative_id = i.id "
                    "WHERE cur.names IS DISTINCT FROM t.departments",
                    err) != 0 ||
            exec_ok(c,
                    "DELETE FROM initiative_departments WHERE initiative_id IN "
                    "(SELECT initiative_id FROM imp_changed_departments)",
                    err) != 0 ||
            exec_ok(c,
                    "INSERT INTO initiative_departments (initiative_id, department_id, position) "
                    "SELECT t.initiative_id, d.id, u.position FROM imp_changed_departments t "
                    "CROSS JOIN LATERAL unnest(string_to_array(t.departments, E'\\x1f')) "
                    "WITH ORDINALITY u(name, position) JOIN departments d ON d.name = u.name",
                    err) != 0)
            return -1;
    }
    if (ti == T_KPIS && f->present[8] >= 0) {
        if (exec_ok(c,
                    "DELETE FROM kpi_initiatives WHERE kpi_id IN (SELECT k.id FROM kpis k JOIN "
                    "imp_kpis t ON t.code = k.code)",
                    err) != 0 ||
            exec_ok(c,
                    "INSERT INTO kpi_initiatives (kpi_id, initiative_id) SELECT k.id, i.id FROM "
                    "imp_kpis t JOIN kpis k ON k.code = t.code CROSS JOIN LATERAL "
                    "unnest(string_to_array(t.initiative_codes, E'\\x1f')) u(code) JOIN "
                    "initiatives i ON i.code = u.code",
                    err) != 0)
            return -1;
    }
    return 0;
}

/* Writes report_texts.csv's rows (narrative_apply) and says what changed, as upsert() does. */
static int write_narrative(PGconn *c, const imp_file *f, FILE *out, store_error *err)
{
    long inserted, updated, removed;
    if (narrative_apply(c, &inserted, &updated, &removed, err) != 0)
        return -1;
    if (out != NULL) {
        fprintf(out,
                dngettext(HY_TEXTDOMAIN, "%s: %ld row, %ld new, %ld updated, %ld unchanged",
                          "%s: %ld rows, %ld new, %ld updated, %ld unchanged",
                          (unsigned long)f->nrows),
                f->path, f->nrows, inserted, updated, f->nrows - inserted - updated);
        if (removed > 0)
            fprintf(out, _(", %ld removed"), removed);
        fputc('\n', out);
    }
    return 0;
}

/* ---- bulk mode (sql/006_bulk_import.sql) --------------------------------------------------- */

/* The rows this import will insert into the tables whose foreign keys bulk mode suspends: the
 * INSERTs of upsert() select exactly the rows without a stored match. */
static long new_rows(PGconn *c, const import *im, store_error *err)
{
    long total = 0, rows = 0;
    for (int i = 0; i < im->nfiles; i++) {
        int t = (int)(im->files[i].spec - TABLES);
        if (t == T_INITIATIVES || t == T_MILESTONES || t == T_PROGRESS)
            rows += im->files[i].nrows;
    }
    if (rows < IMPORT_BULK_ROWS)
        return 0; /* not even if every row is new: no need to count */
    for (int i = 0; i < im->nfiles; i++) {
        const table_spec *t = im->files[i].spec;
        int ti = (int)(t - TABLES);
        if (ti != T_INITIATIVES && ti != T_MILESTONES && ti != T_PROGRESS)
            continue;
        /* stops counting at the threshold: then bulk mode is decided */
        char sql[512];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT FROM %s t WHERE NOT %s LIMIT %ld) n",
                 t->tmp, t->exists, IMPORT_BULK_ROWS - total);
        PGresult *res = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            store_fail_pq(err, c, res, "import");
            PQclear(res);
            return -1;
        }
        total += strtol(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        if (total >= IMPORT_BULK_ROWS)
            break;
    }
    return total;
}

/* Suspends the foreign keys of the tables the import fills when it inserts IMPORT_BULK_ROWS rows
 * or more. Returns 1 if suspended (bulk_end must follow), 0 if the rows are checked one by one
 * (few new rows, or the locks were not granted within IMPORT_BULK_LOCK_TIMEOUT: then readers
 * are busy and the import must not stall them), -1 on error. */
static int bulk_begin(PGconn *c, const import *im, FILE *out, store_error *err)
{
    long n = new_rows(c, im, err);
    if (n < IMPORT_BULK_ROWS)
        return n < 0 ? -1 : 0;
    if (exec_ok(c, "SAVEPOINT bulk", err) != 0 ||
        exec_ok(c, "SET LOCAL lock_timeout = '" IMPORT_BULK_LOCK_TIMEOUT "'", err) != 0)
        return -1;
    PGresult *res = PQexecParams(c, "SELECT hyoka_import_bulk_begin()", 0, NULL, NULL, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    bool busy = !ok && state != NULL && strcmp(state, "55P03") == 0; /* lock_not_available */
    if (!ok && !busy)
        store_fail_pq(err, c, res, "import");
    PQclear(res);
    if (!ok && !busy)
        return -1;
    if (busy) {
        if (exec_ok(c, "ROLLBACK TO SAVEPOINT bulk", err) != 0)
            return -1;
        if (out != NULL)
            fprintf(out, "%s", _("note: other sessions are reading the roadmap tables: foreign keys "
                                 "are checked row by row (slower)\n"));
    }
    if (exec_ok(c, "SET LOCAL lock_timeout = DEFAULT", err) != 0 ||
        exec_ok(c, "RELEASE SAVEPOINT bulk", err) != 0)
        return -1;
    return busy ? 0 : 1;
}

/* Adds the suspended foreign keys again, validating every row. */
static int bulk_end(PGconn *c, store_error *err)
{
    return exec_ok(c, "SELECT hyoka_import_bulk_end()", err);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static int open_encoding(import *im, const char *encoding, store_error *err)
{
    static const char *const cp932_names[] = {"cp932", "shift_jis", "shift-jis", "sjis",
                                              "windows-31j", "ms932"};
    im->cp932 = false;
    if (encoding != NULL && !csv_cell_ieq(encoding, "utf-8") && !csv_cell_ieq(encoding, "utf8")) {
        for (size_t i = 0; i < sizeof cp932_names / sizeof cp932_names[0]; i++)
            if (csv_cell_ieq(encoding, cp932_names[i]))
                im->cp932 = true;
        if (!im->cp932)
            return store_fail(err, STORE_EUSER,
                              "unknown encoding '%s' (expected utf-8 or cp932)", encoding);
    }
    /* glibc's CP932 is Microsoft's code page 932 with the NEC and IBM extensions (①, 髙). */
    im->cd = iconv_open("UTF-8", im->cp932 ? "CP932" : "UTF-8");
    if (im->cd == (iconv_t)-1)
        return store_fail(err, STORE_EDB, "iconv cannot convert from %s",
                          im->cp932 ? "CP932" : "UTF-8");
    return 0;
}

/* The index in TABLES of the file named `name` (a base name), or -1. */
static int table_of(const char *name)
{
    for (int t = 0; t < NTABLES; t++)
        if (strcmp(TABLES[t].file, name) == 0)
            return t;
    return -1;
}

static void add_file(import *im, const char *path, int t)
{
    imp_file *f = &im->files[im->nfiles++];
    f->path = path;
    f->spec = &TABLES[t];
    for (int k = 0; k < MAX_SPEC_COLUMNS; k++)
        f->present[k] = -1;
}

static void import_cleanup(import *im)
{
    for (int i = 0; i < im->nfiles; i++) {
        for (int k = 0; k < im->files[i].ncols; k++)
            free(im->files[i].col_name[k]);
        strbuf_cleanup(&im->files[i].copy);
    }
    for (int i = 0; i < im->ndiags; i++)
        free(im->diags[i].message);
    free(im->diags);
    if (im->cd != (iconv_t)-1)
        iconv_close(im->cd);
}

int store_import(PGconn *c, const char *const *files, int nfiles, const char *encoding,
                 bool dry_run, FILE *diag_out, store_error *err)
{
    import im = {.cd = (iconv_t)-1};
    file_reader loading = {0};
    int rc = -1;
    bool in_tx = false;
    if (open_encoding(&im, encoding, err) != 0)
        return -1;
    if (nfiles > IMPORT_MAX_FILES) {
        store_fail(err, STORE_EUSER, "at most %d files in one import (one of each kind)",
                   IMPORT_MAX_FILES);
        goto out;
    }
    /* Name checks first: a wrong name is reported before anything is read. */
    const char *seen[IMPORT_MAX_FILES] = {0};
    for (int i = 0; i < nfiles; i++) {
        const char *name = base_name(files[i]);
        int t = table_of(name);
        if (t < 0) {
            store_fail(err, STORE_EUSER,
                       "%s: unknown file name '%s' (expected measures.csv, initiatives.csv, "
                       "milestones.csv, surveys.csv, progress.csv, kpis.csv, kpi_values.csv, "
                       "projects.csv, plans.csv, departments.csv or %s)",
                       files[i], name, NARRATIVE_FILE);
            goto out;
        }
        if (seen[t] != NULL) {
            store_fail(err, STORE_EUSER, "%s: %s is already imported from %s", files[i],
                       TABLES[t].file, seen[t]);
            goto out;
        }
        seen[t] = files[i];
    }
    for (int t = 0; t < NTABLES; t++)
        if (seen[t] != NULL)
            add_file(&im, seen[t], t);
    if (file_reader_start(&loading, &im, err) != 0)
        goto out;

    if (exec_ok(c, "BEGIN", err) != 0)
        goto out;
    in_tx = true;
    /* One import at a time (upsert() relies on it); evaluations and readers are not blocked. */
    if (store_lock_xact(c, STORE_LOCK_IMPORT, "import", err) != 0)
        goto out;
    /* JIT compiles these one-off statements for longer than they run; sorts of 100,000 rows
     * should not spill to disk. Both end with the transaction. */
    /* The temporary tables' statistics need only sizes and rough distinct counts for the join
     * plans: a sample of 3,000 rows (target 10) instead of 30,000 costs ~10 ms, not ~80 ms. */
    if (exec_ok(c, "SET LOCAL jit = off", err) != 0 ||
        exec_ok(c, "SET LOCAL work_mem = '64MB'", err) != 0 ||
        exec_ok(c, "SET LOCAL default_statistics_target = 10", err) != 0)
        goto out;
    if (create_temp_tables(c, err) != 0)
        goto out;
    for (int i = 0; i < im.nfiles; i++)
        if (file_reader_wait(&loading, i, err) != 0 ||
            (im.files[i].header_row > 0 && copy_in(c, &im.files[i], err) != 0))
            goto out;
    file_reader_join(&loading); /* every file is read: the diagnostics are this thread's now */
    /* statistics, so that the checks below join the temporary tables by hash, not by loops */
    for (int t = 0; t < NTABLES; t++) {
        char analyze[64];
        snprintf(analyze, sizeof analyze, "ANALYZE %s", TABLES[t].tmp);
        if (exec_ok(c, analyze, err) != 0)
            goto out;
    }
    if (run_checks(c, &im, err) != 0)
        goto out;
    if (im.ndiags > 0) {
        print_diags(&im, diag_out);
        long total = im.ndiags + im.dropped;
        store_fail(err, STORE_EUSER,
                   dngettext(HY_TEXTDOMAIN, "%ld error: nothing was imported",
                             "%ld errors: nothing was imported", (unsigned long)total),
                   total);
        goto out;
    }
    /* A dry run leaves the live system alone: no exclusive locks, per-row checks. */
    int bulk = dry_run ? 0 : bulk_begin(c, &im, diag_out, err);
    if (bulk < 0)
        goto out;
    for (int i = 0; i < im.nfiles; i++) {
        int written;
        if (im.files[i].spec == &TABLES[T_REPORT_TEXTS])
            written = write_narrative(c, &im.files[i], diag_out, err);
        else if (upsert(c, &im.files[i], diag_out, err) != 0)
            written = -1;
        else
            written = replace_lists(c, &im.files[i], err);
        if (written != 0) {
            /* a constraint the rows break is bad input; a lost connection is not */
            if (PQstatus(c) == CONNECTION_OK)
                err->status = STORE_EUSER;
            goto out;
        }
    }
    if (bulk > 0 && bulk_end(c, err) != 0)
        goto out;
    if (dry_run) {
        in_tx = false;
        if (exec_ok(c, "ROLLBACK", err) != 0)
            goto out;
        if (diag_out != NULL)
            fprintf(diag_out, "dry run: the files are valid; nothing was written\n");
    } else {
        /* The tables this import changed by more than autovacuum's analyze threshold get
         * their statistics now (sql/017): an evaluation right after a large first import was
         * otherwise planned for empty tables and failed after 30 s. Delivered at COMMIT: servers
         * see the new data_version (sql/009) and drop cached bodies that show initiative and
         * measure titles, departments or KPIs. */
        if (exec_ok(c, "SELECT hyoka_import_analyze()", err) != 0 ||
            exec_ok(c, "UPDATE data_version SET version = version + 1", err) != 0 ||
            exec_ok(c, "NOTIFY hyoka_data", err) != 0)
            goto out;
        in_tx = false;
        if (exec_ok(c, "COMMIT", err) != 0)
            goto out;
    }
    rc = 0;
out:
    file_reader_join(&loading);
    if (in_tx)
        PQclear(PQexec(c, "ROLLBACK"));
    import_cleanup(&im);
    return rc;
}

long store_import_check_text(const char *name, const char *data, size_t len,
                             const char *encoding, FILE *diag_out, store_error *err)
{
    import im = {.cd = (iconv_t)-1};
    long errors = -1;
    int t = table_of(name);
    if (t < 0) {
        store_fail(err, STORE_EUSER, "unknown file name '%s'", name);
        goto out;
    }
    if (open_encoding(&im, encoding, err) != 0)
        goto out;
    add_file(&im, name, t);
    parse_text(&im, 0, data, len);
    if (diag_out != NULL)
        print_diags(&im, diag_out);
    errors = im.ndiags + im.dropped;
out:
    import_cleanup(&im);
    return errors;
}
