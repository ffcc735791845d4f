/* i18n.c - binding the "hyoka" gettext domain, and the languages a request can ask for. */
#include "i18n.h"

#include "datadir.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef HYOKA_BUILD_DIR
#define HYOKA_BUILD_DIR "/nonexistent"
#endif
#ifndef HYOKA_BUILD_LOCALEDIR
#define HYOKA_BUILD_LOCALEDIR HYOKA_BUILD_DIR "/locale"
#endif
#ifndef HYOKA_INSTALLED_LOCALEDIR
#define HYOKA_INSTALLED_LOCALEDIR "/usr/share/locale"
#endif

/* The catalogs: $HYOKA_LOCALEDIR; the build tree's (msgfmt writes them there) for a program run
 * from it; PREFIX/share/locale beside an installed PREFIX/bin/hyoka or PREFIX/sbin/hyoka-fcgi;
 * else the configured one. */
static const char *locale_dir(void)
{
    static char beside[4096 + 32];
    return hy_data_dir("HYOKA_LOCALEDIR", HYOKA_BUILD_LOCALEDIR, "share/locale",
                       HYOKA_INSTALLED_LOCALEDIR, beside, sizeof beside);
}

const char *hy_i18n_bind(void)
{
    static const char *dir;
    if (dir == NULL) {
        dir = locale_dir();
        bindtextdomain(HY_TEXTDOMAIN, dir);
        bind_textdomain_codeset(HY_TEXTDOMAIN, "UTF-8");
    }
    return dir;
}

void hy_i18n_init_program(void)
{
    setlocale(LC_MESSAGES, "");
    hy_i18n_bind();
}

const char *hy_lang_tag(hy_lang l)
{
    return l == HY_LANG_JA ? "ja" : "en";
}

int hy_lang_from_tag(const char *tag, size_t len)
{
    /* The primary subtag decides: "ja", "ja-JP", "EN-gb". */
    size_t p = 0;
    while (p < len && tag[p] != '-')
        p++;
    if (p == 2 && tolower((unsigned char)tag[0]) == 'j' && tolower((unsigned char)tag[1]) == 'a')
        return HY_LANG_JA;
    if (p == 2 && tolower((unsigned char)tag[0]) == 'e' && tolower((unsigned char)tag[1]) == 'n')
        return HY_LANG_EN;
    return -1;
}

/* The q-value of one entry's parameters ("; q=0.5"): 1000ths, 1000 without one, -1 if
 * malformed. */
static int qvalue(const char *s, size_t len)
{
    size_t i = 0;
    int q = 1000;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ';'))
            i++;
        if (i == len)
            break;
        if (i + 2 <= len && (s[i] == 'q' || s[i] == 'Q') && s[i + 1] == '=') {
            i += 2;
            if (i >= len || (s[i] != '0' && s[i] != '1'))
                return -1;
            q = (s[i] - '0') * 1000;
            i++;
            if (i < len && s[i] == '.') {
                i++;
                int scale = 100;
                while (i < len && isdigit((unsigned char)s[i]) && scale > 0) {
                    q += (s[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
            }
            if (q > 1000)
                return -1;
        } else {
            while (i < len && s[i] != ';') /* another parameter: ignored */
                i++;
        }
    }
    return q;
}

int hy_lang_accept(const char *header)
{
    if (header == NULL)
        return -1;
    int best = -1, best_q = 0, star_q = -1;
    for (const char *p = header; *p != '\0';) {
        size_t n = strcspn(p, ",");
        const char *e = p;
        p += n + (p[n] == ',');
        while (n > 0 && (*e == ' ' || *e == '\t')) {
            e++;
            n--;
        }
        size_t tag = 0;
        while (tag < n && e[tag] != ';' && e[tag] != ' ' && e[tag] != '\t')
            tag++;
        if (tag == 0)
            continue;
        int q = qvalue(e + tag, n - tag);
        if (q < 0)
            return -1;
        if (tag == 1 && e[0] == '*') {
            star_q = q;
            continue;
        }
        int l = hy_lang_from_tag(e, tag);
        if (l >= 0 && q > best_q) {
            best = l;
            best_q = q;
        }
    }
    /* "*" (any language) above every language we speak: the server's choice (api.language).
     * Browsers and fetch() send "*" when the user set nothing. */
    if (star_q > best_q)
        return -1;
    return best;
}

locale_t hy_lang_locale(hy_lang l)
{
    static locale_t made[2];
    static bool tried[2];
    if (!tried[l]) {
        tried[l] = true;
        if (l == HY_LANG_EN) {
            made[l] = newlocale(LC_MESSAGES_MASK, "C", (locale_t)0);
        } else {
            static const char *const names[] = {"ja_JP.UTF-8", "ja_JP.utf8", "ja_JP"};
            for (size_t i = 0; i < sizeof names / sizeof names[0] && made[l] == (locale_t)0; i++)
                made[l] = newlocale(LC_MESSAGES_MASK, names[i], (locale_t)0);
        }
    }
    return made[l];
}

/* Words that other code passes into messages as %s (translated there with _()), listed here so
 * that po/xgettext.sh finds them: compile.c's function table `arity`, and libconfig's error
 * texts (config_error_text, libconfig 1.5's scanner and grammar). */
static const char *const table_words[] __attribute__((unused)) = {
    N_("1 argument"), N_("1 or 2 arguments"), N_("2 or more arguments"), N_("3 arguments"),
    N_("syntax error"), N_("file I/O error"), N_("include file nesting too deep"),
    N_("cannot open include file"),
};
