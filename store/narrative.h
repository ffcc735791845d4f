/* narrative.h - the planning office's text of a survey's report (report_texts.csv): what the
 * import checks and writes, and what the report reads back.
 *
 * report_texts.csv has the columns survey_code, kind, text, kpi_codes. Each row is one line of a
 * survey's narrative, in file order; `kind` is one of (Japanese aliases in parentheses):
 *   title     (表題)       the report's title (at most one per survey; default from the plan)
 *   theme     (テーマ)     starts a theme of section 4 主な取組と成果; text is its heading
 *   paragraph (本文)       a paragraph of the current theme
 *   figure    (指標)       a figure of the current theme: text is its label, kpi_codes the KPIs
 *                          (separated by ';' or '、') whose values the report quotes under it
 *   projects  (官民連携)   the public-private projects (projects.csv) as a table, in this theme
 *   outlook   (今後の方向性) a paragraph of section 7 今後の取組の方向性
 * A paragraph, figure or projects row belongs to the last theme row above it of the same survey.
 * Importing the file replaces the narrative of every survey it names (rows are matched by their
 * position within the survey: a re-import of the same file changes nothing); other surveys keep
 * theirs. store/import.c reads and checks the cells like every other file; the cross-row checks
 * and the write are here.
 */
#ifndef HYOKA_NARRATIVE_H
#define HYOKA_NARRATIVE_H

#include <stddef.h>

#include "store.h"

#define NARRATIVE_FILE "report_texts.csv"
#define NARRATIVE_TMP "imp_report_texts" /* the import's temporary table */

/* The stored id of a kind written `s` (an id, case-insensitive, or its Japanese alias), or NULL. */
const char *narrative_kind(const char *s);
/* "title, theme, ... or outlook; in Japanese 表題, ... or 今後の方向性" for messages. */
const char *narrative_kinds_text(void);

/* The cross-row checks over NARRATIVE_TMP (columns row, survey_code, kind, text, kpi_codes; lists
 * joined by U+001F): each query returns (row, value...) for the bad rows, to be reported at the
 * file's column `column` (0 survey_code, 1 kind, 2 text, 3 kpi_codes) as `fmt` (English, for
 * gettext) with the values for its %s. */
typedef struct narrative_check {
    int column;
    const char *fmt;
    const char *sql;
} narrative_check;
extern const narrative_check NARRATIVE_CHECKS[];
extern const size_t NARRATIVE_NCHECKS;

/* Writes the checked rows of NARRATIVE_TMP (inside the import's transaction): every named survey's
 * narrative becomes the file's rows. Counts the rows written as new, updated, unchanged (by
 * position) and the stored rows removed. Returns 0, or -1 with err set (STORE_EDB). */
int narrative_apply(PGconn *c, long *inserted, long *updated, long *removed, store_error *err);

/* The narrative of survey `survey_id` (decimal text), in order: columns kind, text (NULL for
 * projects), kpi codes joined by U+001F (NULL unless a figure). At most `max_rows` rows (one more
 * is read, so the caller can tell). Returns the result (caller PQclears), or NULL with err set. */
PGresult *narrative_read(PGconn *c, const char *survey_id, int max_rows, store_error *err);

#endif
