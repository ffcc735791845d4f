/* cmd_import.c - PLACEHOLDER until its owner writes it: `hyoka import`. */
#include "cli.h"

#include <stdio.h>

int cmd_import(const cli_opts *o)
{
    (void)o;
    fputs("hyoka import: not built yet\n", stderr);
    return CLI_EENV;
}
