/* expr.c - eng_eval_expression: compile and run one expression against a fact schema (for tests
 * and tools; rule sets compile their expressions through rules.c). */
#include "expr_impl.h"
#include "ruleset.h"

#include <stdlib.h>

typedef struct schema_scope {
    const eng_schema *schema;
    const char **names; /* eng_schema_name of every slot, for "did you mean" */
    int count;
} schema_scope;

static int schema_resolve(void *ud, const char *name, expr_name *out)
{
    const schema_scope *sc = ud;
    memset(out, 0, sizeof *out);
    int slot = eng_schema_find(sc->schema, name);
    if (slot < 0) {
        out->status = EXPR_NAME_UNKNOWN;
        return 0;
    }
    eng_type t = eng_schema_type(sc->schema, slot);
    if (t == ENG_OPAQUE) {
        const char *kind = eng_schema_opaque_type(sc->schema, slot);
        out->status = EXPR_NAME_OPAQUE;
        snprintf(out->later, sizeof out->later, "'%s' is a %s column and cannot be used in rules",
                 name, kind ? kind : "non-rule");
        return 0;
    }
    out->status = EXPR_NAME_OK;
    out->slot = slot;
    out->type = t;
    return 0;
}

static int schema_names(void *ud, const char *const **names)
{
    const schema_scope *sc = ud;
    *names = sc->names;
    return sc->count;
}

int eng_eval_expression(const char *expr, const eng_schema *schema, const eng_value *facts,
                        eng_value *out, eng_diags *diags)
{
    /* A string result is copied here: it may point into the program, which is freed below. */
    static char *result_text;

    schema_scope sc = {schema, NULL, eng_schema_count(schema)};
    sc.names = xcalloc((size_t)sc.count, sizeof *sc.names);
    for (int i = 0; i < sc.count; i++)
        sc.names[i] = eng_schema_name(schema, i);
    expr_scope scope = {schema_resolve, schema_names, &sc};
    expr_prog *p = expr_compile(expr, &scope, ENG_NULL, "<expr>", 1, diags);
    free(sc.names);
    if (!p)
        return -1;
    double *scratch = xcalloc((size_t)expr_scratch_size(p), sizeof *scratch);
    eng_value v = expr_eval(p, facts, scratch);
    free(scratch);
    if (v.type == ENG_STR) {
        char *copy = xrealloc(result_text, v.as.str.len + 1);
        memcpy(copy, v.as.str.ptr, v.as.str.len);
        copy[v.as.str.len] = '\0';
        result_text = copy;
        v.as.str.ptr = copy;
    }
    expr_free(p);
    *out = v;
    return 0;
}
