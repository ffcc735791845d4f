/* counterfactuals.h - "what would it take" for one initiative as the API's initiative detail and
 * `hyoka explain` give it (`counterfactuals`, docs/api.md): eng_counterfactuals' answers with the
 * facts' labels and texts of store/fact_display.c and one sentence each. */
#ifndef HYOKA_COUNTERFACTUALS_H
#define HYOKA_COUNTERFACTUALS_H

#include "engine.h"

#include <jansson.h>

/* [{"fact", "label", "unit", "display", "value", "value_text", "category", "category_label",
 *   "found", "to", "to_exact", "to_text", "direction", "before", "after", "text"}] for every fact
 * the rules read and every category better than the initiative's (fact order, then category
 * order); [] for an initiative in the first category. `facts` are the values evaluated (as
 * eng_evaluate takes them), `facts_json` the same facts as the stored object (for the texts),
 * `schema` the run's fact schema (labels, units, display kinds), `c` a context of `rules`.
 * `language` "ja" or "en" (NULL: the rule file's). "to" is the nearest value giving the category
 * (a number or a boolean; null when not found), "direction" "at_least", "at_most" or null (a
 * boolean, or 0 for a fact not reported); for numbers "to_exact" and "before"/"after" {"value",
 * "exact", "category"} are the value and the adjacent doubles on each side as evaluated, "exact"
 * being the shortest decimal text that parses back to the very double (the API writes numbers
 * with 15 digits). Returns a new reference; never NULL. */
json_t *store_counterfactuals(const eng_rules *rules, eng_ctx *c, const eng_value *facts,
                              const json_t *facts_json, const eng_schema *schema,
                              const char *language);

#endif
