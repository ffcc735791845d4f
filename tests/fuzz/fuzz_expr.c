/* fuzz_expr.c - libFuzzer target for the expression compiler: compiles arbitrary bytes against a
 * small scope (every type, a name of unknown type, constants, a "later" and an opaque name) and,
 * when they compile, runs the program on a few fact vectors (expr_eval, the register VM, plain
 * and traced), checking its promises: the
 * result has the program's static type or is null, numbers are finite, diagnostics print. Then
 * every function of functions.h's table is called on what the input computes (so a new function
 * is fuzzed by its row alone): the compiled call must give what val_call gives on the input's
 * value. */
#include "expr_impl.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { F_NUM, F_NUM2, F_STR, F_BOOL, F_ANY, NFACTS };

static const char *const names[] = {
    "x", "y", "s", "b", "any", "thresholds.k", "thresholds.t", "flag.later", "due"};

static int resolve(void *ud, const char *name, expr_name *out)
{
    (void)ud;
    memset(out, 0, sizeof *out);
    out->status = EXPR_NAME_OK;
    static const eng_type types[] = {ENG_NUM, ENG_NUM, ENG_STR, ENG_BOOL, ENG_NULL};
    for (int i = 0; i < NFACTS; i++) {
        if (strcmp(name, names[i]) == 0) {
            out->slot = i;
            out->type = types[i];
            return 0;
        }
    }
    if (strcmp(name, "thresholds.k") == 0) {
        out->is_const = true;
        out->constant = eng_num(0.5);
        out->type = ENG_NUM;
    } else if (strcmp(name, "thresholds.t") == 0) {
        out->is_const = true;
        out->constant = eng_str("順調");
        out->type = ENG_STR;
    } else if (strcmp(name, "flag.later") == 0) {
        out->status = EXPR_NAME_LATER;
        snprintf(out->later, sizeof out->later, "'%s' is available later", name);
    } else if (strcmp(name, "due") == 0) {
        out->status = EXPR_NAME_OPAQUE;
        snprintf(out->later, sizeof out->later, "'%s' is a date", name);
    } else {
        out->status = EXPR_NAME_UNKNOWN;
    }
    return 0;
}

static int scope_names(void *ud, const char *const **out)
{
    (void)ud;
    *out = names;
    return (int)(sizeof names / sizeof names[0]);
}

static void check(bool ok)
{
    if (!ok)
        abort(); /* libFuzzer reports it as a crash with the input */
}

/* Compiles f(src, src, ...) with the fewest arguments f takes (a decimals argument 1) and checks
 * that it runs to what the row's implementation gives on the value of src alone (`inner`). */
