/* bench_whatif.c - how long the planner's what-ifs take (issue 15 targets in brackets):
 *   what-if: the survey's facts (read once, not timed) evaluated with one threshold overridden
 *            and counted, as GET /api/v1/rules/sweep?value= does for each of its points [< 50 ms]
 *   sweep:   store_sweep_run over 100 values (0.01:1:0.01) [< 1 s], incremental (sweep.c: the
 *            first value in full, then the initiatives with a cut between two values), and the
 *            same with every value evaluated in full (store_sweep_run_full, the reference)
 *   check:   for every threshold of RULES, a 100-value sweep from 0 to twice its value (at least
 *            to 2), incremental and full: the same JSON, or exit 1 (also says which thresholds
 *            take full passes, and why)
 *   planner: what GET /api/v1/rules/sweep?threshold=on_track_ratio&value=V computes for the
 *            planner page: V continued from the file's value (swept once per worker, as
 *            fcgi/h_sweep.c keeps it), with its JSON written [page update < 200 ms]
 *   counterfactuals: eng_counterfactuals of initiatives not in the first category, synthetic
 *            facts (bench/engine's kind) [< 5 ms each]
 * Prints the best and the median of a few rounds, wall and this process's CPU (the machine is
 * shared: CPU says more). A benchmark, not a test.
 *
 *   bench_whatif [SURVEY [RULES [PART]]]   (PG* environment: the database, e.g. bench/data's)
 *   bench_whatif --memory N VALUES [full]   (no database: see memory())
 * PART: all (the default), or one of read, whatif, planner, sweep, check, cf: only reading the
 * facts and
 * that part, for instruction counts (valgrind --tool=callgrind counts every thread; subtract the
 * count of `read`).
 */
#include "engine.h"
#include "evaluate.h"
#include "json_eng.h"
#include "store.h"
#include "sweep.h"
#include "xalloc.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUNDS 5

static double now_ms(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *wall, double *cpu, int n, const char *target)
{
    qsort(wall, (size_t)n, sizeof *wall, cmp);
    qsort(cpu, (size_t)n, sizeof *cpu, cmp);
    printf("%-44s wall best %8.2f ms, median %8.2f ms; CPU best %8.2f ms   (%s)\n", what, wall[0],
           wall[n / 2], cpu[0], target);
}

/* Times `rounds` (at most ROUNDS) sweeps of thresholds.on_track_ratio over values[0..n) of
 * `facts`, incremental (store_sweep_run) or every value in full (store_sweep_run_full), and
 * reports them as `what` against `target`; with `label`, also the first round's changes. 0, or
 * -1 (said on stderr). */
static int time_sweeps(const store_facts *facts, const eng_rules *rules, const double *values,
                       int n, bool full, int rounds, const char *what, const char *target,
                       const char *label)
{
    double wall[ROUNDS], cpu[ROUNDS];
    store_error err = {0};
    for (int round = 0; round < rounds && round < ROUNDS; round++) {
        double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
        store_sweep *s = full ? store_sweep_run_full(facts, rules, "on_track_ratio", values, n,
                                                     STORE_SWEEP_MAX_FLIPS, &err)
                              : store_sweep_run(facts, rules, "on_track_ratio", values, n,
                                                STORE_SWEEP_MAX_FLIPS, &err);
        cpu[round] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        wall[round] = now_ms(CLOCK_MONOTONIC) - w0;
        if (s == NULL) {
            fprintf(stderr, "bench_whatif: %s\n", err.message);
            return -1;
        }
        if (round == 0 && label != NULL)
            printf("  %s: %zu category changes\n", label, store_sweep_nflips(s));
        store_sweep_free(s);
    }
    report(what, wall, cpu, rounds < ROUNDS ? rounds : ROUNDS, target);
    return 0;
}

static uint64_t rng = 0x9E3779B97F4A7C15u;
static double uniform(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (double)((rng * 2685821657736338717u) >> 11) / 9007199254740992.0;
}

/* bench/engine's synthetic facts: ~10 % null. */
static void synthesize(const eng_schema *s, eng_value *f)
{
    for (int i = 0; i < eng_schema_count(s); i++) {
        double u = uniform();
        if (uniform() < 0.10) {
            f[i] = eng_null();
            continue;
        }
        const char *name = eng_schema_name(s, i);
        switch (eng_schema_type(s, i)) {
        case ENG_NUM:
            f[i] = eng_num(strcmp(name, "months_since_start") == 0 ? (double)(int)(u * 48)
                           : strcmp(name, "cost_benefit") == 0     ? u * 3
                           : strcmp(name, "planned_progress") == 0 ? (u < 0.05 ? 0 : u)
                                                                   : u);
            break;
        case ENG_BOOL:
            f[i] = eng_bool(u < 0.7);
            break;
        case ENG_STR:
            f[i] = eng_str("情報政策課");
            break;
        default:
            f[i] = eng_null();
        }
    }
}

