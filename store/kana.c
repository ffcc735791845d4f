/* kana.c - readings in kana: the check of the import and 五十音順 (kana.h). */
#include "kana.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Decodes one UTF-8 code point at *p and advances *p; invalid bytes decode as themselves. */
static uint32_t next_cp(const unsigned char **p)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
    if (n > 0)
        c &= 0x3Fu >> n;
    for (int i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *p = s + 1;
            return s[0];
        }
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    *p = s + n + 1;
    return c;
}

static bool is_hiragana(uint32_t c) { return (c >= 0x3041 && c <= 0x3096) || c == 0x309D || c == 0x309E; }
static bool is_katakana(uint32_t c) { return (c >= 0x30A1 && c <= 0x30FA) || c == 0x30FD || c == 0x30FE; }

kana_check_result kana_check(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    bool kana = false, halfwidth = false, other = false;
    while (*p) {
        uint32_t c = next_cp(&p);
        if (is_hiragana(c) || is_katakana(c))
            kana = true;
        else if (c >= 0xFF66 && c <= 0xFF9F)
            halfwidth = true;
        else if (c != 0x30FC && c != 0x30FB && c != ' ' && c != 0x3000)
            other = true;
    }
    if (halfwidth)
        return KANA_HALFWIDTH;
    return other || !kana ? KANA_OTHER : KANA_OK;
}

/* Hiragana as katakana. */
static uint32_t to_katakana(uint32_t c)
{
    return is_hiragana(c) ? c + 0x60 : c;
}

/* A katakana's first-level letter: plain and large. */
static uint32_t plain(uint32_t c)
{
    switch (c) {
    case 0x30A1: case 0x30A3: case 0x30A5: case 0x30A7: case 0x30A9: /* ァィゥェォ */
    case 0x30C3:                                                     /* ッ */
    case 0x30E3: case 0x30E5: case 0x30E7:                           /* ャュョ */
    case 0x30EE:                                                     /* ヮ */
        return c + 1;
    case 0x30F5: return 0x30AB; /* ヵ カ */
    case 0x30F6: return 0x30B1; /* ヶ ケ */
    case 0x30F4: return 0x30A6; /* ヴ ウ */
    case 0x30F7: case 0x30F8: case 0x30F9: case 0x30FA: return c - 8; /* ヷヸヹヺ ワヰヱヲ */
    case 0x30FE: return 0x30FD; /* ヾ ヽ */
    default: break;
    }
    if (c >= 0x30AC && c <= 0x30C2 && c % 2 == 0) /* ガ..ヂ: the plain kana is one below */
        return c - 1;
    if (c >= 0x30C5 && c <= 0x30C9 && c % 2 == 1) /* ヅデド */
        return c - 1;
    if (c >= 0x30CF && c <= 0x30DD)               /* ハバパ .. ホボポ in threes */
        return 0x30CF + 3 * ((c - 0x30CF) / 3);
    return c;
}

/* The vowel (アイウエオ) of a plain katakana, or 0 (ン, or not a kana). */
static uint32_t vowel(uint32_t c)
{
    static const char rows[] = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホ"
                               "マミムメモヤ_ユ_ヨラリルレロワヰ_ヱヲ";
    static const uint32_t vowels[] = {0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA};
    const unsigned char *p = (const unsigned char *)rows;
    if (c < 0x30A0)
        return 0; /* not a katakana (nor the placeholder _) */
    for (int i = 0; *p; i++) {
        if (next_cp(&p) == c)
            return vowels[i % 5];
    }
    return 0;
}

/* The next first-level letter of a reading at *p (0 at its end), skipping spaces and ・; *prev is
 * the previous letter, for ー. */
static uint32_t next_letter(const unsigned char **p, uint32_t *prev)
{
    for (;;) {
        if (**p == '\0')
            return 0;
        uint32_t c = to_katakana(next_cp(p));
        if (c == ' ' || c == 0x3000 || c == 0x30FB)
            continue;
        if (c == 0x30FC) {
            uint32_t v = vowel(*prev);
            if (v != 0)
                return v; /* *prev stays: コーー is コオオ */
        } else {
            c = plain(c);
        }
        if (c == 0x30FD) /* ヽ repeats the kana before it */
            c = *prev ? *prev : c;
        *prev = c;
        return c;
    }
}

int kana_cmp(const char *a, const char *b)
{
    /* first level */
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    uint32_t pa = 0, pb = 0;
    for (;;) {
        uint32_t x = next_letter(&p, &pa), y = next_letter(&q, &pb);
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            break;
    }
    /* second level: katakana code points (plain < voiced < semi-voiced, small < large) */
    p = (const unsigned char *)a;
    q = (const unsigned char *)b;
    for (;;) {
        uint32_t x = *p ? to_katakana(next_cp(&p)) : 0, y = *q ? to_katakana(next_cp(&q)) : 0;
        if (x != y)
            return x < y ? -1 : 1;
        if (x == 0)
            break;
    }
    /* third level: bytes (katakana U+30A0.. before hiragana U+3040.. is not byte order: invert) */
    int c = strcmp(a, b);
    return c == 0 ? 0 : c < 0 ? 1 : -1;
}
