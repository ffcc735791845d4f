/* report.c - the progress report of a survey in the seed report's shape (report.h), as Markdown
 * or HTML: the run's summary, the planning office's narrative (narrative.h) and the KPI figures
 * (kpi.h), all read in one snapshot. */
#include "report.h"
#include "code_order.h"
#include "read.h"
#include "json_eng.h"
#include "narrative.h"
#include "wareki.h"
#include "xalloc.h"

#include <engine.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- output: one document model, two syntaxes -------------------------------------------- */

typedef struct doc {
    FILE *out; /* open_memstream */
    bool html;
    unsigned num_cols; /* bit i: column i of the current table holds numbers (right-aligned) */
} doc;

/* Writes text escaped for the format: HTML entities, or Markdown table-safe text (| escaped,
 * line breaks as spaces; outside tables the same is harmless). */
static void text(doc *d, const char *s)
{
    if (s == NULL)
        return;
    for (const char *p = s; *p != '\0'; p++) {
        char ch = *p;
        if (d->html) {
            switch (ch) {
            case '&':
                fputs("&amp;", d->out);
                break;
            case '<':
                fputs("&lt;", d->out);
                break;
            case '>':
                fputs("&gt;", d->out);
                break;
            case '"':
                fputs("&quot;", d->out);
                break;
            case '\'':
                fputs("&#39;", d->out);
                break;
            default:
                fputc(ch, d->out);
            }
        } else {
            if (ch == '|' || ch == '\\' || ch == '*' || ch == '_' || ch == '`' || ch == '<')
                fputc('\\', d->out);
            fputc(ch == '\n' || ch == '\r' ? ' ' : ch, d->out);
        }
    }
}

/* A heading of `level` 1..3 (<h1>..<h3>, "#".."###"). */
static void head(doc *d, int level, const char *s)
{
    if (d->html)
        fprintf(d->out, "<h%d>", level);
    else
        fprintf(d->out, "%.*s ", level, "###");
    text(d, s);
    if (d->html)
        fprintf(d->out, "</h%d>\n", level);
    else
        fputs("\n\n", d->out);
}

static void heading(doc *d, const char *s) { head(d, 2, s); }

static void subheading(doc *d, const char *s) { head(d, 3, s); }

static void para_class(doc *d, const char *cls, const char *s)
{
    if (d->html) {
        fprintf(d->out, "<p class=\"%s\">", cls);
        text(d, s);
        fputs("</p>\n", d->out);
    } else {
        text(d, s);
        fputs("\n\n", d->out);
    }
}

static void para(doc *d, const char *s)
{
    if (d->html) {
        fputs("<p>", d->out);
        text(d, s);
        fputs("</p>\n", d->out);
    } else {
        text(d, s);
        fputs("\n\n", d->out);
    }
}

/* Tables: table_start(header...), table_row(cells...), table_end(). `ncols` cells each. */
static void table_row_(doc *d, const char *const *cells, int ncols, bool header)
{
    if (d->html) {
        fputs("<tr>", d->out);
        for (int i = 0; i < ncols; i++) {
            bool num = (d->num_cols >> i) & 1u;
            fputs(header ? (num ? "<th class=\"num\">" : "<th>")
                         : (num ? "<td class=\"num\">" : "<td>"),
                  d->out);
            text(d, cells[i]);
            fputs(header ? "</th>" : "</td>", d->out);
        }
        fputs("</tr>\n", d->out);
        return;
    }
    fputs("|", d->out);
    for (int i = 0; i < ncols; i++) {
        fputc(' ', d->out);
        text(d, cells[i]);
        fputs(cells[i] != NULL && cells[i][0] != '\0' ? " |" : "|", d->out);
    }
    fputs("\n", d->out);
    if (header) {
        fputs("|", d->out);
        for (int i = 0; i < ncols; i++)
            fputs("---|", d->out);
        fputs("\n", d->out);
    }
}

static void table_start(doc *d, const char *const *header, int ncols, unsigned num_cols)
{
    d->num_cols = num_cols;
    if (d->html)
        fputs("<table>\n<thead>\n", d->out);
    table_row_(d, header, ncols, true);
    if (d->html)
        fputs("</thead>\n<tbody>\n", d->out);
}