static void counterfactuals(const char *path)
{
    eng_schema *schema = eng_schema_new_builtin();
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_file(path, schema, d);
    if (r == NULL) {
        eng_diags_print(d, stderr);
        exit(1);
    }
    eng_ctx *c = eng_ctx_new(r);
    eng_cf *cf = eng_cf_new(r);
    int nf = eng_schema_count(schema);
    eng_value *facts = xcalloc((size_t)nf, sizeof *facts);
    eng_counterfactual out[256];
    enum { N = 1000 };
    static double wall[N], cpu[N];
    int done = 0;
    long found = 0, entries = 0;
    while (done < N) {
        synthesize(schema, facts);
        eng_result res;
        eng_evaluate(c, facts, &res);
        if (res.category == 0)
            continue;
        double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
        int n = eng_counterfactuals(cf, c, facts, out, 256);
        cpu[done] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        wall[done] = now_ms(CLOCK_MONOTONIC) - w0;
        for (int i = 0; i < n && i < 256; i++)
            found += out[i].found;
        entries += n;
        done++;
    }
    char what[128];
    snprintf(what, sizeof what, "counterfactuals of 1 initiative (%d)", N);
    report(what, wall, cpu, N, "target < 5 ms");
    printf("  %ld entries (fact x better category), %ld found\n", entries, found);
    free(facts);
    eng_cf_free(cf);
    eng_ctx_free(c);
    eng_rules_free(r);
    eng_diags_free(d);
    eng_schema_free(schema);
}

/* `bench_whatif --memory N VALUES [full]`: one sweep of on_track_ratio over VALUES values (0.01,
 * 0.02, ...) of N synthetic initiatives in memory (store_sweep_run_rows), no database: for
 * instruction counts (valgrind --tool=callgrind). */
static int memory(int n, int nvalues, bool full)
{
    eng_schema *schema = eng_schema_new_builtin();
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_file(HYOKA_SOURCE_DIR "/config/rules/default.cfg", schema, d);
    if (r == NULL || n < 1 || nvalues < 1 || nvalues > 10000) {
        eng_diags_print(d, stderr);
        return 1;
    }
    int ns = eng_schema_count(schema);
    eng_value *rows = xcalloc((size_t)n * (size_t)ns, sizeof *rows);
    char **codes = xcalloc((size_t)n, sizeof *codes);
    for (int i = 0; i < n; i++) {
        char code[32];
        snprintf(code, sizeof code, "M-%d", i + 1);
        codes[i] = xstrdup(code);
        synthesize(schema, rows + (size_t)i * (size_t)ns);
    }
    double *values = xcalloc((size_t)nvalues, sizeof *values);
    for (int i = 0; i < nvalues; i++)
        values[i] = (i + 1) / 100.0;
    store_error err = {0};
    double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    store_sweep *s = store_sweep_run_rows(r, n, rows, (const char *const *)codes,
                                          "on_track_ratio", values, nvalues,
                                          STORE_SWEEP_MAX_FLIPS, full, &err);
    double cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0, wall = now_ms(CLOCK_MONOTONIC) - w0;
    if (s == NULL) {
        fprintf(stderr, "bench_whatif: %s\n", err.message);
        return 1;
    }
    printf("sweep of %d values x %d in memory (%s): %.1f ms CPU, %.1f ms wall, %zu changes\n",
           nvalues, n, full ? "every value in full" : "incremental", cpu, wall,
           store_sweep_nflips(s));
    store_sweep_free(s);
    for (int i = 0; i < n; i++)
        free(codes[i]);
    free(codes);
    free(rows);
    free(values);
    eng_rules_free(r);
    eng_diags_free(d);
    eng_schema_free(schema);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 3 && strcmp(argv[1], "--memory") == 0)
        return memory(atoi(argv[2]), atoi(argv[3]), argc > 4 && strcmp(argv[4], "full") == 0);
    const char *survey = argc > 1 && argv[1][0] != '\0' ? argv[1] : NULL; /* "": the latest */
    const char *path = argc > 2 ? argv[2] : HYOKA_SOURCE_DIR "/config/rules/default.cfg";
    const char *part = argc > 3 ? argv[3] : "all";
