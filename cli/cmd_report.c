/* cmd_report.c - PLACEHOLDER until its owner writes it: `hyoka report`. */
#include "cli.h"

#include <stdio.h>

int cmd_report(const cli_opts *o)
{
    (void)o;
    fputs("hyoka report: not built yet\n", stderr);
    return CLI_EENV;
}
