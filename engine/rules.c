/* rules.c - a libconfig rule file -> an immutable eng_rules: the text checked (size, UTF-8, BOM,
 * @include, 32-bit integers), hashed, parsed, every key and type checked, every expression
 * compiled in its scope; all errors collected, a rule set with any error never returned. */
#include "i18n.h"
#include "cfgutil.h"
#include "ruleset.h"

#include <assert.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* libconfig 1.5 keeps a setting's line in an unsigned short: beyond this, positions would wrap. */
#define MAX_LINES 65535
#define MSG_MAX 512
/* A score weight above this could overflow the weighted sum (64 components); weights are
 * relative, so nobody needs one. */
#define MAX_WEIGHT 1e6

/* Adds a diagnostic formatted with a va_list (eng_diags_add only takes `...`). */
static void vdiag(eng_diags *d, const char *file, int line, int col, int span, bool warning,
                  const char *excerpt, const char *fmt, va_list ap)
{
    char msg[MSG_MAX];
    vsnprintf(msg, sizeof msg, _(fmt), ap);
    eng_diags_add(d, file, line, col, span, warning, excerpt, "%s", msg);
}

static void diag_at(eng_diags *d, const char *file, int line, int col, int span, const char *fmt,
                    ...) __attribute__((format(printf, 6, 7)));
static void diag_at(eng_diags *d, const char *file, int line, int col, int span, const char *fmt,
                    ...)
{
    va_list ap;
    va_start(ap, fmt);
    vdiag(d, file, line, col, span, false, NULL, fmt, ap);
    va_end(ap);
}

/* ---- the text: read, checked, hashed -------------------------------------------------------- */

