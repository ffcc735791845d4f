/* evaluate.c - evaluation runs: facts from the view, previous-survey history, the engine, and the
 * run stored in one transaction (rule set once by sha256, run row, results by COPY). */
#include "evaluate.h"

#include "code_order.h"
#include "json_eng.h"
#include "read.h"
#include "xalloc.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PostgreSQL type OIDs (server/catalog/pg_type_d.h is not in libpq-dev); stable since 7.x. */
enum {
    OID_BOOL = 16,
    OID_NAME = 19,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_TEXT = 25,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_BPCHAR = 1042,
    OID_VARCHAR = 1043,
    OID_NUMERIC = 1700,
};

#define COPY_CHUNK (1 << 20) /* bytes buffered before PQputCopyData */
#define STORE_EVALUATE_WORK_MEM "64MB" /* per sort/hash while reading a survey's facts */

/* ---- COPY data (a strbuf: the facts JSON is written straight into it) ------------------------ */

/* COPY's escape for each byte of text, or 0 if it stands for itself. */
static const char copy_escape[256] = {['\\'] = '\\', ['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r'};

/* Appends text escaped for COPY's text format (backslash, tab, newline, carriage return): runs of
 * plain bytes are copied whole (the facts JSON is ~450 bytes a row, rarely with an escape). */
static void buf_put_copy(strbuf *b, const char *s, size_t n)
{
    if (n == 0)
        return;
    strbuf_reserve(b, 2 * n);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char esc = copy_escape[(unsigned char)s[i]];
        if (esc == 0)
            continue;
        memcpy(b->data + b->len, s + run, i - run);
        b->len += i - run;
        b->data[b->len++] = '\\';
        b->data[b->len++] = esc;
        run = i + 1;
    }
    memcpy(b->data + b->len, s + run, n - run);
    b->len += n - run;
}

/* Appends a text[] literal {"a","b"} (elements quoted, " and \ escaped), COPY-escaped, straight
 * into `b` (no buffer per row): an element's '"' becomes \" and then COPY's \\", its '\' \\
 * and then \\\\. The runs between those are copied whole: byte by byte, the recommendations'
 * sentences were 10% of `hyoka evaluate`'s instructions (callgrind, 100,000 results). */
static void buf_put_array(strbuf *b, const char *const *items, int n)
{
    strbuf_put(b, "{", 1);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            strbuf_put(b, ",", 1);
        strbuf_put(b, "\"", 1);
        const char *p = items[i] != NULL ? items[i] : "", *run = p;
        for (; *p != '\0'; p++) {
            if (*p != '"' && *p != '\\')
                continue;
            buf_put_copy(b, run, (size_t)(p - run));
            strbuf_put(b, "\\\\", 2); /* the array's backslash, COPY-escaped */
            buf_put_copy(b, p, 1);
            run = p + 1;
        }
        buf_put_copy(b, run, (size_t)(p - run));
        strbuf_put(b, "\"", 1);
    }
    strbuf_put(b, "}", 1);
}

/* ---- small SQL helpers ------------------------------------------------------------------- */

static int command(PGconn *c, const char *sql, const char *what, store_error *err)
{
    PGresult *res = store_query(c, sql, 0, NULL, PGRES_COMMAND_OK, what, err);
    if (res == NULL)
        return -1;
    PQclear(res);
    return 0;
}

/* Starts the transaction an evaluation reads in: REPEATABLE READ, so every read sees one snapshot
 * (`set_snapshot`, if not NULL, is "SET TRANSACTION SNAPSHOT '...'" to take another connection's).
 * A whole survey (100,000 rows) is read in one statement: JIT compiling it costs more than it
 * saves, and its sorts and hashes should stay in memory; both settings end with the transaction.
 * Returns 0, or -1 with err set. */
static int begin_reading(PGconn *c, bool read_only, const char *set_snapshot, store_error *err)
{
    const char *what = "starting the transaction";
    if (command(c,
                read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                          : "BEGIN ISOLATION LEVEL REPEATABLE READ",
                what, err) != 0 ||
        (set_snapshot != NULL && command(c, set_snapshot, "sharing the snapshot", err) != 0) ||
        command(c, "SET LOCAL jit = off", what, err) != 0 ||
        command(c, "SET LOCAL work_mem = '" STORE_EVALUATE_WORK_MEM "'", what, err) != 0)
        return -1;
    return 0;
}

/* Leaves a failed or finished transaction; errors here are secondary, ignore them. */
static void rollback(PGconn *c)
{
    if (PQtransactionStatus(c) != PQTRANS_IDLE)
        PQclear(PQexec(c, "ROLLBACK"));
}

/* ---- fact schema ------------------------------------------------------------------------- */

static eng_type type_of_oid(Oid oid)
{
    switch (oid) {
    case OID_NUMERIC:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_FLOAT4:
    case OID_FLOAT8:
        return ENG_NUM;
    case OID_BOOL:
        return ENG_BOOL;
    case OID_TEXT:
    case OID_VARCHAR:
    case OID_BPCHAR:
    case OID_NAME:
        return ENG_STR;
    default:
        return ENG_OPAQUE;
    }
}

static bool is_key_column(const char *name)
{
    return strcmp(name, "survey_id") == 0 || strcmp(name, "initiative_id") == 0;
}

/* Gives the facts of `s` their label, unit, display kind and position from fact_labels (sql/016):
 * what a run's fact_schema keeps so that its page shows the facts as they were labelled when it
 * was evaluated. A row for a name that is not a fact is ignored; a fact without a row keeps none
 * (it is shown by its name). Returns 0, or -1 with err set. */
static int label_facts(PGconn *c, eng_schema *s, store_error *err)
{
    PGresult *res = store_query(c, "SELECT name, label, unit, display, position FROM fact_labels",
                          0, NULL, PGRES_TUPLES_OK, "reading the fact labels (fact_labels)", err);
    if (res == NULL)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        int slot = eng_schema_find(s, PQgetvalue(res, i, 0));
        if (slot < 0)
            continue;
        long position = strtol(PQgetvalue(res, i, 4), NULL, 10);
        if (eng_schema_set_label(s, slot, PQgetvalue(res, i, 1)) < 0 ||
            eng_schema_set_display(s, slot, PQgetisnull(res, i, 2) ? NULL : PQgetvalue(res, i, 2),
                                   PQgetvalue(res, i, 3),
                                   position > 0 && position <= INT_MAX ? (int)position : 0) < 0)
            abort(); /* the slot was just found */
    }
    PQclear(res);
    return 0;
}

eng_schema *store_fact_schema(PGconn *c, store_error *err)
{
    /* The view's columns from the catalog, in SELECT * order: planning and starting the view
     * itself (SELECT * ... LIMIT 0) took ~85 ms for nothing but its row description. As that
     * row description did, a domain counts as its base type (through domains of domains), and a
     * type is named without its modifier: the name goes into every run's fact_schema, which must
     * not change with the way it is read. */
    PGresult *res = store_query(c,
                          "WITH RECURSIVE col(attnum, attname, typ) AS ("
                          " SELECT a.attnum, a.attname, a.atttypid FROM pg_attribute a"
                          " WHERE a.attrelid = 'evaluation_facts'::regclass AND a.attnum > 0"
                          " AND NOT a.attisdropped"
                          " UNION ALL SELECT col.attnum, col.attname, t.typbasetype FROM col"
                          " JOIN pg_type t ON t.oid = col.typ WHERE t.typtype = 'd')"
                          " SELECT col.attname, col.typ, format_type(col.typ, NULL) FROM col"
                          " JOIN pg_type t ON t.oid = col.typ WHERE t.typtype <> 'd'"
                          " ORDER BY col.attnum",
                          0, NULL, PGRES_TUPLES_OK, "reading the columns of evaluation_facts",
                          err);
    if (res == NULL)
        return NULL;
    eng_schema *s = eng_schema_new();
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        const char *name = PQgetvalue(res, i, 0);
        if (is_key_column(name))
            continue;
        eng_type t = type_of_oid((Oid)strtoul(PQgetvalue(res, i, 1), NULL, 10));
        if (eng_schema_add(s, name, t, t == ENG_OPAQUE ? PQgetvalue(res, i, 2) : NULL) < 0) {
            store_fail(err, STORE_ESCHEMA,
                       "evaluation_facts column '%s' cannot be a fact (not an identifier, a "
                       "duplicate, or more than %d columns)",
                       name, ENG_MAX_FACTS);
            PQclear(res);
            eng_schema_free(s);
            return NULL;
        }
    }
    PQclear(res);
    if (eng_schema_add(s, "previous_category", ENG_STR, NULL) < 0 ||
        eng_schema_add(s, "previous_score", ENG_NUM, NULL) < 0) {
        store_fail(err, STORE_ESCHEMA,
                   "evaluation_facts must not have a column previous_category or previous_score: "
                   "hyoka computes them from the previous survey");
        eng_schema_free(s);
        return NULL;
    }
    return label_facts(c, s, err) == 0 ? s : (eng_schema_free(s), NULL);
}

/* ---- surveys ----------------------------------------------------------------------------- */

typedef struct survey {
    char id[16];
    char *code, *as_of, *label; /* label may be NULL */
} survey;

static void survey_cleanup(survey *s)
{
    free(s->code);
    free(s->as_of);
    free(s->label);
    memset(s, 0, sizeof *s);
}

