/* fuzz_run_image.c - libFuzzer target for the reader of shared run images (store/run_image.h): the
 * input is written to a file and opened as the server opens one (rimg_map_file: mapped, then
 * every header field, offset and count checked), and an image that passes is attached to a run
 * and every string of it read, as the views read them. The input's checksum is forged to match
 * first, so that mutations reach the checks behind it (a wrong checksum is refused before them).
 * The run expected is the seed's (tests/store/test_run_image.c writes it with
 * HYOKA_RUN_IMAGE_SEED): run 7 of data version 5, a catalog of 3/2/1 entries, 3 results. */
#include "run_image.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t identity(void)
{
    store_run rn;
    memset(&rn, 0, sizeof rn);
    rn.survey_code = "2024";
    rn.survey_as_of = "2024-03-31";
    rn.evaluated_at = "2024-04-01T09:00:00+09:00";
    rn.rules_sha256 = "abc";
    return rimg_identity(&rn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0')
        snprintf(path, sizeof path, "/tmp/fuzz_run_image.%ld", (long)getpid());
    uint8_t *copy = xmalloc(size + 1);
    memcpy(copy, data, size);
    size_t at = rimg_checksum_offset();
    if (size >= at + 8) {
        uint64_t sum = rimg_checksum(copy, size);
        memcpy(copy + at, &sum, sizeof sum);
    }
    FILE *fp = fopen(path, "wb");
    if (fp == NULL || fwrite(copy, 1, size, fp) != size || fclose(fp) != 0)
        abort();
    free(copy);
    rimg_expect want = {7, 5, identity(), 3, 2, 1, 3};
    void *image;
    size_t n;
    char why[512];
    int fd;
    int rc = rimg_map_file(path, &want, &image, &n, &fd, why, sizeof why);
    unlink(path);
    if (rc != 0)
        return 0;
    store_run *rn = xcalloc(1, sizeof *rn);
    rn->ncategories = 3;
    rn->nreasons = 2;
    rn->nflags = 1;
    rimg_attach(rn, image, n, true);
    rn->image_fd_ = fd; /* as rimg_load_items does: store_run_free closes it */
    size_t total = 0;
    for (int i = 0; i < rn->nitems; i++) {
        const store_run_item *it = &rn->items[i];
        total += strlen(store_run_text(rn, it->code)) + strlen(store_run_text(rn, it->title)) +
                 strlen(store_run_text(rn, it->measure_code)) +
                 strlen(store_run_text(rn, it->measure_title));
        for (int k = 0; k < it->ndepartments; k++)
            total += strlen(store_item_department(rn, it, k));
        for (int k = 0; k < it->nrecommendations; k++)
            total += strlen(store_item_recommendation(rn, it, k));
        if (it->category < 0 || it->category >= rn->ncategories || it->primary_reason >= rn->nreasons)
            abort(); /* the check promised these */
    }
    for (int i = 0; i < rn->ndepartments; i++)
        total += strlen(rn->departments[i].name) +
                 (rn->departments[i].kana ? strlen(rn->departments[i].kana) : 0);
    static volatile size_t sink;
    sink += total; /* the reads are the test: ASan sees one past the image */
    store_run_free(rn);
    return 0;
}