int eng_file_read(const char *path, char **text, size_t *len, eng_diags *diags)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -2;
    size_t cap = 64 * 1024, n = 0;
    char *buf = xcalloc(cap + 1, 1);
    for (;;) {
        if (n == cap) {
            if (cap > ENG_MAX_FILE_BYTES)
                break;
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    int saved = errno;
    fclose(f);
    if (failed) {
        free(buf);
        errno = saved;
        return -2;
    }
    if (n > ENG_MAX_FILE_BYTES) {
        free(buf);
        diag_at(diags, path, 1, 0, 0,
                "file is larger than %d bytes (1 MiB), the limit for a "
                "rule or case file",
                ENG_MAX_FILE_BYTES);
        return -1;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if the byte at s starts no valid sequence
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). Hand-written: the
 * message must name the first bad byte and its line:col, which iconv's EILSEQ does not give
 * without the same bookkeeping. */
static int utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    int n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (avail < (size_t)n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (int i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

static bool is_name_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*';
}

static bool is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Writes the scientific form of a decimal integer ("5000000000" -> "5e9"). */
static void scientific(const char *digits, size_t n, char *out, size_t size)
{
    size_t keep = n;
    while (keep > 1 && digits[keep - 1] == '0')
        keep--;
    if (keep == 1)
        snprintf(out, size, "%ce%zu", digits[0], n - 1);
    else
        snprintf(out, size, "%c.%.*se%zu", digits[0], (int)(keep - 1), digits + 1, n - 1);
}

/* Scans the text as libconfig's scanner would (comments, strings, names, numbers) and reports
 * what libconfig 1.5 would silently get wrong: integers without L that wrap at 32 bits, and
 * @include (blanked out in `text` so that parsing can go on and report more). */
static void scan_literals(char *text, const char *file, eng_diags *d)
{
    int line = 1;
    const char *line_start = text;
    char *p = text;
#define COL(at) (diag_chars(line_start, (size_t)((at)-line_start)) + 1)
    while (*p != '\0') {
        char c = *p;
        if (c == '\n') {
            line++;
            line_start = ++p;
        } else if (c == '#' || (c == '/' && p[1] == '/')) {
            while (*p != '\0' && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            p += 2;
            while (*p != '\0' && !(p[0] == '*' && p[1] == '/')) {
                if (*p == '\n') {
                    line++;
                    line_start = p + 1;
                }
                p++;
            }
            if (*p != '\0')
                p += 2;
        } else if (c == '"') {
            p++;
            while (*p != '\0' && *p != '"' && *p != '\n') {
                if (*p == '\\' && p[1] != '\0' && p[1] != '\n')
                    p++;
                p++;
            }
            if (*p == '"')
                p++;
        } else if (c == '@') {
            if (strncmp(p, "@include", 8) == 0) {
                diag_at(d, file, line, COL(p), 8,
                        "@include is not supported: a rule set is one file, identified by its "
                        "SHA-256");
                while (*p != '\0' && *p != '\n')
                    *p++ = ' ';
            } else
                p++;
        } else if (is_name_start(c)) {
            while (is_name_char(*p))
                p++;
        } else if (is_digit(c) || ((c == '-' || c == '+') && (is_digit(p[1])))) {
            char *start = p;
            bool negative = c == '-';
            if (c == '-' || c == '+')
                p++;
            if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
                char *digits = p + 2;
                p = digits;
                while (is_digit(*p) || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))
                    p++;
                size_t n = (size_t)(p - digits);
                while (n > 0 && *digits == '0') {
                    digits++;
                    n--;
                }
                if (*p != 'L' && n > 8)
                    diag_at(d, file, line, COL(start), (int)(p - start),
                            "integer %.*s does not fit in 32 bits: write %.*sL", (int)(p - start),
                            start, (int)(p - start), start);
                while (*p == 'L')
                    p++;
                continue;
            }
            char *digits = p;
            while (is_digit(*p))
                p++;
            if (*p == '.' || *p == 'e' || *p == 'E') { /* a float */
                while (is_digit(*p) || *p == '.' || *p == 'e' || *p == 'E' ||
                       ((*p == '-' || *p == '+') && (p[-1] == 'e' || p[-1] == 'E')))
                    p++;
                continue;
            }
            if (*p == 'L') {
                while (*p == 'L')
                    p++;
                continue;
            }
            size_t n = (size_t)(p - digits);
            const char *sig = digits;
            while (n > 1 && *sig == '0') {
                sig++;
                n--;
            }
            /* INT32_MAX = 2147483647 (10 digits); compare as strings, no overflow possible */
            bool too_big =
                n > 10 || (n == 10 && strncmp(sig, negative ? "2147483648" : "2147483647", 10) > 0);
            if (too_big) {
                char sci[64];
                scientific(sig, n, sci, sizeof sci);
                diag_at(d, file, line, COL(start), (int)(p - start),
                        "integer %.*s does not fit in 32 bits: write %.*sL or %s%s",
                        (int)(p - start), start, (int)(p - start), start, negative ? "-" : "", sci);
            }
        } else
            p++;
    }
#undef COL
}

char *eng_config_text_prepare(const char *text, size_t len, const char *file, eng_diags *diags)
{
    size_t at = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        at = 3; /* a UTF-8 BOM: libconfig 1.5 calls it a syntax error; editors on Windows add it */
    int line = 1;
    size_t line_start = at;
    for (size_t i = at; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\0') {
            diag_at(diags, file, line, diag_chars(text + line_start, i - line_start) + 1, 1,
                    "NUL byte in the file (is it a text file?)");
            return NULL;
        }
        int n = utf8_seq((const unsigned char *)text + i, len - i);
        if (n == 0) {
            diag_at(diags, file, line, diag_chars(text + line_start, i - line_start) + 1, 1,
                    "invalid UTF-8 byte 0x%02X (is the file Shift_JIS? save it as UTF-8)", c);
            return NULL;
        }
        if (c == '\n') {
            line++;
            line_start = i + 1;
        }
        i += (size_t)n;
    }
    if (line > MAX_LINES) {
        diag_at(diags, file, MAX_LINES, 0, 0,
                "file has %d lines, more than %d (libconfig counts lines in 16 bits)", line,
                MAX_LINES);
        return NULL;
    }
    char *copy = xcalloc(len - at + 1, 1);
    memcpy(copy, text + at, len - at);
    scan_literals(copy, file, diags);
    return copy;
}

static void sha256_hex(const char *text, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (EVP_Digest(text, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        abort(); /* libcrypto without SHA-256: a broken installation */
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* ---- the loader ----------------------------------------------------------------------------- */

typedef enum stage { ST_DERIVED, ST_REASONS, ST_FLAGS, ST_CATEGORIES, ST_SCORE } stage;

static const char *const stage_names[] = {"derived", "reasons", "flags", "categories", "score"};
/* Words of messages: translated where they are used. */
static const char *const available_from[] = {N_("derived, reasons, flags, categories and score"),
                                             N_("flags, categories and score"),
                                             N_("categories and score"), N_("score"),
                                             N_("nowhere")};
_Static_assert(sizeof stage_names / sizeof stage_names[0] == ST_SCORE + 1, "one name per stage");
_Static_assert(sizeof available_from / sizeof available_from[0] == ST_SCORE + 1,
               "one entry per stage");

typedef struct loader {
    eng_rules *r;
    eng_diags *d;
    const char *file;
    /* derived */
    int *cycle;      /* per derived: 1 if part of a cycle (already reported) */
    eng_type *dtype; /* per derived: compiled type */
    /* names visible per stage, for "did you mean" */
    const char **cand;
    int ncand_base;          /* facts + thresholds */
    char **qual[ENG_NKINDS]; /* "reason.ID", "flag.ID" per entry (NULL without a valid id) */
    /* eng_rules_override */
    const eng_threshold_override *overrides;
    int noverrides;
} loader;

typedef struct scope_ud {
    loader *L;
    stage st;
    int derived_index; /* ST_DERIVED: the derived being compiled */
    bool permissive;   /* pass 1 of derived: every derived name resolves, type unknown */
} scope_ud;

static const char *own(eng_rules *r, const char *s)
{
    if (s == NULL)
        return NULL;
    if (r->nstrings == r->capstrings) {
        r->capstrings = r->capstrings ? 2 * r->capstrings : 64;
        r->strings = xrealloc(r->strings, (size_t)r->capstrings * sizeof *r->strings);
    }
    return r->strings[r->nstrings++] = xstrdup(s);
}

static int find_rule(const eng_rules *r, eng_kind k, const char *id)
{
    for (int i = 0; i < r->count[k]; i++)
        if (r->rules[k][i].info.id != NULL && strcmp(r->rules[k][i].info.id, id) == 0)
            return i;
    return -1;
}

static int find_threshold(const eng_rules *r, const char *name)
{
    for (int i = 0; i < r->nthresholds; i++)
        if (strcmp(r->thresholds[i].name, name) == 0)
            return i;
    return -1;
}

static void later(expr_name *out, const char *name, stage st, stage computed)
{
    out->status = EXPR_NAME_LATER;
    if (st == computed)
        snprintf(out->later, sizeof out->later,
                 _("'%s' is not available in %s: it is computed by this section (available in %s)"),
                 name, stage_names[st], _(available_from[computed]));
    else
        snprintf(out->later, sizeof out->later,
                 _("'%s' is not available in %s: %s are computed after %s (available in %s)"), name,
                 stage_names[st], stage_names[computed], stage_names[st], _(available_from[computed]));
}

static int resolve(void *ud, const char *name, expr_name *out)
{
    scope_ud *u = ud;
    loader *L = u->L;
    eng_rules *r = L->r;
    memset(out, 0, sizeof *out);
    out->status = EXPR_NAME_OK;
    int i;

    if (strncmp(name, "thresholds.", 11) == 0) {
        if ((i = find_threshold(r, name)) < 0) {
            out->status = EXPR_NAME_UNKNOWN;
            return 0;
        }
        out->is_const = true;
        out->constant = eng_num(r->thresholds[i].value);
        out->type = ENG_NUM;
        return 0;
    }
    if (strncmp(name, "reason.", 7) == 0 || strncmp(name, "flag.", 5) == 0) {
        bool is_reason = name[0] == 'r';
        eng_kind k = is_reason ? ENG_KIND_REASON : ENG_KIND_FLAG;
        stage computed = is_reason ? ST_REASONS : ST_FLAGS;
        if ((i = find_rule(r, k, strchr(name, '.') + 1)) < 0) {
            out->status = EXPR_NAME_UNKNOWN;
            return 0;
        }
        if (u->st <= computed) {
            later(out, name, u->st, computed);
            return 0;
        }
        out->slot = (is_reason ? r->reason_base : r->flag_base) + i;
        out->type = ENG_BOOL;
        return 0;
    }
    if (strcmp(name, "reasons") == 0) {
        if (u->st <= ST_REASONS) {
            later(out, name, u->st, ST_REASONS);
            return 0;
        }
        out->slot = r->reasons_slot;
        out->type = ENG_NUM;
        return 0;
    }
    if (strcmp(name, "category") == 0) {
        if (u->st <= ST_CATEGORIES) {
            later(out, name, u->st, ST_CATEGORIES);
            return 0;
        }
        out->slot = r->category_slot;
        out->type = ENG_STR;
        return 0;
    }
    if ((i = eng_schema_find(r->schema, name)) >= 0) {
        const char *opaque = eng_schema_opaque_type(r->schema, i);
        if (opaque != NULL) {
            out->status = EXPR_NAME_OPAQUE;
            snprintf(out->later, sizeof out->later, _("fact '%s' has type %s, which rules cannot use"),
                     name, opaque);
            return 0;
        }
        out->slot = i;
        out->type = eng_schema_type(r->schema, i);
        return 0;
    }
    if ((i = find_rule(r, ENG_KIND_DERIVED, name)) >= 0) {
        out->slot = r->derived_base + i;
        out->type = L->dtype[i];
        if (u->st != ST_DERIVED || u->permissive || i < u->derived_index)
            return 0;
        if (L->cycle[i] && L->cycle[u->derived_index]) {
            out->type = ENG_NULL; /* the cycle is reported once, at each member */
            return 0;
        }
        out->status = EXPR_NAME_LATER;
        snprintf(out->later, sizeof out->later,
                 _("'%s' is defined later in derived (line %d); derived names can use only "
                 "earlier ones"),
                 name, r->rules[ENG_KIND_DERIVED][i].info.line);
        return 0;
    }
    out->status = EXPR_NAME_UNKNOWN;
    return 0;
}

/* Names visible in a stage, for "did you mean" (derived: the earlier ones). */
static int names(void *ud, const char *const **out)
{
    scope_ud *u = ud;
    loader *L = u->L;
    eng_rules *r = L->r;
    int n = L->ncand_base;
    for (int i = 0; i < r->count[ENG_KIND_DERIVED]; i++)
        if ((u->st != ST_DERIVED || u->permissive || i < u->derived_index) &&
            r->rules[ENG_KIND_DERIVED][i].info.id != NULL)
            L->cand[n++] = r->rules[ENG_KIND_DERIVED][i].info.id;
    if (u->st > ST_REASONS) {
        L->cand[n++] = "reasons";
        for (int i = 0; i < r->count[ENG_KIND_REASON]; i++)
            if (L->qual[ENG_KIND_REASON][i] != NULL)
                L->cand[n++] = L->qual[ENG_KIND_REASON][i];
    }
    if (u->st > ST_FLAGS)
        for (int i = 0; i < r->count[ENG_KIND_FLAG]; i++)
            if (L->qual[ENG_KIND_FLAG][i] != NULL)
                L->cand[n++] = L->qual[ENG_KIND_FLAG][i];
    if (u->st > ST_CATEGORIES)
        L->cand[n++] = "category";
    *out = L->cand;
    return n;
}

/* ---- walking the libconfig tree ------------------------------------------------------------- */

static int line_of(const config_setting_t *s)
{
    return (int)config_setting_source_line(s);
}

/* An integer is "a number" too: rules and test cases know one number type, and "must be a
 * string, not an integer" would suggest that a float would do. */
const char *eng_config_type_phrase(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        return _("a group { … }");
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
    case CONFIG_TYPE_FLOAT:
        return _("a number");
    case CONFIG_TYPE_STRING:
        return _("a string");
    case CONFIG_TYPE_BOOL:
        return _("a boolean");
    case CONFIG_TYPE_ARRAY:
        return _("an array [ … ]");
    case CONFIG_TYPE_LIST:
        return _("a list ( … )");
    default:
        return _("an unknown kind of value");
    }
}

bool eng_config_number(const config_setting_t *s, double *out)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
        *out = config_setting_get_int(s);
        return true;
    case CONFIG_TYPE_INT64:
        *out = (double)config_setting_get_int64(s);
        return true;
    case CONFIG_TYPE_FLOAT:
        *out = config_setting_get_float(s);
        return true;
    default:
        return false;
    }
}

/* id syntax: [a-z][a-z0-9_]* */
static bool valid_id(const char *s)
{
    if (s == NULL || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (const char *p = s + 1; *p != '\0'; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

static bool reserved(const char *s)
{
    static const char *const words[] = {"true",   "false", "null",     "and",
                                        "or",     "not",   "in",       "reasons",
                                        "reason", "flag",  "category", "thresholds"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(s, words[i]) == 0)
            return true;
    return false;
}

/* Reports an unknown key, suggesting a known one. */
static void unknown_key(loader *L, const config_setting_t *s, const char *where,
                        const char *const *known, int nknown)
{
    const char *name = config_setting_name(s);
    const char *hint = diag_suggest(name, known, nknown);
    char list[256] = "";
    for (int i = 0; i < nknown; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, known[i], sizeof list - strlen(list) - 1);
    }
    if (hint != NULL)
        diag_at(L->d, L->file, line_of(s), 0, 0, "unknown key '%s' in %s (did you mean '%s'?)",
                name, where, hint);
    else
        diag_at(L->d, L->file, line_of(s), 0, 0, "unknown key '%s' in %s (known keys: %s)", name,
                where, list);
}

/* A string member: NULL if absent (after reporting when required) or of the wrong type. */
static const char *get_string(loader *L, const config_setting_t *group, const char *key,
                              const char *what, bool required, int *line)
{
    config_setting_t *s = config_setting_get_member(group, key);
    if (s == NULL) {
        if (required)
            diag_at(L->d, L->file, line_of(group), 0, 0, "%s has no '%s'", what, key);
        return NULL;
    }
    if (line != NULL)
        *line = line_of(s);
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        diag_at(L->d, L->file, line_of(s), 0, 0, "'%s' of %s must be a string, not %s", key, what,
                eng_config_type_phrase(s));
        return NULL;
    }
    const char *v = config_setting_get_string(s);
    if (v[0] == '\0') {
        diag_at(L->d, L->file, line_of(s), 0, 0, "'%s' of %s is empty", key, what);
        return NULL;
    }
    return v;
}

static void read_thresholds(loader *L, const config_setting_t *g)
{
    eng_rules *r = L->r;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        diag_at(L->d, L->file, line_of(g), 0, 0,
                "'thresholds' must be a group { name = number; … }, not %s",
                eng_config_type_phrase(g));
        return;
    }
    int n = config_setting_length(g);
    r->thresholds = xcalloc((size_t)n, sizeof *r->thresholds);
    for (int i = 0; i < n; i++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        double v;
        if (r->nthresholds == ENG_MAX_THRESHOLDS) {
            diag_at(L->d, L->file, line_of(s), 0, 0, "too many thresholds (at most %d)",
                    ENG_MAX_THRESHOLDS);
            return;
        }
        if (!valid_id(name)) {
            diag_at(L->d, L->file, line_of(s), 0, 0,
                    "threshold name '%s' must be lowercase letters, digits and _, starting "
                    "with a letter",
                    name);
            continue;
        }
        if (!eng_config_number(s, &v)) {
            diag_at(L->d, L->file, line_of(s), 0, 0, "threshold '%s' must be a number, not %s",
                    name, eng_config_type_phrase(s));
            continue;
        }
        if (!isfinite(v)) {
            diag_at(L->d, L->file, line_of(s), 0, 0,
                    "threshold '%s' is %g: write a number that fits in a double", name, v);
            continue;
        }
        threshold *t = &r->thresholds[r->nthresholds++];
        size_t len = strlen(name) + 12;
        t->name = xcalloc(len, 1);
        snprintf(t->name, len, "thresholds.%s", name);
        t->value = v;
        t->line = line_of(s);
    }
}

/* The fewest significant digits (15 to 17) that give v back. */
static void format_exact(double v, char *buf, size_t size)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, size, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* Replaces the thresholds named by L->overrides (eng_rules_override); `g` is the file's
 * `thresholds` group or NULL. Errors name the override and list the file's thresholds. */
static void apply_overrides(loader *L, const config_setting_t *g)
{
    eng_rules *r = L->r;
    int line = g != NULL ? line_of(g) : 1;
    for (int i = 0; i < L->noverrides; i++) {
        const eng_threshold_override *o = &L->overrides[i];
        int t = -1;
        for (int k = 0; k < r->nthresholds && t < 0; k++)
            if (strcmp(r->thresholds[k].name + 11, o->name) == 0)
                t = k;
        bool twice = false;
        for (int j = 0; j < i && !twice; j++)
            twice = strcmp(L->overrides[j].name, o->name) == 0;
        if (twice) {
            diag_at(L->d, L->file, line, 0, 0, "thresholds.%s is overridden twice", o->name);
        } else if (t < 0 && r->nthresholds == 0) {
            diag_at(L->d, L->file, line, 0, 0,
                    "cannot override thresholds.%s: the rule file has no thresholds", o->name);
        } else if (t < 0) {
            const char **names = xcalloc((size_t)r->nthresholds, sizeof *names);
            size_t len = 1;
            for (int k = 0; k < r->nthresholds; k++) {
                names[k] = r->thresholds[k].name + 11;
                len += strlen(names[k]) + 2;
            }
            char *list = xcalloc(len, 1);
            for (int k = 0; k < r->nthresholds; k++) {
                if (k > 0)
                    strcat(list, ", ");
                strcat(list, names[k]);
            }
            const char *near = diag_suggest(o->name, names, r->nthresholds);
            char hint[160] = "";
            if (near != NULL)
                snprintf(hint, sizeof hint, _(" (did you mean '%s'?)"), near);
            diag_at(L->d, L->file, line, 0, 0,
                    "cannot override thresholds.%s: the rule file has no threshold '%s'%s; its "
                    "thresholds are %s",
                    o->name, o->name, hint, list);
            free(list);
            free(names);
        } else if (!isfinite(o->value)) {
            diag_at(L->d, L->file, line, 0, 0,
                    "cannot override thresholds.%s with %g: a threshold is a finite number",
                    o->name, o->value);
        } else if (o->value != r->thresholds[t].value) {
            r->thresholds[t].value = o->value;
            r->thresholds[t].overridden = true;
        }
    }
}

/* eng_rules_overrides' text for the thresholds apply_overrides replaced. */
static char *overrides_text(const eng_rules *r)
{
    size_t len = 1;
    for (int i = 0; i < r->nthresholds; i++)
        if (r->thresholds[i].overridden)
            len += strlen(r->thresholds[i].name) + 2 + 32;
    char *text = xcalloc(len, 1);
    size_t at = 0;
    for (int i = 0; i < r->nthresholds; i++) {
        if (!r->thresholds[i].overridden)
            continue;
        char value[32];
        format_exact(r->thresholds[i].value, value, sizeof value);
        int n = snprintf(text + at, len - at, "%s%s=%s", at > 0 ? ", " : "",
                         r->thresholds[i].name, value);
        assert(n > 0 && (size_t)n < len - at);
        at += (size_t)n;
    }
    return text;
}

static void read_derived(loader *L, const config_setting_t *g)
{
    eng_rules *r = L->r;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        diag_at(L->d, L->file, line_of(g), 0, 0,
                "'derived' must be a group { name = \"expression\"; … }, not %s",
                eng_config_type_phrase(g));
        return;
    }
    int n = config_setting_length(g);
    if (n > ENG_MAX_DERIVED) {
        diag_at(L->d, L->file, line_of(config_setting_get_elem(g, ENG_MAX_DERIVED)), 0, 0,
                "too many derived names (at most %d)", ENG_MAX_DERIVED);
        n = ENG_MAX_DERIVED;
    }
    r->rules[ENG_KIND_DERIVED] = xcalloc((size_t)n, sizeof(rule));
    for (int i = 0; i < n; i++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        rule *d = &r->rules[ENG_KIND_DERIVED][r->count[ENG_KIND_DERIVED]++];
        d->info.file = r->file;
        d->info.line = line_of(s);
        if (!valid_id(name))
            diag_at(L->d, L->file, line_of(s), 0, 0,
                    "derived name '%s' must be lowercase letters, digits and _, starting with "
                    "a letter",
                    name);
        else if (reserved(name))
            diag_at(L->d, L->file, line_of(s), 0, 0,
                    "derived name '%s' is a reserved word of the rule language", name);
        else if (eng_schema_find(r->schema, name) >= 0)
            diag_at(L->d, L->file, line_of(s), 0, 0,
                    "derived name '%s' is already a fact; a derived name may not shadow a fact: "
                    "choose another name",
                    name);
        else
            d->info.id = own(r, name);
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
            diag_at(L->d, L->file, line_of(s), 0, 0,
                    "derived '%s' must be an expression in a string, not %s", name,
                    eng_config_type_phrase(s));
        else
            d->info.expression = own(r, config_setting_get_string(s));
    }
}

