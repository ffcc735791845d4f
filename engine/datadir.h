/* datadir.h - where a program finds the data it ships with (message catalogs, migrations),
 * whether it runs from its build tree or is installed under any prefix. */
#ifndef HYOKA_DATADIR_H
#define HYOKA_DATADIR_H

#include <stddef.h>

/* The folder of one kind of shipped data, the first of:
 *   1. the environment variable `env`, when set and not empty;
 *   2. `in_build`, for a program run from the build tree (its path is under the build folder)
 *      when that folder exists: the source's or the build's copy;
 *   3. PREFIX/`beside` for a program at PREFIX/bin/NAME or PREFIX/sbin/NAME (found through
 *      /proc/self/exe, so wherever PREFIX is), when that folder exists; written into buf (n
 *      bytes, e.g. 4096 + 32; a path that does not fit skips this step);
 *   4. `installed`, the folder the build was configured to install to.
 * Never NULL: the environment's string, one of the arguments, or buf (caller-owned, static in
 * practice: the result is kept for the program's life). */
const char *hy_data_dir(const char *env, const char *in_build, const char *beside,
                        const char *installed, char *buf, size_t n);

#endif