static char *dup_value(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    const char *v = PQgetvalue(res, row, col);
    size_t n = strlen(v);
    char *p = xmalloc(n + 1);
    memcpy(p, v, n + 1);
    return p;
}

static void survey_from_row(survey *s, const PGresult *res, int row)
{
    snprintf(s->id, sizeof s->id, "%s", PQgetvalue(res, row, 0));
    s->code = dup_value(res, row, 1);
    s->as_of = dup_value(res, row, 2);
    s->label = dup_value(res, row, 3);
}

/* The target survey and the chain of earlier ones (oldest first, target last). */
static int resolve_surveys(PGconn *c, const char *code, survey **chain_out, int *n_out,
                           store_error *err)
{
    PGresult *res;
    if (code != NULL) {
        const char *params[1] = {code};
        res = store_query(c, "SELECT id, code, as_of::text, label FROM surveys WHERE code = $1", 1,
                    params, PGRES_TUPLES_OK, "looking up the survey", err);
    } else {
        res = store_query(c,
                    "SELECT id, code, as_of::text, label FROM surveys "
                    "ORDER BY as_of DESC, id DESC LIMIT 1",
                    0, NULL, PGRES_TUPLES_OK, "looking up the latest survey", err);
    }
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (code != NULL)
            return store_fail(err, STORE_ENOTFOUND, "unknown survey '%s'", code);
        return store_fail(err, STORE_ENOTFOUND,
                          "the database has no survey yet: import surveys.csv first");
    }
    survey target = {0};
    survey_from_row(&target, res, 0);
    PQclear(res);

    /* Earlier surveys, newest first: each one's previous is the latest strictly earlier as_of
     * (ties between surveys of one date: the higher id). */
    const char *params[1] = {target.as_of};
    res = store_query(c,
                "SELECT id, code, as_of::text, label FROM surveys WHERE as_of < $1::date "
                "ORDER BY as_of DESC, id DESC",
                1, params, PGRES_TUPLES_OK, "listing earlier surveys", err);
    if (res == NULL) {
        survey_cleanup(&target);
        return -1;
    }
    int rows = PQntuples(res);
    survey *chain = xcalloc((size_t)STORE_MAX_SURVEY_CHAIN + 1, sizeof *chain);
    int n = 0;
    const char *last_as_of = target.as_of;
    for (int i = 0; i < rows && n < STORE_MAX_SURVEY_CHAIN; i++) {
        const char *as_of = PQgetvalue(res, i, 2);
        if (strcmp(as_of, last_as_of) >= 0) /* same date as the one after it: not its previous */
            continue;
        survey_from_row(&chain[n], res, i);
        last_as_of = chain[n].as_of;
        n++;
    }
    PQclear(res);
    /* reverse to oldest first, then the target */
    for (int i = 0; i < n / 2; i++) {
        survey t = chain[i];
        chain[i] = chain[n - 1 - i];
        chain[n - 1 - i] = t;
    }
    chain[n++] = target;
    *chain_out = chain;
    *n_out = n;
    return 0;
}

/* ---- facts of one survey ----------------------------------------------------------------- */

/* Codes and titles for the ITEMs, merged with the facts rows by id in C: joining them onto the
 * facts query cost ~160 ms for 100,000 initiatives (the view already joins both tables), this
 * query ~70 ms, and it runs while the client evaluates (fetch_items). */
#define LABELS_SQL                                                                                 \
    "SELECT i.id, i.code, i.title, m.code, m.title FROM initiatives i "                            \
    "JOIN measures m ON m.id = i.measure_id ORDER BY i.id"
enum { LABEL_CODE = 1, LABEL_TITLE, LABEL_MEASURE_CODE, LABEL_MEASURE_TITLE };
/* Departments of every initiative, merged likewise: a per-row subquery in the facts query cost
 * seconds for 100,000 initiatives, this costs ~0.1 s. */
#define DEPARTMENTS_SQL                                                                            \
    "SELECT idp.initiative_id, d.name FROM initiative_departments idp "                            \
    "JOIN departments d ON d.id = idp.department_id ORDER BY idp.initiative_id, idp.position"
#define ITEMS_SQL LABELS_SQL "; " DEPARTMENTS_SQL
static const char facts_sql_plain[] =
    "SELECT f.* FROM evaluation_facts f WHERE f.survey_id = $1 ORDER BY f.initiative_id LIMIT $2";

typedef struct fact_rows {
    PGresult *res;  /* rows [0, split); the column layout of both parts */
    PGresult *res2; /* rows [split, nrows) when read in two halves (read_facts_split), or NULL */
    int split;
    int nrows;
    int nslots;
    int *col;   /* per schema slot: column in res, or -1 (previous_* or not in the view) */
    int id_col; /* initiative_id */
    int prev_category_slot, prev_score_slot;
    eng_value *parsed; /* nrows * nslots facts parsed once (store_facts), or NULL: parse per use */
    long *ids;         /* nrows initiative ids, parsed once with them */
    /* with_items only, once fetch_items has run: */
    bool items_pending;         /* their queries are sent, not read yet */
    PGresult *labels;           /* LABELS_SQL */
    int *label_row;             /* per row: its row in labels */
    PGresult *deps;             /* DEPARTMENTS_SQL */
    int *dep_first, *dep_count; /* per row: its departments' rows in deps */
} fact_rows;

static void fact_rows_cleanup(fact_rows *f)
{
    PQclear(f->res);
    PQclear(f->res2);
    PQclear(f->deps);
    PQclear(f->labels);
    free(f->label_row);
    free(f->parsed);
    free(f->ids);
    free(f->col);
    free(f->dep_first);
    free(f->dep_count);
    memset(f, 0, sizeof *f);
}

/* The PGresult holding fact row `row`, and the row's index in it. */
static PGresult *row_res(const fact_rows *f, int *row)
{
    if (*row < f->split)
        return f->res;
    *row -= f->split;
    return f->res2;
}

static const char *fact_text(const fact_rows *f, int row, int col)
{
    PGresult *r = row_res(f, &row);
    return PQgetvalue(r, row, col);
}

static bool fact_null(const fact_rows *f, int row, int col)
{
    PGresult *r = row_res(f, &row);
    return PQgetisnull(r, row, col);
}

static int fact_length(const fact_rows *f, int row, int col)
{
    PGresult *r = row_res(f, &row);
    return PQgetlength(r, row, col);
}

static int find_column(const PGresult *res, const char *name)
{
    int n = PQnfields(res);
    for (int i = 0; i < n; i++)
        if (strcmp(PQfname(res, i), name) == 0)
            return i;
    return -1;
}

/* ---- reading a large survey on two connections ---------------------------------------------
 *
 * Computing evaluation_facts for 100,000 initiatives takes the server ~0.8 s on one core, while
 * the client only waits. A survey of STORE_SPLIT_ROWS initiatives or more is therefore read in
 * two halves by initiative id at once: this connection reads the lower half, a second one (same
 * server, database and role) the upper half, inside the very same snapshot (pg_export_snapshot,
 * as pg_dump -j does), so the rows are exactly those one query would give. The view's window
 * over milestones is partitioned by initiative, so each half computes only its own.
 * The halves are not equal: the upper one costs more per row, because the view's merge joins
 * still pass over the departments and milestones of every initiative below it (its window over
 * milestones and its grouped departments are scanned from the first id; PostgreSQL pushes no range
 * into them). Measured per statement (database CPU, bench/data set, 100,000 initiatives): the
 * lower 50,000 ids 0.37-0.42 s, the upper 50,000 0.61-0.63 s, i.e. ~8 us a row read plus ~4.4 us
 * a row passed over: equal at a lower share of 8 / (2 * 8 - 4.4) ~ 0.69 (STORE_SPLIT_LOWER_SHARE).
 * The size test and the split point are over all initiatives (count, and that share of their id
 * range), which a survey normally covers; they need not be exact, only cheap. Anything that keeps
 * the second connection from working (no free connection slot, say) only means the survey is
 * read in one piece; the snapshot export runs on this connection, and its failure is an error
 * like any other there. */

/* A second connection to the server and database of `c` as the same role, in `c`'s time zone;
 * NULL if none can be had. */
static PGconn *sibling_connection(PGconn *c)
{
    PQconninfoOption *opts = PQconninfo(c);
    if (opts == NULL)
        return NULL;
    const char *keys[80], *values[80];
    int n = 0;
    for (PQconninfoOption *o = opts; o->keyword != NULL && n < 79; o++)
        if (o->val != NULL && o->val[0] != '\0') {
            keys[n] = o->keyword;
            values[n++] = o->val;
        }
    keys[n] = values[n] = NULL;
    PGconn *sib = PQconnectdbParams(keys, values, 0);
    PQconninfoFree(opts);
    if (sib == NULL || PQstatus(sib) != CONNECTION_OK) {
        PQfinish(sib);
        return NULL;
    }
    const char *zone = PQparameterStatus(c, "TimeZone");
    store_error ignored = {0};
    if (zone != NULL && store_set_time_zone(sib, zone, &ignored) < 0) {
        PQfinish(sib);
        return NULL;
    }
    return sib;
}

#define STORE_SPLIT_LOWER_SHARE 0.68 /* of the id range, read by this connection */

