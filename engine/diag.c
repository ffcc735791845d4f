/* diag.c - positioned diagnostics (eng_diags): collect, print like a compiler, "did you mean".
 *
 * Every message the expression compiler (lex.c, parse.c, compile.c, expr.c) produces, in its
 * exact form (the rule-file corpus asserts them; keep this list in step with the code). Errors
 * unless marked; X is the token as written, T a type name.
 *
 *   syntax error: unexpected character '#'
 *   syntax error: unexpected character '＋' (U+FF0B)     (non-ASCII: the whole character + code)
 *   syntax error: unexpected character '=' (use '==')
 *   syntax error: unexpected character '&' (use '&&' or 'and')      ('|': use '||' or 'or')
 *   syntax error: unexpected control character 0x01
 *   syntax error: unterminated string
 *   syntax error: malformed number '1e'                 ('1.', '12abc')
 *   syntax error: malformed number '.5' (write 0.5)
 *   syntax error: number '1e999' is out of range
 *   syntax error: empty expression
 *   syntax error: unexpected end of expression
 *   syntax error: unexpected 'X' (expected an operand)
 *   syntax error: unexpected 'X' (expected an operator or the end of the expression)
 *   syntax error: unexpected 'X' (expected ',' or ')')
 *   syntax error: unexpected 'X' (expected ':' of '?:')
 *   syntax error: unexpected 'X' (expected a number after '-' in an 'in' list)
 *   syntax error: missing ')'                           (at the unclosed '(')
 *   syntax error: missing ':' of '?:'                   (at the '?')
 *   syntax error: 'in' needs a parenthesised list of literals
 *   syntax error: unexpected 'X' in an 'in' list (expected a literal)
 *   expression nested too deeply (limit 64)
 *   expression too long (4097 bytes, limit 4096)       (column 1, no excerpt)
 *   expression holds invalid UTF-8 (byte 0xff)          (no excerpt)
 *   unknown name 'progres_ratio' (did you mean 'progress_ratio'?)     [suggestion only when close]
 *   <expr_name.later>                                   (EXPR_NAME_LATER and EXPR_NAME_OPAQUE)
 *   'x' cannot be used in expressions                   (a resolved name of no usable type)
 *   'max' is a function: call it as max(...)
 *   'due_date' is a date column and cannot be used in rules      (eng_eval_expression's scope)
 *   unknown function 'mean'
 *   unknown function 'rond' (did you mean 'round'?)     [suggestion only when close]
 *   function 'round' takes 1 or 2 arguments, got 3
 *   function 'min' takes 2 or more arguments, got 1     (also max, coalesce)
 *   function 'abs' takes 1 argument, got 2              (also is_null)
 *   function 'clamp' takes 3 arguments, got 2
 *   decimals of 'round' must be an integer from -15 to 15, got 2.5
 *   type error: '+' needs numbers, got boolean and number        (also - * / < <= > >=)
 *   type error: '-' needs a number, got string                   (unary minus)
 *   type error: '!' needs a boolean, got number                  (also not)
 *   type error: '==' needs two values of the same type, got string and number   (also !=)
 *   type error: '&&' needs booleans, got number                  (also || and or; at the operand)
 *   type error: condition of '?:' must be boolean, got number
 *   type error: branches of '?:' differ: number and string
 *   type error: 'in' needs a number or a string, got boolean
 *   type error: 'not' binds tighter than 'in': write not (x in (...))     (also '!': !(x in (...)))
 *   type error: 'in' list must hold string literals              (number; "number or string")
 *   type error: 'abs' needs numbers, got string                  (also min max round clamp)
 *   type error: 'coalesce' needs values of one type, got number and string
 *   type error: expected a boolean condition, got number         (want ENG_BOOL: a `when`)
 *   type error: expected a number, got boolean                   (want ENG_NUM: a score `value`)
 *   comparison with null is always null; use is_null(x)          (WARNING)
 *   too many errors in this expression (limit 20); the rest are not shown   (the 21st error)
 *
 * Types are named "number", "boolean", "string" and "null".
 */
