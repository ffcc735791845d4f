/* fact_display.h - a fact's value written for a person (進捗率 79 %, 予算 1,200,000 円,
 * 期限まで 365 日, はい): the one place that turns a stored fact into the text the API's
 * initiative detail gives (`fact_display`), so that no view computes a figure of its own. */
#ifndef HYOKA_FACT_DISPLAY_H
#define HYOKA_FACT_DISPLAY_H

#include "engine.h"

#include <jansson.h>
#include <stddef.h>

/* The text of one value for a display kind of fact_labels (sql/016: percent, yen, count, number,
 * score, due_days, yes_no, category, text) and a unit (NULL: none). Returns buf (a figure with its
 * unit, which a unit of up to ~100 bytes always fits in 256) or a constant or string owned by
 * `value` or `rules` (text is never cut). `rules` (may be NULL) gives a category id its label. A
 * null value is 値なし; a value whose JSON type does not fit the kind, or a NULL or unknown kind,
 * is written by its type (a number with up to four decimals, a boolean はい/いいえ, text as is).
 * Numbers are rounded half away from zero on the decimal value (eng_round). */
const char *fact_display_text(const json_t *value, const char *display, const char *unit,
                              const eng_rules *rules, char *buf, size_t len);

/* [{"name", "label", "unit", "display", "value", "text"}] for every fact of `schema` (the run's
 * stored fact schema), `facts` being the stored facts object (name → value; a missing name is
 * null). Facts with a position come first, in that order, then the others in schema order;
 * "label" is the name and "unit"/"display" null where the schema has none. Returns a new
 * reference; never NULL (aborts when out of memory). */
json_t *fact_display_list(const eng_schema *schema, const json_t *facts, const eng_rules *rules);

#endif
