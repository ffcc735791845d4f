/* app.c - the one instance of the server's state (app.h), filled by main.c. */
#include "app.h"

hy_app app;
