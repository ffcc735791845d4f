/* bench_expr.c - micro benchmark of expr_eval (the register VM) on a typical `when`: prints ns
 * per run (a number to quote, not a test). Usage: bench_expr [iterations]  (default 5,000,000; bounded, ~0.1 s). */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int resolve(void *ud, const char *name, expr_name *out)
{
    (void)ud;
    memset(out, 0, sizeof *out);
    out->status = EXPR_NAME_OK;
    out->type = ENG_NUM;
    if (strcmp(name, "reasons") == 0) {
        out->slot = 0;
    } else if (strcmp(name, "progress_ratio") == 0) {
        out->slot = 1;
    } else if (strcmp(name, "thresholds.on_track_ratio") == 0) {
        out->is_const = true;
        out->constant = eng_num(0.9);
    } else {
        out->status = EXPR_NAME_UNKNOWN;
    }
    return 0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 5000000;
    if (iterations <= 0 || iterations > 1000000000L) {
        fprintf(stderr, "bench_expr: iterations must be 1 .. 1000000000\n");
        return 2;
    }
    const char *src = "reasons == 0 && progress_ratio >= thresholds.on_track_ratio";
    expr_scope scope = {resolve, NULL, NULL};
    eng_diags *d = eng_diags_new();
    expr_prog *p = expr_compile(src, &scope, ENG_BOOL, "bench", 1, d);
    if (!p) {
        eng_diags_print(d, stderr);
        return 1;
    }
    eng_value slots[2];
    double *scratch = calloc((size_t)expr_scratch_size(p), sizeof *scratch);
    if (!scratch)
        return 1;
    long matched = 0;
    double t0 = now();
    for (long i = 0; i < iterations; i++) {
        slots[0] = eng_num((double)(i & 1));
        slots[1] = eng_num((double)(i % 100) / 100.0);
        eng_value v = expr_eval(p, slots, scratch);
        matched += v.type == ENG_BOOL && v.as.b;
    }
    double t = now() - t0;
    printf("expr_eval \"%s\": %d register instructions, %.1f ns/run over %ld runs (%ld "
           "matched)\n",
           src, expr_reg_code_size(p), t * 1e9 / (double)iterations, iterations, matched);
    free(scratch);

    /* eng_round: the fast path (most values) and the decimal algorithm (values at a half). */
    double sum = 0;
    t0 = now();
    for (long i = 0; i < iterations; i++)
        sum += eng_round((double)(i % 10007) * 0.0123, 1);
    double fast = (now() - t0) * 1e9 / (double)iterations;
    long exact_runs = iterations / 10 > 0 ? iterations / 10 : 1;
    t0 = now();
    for (long i = 0; i < exact_runs; i++)
        sum += eng_round((double)(i % 1000) + 0.25, 1);
    double slow = (now() - t0) * 1e9 / (double)exact_runs;
    printf("eng_round(x, 1): %.1f ns typical, %.1f ns at a half (checksum %.1f)\n", fast, slow,
           sum);
    expr_free(p);
    eng_diags_free(d);
    return 0;
}
