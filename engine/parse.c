/* parse.c - tokens -> tree: precedence climbing over a priority table, with a nesting limit.
 *
 * Grammar (loosest first; binary operators left-associative, ?: right-associative):
 *   expr     -> subexpr(0) [ '?' expr ':' expr ]
 *   subexpr  -> ( simple | unop subexpr(UNARY) ) { binop subexpr(prio) | 'in' inlist }
 *                                                       while the operator binds tighter than limit
 *   simple   -> NUMBER | STRING | true | false | null | NAME | NAME '(' [ expr { ',' expr } ] ')'
 *             | '(' expr ')'
 *   inlist   -> '(' literal { ',' literal } ')'       literal -> [ '-' ] NUMBER | STRING | true
 *                                                                 | false | null
 *   unop     -> '-' | '!' | not
 *   binop    -> || or (1)  && and (2)  == != (3)  < <= > >= in (4)  + - (5)  * / (6)
 * Nesting depth (limit ENG_MAX_DEPTH) counts one level per subexpr: a parenthesis, a unary
 * operator, an operand of a tighter binary operator, the branches of a '?:'.
 * Parsing stops at the first syntax error (what follows it would only produce noise); names,
 * functions and types are checked by compile.c, which reports all of its errors.
 */
#include "expr_impl.h"
#include "i18n.h"

#include <stdlib.h>

#define UNARY_PRIORITY 7

/* Binding strength of each binary operator token; 0 = not a binary operator. */
static const int priority[] = {
    [T_OR] = 1, [T_AND] = 2, [T_EQ] = 3,   [T_NE] = 3,    [T_LT] = 4,   [T_LE] = 4,    [T_GT] = 4,
    [T_GE] = 4, [T_IN] = 4,  [T_PLUS] = 5, [T_MINUS] = 5, [T_STAR] = 6, [T_SLASH] = 6,
};

static int binary_priority(tok_kind k)
{
    return (size_t)k < sizeof priority / sizeof priority[0] ? priority[k] : 0;
}

typedef struct parser {
    lexer *lx;
    node_arena *arena;
    token tok; /* current token */
    int depth;
    bool failed;
} parser;

void *arena_alloc(node_arena *a, size_t size)
{
    if (a->count == a->cap) {
        int cap = a->cap ? a->cap * 2 : 32;
        void **blocks = xrealloc(a->blocks, (size_t)cap * sizeof *blocks);
        a->blocks = blocks;
        a->cap = cap;
    }
    void *p = xcalloc(1, size);
    a->blocks[a->count++] = p;
    return p;
}

void arena_free(node_arena *a)
{
    for (int i = 0; i < a->count; i++)
        free(a->blocks[i]);
    free(a->blocks);
    a->blocks = NULL;
    a->count = a->cap = 0;
}

/* A growing list of nodes (arguments, 'in' items) while they are parsed; every failure path of
 * its parser frees it. */
typedef struct node_list {
    node **items;
    int count;
    int cap;
} node_list;

