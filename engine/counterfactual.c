/* counterfactual.c - "what would it take": for one initiative, the nearest value of one fact that
 * moves it to a better category, found with eng_evaluate (the function that makes stored
 * results) and exact to the double. Uses engine.h's public API only (expression text, explain,
 * evaluate), plus the thresholds' values (ruleset.h, read here and nowhere else).
 *
 * Per number fact: candidate points (constants of the rules, other facts' values, and where a
 * derived value linear in the fact meets one of them) and their neighbours are evaluated; every
 * adjacent pair of evaluated points with different categories is split by bisection over the
 * doubles in between until the change is between two adjacent doubles. That gives the category
 * of the whole line, as far as the points see it; the nearest point of each better category
 * follows.
 *
 * Also (eng_tcuts, for store/sweep.c): where a threshold's value can change an initiative's
 * result, read from the parser's tree of each expression (parse.c) and, for derived values, the
 * programs of each rule, run one by one as eval.c does (expr_eval). */
#include "engine.h"
#include "expr_impl.h"
#include "ruleset.h"
#include "xalloc.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- thresholds (the public accessors) --------------------------------------------------- */

int eng_rules_threshold_count(const eng_rules *r)
{
    return r->nthresholds;
}

const char *eng_rules_threshold_name(const eng_rules *r, int i)
{
    return i >= 0 && i < r->nthresholds ? r->thresholds[i].name + strlen("thresholds.") : NULL;
}

double eng_rules_threshold_value(const eng_rules *r, int i)
{
    return i >= 0 && i < r->nthresholds ? r->thresholds[i].value : NAN;
}

/* ---- what the rules compare with --------------------------------------------------------- */

#define CF_MAX_CONSTANTS 512 /* numbers kept from the expressions and thresholds */
#define CF_PROBES 4          /* evaluations per side to fit a derived value */

struct eng_cf {
    const eng_rules *rules;
    int nfacts;
    int *facts; /* slots read by derived/reasons/flags/categories, schema order */
    int nconst;
    double *constants; /* literals (and their negations), thresholds, 0; sorted, unique */
};

static bool ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

static void add_constant(eng_cf *cf, double d)
{
    if (isfinite(d) && cf->nconst < CF_MAX_CONSTANTS)
        cf->constants[cf->nconst++] = d;
}

/* Scans one expression as engine/lex.c tokenises it (names with dots, numbers, quoted strings):
 * marks the facts it names in `read`, keeps its numbers. */