/* Which keys each section's entries may have, and which are required. */
typedef struct section_spec {
    eng_kind kind;
    const char *name;     /* "reasons" */
    const char *singular; /* "reason" */
    int max;
    const char *keys[5];
    int nkeys;
} section_spec;

static const section_spec sections[] = {
    {ENG_KIND_REASON, "reasons", "reason", ENG_MAX_REASONS, {"id", "label", "when", "response"}, 4},
    {ENG_KIND_FLAG, "flags", "flag", ENG_MAX_FLAGS, {"id", "label", "when", "severity"}, 4},
    {ENG_KIND_CATEGORY,
     "categories",
     "category",
     ENG_MAX_CATEGORIES,
     {"id", "label", "when", "response"},
     4},
    {ENG_KIND_SCORE,
     "score",
     "score component",
     ENG_MAX_SCORE,
     {"id", "weight", "value", "label"},
     4},
};

static void read_section(loader *L, const section_spec *spec, const config_setting_t *list)
{
    eng_rules *r = L->r;
    eng_kind k = spec->kind;
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        diag_at(L->d, L->file, line_of(list), 0, 0, "'%s' must be a list ( { … }, { … } ), not %s",
                spec->name, eng_config_type_phrase(list));
        return;
    }
    int n = config_setting_length(list);
    if (n > spec->max) {
        diag_at(L->d, L->file, line_of(config_setting_get_elem(list, (unsigned)spec->max)), 0, 0,
                "too many %s (at most %d)", spec->name, spec->max);
        n = spec->max;
    }
    r->rules[k] = xcalloc((size_t)n, sizeof(rule));
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        rule *ru = &r->rules[k][r->count[k]++];
        ru->info.file = r->file;
        ru->info.line = line_of(e);
        if (config_setting_type(e) != CONFIG_TYPE_GROUP) {
            diag_at(L->d, L->file, line_of(e), 0, 0, "%s entry %d must be a group { … }, not %s",
                    spec->name, i + 1, eng_config_type_phrase(e));
            continue;
        }
        char what[160];
        const char *id = NULL;
        config_setting_t *ids = config_setting_get_member(e, "id");
        if (ids == NULL)
            diag_at(L->d, L->file, line_of(e), 0, 0, "%s entry %d has no 'id'", spec->name, i + 1);
        else if (config_setting_type(ids) != CONFIG_TYPE_STRING)
            diag_at(L->d, L->file, line_of(ids), 0, 0,
                    "'id' of %s entry %d must be a string, not %s", spec->name, i + 1,
                    eng_config_type_phrase(ids));
        else if (!valid_id(config_setting_get_string(ids)))
            diag_at(L->d, L->file, line_of(ids), 0, 0,
                    "id '%s' of %s entry %d must be lowercase letters, digits and _, starting "
                    "with a letter",
                    config_setting_get_string(ids), spec->name, i + 1);
        else {
            id = config_setting_get_string(ids);
            int prev = find_rule(r, k, id);
            if (prev >= 0)
                diag_at(L->d, L->file, line_of(ids), 0, 0,
                        "duplicate id '%s' in %s (first at line %d)", id, spec->name,
                        r->rules[k][prev].info.line);
            else
                ru->info.id = own(r, id);
        }
        if (id != NULL)
            snprintf(what, sizeof what, _("%s entry '%s'"), spec->name, id);
        else
            snprintf(what, sizeof what, _("%s entry %d"), spec->name, i + 1);

        for (int m = 0; m < config_setting_length(e); m++) {
            config_setting_t *s = config_setting_get_elem(e, (unsigned)m);
            bool known = false;
            for (int j = 0; j < spec->nkeys; j++)
                known = known || strcmp(config_setting_name(s), spec->keys[j]) == 0;
            if (!known)
                unknown_key(L, s, what, spec->keys, spec->nkeys);
        }

        bool is_last_category = k == ENG_KIND_CATEGORY && i == config_setting_length(list) - 1;
        if (k != ENG_KIND_SCORE)
            ru->info.label = own(r, get_string(L, e, "label", what, true, NULL));
        else
            ru->info.label = own(r, get_string(L, e, "label", what, false, NULL));
        if (k == ENG_KIND_REASON || k == ENG_KIND_CATEGORY)
            ru->info.response = own(r, get_string(L, e, "response", what, false, NULL));

        if (k == ENG_KIND_SCORE) {
            int line = ru->info.line;
            ru->info.expression = own(r, get_string(L, e, "value", what, true, &line));
            ru->info.line = line;
            config_setting_t *w = config_setting_get_member(e, "weight");
            double wv = 0;
            if (w == NULL)
                diag_at(L->d, L->file, line_of(e), 0, 0, "%s has no 'weight'", what);
            else if (!eng_config_number(w, &wv))
                diag_at(L->d, L->file, line_of(w), 0, 0, "'weight' of %s must be a number, not %s",
                        what, eng_config_type_phrase(w));
            else if (!(wv > 0))
                diag_at(L->d, L->file, line_of(w), 0, 0, "'weight' of %s must be > 0, not %g", what,
                        wv);
            else if (!(wv <= MAX_WEIGHT))
                diag_at(L->d, L->file, line_of(w), 0, 0,
                        "'weight' of %s is %g, more than %g: weights are relative, use small "
                        "numbers",
                        what, wv, MAX_WEIGHT);
            ru->weight = ru->info.weight = wv;
        } else if (is_last_category) {
            config_setting_t *w = config_setting_get_member(e, "when");
            if (w != NULL)
                diag_at(L->d, L->file, line_of(w), 0, 0,
                        "the last category ('%s') is the catch-all and must not have 'when': "
                        "add a category without 'when' after it, or remove this 'when'",
                        id != NULL ? id : "?");
        } else {
            int line = ru->info.line;
            const char *need = k == ENG_KIND_CATEGORY ? _(" (only the last category, the "
                                                          "catch-all, has none)")
                                                      : "";
            config_setting_t *w = config_setting_get_member(e, "when");
            if (w == NULL)
                diag_at(L->d, L->file, line_of(e), 0, 0, "%s has no 'when'%s", what, need);
            else
                ru->info.expression = own(r, get_string(L, e, "when", what, false, &line));
            ru->info.line = line;
        }
        if (k == ENG_KIND_FLAG) {
            const char *sev = get_string(L, e, "severity", what, false, NULL);
            if (config_setting_get_member(e, "severity") == NULL)
                sev = "warning";
            if (sev != NULL && strcmp(sev, "info") != 0 && strcmp(sev, "warning") != 0 &&
                strcmp(sev, "critical") != 0) {
                diag_at(L->d, L->file, line_of(config_setting_get_member(e, "severity")), 0, 0,
                        "'severity' of %s must be info, warning or critical, not '%s'", what, sev);
                sev = NULL;
            }
            ru->info.severity = own(r, sev);
        }
    }
}

