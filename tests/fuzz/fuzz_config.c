/* fuzz_config.c - libFuzzer target for the service config loader (config/config.c): the input
 * bytes as hyoka.cfg in a private folder, loaded with hy_config_load. A refused file always says
 * why; an accepted one has every value in its range. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A folder of its own for each input, gone again before the checks below: the file exists
     * only while hy_config_load reads it, so a replay (one process per corpus) or a campaign
     * leaves nothing in /tmp; only a crash inside the loader leaves its input behind. */
    char dir[] = "/tmp/hyoka-fuzz-config.XXXXXX";
    char path[64];
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof path, "%s/hyoka.cfg", dir);
    FILE *fp = fopen(path, "wb");
    if (fp == NULL || fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
        abort();
    eng_diags *d = eng_diags_new();
    hy_config c;
    int rc = hy_config_load(path, &c, d);
    if (unlink(path) != 0 || rmdir(dir) != 0)
        abort();
    if (rc != 0 && eng_diags_errors(d) == 0)
        abort(); /* a refused config always says why */
    if (rc == 0) {
        if (c.conninfo == NULL || c.rules_file == NULL || c.workers < HY_WORKERS_MIN ||
            c.workers > HY_WORKERS_MAX || c.backlog < HY_BACKLOG_MIN ||
            c.backlog > HY_BACKLOG_MAX || c.max_body < HY_MAX_BODY_MIN ||
            c.max_body > HY_MAX_BODY_MAX || c.max_query < HY_MAX_QUERY_MIN ||
            c.max_query > HY_MAX_QUERY_MAX || c.lock_wait < -1 ||
            c.lock_wait > HY_LOCK_WAIT_MAX || c.nwrite_tokens > HY_MAX_TOKENS)
            abort(); /* accepted, but out of range */
        for (int i = 0; i < c.nwrite_tokens; i++)
            if (strlen(c.write_tokens[i]) != 64)
                abort();
        (void)hy_log_level_name(c.log_level);
    }
    hy_config_cleanup(&c);
    hy_config_cleanup(&c); /* must accept an already-cleaned struct */
    eng_diags_free(d);
    return 0;
}
