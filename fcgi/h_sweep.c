/* h_sweep.c - GET /api/v1/rules/sweep: the planner's what-if (ルール調整). The rules this server
 * has loaded, with one threshold overridden, evaluated over a survey's facts in memory by
 * store_sweep_run, the computation of `hyoka sweep`; the answer is SPEC's sweep JSON. Reads only:
 * no write token, nothing stored, the rule file untouched.
 *
 *   ?threshold=NAME&value=V                 two points: the file's value, then V ("changes": the
 *                                           initiatives whose category at V is another)
 *   ?threshold=NAME&from=A&to=B&step=S      the points A, A+S, ... <= B, as `hyoka sweep
 *                                           --set thresholds.NAME=A:B:S` takes them
 *   [&survey=CODE]                          default: the survey with the latest as_of
 *
 * Bounded: at most SWEEP_API_MAX_POINTS points, SWEEP_API_MAX_EVALUATIONS evaluations of an
 * initiative per request as the sweep takes them (the survey in full at the first value, then
 * only the initiatives with a cut between two consecutive values, or the survey at each value
 * where the threshold has no cuts: store_sweep_continue_cost, counted before they are done), and
 * SWEEP_API_MAX_FLIPS changes (400 naming the parameter to change); nginx limits the requests
 * per client (zone hyoka_sweep).
 *
 * The survey's facts are read once per worker and kept (one survey at a time) until an import or
 * a new run moves data_version (store_read_versions): the first request of a worker pays for
 * reading them (~2.7 s for 100,000 initiatives on bench/data), the next ones only evaluate. For
 * value=V the file's value is evaluated once per worker and threshold and kept too
 * (store_sweep_continue), so a request evaluates the survey once, at V.
 */
#include "app.h"
#include "db.h"
#include "handlers.h"
#include "read.h"
#include "set_option.h"
#include "sweep.h"
#include "xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SWEEP_API_MAX_POINTS 101
#define SWEEP_API_MAX_EVALUATIONS 5000000L /* of an initiative: ~0.35 s on two cores */
#define SWEEP_API_MAX_FLIPS 200000

/* The worker's facts: one survey, for one rule set, at one data version; and the sweep of one
 * threshold at the file's value, which value=V continues from (store_sweep_continue). */
static struct {
    store_sweep *baseline;
    char *baseline_name;
    store_facts *facts;
    char *survey; /* as asked ("" for the default) */
    char sha256[65];
    long long newest_run, data_version;
} kept;

static void kept_drop(void)
{
    store_sweep_free(kept.baseline);
    free(kept.baseline_name);
    store_facts_free(kept.facts);
    free(kept.survey);
    memset(&kept, 0, sizeof kept);
}

/* The facts of `survey` (NULL: the default), read or kept. NULL with err set. */
static const store_facts *facts_for(const char *survey, store_error *err)
{
    PGconn *c = db_conn(err);
    long long runs = 0, data = 0;
    if (c == NULL || store_read_versions(c, &runs, &data, err) != 0)
        return NULL;
    const char *key = survey != NULL ? survey : "";
    if (kept.facts != NULL && strcmp(kept.survey, key) == 0 &&
        strcmp(kept.sha256, eng_rules_sha256(app.rules)) == 0 && kept.newest_run == runs &&
        kept.data_version == data)
        return kept.facts;
    kept_drop();
    store_facts *f = store_facts_read(c, app.rules, survey, err);
    if (f == NULL)
        return NULL;
    kept.facts = f;
    kept.survey = xstrdup(key);
    snprintf(kept.sha256, sizeof kept.sha256, "%s", eng_rules_sha256(app.rules));
    kept.newest_run = runs;
    kept.data_version = data;
    return f;
}

/* A finite decimal number parameter; -1 after a 400 naming it. */
static int param_number_or_reply(hy_req *r, const char *name, double *out)
{
    const char *v = http_param(r, name);
    char *end;
    double d = v != NULL && v[0] != '\0' && strlen(v) <= 40 ? strtod(v, &end) : NAN;
    if (v == NULL || !isfinite(d) || *end != '\0' || v[0] == ' ' || v[0] == '\t') {
        http_problem(r, 400, name, "parameter '%s' must be a number, not '%s'", name,
                     v != NULL ? v : "");
        return -1;
    }
    *out = d;
    return 0;
}

