/* store.c - connecting to PostgreSQL, checking the schema version, and store_error helpers. */
#include "store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int store_fail(store_error *err, store_status status, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    err->status = status;
    return -1;
}

/* libpq's messages end with a newline and may span lines; keep them on one line. */
static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
    for (char *p = s; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
}

int store_fail_pq(store_error *err, PGconn *c, const PGresult *res, const char *what)
{
    const char *msg = NULL;
    if (res != NULL) {
        msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        if (msg == NULL && PQresultErrorMessage(res)[0] != '\0')
            msg = PQresultErrorMessage(res);
    }
    if (msg == NULL)
        msg = c != NULL ? PQerrorMessage(c) : "no connection";
    store_fail(err, STORE_EDB, "%s: %s", what, msg);
    if (err != NULL)
        chomp(err->message);
    return -1;
}

void store_error_clear(store_error *err)
{
    if (err == NULL)
        return;
    err->status = STORE_OK;
    err->message[0] = '\0';
}

int store_exit_code(store_status status)
{
    switch (status) {
    case STORE_OK:
        return 0;
    case STORE_EUSER:
    case STORE_ENOTFOUND:
        return 1;
    case STORE_EDB:
    case STORE_ESCHEMA:
        break;
    }
    return 2;
}

PGconn *store_connect_raw(const char *conninfo, store_error *err)
{
    /* Later entries override earlier ones, and the expanded conninfo (dbname) comes last, so
     * whatever the user's conninfo says wins over our defaults; a keyword given here would beat
     * the PG* environment, so connect_timeout is only added when $PGCONNECT_TIMEOUT is unset. */
    const char *keys[5], *values[5];
    int n = 0;
    const char *env_timeout = getenv("PGCONNECT_TIMEOUT");
    if (env_timeout == NULL || env_timeout[0] == '\0') {
        keys[n] = "connect_timeout";
        values[n++] = STORE_CONNECT_TIMEOUT;
    }
    keys[n] = "fallback_application_name";
    values[n++] = "hyoka";
    keys[n] = "client_encoding";
    values[n++] = "UTF8";
    keys[n] = "dbname";
    values[n++] = conninfo != NULL ? conninfo : "";
    keys[n] = NULL;
    values[n] = NULL;

    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (c == NULL) {
        store_fail(err, STORE_EDB, "cannot connect to the database: out of memory");
        return NULL;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        store_fail(err, STORE_EDB, "cannot connect to the database: %s", PQerrorMessage(c));
        if (err != NULL)
            chomp(err->message);
        PQfinish(c);
        return NULL;
    }
    const char *pgtz = getenv("PGTZ");
    if ((pgtz == NULL || pgtz[0] == '\0') && store_set_time_zone(c, STORE_TIME_ZONE, err) < 0) {
        PQfinish(c);
        return NULL;
    }
    return c;
}

int store_set_time_zone(PGconn *c, const char *zone, store_error *err)
{
    const char *params[1] = {zone};
    PGresult *r = PQexecParams(c, "SELECT set_config('TimeZone', $1, false)", 1, NULL, params,
                               NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc < 0)
        store_fail_pq(err, c, r, "setting the session time zone");
    PQclear(r);
    return rc;
}

PGconn *store_connect(const char *conninfo, store_error *err)
{
    PGconn *c = store_connect_raw(conninfo, err);
    if (c == NULL)
        return NULL;
    /* Two steps: a query naming a missing table would fail before it could say so. */
    PGresult *r = PQexecParams(c, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL,
                               NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        store_fail_pq(err, c, r, "checking the schema version");
        PQclear(r);
        PQfinish(c);
        return NULL;
    }
    bool has_table = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!has_table) {
        store_fail(err, STORE_ESCHEMA, "database has no hyoka schema: run 'hyoka migrate'");
        PQfinish(c);
        return NULL;
    }
    r = PQexecParams(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, NULL,
                     NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        store_fail_pq(err, c, r, "checking the schema version");
        PQclear(r);
        PQfinish(c);
        return NULL;
    }
    long version = strtol(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (version == 0) {
        store_fail(err, STORE_ESCHEMA, "database has no hyoka schema: run 'hyoka migrate'");
    } else if (version < STORE_SCHEMA_VERSION) {
        store_fail(err, STORE_ESCHEMA,
                   "database schema is at version %ld, this program needs %d: run 'hyoka migrate'",
                   version, STORE_SCHEMA_VERSION);
    } else if (version > STORE_SCHEMA_VERSION) {
        store_fail(err, STORE_ESCHEMA,
                   "database schema version %ld is newer than this program knows (%d): "
                   "upgrade hyoka",
                   version, STORE_SCHEMA_VERSION);
    } else {
        return c;
    }
    PQfinish(c);
    return NULL;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *store_sql_dir(void)
{
    static char beside[4096 + 32];
    const char *env = getenv("HYOKA_SQL_DIR");
    if (env != NULL && env[0] != '\0')
        return env;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0 && (size_t)n < sizeof exe - 1) {
        exe[n] = '\0';
        /* A program run from its build tree uses the source tree's migrations. */
        size_t blen = strlen(HYOKA_BUILD_DIR);
        if ((size_t)n > blen && strncmp(exe, HYOKA_BUILD_DIR, blen) == 0 && exe[blen] == '/' &&
            is_dir(HYOKA_SQL_DIR))
            return HYOKA_SQL_DIR;
        /* An installed one (PREFIX/bin/hyoka) uses PREFIX/share/hyoka/sql, wherever PREFIX is. */
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            int len = snprintf(beside, sizeof beside, "%s/../share/hyoka/sql", exe);
            if (len > 0 && (size_t)len < sizeof beside && is_dir(beside))
                return beside;
        }
    }
    return HYOKA_INSTALLED_SQL_DIR;
}