static void scan(eng_cf *cf, const char *s, bool *read)
{
    const eng_schema *schema = eng_rules_schema(cf->rules);
    for (size_t p = 0; s[p] != '\0';) {
        char c = s[p];
        if (c == '\'' || c == '"') {
            const char *end = strchr(s + p + 1, c);
            p = end != NULL ? (size_t)(end - s) + 1 : strlen(s);
        } else if (ident_start(c)) {
            size_t start = p;
            while (ident_char(s[p]) || (s[p] == '.' && ident_start(s[p + 1])))
                p++;
            char name[128];
            if (p - start < sizeof name) {
                memcpy(name, s + start, p - start);
                name[p - start] = '\0';
                int slot = eng_schema_find(schema, name);
                if (slot >= 0 && (eng_schema_type(schema, slot) == ENG_NUM ||
                                  eng_schema_type(schema, slot) == ENG_BOOL))
                    read[slot] = true;
            }
        } else if (c >= '0' && c <= '9') {
            char *end;
            double d = strtod(s + p, &end);
            p = (size_t)(end - s);
            while (ident_char(s[p]) || s[p] == '.')
                p++;
            add_constant(cf, d);
            add_constant(cf, -d);
        } else
            p++;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts and removes duplicates; returns the new count. */
static int sort_unique(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || v[i] != v[k - 1] || signbit(v[i]) != signbit(v[k - 1]))
            v[k++] = v[i];
    return k;
}

eng_cf *eng_cf_new(const eng_rules *r)
{
    eng_cf *cf = xcalloc(1, sizeof *cf);
    cf->rules = r;
    const eng_schema *schema = eng_rules_schema(r);
    int n = eng_schema_count(schema);
    bool *read = xcalloc((size_t)n + 1, sizeof *read);
    cf->constants = xcalloc(CF_MAX_CONSTANTS, sizeof *cf->constants);
    add_constant(cf, 0.0);
    static const eng_kind kinds[] = {ENG_KIND_DERIVED, ENG_KIND_REASON, ENG_KIND_FLAG,
                                     ENG_KIND_CATEGORY};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (int i = 0; i < eng_rules_count(r, kinds[k]); i++) {
            const char *e = eng_rules_get(r, kinds[k], i)->expression;
            if (e != NULL)
                scan(cf, e, read);
        }
    for (int i = 0; i < eng_rules_threshold_count(r); i++)
        add_constant(cf, eng_rules_threshold_value(r, i));
    cf->nconst = sort_unique(cf->constants, cf->nconst);
    cf->facts = xcalloc((size_t)n + 1, sizeof *cf->facts);
    for (int i = 0; i < n; i++)
        if (read[i])
            cf->facts[cf->nfacts++] = i;
    free(read);
    return cf;
}

void eng_cf_free(eng_cf *cf)
{
    if (cf == NULL)
        return;
    free(cf->facts);
    free(cf->constants);
    free(cf);
}

int eng_cf_nfacts(const eng_cf *cf)
{
    return cf->nfacts;
}

int eng_cf_fact(const eng_cf *cf, int i)
{
    return i >= 0 && i < cf->nfacts ? cf->facts[i] : -1;
}

/* ---- one initiative ---------------------------------------------------------------------- */

/* Scratch of one eng_counterfactuals call. */
typedef struct search {
    const eng_cf *cf;
    eng_ctx *ctx;
    eng_value *facts; /* a copy; facts[slot] is the value tried */
    int slot;
    eng_explanation *expl;
    double *points; /* candidates, then evaluated points */
    int npoints, cap;
    double *lo, *hi; /* changes: category lo_cat at lo[i], hi_cat at hi[i] = nextafter(lo[i]) */
    int *lo_cat, *hi_cat;
    int nchanges, capchanges;
} search;

static int category_at(search *s, double x)
{
    s->facts[s->slot] = eng_num(x);
    eng_result r;
    eng_evaluate(s->ctx, s->facts, &r);
    return r.category;
}

static void add_point(search *s, double x)
{
    if (!isfinite(x))
        return;
    if (s->npoints == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->points = xrealloc(s->points, (size_t)s->cap * sizeof *s->points);
    }
    s->points[s->npoints++] = x;
}

/* Doubles in order as unsigned integers (adjacent doubles differ by one). */
static uint64_t key_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (u >> 63) ? ~u : u | ((uint64_t)1 << 63);
}

