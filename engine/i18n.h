/* i18n.h - messages in the reader's language: gettext, domain "hyoka" (po/ja.po).
 *
 * English is the msgid and the fallback. Translation happens at the central diagnostic functions
 * (eng_diags_add's callers in lex.c and rules.c, config.c's error, store_fail, the import's
 * add_diag, the API's problem builder), so the hundreds of call sites keep plain English format
 * strings; xgettext finds them by those functions' names (po/CMakeLists.txt lists the keywords).
 * A position (file:line:col, file:row:column) is never part of a message: it is printed the same
 * in every language.
 *
 * The language is the calling thread's LC_MESSAGES: `hyoka` takes it from the environment
 * (LC_ALL, LC_MESSAGES, LANG), hyoka-fcgi per request (uselocale: Accept-Language, then
 * api.language). The library code here never calls setlocale.
 */
#ifndef HYOKA_I18N_H
#define HYOKA_I18N_H

#include <libintl.h>
#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#define HY_TEXTDOMAIN "hyoka"

/* The translation of `msgid` in the calling thread's language (msgid itself for English). */
#define _(msgid) dgettext(HY_TEXTDOMAIN, msgid)
/* Marks a string for extraction; it is translated later, where it is used. */
#define N_(msgid) (msgid)

/* Binds the domain to the compiled catalogs: the build tree's locale/ for a program run from its
 * build tree, else PREFIX/share/locale beside the installed program, else the configured
 * install prefix's locale dir; $HYOKA_LOCALEDIR overrides. Output is UTF-8 whatever LC_CTYPE is.
 * Idempotent. Returns the folder used. */
const char *hy_i18n_bind(void);

/* For a program: LC_MESSAGES from the environment (only that category: numbers and character
 * classes stay "C"), then hy_i18n_bind. */
void hy_i18n_init_program(void);

/* Languages a request can ask for. */
typedef enum { HY_LANG_EN = 0, HY_LANG_JA = 1 } hy_lang;

/* "en" / "ja" (a Content-Language value). */
const char *hy_lang_tag(hy_lang l);
/* The language of a tag such as "ja", "ja-JP", "en-US" (case-insensitive); -1 if neither. */
int hy_lang_from_tag(const char *tag, size_t len);
/* The best language of an Accept-Language header value (RFC 9110 12.5.4: q-values, ties go to the
 * earlier entry); -1 if it names neither language with q > 0, or prefers "*" (any: the server
 * chooses), or is NULL or malformed. */
int hy_lang_accept(const char *header);
/* A locale object whose LC_MESSAGES is `l` (everything else "C"), made once per process, for
 * uselocale(); (locale_t)0 if the system lacks the locale (then messages stay English). */
locale_t hy_lang_locale(hy_lang l);

#endif