static void check_call(int f, const char *src, size_t size, const expr_scope *scope,
                       const expr_prog *inner, const eng_value *const *vectors, int nvectors)
{
    const expr_function *fn = &expr_functions[f];
    eng_type t = expr_type(inner);
    if (fn->kind == FK_NUM && t != ENG_NUM && t != ENG_NULL)
        return;
    size_t cap = (size + 4) * 3 + 32;
    char *call = xmalloc(cap);
    size_t len;
    len = (size_t)snprintf(call, cap, "%s(", fn->name);
    for (int i = 0; i < fn->min_args; i++) {
        if (i)
            len += (size_t)snprintf(call + len, cap - len, ", ");
        if (i == fn->decimals)
            len += (size_t)snprintf(call + len, cap - len, "1");
        else
            len += (size_t)snprintf(call + len, cap - len, "(%s)", src);
    }
    snprintf(call + len, cap - len, ")");
    eng_diags *d = eng_diags_new();
    expr_prog *p = expr_compile(call, scope, ENG_NULL, "fuzz.cfg", 1, d);
    if (p != NULL) {
        int n = expr_scratch_size(p) > expr_scratch_size(inner) ? expr_scratch_size(p)
                                                                 : expr_scratch_size(inner);
        double *scratch = xcalloc((size_t)n, sizeof *scratch);
        for (int v = 0; v < nvectors; v++) {
            eng_value x = expr_eval(inner, vectors[v], scratch);
            eng_value args[3] = {x, x, x};
            if (fn->decimals >= 0 && fn->decimals < 3)
                args[fn->decimals] = eng_num(1);
            eng_value want = val_call((expr_fn)f, args, fn->min_args);
            eng_value got = expr_eval(p, vectors[v], scratch);
            check(got.type == want.type);
            check(got.type != ENG_NUM || memcmp(&got.as.num, &want.as.num, sizeof got.as.num) == 0);
            check(got.type != ENG_BOOL || got.as.b == want.as.b);
            check(got.type != ENG_STR || (got.as.str.len == want.as.str.len &&
                                          memcmp(got.as.str.ptr, want.as.str.ptr,
                                                 got.as.str.len) == 0));
        }
        free(scratch);
        expr_free(p);
    }
    eng_diags_free(d);
    free(call);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull)
        devnull = fopen("/dev/null", "w");
    char *src = xmalloc(size + 1);
    memcpy(src, data, size);
    src[size] = '\0'; /* libconfig strings end at the first NUL: so does the expression */

    const eng_value vectors[][NFACTS] = {
        {eng_num(0.42), eng_num(0), eng_str("on_track"), eng_bool(true), eng_num(7)},
        {eng_null(), eng_null(), eng_null(), eng_null(), eng_null()},
        {eng_num(-1e308), eng_num(1e-308), eng_str(""), eng_bool(false), eng_str("x")},
        {eng_num(NAN), eng_num(INFINITY), eng_str("順調"), eng_bool(false), eng_bool(true)},
    };
    expr_scope scope = {resolve, scope_names, NULL};
    static const eng_type wants[] = {ENG_NULL, ENG_BOOL, ENG_NUM};
    for (size_t w = 0; w < sizeof wants / sizeof wants[0]; w++) {
        eng_diags *d = eng_diags_new();
        expr_prog *p = expr_compile(src, &scope, wants[w], "fuzz.cfg", 1, d);
        check((p == NULL) == (eng_diags_errors(d) > 0));
        for (int i = 0; i < eng_diags_count(d); i++) {
            const eng_diag *g = eng_diags_get(d, i);
            check(g->message[0] != '\0' && g->line == 1 && g->col >= 0);
            check(g->col == 0 || g->span >= 1);
        }
        if (devnull)
            eng_diags_print(d, devnull);
        if (p) {
            eng_type t = expr_type(p);
            check(wants[w] == ENG_NULL || t == wants[w] || t == ENG_NULL);
            int n = expr_scratch_size(p);
            check(n >= 1 && n <= 8 * ENG_MAX_EXPR_LEN);
            double *scratch = xcalloc((size_t)n, sizeof *scratch);
            const expr_ref *refs;
            int nrefs = expr_refs(p, &refs);
            bool *reads = xcalloc((size_t)nrefs + 1, sizeof *reads);
            for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
                eng_value r = expr_eval(p, vectors[v], scratch);
                eng_value r2 = expr_eval_traced(p, vectors[v], scratch, reads);
                check(r.type == r2.type);
                check(r.type == ENG_NULL || t == ENG_NULL || r.type == t);
                check(r.type != ENG_NUM || isfinite(r.as.num));
                char buf[64];
                check(eng_value_format(r, buf, sizeof buf) > 0 && buf[0] != '\0');
            }
            for (int i = 0; i < nrefs; i++)
                check(refs[i].offset >= 0 && refs[i].offset + refs[i].len <= (int)size);
            if (wants[w] == ENG_NULL && strlen(src) * 3 + 64 <= ENG_MAX_EXPR_LEN) {
                const eng_value *vs[] = {vectors[0], vectors[1], vectors[2], vectors[3]};
                for (int f = 0; f < FN__COUNT; f++)
                    check_call(f, src, size, &scope, p, vs, 4);
            }
            free(reads);
            free(scratch);
            expr_free(p);
        }
        eng_diags_free(d);
    }
    free(src);
    return 0;
}
