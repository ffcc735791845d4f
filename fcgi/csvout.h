/* csvout.h - any JSON list the API returns, as CSV for Excel (store/csvw.h's CSVW_EXCEL: UTF-8 with
 * a BOM, CRLF).
 *
 * The columns are the keys of the items, nested objects flattened to "parent.child"; arrays of
 * strings are joined with ';', arrays of objects by their "id" (or "code", or "name"). Strings are
 * text cells (formula-looking ones neutralised by csvw), JSON numbers number cells. Hand-flattening
 * keeps one CSV shape per JSON shape, so the two never drift.
 */
#ifndef HYOKA_FCGI_CSVOUT_H
#define HYOKA_FCGI_CSVOUT_H

#include <jansson.h>
#include <stddef.h>

/* Returns a malloc'd CSV document of `items` (an array of objects; columns from the first one)
 * with its length in *len: a header row, then one row per item. */
char *csvout_items(const json_t *items, size_t *len);

#endif
