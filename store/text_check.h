/* text_check.h - the one rule for text from outside that names or finds something (codes,
 * department names, query parameters): valid UTF-8 without control characters.
 *
 * Control characters are the bytes 0x00-0x1F and 0x7F (DEL), tab and line breaks included: the
 * importer refuses them in codes and list items, and the HTTP API refuses them in parameters,
 * so nothing can be asked for that could never have been stored.
 */
#ifndef HYOKA_TEXT_CHECK_H
#define HYOKA_TEXT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* true if one of the `len` bytes of `s` is a control character (NUL included). */
bool text_has_control(const char *s, size_t len);

/* true if the `len` bytes of `s` are valid UTF-8 (shortest forms, no surrogates, at most
 * U+10FFFF) without a control character. */
bool text_is_clean(const char *s, size_t len);

#endif
