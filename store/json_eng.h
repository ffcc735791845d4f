/* json_eng.h - the engine's values, facts, results, summaries and explanations as jansson JSON, in
 * the shapes of the HTTP API (SPEC "HTTP API"), shared by store/ (runs, explain) and fcgi/.
 *
 * Ownership: every function returning json_t * returns a NEW reference the caller releases with
 * json_decref; none of them steals a reference of its arguments. Strings are copied.
 *
 * Numbers: a double that is an integer within 2^53 becomes a JSON integer, other finite doubles a
 * JSON real, NaN and infinities null. Serialise documents for people with JENG_DUMP_FLAGS (15
 * significant digits, so 78.1 prints as 78.1, not 78.099999999999994). Stored facts are written
 * by jeng_facts_write with the fewest digits (at most 17) that parse back to the very same
 * doubles, which store_explain needs to regenerate a stored result exactly; JENG_STORE_FLAGS is
 * jansson's exact equivalent (17 digits).
 */
#ifndef HYOKA_JSON_ENG_H
#define HYOKA_JSON_ENG_H

#include "engine.h"
#include "strbuf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>

/* jansson returns NULL when out of memory; the tree aborts then (engine/xalloc.h's policy):
 * jeng_must(json_pack(...)) is a value, never NULL. */
static inline json_t *jeng_must(json_t *j)
{
    if (j == NULL)
        abort();
    return j;
}

/* json_dumps, never NULL (for the values the tree dumps, jansson fails only when out of memory);
 * the caller frees the text. */
static inline char *jeng_dumps(const json_t *j, size_t flags)
{
    char *s = json_dumps(j, flags);
    if (s == NULL)
        abort();
    return s;
}

#define JENG_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))
#define JENG_STORE_FLAGS (JSON_COMPACT)

/* Counts of one run's results, for the summary. The caller owns it; zero it to start. */
typedef struct jeng_tally {
    long total;
    long categories[ENG_MAX_CATEGORIES];
    long reasons[ENG_MAX_REASONS]; /* primary reasons */
    long flags[ENG_MAX_FLAGS];     /* initiatives carrying the flag */
} jeng_tally;

void jeng_tally_add(jeng_tally *t, const eng_result *res);

json_t *jeng_number(double x);
/* null, true/false, number or string (an ENG_STR of invalid UTF-8 becomes null: jansson refuses
 * it, and the view only delivers UTF-8). */
json_t *jeng_value(eng_value v);
/* {"name": value, ...} in schema order; `facts` has eng_schema_count(s) values. */
json_t *jeng_facts(const eng_schema *s, const eng_value *facts);
/* The rule-dependent part of an ITEM: "score", "category" {id,label}, "reasons" [{id,label}],
 * "flags" [{id,label,severity}], "recommendations" [...]. */
json_t *jeng_result(const eng_rules *r, const eng_result *res);

/* The {id,label} objects of a rule set's categories and reasons and the {id,label,severity} of
 * its flags, built once and shared by every result jeng_result_shared makes: for 100,000 results
 * that is 100,000s of objects fewer. Such a result must not be modified (its parts are shared);
 * it outlives the labels safely (references are counted). */
typedef struct jeng_labels jeng_labels;
jeng_labels *jeng_labels_new(const eng_rules *r);
void jeng_labels_free(jeng_labels *l);
/* jeng_result, with the label objects of `l` (made for the same `r`). */
json_t *jeng_result_shared(const eng_rules *r, const jeng_labels *l, const eng_result *res);
/* {"total", "categories", "reasons", "flags"} as SPEC's summary: rule-file order, zero counts
 * included, percent = eng_round(count / total * 100, 1), 0.0 when total is 0. */
json_t *jeng_summary(const eng_rules *r, const jeng_tally *t);
/* The number of initiatives counted under a reason in a summary: the sum of its primary-reason
 * counts (each initiative has at most one primary reason). The reasons tables' 合計 (API, page,
 * report). */
long jeng_summary_reasons_total(const json_t *summary);
/* The rule set's catalog as stored in rule_sets.catalog (docs/contracts.md). */
json_t *jeng_catalog(const eng_rules *r);
/* [{"name", "type": "number|boolean|string|opaque", and only when the fact has them: "label" (the
 * reader's name explanations use), "unit", "display", "position" (how store/fact_display.c shows
 * the value; sql/016)}] in slot order (evaluation_runs.fact_schema).
 * Opaque columns are not usable in rules, so their SQL type name is not needed to recompile. */
json_t *jeng_schema(const eng_schema *s);
/* Rebuilds a schema from jeng_schema's output; NULL with a message in err if malformed. */
eng_schema *jeng_schema_parse(const json_t *fact_schema, char *err, size_t errlen);
/* Fills `out` (eng_schema_count(s) values) from a facts object: missing or null names give null,
 * opaque facts give null. String values point into `facts` and live as long as it does.
 * Returns 0, or -1 with a message in err when a value's JSON type does not fit the schema. */
int jeng_facts_parse(const json_t *facts, const eng_schema *s, eng_value *out, char *err,
                     size_t errlen);
/* Significant digits of jeng_facts_write's numbers: JENG_EXACT_DIGITS, the fewest (15 to 17) that
 * parse back to the same double, for the stored facts; JENG_PEOPLE_DIGITS, what documents for
 * people show (JENG_DUMP_FLAGS: the API, the CLI's JSON). */
#define JENG_EXACT_DIGITS 17
#define JENG_PEOPLE_DIGITS 15

/* Appends to `b` the facts object as compact JSON text: the same JSON value as jeng_facts() (with
 * `opaque[slot]`, if not NULL, as the string of an opaque fact); non-integer numbers with at most
 * max_digits significant digits (JENG_EXACT_DIGITS: they round-trip exactly; JENG_PEOPLE_DIGITS:
 * the very text jansson dumps with JENG_DUMP_FLAGS). `number_text[slot]`, if not NULL, is the
 * decimal text the number fact was parsed from (the view's column): a plain one (no exponent, no
 * trailing zeros, at most 15 digits) is written as it is, "0.83" rather than
 * "0.82999999999999996"; it parses back to the same double and is what %.15g prints too.
 * A streaming writer because storing a run writes one object per initiative: for 100,000 of them
 * jansson's build-and-dump cost ~0.9 s, this ~0.1 s; the unit test checks it against jansson.
 * Strings that are not valid UTF-8 become null, as in jeng_value, and so do strings with a NUL
 * byte (PostgreSQL cannot store \u0000 in jsonb, nor in text). Either array may be NULL. */
void jeng_facts_write(strbuf *b, const eng_schema *s, const eng_value *facts,
                      const char *const *opaque, const char *const *number_text, int max_digits);

/* One explanation step: {"kind", "id", "source": "file:line", "expression" (null for the
 * catch-all), "inputs": {name: value}, "result", "text"}. */
json_t *jeng_step(const eng_step *st);
/* Every step of an explanation, in evaluation order. */
json_t *jeng_explanation(const eng_explanation *e);

#endif