/* ---- compiling ------------------------------------------------------------------------------ */

static expr_prog *compile_one(loader *L, const char *src, stage st, int derived_index,
                              eng_type want, int line)
{
    if (src == NULL)
        return NULL;
    /* (expr_compile refuses an expression longer than ENG_MAX_EXPR_LEN, positioned) */
    scope_ud u = {L, st, derived_index, false};
    expr_scope sc = {resolve, names, &u};
    return expr_compile(src, &sc, want, L->file, line, L->d);
}

/* Finds every derived name that is part of a cycle and reports it at that member, at the column
 * where it reads the next member: "derived 'a' is part of a cycle: a -> b -> a". The references
 * come from compiling each expression once with every derived name visible (diagnostics of that
 * pass are dropped: the real pass reports them). */
static void check_cycles(loader *L)
{
    eng_rules *r = L->r;
    int n = r->count[ENG_KIND_DERIVED];
    rule *der = r->rules[ENG_KIND_DERIVED];
    if (n == 0)
        return;
    int *off = xcalloc((size_t)n * (size_t)n, sizeof *off); /* byte offset + 1 of i -> j; 0 none */
    int *len = xcalloc((size_t)n * (size_t)n, sizeof *len);
    eng_diags *scratch = eng_diags_new();
    for (int i = 0; i < n; i++) {
        if (der[i].info.expression == NULL || strlen(der[i].info.expression) > ENG_MAX_EXPR_LEN)
            continue;
        scope_ud u = {L, ST_DERIVED, i, true};
        expr_scope sc = {resolve, names, &u};
        expr_prog *p =
            expr_compile(der[i].info.expression, &sc, ENG_NULL, L->file, der[i].info.line, scratch);
        if (p == NULL)
            continue;
        const expr_ref *refs;
        int nrefs = expr_refs(p, &refs);
        for (int k = 0; k < nrefs; k++) {
            int j = refs[k].is_const ? -1 : find_rule(r, ENG_KIND_DERIVED, refs[k].name);
            if (j >= 0 && off[i * n + j] == 0) {
                off[i * n + j] = refs[k].offset + 1;
                len[i * n + j] = refs[k].len;
            }
        }
        expr_free(p);
    }
    eng_diags_free(scratch);

    int *parent = xcalloc((size_t)n, sizeof *parent);
    int *queue = xcalloc((size_t)n, sizeof *queue);
    int *path = xcalloc((size_t)n + 1, sizeof *path);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            parent[j] = -1;
        int head = 0, tail = 0, last = -1;
        for (int j = 0; j < n; j++)
            if (off[i * n + j] && j != i) {
                parent[j] = i;
                queue[tail++] = j;
            }
        if (off[i * n + i])
            last = i;
        while (last < 0 && head < tail) {
            int v = queue[head++];
            if (off[v * n + i]) {
                last = v;
                break;
            }
            for (int j = 0; j < n; j++)
                if (off[v * n + j] && parent[j] < 0 && j != i) {
                    parent[j] = v;
                    queue[tail++] = j;
                }
        }
        if (last < 0)
            continue;
        /* path: i -> ... -> last -> i */
        int np = 0;
        for (int v = last; v != i; v = parent[v])
            path[np++] = v;
        path[np++] = i;
        char msg[MSG_MAX];
        int m =
            snprintf(msg, sizeof msg,
                     _("derived '%s' is part of a cycle: "), der[i].info.id ? der[i].info.id : "?");
        for (int k = np - 1; k >= -1 && m >= 0 && (size_t)m < sizeof msg; k--) {
            int v = k >= 0 ? path[k] : i;
            m += snprintf(msg + m, sizeof msg - (size_t)m, "%s%s", k == np - 1 ? "" : " -> ",
                          der[v].info.id ? der[v].info.id : "?");
        }
        int next = np >= 2 ? path[np - 2] : i;
        const char *src = der[i].info.expression;
        int o = off[i * n + next] - 1;
        int col = diag_chars(src, (size_t)o) + 1;
        int span = diag_chars(src + o, (size_t)len[i * n + next]);
        eng_diags_add(L->d, L->file, der[i].info.line, col, span, false, src, "%s", msg);
        L->cycle[i] = 1;
    }
    free(parent);
    free(queue);
    free(path);
    free(off);
    free(len);
}