void h_rules_sweep(hy_req *r, const char *arg)
{
    (void)arg;
    const char *name = http_param(r, "threshold");
    if (name == NULL) {
        http_problem(r, 400, "threshold", "parameter 'threshold' is required (a threshold's NAME)");
        return;
    }
    int t = -1;
    for (int i = 0; i < eng_rules_threshold_count(app.rules) && t < 0; i++)
        if (strcmp(eng_rules_threshold_name(app.rules, i), name) == 0)
            t = i;
    if (t < 0) {
        char list[512] = "";
        size_t len = 0;
        for (int i = 0; i < eng_rules_threshold_count(app.rules) && len < sizeof list; i++)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i > 0 ? ", " : "",
                                    eng_rules_threshold_name(app.rules, i));
        http_problem(r, 400, "threshold", "the loaded rules have no threshold '%.100s' (they have: %s)",
                     name, list[0] != '\0' ? list : "none");
        return;
    }
    bool single = http_param(r, "value") != NULL;
    const char *range[] = {"from", "to", "step"};
    for (int i = 0; i < 3; i++) {
        bool given = http_param(r, range[i]) != NULL;
        if (single == given) {
            http_problem(r, 400, range[i],
                         single ? "give either value=V or from, to and step, not both (parameter "
                                  "'%s')"
                                : "parameter '%s' is required without value=V",
                         range[i]);
            return;
        }
    }
    double values[SWEEP_API_MAX_POINTS];
    int n = 0;
    if (single) {
        double v;
        if (param_number_or_reply(r, "value", &v) != 0)
            return;
        double file = eng_rules_threshold_value(app.rules, t);
        values[n++] = file;
        if (v != file)
            values[n++] = v;
    } else {
        double from, to, step;
        if (param_number_or_reply(r, "from", &from) != 0 ||
            param_number_or_reply(r, "to", &to) != 0 || param_number_or_reply(r, "step", &step) != 0)
            return;
        if (!(step > 0)) {
            http_problem(r, 400, "step", "parameter 'step' must be above 0, not %.15g", step);
            return;
        }
        if (from > to) {
            http_problem(r, 400, "to", "parameter 'to' (%.15g) is below 'from' (%.15g)", to, from);
            return;
        }
        if ((to - from) / step >= SWEEP_API_MAX_POINTS) {
            http_problem(r, 400, "step",
                         "from %.15g to %.15g by %.15g is more than %d points: take a larger step",
                         from, to, step, SWEEP_API_MAX_POINTS);
            return;
        }
        /* the points exactly as `hyoka sweep --set thresholds.NAME=FROM:TO:STEP` takes them */
        char text[256], msg[SET_ERROR_MAX];
        snprintf(text, sizeof text, "thresholds.%s=%.17g:%.17g:%.17g", name, from, to, step);
        set_option o;
        if (set_option_parse(text, true, &o, msg, sizeof msg) != 0) {
            http_problem(r, 400, "step", "%s", msg);
            return;
        }
        for (n = 0; n < o.npoints && n < SWEEP_API_MAX_POINTS; n++)
            values[n] = set_option_value(&o, n);
        set_option_cleanup(&o);
    }
    store_error err = {0};
    const store_facts *facts = facts_for(http_param(r, "survey"), &err);
    if (facts == NULL) {
        if (err.status == STORE_ENOTFOUND)
            http_problem(r, 404, "survey", "%s", err.message);
        else if (err.status == STORE_EUSER)
            http_problem(r, 400, "survey", "%s", err.message);
        else
            db_reply_error(r, &err);
        return;
    }
    /* The budget counts the evaluations the sweep will take (store_sweep_continue_cost), found
     * before any but the first value's: the survey in full at the first value (once per worker
     * and threshold for value=V), then only the initiatives a step may change. */
    long count = store_facts_count(facts);
    if (count > SWEEP_API_MAX_EVALUATIONS) {
        http_problem(r, 400, "survey",
                     "the survey has %ld initiatives, more than the %ld evaluations of one request",
                     count, SWEEP_API_MAX_EVALUATIONS);
        return;
    }
    store_sweep *s = NULL, *first = NULL;
    const store_sweep *base;
    long spent = 0;
    if (single) {
        /* the file's value is swept once per worker and threshold, then continued from */
        if (kept.baseline == NULL || strcmp(kept.baseline_name, name) != 0) {
            store_sweep_free(kept.baseline);
            free(kept.baseline_name);
            kept.baseline = store_sweep_run(facts, app.rules, name, values, 1, 0, &err);
            kept.baseline_name = kept.baseline != NULL ? xstrdup(name) : NULL;
            spent = count;
        }
        base = kept.baseline;
    } else {
        base = first = store_sweep_run(facts, app.rules, name, values, 1, 0, &err);
        spent = count;
    }
    if (base != NULL && n > 1) {
        long cost = spent + store_sweep_continue_cost(base, values + 1, n - 1);
        if (cost > SWEEP_API_MAX_EVALUATIONS) {
            if (single)
                http_problem(r, 400, "value",
                             "value %.15g takes %ld evaluations of %ld initiatives, more than "
                             "%ld for one request",
                             values[1], cost, count, SWEEP_API_MAX_EVALUATIONS);
            else
                http_problem(r, 400, "step",
                             "%d points of %ld initiatives take %ld evaluations, more than %ld "
                             "for one request: take a larger step or a narrower range",
                             n, count, cost, SWEEP_API_MAX_EVALUATIONS);
            store_sweep_free(first);
            return;
        }
        s = store_sweep_continue(base, values + 1, n - 1, SWEEP_API_MAX_FLIPS, &err);
    }
    const store_sweep *shown = n > 1 ? s : base;
    if (shown == NULL) {
        http_problem(r, 400, single ? "value" : "step", "%s", err.message);
        store_sweep_free(first);
        return;
    }
    strbuf b = {0};
    store_sweep_write_json(shown, &b);
    http_reply(r, 200, "application/json; charset=utf-8", b.data, b.len,
               "Cache-Control: no-store\r\n");
    strbuf_cleanup(&b);
    store_sweep_free(s);
    store_sweep_free(first);
}
