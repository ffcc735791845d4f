/* test_run_image.c - store/run_image.h without a database: an image built from result rows
 * (PQmakeEmptyPGresult) reads back as the rows said, written to a file it maps and checks, and
 * every kind of damage is refused with its reason: truncated, wrong magic, another format
 * version, another run or data version, a flipped byte, offsets and counts outside the file.
 *
 * HYOKA_RUN_IMAGE_SEED=FILE also writes the valid image there (the fuzz corpus's seed,
 * tests/fuzz/corpus/fuzz_run_image). */
#include "run_image.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

/* The image header's fields the damage tests forge (run_image.c's layout, checked by size). */
#define OFF_MAGIC 0
#define OFF_VERSION 8
#define OFF_RUN_ID 16
#define OFF_NITEMS 56
#define OFF_ITEMS 80
#define OFF_TEXTS_OFF 104
#define OFF_TEXTS_SIZE 112

static PGresult *rows(int ncols, const char *const *names)
{
    PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
    PGresAttDesc attrs[16];
    memset(attrs, 0, sizeof attrs);
    for (int i = 0; i < ncols; i++) {
        attrs[i].name = (char *)names[i];
        attrs[i].format = 0;
        attrs[i].typid = 25; /* text */
        attrs[i].typlen = -1;
        attrs[i].atttypmod = -1;
    }
    assert_int_equal(PQsetResultAttrs(r, ncols, attrs), 1);
    return r;
}

/* One row; NULL is SQL NULL. */
static void add_row(PGresult *r, int ncols, const char *const *values)
{
    int row = PQntuples(r);
    for (int i = 0; i < ncols; i++)
        assert_int_equal(PQsetvalue(r, row, i, (char *)values[i],
                                    values[i] ? (int)strlen(values[i]) : -1), 1);
}

static store_run *new_run(void)
{
    store_run *rn = calloc(1, sizeof *rn);
    rn->id = 7;
    rn->survey_code = "2024";
    rn->survey_as_of = "2024-03-31";
    rn->evaluated_at = "2024-04-01T09:00:00+09:00";
    rn->rules_sha256 = "abc";
    static const char *const cats[] = {"on_track", "delayed", "unknown"};
    for (int i = 0; i < 3; i++)
        rn->categories[i].id = cats[i];
    rn->ncategories = 3;
    rn->reasons[0].id = "late";
    rn->reasons[1].id = "no_kpi";
    rn->nreasons = 2;
    rn->flags[0].id = "stale";
    rn->nflags = 1;
    rn->total = 3;
    return rn;
}

static const long long DV = 5;

/* Builds the image of new_run()'s three results. */
static void *build(size_t *size)
{
    static const char *const icols[] = {"code", "title", "mcode", "mtitle", "id", "score",
                                        "category", "reasons", "flags", "recs", "primary"};
    static const char *const dcols[] = {"initiative_id", "name"};
    static const char *const ccols[] = {"name", "kana", "division", "division_kana", "position"};
    PGresult *items = rows(11, icols), *deps = rows(2, dcols), *cat = rows(5, ccols);
    /* in initiative_id order, not code order: the image is in code order */
    add_row(items, 11, (const char *const[]){"1-2-10", "図書館", "1-2", "教育", "1", "72.5",
                                              "on_track", "[]", "[]", "[\"続ける\"]", NULL});
    add_row(items, 11, (const char *const[]){"1-2-9", "公民館", "1-2", "教育", "2", NULL,
                                              "unknown", "[\"no_kpi\"]", "[\"stale\"]",
                                              "[\"続ける\", \"見直す\"]", "no_kpi"});
    add_row(items, 11, (const char *const[]){"1-1-1", "道路", "1-1", "土木", "3", "40",
                                              "delayed", "[\"late\",\"no_kpi\"]", "[]", "[\"続ける\"]",
                                              "late"});
    add_row(deps, 2, (const char *const[]){"1", "生涯学習課"});
    add_row(deps, 2, (const char *const[]){"1", "文化課"});
    add_row(deps, 2, (const char *const[]){"3", "道路課"});
    add_row(cat, 5, (const char *const[]){"生涯学習課", "しょうがいがくしゅうか", "教育部", "きょういくぶ", "2"});
    add_row(cat, 5, (const char *const[]){"文化課", NULL, "教育部", NULL, NULL});
    add_row(cat, 5, (const char *const[]){"道路課", "どうろか", NULL, NULL, "1"});
    store_run *rn = new_run();
    void *img = NULL;
    store_error err = {0};
    assert_int_equal(rimg_build_results(rn, DV, items, deps, cat, &img, size, &err), 0);
    PQclear(items);
    PQclear(deps);
    PQclear(cat);
    free(rn);
    return img;
}

