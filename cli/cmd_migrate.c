/* cmd_migrate.c - PLACEHOLDER until its owner writes it: `hyoka migrate`. */
#include "cli.h"

#include <stdio.h>

int cmd_migrate(const cli_opts *o)
{
    (void)o;
    fputs("hyoka migrate: not built yet\n", stderr);
    return CLI_EENV;
}
