/* cmd_import.c - `hyoka import [--encoding cp932] [--dry-run] FILE.csv...`: loads CSV files. */
#include "i18n.h"
#include "cli.h"
#include "service.h"
#include "import.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_import(const cli_opts *o)
{
    int rc = CLI_OK;
    PGconn *c = cli_connect(o, "import", true, NULL, &rc);
    if (c == NULL)
        return rc;
    store_error err = {0};
    rc = store_import(c, (const char *const *)o->args, o->nargs, o->encoding, o->dry_run,
                          stderr, &err);
    PQfinish(c);
    if (rc != 0) {
        fprintf(stderr, _("hyoka import: %s\n"), err.message);
        return store_exit_code(err.status);
    }
    return CLI_OK;
}
