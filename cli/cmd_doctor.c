/* cmd_doctor.c - `hyoka doctor`: checks an installation end to end, one line per check ("ok  ..."
 * or "FAIL ...: why"), exit 1 if any failed: the service config, its rule set, the database as
 * the reader and as the writer (schema current), the reader's grants (it may write nothing), the
 * socket (owner, group, mode of the config), the nginx snippet and `nginx -t` (as root). */
#include "i18n.h"
#include "cli.h"
#include "config.h"
#include "engine.h"
#include "store.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOCTOR_SOCKET_OWNER "hyoka" /* the user hyoka-fcgi.socket gives the socket */
#define DOCTOR_NGINX_SNIPPET "/etc/nginx/snippets/hyoka.conf"
#define DOCTOR_NGINX_HTTP "/etc/nginx/conf.d/hyoka.conf"
#define DOCTOR_NGINX "/usr/sbin/nginx"

static int failures;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(ok ? "ok    " : "FAIL  ", stdout);
    vprintf(_(fmt), ap); /* a `report` keyword (po/) */
    putchar('\n');
    va_end(ap);
    if (!ok)
        failures++;
}

/* The reader may not write: no INSERT, UPDATE, DELETE or TRUNCATE on any table of the schema. */
static void check_reader_grants(PGconn *c)
{
    PGresult *r = PQexecParams(
        c,
        "SELECT coalesce(string_agg(c.relname || ':' || p.priv, ', ' ORDER BY c.relname, p.priv), '')"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) p(priv)"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')"
        " AND has_table_privilege(current_user, c.oid, p.priv)",
        0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        report(false, "grants of %s: %s", PQuser(c), PQresultErrorMessage(r));
    } else {
        const char *found = PQgetvalue(r, 0, 0);
        report(found[0] == '\0', "grants of %s: %s", PQuser(c),
               found[0] == '\0' ? "reads only" : found);
    }
    PQclear(r);
}

static void check_database(const char *what, const char *conninfo, bool reader)
{
    store_error err;
    store_error_clear(&err);
    PGconn *c = store_connect(conninfo, &err);
    if (c == NULL) {
        report(false, "database as the %s: %s", what, err.message);
        return;
    }
    report(true, "database as the %s (%s): reachable, schema at version %d", what, PQuser(c),
           STORE_SCHEMA_VERSION);
    if (reader)
        check_reader_grants(c);
    PQfinish(c);
}

static void check_socket(const hy_config *cfg)
{
    if (cfg->socket == NULL) {
        report(true, "socket: none in the config (passed by systemd or spawn-fcgi)");
        return;
    }
    struct stat st;
    if (stat(cfg->socket, &st) != 0) {
        report(false, "socket %s: %s (is hyoka-fcgi.socket started?)", cfg->socket,
               strerror(errno));
        return;
    }
    const struct passwd *pw = getpwuid(st.st_uid);
    const struct group *gr = getgrgid(st.st_gid);
    const char *owner = pw != NULL ? pw->pw_name : "?", *group = gr != NULL ? gr->gr_name : "?";
    const char *want_owner = cfg->socket_owner != NULL ? cfg->socket_owner : DOCTOR_SOCKET_OWNER;
    bool ok = S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == (mode_t)cfg->socket_mode &&
              strcmp(owner, want_owner) == 0 &&
              (cfg->socket_group == NULL || strcmp(group, cfg->socket_group) == 0);
    report(ok, "socket %s: %s %s:%s mode %04o (want %s:%s mode %04o)", cfg->socket,
           S_ISSOCK(st.st_mode) ? _("socket") : _("NOT a socket"), owner, group,
           (unsigned)(st.st_mode & 07777), want_owner,
           cfg->socket_group != NULL ? cfg->socket_group : "*", (unsigned)cfg->socket_mode);
}

/* nginx's own check of its whole configuration: the snippets in place are not enough, a site
 * that includes them must also load (a missing upstream or variable fails here). Needs root to
 * read the certificates and the log, so other users are told it was not run. */
static void check_nginx_config(void)
{
    if (access(DOCTOR_NGINX, X_OK) != 0) {
        report(true, "nginx -t: not run (no %s on this machine)", DOCTOR_NGINX);
        return;
    }
    if (geteuid() != 0) {
        report(true, "nginx -t: not run (needs root)");
        return;
    }
    FILE *p = popen(DOCTOR_NGINX " -t -q 2>&1", "r");
    if (p == NULL) {
        report(false, "nginx -t: %s", strerror(errno));
        return;
    }
    char first[512] = "", line[512];
    while (fgets(line, sizeof line, p) != NULL) /* nginx's first complaint names file:line */
        if (first[0] == '\0')
            memcpy(first, line, sizeof line);
    int status = pclose(p);
    first[strcspn(first, "\n")] = '\0';
    /* "2026/12/06 10:00:00 [emerg] 123#123: message in FILE:LINE": the message. */
    const char *msg = first, *at = strstr(first, "] ");
    if (at != NULL && (at = strstr(at, ": ")) != NULL)
        msg = at + 2;
    report(status == 0, "nginx -t: %s",
           status == 0 ? "the configuration loads" : msg[0] != '\0' ? msg : "failed, saying nothing");
}

int cmd_doctor(const cli_opts *o)
{
    failures = 0;
    const char *path = cli_config_path(o);
    hy_config cfg;
    eng_diags *d = eng_diags_new();
    int rc = hy_config_load(path, &cfg, d);
    eng_diags_print(d, stderr);
    eng_diags_free(d);
    report(rc == 0, "config %s%s", path, rc == 0 ? "" : _(": has errors (above)"));
    if (rc != 0) {
        printf("%s", _("1 check failed; the others need a valid config\n"));
        return CLI_EUSER;
    }

    d = eng_diags_new();
    eng_schema *s = eng_schema_new_builtin();
    eng_rules *rules = eng_rules_load_file(cfg.rules_file, s, d);
    eng_diags_print(d, stderr);
    report(rules != NULL, "rules %s%s%s", cfg.rules_file, rules != NULL ? _(": version ") : ": ",
           rules != NULL ? eng_rules_version(rules) : _("has errors (above)"));
    eng_rules_free(rules);
    eng_schema_free(s);
    eng_diags_free(d);

    check_database("reader", cfg.conninfo, true);
    if (cfg.writer_conninfo != NULL)
        check_database("writer", cfg.writer_conninfo, false);
    check_socket(&cfg);
    struct stat st;
    report(stat(DOCTOR_NGINX_SNIPPET, &st) == 0 && stat(DOCTOR_NGINX_HTTP, &st) == 0,
           "nginx: %s and %s in place", DOCTOR_NGINX_HTTP, DOCTOR_NGINX_SNIPPET);
    check_nginx_config();
    hy_config_cleanup(&cfg);
    if (failures > 0)
        printf(dngettext(HY_TEXTDOMAIN, "%d check failed\n", "%d checks failed\n",
                         (unsigned long)failures),
               failures);
    return failures > 0 ? CLI_EUSER : CLI_OK;
}
