/* report.h - the yearly progress report of a survey, in the shape of the seed report, generated
 * from the database, a stored evaluation run and the planning office's text (report_texts.csv,
 * store/narrative.h), as Markdown or HTML.
 *
 * Sections, as the seed has them: the title and the preamble (the plan and the roadmap with their
 * adoption dates), 1 調査対象, 2 調査時点, 3 調査結果, 4 主な取組と成果 (the narrative's themes:
 * paragraphs, KPI figures, the public-private projects), 5 課題がある取組とその対応,
 * 6 ロードマップに新たに追加する事業, 7 今後の取組の方向性; then, unnumbered, 別表 課題がある取組の
 * 一覧 (the initiatives behind section 5, in code order). Punctuation is full-width, dates are
 * in the Japanese era. KPI figures quote the newest observation, labelled 最新値 with its month
 * when it is dated after the survey, and the value and attainment at the survey's as-of date (what
 * the rules used), all from store/kpi.h.
 */
#ifndef HYOKA_REPORT_H
#define HYOKA_REPORT_H

#include <stddef.h>

#include "kpi.h"
#include "store.h"

/* Rows of any one list in the report: a printed report is not the place for more (the API and
 * `hyoka evaluate --format csv` give every row). A longer list is cut and the report says so. */
#define REPORT_MAX_ROWS 5000

typedef struct store_report_opts {
    const char *survey_code; /* NULL: the survey with the latest as_of (or run_id's survey) */
    long long run_id;        /* 0: the survey's newest run; else this stored run */
    const char *format;      /* "md" or "html" */
} store_report_opts;

/* Returns the report as a malloc'd NUL-terminated UTF-8 document (caller frees), or NULL with err:
 * STORE_EUSER for a format other than "md" / "html" or a run_id of another survey than
 * survey_code ("run N belongs to survey ..."), STORE_ENOTFOUND for an unknown survey or run or a
 * survey without a stored run, STORE_EDB for database failures. The HTML is self-contained
 * (inline CSS, prints on A4) and escapes all data. One read-only snapshot for every section. */
char *store_report_with(PGconn *c, const store_report_opts *opts, store_error *err);

/* store_report_with for the survey's newest run (survey_code NULL: the latest survey). */
char *store_report(PGconn *c, const char *survey_code, const char *format, store_error *err);

/* The text lines the report prints for one KPI (pure; unit-tested): `latest` the newest value,
 * e.g. "令和6年10月 79.1%（最新値。基準：令和4年4月 41.4%）", `at` the survey's view,
 * e.g. "調査時点 令和6年3月 75.2%、目標 90%（令和8年3月）、達成率 69.5%". A non-NULL
 * `prefix` (the KPI's title, where a figure shows several) begins the first line. Each buffer
 * gets a NUL-terminated line, cut at a character boundary if too small. */
void report_kpi_lines(const kpi_figure *k, const char *prefix, char *latest, size_t nlatest,
                      char *at, size_t nat);

/* A decimal as the published report writes it: thousands separated ("6,841", "1,234.5"); NULL as
 * "-". Writes into out (n bytes) and returns out. */
const char *report_grouped(const char *num, char *out, size_t n);

#endif
