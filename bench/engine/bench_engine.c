/* bench_engine.c - evaluates N synthetic initiatives (default 1,000,000; facts from a fixed-seed
 * PRNG, about 10 % of each fact null) with a rule set (default config/rules/default.cfg) and
 * prints ns per initiative without and with explanations, and the allocations counted while
 * evaluating, and a digest of the results: evaluate (the register VM) and explain (the same VM,
 * traced) must give the same ones, else the exit status is 1. A benchmark, not a test: it prints numbers
 * and the command that produced them.
 *
 *   bench_engine [RULES [N [--no-explain] [--no-symbols]]]
 *
 * --no-explain: for profiling evaluate alone. String facts carry symbols (eng_symtab: each text
 * interned once, as a reader of facts does); --no-symbols: plain eng_str values, looked up by
 * their text on every evaluation.
 */
#include "alloc_count.h"
#include "engine.h"
#include "ruleset.h" /* only to say which VM eng_evaluate runs on */
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK                                                                                      \
    512 /* initiatives generated at a time (not timed), then evaluated (timed); small              \
         * enough to stay in cache, as one row fetched from the database would be */

/* xorshift64*: a fixed seed, so every run evaluates the same initiatives */
static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t next(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717u;
}

static double uniform(void)
{
    return (double)(next() >> 11) / 9007199254740992.0;
}

static const char *const departments[] = {"情報政策課", "市民課", "情報政策課、市民課", "観光課",
                                          "商工振興課"};
/* the departments as facts: with symbols (interned once, in main) or without */
static eng_value department_values[5];

/* Fills one initiative's facts: every fact of the schema by type, ~10 % null. */
static void synthesize(const eng_schema *s, eng_value *f)
{
    for (int i = 0; i < eng_schema_count(s); i++) {
        if (uniform() < 0.10) {
            f[i] = eng_null();
            continue;
        }
        switch (eng_schema_type(s, i)) {
        case ENG_NUM: {
            const char *name = eng_schema_name(s, i);
            double u = uniform();
            if (strcmp(name, "months_since_start") == 0)
                f[i] = eng_num((double)(int)(u * 48));
            else if (strcmp(name, "cost_benefit") == 0)
                f[i] = eng_num(u * 3);
            else if (strcmp(name, "kpi_attainment") == 0)
                f[i] = eng_num(u * 1.6 - 0.3);
            else if (strcmp(name, "planned_progress") == 0)
                f[i] = eng_num(u < 0.05 ? 0 : u);
            else
                f[i] = eng_num(u);
            break;
        }
        case ENG_BOOL:
            f[i] = eng_bool(uniform() < 0.7);
            break;
        case ENG_STR:
            f[i] = department_values[next() % 5];
            break;
        default:
            f[i] = eng_null();
            break;
        }
    }
}

/* CPU time of this thread: the machine may be shared, and time spent descheduled is not the
 * engine's. (Wall-clock per initiative is printed too.) */
static double cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* FNV-1a over the fields of a result: the digest of a pass, so that evaluate (register VM) and
 * explain (traced) can be compared without storing a million results. */
