/* fuzz_csv.c - libFuzzer target for `hyoka import`'s reading of a CSV file: decoding (UTF-8 or
 * CP932), libcsv's records, the header, every cell's syntax and the diagnostics, as
 * store_import_check_text runs them before any database is involved. The first byte picks the
 * table (its value modulo the nine files; its low seven bits 0x7F: report_texts.csv, 0x7E:
 * departments.csv, so that the older seeds keep their table) and the
 * encoding (its high bit: CP932); the rest is the file. A file's errors are always counted, never
 * negative. */
#include "import.h"
#include "xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const files[] = {"plans.csv",    "measures.csv",    "initiatives.csv",
                                    "milestones.csv", "surveys.csv",   "progress.csv",
                                    "kpis.csv",     "kpi_values.csv",  "projects.csv"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
        abort();
    if (size < 1)
        return 0;
    const char *name = (data[0] & 0x7F) == 0x7F   ? "report_texts.csv"
                       : (data[0] & 0x7F) == 0x7E ? "departments.csv"
                                                  : files[data[0] % (sizeof files / sizeof files[0])];
    const char *encoding = data[0] & 0x80 ? "cp932" : "utf-8";
    /* an exact-size copy, so that a read past the end is caught */
    size_t len = size - 1;
    char *text = xmalloc(len);
    for (size_t i = 0; i < len; i++)
        text[i] = (char)data[i + 1];
    store_error err = {0};
    long errors = store_import_check_text(name, text, len, encoding, sink, &err);
    if (errors < 0)
        abort(); /* the name and the encoding are valid: only the text can be wrong */
    free(text);
    return 0;
}
