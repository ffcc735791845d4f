/* lex.c - expression text -> tokens, one at a time, each with its byte range in the source.
 *
 * Grammar of tokens:
 *   number  -> digit+ [ '.' digit+ ] [ ('e' | 'E') ['+' | '-'] digit+ ]   (no sign: unary minus)
 *   string  -> "'" { any but "'" } "'"  |  '"' { any but '"' } '"'       (no escapes)
 *   name    -> ident { '.' ident }       ident -> [A-Za-z_][A-Za-z0-9_]*
 *              true false null and or not in are keywords, not names
 *   punct   -> ( ) , ? : + - * / == != < <= > >= && || !
 * Spaces, tabs and newlines separate tokens. Hand-written: a table-free scanner this small is
 * clearer than a generator, and it must report positions in our own form.
 */
#include "expr_impl.h"
#include "i18n.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* Longest number literal we convert (longer ones are an error, never truncated). */
#define LEX_MAX_NUMBER 64

void lex_init(lexer *lx, const char *src, int len, const char *file, int line, eng_diags *diags)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
    lx->file = file;
    lx->line = line;
    lx->diags = diags;
}

void expr_verror(const lexer *lx, bool warning, int off, int len, const char *fmt, va_list ap)
{
    /* Formatted here (not by eng_diags_add) to quote names of any length without truncation. */
    fmt = _(fmt); /* every expression message passes here (compile.c's error_at, parse.c) */
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *msg = xmalloc(n > 0 ? (size_t)n + 1 : 1);
    vsnprintf(msg, n > 0 ? (size_t)n + 1 : 1, fmt, ap2);
    va_end(ap2);
    int col = diag_chars(lx->src, (size_t)off) + 1;
    int span = diag_chars(lx->src + off, (size_t)len);
    eng_diags_add(lx->diags, lx->file, lx->line, col, span > 0 ? span : 1, warning, lx->src, "%s",
                  msg);
    free(msg);
}

void expr_error(const lexer *lx, bool warning, int off, int len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    expr_verror(lx, warning, off, len, fmt, ap);
    va_end(ap);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident(char c)
{
    return is_ident_start(c) || is_digit(c);
}

/* strtod in the "C" locale whatever the program's locale (a CLI may call setlocale). */
static double c_strtod(const char *s)
{
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!c)
        abort();
    locale_t old = uselocale(c);
    double d = strtod(s, NULL);
    uselocale(old);
    freelocale(c);
    return d;
}

static token make(tok_kind k, int off, int len)
{
    token t = {k, off, len, 0};
    return t;
}

static token lex_number(lexer *lx, int start)
{
    const char *s = lx->src;
    int p = start;
    while (p < lx->len && is_digit(s[p]))
        p++;
    bool bad = false;
    if (p < lx->len && s[p] == '.') {
        p++;
        if (!(p < lx->len && is_digit(s[p])))
            bad = true;
        while (p < lx->len && is_digit(s[p]))
            p++;
    }
    if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < lx->len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (!(p < lx->len && is_digit(s[p])))
            bad = true;
        while (p < lx->len && is_digit(s[p]))
            p++;
    }
    /* "12abc", "1.5.2": one malformed token, not a number followed by a name. */
    while (p < lx->len && (is_ident(s[p]) || s[p] == '.')) {
        bad = true;
        p++;
    }
    lx->pos = p;
    int len = p - start;
    if (bad || len >= LEX_MAX_NUMBER) {
        expr_error(lx, false, start, len, "syntax error: malformed number '%.*s'",
                   len < LEX_MAX_NUMBER ? len : LEX_MAX_NUMBER, s + start);
        return make(T_ERROR, start, len);
    }
    char buf[LEX_MAX_NUMBER];
    memcpy(buf, s + start, (size_t)len);
    buf[len] = '\0';
    double d = c_strtod(buf);
    if (!isfinite(d)) {
        expr_error(lx, false, start, len, "syntax error: number '%s' is out of range", buf);
        return make(T_ERROR, start, len);
    }
    token t = make(T_NUM, start, len);
    t.num = d;
    return t;
}