/* Warns about thresholds and derived names no rule reads. */
static void warn_unused(loader *L)
{
    eng_rules *r = L->r;
    bool *used_t = xcalloc((size_t)r->nthresholds, sizeof *used_t);
    bool *used_d = xcalloc((size_t)r->count[ENG_KIND_DERIVED], sizeof *used_d);
    for (int k = 0; k < ENG_NKINDS; k++)
        for (int i = 0; i < r->count[k]; i++) {
            if (r->rules[k][i].prog == NULL)
                continue;
            const expr_ref *refs;
            int nrefs = expr_refs(r->rules[k][i].prog, &refs);
            for (int j = 0; j < nrefs; j++) {
                int t = find_threshold(r, refs[j].name);
                if (t >= 0)
                    used_t[t] = true;
                int d = refs[j].is_const ? -1 : refs[j].slot - r->derived_base;
                if (d >= 0 && d < r->count[ENG_KIND_DERIVED])
                    used_d[d] = true;
            }
        }
    for (int i = 0; i < r->nthresholds; i++)
        if (!used_t[i])
            eng_diags_add(L->d, L->file, r->thresholds[i].line, 0, 0, true, NULL,
                          "threshold '%s' is not used by any rule", r->thresholds[i].name + 11);
    for (int i = 0; i < r->count[ENG_KIND_DERIVED]; i++)
        if (!used_d[i] && r->rules[ENG_KIND_DERIVED][i].info.id != NULL)
            eng_diags_add(L->d, L->file, r->rules[ENG_KIND_DERIVED][i].info.line, 0, 0, true, NULL,
                          "derived '%s' is not used by any rule",
                          r->rules[ENG_KIND_DERIVED][i].info.id);
    free(used_t);
    free(used_d);
}

