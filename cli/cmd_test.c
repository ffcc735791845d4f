/* cmd_test.c - PLACEHOLDER until its owner writes it: `hyoka test`. */
#include "cli.h"

#include <stdio.h>

int cmd_test(const cli_opts *o)
{
    (void)o;
    fputs("hyoka test: not built yet\n", stderr);
    return CLI_EENV;
}