static const char facts_sql_range[] =
    "SELECT f.* FROM evaluation_facts f WHERE f.survey_id = $1 "
    "AND f.initiative_id BETWEEN $2 AND $3 ORDER BY f.initiative_id LIMIT $4";

/* Waits until neither connection is busy, reading whatever arrives on either as it comes: a
 * server whose rows nobody reads stops once its socket's buffer is full. Reading this
 * connection's result to its end before the other's (PQexec) so kept the upper half's server
 * waiting through most of the lower half's, and the two halves largely in turn. Errors are left
 * for PQgetResult to report. */
static void await_both(PGconn *a, PGconn *b)
{
    for (;;) {
        struct pollfd p[2];
        PGconn *conn[2];
        nfds_t n = 0;
        if (PQisBusy(a)) {
            p[n] = (struct pollfd){.fd = PQsocket(a), .events = POLLIN};
            conn[n++] = a;
        }
        if (PQisBusy(b)) {
            p[n] = (struct pollfd){.fd = PQsocket(b), .events = POLLIN};
            conn[n++] = b;
        }
        if (n == 0)
            return;
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        for (nfds_t i = 0; i < n; i++)
            if (p[i].revents != 0 && !PQconsumeInput(conn[i]))
                return;
    }
}

/* The rows of the facts query sent on `c` (PQsendQueryParams), or NULL with err set. */
static PGresult *take_facts(PGconn *c, store_error *err)
{
    const char *what = "reading evaluation_facts";
    PGresult *got = NULL, *r;
    bool failed = false;
    while ((r = PQgetResult(c)) != NULL) {
        if (!failed && got == NULL && PQresultStatus(r) == PGRES_TUPLES_OK) {
            got = r;
            continue;
        }
        if (!failed && PQresultStatus(r) != PGRES_TUPLES_OK) {
            store_fail_pq(err, c, r, what);
            failed = true;
        }
        PQclear(r);
    }
    if (failed) {
        PQclear(got);
        return NULL;
    }
    if (got == NULL)
        store_fail(err, STORE_EDB, "reading evaluation_facts: no result");
    return got;
}

/* Reads survey `s` in two halves into f->res and f->res2 if it is large enough and a second
 * connection can be had. Returns 1 if read, 0 if the caller is to read it in one piece, -1 on an
 * error (err set). */
static int read_facts_split(PGconn *c, const survey *s, fact_rows *f, store_error *err)
{
    PGresult *r = store_query(c, "SELECT count(*), min(id), max(id) FROM initiatives", 0, NULL,
                        PGRES_TUPLES_OK, "counting initiatives", err);
    if (r == NULL)
        return -1;
    long count = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    long lo = strtol(PQgetvalue(r, 0, 1), NULL, 10), hi = strtol(PQgetvalue(r, 0, 2), NULL, 10);
    PQclear(r);
    if (count < STORE_SPLIT_ROWS)
        return 0;
    r = store_query(c, "SELECT pg_export_snapshot()", 0, NULL, PGRES_TUPLES_OK, "sharing the snapshot",
              err);
    if (r == NULL)
        return -1;
    char *snapshot = PQescapeLiteral(c, PQgetvalue(r, 0, 0), strlen(PQgetvalue(r, 0, 0)));
    PQclear(r);
    PGconn *sib = snapshot != NULL ? sibling_connection(c) : NULL;
    char set_snapshot[256] = "";
    if (snapshot != NULL)
        snprintf(set_snapshot, sizeof set_snapshot, "SET TRANSACTION SNAPSHOT %s", snapshot);
    PQfreemem(snapshot);
    store_error ignored = {0};
    if (sib == NULL || begin_reading(sib, true, set_snapshot, &ignored) != 0) {
        PQfinish(sib);
        return 0;
    }
    char limit[24], a_lo[24], a_hi[24], b_lo[24], b_hi[24];
    long mid = lo + (long)((double)(hi - lo) * STORE_SPLIT_LOWER_SHARE);
    snprintf(limit, sizeof limit, "%d", STORE_MAX_INITIATIVES + 1);
    snprintf(a_lo, sizeof a_lo, "%ld", lo);
    snprintf(a_hi, sizeof a_hi, "%ld", mid);
    snprintf(b_lo, sizeof b_lo, "%ld", mid + 1);
    snprintf(b_hi, sizeof b_hi, "%ld", hi);
    const char *upper[4] = {s->id, b_lo, b_hi, limit};
    const char *lower[4] = {s->id, a_lo, a_hi, limit};
    if (!PQsendQueryParams(sib, facts_sql_range, 4, NULL, upper, NULL, NULL, 0)) {
        PQfinish(sib);
        return 0;
    }
    if (PQsendQueryParams(c, facts_sql_range, 4, NULL, lower, NULL, NULL, 0)) {
        await_both(c, sib);
        f->res = take_facts(c, err);
    } else {
        store_fail_pq(err, c, NULL, "reading evaluation_facts");
    }
    if (f->res == NULL) { /* failed here: no need to wait for the other half */
        PGcancel *cancel = PQgetCancel(sib);
        char why[256];
        if (cancel != NULL)
            PQcancel(cancel, why, sizeof why);
        PQfreeCancel(cancel);
    }
    PGresult *got = NULL;
    bool sib_ok = true;
    while ((r = PQgetResult(sib)) != NULL) {
        if (got == NULL && PQresultStatus(r) == PGRES_TUPLES_OK) {
            got = r;
            continue;
        }
        if (PQresultStatus(r) != PGRES_TUPLES_OK && sib_ok) {
            /* the same query on the same snapshot: its errors are this connection's too, but
             * say what the second one met if this one did not */
            if (f->res != NULL)
                store_fail_pq(err, sib, r, "reading evaluation_facts");
            sib_ok = false;
        }
        PQclear(r);
    }
    rollback(sib);
    PQfinish(sib);
    if (f->res == NULL || !sib_ok || got == NULL) {
        PQclear(got);
        PQclear(f->res);
        f->res = NULL;
        if (sib_ok && got == NULL && err->message[0] == '\0')
            store_fail(err, STORE_EDB, "reading evaluation_facts: no result");
        return -1;
    }
    f->res2 = got;
    f->split = PQntuples(f->res);
    f->nrows = f->split + PQntuples(f->res2);
    return 1;
}

static int fetch_facts(PGconn *c, const eng_schema *schema, const survey *s, bool with_items,
                       fact_rows *f, store_error *err)
{
    memset(f, 0, sizeof *f);
    int split = read_facts_split(c, s, f, err);
    if (split < 0)
        return -1;
    if (split == 0) {
        /* one row more than allowed, so that too many is an error and not a silent cut */
        char limit[24];
        snprintf(limit, sizeof limit, "%d", STORE_MAX_INITIATIVES + 1);
        const char *params[2] = {s->id, limit};
        f->res = store_query(c, facts_sql_plain, 2, params, PGRES_TUPLES_OK,
                       "reading evaluation_facts", err);
        if (f->res == NULL)
            return -1;
        f->split = f->nrows = PQntuples(f->res);
    }
    if (f->nrows > STORE_MAX_INITIATIVES) {
        fact_rows_cleanup(f);
        return store_fail(err, STORE_EUSER, "survey '%s' covers more than %d initiatives", s->code,
                          STORE_MAX_INITIATIVES);
    }
    f->nslots = eng_schema_count(schema);
    f->col = xcalloc((size_t)f->nslots, sizeof *f->col);
    f->id_col = find_column(f->res, "initiative_id");
    f->prev_category_slot = eng_schema_find(schema, "previous_category");
    f->prev_score_slot = eng_schema_find(schema, "previous_score");
    if (f->id_col < 0) {
        fact_rows_cleanup(f);
        return store_fail(err, STORE_ESCHEMA, "evaluation_facts has no column initiative_id");
    }
    for (int slot = 0; slot < f->nslots; slot++) {
        const char *name = eng_schema_name(schema, slot);
        eng_type t = eng_schema_type(schema, slot);
        f->col[slot] = -1;
        if (slot == f->prev_category_slot || slot == f->prev_score_slot)
            continue;
        int col = find_column(f->res, name);
        if (col < 0 || is_key_column(name)) {
            fact_rows_cleanup(f);
            return store_fail(err, STORE_ESCHEMA,
                              "the rules use fact '%s', which evaluation_facts no longer has: "
                              "check the rules again against the database (hyoka check --db)",
                              name);
        }
        eng_type have = type_of_oid(PQftype(f->res, col));
        if (t != ENG_OPAQUE && have != t) {
            fact_rows_cleanup(f);
            return store_fail(err, STORE_ESCHEMA,
                              "fact '%s' changed type in evaluation_facts since the rules were "
                              "compiled: check the rules again (hyoka check --db)",
                              name);
        }
        f->col[slot] = col;
    }
    if (with_items) {
        /* Sent now, read by fetch_items after the rows are evaluated: the server runs both
         * queries while the client evaluates (simple protocol: two results, one round trip). */
        if (!PQsendQuery(c, ITEMS_SQL)) {
            fact_rows_cleanup(f);
            return store_fail_pq(err, c, NULL, "reading titles and departments");
        }
        f->items_pending = true;
    }
    return 0;
}

/* Reads the results of the two queries fetch_facts sent: every row's codes, titles and
 * departments. Returns 0 or -1 (the connection is then idle again either way). */