#include "i18n.h"
#include "internal.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Names longer than this are never suggested for (the distance table is on the stack). */
#define DIAG_SUGGEST_MAX_LEN 128

struct eng_diags {
    eng_diag *items; /* owns file, message and excerpt of each */
    int count;
    int cap;
};


eng_diags *eng_diags_new(void)
{
    eng_diags *d = xcalloc(1, sizeof *d);
    return d;
}

void eng_diags_clear(eng_diags *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->count; i++) {
        free((char *)d->items[i].file);
        free((char *)d->items[i].message);
        free((char *)d->items[i].excerpt);
    }
    d->count = 0;
}

void eng_diags_free(eng_diags *d)
{
    if (!d)
        return;
    eng_diags_clear(d);
    free(d->items);
    free(d);
}

int eng_diags_count(const eng_diags *d)
{
    return d ? d->count : 0;
}

int eng_diags_errors(const eng_diags *d)
{
    int n = 0;
    for (int i = 0; d && i < d->count; i++)
        n += !d->items[i].warning;
    return n;
}

const eng_diag *eng_diags_get(const eng_diags *d, int i)
{
    if (!d || i < 0 || i >= d->count)
        return NULL;
    return &d->items[i];
}

void eng_diags_add(eng_diags *d, const char *file, int line, int col, int span, bool warning,
                   const char *excerpt, const char *fmt, ...)
{
    if (d->count == d->cap) {
        int cap = d->cap ? d->cap * 2 : 8;
        eng_diag *items = xrealloc(d->items, (size_t)cap * sizeof *items);
        d->items = items;
        d->cap = cap;
    }
    fmt = _(fmt); /* the one place every rule-file message passes ("%s" is not translated) */
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    char *msg = xmalloc((size_t)n + 1);
    vsnprintf(msg, (size_t)n + 1, fmt, ap2);
    va_end(ap2);

    eng_diag *g = &d->items[d->count++];
    g->file = xstrdup(file ? file : "<string>");
    g->line = line;
    g->col = col > 0 ? col : 0;
    g->span = col > 0 ? (span > 0 ? span : 1) : 0;
    g->warning = warning;
    g->message = msg;
    g->excerpt = excerpt ? xstrdup(excerpt) : NULL;
}

int diag_chars(const char *s, size_t bytes)
{
    int n = 0;
    for (size_t i = 0; i < bytes && s[i]; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80; /* count lead bytes, not continuation bytes */
    return n;
}

/* Byte offset of the `chars`-th character of s (0-based), or strlen(s) past the end. */
static size_t char_offset(const char *s, int chars)
{
    size_t i = 0;
    for (int c = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == chars)
                return i;
            c++;
        }
    }
    return i;
}

/* Decodes the UTF-8 character at s (expressions are validated before they get here; a stray
 * byte counts as one character of its own). Sets *len to its byte length. */
static unsigned decode(const char *s, int *len)
{
    unsigned c = (unsigned char)s[0];
    int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    unsigned cp = n == 1 ? c : c & (0x7Fu >> n);
    int i = 1;
    for (; i < n && ((unsigned char)s[i] & 0xC0) == 0x80; i++)
        cp = (cp << 6) | ((unsigned char)s[i] & 0x3F);
    *len = i;
    return i == n ? cp : c;
}

/* Terminal cells a character takes: 2 for East Asian wide and fullwidth characters (kanji, kana,
 * fullwidth forms, hangul), else 1. Hand-written because wcwidth() depends on the process locale,
 * which a library must not set; the ranges are the wide blocks of Unicode's EastAsianWidth.txt
 * that Japanese text uses, which is what rule files hold. */
