/* cmd_evaluate.c - PLACEHOLDER until its owner writes it: `hyoka evaluate`. */
#include "cli.h"

#include <stdio.h>

int cmd_evaluate(const cli_opts *o)
{
    (void)o;
    fputs("hyoka evaluate: not built yet\n", stderr);
    return CLI_EENV;
}
