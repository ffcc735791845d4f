/* migrate.c - `hyoka migrate`: applies the numbered sql/NNN_name.sql files, each in its own
 * transaction recorded in schema_migrations, under an advisory lock. */
#include "i18n.h"
#include "store.h"
#include "strbuf.h"
#include "xalloc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_MAX_FILES 999              /* NNN: three digits */
#define MIGRATE_MAX_FILE_BYTES (16L << 20) /* a migration larger than 16 MiB is a mistake */
#define MIGRATE_NAME_MAX 128

static const char *const LOCK_KEY = STORE_LOCK_MIGRATE;

typedef struct migration {
    int version;
    char name[MIGRATE_NAME_MAX]; /* file name, e.g. "001_schema.sql" */
} migration;

/* NNN_name.sql with NNN digits (any count, value 1..MIGRATE_MAX_FILES), name [A-Za-z0-9_-]+. */
static int parse_name(const char *name, int *version)
{
    const char *p = name;
    long v = 0;
    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (*p - '0');
        if (v > MIGRATE_MAX_FILES)
            return -1;
        p++;
    }
    if (p == name || *p != '_' || v < 1)
        return -1;
    p++;
    const char *stem = p;
    while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
        p++;
    if (p == stem || strcmp(p, ".sql") != 0 || strlen(name) >= MIGRATE_NAME_MAX)
        return -1;
    *version = (int)v;
    return 0;
}

static int by_version(const void *a, const void *b)
{
    const migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Lists the migrations of `dir`, sorted; returns their count or -1. *out is malloc'd. */
static int list_migrations(const char *dir, migration **out, store_error *err)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return store_fail(err, STORE_EDB, "%s: cannot open the migrations folder: %s", dir,
                          strerror(errno));
    migration *list = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int version;
        if (parse_name(e->d_name, &version) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            list = xrealloc(list, (size_t)cap * sizeof *list);
        }
        list[n].version = version;
        memcpy(list[n].name, e->d_name, strlen(e->d_name) + 1); /* parse_name checked the length */
        n++;
    }
    closedir(d);
    qsort(list, (size_t)n, sizeof *list, by_version);
    for (int i = 1; i < n; i++) {
        if (list[i].version == list[i - 1].version) {
            store_fail(err, STORE_EDB, "%s: migrations %s and %s have the same number", dir,
                       list[i - 1].name, list[i].name);
            free(list);
            return -1;
        }
    }
    *out = list;
    return n;
}

/* Reads a whole file into a malloc'd NUL-terminated string, or NULL with err set. */
static char *read_file(const char *path, store_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        store_fail(err, STORE_EDB, "%s: %s", path, strerror(errno));
        return NULL;
    }
    strbuf b = {0};
    int rc = strbuf_read(&b, f, (size_t)MIGRATE_MAX_FILE_BYTES);
    fclose(f);
    if (rc != 0) {
        if (rc == -1)
            store_fail(err, STORE_EDB, "%s: larger than %ld bytes", path, MIGRATE_MAX_FILE_BYTES);
        else
            store_fail(err, STORE_EDB, "%s: read error", path);
        strbuf_cleanup(&b);
        return NULL;
    }
    return b.data; /* NUL-terminated by strbuf_read */
}

/* A failed statement of a migration file as "PATH:LINE:COL: message", from the error position
 * (1-based characters into the file, which is the whole query string). */
