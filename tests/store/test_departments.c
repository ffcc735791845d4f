/* test_departments.c - readings (kana.h): the import's check and 五十音順; the organisation
 * chart's order of departments and divisions (departments.h). */
#include "departments.h"
#include "kana.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_check(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        kana_check_result want;
    } cases[] = {
        {"ソウムカ", KANA_OK},
        {"そうむか", KANA_OK},
        {"ジョウホウ セイサクカ", KANA_OK},
        {"ケンコウ・フクシブ", KANA_OK},
        {"コーヒー", KANA_OK},
        {"ヴァイオリン", KANA_OK},
        {"ｿｳﾑｶ", KANA_HALFWIDTH},
        {"総務課", KANA_OTHER},
        {"soumuka", KANA_OTHER},
        {"ソウム1", KANA_OTHER},
        {"ー", KANA_OTHER}, /* no kana */
        {"・ ", KANA_OTHER},
        {"", KANA_OTHER},
    };
    for (size_t i = 0; i < N(cases); i++) {
        if (kana_check(cases[i].s) != cases[i].want)
            fail_msg("kana_check(\"%s\") = %d, want %d", cases[i].s, kana_check(cases[i].s),
                     cases[i].want);
    }
}

static int sign(int x) { return (x > 0) - (x < 0); }

static void test_order(void **state)
{
    (void)state;
    /* each pair: a before b in 五十音順 */
    static const char *const before[][2] = {
        {"アイ", "アウ"},
        {"カメ", "キ"},
        {"ガス", "カメ"},         /* first level: カス < カメ (code points would say カメ < ガス) */
        {"カ", "ガ"},             /* tie: plain before voiced */
        {"ハ", "バ"}, {"バ", "パ"},
        {"ハヒ", "パフ"},         /* first level ハヒ < ハフ */
        {"ッ", "ツ"},             /* tie: small before large */
        {"キャ", "キヤク"},       /* キヤ < キヤク */
        {"しみんか", "ジンジカ"}, /* hiragana as katakana: シミンカ < シンシカ */
        {"シミンカ", "しみんか"}, /* tie: katakana before hiragana */
        {"コーヒ", "コオヒイ"},   /* ー as the vowel: コオヒ < コオヒイ */
        {"コウ", "コーリ"},       /* コウ < コオリ */
        {"ソウムカ", "ソウムブ"},
        {"ケンコウフ", "ケンコウ フク"}, /* the space is ignored: ケンコウフ < ケンコウフク */
        {"", "ア"},
    };
    for (size_t i = 0; i < N(before); i++) {
        int ab = kana_cmp(before[i][0], before[i][1]), ba = kana_cmp(before[i][1], before[i][0]);
        if (ab >= 0 || sign(ba) != -sign(ab))
            fail_msg("kana_cmp(%s, %s) = %d, reversed %d: want the first before", before[i][0],
                     before[i][1], ab, ba);
    }
    assert_int_equal(kana_cmp("ソウムカ", "ソウムカ"), 0);
}

static const char *names(const store_department *d, int n, char *buf, size_t sz)
{
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        strncat(buf, i ? "," : "", sz - strlen(buf) - 1);
        strncat(buf, d[i].name, sz - strlen(buf) - 1);
    }
    return buf;
}

#define D(name, kana, div, divkana, pos) {name, kana, div, divkana, (pos) >= 0, (pos), 0}

static void test_chart(void **state)
{
    (void)state;
    char buf[512];
    store_division divs[16];
    /* positions decide, across divisions: a division comes where its first department does */
    store_department a[] = {
        D("人事課", "ジンジカ", "総務部", "ソウムブ", 20),
        D("市民課", "シミンカ", "市民部", "シミンブ", 30),
        D("総務課", "ソウムカ", "総務部", "ソウムブ", 10),
        D("税務課", "ゼイムカ", "市民部", "シミンブ", 5),
        D("議会事務局", "ギカイジムキョク", NULL, NULL, 1),
        D("会計課", "カイケイカ", "総務部", "ソウムブ", -1), /* no position: after those with */
    };
    int nd = store_departments_order(a, (int)N(a), divs);
    assert_int_equal(nd, 3);
    assert_string_equal(divs[0].name, "市民部"); /* its first department has position 5 */
    assert_string_equal(divs[1].name, "総務部");
    assert_null(divs[2].name);                  /* without a division: last, whatever its position */
    assert_string_equal(names(a, (int)N(a), buf, sizeof buf), "税務課,市民課,総務課,人事課,会計課,議会事務局");
    assert_int_equal(a[0].division_index, 0);
    assert_int_equal(a[5].division_index, 2);
    assert_string_equal(divs[1].kana, "ソウムブ");

    /* no positions: 五十音 by reading (divisions by theirs), names without a reading after */
    store_department b[] = {
        D("総務課", "そうむか", "総務部", "ソウムブ", -1),
        D("会計課", "カイケイカ", "総務部", NULL, -1),
        D("学校教育課", "ガッコウキョウイクカ", "教育部", "キョウイクブ", -1),
        D("文化財課", NULL, "教育部", NULL, -1),
        D("生涯学習課", "ショウガイガクシュウカ", "教育部", NULL, -1),
        D("人事課", "ジンジカ", "総務部", NULL, -1),
    };
    nd = store_departments_order(b, (int)N(b), divs);
    assert_int_equal(nd, 2);
    assert_string_equal(divs[0].name, "教育部"); /* キョウイクブ < ソウムブ */
    assert_string_equal(names(b, (int)N(b), buf, sizeof buf), "学校教育課,生涯学習課,文化財課,会計課,人事課,総務課");

    /* nothing imported: one group without a name, names in code-point order */
    store_department c[] = {
        D("会計課", NULL, NULL, NULL, -1), D("交通政策課", NULL, NULL, NULL, -1),
        D("人事課", NULL, NULL, NULL, -1), D("市民課", NULL, NULL, NULL, -1),
    };
    nd = store_departments_order(c, (int)N(c), divs);
    assert_int_equal(nd, 1);
    assert_null(divs[0].name);
    assert_string_equal(names(c, (int)N(c), buf, sizeof buf), "交通政策課,人事課,会計課,市民課");
    assert_int_equal(store_departments_order(c, 0, divs), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_chart),
    };
    return cmocka_run_group_tests_name("departments", tests, NULL, NULL);
}
