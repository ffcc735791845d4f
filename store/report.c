/* report.c - the progress report of a survey (seed report's shape) as Markdown or HTML, generated
 * from the database and the survey's newest stored run. */
#include "report.h"
#include "read.h"
#include "wareki.h"

#include <jansson.h>
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

static void heading(doc *d, const char *s)
{
    if (d->html) {
        fputs("<h2>", d->out);
        text(d, s);
        fputs("</h2>\n", d->out);
    } else {
        fputs("## ", d->out);
        text(d, s);
        fputs("\n\n", d->out);
    }
}

static void subheading(doc *d, const char *s)
{
    if (d->html) {
        fputs("<h3>", d->out);
        text(d, s);
        fputs("</h3>\n", d->out);
    } else {
        fputs("### ", d->out);
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
    "@media print { body { max-width: none; } }\n"
    "</style>\n</head>\n<body>\n";

/* ---- data -------------------------------------------------------------------------------- */

static PGresult *query(PGconn *c, const char *sql, int n, const char *const *params,
                       const char *what, store_error *err)
{
    PGresult *res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_fail_pq(err, c, res, what);
        PQclear(res);
        return NULL;
    }
    return res;
}

static const char *val(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* A PostgreSQL numeric as the published report writes it: thousands separated ("6,841",
 * "1,234.5"); NULL as "-". Writes into out (n bytes) and returns it. */
static const char *grouped(const char *num, char *out, size_t n)
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

/* ①..⑳, then (21), (22)... */
static void circled(int n, char *out, size_t len)
{
    if (n >= 1 && n <= 20) {
        /* U+2460 + n - 1, three bytes in UTF-8 */
        unsigned cp = 0x2460u + (unsigned)(n - 1);
        snprintf(out, len, "%c%c%c", (char)(0xE0 | (cp >> 12)), (char)(0x80 | ((cp >> 6) & 0x3F)),
                 (char)(0x80 | (cp & 0x3F)));
    } else {
        snprintf(out, len, "(%d)", n);
    }
}

static void format_percent(const json_t *v, char *out, size_t n)
{
    snprintf(out, n, "%.1f%%", json_number_value(v));
}

/* The sections, each from its own query. All write to d; return -1 with err on failure. */

/* KPI outcomes show each KPI's latest observation, as the published report does (it is written
 * months after the survey date and quotes 令和6年10月 figures in a 令和5年度末 report); a value
 * dated after the survey is marked so. kpi_attainment, the rules' fact, stays "as of the survey". */

static int section_kpis(PGconn *c, doc *d, const char *as_of, store_error *err)
{
    char limit[24];
    const char *params[2] = {as_of, limit_text(limit)};
    PGresult *res = query(
        c,
        "SELECT k.title, coalesce(k.unit, ''), trim_scale(k.baseline_value)::text, "
        "       k.baseline_date::text, trim_scale(k.target_value)::text, "
        "       trim_scale(lv.value)::text, lv.date::text, "
        "       CASE WHEN k.target_value <> k.baseline_value AND lv.value IS NOT NULL "
        "            THEN round((lv.value - k.baseline_value) / (k.target_value - k.baseline_value)"
        "                       * 100, 1)::text END, "
        "       lv.date > $1::date "
        "  FROM kpis k LEFT JOIN LATERAL ("
        "       SELECT kv.value, kv.date FROM kpi_values kv "
        "        WHERE kv.kpi_id = k.id ORDER BY kv.date DESC LIMIT 1) lv "
        "       ON true ORDER BY k.code LIMIT $2",
        2, params, "reading KPIs", err);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    if (n == 0) {
        para(d, "（指標の登録はありません）");
        PQclear(res);
        return 0;
    }
    for (int i = 0; i < n && i < REPORT_MAX_ROWS; i++) {
        char mark[16], title[1024], line[1024], latest[WAREKI_MAX], base[WAREKI_MAX];
        circled(i + 1, mark, sizeof mark);
        snprintf(title, sizeof title, "%s %s", mark, val(res, i, 0));
        para(d, title);
        const char *unit = val(res, i, 1);
        char base_v[64], latest_v[64], target_v[64];
        grouped(val(res, i, 2), base_v, sizeof base_v);
        grouped(val(res, i, 5), latest_v, sizeof latest_v);
        grouped(val(res, i, 4), target_v, sizeof target_v);
        if (val(res, i, 5) == NULL) {
            snprintf(line, sizeof line, "実績値なし（基準値 %s%s）", base_v, unit);
        } else {
            if (wareki_month_iso(val(res, i, 6), latest, sizeof latest) < 0)
                snprintf(latest, sizeof latest, "%s", val(res, i, 6));
            if (val(res, i, 3) == NULL || wareki_month_iso(val(res, i, 3), base, sizeof base) < 0)
                snprintf(base, sizeof base, "基準値");
            int len = snprintf(line, sizeof line, "%s %s%s (%s %s%s)", latest, latest_v, unit,
                               base, base_v, unit);
            if (val(res, i, 7) != NULL && len > 0 && (size_t)len < sizeof line)
                len += snprintf(line + len, sizeof line - (size_t)len, "　目標 %s%s、達成率 %s%%",
                                target_v, unit, val(res, i, 7));
            const char *after = val(res, i, 8);
            if (after != NULL && strcmp(after, "t") == 0 && len > 0 && (size_t)len < sizeof line)
                snprintf(line + len, sizeof line - (size_t)len, "（調査時点後の最新値）");
        }
        para(d, line);
    }
    note_truncated(d, n);
    PQclear(res);
    return 0;
}

static int section_projects(PGconn *c, doc *d, store_error *err)
{
    char limit[24];
    const char *params[1] = {limit_text(limit)};
    PGresult *res = query(c,
                          "SELECT coalesce(stage, ''), theme, coalesce(department, '') "
                          "  FROM projects "
                          " ORDER BY min(id) OVER (PARTITION BY stage), id LIMIT $1",
                          1, params, "reading projects", err);
    if (res == NULL)
        return -1;
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

static int section_additions(PGconn *c, doc *d, const char *as_of, store_error *err)
{
    char limit[24];
    const char *params[2] = {as_of, limit_text(limit)};
    PGresult *res =
        query(c,
              "SELECT i.title, coalesce(string_agg(dp.name, '、' ORDER BY idp.position), '') "
              "  FROM initiatives i "
              "  LEFT JOIN initiative_departments idp ON idp.initiative_id = i.id "
              "  LEFT JOIN departments dp ON dp.id = idp.department_id "
              /* in the roadmap's order: ids number initiatives as their file first listed them */
              " WHERE i.start_date > $1::date GROUP BY i.id ORDER BY i.start_date, i.id LIMIT $2",
              2, params, "reading roadmap additions", err);
    if (res == NULL)
        return -1;
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

/* Initiatives with a reason, grouped by their primary reason in the rule set's order. */
static int section_problem_list(PGconn *c, doc *d, const char *run_id, const json_t *reasons,
                                store_error *err)
{
    char limit[24];
    const char *params[2] = {run_id, limit_text(limit)};
    PGresult *res =
        query(c,
              "SELECT r.primary_reason, i.code, i.title, "
              "       coalesce((SELECT string_agg(dp.name, '、' ORDER BY idp.position) "
              "                   FROM initiative_departments idp "
              "                   JOIN departments dp ON dp.id = idp.department_id "
              "                  WHERE idp.initiative_id = i.id), ''), r.category "
              "  FROM evaluation_results r JOIN initiatives i ON i.id = r.initiative_id "
              " WHERE r.run_id = $1 AND r.primary_reason IS NOT NULL "
              " ORDER BY i.code LIMIT $2",
              2, params, "reading initiatives with problems", err);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    if (n == 0) {
        para(d, "（課題がある取組はありません）");
        PQclear(res);
        return 0;
    }
    size_t ri;
    json_t *reason;
    json_array_foreach(reasons, ri, reason)
    {
        const char *id = json_string_value(json_object_get(reason, "id"));
        if (json_integer_value(json_object_get(reason, "count")) == 0 || id == NULL)
            continue;
        char title[1024];
        snprintf(title, sizeof title, "(%c) %s", (char)('A' + (ri % 26)),
                 json_string_value(json_object_get(reason, "label")));
        subheading(d, title);
        static const char *const header[3] = {"取組", "取組名", "所管課"};
        table_start(d, header, 3, 0);
        int rows = 0;
        for (int i = 0; i < n && rows < REPORT_MAX_ROWS; i++) {
            if (strcmp(val(res, i, 0), id) != 0)
                continue;
            const char *cells[3] = {val(res, i, 1), val(res, i, 2), val(res, i, 3)};
            table_row(d, cells, 3);
            rows++;
        }
        table_end(d);
    }
    note_truncated(d, n);
    PQclear(res);
    return 0;
}

char *store_report(PGconn *c, const char *survey_code, const char *format, store_error *err)
{
    store_error_clear(err);
    if (format == NULL || (strcmp(format, "md") != 0 && strcmp(format, "html") != 0)) {
        store_fail(err, STORE_EUSER, "format '%s': expected md or html", format ? format : "");
        return NULL;
    }
    doc d = {NULL, strcmp(format, "html") == 0, 0};
    char *buf = NULL;
    size_t len = 0;
    PGresult *sres = NULL, *rres = NULL, *pres = NULL, *mres = NULL;
    json_t *summary = NULL;
    bool ok = false;

    /* One snapshot for every section. */
    PQclear(PQexec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    if (survey_code != NULL) {
        const char *params[1] = {survey_code};
        sres = query(c, "SELECT id, code, as_of::text, label FROM surveys WHERE code = $1", 1,
                     params, "reading the survey", err);
    } else {
        sres = query(c,
                     "SELECT id, code, as_of::text, label FROM surveys "
                     "ORDER BY as_of DESC, id DESC LIMIT 1",
                     0, NULL, "reading the survey", err);
    }
    if (sres == NULL)
        goto out;
    if (PQntuples(sres) == 0) {
        if (survey_code != NULL)
            store_fail(err, STORE_ENOTFOUND, "unknown survey '%s'", survey_code);
        else
            store_fail(err, STORE_ENOTFOUND, "the database has no survey yet");
        goto out;
    }
    const char *survey_id = PQgetvalue(sres, 0, 0), *code = PQgetvalue(sres, 0, 1);
    const char *as_of = PQgetvalue(sres, 0, 2);
    const char *sp[1] = {survey_id};
    rres = query(c,
                 "SELECT r.id, r.total, r.summary::text, rs.version, "
                 "       to_json(r.evaluated_at) #>> '{}' "
                 "  FROM evaluation_runs r JOIN rule_sets rs ON rs.id = r.rule_set_id "
                 " WHERE r.survey_id = $1 AND r.id <= " STORE_READ_PUBLISHED
                 " ORDER BY r.id DESC LIMIT 1",
                 1, sp, "reading the survey's newest run", err);
    if (rres == NULL)
        goto out;
    if (PQntuples(rres) == 0) {
        store_fail(err, STORE_ENOTFOUND,
                   "survey '%s' has no evaluation run yet: run 'hyoka evaluate --survey %s'", code,
                   code);
        goto out;
    }
    const char *run_id = PQgetvalue(rres, 0, 0);
    /* The run id as a parameter, not a correlated column: PostgreSQL then plans only the run's
     * partition (one per run, sql/005), not all of them (~100 ms of planning at 500 runs). */
    const char *rp[1] = {run_id};
    mres = query(c,
                 "SELECT count(DISTINCT i.measure_id) FROM evaluation_results er "
                 "  JOIN initiatives i ON i.id = er.initiative_id WHERE er.run_id = $1",
                 1, rp, "counting the run's measures", err);
    if (mres == NULL)
        goto out;
    summary = json_loads(PQgetvalue(rres, 0, 2), 0, NULL);
    if (!json_is_object(summary)) {
        store_fail(err, STORE_EDB, "run %s has no readable summary", run_id);
        goto out;
    }
    pres =
        query(c, "SELECT title FROM plans ORDER BY period_start DESC NULLS LAST, id DESC LIMIT 1",
              0, NULL, "reading the plan", err);
    if (pres == NULL)
        goto out;

    d.out = open_memstream(&buf, &len);
    if (d.out == NULL)
        abort();

    char title[1024], line[2048], when[WAREKI_MAX];
    const char *plan = PQntuples(pres) > 0 ? PQgetvalue(pres, 0, 0) : NULL;
    if (plan != NULL)
        snprintf(title, sizeof title, "%sの進捗状況について", plan);
    else
        snprintf(title, sizeof title, "ロードマップの進捗状況について");
    if (wareki_as_of_iso(as_of, when, sizeof when) < 0)
        snprintf(when, sizeof when, "%s", as_of);

    if (d.html) {
        fputs(html_head, d.out);
        text(&d, title);
        fputs(html_style, d.out);
        fputs("<h1>", d.out);
        text(&d, title);
        fputs("</h1>\n", d.out);
    } else {
        fputs("# ", d.out);
        text(&d, title);
        fputs("\n\n", d.out);
    }
    if (plan != NULL)
        snprintf(line, sizeof line,
                 "%sに基づくロードマップの取組について、以下のとおり進捗状況を調査しましたので報告"
                 "します。",
                 plan);
    else
        snprintf(line, sizeof line,
                 "ロードマップの取組について、以下のとおり進捗状況を調査しましたので報告します。");
    para(&d, line);

    long total = (long)json_integer_value(json_object_get(summary, "total"));
    heading(&d, "1 調査対象");
    snprintf(line, sizeof line, "ロードマップに掲げている%sの施策を、細分化した%ldの取組",
             PQgetvalue(mres, 0, 0), total);
    para(&d, line);

    heading(&d, "2 調査時点");
    para(&d, when);

    heading(&d, "3 調査結果");
    {
        static const char *const header[3] = {"調査結果", "取組数", "割合"};
        table_start(&d, header, 3, 6u);
        size_t i;
        json_t *cat;
        long sum = 0;
        json_array_foreach(json_object_get(summary, "categories"), i, cat)
        {
            char label[1024], count[32], pct[32];
            snprintf(label, sizeof label, "(%zu) %s", i + 1,
                     json_string_value(json_object_get(cat, "label")));
            long n = (long)json_integer_value(json_object_get(cat, "count"));
            sum += n;
            snprintf(count, sizeof count, "%ld", n);
            format_percent(json_object_get(cat, "percent"), pct, sizeof pct);
            const char *cells[3] = {label, count, pct};
            table_row(&d, cells, 3);
        }
        char count[32];
        snprintf(count, sizeof count, "%ld", sum);
        const char *cells[3] = {"合計", count, total > 0 ? "100.0%" : "0.0%"};
        table_row(&d, cells, 3);
        table_end(&d);
    }

    heading(&d, "4 主な取組と成果");
    subheading(&d, "(1) 指標の推移");
    if (section_kpis(c, &d, as_of, err) != 0)
        goto out;
    subheading(&d, "(2) 官民連携による地域課題解決検討プロジェクト");
    if (section_projects(c, &d, err) != 0)
        goto out;

    heading(&d, "5 課題がある取組とその対応");
    {
        static const char *const header[3] = {"課題・進捗していない理由", "取組数", "対応策"};
        table_start(&d, header, 3, 2u);
        size_t i;
        json_t *r;
        long sum = 0;
        json_array_foreach(json_object_get(summary, "reasons"), i, r)
        {
            char label[1024], count[32];
            snprintf(label, sizeof label, "(%c) %s", (char)('A' + (i % 26)),
                     json_string_value(json_object_get(r, "label")));
            long n = (long)json_integer_value(json_object_get(r, "count"));
            sum += n;
            snprintf(count, sizeof count, "%ld", n);
            const char *resp = json_string_value(json_object_get(r, "response"));
            const char *cells[3] = {label, count, resp != NULL ? resp : ""};
            table_row(&d, cells, 3);
        }
        char count[32];
        snprintf(count, sizeof count, "%ld", sum);
        const char *cells[3] = {"合計", count, ""};
        table_row(&d, cells, 3);
        table_end(&d);
    }

    heading(&d, "6 ロードマップに新たに追加する事業");
    if (section_additions(c, &d, as_of, err) != 0)
        goto out;

    heading(&d, "7 課題がある取組の一覧");
    if (section_problem_list(c, &d, run_id, json_object_get(summary, "reasons"), err) != 0)
        goto out;

    char evaluated[WAREKI_MAX];
    if (wareki_day_iso(PQgetvalue(rres, 0, 4), evaluated, sizeof evaluated) < 0)
        snprintf(evaluated, sizeof evaluated, "%.10s", PQgetvalue(rres, 0, 4));
    snprintf(line, sizeof line, "評価 %s（評価ルール %s、%s評価）", run_id, PQgetvalue(rres, 0, 3),
             evaluated);
    if (d.html) {
        fputs("<p class=\"meta\">", d.out);
        text(&d, line);
        fputs("</p>\n</body>\n</html>\n", d.out);
    } else {
        fputs("---\n\n", d.out);
        text(&d, line);
        fputs("\n", d.out);
    }
    ok = true;

out:
    PQclear(PQexec(c, "ROLLBACK"));
    if (d.out != NULL)
        fclose(d.out);
    if (!ok) {
        free(buf);
        buf = NULL;
    }
    json_decref(summary);
    PQclear(sres);
    PQclear(rres);
    PQclear(mres);
    PQclear(pres);
    return buf;
}
