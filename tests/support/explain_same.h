/* explain_same.h - for the engine's differential tests: two explanations of one evaluation (the
 * rule set's traced register program and the rule-by-rule loop's) step by step: kind, rule, result, inputs (names,
 * values, bit for bit) and text. Header-only (static), included by tests/engine/test_regvm.c and
 * tests/fuzz/fuzz_rules.c. */
#ifndef HYOKA_TESTS_EXPLAIN_SAME_H
#define HYOKA_TESTS_EXPLAIN_SAME_H

#include "engine.h"

#include <stdbool.h>
#include <string.h>

static bool explain_same_value(eng_value a, eng_value b)
{
    if (a.type != b.type)
        return false;
    switch (a.type) {
    case ENG_NUM:
        return memcmp(&a.as.num, &b.as.num, sizeof a.as.num) == 0;
    case ENG_BOOL:
        return a.as.b == b.as.b;
    case ENG_STR:
        return a.as.str.len == b.as.str.len &&
               (a.as.str.len == 0 || memcmp(a.as.str.ptr, b.as.str.ptr, a.as.str.len) == 0);
    default:
        return true;
    }
}

/* The index of the first step where a and b differ (count if one is longer), or -1. */
static int explain_first_difference(const eng_explanation *a, const eng_explanation *b)
{
    int n = eng_explanation_count(a), m = eng_explanation_count(b);
    for (int i = 0; i < n && i < m; i++) {
        const eng_step *x = eng_explanation_get(a, i), *y = eng_explanation_get(b, i);
        if (x->kind != y->kind || strcmp(x->id, y->id) != 0 || x->line != y->line ||
            !explain_same_value(x->result, y->result) || x->ninputs != y->ninputs ||
            strcmp(x->text, y->text) != 0)
            return i;
        for (int j = 0; j < x->ninputs; j++)
            if (strcmp(x->inputs[j].name, y->inputs[j].name) != 0 ||
                !explain_same_value(x->inputs[j].value, y->inputs[j].value))
                return i;
    }
    return n == m ? -1 : (n < m ? n : m);
}

#endif