static void compile_all(loader *L)
{
    eng_rules *r = L->r;
    int nd = r->count[ENG_KIND_DERIVED];
    r->nfacts = eng_schema_count(r->schema);
    r->derived_base = r->nfacts;
    r->reasons_slot = r->derived_base + nd;
    r->reason_base = r->reasons_slot + 1;
    r->flag_base = r->reason_base + r->count[ENG_KIND_REASON];
    r->category_slot = r->flag_base + r->count[ENG_KIND_FLAG];
    r->nslots = r->category_slot + 1;

    L->cycle = xcalloc((size_t)nd, sizeof *L->cycle);
    L->dtype = xcalloc((size_t)nd, sizeof *L->dtype);
    int ncand =
        r->nfacts + r->nthresholds + nd + 2 + r->count[ENG_KIND_REASON] + r->count[ENG_KIND_FLAG];
    L->cand = xcalloc((size_t)ncand, sizeof *L->cand);
    for (int i = 0; i < r->nfacts; i++)
        if (eng_schema_opaque_type(r->schema, i) == NULL)
            L->cand[L->ncand_base++] = eng_schema_name(r->schema, i);
    for (int i = 0; i < r->nthresholds; i++)
        L->cand[L->ncand_base++] = r->thresholds[i].name;
    for (int k = ENG_KIND_REASON; k <= ENG_KIND_FLAG; k++) {
        L->qual[k] = xcalloc((size_t)r->count[k], sizeof(char *));
        for (int i = 0; i < r->count[k]; i++)
            if (r->rules[k][i].info.id != NULL) {
                size_t n = strlen(r->rules[k][i].info.id) + 8;
                L->qual[k][i] = xcalloc(n, 1);
                snprintf(L->qual[k][i], n, "%s.%s", k == ENG_KIND_REASON ? "reason" : "flag",
                         r->rules[k][i].info.id);
            }
    }

    check_cycles(L);
    for (int i = 0; i < nd; i++) {
        rule *d = &r->rules[ENG_KIND_DERIVED][i];
        d->prog = compile_one(L, d->info.expression, ST_DERIVED, i, ENG_NULL, d->info.line);
        L->dtype[i] = d->prog != NULL ? expr_type(d->prog) : ENG_NULL;
    }
    static const struct {
        eng_kind kind;
        stage st;
        eng_type want;
    } order[] = {{ENG_KIND_REASON, ST_REASONS, ENG_BOOL},
                 {ENG_KIND_FLAG, ST_FLAGS, ENG_BOOL},
                 {ENG_KIND_CATEGORY, ST_CATEGORIES, ENG_BOOL},
                 {ENG_KIND_SCORE, ST_SCORE, ENG_NUM}};
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++)
        for (int i = 0; i < r->count[order[o].kind]; i++) {
            rule *ru = &r->rules[order[o].kind][i];
            ru->prog =
                compile_one(L, ru->info.expression, order[o].st, 0, order[o].want, ru->info.line);
        }
    for (int i = 0; i < r->count[ENG_KIND_CATEGORY]; i++) {
        rule *c = &r->rules[ENG_KIND_CATEGORY][i];
        if (c->info.id != NULL)
            c->id_value = eng_str(c->info.id);
    }
    r->used_facts = xcalloc((size_t)r->nfacts, sizeof *r->used_facts);
    for (int f = 0; f < r->nfacts; f++) {
        bool used = false;
        for (int k = 0; k < ENG_NKINDS && !used; k++)
            for (int i = 0; i < r->count[k] && !used; i++) {
                const expr_ref *refs;
                int nrefs = r->rules[k][i].prog ? expr_refs(r->rules[k][i].prog, &refs) : 0;
                for (int j = 0; j < nrefs && !used; j++)
                    used = !refs[j].is_const && refs[j].slot == f;
            }
        if (used)
            r->used_facts[r->nused_facts++] = f;
    }
    if (eng_diags_errors(L->d) == 0) { /* on a refused file they would only repeat its errors */
        warn_unused(L);
        r->reg = regvm_link(r);
    }
}