static double double_of(uint64_t k)
{
    uint64_t u = (k >> 63) ? k & ~((uint64_t)1 << 63) : ~k;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static void add_change(search *s, double lo, int lo_cat, double hi, int hi_cat)
{
    if (s->nchanges == s->capchanges) {
        s->capchanges = s->capchanges ? 2 * s->capchanges : 64;
        s->lo = xrealloc(s->lo, (size_t)s->capchanges * sizeof *s->lo);
        s->hi = xrealloc(s->hi, (size_t)s->capchanges * sizeof *s->hi);
        s->lo_cat = xrealloc(s->lo_cat, (size_t)s->capchanges * sizeof *s->lo_cat);
        s->hi_cat = xrealloc(s->hi_cat, (size_t)s->capchanges * sizeof *s->hi_cat);
    }
    s->lo[s->nchanges] = lo;
    s->hi[s->nchanges] = hi;
    s->lo_cat[s->nchanges] = lo_cat;
    s->hi_cat[s->nchanges] = hi_cat;
    s->nchanges++;
}

/* The changes of category between lo and hi (lo < hi, categories known), in increasing order. */
static void split(search *s, double lo, int lo_cat, double hi, int hi_cat)
{
    if (lo_cat == hi_cat)
        return;
    uint64_t a = key_of(lo), b = key_of(hi);
    while (b - a > 1) {
        uint64_t m = a + (b - a) / 2;
        double mid = double_of(m);
        int mid_cat = category_at(s, mid);
        if (mid_cat == lo_cat) {
            a = m;
        } else if (mid_cat == hi_cat) {
            b = m;
        } else { /* a third category between: both halves have a change */
            split(s, double_of(a), lo_cat, mid, mid_cat);
            split(s, mid, mid_cat, double_of(b), hi_cat);
            return;
        }
    }
    add_change(s, double_of(a), lo_cat, double_of(b), hi_cat);
}

/* The numeric derived values at fact value x (NaN where not a number), by explaining. */
static void derived_at(search *s, double x, double *out, int nderived)
{
    s->facts[s->slot] = eng_num(x);
    eng_result r;
    eng_explain(s->ctx, s->facts, &r, s->expl);
    int k = 0;
    for (int i = 0; i < eng_explanation_count(s->expl) && k < nderived; i++) {
        const eng_step *st = eng_explanation_get(s->expl, i);
        if (st->kind != ENG_KIND_DERIVED)
            continue;
        out[k++] = st->result.type == ENG_NUM ? st->result.as.num : NAN;
    }
    while (k < nderived)
        out[k++] = NAN;
}

static bool close_to(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* Where each derived value, fitted as a*x + b or a/x + b on CF_PROBES points on one side of x0
 * (step h, sign given by h), meets a constant or another value: candidate points. */
static void fit_side(search *s, double x0, double h, const double *targets, int ntargets,
                     int nderived, double *d)
{
    double px[CF_PROBES];
    for (int p = 0; p < CF_PROBES; p++) {
        px[p] = x0 + h * (p + 1);
        derived_at(s, px[p], d + (size_t)p * (size_t)nderived, nderived);
    }
    for (int j = 0; j < nderived; j++) {
        double y[CF_PROBES];
        bool ok = true;
        for (int p = 0; p < CF_PROBES; p++) {
            y[p] = d[(size_t)p * (size_t)nderived + (size_t)j];
            ok = ok && isfinite(y[p]);
        }
        if (!ok || close_to(y[0], y[CF_PROBES - 1]))
            continue; /* not a number, or does not depend on the fact here */
        for (int form = 0; form < 2; form++) {
            /* form 0: y = a*x + b; form 1: y = a/x + b */
            double u[CF_PROBES];
            bool usable = true;
            for (int p = 0; p < CF_PROBES; p++) {
                u[p] = form == 0 ? px[p] : 1.0 / px[p];
                usable = usable && isfinite(u[p]);
            }
            if (!usable)
                continue;
            double a = (y[1] - y[0]) / (u[1] - u[0]), b = y[0] - a * u[0];
            bool fits = isfinite(a) && a != 0.0;
            for (int p = 2; p < CF_PROBES && fits; p++)
                fits = close_to(a * u[p] + b, y[p]);
            if (!fits)
                continue;
            for (int t = 0; t < ntargets; t++) {
                double v = (targets[t] - b) / a;
                add_point(s, form == 0 ? v : 1.0 / v);
            }
            break;
        }
    }
}

/* Fills s->changes for fact s->slot around reported value x0 (0 for null). */
static void map_line(search *s, const eng_value *facts, double x0)
{
    const eng_cf *cf = s->cf;
    const eng_rules *r = cf->rules;
    int nderived = eng_rules_count(r, ENG_KIND_DERIVED);
    /* the values compared with: constants, other facts, derived values as reported */
    int ntargets = cf->nconst;
    double *targets = xcalloc((size_t)(cf->nconst + cf->nfacts + nderived) + 1, sizeof *targets);
    memcpy(targets, cf->constants, (size_t)cf->nconst * sizeof *targets);
    for (int i = 0; i < cf->nfacts; i++)
        if (cf->facts[i] != s->slot && facts[cf->facts[i]].type == ENG_NUM)
            targets[ntargets++] = facts[cf->facts[i]].as.num;
    double *d = xcalloc((size_t)(nderived + 1) * CF_PROBES, sizeof *d);
    derived_at(s, x0, d, nderived);
    for (int j = 0; j < nderived; j++)
        if (isfinite(d[j]))
            targets[ntargets++] = d[j];

    s->npoints = 0;
    for (int t = 0; t < ntargets; t++)
        add_point(s, targets[t]);
    add_point(s, x0);
    add_point(s, -DBL_MAX);
    add_point(s, DBL_MAX);
    if (nderived > 0) {
        double h = fmax(fabs(x0), 1.0) / 8;
        fit_side(s, x0, h, targets, ntargets, nderived, d);
        fit_side(s, x0, -h, targets, ntargets, nderived, d);
    }
    /* every candidate and its neighbours: a comparison flips at the constant or next to it */
    int ncand = s->npoints;
    for (int i = 0; i < ncand; i++) {
        add_point(s, nextafter(s->points[i], -INFINITY));
        add_point(s, nextafter(s->points[i], INFINITY));
    }
    s->npoints = sort_unique(s->points, s->npoints);
    s->nchanges = 0;
    int prev_cat = category_at(s, s->points[0]);
    for (int i = 1; i < s->npoints; i++) {
        int cat = category_at(s, s->points[i]);
        split(s, s->points[i - 1], prev_cat, s->points[i], cat);
        prev_cat = cat;
    }
    free(d);
    free(targets);
}

/* The nearest point of category k from x0 on s's line, or false. */
static bool nearest(search *s, double x0, int k, eng_counterfactual *out)
{
    int up = -1, down = -1;
    for (int i = 0; i < s->nchanges && up < 0; i++)
        if (s->hi[i] > x0 && s->hi_cat[i] == k)
            up = i;
    for (int i = s->nchanges - 1; i >= 0 && down < 0; i--)
        if (s->lo[i] < x0 && s->lo_cat[i] == k)
            down = i;
    if (up < 0 && down < 0)
        return false;
    bool use_up = up >= 0 && (down < 0 || s->hi[up] - x0 <= x0 - s->lo[down]);
    out->found = true;
    if (use_up) {
        out->value = eng_num(s->hi[up]);
        out->direction = 1;
        out->before = s->lo[up];
        out->before_category = s->lo_cat[up];
        out->after = nextafter(s->hi[up], INFINITY);
    } else {
        out->value = eng_num(s->lo[down]);
        out->direction = -1;
        out->before = s->hi[down];
        out->before_category = s->hi_cat[down];
        out->after = nextafter(s->lo[down], -INFINITY);
    }
    out->after_category = isfinite(out->after) ? category_at(s, out->after) : -1;
    return true;
}

int eng_counterfactuals(const eng_cf *cf, eng_ctx *c, const eng_value *facts,
                        eng_counterfactual *out, int max)
{
    const eng_rules *r = cf->rules;
    int n = eng_schema_count(eng_rules_schema(r));
    eng_result res;
    eng_evaluate(c, facts, &res);
    int total = cf->nfacts * res.category, w = 0;
    if (total == 0)
        return 0;
    search s = {.cf = cf, .ctx = c};
    s.facts = xcalloc((size_t)n + 1, sizeof *s.facts);
    memcpy(s.facts, facts, (size_t)n * sizeof *s.facts);
    s.expl = eng_explanation_new();
    for (int f = 0; f < cf->nfacts; f++) {
        int slot = cf->facts[f];
        s.slot = slot;
        eng_type type = eng_schema_type(eng_rules_schema(r), slot);
        eng_value reported = facts[slot];
        if (type == ENG_NUM) {
            double x0 = reported.type == ENG_NUM ? reported.as.num : 0.0;
            map_line(&s, facts, x0);
            int cat0 = category_at(&s, x0);
            for (int k = 0; k < res.category; k++, w++) {
                if (w >= max)
                    continue;
                eng_counterfactual *o = &out[w];
                *o = (eng_counterfactual){.fact = slot, .category = k};
                if (reported.type == ENG_NULL && cat0 == k) {
                    *o = (eng_counterfactual){.fact = slot,
                                              .category = k,
                                              .found = true,
                                              .value = eng_num(0.0),
                                              .before = nextafter(0.0, -INFINITY),
                                              .after = nextafter(0.0, INFINITY)};
                    o->before_category = category_at(&s, o->before);
                    o->after_category = category_at(&s, o->after);
                } else
                    nearest(&s, x0, k, o);
            }
        } else { /* ENG_BOOL */
            for (int k = 0; k < res.category; k++, w++) {
                if (w >= max)
                    continue;
                eng_counterfactual *o = &out[w];
                *o = (eng_counterfactual){.fact = slot, .category = k};
                for (int t = 0; t < 2 && !o->found; t++) {
                    bool b = reported.type == ENG_BOOL ? !reported.as.b : t == 0;
                    if (reported.type == ENG_BOOL && t > 0)
                        break;
                    s.facts[slot] = eng_bool(b);
                    eng_result rb;
                    eng_evaluate(c, s.facts, &rb);
                    if (rb.category == k) {
                        o->found = true;
                        o->value = eng_bool(b);
                    }
                }
            }
        }
        s.facts[slot] = reported;
    }
    eng_explanation_free(s.expl);
    free(s.points);
    free(s.lo);
    free(s.hi);
    free(s.lo_cat);
    free(s.hi_cat);
    free(s.facts);
    return total;
}

/* ---- where a threshold's value can change a result --------------------------------------- */

/* One initiative-dependent side of a comparison with the threshold. */
typedef struct tcut_src {
    bool derived; /* derived value `index`, else fact slot `index` */
    int index;
    bool negate; /* the cut is minus its value (-thresholds.NAME was compared) */
} tcut_src;

struct eng_tcuts {
    const eng_rules *rules;
    int ncommon;
    double *common; /* sorted */
    int nsrc;
    tcut_src *src;
    int last_derived; /* the last derived value eng_tcuts_at computes, -1: none */
};

/* The analysis of one rule set for one threshold. */
typedef struct tcut_scan {
    const eng_rules *r;
    const char *full; /* "thresholds.NAME" */
    const char *src;  /* the expression scanned */
    const eng_rule_info *info;
    const bool *dependent; /* per derived value: reads the threshold, directly or not */
    eng_tcuts *t;
    bool bounded, reads;
    char *why;
    size_t size;
} tcut_scan;

static bool node_is(const tcut_scan *s, const node *n, const char *name)
{
    size_t len = strlen(name);
    return n->kind == N_NAME && (size_t)n->len == len && memcmp(s->src + n->off, name, len) == 0;
}

static void add_common(eng_tcuts *t, double v)
{
    t->common = xrealloc(t->common, (size_t)(t->ncommon + 1) * sizeof *t->common);
    t->common[t->ncommon++] = v;
}

static void add_src(eng_tcuts *t, bool derived, int index, bool negate)
{
    for (int i = 0; i < t->nsrc; i++)
        if (t->src[i].derived == derived && t->src[i].index == index &&
            t->src[i].negate == negate)
            return;
    t->src = xrealloc(t->src, (size_t)(t->nsrc + 1) * sizeof *t->src);
    t->src[t->nsrc++] = (tcut_src){derived, index, negate};
}

static void unbounded(tcut_scan *s, const node *n, const char *how)
{
    if (!s->bounded)
        return;
    s->bounded = false;
    snprintf(s->why, s->size, "%s:%d: %s %s (\"%.*s\")", s->info->file, s->info->line, s->full,
             how, n->len, s->src + n->off);
}

/* The other side `o` of a comparison with the threshold (with `negate`: with its negation): its
 * cut, or unbounded. */
static void other_side(tcut_scan *s, const node *cmp, const node *o, bool negate)
{
    double sign = negate ? -1.0 : 1.0;
    if (o->kind == N_CONST && o->value.type == ENG_NUM) {
        add_common(s->t, sign * o->value.as.num);
        return;
    }
    if (o->kind == N_UNARY && o->op == T_MINUS && o->a->kind == N_CONST &&
        o->a->value.type == ENG_NUM) {
        add_common(s->t, -sign * o->a->value.as.num);
        return;
    }
    if (o->kind == N_NAME) {
        char name[256];
        if ((size_t)o->len < sizeof name) {
            memcpy(name, s->src + o->off, (size_t)o->len);
            name[o->len] = '\0';
            const eng_schema *schema = eng_rules_schema(s->r);
            int i;
            if (strncmp(name, "thresholds.", 11) == 0) {
                for (i = 0; i < s->r->nthresholds; i++)
                    if (strcmp(s->r->thresholds[i].name, name) == 0) {
                        add_common(s->t, sign * s->r->thresholds[i].value);
                        return;
                    }
            } else if ((i = eng_schema_find(schema, name)) >= 0) {
                if (eng_schema_type(schema, i) == ENG_NUM) {
                    add_src(s->t, false, i, negate);
                    return;
                }
            } else if ((i = eng_rules_find(s->r, ENG_KIND_DERIVED, name)) >= 0 &&
                       !s->dependent[i]) {
                add_src(s->t, true, i, negate);
                return;
            }
        }
    }
    unbounded(s, cmp, "is compared with something other than a number, a fact or a derived "
                      "value that does not depend on it");
}

static bool is_comparison(const node *n)
{
    return n != NULL && n->kind == N_BINARY &&
           (n->op == T_LT || n->op == T_LE || n->op == T_GT || n->op == T_GE || n->op == T_EQ ||
            n->op == T_NE);
}

/* Walks the tree: every node naming the threshold must be a side of a comparison, or negated
 * (-thresholds.NAME) such a side. */
static void walk(tcut_scan *s, const node *n, const node *parent, const node *grand)
{
    if (n == NULL)
        return;
    if (node_is(s, n, s->full)) {
        s->reads = true;
        if (is_comparison(parent))
            other_side(s, parent, parent->a == n ? parent->b : parent->a, false);
        else if (parent != NULL && parent->kind == N_UNARY && parent->op == T_MINUS &&
                 is_comparison(grand))
            other_side(s, grand, grand->a == parent ? grand->b : grand->a, true);
        else
            unbounded(s, parent != NULL ? parent : n,
                      parent == NULL ? "is the whole expression"
                                     : "is read in arithmetic, a function or a condition");
        return;
    }
    walk(s, n->a, n, parent);
    walk(s, n->b, n, parent);
    walk(s, n->c, n, parent);
    for (int i = 0; i < n->nargs; i++)
        walk(s, n->args[i], n, parent);
}

/* Whether the tree names the threshold or a dependent derived value. */
static bool depends(const tcut_scan *s, const node *n)
{
    if (n == NULL)
        return false;
    if (n->kind == N_NAME) {
        if (node_is(s, n, s->full))
            return true;
        for (int i = 0; i < s->r->count[ENG_KIND_DERIVED]; i++)
            if (s->dependent[i] && node_is(s, n, s->r->rules[ENG_KIND_DERIVED][i].info.id))
                return true;
        return false;
    }
    if (depends(s, n->a) || depends(s, n->b) || depends(s, n->c))
        return true;
    for (int i = 0; i < n->nargs; i++)
        if (depends(s, n->args[i]))
            return true;
    return false;
}

eng_tcuts *eng_tcuts_new(const eng_rules *r, const char *name, char *why, size_t size)
{
    if (size > 0)
        why[0] = '\0';
    char full[300];
    snprintf(full, sizeof full, "thresholds.%s", name);
    bool known = false;
    for (int i = 0; i < r->nthresholds && !known; i++)
        known = strcmp(r->thresholds[i].name, full) == 0;
    if (!known) {
        snprintf(why, size, "the rule set has no threshold %s", full);
        return NULL;
    }
    eng_tcuts *t = xcalloc(1, sizeof *t);
    t->rules = r;
    t->last_derived = -1;
    int nderived = r->count[ENG_KIND_DERIVED];
    bool *dependent = xcalloc((size_t)nderived + 1, sizeof *dependent);
    tcut_scan s = {.r = r, .full = full, .dependent = dependent, .t = t, .bounded = true,
                   .why = why, .size = size};
    node_arena arena = {0};
    eng_diags *diags = eng_diags_new();
    static const eng_kind kinds[] = {ENG_KIND_DERIVED, ENG_KIND_REASON, ENG_KIND_FLAG,
                                     ENG_KIND_CATEGORY};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && s.bounded; k++)
        for (int i = 0; i < r->count[kinds[k]] && s.bounded; i++) {
            const eng_rule_info *info = &r->rules[kinds[k]][i].info;
            if (info->expression == NULL)
                continue;
            lexer lx;
            lex_init(&lx, info->expression, (int)strlen(info->expression), info->file,
                     info->line, diags);
            node *root = parse_expression(&lx, &arena); /* it compiled, so it parses */
            s.src = info->expression;
            s.info = info;
            if (root == NULL) {
                snprintf(why, size, "%s:%d: the expression does not parse", info->file,
                         info->line);
                s.bounded = false;
                break;
            }
            walk(&s, root, NULL, NULL);
            if (kinds[k] == ENG_KIND_DERIVED)
                dependent[i] = depends(&s, root);
        }
    arena_free(&arena);
    eng_diags_free(diags);
    free(dependent);
    if (!s.bounded) {
        eng_tcuts_free(t);
        return NULL;
    }
    if (t->ncommon > 0)
        t->ncommon = sort_unique(t->common, t->ncommon);
    for (int i = 0; i < t->nsrc; i++)
        if (t->src[i].derived && t->src[i].index > t->last_derived)
            t->last_derived = t->src[i].index;
    return t;
}

void eng_tcuts_free(eng_tcuts *t)
{
    if (t == NULL)
        return;
    free(t->common);
    free(t->src);
    free(t);
}

int eng_tcuts_common(const eng_tcuts *t, const double **cuts)
{
    *cuts = t->common;
    return t->ncommon;
}

int eng_tcuts_max(const eng_tcuts *t)
{
    return t->nsrc;
}

int eng_tcuts_at(const eng_tcuts *t, eng_ctx *c, const eng_value *facts, double *out)
{
    const eng_rules *r = t->rules;
    if (t->last_derived >= 0) { /* as eval.c's rule-by-rule loop: facts, then derived in order */
        for (int i = 0; i < r->nused_facts; i++)
            c->slots[r->used_facts[i]] = facts[r->used_facts[i]];
        for (int i = 0; i <= t->last_derived; i++)
            c->slots[r->derived_base + i] =
                expr_eval(r->rules[ENG_KIND_DERIVED][i].prog, c->slots, c->scratch);
    }
    for (int i = 0; i < t->nsrc; i++) {
        eng_value v = t->src[i].derived ? c->slots[r->derived_base + t->src[i].index]
                                        : facts[t->src[i].index];
        out[i] = v.type != ENG_NUM || isnan(v.as.num) ? NAN
                 : t->src[i].negate              ? -v.as.num
                                                 : v.as.num;
    }
    return t->nsrc;
}
