/* cfgutil.h - small libconfig helpers shared by the engine's rule loader and the other readers
 * of libconfig files that report like it (the CLI's rule test cases). */
#ifndef HYOKA_ENGINE_CFGUTIL_H
#define HYOKA_ENGINE_CFGUTIL_H

#include <libconfig.h>
#include <stdbool.h>

/* The value of an integer (32- or 64-bit) or float setting as a double: true, or false (and *out
 * untouched) for any other kind of setting. */
bool eng_config_number(const config_setting_t *s, double *out);

/* How a message names the kind of a setting: "a number", "a string", "a group { … }", ... for
 * "'x' must be ..., not %s". Static storage. */
const char *eng_config_type_phrase(const config_setting_t *s);

#endif
