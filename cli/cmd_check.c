/* cmd_check.c - `hyoka check [--db] [--analyze] RULES`: compiles a rule set against the built-in
 * fact schema (or the database's view with --db) and prints every error and warning as
 * file:line:col. With --analyze, also what the rules can never do (engine/analyze.h), on stdout:
 * exit 0 with no findings, 1 with findings ("not decided" notes do not count). */
#include "i18n.h"
#include "cli.h"

#include "service.h"
#include "analyze.h"
#include "engine.h"
#include "evaluate.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fact schema of the database named by the service config (or the PG* environment when
 * there is no config file and none was asked for). Returns NULL with a message printed and
 * *rc set to the exit code. */
static eng_schema *schema_from_db(const cli_opts *o, int *rc)
{
    PGconn *c = cli_connect(o, "check", false, NULL, rc);
    if (c == NULL)
        return NULL;
    store_error err;
    store_error_clear(&err);
    eng_schema *s = store_fact_schema(c, &err);
    if (s == NULL) {
        fprintf(stderr, _("hyoka check: %s\n"), err.message);
        *rc = store_exit_code(err.status);
    }
    PQfinish(c);
    return s;
}

static const char *plural(int n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int cmd_check(const cli_opts *o)
{
    const char *path = o->args[0];
    int rc = CLI_OK;
    char *text = NULL;
    size_t len = 0;
    eng_diags *d = eng_diags_new();
    eng_schema *schema = NULL;
    eng_rules *r = NULL;

    int read = eng_file_read(path, &text, &len, d);
    if (read == -2) {
        fprintf(stderr, _("hyoka check: cannot read %s: %s\n"), path, strerror(errno));
        rc = CLI_EENV;
        goto out;
    }
    schema = o->db ? schema_from_db(o, &rc) : eng_schema_new_builtin();
    if (schema == NULL)
        goto out;
    if (read == 0 && strlen(text) != len) /* a NUL byte: the text checks report where */
        free(eng_config_text_prepare(text, len, path, d));
    else if (read == 0)
        r = eng_rules_load_string(text, path, schema, d);
    if (eng_diags_print(d, stderr) != 0 && rc == CLI_OK)
        rc = CLI_EENV;
    if (r == NULL) {
        rc = CLI_EUSER;
        goto out;
    }
    int nr = eng_rules_count(r, ENG_KIND_REASON), nf = eng_rules_count(r, ENG_KIND_FLAG),
        nc = eng_rules_count(r, ENG_KIND_CATEGORY), ns = eng_rules_count(r, ENG_KIND_SCORE);
    printf(_("%s: ok — version %s, %d %s, %d %s, %d %s, %d score %s (sha256 %s)\n"), path,
           eng_rules_version(r), nr, plural(nr, _("reason"), _("reasons")), nf,
           plural(nf, _("flag"), _("flags")), nc, plural(nc, _("category"), _("categories")), ns,
           plural(ns, _("component"), _("components")), eng_rules_sha256(r));
    if (o->analyze) {
        eng_analysis *an = eng_analyze(r);
        int nfind = eng_analysis_findings(an), nu = eng_analysis_count(an) - nfind;
        if (eng_analysis_print(an, stdout) != 0)
            rc = CLI_EENV;
        printf(_("%s: analysis: %d %s, %d not decided\n"), path, nfind,
               plural(nfind, _("finding"), _("findings")), nu);
        if (nfind > 0 && rc == CLI_OK)
            rc = CLI_EUSER;
        eng_analysis_free(an);
    }
out:
    eng_rules_free(r);
    eng_schema_free(schema);
    eng_diags_free(d);
    free(text);
    return rc;
}
