/* csvw.h - the one CSV writer of the tree: every CSV hyoka writes for people (the API's
 * `format=csv`, `hyoka evaluate --format csv`) is written through it.
 *
 * Cells are typed, because a spreadsheet reads them differently (SPEC v1.1 "CSV for
 * spreadsheets"):
 * - a text cell is quoted by libcsv (quotes doubled, line breaks kept inside the quotes) and, if it
 *   begins with '=', '+', '-', '@', TAB or CR, written with a "'" before it, so that Excel,
 *   LibreOffice and Google Sheets show it as text instead of running it as a formula (OWASP "CSV
 *   Injection"). Quoting alone does not stop them: `"=HYPERLINK(...)"` is still a formula. The
 *   stored text is unchanged; only this output carries the "'".
 * - a number cell is the number, unquoted and never neutralised: -1.5 stays a number.
 * - a list cell is a text cell of its items joined with ';' (neutralised as one cell: what counts
 *   is its first character).
 * - header names are written bare when they are plain names ([A-Za-z0-9_.], beginning with a
 *   letter), else as text cells.
 *
 * Ownership: csvw_new returns a writer that the caller frees with csvw_free (which accepts NULL).
 * csvw_data's text belongs to the writer and is valid until its next call;
 * csvw_release hands it over. Out of memory aborts
 * (store/strbuf.h). A writer is not shared between threads.
 */
#ifndef HYOKA_CSVW_H
#define HYOKA_CSVW_H

#include <stddef.h>

typedef struct csvw csvw;

typedef enum csvw_dialect {
    CSVW_EXCEL, /* a UTF-8 BOM first (Excel reads UTF-8 only with it), CRLF line ends (format=csv) */
    CSVW_PLAIN, /* no BOM, LF line ends (`hyoka evaluate --format csv`, read by scripts as well) */
} csvw_dialect;

/* csvw_number's `decimals` for the shortest text of at most 15 significant digits (%.15g, the
 * digits JSON documents for people show: json_eng.h's JENG_PEOPLE_DIGITS). */
#define CSVW_SHORTEST (-1)
#define CSVW_MAX_DECIMALS 17

csvw *csvw_new(csvw_dialect dialect);
void csvw_free(csvw *w);

/* The header row: `n` column names, then the end of the row. */
void csvw_header(csvw *w, const char *const *names, size_t n);
/* A text cell; NULL writes an empty cell. */
void csvw_text(csvw *w, const char *s);
/* A number cell with `decimals` digits after the point (0..CSVW_MAX_DECIMALS) or CSVW_SHORTEST.
 * NaN and infinities, which no spreadsheet reads, write an empty cell. */
void csvw_number(csvw *w, double x, int decimals);
void csvw_integer(csvw *w, long long x);
/* An empty cell (a missing value). */
void csvw_empty(csvw *w);
/* Adds one item to the list cell being built (NULL counts as ""); csvw_list_end writes it, empty
 * if no item was added. */
void csvw_list_item(csvw *w, const char *s);
void csvw_list_end(csvw *w);
/* Ends the current row. */
void csvw_row_end(csvw *w);

/* The document written so far and its length in *len (NUL-terminated as well). */
const char *csvw_data(const csvw *w, size_t *len);
/* Frees the writer and returns its document (malloc'd, NUL-terminated; the caller frees it) with
 * its length in *len. */
char *csvw_release(csvw *w, size_t *len);

#endif