static void loader_cleanup(loader *L)
{
    free(L->cycle);
    free(L->dtype);
    free(L->cand);
    for (int k = 0; k < ENG_NKINDS; k++) {
        if (L->qual[k] != NULL)
            for (int i = 0; i < L->r->count[k]; i++)
                free(L->qual[k][i]);
        free(L->qual[k]);
    }
}

static void walk(loader *L, config_t *cfg)
{
    eng_rules *r = L->r;
    static const char *const top_keys[] = {"version", "language", "thresholds", "derived",
                                           "reasons", "flags",    "categories", "score"};
    config_setting_t *root = config_root_setting(cfg);
    for (int i = 0; i < config_setting_length(root); i++) {
        config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        bool known = false;
        for (size_t j = 0; j < sizeof top_keys / sizeof top_keys[0]; j++)
            known = known || strcmp(config_setting_name(s), top_keys[j]) == 0;
        if (!known)
            unknown_key(L, s, _("the rule file"), top_keys,
                        (int)(sizeof top_keys / sizeof top_keys[0]));
    }

    config_setting_t *v = config_setting_get_member(root, "version");
    if (v == NULL)
        diag_at(L->d, L->file, 1, 0, 0,
                "the rule file has no 'version' (write e.g. version = \"2024.1\";)");
    else if (config_setting_type(v) != CONFIG_TYPE_STRING)
        diag_at(L->d, L->file, line_of(v), 0, 0,
                "'version' must be a string such as \"2024.1\", not %s", eng_config_type_phrase(v));
    else
        r->version = (char *)own(r, config_setting_get_string(v));

    /* the language of explanation text: English unless the file says otherwise */
    r->language = "en";
    config_setting_t *lang = config_setting_get_member(root, "language");
    if (lang != NULL && config_setting_type(lang) != CONFIG_TYPE_STRING)
        diag_at(L->d, L->file, line_of(lang), 0, 0,
                "'language' must be a string, \"ja\" or \"en\", not %s",
                eng_config_type_phrase(lang));
    else if (lang != NULL && !eng_language_known(config_setting_get_string(lang)))
        diag_at(L->d, L->file, line_of(lang), 0, 0,
                "unknown language '%s': explanations can be written in \"ja\" or \"en\"",
                config_setting_get_string(lang));
    else if (lang != NULL)
        r->language = strcmp(config_setting_get_string(lang), "ja") == 0 ? "ja" : "en";

    config_setting_t *s;
    if ((s = config_setting_get_member(root, "thresholds")) != NULL)
        read_thresholds(L, s);
    apply_overrides(L, s);
    if ((s = config_setting_get_member(root, "derived")) != NULL)
        read_derived(L, s);
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        s = config_setting_get_member(root, sections[i].name);
        if (s != NULL)
            read_section(L, &sections[i], s);
        if (sections[i].kind == ENG_KIND_CATEGORY &&
            (s == NULL || r->count[ENG_KIND_CATEGORY] == 0))
            diag_at(L->d, L->file, s ? line_of(s) : 1, 0, 0,
                    "the rule file needs at least one category in 'categories': the last one, "
                    "without 'when', is the catch-all");
        if (sections[i].kind == ENG_KIND_SCORE && (s == NULL || r->count[ENG_KIND_SCORE] == 0))
            diag_at(L->d, L->file, s ? line_of(s) : 1, 0, 0,
                    "the rule file needs at least one component in 'score' (id, weight, value)");
    }
    compile_all(L);
}

/* Copies diagnostics from `from` into `to` ordered by line, then column (stable), so that a
 * planner reads them top to bottom whatever stage found them. */