static void fail_at_position(store_error *err, const char *path, const char *text,
                             const PGresult *r, PGconn *c)
{
    const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (msg == NULL)
        msg = PQerrorMessage(c);
    long line = 1, col = 1;
    if (pos != NULL) {
        long want = strtol(pos, NULL, 10), chars = 1;
        for (const unsigned char *p = (const unsigned char *)text; *p != '\0' && chars < want;
             p++) {
            if ((*p & 0xC0) == 0x80)
                continue; /* UTF-8 continuation byte: the position counts characters */
            chars++;
            if (*p == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
    }
    store_fail(err, STORE_EDB, "%s:%ld:%ld: %s", path, line, col, msg);
}

/* A privilege error (SQLSTATE 42501) says which role lacked it and which role migrate needs;
 * libpq's own text ("permission denied for schema public") names neither. Appends to err. */
static void explain_privilege(store_error *err, PGconn *c, const PGresult *r)
{
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    if (err == NULL || state == NULL || strcmp(state, "42501") != 0)
        return;
    size_t n = strlen(err->message);
    snprintf(err->message + n, sizeof err->message - n,
             _(" (role \"%s\" may not change the schema of database \"%s\": hyoka migrate needs "
               "the database's owner with CREATEROLE, or a superuser; e.g. as the postgres user: "
               "hyoka migrate --conninfo \"dbname=%s\")"),
             PQuser(c), PQdb(c), PQdb(c));
}

static int exec_simple(PGconn *c, const char *sql, store_error *err)
{
    PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = store_fail_pq(err, c, r, sql);
        explain_privilege(err, c, r);
    }
    PQclear(r);
    return rc;
}

/* Applies one migration in its own transaction. */
static int apply(PGconn *c, const char *dir, const migration *m, store_error *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, m->name);
    char *text = read_file(path, err);
    if (text == NULL)
        return -1;
    if (exec_simple(c, "BEGIN", err) != 0) {
        free(text);
        return -1;
    }
    /* The file's statements are trusted SQL shipped with the program (several statements, so the
     * simple query protocol); the values recorded afterwards are parameters. */
    PGresult *r = PQexec(c, text);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail_at_position(err, path, text, r, c);
        explain_privilege(err, c, r);
        PQclear(r);
        free(text);
        PQclear(PQexec(c, "ROLLBACK"));
        return -1;
    }
    PQclear(r);
    free(text);
    char version[16];
    snprintf(version, sizeof version, "%d", m->version);
    const char *params[2] = {version, m->name};
    r = PQexecParams(c, "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2)", 2,
                     NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        store_fail_pq(err, c, r, "recording the migration");
        explain_privilege(err, c, r);
        PQclear(r);
        PQclear(PQexec(c, "ROLLBACK"));
        return -1;
    }
    PQclear(r);
    return exec_simple(c, "COMMIT", err);
}

int store_migrate(PGconn *c, const char *sql_dir, FILE *log, store_error *err)
{
    migration *list = NULL;
    int n = list_migrations(sql_dir, &list, err);
    if (n < 0)
        return -1;
    if (n == 0) {
        free(list);
        return store_fail(err, STORE_EDB, "%s: no migrations (NNN_name.sql) found", sql_dir);
    }
    int newest = list[n - 1].version;

    const char *lock_params[1] = {LOCK_KEY};
    PGresult *r = PQexecParams(c, "SELECT pg_advisory_lock($1::bigint)", 1, NULL, lock_params,
                               NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        store_fail_pq(err, c, r, "taking the migration lock");
        PQclear(r);
        free(list);
        return -1;
    }
    PQclear(r);

    int applied = 0, rc = 0;
    /* "relation already exists, skipping" and the like are not news to the user */
    if (exec_simple(c, "SET client_min_messages = warning", err) != 0) {
        rc = -1;
        goto out;
    }
    /* Created only when missing: CREATE ... IF NOT EXISTS would need CREATE on the schema even
     * when the table exists, so a role that merely checks an up-to-date schema could not. */
    r = PQexecParams(c, "SELECT to_regclass('schema_migrations') IS NULL", 0, NULL, NULL, NULL,
                     NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        rc = store_fail_pq(err, c, r, "looking for schema_migrations");
        PQclear(r);
        goto out;
    }
    bool missing = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (missing && exec_simple(c,
                               "CREATE TABLE IF NOT EXISTS schema_migrations ("
                               " version integer PRIMARY KEY CHECK (version > 0),"
                               " name text NOT NULL,"
                               " applied_at timestamptz NOT NULL DEFAULT now())",
                               err) != 0) {
        rc = -1;
        goto out;
    }
    r = PQexecParams(c, "SELECT version FROM schema_migrations ORDER BY version", 0, NULL, NULL,
                     NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        rc = store_fail_pq(err, c, r, "reading schema_migrations");
        explain_privilege(err, c, r);
        PQclear(r);
        goto out;
    }
    int nrec = PQntuples(r);
    int recorded_max = nrec > 0 ? atoi(PQgetvalue(r, nrec - 1, 0)) : 0;
    if (recorded_max > newest) {
        PQclear(r);
        rc = store_fail(err, STORE_ESCHEMA,
                        "database schema version %d is newer than the newest migration this "
                        "program knows (%d in %s): upgrade hyoka",
                        recorded_max, newest, sql_dir);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        bool done = false;
        for (int k = 0; k < nrec && !done; k++)
            done = atoi(PQgetvalue(r, k, 0)) == list[i].version;
        if (done)
            continue;
        if (apply(c, sql_dir, &list[i], err) != 0) {
            rc = -1;
            break;
        }
        applied++;
        if (log != NULL)
            fprintf(log, "applied %s\n", list[i].name);
    }
    PQclear(r);
    if (rc == 0 && log != NULL) {
        if (applied == 0)
            fprintf(log, _("schema is up to date (version %d)\n"), newest);
        else
            fprintf(log, _("schema is at version %d\n"), newest);
    }
out:
    PQclear(PQexecParams(c, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, lock_params, NULL,
                         NULL, 0));
    free(list);
    return rc == 0 ? applied : -1;
}