static void table_row(doc *d, const char *const *cells, int ncols)
{
    table_row_(d, cells, ncols, false);
}

static void table_end(doc *d)
{
    fputs(d->html ? "</tbody>\n</table>\n" : "\n", d->out);
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
static const char html_style[] =
    "</title>\n<style>\n"
    "@page { size: A4; margin: 20mm 18mm; }\n"
    "body { font-family: \"Noto Sans CJK JP\", \"Hiragino Sans\", \"Yu Gothic\", sans-serif;\n"
    "       font-size: 10.5pt; line-height: 1.6; color: #111; max-width: 180mm; margin: 0 auto; }\n"
    "h1 { font-size: 15pt; text-align: center; margin: 0 0 1.2em; }\n"
    "h2 { font-size: 12pt; margin: 1.4em 0 0.5em; break-after: avoid; page-break-after: avoid; }\n"
    "h3 { font-size: 10.5pt; margin: 1em 0 0.4em; break-after: avoid; page-break-after: avoid; }\n"
    "table { border-collapse: collapse; width: 100%; margin: 0.4em 0 1em; }\n"
    "th, td { border: 1px solid #333; padding: 2pt 5pt; vertical-align: top; text-align: left; }\n"
    "th { background: #eee; }\n"
    "tr { break-inside: avoid; page-break-inside: avoid; }\n"
    "thead { display: table-header-group; }\n"
    "td.num, th.num { text-align: right; white-space: nowrap; }\n"
    ".meta { color: #555; font-size: 9pt; text-align: right; }\n"
    "p.figure { margin: 0.8em 0 0.1em; font-weight: bold; }\n"
    "p.kpi { margin: 0 0 0 1.2em; }\n"
    "p.note { color: #555; font-size: 9pt; }\n"
    "@media print { body { max-width: none; } }\n"
    "</style>\n</head>\n<body>\n";


/* ---- data -------------------------------------------------------------------------------- */

static const char *val(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* Appends printf output to out (n bytes) at *len, never past its end: a cut line ends at a UTF-8
 * character boundary. */
static void add(char *out, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char *out, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(out + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w < 0)
        return;
    if ((size_t)w < n - *len) {
        *len += (size_t)w;
        return;
    }
    /* cut: out[0 .. n-2] was kept; drop its last character if its bytes did not all fit */
    size_t last = n - 2;
    while (last > *len && ((unsigned char)out[last] & 0xC0) == 0x80)
        last--;
    unsigned char lead = (unsigned char)out[last];
    size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    size_t end = last + need <= n - 1 ? n - 1 : last;
    out[end] = '\0';
    *len = end;
}

const char *report_grouped(const char *num, char *out, size_t n)
{
    if (num == NULL) {
        snprintf(out, n, "-");
        return out;
    }
    const char *p = num;
    size_t o = 0;
    size_t digits = strspn(p + (*p == '-'), "0123456789");
    size_t len = strlen(num), commas = digits > 3 ? (digits - 1) / 3 : 0;
    if (len + commas >= n) { /* numeric has no size limit: ungrouped, or cut with a mark */
        if (len < n)
            snprintf(out, n, "%s", num);
        else
            snprintf(out, n, "%.*s…", (int)(n - 1 - strlen("…")), num);
        return out;
    }
    if (*p == '-')
        out[o++] = *p++;
    for (size_t i = 0; i < digits; i++) {
        if (i > 0 && (digits - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = p[i];
    }
    snprintf(out + o, n - o, "%s", p + digits);
    return out;
}

/* "令和6年10月" for an ISO date; the date itself if it is outside the eras wareki knows. */
static const char *month_of(const char *iso, char out[WAREKI_MAX])
{
    if (wareki_month_iso(iso, out, WAREKI_MAX) < 0)
        snprintf(out, WAREKI_MAX, "%.10s", iso);
    return out;
}

/* "79.1%" / "6,841業務": a value and its unit as the seed writes them. */
static const char *amount(const kpi_obs *o, const char *unit, char *out, size_t n)
{
    char num[64];
    snprintf(out, n, "%s%s", report_grouped(o->text, num, sizeof num), unit != NULL ? unit : "");
    return out;
}

void report_kpi_lines(const kpi_figure *k, const char *prefix, char *latest, size_t nlatest,
                      char *at, size_t nat)
{
    char when[WAREKI_MAX], base_when[WAREKI_MAX], v[128], b[128];
    size_t l1 = 0, l2 = 0;
    latest[0] = '\0';
    at[0] = '\0';
    if (prefix != NULL)
        add(latest, nlatest, &l1, "%s ", prefix);
    const kpi_obs *newest = k->latest.present ? &k->latest : &k->at_as_of;
    if (newest->present)
        add(latest, nlatest, &l1, "%s %s（%s", month_of(newest->date, when),
            amount(newest, k->unit, v, sizeof v), k->latest.present ? "最新値" : "調査時点の値");
    else
        add(latest, nlatest, &l1, "実績値なし（");
    if (k->baseline.present) {
        add(latest, nlatest, &l1, "%s基準：", newest->present ? "。" : "");
        if (k->baseline.date[0] != '\0')
            add(latest, nlatest, &l1, "%s ", month_of(k->baseline.date, base_when));
        add(latest, nlatest, &l1, "%s", amount(&k->baseline, k->unit, b, sizeof b));
    } else if (!newest->present) {
        add(latest, nlatest, &l1, "基準値なし");
    }
    add(latest, nlatest, &l1, "）");

    /* The survey's view: the value the rules used (only when a newer one was quoted above), the
     * target and the attainment at the as-of date. */
    const char *sep = "";
    if (k->latest.present) {
        if (k->at_as_of.present)
            add(at, nat, &l2, "調査時点 %s %s", month_of(k->at_as_of.date, when),
                amount(&k->at_as_of, k->unit, v, sizeof v));
        else
            add(at, nat, &l2, "調査時点 実績値なし");
        sep = "、";
    }
    if (k->target.present) {
        add(at, nat, &l2, "%s目標 %s", sep, amount(&k->target, k->unit, v, sizeof v));
        if (k->target.date[0] != '\0')
            add(at, nat, &l2, "（%s）", month_of(k->target.date, when));
        sep = "、";
    }
    if (k->has_attainment) {
        char pct[32];
        snprintf(pct, sizeof pct, "%.1f", eng_round(k->attainment * 100.0, 1));
        add(at, nat, &l2, "%s達成率 %s%%", sep, strcmp(pct, "-0.0") == 0 ? "0.0" : pct);
    }
}

/* REPORT_MAX_ROWS + 1 as a query parameter: one row more than shown tells that rows were cut. */
static const char *limit_text(char text[24])
{
    snprintf(text, 24, "%d", REPORT_MAX_ROWS + 1);
    return text;
}

/* Says that a list was cut at REPORT_MAX_ROWS rows (never silently). */
static void note_truncated(doc *d, int nrows)
{
    if (nrows <= REPORT_MAX_ROWS)
        return;
    char line[128];
    snprintf(line, sizeof line, "（%d件を超えるため、以下は省略しています）", REPORT_MAX_ROWS);
    para(d, line);
}

/* ①..⑳, then （21）, （22）... */
static void circled(int n, char *out, size_t len)
{
    if (n >= 1 && n <= 20) {
        /* U+2460 + n - 1, three bytes in UTF-8 */
        unsigned cp = 0x2460u + (unsigned)(n - 1);
        snprintf(out, len, "%c%c%c", (char)(0xE0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3F)),
                 (char)(0x80 | (cp & 0x3F)));
    } else {
        snprintf(out, len, "（%d）", n);
    }
}

/* （A）..（Z）, then （27）...: reasons as the seed labels them, in full-width parentheses. */
static void lettered(size_t i, char *out, size_t len)
{
    if (i < 26)
        snprintf(out, len, "（%c）", (char)('A' + i));
    else
        snprintf(out, len, "（%zu）", i + 1);
}

/* What every section needs: the survey, its run and the run's summary. */
typedef struct report_ctx {
    PGconn *c;
    doc d;
    const char *survey_id, *survey_code, *as_of;
    const char *run_id;
    json_t *summary;
    kpi_list kpis; /* the KPIs the narrative's figures name (or every KPI without a narrative) */
} report_ctx;

static void figure_label(report_ctx *x, int number, const char *label)
{
    char mark[32], line[4096];
    size_t len = 0;
    circled(number, mark, sizeof mark);
    add(line, sizeof line, &len, "%s %s", mark, label);
    para_class(&x->d, "figure", line);
}

static void kpi_paras(report_ctx *x, const kpi_figure *k, const char *prefix)
{
    char line[2048], at[1024];
    report_kpi_lines(k, prefix, line, sizeof line, at, sizeof at);
    para_class(&x->d, "kpi", line);
    if (at[0] != '\0')
        para_class(&x->d, "kpi", at);
}

/* One KPI figure of a theme: its label, then each KPI's lines (`codes` joined by U+001F), each
 * beginning with the KPI's title where the figure shows several. */
static void figure(report_ctx *x, int number, const char *label, const char *codes)
{
    figure_label(x, number, label);
    if (codes == NULL)
        return;
    size_t n = 1;
    for (const char *p = codes; *p != '\0'; p++)
        n += *p == '\x1f';
    const char *p = codes;
    while (p != NULL) {
        const char *end = strchr(p, '\x1f');
        char code[256], line[512];
        snprintf(code, sizeof code, "%.*s", (int)(end != NULL ? (size_t)(end - p) : strlen(p)), p);
        const kpi_figure *k = kpi_list_find(&x->kpis, code);
        if (k == NULL) {
            snprintf(line, sizeof line, "（指標「%s」は登録されていません）", code);
            para_class(&x->d, "kpi", line);
        } else {
            kpi_paras(x, k, n > 1 ? k->title : NULL);
        }
        p = end != NULL ? end + 1 : NULL;
    }
}

static int section_projects(report_ctx *x, store_error *err)
{
    char limit[24];
    const char *params[1] = {limit_text(limit)};
    PGresult *res = store_select(x->c,
                          "SELECT coalesce(stage, ''), theme, coalesce(department, '') "
                          "  FROM projects "
                          " ORDER BY min(id) OVER (PARTITION BY stage), id LIMIT $1",
                          1, params, "reading projects", err);
    if (res == NULL)
        return -1;
    doc *d = &x->d;
    int n = PQntuples(res);
    if (n == 0) {
        para(d, "（官民連携プロジェクトの登録はありません）");
        PQclear(res);
        return 0;
    }
    static const char *const header[3] = {"取組状況", "課題テーマ", "所管課"};
    table_start(d, header, 3, 0);
    for (int i = 0; i < n && i < REPORT_MAX_ROWS; i++) {
        /* like the seed: the stage only where it changes */
        bool same = i > 0 && strcmp(val(res, i, 0), val(res, i - 1, 0)) == 0;
        const char *cells[3] = {same ? "" : val(res, i, 0), val(res, i, 1), val(res, i, 2)};
        table_row(d, cells, 3);
    }
    table_end(d);
    note_truncated(d, n);
    PQclear(res);
    return 0;
}

/* Collects the distinct KPI codes of the narrative's figure rows (at most KPI_MAX_CODES) and
 * reads their figures into x->kpis; without a narrative, every KPI. */
static int read_kpis(report_ctx *x, const PGresult *narrative, bool themes, store_error *err)
{
    if (!themes)
        return kpi_list_read(x->c, x->as_of, NULL, 0, REPORT_MAX_ROWS, &x->kpis, err);
    const char *codes[KPI_MAX_CODES];
    char *copies[KPI_MAX_CODES];
    size_t n = 0;
    for (int i = 0; i < PQntuples(narrative) && i < REPORT_MAX_ROWS; i++) {
        const char *p = val(narrative, i, 2);
        while (p != NULL && n < KPI_MAX_CODES) {
            const char *end = strchr(p, '\x1f');
            size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++)
                seen = strlen(codes[k]) == len && memcmp(codes[k], p, len) == 0;
            if (!seen) {
                copies[n] = xmemdup(p, len);
                codes[n] = copies[n];
                n++;
            }
            p = end != NULL ? end + 1 : NULL;
        }
    }
    int rc = n == 0 ? 0 : kpi_list_read(x->c, x->as_of, codes, n, n, &x->kpis, err);
    for (size_t k = 0; k < n; k++)
        free(copies[k]);
    return rc;
}

/* 4 主な取組と成果: the narrative's themes; without one, every KPI and the projects. */
static int section_themes(report_ctx *x, const PGresult *narrative, store_error *err)
{
    doc *d = &x->d;
    int rows = PQntuples(narrative);
    int theme = 0, fig = 0;
    char line[2048];
    for (int i = 0; i < rows && i < REPORT_MAX_ROWS; i++) {
        const char *kind = val(narrative, i, 0), *body = val(narrative, i, 1);
        if (strcmp(kind, "theme") == 0) {
            snprintf(line, sizeof line, "（%d）%s", ++theme, body);
            subheading(d, line);
            fig = 0;
        } else if (strcmp(kind, "paragraph") == 0) {
            para(d, body);
        } else if (strcmp(kind, "figure") == 0) {
            figure(x, ++fig, body, val(narrative, i, 2));
        } else if (strcmp(kind, "projects") == 0) {
            if (section_projects(x, err) != 0)
                return -1;
        }
    }
    note_truncated(d, rows);
    if (theme > 0)
        return 0;
    para_class(d, "note",
               "（この調査の報告文が登録されていないため、指標と官民連携プロジェクトを一覧に"
               "しています）");
    subheading(d, "（1）指標の推移");
    if (x->kpis.n == 0)
        para(d, "（指標の登録はありません）");
    for (size_t k = 0; k < x->kpis.n; k++) {
        figure_label(x, (int)k + 1, x->kpis.items[k].title);
        kpi_paras(x, &x->kpis.items[k], NULL);
    }
    if (x->kpis.truncated)
        note_truncated(d, REPORT_MAX_ROWS + 1);
    subheading(d, "（2）官民連携による地域課題解決検討プロジェクト");
    return section_projects(x, err);
}

static void section_outlook(report_ctx *x, const PGresult *narrative)
{
    int shown = 0;
    for (int i = 0; i < PQntuples(narrative) && i < REPORT_MAX_ROWS; i++) {
        if (strcmp(val(narrative, i, 0), "outlook") == 0) {
            para(&x->d, val(narrative, i, 1));
            shown++;
        }
    }
    if (shown == 0)
        para(&x->d, "（今後の取組の方向性は登録されていません）");
}

static int section_additions(report_ctx *x, store_error *err)
{
    char limit[24];
    const char *params[2] = {x->as_of, limit_text(limit)};
    PGresult *res =
        store_select(x->c,
              "SELECT i.title, coalesce(string_agg(dp.name, '、' ORDER BY idp.position), '') "
              "  FROM initiatives i "
              "  LEFT JOIN initiative_departments idp ON idp.initiative_id = i.id "
              "  LEFT JOIN departments dp ON dp.id = idp.department_id "
              /* in the roadmap's order (the seed's): ids number initiatives as their file first
               * listed them */
              " WHERE i.start_date > $1::date GROUP BY i.id ORDER BY i.start_date, i.id LIMIT $2",
              2, params, "reading roadmap additions", err);
    if (res == NULL)
        return -1;
    doc *d = &x->d;
    int n = PQntuples(res);
    if (n == 0) {
        para(d, "（調査時点より後に開始する取組はありません）");
    } else {
        static const char *const header[3] = {"番号", "事業名", "所管課"};
        table_start(d, header, 3, 1u);
        for (int i = 0; i < n && i < REPORT_MAX_ROWS; i++) {
            char num[16];
            snprintf(num, sizeof num, "%d", i + 1);
            const char *cells[3] = {num, val(res, i, 0), val(res, i, 1)};
            table_row(d, cells, 3);
        }
        table_end(d);
        note_truncated(d, n);
    }
    PQclear(res);
    return 0;
}

typedef struct problem_row {
    const char *reason, *code, *title, *departments;
} problem_row;

static int problem_cmp(const void *a, const void *b)
{
    return code_order_cmp(((const problem_row *)a)->code, ((const problem_row *)b)->code);
}

/* 別表: the initiatives with a reason, grouped by their primary reason in the rule set's order,
 * each group in code order (1-3-01 before 1-14-01). */
static int section_problem_list(report_ctx *x, store_error *err)
{
    /* every row of the run with a reason (a run has one per initiative: bounded by the run);
     * sorted in C, so that the order is the one every view uses */
    const char *params[1] = {x->run_id};
    PGresult *res =
        store_select(x->c,
              "SELECT r.primary_reason, i.code, i.title, "
              "       coalesce((SELECT string_agg(dp.name, '、' ORDER BY idp.position) "
              "                   FROM initiative_departments idp "
              "                   JOIN departments dp ON dp.id = idp.department_id "
              "                  WHERE idp.initiative_id = i.id), '') "
              "  FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id "
              " WHERE r.run_id = $1 AND r.primary_reason IS NOT NULL",
              1, params, "reading initiatives with problems", err);
    if (res == NULL)
        return -1;
    doc *d = &x->d;
    int n = PQntuples(res);
    if (n == 0) {
        para(d, "（課題がある取組はありません）");
        PQclear(res);
        return 0;
    }
    problem_row *rows = xcalloc((size_t)n, sizeof *rows);
    for (int i = 0; i < n; i++)
        rows[i] = (problem_row){val(res, i, 0), val(res, i, 1), val(res, i, 2), val(res, i, 3)};
    qsort(rows, (size_t)n, sizeof *rows, problem_cmp);
    size_t ri;
    json_t *reason;
    json_array_foreach(json_object_get(x->summary, "reasons"), ri, reason)
    {
        const char *id = json_string_value(json_object_get(reason, "id"));
        if (json_integer_value(json_object_get(reason, "count")) == 0 || id == NULL)
            continue;
        char title[1024], mark[32];
        lettered(ri, mark, sizeof mark);
        snprintf(title, sizeof title, "%s%s", mark,
                 json_string_value(json_object_get(reason, "label")));
        subheading(d, title);
        static const char *const header[3] = {"取組", "取組名", "所管課"};
        table_start(d, header, 3, 0);
        int shown = 0, matched = 0;
        for (int i = 0; i < n; i++) {
            if (strcmp(rows[i].reason, id) != 0)
                continue;
            if (++matched > REPORT_MAX_ROWS)
                continue;
            const char *cells[3] = {rows[i].code, rows[i].title, rows[i].departments};
            table_row(d, cells, 3);
            shown++;
        }
        table_end(d);
        note_truncated(d, matched);
    }
    free(rows);
    PQclear(res);
    return 0;
}

/* 3 調査結果 (list "categories": （1）label, count, percent) and 5 課題がある取組とその対応 (list
 * "reasons": （A）label, count of primary reasons, response): the run's summary as the seed's
 * tables, with their totals. */
static void summary_table(report_ctx *x, const char *list, long total)
{
    doc *d = &x->d;
    bool categories = strcmp(list, "categories") == 0;
    static const char *const cat_header[3] = {"調査結果", "取組数", "割合"};
    static const char *const reason_header[3] = {"課題・進捗していない理由", "取組数", "対応策"};
    table_start(d, categories ? cat_header : reason_header, 3, categories ? 6u : 2u);
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(x->summary, list), i, entry)
    {
        long n = (long)json_integer_value(json_object_get(entry, "count"));
        char label[1024], count[32], mark[32], third[64];
        if (categories)
            snprintf(mark, sizeof mark, "（%zu）", i + 1);
        else
            lettered(i, mark, sizeof mark);
        snprintf(label, sizeof label, "%s%s", mark,
                 json_string_value(json_object_get(entry, "label")));
        snprintf(count, sizeof count, "%ld", n);
        snprintf(third, sizeof third, "%.1f%%",
                 json_number_value(json_object_get(entry, "percent")));
        const char *resp = json_string_value(json_object_get(entry, "response"));
        const char *cells[3] = {label, count, categories ? third : resp != NULL ? resp : ""};
        table_row(d, cells, 3);
    }
    char count[32];
    snprintf(count, sizeof count, "%ld", categories ? total : jeng_summary_reasons_total(x->summary));
    const char *cells[3] = {"合計", count, !categories ? "" : total > 0 ? "100.0%" : "0.0%"};
    table_row(d, cells, 3);
    table_end(d);
}

/* The title and the preamble: the plan and its roadmap, with the months they were adopted. */
static void preamble(report_ctx *x, const PGresult *plan, const PGresult *narrative)
{
    doc *d = &x->d;
    char title[2048], line[4096], when[WAREKI_MAX];
    const char *plan_title = PQntuples(plan) > 0 ? val(plan, 0, 0) : NULL;
    const char *custom = NULL;
    for (int i = 0; i < PQntuples(narrative) && i < REPORT_MAX_ROWS && custom == NULL; i++)
        if (strcmp(val(narrative, i, 0), "title") == 0)
            custom = val(narrative, i, 1);
    if (custom != NULL)
        snprintf(title, sizeof title, "%s", custom);
    else if (plan_title != NULL)
        snprintf(title, sizeof title, "%sの進捗状況について", plan_title);
    else
        snprintf(title, sizeof title, "ロードマップの進捗状況について");
    if (d->html) {
        fputs(html_head, d->out);
        text(d, title);
        fputs(html_style, d->out);
    }
    head(d, 1, title);
    size_t len = 0;
    if (plan_title != NULL) {
        const char *adopted = val(plan, 0, 1), *roadmap = val(plan, 0, 2),
                   *roadmap_adopted = val(plan, 0, 3);
        add(line, sizeof line, &len, "本市は、%s", plan_title);
        if (adopted != NULL)
            add(line, sizeof line, &len, "（%s策定）", month_of(adopted, when));
        if (roadmap != NULL) {
            add(line, sizeof line, &len, "及び%s", roadmap);
            if (roadmap_adopted != NULL)
                add(line, sizeof line, &len, "（%s策定）", month_of(roadmap_adopted, when));
        }
        add(line, sizeof line, &len, "に基づき、取組を進めています。");
        para(d, line);
        para(d, "その取組について、以下のとおり進捗状況を調査しましたので報告します。");
    } else {
        para(d, "ロードマップの取組について、以下のとおり進捗状況を調査しましたので報告します。");
    }
}

/* What the report reads of the run store_read_run chose: id, total, summary, rules version,
 * evaluated_at, and its survey's id, code and as-of date. */
static PGresult *read_run(PGconn *c, long long run_id, store_error *err)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", run_id);
    const char *p[1] = {id};
    return store_select(c,
                 "SELECT r.id, r.total, r.summary::text, rs.version,"
                 "       to_json(r.evaluated_at) #>> '{}', s.id, s.code, s.as_of::text"
                 "  FROM evaluation_runs r JOIN rule_sets rs ON rs.id = r.rule_set_id"
                 "  JOIN surveys s ON s.id = r.survey_id WHERE r.id = $1::bigint",
                 1, p, "reading the run", err);
}

