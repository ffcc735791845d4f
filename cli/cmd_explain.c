/* cmd_explain.c - `hyoka explain CODE`: one initiative's stored evaluation in the terminal: its
 * category, reasons, flags, score and recommendations, then one sentence per rule evaluated with
 * its file:line, and what one fact would have to be for a better category
 * (store/counterfactuals.h). Everything comes from store_explain_in, the function behind the
 * API's initiative detail, so the terminal and the page read the same sentences. */
#include "i18n.h"
#include "runs.h"

#include "evaluate.h"
#include "json_eng.h"
#include "read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The words around the data, in the explanation's language. */
typedef struct words {
    const char *initiative, *survey, *run, *rules, *category, *reasons, *flags, *score, *none,
        *recommendations, *explanation, *open, *sep, *close, *colon;
} words;

static const words ja = {"取組", "調査", "評価",       "ルール", "分類", "理由", "注意表示", "点数",
                         "なし", "対応", "評価の理由", "（",     "、",   "）",   "："};
static const words en = {"initiative",  "survey", "run",   "rules", "category",
                         "reasons",     "flags",  "score", "none",  "recommendations",
                         "explanation", " (",     ", ",    ")",     ": "};

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

/* "label (id)" for every {id, label[, severity]} of arr, or the word for none. */
static void print_labelled(const words *w, const json_t *arr)
{
    if (json_array_size(arr) == 0) {
        fputs(w->none, stdout);
        return;
    }
    size_t i;
    const json_t *x;
    json_array_foreach(arr, i, x)
    {
        printf("%s%s%s%s", i > 0 ? w->sep : "", str(x, "label"), w->open, str(x, "id"));
        if (json_object_get(x, "severity") != NULL)
            printf("%s%s", w->sep, str(x, "severity"));
        fputs(w->close, stdout);
    }
}

/* What would it take: the sentences of the facts that alone give a better category, then, per
 * better category no single fact gives, one line saying so. */
static void print_counterfactuals(bool in_ja, const json_t *list)
{
    if (json_array_size(list) == 0)
        return;
    printf("%s\n", in_ja ? "何が変われば改善するか：" : "what would it take:");
    size_t i;
    const json_t *x;
    json_array_foreach(list, i, x)
        if (json_is_true(json_object_get(x, "found")))
            printf("  - %s\n", str(x, "text"));
    /* categories in the order the list gives them; one line for those no fact reaches */
    json_array_foreach(list, i, x)
    {
        const char *cat = str(x, "category");
        bool first = true, any = false;
        size_t j;
        const json_t *y;
        json_array_foreach(list, j, y)
        {
            if (strcmp(str(y, "category"), cat) != 0)
                continue;
            if (j < i)
                first = false;
            any = any || json_is_true(json_object_get(y, "found"));
        }
        if (first && !any)
            printf(in_ja ? "  - どの項目もひとつ変えるだけでは『%s』になりません\n"
                         : "  - no single fact changes it to %s\n",
                   str(x, "category_label"));
    }
}

static void print_text(const json_t *doc, const char *code)
{
    const words *w = strcmp(str(doc, "language"), "ja") == 0 ? &ja : &en;
    const json_t *run = json_object_get(doc, "run"), *ev = json_object_get(doc, "evaluation");
    printf("%s %s%s%s %s%s%s %" JSON_INTEGER_FORMAT "%s%s %s%s\n", w->initiative, code, w->open,
           w->survey, str(run, "survey"), w->sep, w->run,
           json_integer_value(json_object_get(run, "id")), w->sep, w->rules,
           str(run, "rules_version"), w->close);

    const json_t *cat = json_object_get(ev, "category");
    printf("%s%s%s%s%s%s\n", w->category, w->colon, str(cat, "label"), w->open, str(cat, "id"),
           w->close);
    printf("%s%s", w->reasons, w->colon);
    print_labelled(w, json_object_get(ev, "reasons"));
    printf("\n%s%s", w->flags, w->colon);
    print_labelled(w, json_object_get(ev, "flags"));
    const json_t *score = json_object_get(ev, "score");
    if (json_is_number(score))
        printf("\n%s%s%.1f\n", w->score, w->colon, json_number_value(score));
    else
        printf("\n%s%s%s\n", w->score, w->colon, w->none);
    const json_t *recs = json_object_get(ev, "recommendations");
    if (json_array_size(recs) > 0) {
        printf("%s%s\n", w->recommendations, w->colon);
        size_t i;
        const json_t *x;
        json_array_foreach(recs, i, x)
            printf("  - %s\n", json_string_value(x) != NULL ? json_string_value(x) : "");
    }
    printf("%s%s\n", w->explanation, w->colon);
    size_t i;
    const json_t *step;
    json_array_foreach(json_object_get(doc, "explanation"), i, step)
        printf("  %2zu. %s\n", i + 1, str(step, "text"));
    print_counterfactuals(w == &ja, json_object_get(doc, "counterfactuals"));
}

int cmd_explain(const cli_opts *o)
{
    const char *format = o->format != NULL ? o->format : "text";
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, _("hyoka explain: --format '%s': expected text or json\n"), format);
        return CLI_EUSER;
    }
    long long run_id = 0;
    if (o->run != NULL) {
        char *end;
        errno = 0;
        run_id = strtoll(o->run, &end, 10);
        if (o->run[0] < '0' || o->run[0] > '9' || *end != '\0' || errno != 0 || run_id <= 0) {
            fprintf(stderr, _("hyoka explain: --run '%s': expected a run id (a positive number)\n"),
                    o->run);
            return CLI_EUSER;
        }
    }
    const char *code = o->args[0];
    int rc = CLI_OK;
    char *config_rules = NULL;
    PGconn *c = runs_connect(o, "explain", false, &config_rules, &rc);
    if (c == NULL)
        return rc;
    free(config_rules);
    store_error err = {0};
    json_t *doc = NULL;
    long long id = 0;
    if (store_read_run(c, o->survey, run_id, &id, &err) == STORE_RUN_FOUND)
        doc = store_explain_in(c, id, code, NULL, &err);
    PQfinish(c);
    store_explain_cache_clear();
    if (doc == NULL) {
        fprintf(stderr, _("hyoka explain: %s\n"), err.message);
        return store_exit_code(err.status);
    }
    if (strcmp(format, "json") == 0) {
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        fputc('\n', stdout);
    } else
        print_text(doc, code);
    json_decref(doc);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("hyoka explain: writing the output");
        return CLI_EENV;
    }
    return CLI_OK;
}