static uint64_t digest_add(uint64_t h, const eng_result *r)
{
    uint64_t fields[6];
    memcpy(&fields[5], &r->score, sizeof fields[5]);
    fields[0] = (uint64_t)r->category;
    fields[1] = (uint64_t)r->primary_reason;
    fields[2] = r->reasons;
    fields[3] = r->flags;
    fields[4] = r->has_score;
    if (!r->has_score)
        fields[5] = 0;
    const unsigned char *b = (const unsigned char *)fields;
    for (size_t i = 0; i < sizeof fields; i++)
        h = (h ^ b[i]) * 0x100000001b3u;
    return h;
}

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : HYOKA_SOURCE_DIR "/config/rules/default.cfg";
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_engine [RULES [N [--no-explain] [--no-symbols]]]\n");
        return 1;
    }
    bool explain = true, symbols = true;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--no-explain") == 0)
            explain = false;
        else if (strcmp(argv[i], "--no-symbols") == 0)
            symbols = false;
        else {
            fprintf(stderr, "bench_engine: unknown option '%s'\n", argv[i]);
            return 1;
        }
    }
    eng_symtab *syms = eng_symtab_new(0);
    for (int i = 0; i < 5; i++) {
        department_values[i] = eng_str(departments[i]);
        if (symbols)
            department_values[i] = eng_symtab_intern(syms, department_values[i]);
    }
    eng_schema *schema = eng_schema_new_builtin();
    eng_diags *d = eng_diags_new();
    eng_rules *r = eng_rules_load_file(path, schema, d);
    if (r == NULL) {
        eng_diags_print(d, stderr);
        eng_diags_free(d);
        eng_schema_free(schema);
        eng_symtab_free(syms);
        return 1;
    }
    int nf = eng_schema_count(schema);
    eng_value *facts = xmalloc((size_t)CHUNK * (size_t)nf * sizeof *facts);
    eng_ctx *c = eng_ctx_new(r);
    eng_explanation *e = eng_explanation_new();

    long counts[ENG_MAX_CATEGORIES] = {0}, scored = 0;
    double score_sum = 0, ns_plain = 0, ns_explain = 0, wall_plain = 0, wall_explain = 0;
    long allocs_plain = 0, allocs_explain = 0;
    uint64_t digest[2] = {0xcbf29ce484222325u, 0xcbf29ce484222325u};
    eng_result res, results[CHUNK];
    int passes = explain ? 2 : 1;
    for (int pass = 0; pass < passes; pass++) {
        rng = 0x9E3779B97F4A7C15u; /* both passes see the same initiatives */
        for (long done = 0; done < n; done += CHUNK) {
            long m = n - done < CHUNK ? n - done : CHUNK;
            for (long i = 0; i < m; i++)
                synthesize(schema, facts + i * nf);
            long a0 = alloc_count();
            double t0 = cpu_ns(), w0 = now_ns();
            if (pass == 0) {
                for (long i = 0; i < m; i++)
                    eng_evaluate(c, facts + i * nf, &results[i]);
                ns_plain += cpu_ns() - t0;
                wall_plain += now_ns() - w0;
                allocs_plain += alloc_count() - a0;
                for (long i = 0; i < m; i++) {
                    counts[results[i].category]++;
                    if (results[i].has_score) {
                        scored++;
                        score_sum += results[i].score;
                    }
                    digest[0] = digest_add(digest[0], &results[i]);
                }
            } else {
                for (long i = 0; i < m; i++) {
                    eng_explain(c, facts + i * nf, &res, e);
                    digest[1] = digest_add(digest[1], &res);
                }
                ns_explain += cpu_ns() - t0;
                wall_explain += now_ns() - w0;
                allocs_explain += alloc_count() - a0;
            }
        }
    }

    printf("command:  ");
    for (int i = 0; i < argc; i++)
        printf("%s%s", i ? " " : "", argv[i]);
    printf("   (build type %s, rules %s, sha256 %.12s…)\n", HYOKA_BUILD_TYPE, path,
           eng_rules_sha256(r));
    printf("evaluated on:           the %s VM\n", r->reg != NULL ? "register" : "stack");
    printf("initiatives:            %ld (%d facts each, ~10%% null, fixed seed; string facts %s)\n",
           n, nf, symbols ? "with symbols" : "without symbols");
    printf("evaluate:               %.1f ns CPU per initiative (%.3f s; wall %.1f ns)\n",
           ns_plain / (double)n, ns_plain / 1e9, wall_plain / (double)n);
    if (passes == 2)
        printf("explain:                %.1f ns CPU per initiative (%.3f s; wall %.1f ns)\n",
               ns_explain / (double)n, ns_explain / 1e9, wall_explain / (double)n);
    printf("allocations, evaluate:  %ld\n", allocs_plain);
    if (passes == 2)
        printf("allocations, explain:   %ld (the explanation grows once, then reuses its memory)\n",
               allocs_explain);
    printf("categories:            ");
    for (int i = 0; i < eng_rules_count(r, ENG_KIND_CATEGORY); i++)
        printf(" %s %ld", eng_rules_get(r, ENG_KIND_CATEGORY, i)->id, counts[i]);
    printf("; mean score %.2f over %ld scored\n", scored ? score_sum / (double)scored : 0.0,
           scored);
    printf("results digest:         %016llx", (unsigned long long)digest[0]);
    int status = 0;
    if (passes == 2) {
        status = digest[0] != digest[1];
        printf(status ? " but explain gives %016llx: RESULTS DIFFER\n"
                      : " (explain gives the same results)\n",
               (unsigned long long)digest[1]);
    } else {
        printf("\n");
    }

    eng_explanation_free(e);
    eng_ctx_free(c);
    eng_rules_free(r);
    eng_diags_free(d);
    eng_schema_free(schema);
    eng_symtab_free(syms);
    free(facts);
    return status;
}