static int fetch_items(PGconn *c, fact_rows *f, store_error *err)
{
    if (!f->items_pending)
        return 0;
    f->items_pending = false;
    PGresult *res[2] = {NULL, NULL}, *r;
    int n = 0, rc = 0;
    while ((r = PQgetResult(c)) != NULL) {
        if (rc == 0 && PQresultStatus(r) != PGRES_TUPLES_OK) {
            rc = store_fail_pq(err, c, r, "reading titles and departments");
        } else if (rc == 0 && n < 2) {
            res[n++] = r;
            continue;
        }
        PQclear(r);
    }
    if (rc == 0 && n != 2)
        rc = store_fail(err, STORE_EDB, "reading titles and departments: %d results, not 2", n);
    if (rc != 0) {
        PQclear(res[0]);
        PQclear(res[1]);
        return -1;
    }
    f->labels = res[0];
    f->deps = res[1];
    /* All three are in initiative_id order: one merge pass finds each row's title row and
     * departments. Every row has a title row (one snapshot; initiatives are never deleted by
     * hyoka, and a deleted one would have no facts row either). */
    f->label_row = xcalloc((size_t)f->nrows + 1, sizeof *f->label_row);
    f->dep_first = xcalloc((size_t)f->nrows + 1, sizeof *f->dep_first);
    f->dep_count = xcalloc((size_t)f->nrows + 1, sizeof *f->dep_count);
    int l = 0, nl = PQntuples(f->labels);
    int d = 0, nd = PQntuples(f->deps);
    long dep_id = nd > 0 ? strtol(PQgetvalue(f->deps, 0, 0), NULL, 10) : 0;
    for (int row = 0; row < f->nrows; row++) {
        long id = strtol(fact_text(f, row, f->id_col), NULL, 10);
        while (l < nl - 1 && strtol(PQgetvalue(f->labels, l, 0), NULL, 10) < id)
            l++;
        if (nl == 0 || strtol(PQgetvalue(f->labels, l, 0), NULL, 10) != id)
            return store_fail(err, STORE_EDB,
                              "evaluation_facts has initiative_id %ld, which initiatives has not",
                              id);
        f->label_row[row] = l;
        while (d < nd && dep_id < id && ++d < nd)
            dep_id = strtol(PQgetvalue(f->deps, d, 0), NULL, 10);
        f->dep_first[row] = d;
        while (d < nd && dep_id == id) {
            f->dep_count[row]++;
            if (++d < nd)
                dep_id = strtol(PQgetvalue(f->deps, d, 0), NULL, 10);
        }
    }
    return 0;
}

static long initiative_id(const fact_rows *f, int row)
{
    if (f->ids != NULL)
        return f->ids[row];
    return strtol(fact_text(f, row, f->id_col), NULL, 10);
}

/* Fills `facts` for one row (previous_* left null). String values point into the PGresult. */
static int row_facts(const fact_rows *f, const eng_schema *schema, int row, eng_value *facts,
                     store_error *err)
{
    if (f->parsed != NULL) {
        memcpy(facts, f->parsed + (size_t)row * (size_t)f->nslots,
               (size_t)f->nslots * sizeof *facts);
        return 0;
    }
    for (int slot = 0; slot < f->nslots; slot++) {
        int col = f->col[slot];
        facts[slot] = eng_null();
        if (col < 0 || fact_null(f, row, col))
            continue;
        const char *text = fact_text(f, row, col);
        switch (eng_schema_type(schema, slot)) {
        case ENG_NUM: {
            char *end;
            errno = 0;
            double d = strtod(text, &end);
            if (end == text || *end != '\0' || errno == ERANGE || !isfinite(d))
                return store_fail(err, STORE_EDB,
                                  "evaluation_facts: initiative %s, column %s: '%s' is not a "
                                  "finite number",
                                  fact_text(f, row, f->id_col), eng_schema_name(schema, slot),
                                  text);
            facts[slot] = eng_num(d);
            break;
        }
        case ENG_BOOL:
            facts[slot] = eng_bool(text[0] == 't');
            break;
        case ENG_STR:
            facts[slot].type = ENG_STR;
            facts[slot].as.str.ptr = text;
            facts[slot].as.str.len = (size_t)fact_length(f, row, col);
            break;
        case ENG_NULL:
        case ENG_OPAQUE:
            break; /* not usable in rules: evaluated as null, stored as text below */
        }
    }
    return 0;
}

/* ---- one survey's evaluation ------------------------------------------------------------- */

/* Results of an earlier survey, by initiative id (ascending), for the next one's previous_*. */
typedef struct history {
    int n;
    long *ids;
    eng_result *results;
} history;

static void history_cleanup(history *h)
{
    free(h->ids);
    free(h->results);
    memset(h, 0, sizeof *h);
}

