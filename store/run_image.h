/* run_image.h - a loaded run's results as one position-independent image, shared by every worker
 * of a machine (issue 16 "stored runs shared, not copied").
 *
 * A run's results (store_run_load_items) are one block of bytes: a header, the items
 * (store_run_item, whose strings are store_text offsets into the run's text pool), the lists of
 * texts they index (departments, recommendations), the department catalog, and the text pool.
 * Nothing in it is a pointer, so the same bytes serve any process at any address: loaded from the
 * database the block is malloc'd; written to a file it is mapped read-only by every worker (the
 * page cache holds it once, PSS does not grow with workers).
 *
 * Files: `<dir>/run-<id>-<data version>-<identity>.v<RIMG_VERSION>.img`, where the data version
 * is data_version.imported (sql/009: titles and departments are current, an import changes them)
 * and the identity a hash of the run's header (survey, as-of date, evaluation time, rules' sha256:
 * two databases writing one directory never share an image). A writer holds `<dir>/lock`
 * (flock), writes `<name>.<pid>.tmp`, fsyncs it, renames it into place and fsyncs the directory,
 * so a reader never sees a half-written image. A reader trusts nothing: the header's magic,
 * format version, byte order, run id, data version, identity, size and checksum (FNV-1a over the
 * whole file) are checked, then every offset and count against the file's size; an image that
 * fails is logged, removed and rebuilt from the database.
 *
 * Trust: a worker maps only images owned by its own uid and writable by nobody else (others are
 * logged and the run read privately), and keeps each mapped file open with a shared flock; the
 * cleanup removes an image only if it can take that lock exclusively (without waiting), so it
 * never removes an image a worker maps. What this cannot stop (root truncating a file) is in
 * docs/operations.md, "Run images".
 *
 * Bounds: RIMG_MAX_ITEMS results per image; after each write, the directory keeps the image of
 * the current data version for at most RIMG_KEEP runs (newest first) and loses every other
 * image, and temp files older than RIMG_TMP_AGE_S seconds (a writer that died).
 */
#ifndef HYOKA_STORE_RUN_IMAGE_H
#define HYOKA_STORE_RUN_IMAGE_H

#include "read.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RIMG_VERSION 1
#define RIMG_MAX_ITEMS 10000000 /* results of one run */
#define RIMG_KEEP 8             /* images kept per directory besides the one just written */
#define RIMG_TMP_AGE_S 600
#define RIMG_LOCK_WAIT_S 60     /* how long a worker waits for another's write before loading
                                 * the run itself */

/* What a reader expects of an image: the run it was asked for. */
typedef struct rimg_expect {
    long long run_id, data_version;
    uint64_t identity;               /* rimg_identity(rn) */
    int ncategories, nreasons, nflags; /* the run's catalog (store_run_load) */
    long total;                        /* the run's results (evaluation_runs.total) */
} rimg_expect;

/* The identity of a loaded run's header (store_run_load): a hash of survey code, as-of date,
 * evaluation time and rules' sha256. */
uint64_t rimg_identity(const store_run *rn);
/* The checksum an image's header carries: FNV-1a over the image with that field zeroed. */
uint64_t rimg_checksum(const void *data, size_t size);
/* Offset of the checksum field in an image's header (for tests and the fuzz target, which
 * forge it). */
size_t rimg_checksum_offset(void);

/* Checks `size` bytes at `data` as an image of the run `want` describes: 0, or -1 with `why`
 * (at most `nwhy` bytes) saying what is wrong. Reads nothing outside [data, data + size). */
int rimg_check(const void *data, size_t size, const rimg_expect *want, char *why, size_t nwhy);
/* Gives a checked image to rn (which must have no items): its items, lists and texts point into
 * `data`; its department catalog is built from the image. `mapped`: data is a mapping of `size`
 * bytes that store_run_free unmaps; otherwise a malloc'd block it frees. */
void rimg_attach(store_run *rn, void *data, size_t size, bool mapped);

/* Reads the results of rn (store_run_load) from the database into a malloc'd image (*out, *size
 * bytes) for data version `data_version`: 0, or -1 with err set (STORE_EDB, STORE_ESCHEMA). */
int rimg_build(PGconn *c, const store_run *rn, long long data_version, void **out, size_t *size,
               store_error *err);

/* rimg_build from the database's answers: `items`, `departments` and `catalog` have the columns
 * of run_image.c's sql_items, sql_departments and sql_department_catalog (tests build them with
 * PQmakeEmptyPGresult). */
int rimg_build_results(const store_run *rn, long long data_version, const PGresult *items,
                       const PGresult *departments, const PGresult *catalog, void **out,
                       size_t *size, store_error *err);

/* Opens the file `path` as an image of the run `want` describes and maps it read-only: 0 with
 * data and size set and *fd the file, open and share-locked (flock) for as long as it is mapped
 * (rimg_unmap releases all three); 1 when there is no such file (or a cleanup is removing it);
 * -1 with `why` set (unreadable, or rimg_check refused it); -2 with `why` set when the file is
 * not one this process may map: owned by another uid, or writable by its group or others (whoever
 * can write it can truncate it, and a worker reading a page past the new end dies of SIGBUS). */
int rimg_map_file(const char *path, const rimg_expect *want, void **data, size_t *size, int *fd,
                  char *why, size_t nwhy);
/* Unmaps what rimg_map_file mapped and closes its file (releasing the shared lock). Accepts NULL
 * data and a negative fd. */
void rimg_unmap(void *data, size_t size, int fd);

/* The cleanup rimg_load_items does after writing `keep` (a file name in `dir`), under the
 * directory's lock: keeps `keep` and the RIMG_KEEP newest other images of `data_version` in this
 * format, removes every other image that no worker maps (one whose shared lock it cannot take at
 * once stays for a later cleanup), and temp files older than RIMG_TMP_AGE_S. A failed removal of a
 * stale image is passed to `warn` (may be NULL). */
void rimg_clean_dir(const char *dir, const char *keep, long long data_version,
                    void (*warn)(const char *message));

/* Where rimg_load_items's results came from. */
typedef enum {
    RIMG_FROM_IMAGE = 0, /* an image another process (or an earlier start) wrote */
    RIMG_WROTE,          /* the database, and this call wrote the image */
    RIMG_FROM_DB,        /* the database only: no usable directory, or the image could not be
                          * written (warned) */
} rimg_source;

/* store_run_load_items through the image directory `dir` (created if missing, mode 0700): maps
 * rn's image if a valid one is there, else reads the database, writes the image and maps it.
 * Anything wrong with the directory or an image is passed to `warn` (a sentence) and the run is
 * read from the database as without images. 0 with *source set, or -1 with err set (the
 * database failed; rn has no items). */
int rimg_load_items(PGconn *c, store_run *rn, const char *dir, rimg_source *source,
                    void (*warn)(const char *message), store_error *err);

#endif
