/* cmd_diff.c - PLACEHOLDER until its owner writes it: `hyoka diff`. */
#include "cli.h"

#include <stdio.h>

int cmd_diff(const cli_opts *o)
{
    (void)o;
    fputs("hyoka diff: not built yet\n", stderr);
    return CLI_EENV;
}
