/* alloc_count.h - counts malloc/calloc/realloc calls made by the code linked into a test or
 * benchmark, to show that an evaluation allocates nothing. Link the target with the CMake object
 * library hyoka_alloc_count: it wraps the three functions with the linker's --wrap, so only
 * calls from objects and static libraries of that binary are counted (not libc's own). */
#ifndef HYOKA_ALLOC_COUNT_H
#define HYOKA_ALLOC_COUNT_H

/* Allocations so far in this process (monotonic). */
long alloc_count(void);

#endif