static void add_sorted(eng_diags *to, const eng_diags *from)
{
    int n = eng_diags_count(from);
    int *order = xcalloc((size_t)n, sizeof *order);
    for (int i = 0; i < n; i++) {
        const eng_diag *g = eng_diags_get(from, i);
        int j = i;
        while (j > 0) {
            const eng_diag *h = eng_diags_get(from, order[j - 1]);
            if (h->line < g->line || (h->line == g->line && h->col <= g->col))
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int i = 0; i < n; i++) {
        const eng_diag *g = eng_diags_get(from, order[i]);
        eng_diags_add(to, g->file, g->line, g->col, g->span, g->warning, g->excerpt, "%s",
                      g->message);
    }
    free(order);
}

/* libconfig says only "syntax error" and a line. Names the usual causes where they are plain:
 * a comma before ')' or ']' (accepted by newer libconfig, not by 1.5) and a missing ';'. */
static const char *syntax_hint(const char *text, int line)
{
    const char *p = text;
    for (int l = 1; l < line - 1 && *p != '\0'; p++)
        if (*p == '\n')
            l++;
    /* p: the start of the line before the error line (or the file); look two lines ahead */
    const char *end = p;
    for (int n = 0; n < 3 && *end != '\0'; end++)
        if (*end == '\n')
            n++;
    bool in_string = false;
    for (const char *q = p; q < end; q++) {
        if (*q == '"' && (q == text || q[-1] != '\\'))
            in_string = !in_string;
        if (in_string || *q != ',')
            continue;
        const char *r = q + 1;
        while (r < end && (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r'))
            r++;
        if (r < end && (*r == ')' || *r == ']'))
            return _(" (a comma before ')' or ']' is not allowed in libconfig 1.5: remove it)");
    }
    return "";
}

/* Compiles `text` with the thresholds of `overrides` replaced (none: n = 0). */
static eng_rules *load(const char *text, const char *file, const eng_schema *schema,
                       const eng_threshold_override *overrides, int noverrides, eng_diags *diags)
{
    size_t len = strlen(text);
    eng_rules *r = xcalloc(1, sizeof *r);
    r->file = xstrdup(file);
    r->source = xstrdup(text);
    r->overrides = xstrdup("");
    r->schema = schema != NULL ? eng_schema_copy(schema) : eng_schema_new_builtin();

    char *copy = eng_config_text_prepare(text, len, file, diags);
    if (copy == NULL)
        goto fail;
    config_t cfg;
    config_init(&cfg);
    config_set_auto_convert(&cfg, 1);
    if (config_read_string(&cfg, copy) != CONFIG_TRUE) {
        int line = config_error_line(&cfg);
        diag_at(diags, file, line, 0, 0, "%s%s",
                _(config_error_text(&cfg) ? config_error_text(&cfg) : "syntax error"),
                syntax_hint(copy, line));
    } else {
        loader L = {.r = r,
                    .d = diags,
                    .file = r->file,
                    .overrides = overrides,
                    .noverrides = noverrides};
        walk(&L, &cfg);
        loader_cleanup(&L);
    }
    config_destroy(&cfg);
    free(copy);
    if (eng_diags_errors(diags) > 0)
        goto fail;
    free(r->overrides);
    r->overrides = overrides_text(r);
    if (r->overrides[0] == '\0') {
        sha256_hex(text, len, r->sha256);
    } else {
        size_t olen = strlen(r->overrides);
        char *identity = xcalloc(len + 1 + olen + 1, 1);
        memcpy(identity, text, len);
        identity[len] = '\n';
        memcpy(identity + len + 1, r->overrides, olen);
        sha256_hex(identity, len + 1 + olen, r->sha256);
        free(identity);
    }
    return r;
fail:
    eng_rules_free(r);
    return NULL;
}

eng_rules *eng_rules_load_string(const char *text, const char *name, const eng_schema *schema,
                                 eng_diags *diags)
{
    eng_diags *mine = eng_diags_new();
    eng_rules *r = load(text, name != NULL ? name : "<string>", schema, NULL, 0, mine);
    add_sorted(diags, mine);
    eng_diags_free(mine);
    return r;
}

eng_rules *eng_rules_override(const eng_rules *base, const eng_threshold_override *overrides,
                              int n, eng_diags *diags)
{
    eng_diags *mine = eng_diags_new();
    eng_rules *r = load(base->source, base->file, base->schema, overrides, n, mine);
    add_sorted(diags, mine);
    eng_diags_free(mine);
    return r;
}

eng_rules *eng_rules_load_file(const char *path, const eng_schema *schema, eng_diags *diags)
{
    char *text;
    size_t len;
    int rc = eng_file_read(path, &text, &len, diags);
    if (rc == -2) {
        diag_at(diags, path, 1, 0, 0, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    if (rc < 0)
        return NULL;
    if (strlen(text) != len) { /* a NUL byte: report it where it stands */
        free(eng_config_text_prepare(text, len, path, diags));
        free(text);
        return NULL;
    }
    eng_rules *r = eng_rules_load_string(text, path, schema, diags);
    free(text);
    return r;
}

void eng_rules_free(eng_rules *r)
{
    if (r == NULL)
        return;
    for (int k = 0; k < ENG_NKINDS; k++) {
        for (int i = 0; i < r->count[k]; i++)
            expr_free(r->rules[k][i].prog);
        free(r->rules[k]);
    }
    for (int i = 0; i < r->nthresholds; i++)
        free(r->thresholds[i].name);
    free(r->thresholds);
    free(r->used_facts);
    regvm_free(r->reg);
    for (int i = 0; i < r->nstrings; i++)
        free(r->strings[i]);
    free(r->strings);
    eng_schema_free(r->schema);
    free(r->source);
    free(r->overrides);
    free(r->file);
    free(r);
}

const char *eng_rules_version(const eng_rules *r)
{
    return r->version;
}
const char *eng_rules_language(const eng_rules *r)
{
    return r->language;
}

bool eng_language_known(const char *lang)
{
    return lang != NULL && (strcmp(lang, "en") == 0 || strcmp(lang, "ja") == 0);
}

const char *eng_rules_source(const eng_rules *r)
{
    return r->source;
}
const char *eng_rules_sha256(const eng_rules *r)
{
    return r->sha256;
}
const char *eng_rules_overrides(const eng_rules *r)
{
    return r->overrides;
}
const eng_schema *eng_rules_schema(const eng_rules *r)
{
    return r->schema;
}

const char *eng_kind_name(eng_kind k)
{
    static const char *const kind_names[] = {"derived", "reason", "flag", "category", "score"};
    _Static_assert(sizeof kind_names / sizeof kind_names[0] == ENG_NKINDS, "one name per kind");
    return (unsigned)k < ENG_NKINDS ? kind_names[k] : "?";
}

int eng_rules_count(const eng_rules *r, eng_kind k)
{
    return (unsigned)k < ENG_NKINDS ? r->count[k] : 0;
}

const eng_rule_info *eng_rules_get(const eng_rules *r, eng_kind k, int i)
{
    if ((unsigned)k >= ENG_NKINDS || i < 0 || i >= r->count[k])
        return NULL;
    return &r->rules[k][i].info;
}

int eng_rules_find(const eng_rules *r, eng_kind k, const char *id)
{
    return (unsigned)k < ENG_NKINDS && id != NULL ? find_rule(r, k, id) : -1;
}