static const eng_result *history_find(const history *h, long id)
{
    int lo = 0, hi = h->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (h->ids[mid] == id)
            return &h->results[mid];
        if (h->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

static void set_previous(const eng_rules *rules, const fact_rows *f, const history *prev, long id,
                         eng_value *facts)
{
    const eng_result *p = prev != NULL ? history_find(prev, id) : NULL;
    if (f->prev_category_slot >= 0 && p != NULL)
        facts[f->prev_category_slot] =
            eng_str(eng_rules_get(rules, ENG_KIND_CATEGORY, p->category)->id);
    if (f->prev_score_slot >= 0 && p != NULL && p->has_score)
        facts[f->prev_score_slot] = eng_num(p->score);
}

/* Evaluates every row of `f` into `out` (ids + results, in row order = id order). */
static int evaluate_rows(const eng_rules *rules, const fact_rows *f, const history *prev,
                         history *out, eng_value *facts, eng_ctx *ctx, store_error *err)
{
    const eng_schema *schema = eng_rules_schema(rules);
    out->n = f->nrows;
    out->ids = xcalloc((size_t)f->nrows, sizeof *out->ids);
    out->results = xcalloc((size_t)f->nrows, sizeof *out->results);
    for (int row = 0; row < f->nrows; row++) {
        long id = initiative_id(f, row);
        out->ids[row] = id;
        if (f->parsed != NULL && prev == NULL) {
            /* parsed once and nothing to add: evaluated in place (a sweep's 100 passes over
             * 100,000 initiatives spent a sixth of their time copying the facts) */
            eng_evaluate(ctx, f->parsed + (size_t)row * (size_t)f->nslots, &out->results[row]);
            continue;
        }
        if (row_facts(f, schema, row, facts, err) != 0)
            return -1;
        set_previous(rules, f, prev, id, facts);
        eng_evaluate(ctx, facts, &out->results[row]);
    }
    return 0;
}

/* ---- identical evaluations (SPEC v1.1) ------------------------------------------------------ */

/* The digest's input is gathered in a buffer and handed to OpenSSL in 64 KiB pieces. With two
 * EVP_DigestUpdate calls per field, `hyoka evaluate` of bench/data's 100,000 initiatives used
 * 2.20 s of its own CPU; buffered, 1.41 s (1.86 s before there was a digest; one run each, at a
 * load average of 7-9, so only the direction is sure). */
typedef struct facts_hash {
    EVP_MD_CTX *md;
    size_t n;
    unsigned char buf[64 * 1024];
} facts_hash;

static void digest_put(facts_hash *d, const void *p, size_t n)
{
    if (d->n + n > sizeof d->buf) {
        EVP_DigestUpdate(d->md, d->buf, d->n);
        d->n = 0;
        if (n > sizeof d->buf) {
            EVP_DigestUpdate(d->md, p, n);
            return;
        }
    }
    memcpy(d->buf + d->n, p, n);
    d->n += n;
}

/* A 64-bit number, least significant byte first (the same digest on every host). */
static void digest_u64(facts_hash *d, uint64_t v)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    digest_put(d, le, sizeof le);
}

/* One length-prefixed field, so that no two sequences of fields hash alike ("ab","c" vs
 * "a","bc"); NULL is a length no text has. */
static void digest_field(facts_hash *d, const char *s, size_t n, bool null)
{
    digest_u64(d, null ? UINT64_MAX : (uint64_t)n);
    if (!null)
        digest_put(d, s, n);
}

/* SHA-256 (hex) of everything the evaluation of `f` reads: the fact schema, every row of the facts
 * view as PostgreSQL gave it (each column's text, NULL marked), in initiative order, and each
 * initiative's previous category and score (sql/014). Equal digests with one rule set mean equal
 * results. */
static int facts_digest(const fact_rows *f, const history *previous, const char *schema_text,
                        char hex[65], store_error *err)
{
    facts_hash *d = xcalloc(1, sizeof *d);
    d->md = EVP_MD_CTX_new();
    if (d->md == NULL || EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(d->md);
        free(d);
        return store_fail(err, STORE_EDB, "cannot compute the facts' digest (OpenSSL)");
    }
    digest_field(d, schema_text, strlen(schema_text), false);
    int ncols = f->nrows > 0 ? PQnfields(f->res) : 0;
    for (int row = 0; row < f->nrows; row++) {
        for (int col = 0; col < ncols; col++)
            digest_field(d, fact_text(f, row, col), (size_t)fact_length(f, row, col),
                         fact_null(f, row, col));
        const eng_result *p = previous != NULL ? history_find(previous, initiative_id(f, row)) : NULL;
        if (p == NULL) {
            digest_u64(d, UINT64_MAX);
            continue;
        }
        uint64_t score = 0;
        if (p->has_score)
            memcpy(&score, &p->score, sizeof score);
        digest_u64(d, (uint64_t)p->category);
        digest_u64(d, p->has_score ? score : UINT64_MAX - 1);
    }
    unsigned char sum[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestUpdate(d->md, d->buf, d->n);
    int ok = EVP_DigestFinal_ex(d->md, sum, &len);
    EVP_MD_CTX_free(d->md);
    free(d);
    if (ok != 1 || len != 32)
        return store_fail(err, STORE_EDB, "cannot compute the facts' digest (OpenSSL)");
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", sum[i]);
    return 0;
}

/* The survey's newest stored run if its rule set, fact schema and facts digest are these: 1 with
 * *same (id, evaluated_at as insert_run gives it, stored summary) set, 0 if there is none, -1
 * on error. Called under STORE_LOCK_EVALUATE, so no run can be stored meanwhile; the run may be
 * committed but not yet published (its writer died in between): the caller publishes it. */
typedef struct same_run {
    char id[32];
    bool published;
    char *evaluated_at;
    json_t *summary;
} same_run;

static int find_same_run(PGconn *c, const eng_rules *rules, const survey *s,
                         const char *schema_text, const char *digest, same_run *same,
                         store_error *err)
{
    const char *p[4] = {s->id, eng_rules_sha256(rules), schema_text, digest};
    PGresult *res = store_query(
        c,
        "SELECT r.id, to_char(r.evaluated_at AT TIME ZONE 'Asia/Tokyo',"
        "                     'YYYY-MM-DD\"T\"HH24:MI:SS\"+09:00\"'), r.summary::text,"
        "       r.id <= " STORE_READ_PUBLISHED
        "  FROM (SELECT * FROM evaluation_runs WHERE survey_id = $1 ORDER BY id DESC LIMIT 1) r"
        "  JOIN rule_sets rs ON rs.id = r.rule_set_id"
        " WHERE rs.sha256 = $2 AND r.fact_schema = $3::jsonb AND r.facts_sha256 = $4",
        4, p, PGRES_TUPLES_OK, "comparing with the survey's newest run", err);
    if (res == NULL)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        snprintf(same->id, sizeof same->id, "%s", PQgetvalue(res, 0, 0));
        same->evaluated_at = dup_value(res, 0, 1);
        same->published = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        same->summary = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
        if (!json_is_object(same->summary)) {
            PQclear(res);
            return store_fail(err, STORE_EDB, "run %s has no readable summary", same->id);
        }
    }
    PQclear(res);
    return found;
}

/* The newest stored run of survey `s` made with these very rules (same sha256) against the same
 * fact schema, loaded as history; 1 if found, 0 if none, -1 on error. */
static int stored_history(PGconn *c, const eng_rules *rules, const char *schema_text,
                          const survey *s, history *out, store_error *err)
{
    const char *p1[3] = {s->id, eng_rules_sha256(rules), schema_text};
    PGresult *res =
        store_query(c,
              "SELECT r.id FROM evaluation_runs r JOIN rule_sets rs ON rs.id = r.rule_set_id "
              " WHERE r.survey_id = $1 AND rs.sha256 = $2 AND r.fact_schema = $3::jsonb "
              "   AND r.id <= " STORE_READ_PUBLISHED " ORDER BY r.id DESC LIMIT 1",
              3, p1, PGRES_TUPLES_OK, "looking for a stored run", err);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    char run_id[32];
    snprintf(run_id, sizeof run_id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    const char *p2[1] = {run_id};
    res = store_query(c,
                "SELECT initiative_id, category, score FROM evaluation_results WHERE run_id = $1 "
                "ORDER BY initiative_id",
                1, p2, PGRES_TUPLES_OK, "reading a stored run", err);
    if (res == NULL)
        return -1;
    int n = PQntuples(res);
    out->n = n;
    out->ids = xcalloc((size_t)n, sizeof *out->ids);
    out->results = xcalloc((size_t)n, sizeof *out->results);
    for (int i = 0; i < n; i++) {
        out->ids[i] = strtol(PQgetvalue(res, i, 0), NULL, 10);
        int cat = eng_rules_find(rules, ENG_KIND_CATEGORY, PQgetvalue(res, i, 1));
        if (cat < 0) { /* cannot happen with the same sha256; refuse rather than guess */
            PQclear(res);
            history_cleanup(out);
            return store_fail(err, STORE_EDB,
                              "stored run %s has category '%s' unknown to its rules", run_id,
                              PQgetvalue(res, i, 1));
        }
        out->results[i].category = cat;
        out->results[i].has_score = !PQgetisnull(res, i, 2);
        out->results[i].score = out->results[i].has_score ? strtod(PQgetvalue(res, i, 2), NULL) : 0;
    }
    PQclear(res);
    return 1;
}

/* ---- ordering by code -------------------------------------------------------------------- */

typedef struct coded_row {
    const char *code;
    int row;
} coded_row;

static int compare_rows(const void *x, const void *y)
{
    const coded_row *a = x, *b = y;
    int c = code_order_cmp(a->code, b->code);
    return c != 0 ? c : (a->row < b->row ? -1 : a->row > b->row);
}

/* ---- storing ----------------------------------------------------------------------------- */

static int copy_flush(PGconn *c, strbuf *b, store_error *err)
{
    if (b->len == 0)
        return 0;
    if (PQputCopyData(c, b->data, (int)b->len) != 1)
        return store_fail_pq(err, c, NULL, "storing results (COPY)");
    b->len = 0;
    return 0;
}

/* Appends the decimal digits of v >= 0: snprintf was 7% of `hyoka evaluate`'s CPU (perf
 * record, 100,000 results), copy_row's "%ld" and "%.1f" for every row a part of it. */
static void buf_put_digits(strbuf *b, unsigned long long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    strbuf_put(b, tmp + sizeof tmp - n, (size_t)n);
}

/* Appends one evaluation_results row in COPY text format. */
static void copy_row(strbuf *b, const char *run_id, long id, const eng_rules *rules,
                     const eng_result *res, const char *facts_json, size_t facts_len)
{
    strbuf_puts(b, run_id);
    strbuf_put(b, "\t", 1);
    if (id < 0) /* ids are positive; kept right all the same */
        strbuf_put(b, "-", 1);
    buf_put_digits(b, id < 0 ? 0ULL - (unsigned long long)id : (unsigned long long)id);
    strbuf_put(b, "\t", 1);
    buf_put_copy(b, eng_rules_get(rules, ENG_KIND_CATEGORY, res->category)->id,
                  strlen(eng_rules_get(rules, ENG_KIND_CATEGORY, res->category)->id));
    if (res->has_score && isfinite(res->score) && fabs(res->score) < 1e15) {
        /* already rounded to one decimal by the engine (0..100): its tenths are an integer,
         * written as "%.1f" would write it */
        long long tenths = llround(res->score * 10);
        strbuf_put(b, "\t", 1);
        if (tenths < 0)
            strbuf_put(b, "-", 1);
        unsigned long long t = tenths < 0 ? 0ULL - (unsigned long long)tenths : (unsigned long long)tenths;
        buf_put_digits(b, t / 10);
        strbuf_put(b, ".", 1);
        buf_put_digits(b, t % 10);
        strbuf_put(b, "\t", 1);
    } else if (res->has_score) {
        char num[400];
        snprintf(num, sizeof num, "\t%.1f\t", res->score);
        strbuf_puts(b, num);
    } else {
        strbuf_puts(b, "\t\\N\t");
    }
    if (res->primary_reason >= 0) {
        const char *id_text = eng_rules_get(rules, ENG_KIND_REASON, res->primary_reason)->id;
        buf_put_copy(b, id_text, strlen(id_text));
    } else {
        strbuf_puts(b, "\\N");
    }
    strbuf_puts(b, "\t");

    const char *items[ENG_MAX_REASONS + 1];
    int n = 0, count = eng_rules_count(rules, ENG_KIND_REASON);
    for (int i = 0; i < count; i++)
        if (res->reasons & (UINT64_C(1) << i))
            items[n++] = eng_rules_get(rules, ENG_KIND_REASON, i)->id;
    buf_put_array(b, items, n);
    strbuf_puts(b, "\t");
    n = 0;
    count = eng_rules_count(rules, ENG_KIND_FLAG);
    for (int i = 0; i < count; i++)
        if (res->flags & (UINT64_C(1) << i))
            items[n++] = eng_rules_get(rules, ENG_KIND_FLAG, i)->id;
    buf_put_array(b, items, n);
    strbuf_puts(b, "\t");
    n = eng_recommendations(rules, res, items, ENG_MAX_REASONS + 1);
    if (n > ENG_MAX_REASONS + 1)
        n = ENG_MAX_REASONS + 1;
    buf_put_array(b, items, n);
    strbuf_puts(b, "\t");
    buf_put_copy(b, facts_json, facts_len);
    strbuf_puts(b, "\n");
}

/* The rule file's base name, as explanations cite it ("default.cfg:43"): the server's folders are
 * nobody's business and the same rules may be loaded from different places. */
static const char *rules_file_name(const eng_rules *rules, const char *rules_file)
{
    const char *name = rules_file;
    if (name == NULL) {
        const eng_rule_info *first = eng_rules_get(rules, ENG_KIND_CATEGORY, 0);
        name = first != NULL && first->file != NULL ? first->file : "<string>";
    }
    const char *slash = strrchr(name, '/');
    return slash != NULL && slash[1] != '\0' ? slash + 1 : name;
}

/* Inserts the rule set (if new) and the run; writes the run's id and evaluated_at. Returns 0,
 * -1 on failure, -2 on a serialization failure worth one retry. */
static int insert_run(PGconn *c, const eng_rules *rules, const char *rules_file, const survey *s,
                      long total, const json_t *summary, const char *started_by,
                      const char *digest, char *run_id, size_t run_id_len, char **evaluated_at,
                      store_error *err)
{
    json_t *catalog = jeng_catalog(rules);
    char *catalog_text = jeng_dumps(catalog, JENG_DUMP_FLAGS);
    json_decref(catalog);
    const char *p1[5] = {eng_rules_sha256(rules), eng_rules_version(rules), eng_rules_source(rules),
                         rules_file_name(rules, rules_file), catalog_text};
    /* Two first evaluations with one new rule set at once: under REPEATABLE READ the second
     * INSERT meets a row its snapshot cannot see and fails with a serialization error (40001);
     * the caller retries the whole evaluation once (-2). */
    PGresult *res =
        PQexecParams(c,
                     "INSERT INTO rule_sets (sha256, version, source, file_name, catalog) "
                     "VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (sha256) DO NOTHING",
                     5, NULL, p1, NULL, NULL, 0);
    free(catalog_text);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        int rc = state != NULL && strcmp(state, "40001") == 0 ? -2 : -1;
        store_fail_pq(err, c, res, "storing the rule set");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    res = store_query(c, "SELECT id FROM rule_sets WHERE sha256 = $1", 1, p1, PGRES_TUPLES_OK,
                "finding the rule set", err);
    if (res == NULL)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return store_fail(err, STORE_EDB, "the rule set %s was not stored", p1[0]);
    }
    char rule_set_id[32];
    snprintf(rule_set_id, sizeof rule_set_id, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    json_t *schema = jeng_schema(eng_rules_schema(rules));
    char *schema_text = jeng_dumps(schema, JENG_DUMP_FLAGS);
    json_decref(schema);
    char *summary_text = jeng_dumps(summary, JENG_DUMP_FLAGS);
    char total_text[32];
    snprintf(total_text, sizeof total_text, "%ld", total);
    const char *p2[7] = {s->id, rule_set_id, schema_text, total_text, summary_text, started_by,
                         digest};
    res = store_query(c,
                "INSERT INTO evaluation_runs (survey_id, rule_set_id, fact_schema, total, summary,"
                "                             started_by, facts_sha256) "
                "VALUES ($1, $2, $3::jsonb, $4, $5::jsonb, $6, $7) "
                /* ISO 8601 in Japan's time (no daylight saving since 1951: always +09:00), whole
                 * seconds, as SPEC's example, whatever the session's TimeZone */
                "RETURNING id, to_char(evaluated_at AT TIME ZONE 'Asia/Tokyo', "
                "'YYYY-MM-DD\"T\"HH24:MI:SS\"+09:00\"')",
                7, p2, PGRES_TUPLES_OK, "storing the run", err);
    free(schema_text);
    free(summary_text);
    if (res == NULL)
        return -1;
    snprintf(run_id, run_id_len, "%s", PQgetvalue(res, 0, 0));
    *evaluated_at = dup_value(res, 0, 1);
    PQclear(res);
    return 0;
}

/* ---- the document ------------------------------------------------------------------------ */

static json_t *str_or_null(const char *s)
{
    if (s == NULL)
        return jeng_must(json_null());
    json_t *j = json_string(s);
    return j != NULL ? j : jeng_must(json_null());
}

static json_t *survey_json(const survey *s)
{
    json_t *o = jeng_must(json_object());
    json_object_set_new(o, "code", str_or_null(s->code));
    json_object_set_new(o, "as_of", str_or_null(s->as_of));
    json_object_set_new(o, "label", str_or_null(s->label));
    return o;
}

/* Code or title (LABEL_*) of fact row `row`'s initiative. */
static const char *item_label(const fact_rows *f, int row, int which)
{
    return PQgetvalue(f->labels, f->label_row[row], which);
}

/* The departments of fact row `row`, in import order. */
static json_t *departments_json(const fact_rows *f, int row)
{
    json_t *arr = jeng_must(json_array());
    for (int i = f->dep_first[row]; i < f->dep_first[row] + f->dep_count[row]; i++)
        json_array_append_new(arr, str_or_null(PQgetvalue(f->deps, i, 1)));
    return arr;
}

static json_t *item_json(const fact_rows *f, int row, const eng_rules *rules,
                         const jeng_labels *labels, const eng_result *res)
{
    json_t *item = jeng_must(json_object());
    json_object_set_new(item, "code", str_or_null(item_label(f, row, LABEL_CODE)));
    json_object_set_new(item, "title", str_or_null(item_label(f, row, LABEL_TITLE)));
    json_t *m = jeng_must(json_object());
    json_object_set_new(m, "code", str_or_null(item_label(f, row, LABEL_MEASURE_CODE)));
    json_object_set_new(m, "title", str_or_null(item_label(f, row, LABEL_MEASURE_TITLE)));
    json_object_set_new(item, "measure", m);
    json_object_set_new(item, "departments", departments_json(f, row));
    json_t *r = jeng_result_shared(rules, labels, res);
    json_object_update(item, r);
    json_decref(r);
    return item;
}

/* Scratch space for one row's facts: values, and the texts jeng_facts_write takes as they are. */
typedef struct row_scratch {
    eng_value *facts;
    const char **opaque, **number_text;
    strbuf text; /* the facts as stored: compact JSON */
} row_scratch;

/* Writes fact row `row`'s facts (already in sc->facts, previous_* included) into sc->text:
 * opaque columns as their text, numbers as the view's decimal when it is a plain one
 * (jeng_facts_write): "0.83", not "0.82999999999999996"; others with max_digits
 * (JENG_EXACT_DIGITS to store them, JENG_PEOPLE_DIGITS to show them). */
static void facts_text(const fact_rows *f, const eng_schema *schema, int row, int max_digits,
                       row_scratch *sc)
{
    for (int slot = 0; slot < f->nslots; slot++) {
        const char *text = f->col[slot] >= 0 && !fact_null(f, row, f->col[slot])
                               ? fact_text(f, row, f->col[slot])
                               : NULL;
        eng_type type = eng_schema_type(schema, slot);
        sc->opaque[slot] = type == ENG_OPAQUE ? text : NULL;
        sc->number_text[slot] = type == ENG_NUM ? text : NULL;
    }
    sc->text.len = 0;
    jeng_facts_write(&sc->text, schema, sc->facts, sc->opaque, sc->number_text, max_digits);
}

/* Hands the ITEM of fact row `row` to `each` (with its facts if with_facts) and releases it.
 * `facts` is scratch space. Returns 0, or -1 if the row's facts do not parse (checked before). */
static int emit_item(const fact_rows *f, int row, const eng_rules *rules, const jeng_labels *labels,
                     const history *previous, const history *cur, bool with_facts,
                     row_scratch *sc, store_item_fn each, void *arg, store_error *err)
{
    const eng_schema *schema = eng_rules_schema(rules);
    if (with_facts) {
        if (row_facts(f, schema, row, sc->facts, err) != 0)
            return -1;
        set_previous(rules, f, previous, cur->ids[row], sc->facts);
        facts_text(f, schema, row, JENG_PEOPLE_DIGITS, sc);
    }
    json_t *item = item_json(f, row, rules, labels, &cur->results[row]);
    each(item, with_facts ? sc->text.data : NULL, with_facts ? sc->text.len : 0, arg);
    json_decref(item);
    return 0;
}

/* Ends a run's storing once its COPY data is sent, a step at a time so that the caller can work
 * in between: *state 1 = the COPY is running: its result is read and hyoka_results_close(run)
 * sent; 2 = that is running: its result is read; then *state is 0. Without `wait`, a step whose
 * result has not arrived yet is left for a later call. Returns 0, or -1 with err set (the
 * connection may then still have results to read). */
static int close_step(PGconn *c, int *state, const char *const *p_run, bool wait,
                      store_error *err)
{
    if (*state == 0)
        return 0;
    if (!wait) {
        if (!PQconsumeInput(c))
            return store_fail_pq(err, c, NULL, "storing results");
        if (PQisBusy(c))
            return 0;
    }
    PGresult *res = PQgetResult(c);
    bool ok = PQresultStatus(res) == (*state == 1 ? PGRES_COMMAND_OK : PGRES_TUPLES_OK);
    if (!ok)
        store_fail_pq(err, c, res, "storing results");
    PQclear(res);
    while ((res = PQgetResult(c)) != NULL)
        PQclear(res);
    if (!ok) {
        *state = 0;
        return -1;
    }
    if (*state == 2) {
        *state = 0;
        return 0;
    }
    if (!PQsendQueryParams(c, "SELECT hyoka_results_close($1)", 1, NULL, p_run, NULL, NULL, 0)) {
        *state = 0;
        return store_fail_pq(err, c, NULL, "storing results");
    }
    *state = 2;
    return 0;
}

static json_t *run_once(PGconn *c, const store_evaluate_opts *o, bool *retry, store_error *err)
{
    store_error_clear(err);
    *retry = false;
    const eng_rules *rules = o->rules;
    const char *rules_file = o->rules_file, *survey_code = o->survey_code;
    store_item_fn each = o->each;
    bool with_facts = o->with_facts;
    void *arg = o->arg;
    bool dry_run = o->dry_run; /* becomes true when the survey's newest run is identical */
    same_run same = {"", false, NULL, NULL};
    char digest[65] = "";
    if (o->stored != NULL)
        *o->stored = false;
    const eng_schema *schema = eng_rules_schema(rules);
    survey *chain = NULL;
    int nchain = 0;
    json_t *doc = NULL;
    history prev = {0}, cur = {0};
    fact_rows f = {0};
    eng_ctx *ctx = eng_ctx_new(rules);
    size_t nfacts = (size_t)eng_schema_count(schema) + 1;
    row_scratch sc = {xcalloc(nfacts, sizeof *sc.facts), xcalloc(nfacts, sizeof *sc.opaque),
                      xcalloc(nfacts, sizeof *sc.number_text), {0}};
    eng_value *facts = sc.facts;
    strbuf copy = {0};
    coded_row *order = NULL;
    jeng_labels *labels = NULL;
    char *evaluated_at = NULL;
    json_t *summary = NULL;
    jeng_tally tally;
    char run_id[32] = "";
    char *schema_text = NULL;
    bool in_copy = false, committed = false;
    int closing = 0; /* close_step's state once the COPY data is sent */

    memset(&tally, 0, sizeof tally);
    if (!dry_run && eng_rules_overrides(rules)[0] != '\0') {
        store_fail(err, STORE_EUSER,
                   "a rule set with replaced thresholds (%s) is not stored: a stored run must be "
                   "reproducible from its stored rule file",
                   eng_rules_overrides(rules));
        goto out;
    }
    /* One snapshot for every read; the writes join it. One storing evaluation at a time, and
     * the lock is taken before anything is read: attaching the results takes evaluation_results
     * ACCESS EXCLUSIVE (sql/012), so a second evaluation that held its ACCESS SHARE (reading the
     * history) while it waited here would deadlock with the first. The snapshot is then as old
     * as before (the first read after BEGIN takes it; waiting for the lock used to follow it). */
    if (begin_reading(c, dry_run, NULL, err) != 0)
        goto out;
    if (!dry_run && store_lock_xact(c, STORE_LOCK_EVALUATE, "evaluate", err) != 0)
        goto out;
    if (resolve_surveys(c, survey_code, &chain, &nchain, err) != 0)
        goto out;

    /* Earlier surveys, oldest first: each gives the next its previous_* facts. The chain starts
     * after the newest earlier survey that has a stored run with these rules. */
    int first = 0;
    {
        json_t *sj = jeng_schema(schema);
        schema_text = jeng_dumps(sj, JENG_DUMP_FLAGS);
        json_decref(sj);
        for (int i = nchain - 2; i >= 0; i--) {
            int found = stored_history(c, rules, schema_text, &chain[i], &prev, err);
            if (found < 0)
                goto out;
            if (found > 0) {
                first = i + 1;
                break;
            }
        }
    }
    for (int i = first; i < nchain - 1; i++) {
        if (fetch_facts(c, schema, &chain[i], false, &f, err) != 0)
            goto out;
        if (evaluate_rows(rules, &f, i > 0 ? &prev : NULL, &cur, facts, ctx, err) != 0)
            goto out;
        fact_rows_cleanup(&f);
        history_cleanup(&prev);
        prev = cur;
        memset(&cur, 0, sizeof cur);
    }
    const history *previous = nchain > 1 ? &prev : NULL;

    const survey *target = &chain[nchain - 1];
    if (fetch_facts(c, schema, target, each != NULL, &f, err) != 0)
        goto out;
    if (evaluate_rows(rules, &f, previous, &cur, facts, ctx, err) != 0 ||
        fetch_items(c, &f, err) != 0)
        goto out;
    for (int row = 0; row < f.nrows; row++)
        jeng_tally_add(&tally, &cur.results[row]);
    summary = jeng_summary(rules, &tally);

    /* An evaluation identical to the survey's newest run (same rules, same facts) stores nothing
     * and answers with that run (SPEC v1.1): it goes on as a dry run. */
    if (!dry_run) {
        if (facts_digest(&f, previous, schema_text, digest, err) != 0)
            goto out;
        int found = find_same_run(c, rules, target, schema_text, digest, &same, err);
        if (found < 0)
            goto out;
        dry_run = found > 0;
    }

    /* The items go to `each` in code order. */
    if (each != NULL) {
        order = xcalloc((size_t)f.nrows + 1, sizeof *order);
        for (int row = 0; row < f.nrows; row++) {
            order[row].code = item_label(&f, row, LABEL_CODE);
            order[row].row = row;
        }
        qsort(order, (size_t)f.nrows, sizeof *order, compare_rows);
        labels = jeng_labels_new(rules);
    }

    /* Store (rule set, run, results by COPY), commit. While PostgreSQL parses the COPY data
     * (slower than it is written), the items are handed to `each` too, one per COPY row: that
     * work overlaps the server's, where after the commit it would add to the wall time (the
     * overlap was not measured on its own; with --format json each row's facts are parsed a
     * third time here, for the item). */
    if (!dry_run) {
        int rc = insert_run(c, rules, rules_file, target, tally.total, summary, o->started_by,
                            digest, run_id, sizeof run_id, &evaluated_at, err);
        if (rc != 0) {
            *retry = rc == -2;
            goto out;
        }
        /* The results go into a fresh table of their own, attached when full (sql/005): the
         * FKs are then checked and the indexes built once, set-based, not row by row. */
        const char *p_run[1] = {run_id};
        PGresult *res = store_query(c, "SELECT hyoka_results_open($1)", 1, p_run, PGRES_TUPLES_OK,
                              "storing results", err);
        if (res == NULL)
            goto out;
        char *table = PQescapeIdentifier(c, PQgetvalue(res, 0, 0), strlen(PQgetvalue(res, 0, 0)));
        PQclear(res);
        if (table == NULL) {
            store_fail_pq(err, c, NULL, "storing results");
            goto out;
        }
        char copy_sql[256];
        snprintf(copy_sql, sizeof copy_sql,
                 "COPY %s (run_id, initiative_id, category, score, primary_reason, reasons, "
                 "flags, recommendations, facts) FROM STDIN",
                 table);
        PQfreemem(table);
        res = store_query(c, copy_sql, 0, NULL, PGRES_COPY_IN, "storing results", err);
        if (res == NULL)
            goto out;
        PQclear(res);
        in_copy = true;
        for (int row = 0; row < f.nrows; row++) {
            if (row_facts(&f, schema, row, facts, err) != 0)
                goto out;
            set_previous(rules, &f, previous, cur.ids[row], facts);
            facts_text(&f, schema, row, JENG_EXACT_DIGITS, &sc);
            copy_row(&copy, run_id, cur.ids[row], rules, &cur.results[row], sc.text.data,
                     sc.text.len);
            if (copy.len >= COPY_CHUNK && copy_flush(c, &copy, err) != 0)
                goto out;
        }
        if (copy_flush(c, &copy, err) != 0)
            goto out;
        in_copy = false;
        if (PQputCopyEnd(c, NULL) != 1) {
            store_fail_pq(err, c, NULL, "storing results (COPY)");
            goto out;
        }
        /* The server still parses the tail of the COPY data and then attaches the results
         * (hyoka_results_close): meanwhile the items go to `each`, the connection polled between
         * them. Handed over inside the loop above, they made this process the slower side of the
         * COPY (its CPU in the loop 0.85 s at 100,000 items, the server then waiting for data),
         * and the server's closing steps kept the other core alone busy. */
        closing = 1;
        for (int i = 0; i < f.nrows && each != NULL; i++) {
            if (emit_item(&f, order[i].row, rules, labels, previous, &cur, with_facts, &sc, each,
                          arg, err) != 0)
                goto out;
            if (i % 64 == 0 && close_step(c, &closing, p_run, false, err) != 0)
                goto out;
        }
        while (closing != 0)
            if (close_step(c, &closing, p_run, true, err) != 0)
                goto out;
    }
    if (command(c, dry_run ? "ROLLBACK" : "COMMIT", "ending the transaction", err) != 0)
        goto out;
    committed = true;
    /* Readable from now on: published by a transaction of its own, after the COMMIT (sql/010).
     * An identical run is published too: its writer may have died before it could. */
    if (same.id[0] != '\0') {
        snprintf(run_id, sizeof run_id, "%s", same.id); /* the answer names that run */
        evaluated_at = same.evaluated_at;
        same.evaluated_at = NULL;
        json_decref(summary);
        summary = same.summary; /* the stored figures, equal to these by the digest */
        same.summary = NULL;
    }
    bool publish = run_id[0] != '\0' && (same.id[0] == '\0' || !same.published);
    if (publish && store_publish_run(c, strtoll(run_id, NULL, 10), err) != 0)
        goto out;
    if (o->stored != NULL)
        *o->stored = !dry_run;

    doc = jeng_must(json_object());
    json_object_set_new(doc, "survey", survey_json(target));
    if (run_id[0] == '\0') {
        json_object_set_new(doc, "run", jeng_must(json_null()));
    } else {
        json_t *r = jeng_must(json_object());
        json_object_set_new(r, "id", jeng_must(json_integer(strtoll(run_id, NULL, 10))));
        json_object_set_new(r, "evaluated_at", str_or_null(evaluated_at));
        json_t *rs = jeng_must(json_object());
        json_object_set_new(rs, "version", str_or_null(eng_rules_version(rules)));
        json_object_set_new(rs, "sha256", str_or_null(eng_rules_sha256(rules)));
        json_object_set_new(r, "rules", rs);
        json_object_set_new(doc, "run", r);
    }
    json_object_set_new(doc, "summary", summary);
    summary = NULL;

    /* A dry run hands the items over now (a stored run did while closing its COPY). */
    if (each != NULL && dry_run)
        for (int i = 0; i < f.nrows; i++)
            if (emit_item(&f, order[i].row, rules, labels, previous, &cur, with_facts, &sc, each,
                          arg, err) != 0) {
                json_decref(doc);
                doc = NULL;
                goto out;
            }

out:
    if (f.items_pending) { /* sent by fetch_facts, never read: the connection must be idle */
        PGresult *res;
        while ((res = PQgetResult(c)) != NULL)
            PQclear(res);
    }
    if (in_copy || closing != 0) { /* the connection must be idle for the ROLLBACK */
        if (in_copy)
            PQputCopyEnd(c, "evaluation failed");
        PGresult *res;
        while ((res = PQgetResult(c)) != NULL)
            PQclear(res);
    }
    if (!committed)
        rollback(c);
    json_decref(summary);
    json_decref(same.summary);
    free(same.evaluated_at);
    free(schema_text);
    jeng_labels_free(labels);
    free(order);
    free(evaluated_at);
    strbuf_cleanup(&copy);
    strbuf_cleanup(&sc.text);
    free(sc.opaque);
    free(sc.number_text);
    fact_rows_cleanup(&f);
    history_cleanup(&prev);
    history_cleanup(&cur);
    for (int i = 0; i < nchain; i++)
        survey_cleanup(&chain[i]);
    free(chain);
    free(sc.facts);
    eng_ctx_free(ctx);
    return doc;
}

/* run_once, and once more after a serialization failure (see insert_run). */
json_t *store_evaluate(PGconn *c, const store_evaluate_opts *o, store_error *err)
{
    bool retry = false;
    json_t *doc = run_once(c, o, &retry, err);
    if (doc == NULL && retry)
        doc = run_once(c, o, &retry, err);
    return doc;
}

json_t *store_evaluate_summary(PGconn *c, const eng_rules *rules, const char *rules_file,
                               const char *survey_code, bool dry_run, store_error *err)
{
    store_evaluate_opts o = {.rules = rules, .rules_file = rules_file, .survey_code = survey_code,
                             .dry_run = dry_run};
    return store_evaluate(c, &o, err);
}

json_t *store_evaluate_each(PGconn *c, const eng_rules *rules, const char *rules_file,
                            const char *survey_code, bool dry_run, store_item_fn each,
                            bool with_facts, void *arg, store_error *err)
{
    store_evaluate_opts o = {.rules = rules, .rules_file = rules_file, .survey_code = survey_code,
                             .dry_run = dry_run, .each = each, .with_facts = with_facts,
                             .arg = arg};
    return store_evaluate(c, &o, err);
}

/* ---- one survey's facts, evaluated many times (hyoka sweep) ------------------------------ */

struct store_facts {
    survey *chain; /* oldest first, the survey last (resolve_surveys) */
    int nchain;
    fact_rows *rows; /* per survey of the chain, parsed; the last one with its items */
    char sha256[65]; /* of the rules store_facts_read was given */
    int first;       /* for those rules: the chain starts here, after `stored` */
    history stored;  /* the stored run found for them (first > 0), as run_once finds it */
    int nslots;
};

store_facts *store_facts_read(PGconn *c, const eng_rules *rules, const char *survey_code,
                              store_error *err)
{
    store_error_clear(err);
    const eng_schema *schema = eng_rules_schema(rules);
    store_facts *sf = xcalloc(1, sizeof *sf);
    eng_symtab *syms = NULL;
    snprintf(sf->sha256, sizeof sf->sha256, "%s", eng_rules_sha256(rules));
    sf->nslots = eng_schema_count(schema);
    if (begin_reading(c, true, NULL, err) != 0 ||
        resolve_surveys(c, survey_code, &sf->chain, &sf->nchain, err) != 0)
        goto fail;
    sf->rows = xcalloc((size_t)sf->nchain, sizeof *sf->rows);
    /* the stored history, as run_once looks for it */
    json_t *sj = jeng_schema(schema);
    char *schema_text = jeng_dumps(sj, JENG_DUMP_FLAGS);
    json_decref(sj);
    int found = 0;
    for (int i = sf->nchain - 2; i >= 0 && found == 0; i--) {
        found = stored_history(c, rules, schema_text, &sf->chain[i], &sf->stored, err);
        if (found > 0)
            sf->first = i + 1;
    }
    free(schema_text);
    if (found < 0)
        goto fail;
    long total = 0;
    /* string facts get symbols (engine.h): evaluated many times, each text is hashed once here */
    syms = eng_symtab_new(0);
    for (int i = 0; i < sf->nchain; i++) {
        fact_rows *f = &sf->rows[i];
        bool target = i == sf->nchain - 1;
        if (fetch_facts(c, schema, &sf->chain[i], target, f, err) != 0 ||
            (target && fetch_items(c, f, err) != 0))
            goto fail;
        total += f->nrows;
        if (total > STORE_MAX_INITIATIVES) {
            store_fail(err, STORE_EUSER,
                       "survey '%s' and its %d earlier surveys have more than %d initiative rows "
                       "in all, more than a sweep holds in memory",
                       sf->chain[sf->nchain - 1].code, sf->nchain - 1, STORE_MAX_INITIATIVES);
            goto fail;
        }
        eng_value *parsed = xcalloc((size_t)f->nrows * (size_t)f->nslots + 1, sizeof *parsed);
        long *ids = xcalloc((size_t)f->nrows + 1, sizeof *ids);
        for (int row = 0; row < f->nrows; row++) {
            ids[row] = initiative_id(f, row);
            eng_value *facts = parsed + (size_t)row * (size_t)f->nslots;
            if (row_facts(f, schema, row, facts, err) != 0) {
                free(parsed);
                free(ids);
                goto fail;
            }
            for (int slot = 0; slot < f->nslots; slot++)
                facts[slot] = eng_symtab_intern(syms, facts[slot]);
        }
        f->parsed = parsed;
        f->ids = ids;
    }
    if (command(c, "ROLLBACK", "ending the transaction", err) != 0)
        goto fail;
    eng_symtab_free(syms); /* the ids stay the texts' (never given again) */
    return sf;
fail:
    eng_symtab_free(syms);
    for (int i = 0; sf->rows != NULL && i < sf->nchain; i++)
        if (sf->rows[i].items_pending) {
            PGresult *res;
            while ((res = PQgetResult(c)) != NULL)
                PQclear(res);
            sf->rows[i].items_pending = false;
        }
    rollback(c);
    store_facts_free(sf);
    return NULL;
}

void store_facts_free(store_facts *sf)
{
    if (sf == NULL)
        return;
    for (int i = 0; sf->rows != NULL && i < sf->nchain; i++)
        fact_rows_cleanup(&sf->rows[i]);
    free(sf->rows);
    for (int i = 0; i < sf->nchain; i++)
        survey_cleanup(&sf->chain[i]);
    free(sf->chain);
    history_cleanup(&sf->stored);
    free(sf);
}

json_t *store_facts_survey(const store_facts *sf)
{
    return survey_json(&sf->chain[sf->nchain - 1]);
}

int store_facts_count(const store_facts *sf)
{
    return sf->rows[sf->nchain - 1].nrows;
}

const char *store_facts_code(const store_facts *sf, int i)
{
    return item_label(&sf->rows[sf->nchain - 1], i, LABEL_CODE);
}

const eng_value *store_facts_row(const store_facts *sf, int i)
{
    const fact_rows *f = &sf->rows[sf->nchain - 1];
    return f->parsed + (size_t)i * (size_t)f->nslots;
}

void store_facts_evaluate(const store_facts *sf, const eng_rules *rules, eng_result *results)
{
    assert(eng_schema_count(eng_rules_schema(rules)) == sf->nslots);
    bool same = strcmp(eng_rules_sha256(rules), sf->sha256) == 0;
    int first = same ? sf->first : 0;
    const history *previous = same && sf->first > 0 ? &sf->stored : NULL;
    eng_ctx *ctx = eng_ctx_new(rules);
    eng_value *facts = xcalloc((size_t)sf->nslots + 1, sizeof *facts);
    history prev = {0}, cur = {0};
    store_error err = {0};
    for (int i = first; i < sf->nchain; i++) {
        /* the facts were parsed by store_facts_read: evaluate_rows cannot fail */
        int rc = evaluate_rows(rules, &sf->rows[i], previous, &cur, facts, ctx, &err);
        assert(rc == 0);
        (void)rc;
        history_cleanup(&prev);
        prev = cur;
        memset(&cur, 0, sizeof cur);
        previous = &prev;
    }
    memcpy(results, prev.results, (size_t)prev.n * sizeof *results);
    history_cleanup(&prev);
    free(facts);
    eng_ctx_free(ctx);
}
