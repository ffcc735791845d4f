/* report.h - the yearly progress report of a survey (in the shape of the seed report), generated
 * from the database and the survey's newest stored evaluation run, as Markdown or HTML. */
#ifndef HYOKA_REPORT_H
#define HYOKA_REPORT_H

#include "store.h"

/* Rows of any one list in the report: a printed report is not the place for more (the API and
 * `hyoka evaluate --format csv` give every row). A longer list is cut and the report says so. */
#define REPORT_MAX_ROWS 5000

/* Returns the report as a malloc'd NUL-terminated UTF-8 document (caller frees), or NULL with err:
 * STORE_EUSER for a format other than "md" / "html", STORE_ENOTFOUND for an unknown survey or a
 * survey without a stored run, STORE_EDB for database failures. survey_code NULL: the survey with
 * the latest as_of. The HTML is self-contained (inline CSS, prints on A4) and escapes all data. */
char *store_report(PGconn *c, const char *survey_code, const char *format, store_error *err);

#endif
