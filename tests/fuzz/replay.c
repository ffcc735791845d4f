/* replay.c - a plain main() for a fuzz target, without libFuzzer: runs LLVMFuzzerTestOneInput on
 * every file of the folders (or the files) given, so that the test command replays each corpus in
 * the normal and the sanitizer builds. A crash, an abort or a sanitizer report fails the test, and
 * so does a folder without inputs (a corpus that went missing must not pass silently).
 *
 *     fuzz_csv_replay tests/fuzz/corpus/fuzz_csv
 */
#include "xalloc.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_BYTES (1L << 20) /* a corpus file is an input, not a data set */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on one file. Returns 0, or -1 if it cannot be read. */
static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    uint8_t *data = xmalloc(REPLAY_MAX_BYTES);
    size_t n = fread(data, 1, REPLAY_MAX_BYTES, fp);
    int too_long = fgetc(fp) != EOF;
    fclose(fp);
    if (too_long) {
        fprintf(stderr, "%s: larger than %ld bytes\n", path, REPLAY_MAX_BYTES);
        free(data);
        return -1;
    }
    /* an exact-size copy, so that the sanitizers catch a read past the input's end */
    uint8_t *exact = xmalloc(n);
    memcpy(exact, data, n);
    free(data);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    long replayed = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: no such file or folder\n", argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            failed |= replay_file(argv[i]) != 0;
            replayed++;
            continue;
        }
        struct dirent **names;
        int n = scandir(argv[i], &names, NULL, alphasort);
        if (n < 0) {
            fprintf(stderr, "%s: cannot list\n", argv[i]);
            return 1;
        }
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]->d_name);
            if (names[k]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                failed |= replay_file(path) != 0;
                replayed++;
            }
            free(names[k]);
        }
        free(names);
    }
    printf("%ld inputs replayed\n", replayed);
    return failed || replayed == 0 ? 1 : 0;
}
