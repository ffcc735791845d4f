/* datadir.c - hy_data_dir: the one search for shipped data (i18n.c's catalogs, store's sql/). */
#include "datadir.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef HYOKA_BUILD_DIR
#define HYOKA_BUILD_DIR "/nonexistent"
#endif

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *hy_data_dir(const char *env, const char *in_build, const char *beside,
                        const char *installed, char *buf, size_t n)
{
    const char *value = getenv(env);
    if (value != NULL && value[0] != '\0')
        return value;
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0 && (size_t)len < sizeof exe - 1) {
        exe[len] = '\0';
        size_t blen = strlen(HYOKA_BUILD_DIR);
        if ((size_t)len > blen && strncmp(exe, HYOKA_BUILD_DIR, blen) == 0 && exe[blen] == '/' &&
            is_dir(in_build))
            return in_build;
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            int w = snprintf(buf, n, "%s/../%s", exe, beside);
            if (w > 0 && (size_t)w < n && is_dir(buf))
                return buf;
        }
    }
    return installed;
}
