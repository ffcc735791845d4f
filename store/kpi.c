/* kpi.c - KPI figures at a survey's as-of date (kpi.h): one parameterised query, its strings kept
 * in the PGresult, each KPI's initiative codes split and ordered in C. */
#include "kpi.h"
#include "code_order.h"
#include "wareki.h"
#include "xalloc.h"

#include <stdlib.h>
#include <string.h>

/* $1 as-of date or NULL; $2 the selected codes joined with U+001F (codes cannot hold control
 * characters: the import refuses them) or NULL for all; $3 the row limit. The attainment term is
 * the facts view's (sql/004: (v - baseline) / (target - baseline) in numeric, target = baseline
 * skipped). Initiative codes joined with U+001F as well. */
static const char sql_figures[] =
    "WITH sel AS ("
    "  SELECT k.*, 0::bigint AS ord FROM kpis k WHERE $2::text IS NULL"
    "  UNION ALL"
    "  SELECT k.*, u.ord FROM unnest(string_to_array($2::text, E'\\x1f')) WITH ORDINALITY u(code, ord)"
    "    JOIN kpis k ON k.code = u.code)"
    " SELECT s.code, s.title, s.unit, s.direction,"
    "        trim_scale(s.baseline_value)::text, s.baseline_date::text,"
    "        trim_scale(s.target_value)::text, s.target_date::text,"
    "        a.date::text, trim_scale(a.value)::text, l.date::text, trim_scale(l.value)::text,"
    "        CASE WHEN s.target_value <> s.baseline_value"
    "             THEN ((a.value - s.baseline_value) / (s.target_value - s.baseline_value))::text"
    "        END,"
    "        (SELECT string_agg(i.code, E'\\x1f') FROM kpi_initiatives ki"
    "           JOIN initiatives i ON i.id = ki.initiative_id WHERE ki.kpi_id = s.id)"
    "   FROM sel s"
    "   LEFT JOIN LATERAL (SELECT x.date, x.value FROM kpi_values x WHERE x.kpi_id = s.id"
    "          AND ($1::date IS NULL OR x.date <= $1::date) ORDER BY x.date DESC LIMIT 1) a ON true"
    "   LEFT JOIN LATERAL (SELECT x.date, x.value FROM kpi_values x WHERE x.kpi_id = s.id"
    "          AND $1::date IS NOT NULL AND x.date > $1::date ORDER BY x.date DESC LIMIT 1) l"
    "          ON true"
    "  ORDER BY s.ord, s.code LIMIT $3::int";

enum {
    C_CODE, C_TITLE, C_UNIT, C_DIRECTION, C_BASE, C_BASE_DATE, C_TARGET, C_TARGET_DATE,
    C_AT_DATE, C_AT, C_LATEST_DATE, C_LATEST, C_ATTAINMENT, C_INITIATIVES, C_COUNT
};