static rimg_expect expect(void)
{
    store_run *rn = new_run();
    rimg_expect w = {7, DV, rimg_identity(rn), 3, 2, 1, 3};
    free(rn);
    return w;
}

/* Restores a forged image's checksum, so that the check reaches the field forged. */
static void reseal(unsigned char *img, size_t size)
{
    uint64_t sum = rimg_checksum(img, size);
    memcpy(img + rimg_checksum_offset(), &sum, sizeof sum);
}

static void test_reads_back(void **state)
{
    (void)state;
    size_t size;
    void *img = build(&size);
    const char *seed = getenv("HYOKA_RUN_IMAGE_SEED");
    if (seed != NULL) {
        FILE *fp = fopen(seed, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(img, 1, size, fp), size);
        fclose(fp);
    }
    rimg_expect want = expect();
    char why[256] = "";
    assert_int_equal(rimg_check(img, size, &want, why, sizeof why), 0);
    store_run *rn = new_run();
    rimg_attach(rn, img, size, false);
    assert_true(rn->items_loaded);
    assert_int_equal(rn->nitems, 3);
    /* code order */
    assert_string_equal(store_run_text(rn, rn->items[0].code), "1-1-1");
    assert_string_equal(store_run_text(rn, rn->items[1].code), "1-2-9");
    assert_string_equal(store_run_text(rn, rn->items[2].code), "1-2-10");
    const store_run_item *lib = &rn->items[2], *hall = &rn->items[1], *road = &rn->items[0];
    assert_string_equal(store_run_text(rn, lib->title), "図書館");
    assert_string_equal(store_run_text(rn, lib->measure_title), "教育");
    assert_int_equal(lib->ndepartments, 2);
    assert_string_equal(store_item_department(rn, lib, 0), "生涯学習課");
    assert_string_equal(store_item_department(rn, lib, 1), "文化課");
    assert_int_equal(hall->ndepartments, 0);
    assert_int_equal(hall->nrecommendations, 2);
    assert_string_equal(store_item_recommendation(rn, hall, 1), "見直す");
    assert_string_equal(store_item_recommendation(rn, road, 0), "続ける");
    assert_true(lib->has_score);
    assert_true(lib->score == 72.5);
    assert_false(hall->has_score);
    assert_int_equal(hall->category, 2);
    assert_int_equal(hall->primary_reason, 1);
    assert_int_equal(hall->flags, 1);
    assert_int_equal(road->reasons, 3);
    assert_int_equal(road->primary_reason, 0);
    assert_int_equal(lib->primary_reason, -1);
    /* the department catalog, in organisation order: those without a division last */
    assert_int_equal(rn->ndepartments, 3);
    assert_string_equal(rn->departments[0].name, "生涯学習課");
    assert_string_equal(rn->departments[0].division, "教育部");
    assert_string_equal(rn->departments[1].name, "文化課");
    assert_null(rn->departments[1].kana);
    assert_string_equal(rn->departments[2].name, "道路課");
    assert_null(rn->departments[2].division);
    assert_int_equal(rn->ndivisions, 2);
    store_run_free(rn);
}

static void test_file_round_trip(void **state)
{
    (void)state;
    size_t size;
    void *img = build(&size);
    char path[] = "/tmp/hyoka-run-image-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, img, size), (ssize_t)size);
    close(fd);
    rimg_expect want = expect();
    void *data;
    size_t n;
    int mfd;
    char why[256] = "";
    assert_int_equal(rimg_map_file(path, &want, &data, &n, &mfd, why, sizeof why), 0);
    assert_int_equal(n, size);
    assert_memory_equal(data, img, size);
    rimg_unmap(data, n, mfd);
    /* truncated on disk */
    assert_int_equal(truncate(path, (off_t)size - 8), 0);
    assert_int_equal(rimg_map_file(path, &want, &data, &n, &mfd, why, sizeof why), -1);
    assert_non_null(strstr(why, "truncated"));
    assert_int_equal(truncate(path, 10), 0);
    assert_int_equal(rimg_map_file(path, &want, &data, &n, &mfd, why, sizeof why), -1);
    assert_non_null(strstr(why, "shorter than"));
    unlink(path);
    assert_int_equal(rimg_map_file(path, &want, &data, &n, &mfd, why, sizeof why), 1);
    free(img);
}