#define PART(name) (strcmp(part, "all") == 0 || strcmp(part, name) == 0)
    if (PART("cf"))
        counterfactuals(path);
    if (strcmp(part, "cf") == 0)
        return 0;

    store_error err = {0};
    PGconn *c = store_connect("", &err);
    if (c == NULL) {
        fprintf(stderr, "bench_whatif: %s\n", err.message);
        return 1;
    }
    eng_schema *schema = store_fact_schema(c, &err);
    eng_diags *d = eng_diags_new();
    eng_rules *rules = schema != NULL ? eng_rules_load_file(path, schema, d) : NULL;
    if (rules == NULL) {
        eng_diags_print(d, stderr);
        fprintf(stderr, "bench_whatif: %s\n", err.message);
        return 1;
    }
    double t0 = now_ms(CLOCK_MONOTONIC);
    store_facts *facts = store_facts_read(c, rules, survey, &err);
    if (facts == NULL) {
        fprintf(stderr, "bench_whatif: %s\n", err.message);
        return 1;
    }
    int n = store_facts_count(facts);
    printf("facts of %d initiatives read in %.0f ms (once; not part of the figures below)\n", n,
           now_ms(CLOCK_MONOTONIC) - t0);

    double wall[ROUNDS], cpu[ROUNDS];
    char what[128];
    double whatif_value = 0.9;
    snprintf(what, sizeof what, "what-if, 1 value x %d", n);
    if (PART("whatif") && time_sweeps(facts, rules, &whatif_value, 1, false, ROUNDS, what,
                                      "target < 50 ms", NULL) != 0)
        return 1;

    /* as fcgi/h_sweep.c: the file's value swept once per worker (kept), each value=V continued
     * from it; the first continuation also finds the cuts (once per worker): not timed */
    double file_value = 0.95;
    store_sweep *baseline = PART("planner") ? store_sweep_run(facts, rules, "on_track_ratio",
                                                              &file_value, 1, 0, &err)
                                            : NULL;
    if (PART("planner")) {
        double warm = 0.9;
        store_sweep *s = baseline != NULL
                             ? store_sweep_continue(baseline, &warm, 1, 200000, &err)
                             : NULL;
        if (s == NULL) {
            fprintf(stderr, "bench_whatif: %s\n", err.message);
            return 1;
        }
        store_sweep_free(s);
    }
    for (int round = 0; round < ROUNDS && PART("planner"); round++) {
        double v = 0.7 + 0.01 * round;
        double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
        store_sweep *s = store_sweep_continue(baseline, &v, 1, 200000, &err);
        if (s == NULL) {
            fprintf(stderr, "bench_whatif: %s\n", err.message);
            return 1;
        }
        strbuf b = {0};
        store_sweep_write_json(s, &b);
        cpu[round] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        wall[round] = now_ms(CLOCK_MONOTONIC) - w0;
        if (round == 0)
            printf("  planner: %zu bytes of JSON, %zu changes\n", b.len, store_sweep_nflips(s));
        strbuf_cleanup(&b);
        store_sweep_free(s);
    }
    store_sweep_free(baseline);
    snprintf(what, sizeof what, "planner update (API: file value, then V) x %d", n);
    if (PART("planner"))
        report(what, wall, cpu, ROUNDS, "target < 200 ms, + HTTP");

    double values[100];
    for (int i = 0; i < 100; i++)
        values[i] = (i + 1) / 100.0;
    snprintf(what, sizeof what, "sweep, 100 values x %d", n);
    if (PART("sweep") &&
        time_sweeps(facts, rules, values, 100, false, ROUNDS, what, "target < 1 s", "sweep") != 0)
        return 1;
    snprintf(what, sizeof what, "sweep, every value in full (before), x %d", n);
    if (PART("sweep") &&
        time_sweeps(facts, rules, values, 100, true, 3, what, "the reference", NULL) != 0)
        return 1;

    for (int t = 0; t < eng_rules_threshold_count(rules) && PART("check"); t++) {
        const char *name = eng_rules_threshold_name(rules, t);
        double top = 2 * eng_rules_threshold_value(rules, t);
        if (top < 2)
            top = 2;
        double v[100];
        for (int i = 0; i < 100; i++) { /* as the CLI gives them: 15 significant digits */
            char text[32];
            snprintf(text, sizeof text, "%.15g", top * i / 99);
            v[i] = strtod(text, NULL);
        }
        store_sweep *a = store_sweep_run(facts, rules, name, v, 100, STORE_SWEEP_MAX_FLIPS, &err);
        store_sweep *b =
            a != NULL ? store_sweep_run_full(facts, rules, name, v, 100, STORE_SWEEP_MAX_FLIPS, &err)
                      : NULL;
        if (a == NULL || b == NULL) {
            fprintf(stderr, "bench_whatif: %s\n", err.message);
            return 1;
        }
        strbuf ja = {0}, jb = {0};
        store_sweep_write_json(a, &ja);
        store_sweep_write_json(b, &jb);
        bool same = ja.len == jb.len && memcmp(ja.data, jb.data, ja.len) == 0;
        printf("check thresholds.%s 0..%g (100 values): %zu changes; incremental %s full passes%s%s\n",
               name, top, store_sweep_nflips(b), same ? "==" : "DIFFERS FROM",
               store_sweep_full_reason(a) ? "; took full passes: " : "",
               store_sweep_full_reason(a) ? store_sweep_full_reason(a) : "");
        strbuf_cleanup(&ja);
        strbuf_cleanup(&jb);
        store_sweep_free(a);
        store_sweep_free(b);
        if (!same)
            return 1;
    }

    store_facts_free(facts);
    eng_rules_free(rules);
    eng_diags_free(d);
    eng_schema_free(schema);
    PQfinish(c);
    return 0;
}