static int cells(unsigned cp)
{
    static const unsigned wide[][2] = {
        {0x1100, 0x115F},   {0x2E80, 0x303E},   {0x3041, 0x33FF}, {0x3400, 0x4DBF},
        {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},   {0xAC00, 0xD7A3}, {0xF900, 0xFAFF},
        {0xFE30, 0xFE4F},   {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F},
        {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
    };
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

/* Prints the line of `excerpt` that holds character column `col` (1-based), indented by four
 * spaces, and a caret line under the `span` characters from there. The column counts characters
 * (SPEC); the caret line pads by display cells, so that it stays under the span in a terminal
 * when wide (Japanese) characters come before it. Tabs before the column are copied. */
static int print_excerpt(FILE *out, const char *excerpt, int col, int span)
{
    size_t at = char_offset(excerpt, col - 1);
    size_t start = at;
    while (start > 0 && excerpt[start - 1] != '\n')
        start--;
    size_t end = at;
    while (excerpt[end] && excerpt[end] != '\n')
        end++;
    if (fprintf(out, "    %.*s\n    ", (int)(end - start), excerpt + start) < 0)
        return -1;
    for (size_t i = start; i < at;) {
        int len;
        unsigned cp = decode(excerpt + i, &len);
        i += (size_t)len;
        if (cp == '\t') {
            if (fputc('\t', out) == EOF)
                return -1;
        } else if (fprintf(out, "%*s", cells(cp), "") < 0) {
            return -1;
        }
    }
    /* The caret line stops at the end of the printed line, but always shows one caret. */
    int carets = 0;
    for (size_t i = at; i < end && span > 0; span--) {
        int len;
        carets += cells(decode(excerpt + i, &len));
        i += (size_t)len;
    }
    if (carets < 1)
        carets = 1;
    for (int i = 0; i < carets; i++)
        if (fputc('^', out) == EOF)
            return -1;
    return fputc('\n', out) == EOF ? -1 : 0;
}

int eng_diags_print(const eng_diags *d, FILE *out)
{
    for (int i = 0; d && i < d->count; i++) {
        const eng_diag *g = &d->items[i];
        const char *kind = g->warning ? _("warning") : _("error");
        int rc;
        if (g->col > 0)
            rc = fprintf(out, "%s:%d:%d: %s: %s\n", g->file, g->line, g->col, kind, g->message);
        else
            rc = fprintf(out, "%s:%d: %s: %s\n", g->file, g->line, kind, g->message);
        if (rc < 0)
            return -1;
        if (g->excerpt && g->col > 0 && print_excerpt(out, g->excerpt, g->col, g->span) < 0)
            return -1;
    }
    return fflush(out) == EOF ? -1 : 0;
}

static int min3(int a, int b, int c)
{
    int m = a < b ? a : b;
    return m < c ? m : c;
}

/* Optimal-string-alignment (restricted Damerau-Levenshtein) distance over bytes, so a swapped
 * pair of letters ("progerss") counts as one edit. Hand-written: no Debian C library offers it,
 * and it is twenty lines over three rows of a bounded table. */
static int edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    int rows[3][DIAG_SUGGEST_MAX_LEN + 1];
    int *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < cur[j])
                cur[j] = pp[j - 2] + 1;
        }
        int *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *diag_suggest(const char *name, const char *const *candidates, int n)
{
    size_t len = strlen(name);
    if (len == 0 || len > DIAG_SUGGEST_MAX_LEN)
        return NULL;
    int limit = (int)len / 3 > 1 ? (int)len / 3 : 1;
    const char *best = NULL;
    int best_dist = limit + 1;
    for (int i = 0; i < n; i++) {
        const char *c = candidates[i];
        if (!c)
            continue;
        size_t lc = strlen(c);
        if (lc > DIAG_SUGGEST_MAX_LEN || strcmp(c, name) == 0)
            continue;
        size_t diff = lc > len ? lc - len : len - lc;
        if (diff > (size_t)limit)
            continue; /* cannot be close enough */
        int dist = edit_distance(name, len, c, lc);
        if (dist < best_dist) {
            best = c;
            best_dist = dist;
        }
    }
    return best;
}
