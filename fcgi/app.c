/* app.c - the one instance of the server's state (app.h), filled by main.c. */
#include "app.h"

#include <time.h>

hy_app app;

double app_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