char *store_report(PGconn *c, const char *survey_code, const char *format, store_error *err)
{
    store_report_opts o = {survey_code, 0, format};
    return store_report_with(c, &o, err);
}

char *store_report_with(PGconn *c, const store_report_opts *o, store_error *err)
{
    store_error_clear(err);
    const char *format = o->format;
    if (format == NULL || (strcmp(format, "md") != 0 && strcmp(format, "html") != 0)) {
        store_fail(err, STORE_EUSER, "format '%s': expected md or html", format ? format : "");
        return NULL;
    }
    if (o->run_id < 0) {
        store_fail(err, STORE_EUSER, "run %lld: expected a positive id", o->run_id);
        return NULL;
    }
    report_ctx x = {.c = c, .d = {NULL, strcmp(format, "html") == 0, 0}};
    char *buf = NULL;
    size_t len = 0;
    PGresult *rres = NULL, *pres = NULL, *mres = NULL, *tres = NULL;
    bool ok = false;

    /* One snapshot for every section. */
    PQclear(PQexec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    long long run_id = 0;
    if (store_read_run(c, o->survey_code, o->run_id, &run_id, err) != STORE_RUN_FOUND)
        goto out;
    rres = read_run(c, run_id, err);
    if (rres == NULL)
        goto out;
    if (PQntuples(rres) != 1) {
        store_fail(err, STORE_EDB, "run %lld vanished while the report was written", run_id);
        goto out;
    }
    x.survey_id = PQgetvalue(rres, 0, 5);
    x.survey_code = PQgetvalue(rres, 0, 6);
    x.as_of = PQgetvalue(rres, 0, 7);
    x.run_id = PQgetvalue(rres, 0, 0);
    /* The run id as a parameter, not a correlated column: PostgreSQL then plans only the run's
     * partition (one per run, sql/005), not all of them (~100 ms of planning at 500 runs). */
    const char *rp[1] = {x.run_id};
    mres = store_select(c,
                 "SELECT count(DISTINCT i.measure_id) FROM evaluation_results er "
                 "  JOIN initiatives i ON i.id = er.initiative_id WHERE er.run_id = $1",
                 1, rp, "counting the run's measures", err);
    if (mres == NULL)
        goto out;
    x.summary = json_loads(PQgetvalue(rres, 0, 2), 0, NULL);
    if (!json_is_object(x.summary)) {
        store_fail(err, STORE_EDB, "run %s has no readable summary", x.run_id);
        goto out;
    }
    pres = store_select(c,
                 "SELECT title, adopted_on::text, roadmap_title, roadmap_adopted_on::text "
                 "  FROM plans ORDER BY period_start DESC NULLS LAST, id DESC LIMIT 1",
                 0, NULL, "reading the plan", err);
    if (pres == NULL)
        goto out;
    tres = narrative_read(c, x.survey_id, REPORT_MAX_ROWS, err);
    if (tres == NULL)
        goto out;
    bool themes = false;
    for (int i = 0; i < PQntuples(tres) && !themes; i++)
        themes = strcmp(val(tres, i, 0), "theme") == 0;
    if (read_kpis(&x, tres, themes, err) != 0)
        goto out;

    x.d.out = open_memstream(&buf, &len);
    if (x.d.out == NULL)
        abort();
    doc *d = &x.d;
    preamble(&x, pres, tres);

    char line[2048], when[WAREKI_MAX];
    long total = (long)json_integer_value(json_object_get(x.summary, "total"));
    heading(d, "1 調査対象");
    snprintf(line, sizeof line, "ロードマップに掲げている%sの施策を、細分化した%ldの取組",
             PQgetvalue(mres, 0, 0), total);
    para(d, line);

    heading(d, "2 調査時点");
    if (wareki_as_of_iso(x.as_of, when, sizeof when) < 0)
        snprintf(when, sizeof when, "%s", x.as_of);
    para(d, when);

    heading(d, "3 調査結果");
    summary_table(&x, "categories", total);

    heading(d, "4 主な取組と成果");
    if (section_themes(&x, tres, err) != 0)
        goto out;

    heading(d, "5 課題がある取組とその対応");
    summary_table(&x, "reasons", total);

    heading(d, "6 ロードマップに新たに追加する事業");
    if (section_additions(&x, err) != 0)
        goto out;

    heading(d, "7 今後の取組の方向性");
    section_outlook(&x, tres);

    heading(d, "別表 課題がある取組の一覧");
    if (section_problem_list(&x, err) != 0)
        goto out;

    char evaluated[WAREKI_MAX];
    if (wareki_day_iso(PQgetvalue(rres, 0, 4), evaluated, sizeof evaluated) < 0)
        snprintf(evaluated, sizeof evaluated, "%.10s", PQgetvalue(rres, 0, 4));
    snprintf(line, sizeof line, "%s評価・評価ルール %s（評価番号 %s）", evaluated,
             PQgetvalue(rres, 0, 3), x.run_id);
    if (d->html) {
        fputs("<p class=\"meta\">", d->out);
        text(d, line);
        fputs("</p>\n</body>\n</html>\n", d->out);
    } else {
        fputs("---\n\n", d->out);
        text(d, line);
        fputs("\n", d->out);
    }
    ok = true;

out:
    PQclear(PQexec(c, "ROLLBACK"));
    if (x.d.out != NULL)
        fclose(x.d.out);
    if (!ok) {
        free(buf);
        buf = NULL;
    }
    kpi_list_cleanup(&x.kpis);
    json_decref(x.summary);
    PQclear(rres);
    PQclear(mres);
    PQclear(pres);
    PQclear(tres);
    return buf;
}