static token lex_name(lexer *lx, int start)
{
    const char *s = lx->src;
    int p = start;
    for (;;) {
        while (p < lx->len && is_ident(s[p]))
            p++;
        if (p + 1 < lx->len && s[p] == '.' && is_ident_start(s[p + 1]))
            p++; /* dotted name: thresholds.x, reason.id, flag.id */
        else
            break;
    }
    lx->pos = p;
    int len = p - start;
    static const struct {
        const char *word;
        tok_kind kind;
    } keywords[] = {{"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL}, {"and", T_AND},
                    {"or", T_OR},     {"not", T_NOT},     {"in", T_IN}};
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if ((size_t)len == strlen(keywords[i].word) &&
            memcmp(s + start, keywords[i].word, (size_t)len) == 0)
            return make(keywords[i].kind, start, len);
    return make(T_NAME, start, len);
}

/* The code point of a UTF-8 sequence of `len` bytes (validated by expr_compile beforehand). */
static unsigned code_point(const char *p, int len)
{
    static const unsigned char lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    unsigned cp = (unsigned char)p[0] & lead_mask[len < 5 ? len : 4];
    for (int i = 1; i < len; i++)
        cp = (cp << 6) | ((unsigned char)p[i] & 0x3F);
    return cp;
}

token lex_next(lexer *lx)
{
    const char *s = lx->src;
    while (lx->pos < lx->len &&
           (s[lx->pos] == ' ' || s[lx->pos] == '\t' || s[lx->pos] == '\n' || s[lx->pos] == '\r'))
        lx->pos++;
    int start = lx->pos;
    if (start >= lx->len)
        return make(T_EOF, start, 0);
    char c = s[start];
    char n = start + 1 < lx->len ? s[start + 1] : '\0';
    if (is_digit(c))
        return lex_number(lx, start);
    if (c == '.' && is_digit(n)) { /* ".5": say how to write it */
        int p = start + 1;
        while (p < lx->len && is_digit(s[p]))
            p++;
        lx->pos = p;
        expr_error(lx, false, start, p - start,
                   "syntax error: malformed number '%.*s' (write 0%.*s)", p - start, s + start,
                   p - start, s + start);
        return make(T_ERROR, start, p - start);
    }
    if (is_ident_start(c))
        return lex_name(lx, start);
    if (c == '\'' || c == '"') {
        int p = start + 1;
        while (p < lx->len && s[p] != c)
            p++;
        if (p >= lx->len) {
            lx->pos = lx->len;
            expr_error(lx, false, start, 1, "syntax error: unterminated string");
            return make(T_ERROR, start, lx->len - start);
        }
        lx->pos = p + 1;
        return make(T_STR, start, p + 1 - start);
    }
    static const struct {
        char c1, c2;
        tok_kind kind;
    } puncts[] = {{'=', '=', T_EQ},  {'!', '=', T_NE},     {'<', '=', T_LE},   {'>', '=', T_GE},
                  {'&', '&', T_AND}, {'|', '|', T_OR},     {'(', 0, T_LPAREN}, {')', 0, T_RPAREN},
                  {',', 0, T_COMMA}, {'?', 0, T_QUESTION}, {':', 0, T_COLON},  {'+', 0, T_PLUS},
                  {'-', 0, T_MINUS}, {'*', 0, T_STAR},     {'/', 0, T_SLASH},  {'<', 0, T_LT},
                  {'>', 0, T_GT},    {'!', 0, T_NOT}};
    for (size_t i = 0; i < sizeof puncts / sizeof puncts[0]; i++) {
        if (c == puncts[i].c1 && (puncts[i].c2 == 0 || n == puncts[i].c2)) {
            int len = puncts[i].c2 ? 2 : 1;
            lx->pos = start + len;
            return make(puncts[i].kind, start, len);
        }
    }
    /* Quote the whole UTF-8 character, not its first byte. */
    int len = 1;
    while (start + len < lx->len && ((unsigned char)s[start + len] & 0xC0) == 0x80)
        len++;
    lx->pos = start + len;
    if (c == '=')
        expr_error(lx, false, start, len, "syntax error: unexpected character '=' (use '==')");
    else if (c == '&')
        expr_error(lx, false, start, len,
                   "syntax error: unexpected character '&' (use '&&' or 'and')");
    else if (c == '|')
        expr_error(lx, false, start, len,
                   "syntax error: unexpected character '|' (use '||' or 'or')");
    else if ((unsigned char)c < 0x20 || c == 0x7f)
        expr_error(lx, false, start, len, "syntax error: unexpected control character 0x%02x",
                   (unsigned char)c);
    else if (len == 1)
        expr_error(lx, false, start, len, "syntax error: unexpected character '%c'", c);
    else /* name the code point: a full-width space or bracket looks like its ASCII twin */
        expr_error(lx, false, start, len, "syntax error: unexpected character '%.*s' (U+%04X)", len,
                   s + start, code_point(s + start, len));
    return make(T_ERROR, start, len);
}
