/* text_check.c - valid UTF-8 without control characters: one rule for the importer and the API. */
#include "text_check.h"

#include <jansson.h>

bool text_has_control(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return true;
    }
    return false;
}

bool text_is_clean(const char *s, size_t len)
{
    if (text_has_control(s, len))
        return false;
    /* jansson's UTF-8 check (it refuses overlong forms, surrogates and code points beyond
     * U+10FFFF) rather than a second hand-written decoder. */
    json_t *j = json_stringn(s, len);
    if (j == NULL)
        return false;
    json_decref(j);
    return true;
}
