/* import.h - `hyoka import`: loads the departments' CSV files into the database in one transaction.
 *
 * The files are named by table (measures.csv, initiatives.csv, milestones.csv, surveys.csv,
 * progress.csv, kpis.csv, kpi_values.csv, projects.csv, and plans.csv, departments.csv
 * (store/departments.h) and report_texts.csv (store/narrative.h) beyond the SPEC's eight)
 * and applied in dependency order (plans first) whatever the order given. Every bad cell is
 * reported as `file:row:column: message` (file as given, rows
 * counted as a spreadsheet does, the column named by its header); any error rejects the whole
 * import and nothing is written. See SPEC "Import" and "Precise semantics > Import".
 */
#ifndef HYOKA_IMPORT_H
#define HYOKA_IMPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "store.h"

#define IMPORT_MAX_FILES 11                  /* one of each kind */
#define IMPORT_MAX_FILE_BYTES (256L << 20)   /* a CSV file larger than 256 MiB is refused */
#define IMPORT_MAX_CELL_BYTES 65536          /* one cell, after conversion to UTF-8 */
#define IMPORT_MAX_CODE_BYTES 200            /* codes, keys and list items */
#define IMPORT_MAX_COLUMNS 64                /* cells in a row */
#define IMPORT_MAX_LIST_ITEMS 64             /* departments / initiative codes in one cell */
#define IMPORT_MAX_PRINTED_ERRORS 1000       /* then "... and N more errors" */
#define IMPORT_MAX_KEPT_ERRORS 10000         /* errors kept for sorting; the rest are counted */
/* An import inserting at least this many rows into initiatives, milestones and progress_reports
 * checks their foreign keys once, set-based, instead of row by row (sql/006_bulk_import.sql):
 * ~4 µs a row saved, for ACCESS EXCLUSIVE locks on the roadmap tables until commit. */
#define IMPORT_BULK_ROWS 20000
/* How long a bulk import waits for those locks before it falls back to per-row checks. */
#define IMPORT_BULK_LOCK_TIMEOUT "2s"

/* Imports `files` (paths; their base names say the table) with `encoding` ("utf-8" or NULL, or
 * "cp932" / "shift_jis" / "sjis" / "windows-31j") in one transaction on `c`, which must not be
 * inside a transaction. With `dry_run` everything is validated (including the database's own
 * constraints) and then rolled back (identity sequences may still advance). Bad cells are printed
 * to `diag_out`, one per line, sorted by file (dependency order), row and column; on success one
 * line per file ("measures.csv: 61 rows, 0 new, 2 updated, 59 unchanged") goes to `diag_out`.
 * Imports are serialised by an advisory lock; readers and evaluations are not blocked.
 * Returns 0, or -1 with err set: STORE_EUSER (bad input; its message says how many errors there
 * were and that nothing was imported), STORE_EDB (database failure or unreadable file). */
int store_import(PGconn *c, const char *const *files, int nfiles, const char *encoding,
                 bool dry_run, FILE *diag_out, store_error *err);

/* Reads the `len` bytes of `data` as the file `name` ("measures.csv", ...: the table) in
 * `encoding` exactly as store_import reads a file before it touches the database (decoding, the
 * header, every cell, row limits), and prints its diagnostics to `diag_out` (may be NULL). Needs
 * no connection: the cross-row and cross-file checks, which run in the database, are not made.
 * Returns the number of errors found (>= 0), or -1 with err set (STORE_EUSER) for an unknown
 * file name or encoding. */
long store_import_check_text(const char *name, const char *data, size_t len,
                             const char *encoding, FILE *diag_out, store_error *err);

#endif