/* Writes a valid image to a new temp file with mode `mode`: its path in `path` (28 bytes). */
static void write_image_file(char *path, mode_t mode, const void *img, size_t size)
{
    strcpy(path, "/tmp/hyoka-run-image-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, img, size), (ssize_t)size);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* A valid image in a file of its own (mode 0600), removed after the test even when it fails
 * (cmocka runs the teardown then too). */
typedef struct image_file {
    void *img;
    size_t size;
    rimg_expect want;
    char path[32];
} image_file;

static int image_setup(void **state)
{
    image_file *f = calloc(1, sizeof *f);
    f->img = build(&f->size);
    f->want = expect();
    write_image_file(f->path, 0600, f->img, f->size);
    *state = f;
    return 0;
}

static int image_teardown(void **state)
{
    image_file *f = *state;
    unlink(f->path);
    free(f->img);
    free(f);
    return 0;
}

/* What rimg_map_file gives. */
typedef struct mapping {
    void *data;
    size_t n;
    int fd;
    char why[256];
} mapping;

/* rimg_map_file of `path` as an image of f's run. */
static int map(const image_file *f, const char *path, mapping *m)
{
    return rimg_map_file(path, &f->want, &m->data, &m->n, &m->fd, m->why, sizeof m->why);
}

/* An image someone else could truncate under a worker is not mapped, and says why (-2): writable
 * by the group, by others, or owned by another uid. */
static void test_untrusted_refused(void **state)
{
    image_file *f = *state;
    mapping m;
    assert_int_equal(chmod(f->path, 0620), 0);
    assert_int_equal(map(f, f->path, &m), -2);
    assert_string_equal(m.why, "writable by its group (mode 0620)");
    assert_null(m.data);
    assert_int_equal(m.fd, -1);
    assert_int_equal(chmod(f->path, 0602), 0);
    assert_int_equal(map(f, f->path, &m), -2);
    assert_string_equal(m.why, "writable by others (mode 0602)");
    assert_int_equal(chmod(f->path, 0644), 0); /* readable by others is fine */
    assert_int_equal(map(f, f->path, &m), 0);
    rimg_unmap(m.data, m.n, m.fd);

    /* another owner: as root, the image given to uid 1; otherwise a file root owns */
    char expect_why[96];
    const char *foreign = f->path;
    if (geteuid() == 0) {
        assert_int_equal(chown(f->path, 1, 1), 0);
        snprintf(expect_why, sizeof expect_why, "owned by uid 1, not by the server's uid 0");
    } else {
        foreign = "/etc/passwd";
        snprintf(expect_why, sizeof expect_why, "owned by uid 0, not by the server's uid %ld",
                 (long)geteuid());
    }
    assert_int_equal(map(f, foreign, &m), -2);
    assert_string_equal(m.why, expect_why);
}

/* A mapped image holds a shared lock that a cleanup (exclusive, without waiting) cannot take,
 * and an image a cleanup holds (about to remove it) is not mapped: as if it were gone. */
static void test_mapped_image_locked(void **state)
{
    image_file *f = *state;
    mapping m, m2;
    assert_int_equal(map(f, f->path, &m), 0);
    int cleaner = open(f->path, O_RDONLY);
    assert_true(cleaner >= 0);
    assert_int_equal(flock(cleaner, LOCK_EX | LOCK_NB), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    assert_int_equal(map(f, f->path, &m2), 0); /* a second worker maps it too */
    rimg_unmap(m.data, m.n, m.fd);
    assert_int_equal(flock(cleaner, LOCK_EX | LOCK_NB), -1);
    rimg_unmap(m2.data, m2.n, m2.fd);
    assert_int_equal(flock(cleaner, LOCK_EX | LOCK_NB), 0);

    assert_int_equal(map(f, f->path, &m), 1);
    assert_null(m.data);
    close(cleaner);
    assert_int_equal(map(f, f->path, &m), 0);
    rimg_unmap(m.data, m.n, m.fd);
}

/* Writes `size` bytes to dir/name. */
static void put_file(const char *dir, const char *name, const void *data, size_t size)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, size), (ssize_t)size);
    close(fd);
}