static void list_push(node_list *l, node *n)
{
    if (l->count == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        node **items = xrealloc(l->items, (size_t)cap * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->count++] = n;
}

/* Hands the list to node n (arena-owned copy) and frees the list's buffer. */
static void list_move(parser *ps, node_list *l, node *n)
{
    n->nargs = l->count;
    n->args = arena_alloc(ps->arena, (size_t)(l->count ? l->count : 1) * sizeof *n->args);
    if (l->count)
        memcpy(n->args, l->items, (size_t)l->count * sizeof *l->items);
    free(l->items);
    *l = (node_list){0};
}

static void advance(parser *ps)
{
    ps->tok = lex_next(ps->lx);
    if (ps->tok.kind == T_ERROR)
        ps->failed = true; /* already reported by the lexer */
}

static node *new_node(parser *ps, node_kind kind, int off, int len)
{
    node *n = arena_alloc(ps->arena, sizeof *n);
    n->kind = kind;
    n->off = n->op_off = off;
    n->len = n->op_len = len;
    n->ref = -1;
    n->slot = -1;
    return n;
}

static void span_to(node *n, int end)
{
    n->len = end - n->off;
}

static int end_of(const node *n)
{
    return n->off + n->len;
}

/* Reports "unexpected X" at the current token, once. */
static void unexpected(parser *ps, const char *expected)
{
    if (ps->failed)
        return;
    ps->failed = true;
    token t = ps->tok;
    if (t.kind == T_EOF)
        expr_error(ps->lx, false, t.off, 1, "syntax error: unexpected end of expression");
    else
        expr_error(ps->lx, false, t.off, t.len, "syntax error: unexpected '%.*s' (%s)", t.len,
                   ps->lx->src + t.off, _(expected)); /* an `unexpected` keyword (po/) */
}

static bool enter(parser *ps)
{
    if (++ps->depth > ENG_MAX_DEPTH) {
        if (!ps->failed) {
            ps->failed = true;
            expr_error(ps->lx, false, ps->tok.off, ps->tok.len > 0 ? ps->tok.len : 1,
                       "expression nested too deeply (limit %d)", ENG_MAX_DEPTH);
        }
        return false;
    }
    return true;
}

static node *expr(parser *ps);
static node *subexpr(parser *ps, int limit);

static node *literal_node(parser *ps)
{
    token t = ps->tok;
    node *n = new_node(ps, N_CONST, t.off, t.len);
    switch (t.kind) {
    case T_NUM:
        n->value = eng_num(t.num);
        break;
    case T_STR:
        n->value.type = ENG_STR;
        n->value.as.str.ptr = ps->lx->src + t.off + 1; /* into the program's copy of the source */
        n->value.as.str.len = (size_t)t.len - 2;
        break;
    case T_TRUE:
    case T_FALSE:
        n->value = eng_bool(t.kind == T_TRUE);
        break;
    default:
        n->value = eng_null();
        n->null_literal = true;
        break;
    }
    advance(ps);
    return n;
}

/* Consumes ')' closing the '(' at `open`, or reports what is missing. */
static bool close_paren(parser *ps, int open)
{
    if (ps->tok.kind == T_RPAREN) {
        advance(ps);
        return true;
    }
    if (ps->failed)
        return false;
    if (ps->tok.kind == T_EOF) {
        ps->failed = true;
        expr_error(ps->lx, false, open, 1, "syntax error: missing ')'");
    } else {
        unexpected(ps, "expected ',' or ')'");
    }
    return false;
}

/* NAME '(' [ expr { ',' expr } ] ')' */
static node *call(parser *ps, token name)
{
    node *n = new_node(ps, N_CALL, name.off, name.len);
    int open = ps->tok.off;
    advance(ps); /* ( */
    node_list args = {0};
    if (ps->tok.kind != T_RPAREN) {
        for (;;) {
            node *a = expr(ps);
            if (!a)
                goto fail;
            list_push(&args, a);
            if (ps->tok.kind != T_COMMA)
                break;
            advance(ps);
            if (ps->failed)
                goto fail;
        }
    }
    int end = ps->tok.off + ps->tok.len;
    if (!close_paren(ps, open))
        goto fail;
    span_to(n, end);
    list_move(ps, &args, n);
    return n;
fail:
    free(args.items);
    return NULL;
}

/* simple -> NUMBER | STRING | true | false | null | NAME | call | '(' expr ')' */
static node *simple(parser *ps)
{
    token t = ps->tok;
    switch (t.kind) {
    case T_NUM:
    case T_STR:
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        return literal_node(ps);
    case T_NAME: {
        advance(ps);
        if (ps->failed)
            return NULL;
        if (ps->tok.kind == T_LPAREN)
            return call(ps, t);
        return new_node(ps, N_NAME, t.off, t.len);
    }
    case T_LPAREN: {
        advance(ps);
        if (ps->failed)
            return NULL;
        node *inner = expr(ps);
        if (!inner)
            return NULL;
        int end = ps->tok.off + ps->tok.len;
        if (!close_paren(ps, t.off))
            return NULL;
        /* The parentheses belong to the subexpression's range (errors underline them too). */
        inner->off = t.off;
        span_to(inner, end);
        return inner;
    }
    default:
        unexpected(ps, "expected an operand");
        return NULL;
    }
}

/* inlist -> '(' literal { ',' literal } ')' */
static node *in_list(parser *ps, node *lhs, token op)
{
    node *n = new_node(ps, N_IN, lhs->off, 0);
    n->op = T_IN;
    n->op_off = op.off;
    n->op_len = op.len;
    n->a = lhs;
    if (ps->tok.kind != T_LPAREN) {
        if (!ps->failed) {
            ps->failed = true;
            expr_error(ps->lx, false, op.off, op.len,
                       "syntax error: 'in' needs a parenthesised list of literals");
        }
        return NULL;
    }
    int open = ps->tok.off;
    advance(ps);
    node_list items = {0};
    for (;;) {
        token t = ps->tok;
        bool neg = false;
        if (t.kind == T_MINUS) {
            advance(ps);
            neg = true;
            if (ps->tok.kind != T_NUM) {
                unexpected(ps, "expected a number after '-' in an 'in' list");
                goto fail;
            }
        }
        if (ps->failed)
            goto fail;
        tok_kind k = ps->tok.kind;
        if (k != T_NUM && k != T_STR && k != T_TRUE && k != T_FALSE && k != T_NULL) {
            if (ps->tok.kind == T_EOF)
                unexpected(ps, "");
            else if (!ps->failed) {
                ps->failed = true;
                expr_error(ps->lx, false, ps->tok.off, ps->tok.len,
                           "syntax error: unexpected '%.*s' in an 'in' list (expected a literal)",
                           ps->tok.len, ps->lx->src + ps->tok.off);
            }
            goto fail;
        }
        node *item = literal_node(ps);
        if (neg) {
            int end = end_of(item);
            item->value.as.num = -item->value.as.num;
            item->off = item->op_off = t.off;
            item->len = item->op_len = end - t.off;
        }
        list_push(&items, item);
        if (ps->tok.kind != T_COMMA)
            break;
        advance(ps);
    }
    int end = ps->tok.off + ps->tok.len;
    if (!close_paren(ps, open))
        goto fail;
    span_to(n, end);
    list_move(ps, &items, n);
    return n;
fail:
    free(items.items);
    return NULL;
}

/* subexpr -> ( simple | unop subexpr(UNARY) ) { binop subexpr(prio) | 'in' inlist } */
static node *subexpr(parser *ps, int limit)
{
    if (!enter(ps))
        return NULL;
    node *lhs;
    token t = ps->tok;
    if (t.kind == T_MINUS || t.kind == T_NOT) {
        advance(ps);
        if (ps->failed)
            return NULL;
        node *operand = subexpr(ps, UNARY_PRIORITY);
        if (!operand)
            return NULL;
        lhs = new_node(ps, N_UNARY, t.off, t.len);
        lhs->op = t.kind;
        lhs->a = operand;
        span_to(lhs, end_of(operand));
    } else {
        lhs = simple(ps);
        if (!lhs)
            return NULL;
    }
    for (;;) {
        token op = ps->tok;
        int prio = binary_priority(op.kind);
        if (prio <= limit)
            break;
        advance(ps);
        if (ps->failed)
            return NULL;
        node *n;
        if (op.kind == T_IN) {
            n = in_list(ps, lhs, op);
        } else {
            node *rhs = subexpr(ps, prio);
            if (!rhs)
                return NULL;
            n = new_node(ps, N_BINARY, lhs->off, 0);
            n->op = op.kind;
            n->op_off = op.off;
            n->op_len = op.len;
            n->a = lhs;
            n->b = rhs;
            span_to(n, end_of(rhs));
        }
        if (!n)
            return NULL;
        lhs = n;
    }
    ps->depth--;
    return lhs;
}

/* expr -> subexpr(0) [ '?' expr ':' expr ] */
static node *expr(parser *ps)
{
    node *cond = subexpr(ps, 0);
    if (!cond)
        return NULL;
    if (ps->tok.kind != T_QUESTION)
        return cond;
    token q = ps->tok;
    if (!enter(ps)) /* the branches nest one level deeper */
        return NULL;
    advance(ps);
    if (ps->failed)
        return NULL;
    node *then = expr(ps);
    if (!then)
        return NULL;
    if (ps->tok.kind != T_COLON) {
        if (ps->tok.kind == T_EOF) {
            if (!ps->failed) {
                ps->failed = true;
                expr_error(ps->lx, false, q.off, q.len, "syntax error: missing ':' of '?:'");
            }
        } else {
            unexpected(ps, "expected ':' of '?:'");
        }
        return NULL;
    }
    advance(ps);
    if (ps->failed)
        return NULL;
    node *otherwise = expr(ps);
    if (!otherwise)
        return NULL;
    node *n = new_node(ps, N_COND, cond->off, 0);
    n->op = T_QUESTION;
    n->op_off = q.off;
    n->op_len = q.len;
    n->a = cond;
    n->b = then;
    n->c = otherwise;
    span_to(n, end_of(otherwise));
    ps->depth--;
    return n;
}

node *parse_expression(lexer *lx, node_arena *arena)
{
    parser ps = {lx, arena, {T_EOF, 0, 0, 0}, 0, false};
    advance(&ps);
    if (ps.failed)
        return NULL;
    if (ps.tok.kind == T_EOF) {
        expr_error(lx, false, 0, 1, "syntax error: empty expression");
        return NULL;
    }
    node *root = expr(&ps);
    if (!root || ps.failed)
        return NULL;
    if (ps.tok.kind != T_EOF) {
        unexpected(&ps, "expected an operator or the end of the expression");
        return NULL;
    }
    return root;
}
