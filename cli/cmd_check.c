/* cmd_check.c - PLACEHOLDER until its owner writes it: `hyoka check`. */
#include "cli.h"

#include <stdio.h>

int cmd_check(const cli_opts *o)
{
    (void)o;
    fputs("hyoka check: not built yet\n", stderr);
    return CLI_EENV;
}