static bool exists(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* The cleanup removes stale images, but not one a worker maps: that one stays until a cleanup
 * after the worker let it go. */
static void test_cleanup_spares_mapped(void **state)
{
    (void)state;
    size_t size;
    void *img = build(&size);
    rimg_expect want = expect();
    char dir[] = "/tmp/hyoka-run-image-dir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char mapped[128];
    snprintf(mapped, sizeof mapped, "run-7-%lld-%016llx.v%d.img", DV,
             (unsigned long long)want.identity, RIMG_VERSION);
    const char *stale = "run-8-5-0000000000000001.v1.img",
               *keep = "run-9-6-0000000000000002.v1.img";
    put_file(dir, mapped, img, size);
    put_file(dir, stale, img, size);
    put_file(dir, keep, img, size);

    char path[256], why[256];
    snprintf(path, sizeof path, "%s/%s", dir, mapped);
    void *data;
    size_t n;
    int fd;
    assert_int_equal(rimg_map_file(path, &want, &data, &n, &fd, why, sizeof why), 0);
    rimg_clean_dir(dir, keep, 6, NULL); /* data version 6: both others are stale */
    assert_true(exists(dir, keep));
    assert_false(exists(dir, stale));
    assert_true(exists(dir, mapped));
    assert_memory_equal(data, img, size); /* and still readable, of course */
    rimg_unmap(data, n, fd);
    rimg_clean_dir(dir, keep, 6, NULL);
    assert_false(exists(dir, mapped));
    assert_true(exists(dir, keep));

    snprintf(path, sizeof path, "%s/%s", dir, keep);
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    free(img);
}

/* Checks a damaged copy and expects `reason` in the refusal. */
static void refused(const unsigned char *img, size_t size, const rimg_expect *want,
                    const char *reason)
{
    char why[256] = "";
    assert_int_equal(rimg_check(img, size, want, why, sizeof why), -1);
    if (strstr(why, reason) == NULL)
        fail_msg("expected '%s', got '%s'", reason, why);
}

static void test_damage_refused(void **state)
{
    (void)state;
    size_t size;
    unsigned char *img = build(&size), *bad = malloc(size);
    rimg_expect want = expect();

    refused(img, size - 8, &want, "truncated");
    refused(img, 100, &want, "shorter than");

    memcpy(bad, img, size);
    bad[OFF_MAGIC] = 'X';
    refused(bad, size, &want, "wrong magic");

    memcpy(bad, img, size);
    bad[OFF_VERSION] ^= 0x7F;
    refused(bad, size, &want, "format version");

    rimg_expect other = want;
    other.run_id = 8;
    refused(img, size, &other, "not run 8");
    other = want;
    other.data_version = DV + 1;
    refused(img, size, &other, "not run 7 of 6");
    other = want;
    other.identity ^= 1; /* another database's run 7 */
    refused(img, size, &other, "not run 7");
    other = want;
    other.total = 4;
    refused(img, size, &other, "3 results, the run has 4");
    other = want;
    other.nreasons = 3;
    refused(img, size, &other, "catalog");

    memcpy(bad, img, size);
    bad[size - 10] ^= 1; /* a byte of the text pool */
    refused(bad, size, &want, "checksum");

    /* offsets and counts outside the file, the checksum forged to match */
    uint64_t v;
    memcpy(bad, img, size);
    v = size; /* items start at the end of the file */
    memcpy(bad + OFF_ITEMS, &v, 8);
    reseal(bad, size);
    refused(bad, size, &want, "outside the file");

    memcpy(bad, img, size);
    v = UINT64_MAX - 7; /* an offset that wraps */
    memcpy(bad + OFF_TEXTS_OFF, &v, 8);
    reseal(bad, size);
    refused(bad, size, &want, "outside the file");

    memcpy(bad, img, size);
    memcpy(&v, bad + OFF_TEXTS_SIZE, 8);
    v -= 1; /* the pool's last NUL falls outside it */
    memcpy(bad + OFF_TEXTS_SIZE, &v, 8);
    reseal(bad, size);
    refused(bad, size, &want, "not terminated");

    /* a result whose code points past the pool */
    uint64_t items_off, texts_size;
    memcpy(&items_off, img + OFF_ITEMS, 8);
    memcpy(&texts_size, img + OFF_TEXTS_SIZE, 8);
    memcpy(bad, img, size);
    uint32_t t = (uint32_t)texts_size;
    memcpy(bad + items_off + offsetof(store_run_item, title), &t, 4);
    reseal(bad, size);
    refused(bad, size, &want, "result 0: a text offset outside the pool");

    memcpy(bad, img, size);
    int32_t nd = 1000000;
    memcpy(bad + items_off + sizeof(store_run_item) + offsetof(store_run_item, ndepartments), &nd, 4);
    reseal(bad, size);
    refused(bad, size, &want, "result 1: a list outside the lists");

    memcpy(bad, img, size);
    int32_t cat = 3;
    memcpy(bad + items_off + offsetof(store_run_item, category), &cat, 4);
    reseal(bad, size);
    refused(bad, size, &want, "outside the catalog");

    memcpy(bad, img, size);
    uint64_t bits = 4; /* reason 2 of 2 */
    memcpy(bad + items_off + offsetof(store_run_item, reasons), &bits, 8);
    reseal(bad, size);
    refused(bad, size, &want, "bits outside the catalog");

    memcpy(bad, img, size);
    uint32_t n = 4000000000u; /* more results than the file holds, and than the run has */
    memcpy(bad + OFF_NITEMS, &n, 4);
    reseal(bad, size);
    refused(bad, size, &want, "results, the run has 3");

    /* and the untouched image still passes */
    char why[64];
    assert_int_equal(rimg_check(img, size, &want, why, sizeof why), 0);
    free(bad);
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_back),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test_setup_teardown(test_untrusted_refused, image_setup, image_teardown),
        cmocka_unit_test_setup_teardown(test_mapped_image_locked, image_setup, image_teardown),
        cmocka_unit_test(test_damage_refused),
        cmocka_unit_test(test_cleanup_spares_mapped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
