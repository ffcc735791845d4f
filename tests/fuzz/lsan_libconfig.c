/* lsan_libconfig.c - LeakSanitizer suppressions for the fuzz targets that read libconfig.
 *
 * libconfig 1.5's scanner leaks a string's buffer when a syntax error interrupts it
 * (strbuf_append, libconfig_yylex; fixed in later libconfig). Not ours to fix; any other leak,
 * including one of a config_t we forget to destroy, still fails the run. */
const char *__lsan_default_suppressions(void);

const char *__lsan_default_suppressions(void)
{
    return "leak:strbuf_append\nleak:libconfig_yylex\n";
}
