/* kana.h - readings (読み仮名) of department and division names: what a reading may contain, and
 * 五十音順, the order a Japanese reader expects of a list of names.
 *
 * Why in C and not an SQL collation: PostgreSQL orders text by the database's collation, which is
 * whatever initdb was given (often C or en_US.UTF-8: code points, so ガ after カメ and every
 * hiragana reading after every katakana one); a Japanese ICU collation ("ja-x-icu") exists only
 * where PostgreSQL was built with ICU and the city's DBA created the database with it. The order
 * is the read model's to decide (store/departments.h), so it is decided here, the same everywhere.
 *
 * The order (after JIS X 4061's rules for kana, simplified):
 *  1. hiragana compare as the katakana of the same sound (しみんか = シミンカ);
 *  2. first level: voiced and semi-voiced kana as their plain kana (ガ = カ, パ = ハ, ヴ = ウ),
 *     small kana as their large kana (ッ = ツ, ャ = ヤ), the long vowel mark ー as the vowel of the
 *     kana before it (コー = コオ); spaces and ・ are ignored;
 *  3. ties: plain before voiced before semi-voiced, small before large (katakana code points),
 *     then katakana before hiragana (bytes).
 * Strings are UTF-8 and must be valid (the import checks them); other characters compare by
 * code point after the kana.
 */
#ifndef HYOKA_KANA_H
#define HYOKA_KANA_H

typedef enum {
    KANA_OK = 0,
    KANA_HALFWIDTH, /* contains half-width katakana (ｿｳﾑ): the reading must be full-width */
    KANA_OTHER,     /* contains a character that is not kana, ー, ・ or a space, or no kana */
} kana_check_result;

/* Whether `s` (UTF-8, NUL-terminated) is a reading: full-width katakana and/or hiragana, the long
 * vowel mark ー, the iteration marks ゝゞヽヾ, ・ and spaces, with at least one kana. */
kana_check_result kana_check(const char *s);

/* < 0, 0 or > 0 as reading a sorts before, with or after reading b in 五十音順 (above); 0 only
 * for equal bytes. Neither may be NULL. */
int kana_cmp(const char *a, const char *b);

#endif
