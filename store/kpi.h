/* kpi.h - KPI figures at a survey's as-of date: the one place that decides which observation a
 * view shows and what the attainment is.
 *
 * For each KPI: its baseline and target; the value at the as-of date (the newest observation dated
 * on or before it: what the rules' fact kpi_attainment used, SPEC "Facts of the shipped view");
 * the newest observation dated after the as-of date, if any (what a report written months later
 * quotes, labelled as the latest); and the attainment at the as-of date,
 * (at_as_of - baseline) / (target - baseline), computed in the database's numeric exactly as the
 * facts view computes each KPI's term, unrounded and unclamped (null when the target equals the
 * baseline or a value is missing).
 *
 * How to call it (a handler, the report, the CLI):
 *
 *     kpi_list kpis;
 *     store_error err = {0};
 *     if (kpi_list_read(c, "2024-03-31", NULL, 0, 500, &kpis, &err) != 0)
 *         return reply_error(&err);              // kpis needs no cleanup on failure
 *     for (size_t i = 0; i < kpis.n; i++) {
 *         const kpi_figure *k = &kpis.items[i];
 *         ... k->code, k->at_as_of.value, k->latest.present ? k->latest.date : NULL ...
 *     }
 *     if (kpis.truncated) ... say that more than 500 exist ...
 *     kpi_list_cleanup(&kpis);
 *
 * The as-of date is the caller's to choose (the survey the view shows: the read model decides the
 * default survey); NULL means "no cut": at_as_of is then the newest observation and latest is
 * absent. Every string in the list (codes, titles, units, decimals) lives until kpi_list_cleanup;
 * nothing else is allocated for the caller. One query, parameterised; the caller's transaction
 * (if any) gives the snapshot.
 */
#ifndef HYOKA_KPI_H
#define HYOKA_KPI_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

#define KPI_DATE_LEN 11        /* "YYYY-MM-DD" and its NUL */
#define KPI_MAX_CODES 1000     /* codes a caller may select by (kpi_list_read's `codes`) */
#define KPI_MAX_ITEMS 100000   /* the largest `max` kpi_list_read accepts */

/* One dated value (an observation, the baseline or the target). */
typedef struct kpi_obs {
    bool present;             /* false: no such value; then date is "" and text NULL */
    char date[KPI_DATE_LEN];  /* "" when the KPI has a value but no date (baseline, target) */
    double value;
    const char *text;         /* the stored decimal as written back ("79.1", "6841", "-0.5") */
} kpi_obs;

typedef struct kpi_figure {
    const char *code;
    const char *title;
    const char *unit;         /* NULL: none */
    const char *direction;    /* "up", "down" or NULL */
    kpi_obs baseline;
    kpi_obs target;
    kpi_obs at_as_of;         /* newest observation dated on or before the as-of date */
    kpi_obs latest;           /* newest observation dated after it; present=false if none */
    bool has_attainment;
    double attainment;        /* at the as-of date, as a fraction (0.695 = 69.5 %); unrounded */
    const char *const *initiatives; /* the codes of its initiatives, in code_order_cmp order */
    size_t ninitiatives;
} kpi_figure;

typedef struct kpi_list {
    char as_of[KPI_DATE_LEN]; /* the cut used, "" for none */
    kpi_figure *items;        /* n figures */
    size_t n;
    bool truncated;           /* more KPIs matched than `max`: the first max are in items */
    /* private */
    void *res_;
    char *strings_;
    const char **codes_;
} kpi_list;

/* Reads the KPIs' figures at `as_of` ("YYYY-MM-DD", or NULL for no cut) into *out. With
 * `codes` (ncodes of them, at most KPI_MAX_CODES): those KPIs, in that order, a code that names
 * no KPI skipped (missing ones are the caller's to report); without (NULL, 0): every KPI in
 * code_order_cmp order of their codes. At most `max` (1..KPI_MAX_ITEMS) figures; out->truncated
 * says there were more. Returns 0 with *out filled (free with kpi_list_cleanup), or -1 with err
 * set and *out empty: STORE_EUSER for a malformed as_of, too many codes or a max out of range,
 * STORE_EDB for a database failure. */
int kpi_list_read(PGconn *c, const char *as_of, const char *const *codes, size_t ncodes,
                  size_t max, kpi_list *out, store_error *err);

/* Frees what kpi_list_read filled; accepts an emptied or zeroed list, and leaves it empty. */
void kpi_list_cleanup(kpi_list *l);

/* The figure of `code` in l, or NULL. */
const kpi_figure *kpi_list_find(const kpi_list *l, const char *code);

#endif