static const char *val(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static kpi_obs obs(const PGresult *res, int row, int value_col, int date_col)
{
    kpi_obs o = {0};
    const char *v = val(res, row, value_col);
    if (v == NULL)
        return o;
    o.present = true;
    o.text = v;
    o.value = strtod(v, NULL);
    const char *d = date_col >= 0 ? val(res, row, date_col) : NULL;
    if (d != NULL)
        snprintf(o.date, sizeof o.date, "%s", d);
    return o;
}

static int by_code(const void *a, const void *b)
{
    return code_order_cmp(((const kpi_figure *)a)->code, ((const kpi_figure *)b)->code);
}

void kpi_list_cleanup(kpi_list *l)
{
    if (l == NULL)
        return;
    PQclear(l->res_);
    free(l->items);
    free(l->strings_);
    free(l->codes_);
    memset(l, 0, sizeof *l);
}

const kpi_figure *kpi_list_find(const kpi_list *l, const char *code)
{
    for (size_t i = 0; l != NULL && code != NULL && i < l->n; i++)
        if (strcmp(l->items[i].code, code) == 0)
            return &l->items[i];
    return NULL;
}

/* Splits each row's U+001F-joined initiative codes into one pointer array and one copy of the
 * strings (both owned by l), each figure's codes in code order; items[i] is still row i. */
static void split_initiatives(kpi_list *l, const PGresult *res)
{
    size_t bytes = 0, count = 0;
    int rows = PQntuples(res);
    for (int i = 0; i < rows; i++) {
        const char *s = val(res, i, C_INITIATIVES);
        if (s == NULL)
            continue;
        bytes += strlen(s) + 1;
        count++;
        for (const char *p = s; *p != '\0'; p++)
            count += *p == '\x1f';
    }
    if (count == 0)
        return;
    l->strings_ = xmalloc(bytes);
    l->codes_ = xmalloc(count * sizeof *l->codes_);
    char *s = l->strings_;
    size_t k = 0;
    for (int i = 0; i < rows; i++) {
        const char *joined = val(res, i, C_INITIATIVES);
        if (joined == NULL)
            continue;
        size_t first = k, len = strlen(joined);
        memcpy(s, joined, len + 1);
        l->codes_[k++] = s;
        for (size_t j = 0; j < len; j++) {
            if (s[j] == '\x1f') {
                s[j] = '\0';
                l->codes_[k++] = s + j + 1;
            }
        }
        s += len + 1;
        qsort(l->codes_ + first, k - first, sizeof *l->codes_, code_order_qsort);
        l->items[i].initiatives = l->codes_ + first;
        l->items[i].ninitiatives = k - first;
    }
}

int kpi_list_read(PGconn *c, const char *as_of, const char *const *codes, size_t ncodes,
                  size_t max, kpi_list *out, store_error *err)
{
    memset(out, 0, sizeof *out);
    store_error_clear(err);
    int y, m, d;
    if (as_of != NULL && !wareki_parse_iso(as_of, &y, &m, &d))
        return store_fail(err, STORE_EUSER, "as-of date '%.40s': expected YYYY-MM-DD", as_of);
    if (max < 1 || max > KPI_MAX_ITEMS)
        return store_fail(err, STORE_EUSER, "KPI limit %zu: expected 1..%d", max, KPI_MAX_ITEMS);
    if (ncodes > KPI_MAX_CODES || (ncodes > 0 && codes == NULL))
        return store_fail(err, STORE_EUSER, "%zu KPI codes: at most %d", ncodes, KPI_MAX_CODES);

    char *joined = NULL;
    if (ncodes > 0) {
        size_t len = 1;
        for (size_t i = 0; i < ncodes; i++)
            len += strlen(codes[i] != NULL ? codes[i] : "") + 1;
        joined = xmalloc(len);
        size_t o = 0;
        for (size_t i = 0; i < ncodes; i++) {
            const char *code = codes[i] != NULL ? codes[i] : "";
            size_t n = strlen(code);
            if (i > 0)
                joined[o++] = '\x1f';
            memcpy(joined + o, code, n);
            o += n;
        }
        joined[o] = '\0';
    }
    /* Without codes, the order is code_order_cmp's, not SQL's: read every KPI (bounded by
     * KPI_MAX_ITEMS), sort, then keep `max`. With codes, SQL keeps their order. */
    char limit[24];
    snprintf(limit, sizeof limit, "%zu", (ncodes > 0 ? max : (size_t)KPI_MAX_ITEMS) + 1);
    const char *params[3] = {as_of, joined, limit};
    PGresult *res = PQexecParams(c, sql_figures, 3, NULL, params, NULL, NULL, 0);
    free(joined);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) != C_COUNT) {
        store_fail_pq(err, c, res, "reading KPIs");
        PQclear(res);
        return -1;
    }
    int rows = PQntuples(res);
    out->res_ = res;
    if (as_of != NULL)
        snprintf(out->as_of, sizeof out->as_of, "%s", as_of);
    if (rows > 0) {
        out->items = xcalloc((size_t)rows, sizeof *out->items);
    }
    for (int i = 0; i < rows; i++) {
        kpi_figure *k = &out->items[i];
        k->code = PQgetvalue(res, i, C_CODE);
        k->title = PQgetvalue(res, i, C_TITLE);
        k->unit = val(res, i, C_UNIT);
        k->direction = val(res, i, C_DIRECTION);
        k->baseline = obs(res, i, C_BASE, C_BASE_DATE);
        k->target = obs(res, i, C_TARGET, C_TARGET_DATE);
        k->at_as_of = obs(res, i, C_AT, C_AT_DATE);
        k->latest = obs(res, i, C_LATEST, C_LATEST_DATE);
        const char *att = k->at_as_of.present ? val(res, i, C_ATTAINMENT) : NULL;
        k->has_attainment = att != NULL;
        k->attainment = att != NULL ? strtod(att, NULL) : 0.0;
    }
    out->n = (size_t)rows;
    split_initiatives(out, res);
    if (ncodes == 0 && rows > 1)
        qsort(out->items, out->n, sizeof *out->items, by_code);
    if (out->n > max) {
        out->n = max;
        out->truncated = true;
    }
    return 0;
}
