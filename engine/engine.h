/* engine.h - public interface of hyoka's rules engine: compile a rule set once, evaluate many.
 *
 * Data flow:  facts schema (names + types)  ->  eng_rules_load_*()  ->  immutable eng_rules
 *             per thread: eng_ctx_new(rules) ->  eng_evaluate(ctx, facts, &result)   (no allocation)
 *                                            ->  eng_explain(ctx, facts, &result, explanation)
 *
 * Ownership: every *_new returns an object the caller frees with the matching *_free; every *_free
 * accepts NULL. An eng_rules is immutable after loading and may be shared by any number of threads,
 * each with its own eng_ctx. Strings returned by accessors are owned by the object they come from
 * and live as long as it does. String fact values (eng_value.str) are borrowed from the caller for
 * the duration of one evaluate/explain call; results never point into them, except the `inputs`
 * of an explanation, which live until the explanation is reset or freed.
 *
 * Errors: functions returning int give 0 on success and -1 on failure; functions returning a
 * pointer give NULL on failure. Bad input (a rule file with errors) is reported through eng_diags
 * with file:line:col positions; out of memory aborts.
 */
#ifndef HYOKA_ENGINE_H
#define HYOKA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Explicit limits. A rule file beyond them is rejected with a positioned error. */
#define ENG_MAX_FACTS 256       /* names in a fact schema */
#define ENG_MAX_REASONS 64      /* result bit sets are uint64_t */
#define ENG_MAX_FLAGS 64
#define ENG_MAX_CATEGORIES 64
#define ENG_MAX_SCORE 64
#define ENG_MAX_DERIVED 256
#define ENG_MAX_THRESHOLDS 256
#define ENG_MAX_EXPR_LEN 4096   /* bytes of one expression */
#define ENG_MAX_DEPTH 64        /* nesting of parentheses/operators in one expression */

/* ---- values ------------------------------------------------------------------------------ */

typedef enum eng_type {
    ENG_NULL = 0, /* as a value: null; as a schema type: never used */
    ENG_BOOL,
    ENG_NUM,      /* double */
    ENG_STR,      /* UTF-8, pointer + length, not necessarily NUL-terminated */
    ENG_OPAQUE,   /* schema only: a column that exists but is not usable in rules (e.g. a date) */
} eng_type;

/* `sym`: 0, or the symbol of a string's text in an eng_symtab (below), which lets the engine
 * find the text's meaning to a rule set with an array index instead of hashing and comparing the
 * text on every evaluation. A value built field by field must have sym 0 (start from eng_null()
 * or eng_str()); only eng_symtab_intern sets it. Ignored for other types. */
typedef struct eng_value {
    eng_type type;
    uint32_t sym;
    union {
        bool b;
        double num;
        struct {
            const char *ptr;
            size_t len;
        } str;
    } as;
} eng_value;

static inline eng_value eng_null(void) { eng_value v = {.type = ENG_NULL, .as.num = 0}; return v; }
static inline eng_value eng_bool(bool b) { eng_value v = {.type = ENG_BOOL, .as.b = b}; return v; }
static inline eng_value eng_num(double d) { eng_value v = {.type = ENG_NUM, .as.num = d}; return v; }
eng_value eng_str(const char *nul_terminated); /* without a symbol (sym 0) */
/* A string of `len` bytes at `ptr` (not necessarily NUL-terminated), without a symbol. */
static inline eng_value eng_strn(const char *ptr, size_t len)
{
    eng_value v = {.type = ENG_STR, .as.str = {ptr, len}};
    return v;
}

/* ---- string symbols ---------------------------------------------------------------------- */

/* A symbol table gives each distinct string text one id (eng_value.sym), so that a reader of
 * facts that evaluates them many times (a sweep, counterfactuals, bench_engine) interns every
 * text once where it reads it, and eng_evaluate turns a string fact into what the rule set
 * compares it with by an array index (a small cache per eng_ctx, filled on first sight of each
 * id), never hashing or comparing the text again. Values without a symbol (sym 0) are evaluated
 * as before, by their text; mixing both in one evaluation is fine: equality is always that of the
 * texts.
 *
 * Ids are unique in the process, across tables: a table never gives an id another table gave,
 * so facts interned by different tables may be evaluated by one eng_ctx, and values keep their
 * meaning after their table is freed (the table is only needed while interning). A table copies
 * the texts it has seen; the values it returns keep pointing at the caller's text (the lifetime
 * of fact strings is unchanged). Threads: a table is used by one thread at a time; the values it
 * returned may be evaluated by any thread. */
typedef struct eng_symtab eng_symtab;

#define ENG_MAX_SYMBOLS (1 << 22) /* distinct texts one table gives ids to */

/* A table giving ids to at most `max` distinct texts (<= 0 or more than ENG_MAX_SYMBOLS:
 * ENG_MAX_SYMBOLS). Aborts on OOM. */
eng_symtab *eng_symtab_new(int max);
void eng_symtab_free(eng_symtab *t);
/* v with sym set to the id of its text (the text's id if the table has seen it, else a new one).
 * Values of other types come back unchanged; so does a string when the table is full or the
 * process has given 2^32 - 1 ids (sym 0: still evaluated correctly, by its text). */
eng_value eng_symtab_intern(eng_symtab *t, eng_value v);
int eng_symtab_count(const eng_symtab *t); /* distinct texts given an id */

/* Round half away from zero on the decimal value (first to 15 significant digits, then to
 * `decimals` places), as the SPEC fixes for scores, percents and round(). */
double eng_round(double x, int decimals);

/* ---- fact schema ------------------------------------------------------------------------- */

typedef struct eng_schema eng_schema;

eng_schema *eng_schema_new(void);
/* The fact names and types of the shipped `evaluation_facts` view, plus previous_category (string)
 * and previous_score (number). Used by `hyoka check` without --db. */
eng_schema *eng_schema_new_builtin(void);
void eng_schema_free(eng_schema *s);
/* Adds a fact; returns its slot (0, 1, 2, ... in order of addition), or -1 if the name is
 * already there, is not an identifier, or the schema is full (ENG_MAX_FACTS). `opaque_type` is a
 * human name for ENG_OPAQUE columns ("date") used in error messages; NULL otherwise. */
int eng_schema_add(eng_schema *s, const char *name, eng_type type, const char *opaque_type);
int eng_schema_count(const eng_schema *s);
const char *eng_schema_name(const eng_schema *s, int slot);
eng_type eng_schema_type(const eng_schema *s, int slot);
int eng_schema_find(const eng_schema *s, const char *name); /* slot or -1 */
/* The reader's name of a fact (the database's fact_labels, sql/016), used by explanation text
 * instead of the fact's id; NULL or "" removes it. Returns -1 for a slot not in the schema. */
int eng_schema_set_label(eng_schema *s, int slot, const char *label);
const char *eng_schema_label(const eng_schema *s, int slot); /* NULL: none (text uses the id) */
/* How a fact's value is shown to people: its unit ("円"), its display kind ("yen"; the kinds are
 * store/fact_display.c's) and its place in a list of facts (1, 2, ...; 0: after those that have
 * one). The engine keeps and copies them with the schema and never reads them: they travel with
 * a run's fact schema so that an old run is shown as it was evaluated. NULL or "" removes a unit
 * or kind; -1 for a slot not in the schema or a negative position. */
int eng_schema_set_display(eng_schema *s, int slot, const char *unit, const char *display,
                           int position);
const char *eng_schema_unit(const eng_schema *s, int slot);    /* NULL: none */
const char *eng_schema_display(const eng_schema *s, int slot); /* NULL: none */
int eng_schema_position(const eng_schema *s, int slot);        /* 0: none */
/* The fact name closest to `name` for a "did you mean" (usable facts only), or NULL. */
const char *eng_schema_suggest(const eng_schema *s, const char *name);

/* ---- diagnostics ------------------------------------------------------------------------- */

typedef struct eng_diag {
    const char *file;    /* never NULL: "<string>" for text without a file */
    int line;            /* 1-based */
    int col;             /* 1-based, in characters of the expression; 0 when no column applies */
    int span;            /* characters to underline, >= 1 when col > 0 */
    bool warning;        /* false: error (rule set refused); true: warning (rule set usable) */
    const char *message; /* e.g. "unknown name 'progres_ratio' (did you mean 'progress_ratio'?)" */
    const char *excerpt; /* the expression text the column counts in, or NULL */
} eng_diag;

typedef struct eng_diags eng_diags;

eng_diags *eng_diags_new(void);
void eng_diags_free(eng_diags *d);
void eng_diags_clear(eng_diags *d);
int eng_diags_count(const eng_diags *d);
int eng_diags_errors(const eng_diags *d); /* count of non-warnings */
const eng_diag *eng_diags_get(const eng_diags *d, int i);
/* Prints every diagnostic as a compiler does:
 *     file:line:col: error: message
 *         expression
 *         ^^^^^
 * Returns 0, or -1 on a write error. */
int eng_diags_print(const eng_diags *d, FILE *out);
/* Appends a diagnostic (also for other loaders that validate like rule files, e.g. the service
 * config); copies file, excerpt and the formatted message. `col` and `span` count characters
 * (UTF-8 code points) of `excerpt`; col 0 = none. Never fails (aborts on OOM). */
void eng_diags_add(eng_diags *d, const char *file, int line, int col, int span, bool warning,
                   const char *excerpt, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* ---- rule sets --------------------------------------------------------------------------- */

typedef struct eng_rules eng_rules;

/* Compiles a rule file against a fact schema. On any error returns NULL with every error in
 * `diags` (which may also hold warnings on success). The schema is copied; the caller keeps it. */
eng_rules *eng_rules_load_file(const char *path, const eng_schema *schema, eng_diags *diags);
/* The same from text; `name` stands for the file in positions. */
eng_rules *eng_rules_load_string(const char *text, const char *name, const eng_schema *schema,
                                 eng_diags *diags);
void eng_rules_free(eng_rules *r);

/* A threshold given another value than its rule file gives it (`hyoka evaluate --dry-run --set
 * thresholds.NAME=NUMBER`, `hyoka diff --set`, `hyoka sweep`). */
typedef struct eng_threshold_override {
    const char *name; /* NAME of thresholds.NAME */
    double value;
} eng_threshold_override;

/* Compiles `base`'s rule text again (the same file name and fact schema) with the thresholds of
 * `overrides` (n of them) replaced: every expression folds the new value as it folds the file's,
 * and explanations show it. `base` is not changed.
 * Errors, each at the line of the file's `thresholds` (line 1 without one): a NAME the file has
 * no threshold for (the message lists the file's thresholds), a NAME given twice, a value that is
 * not finite. Returns the new rule set (the caller frees it with eng_rules_free), or NULL with
 * every error in `diags`; the file's own warnings are added again in either case.
 * The new rule set has base's source, file and version; its sha256 is the SHA-256 of the source
 * followed by a newline and eng_rules_overrides(), so that it is never taken for the file's
 * (e.g. for a stored run's history). An override to the value the file already has is no change:
 * with only such overrides the sha256 is the file's. */
eng_rules *eng_rules_override(const eng_rules *base, const eng_threshold_override *overrides,
                              int n, eng_diags *diags);
/* The thresholds that eng_rules_override changed, in file order, as "thresholds.NAME=VALUE"
 * joined with ", " (VALUE with the fewest significant digits, at most 17, that give the same
 * double); "" for a rule set as its file has it. Owned by the rule set. */
const char *eng_rules_overrides(const eng_rules *r);

const char *eng_rules_version(const eng_rules *r);
const char *eng_rules_source(const eng_rules *r);   /* the exact text compiled */
const char *eng_rules_sha256(const eng_rules *r);   /* lowercase hex of the source's SHA-256 */
const eng_schema *eng_rules_schema(const eng_rules *r);
/* The language of explanation text: the rule file's `language` ("en" when it has none). */
const char *eng_rules_language(const eng_rules *r);
/* Languages explanation text can be written in: "en" and "ja". */
bool eng_language_known(const char *lang);

typedef enum eng_kind {
    ENG_KIND_DERIVED,
    ENG_KIND_REASON,
    ENG_KIND_FLAG,
    ENG_KIND_CATEGORY,
    ENG_KIND_SCORE,
} eng_kind;
const char *eng_kind_name(eng_kind k); /* "derived", "reason", "flag", "category", "score" */

/* Entries of a section in file order. label/response/severity are NULL where the file has none;
 * severity is "info", "warning" or "critical" for flags. */
typedef struct eng_rule_info {
    const char *id;
    const char *label;
    const char *response;
    const char *severity;
    const char *expression; /* `when` or `value` text; NULL for the catch-all category */
    double weight;          /* score components only */
    const char *file;
    int line;               /* of the `when` / `value` setting; the catch-all: of its entry */
} eng_rule_info;

int eng_rules_count(const eng_rules *r, eng_kind k);
const eng_rule_info *eng_rules_get(const eng_rules *r, eng_kind k, int i);
int eng_rules_find(const eng_rules *r, eng_kind k, const char *id); /* index or -1 */

/* ---- evaluation -------------------------------------------------------------------------- */

typedef struct eng_result {
    int category;       /* index into the categories; always set */
    int primary_reason; /* index of the first matched reason, -1 if none */
    uint64_t reasons;   /* bit i: reason i matched */
    uint64_t flags;     /* bit i: flag i matched */
    bool has_score;     /* false: every score component was null */
    double score;       /* 0.0 .. 100.0, already rounded to one decimal */
} eng_result;

typedef struct eng_ctx eng_ctx;

/* Scratch space for one thread; allocated once, reused for every evaluation. */
eng_ctx *eng_ctx_new(const eng_rules *r);
void eng_ctx_free(eng_ctx *c);

/* Evaluates one initiative. `facts` has eng_schema_count(schema) values indexed by slot; a value
 * whose type differs from the schema's (other than null) is a caller error (assert).
 * Does not allocate. Returns 0. */
int eng_evaluate(eng_ctx *c, const eng_value *facts, eng_result *out);

/* Recommendations in the SPEC's order (matched reasons' responses in file order, then the
 * category's). Writes up to `max` pointers (owned by the rules) and returns how many there are. */
int eng_recommendations(const eng_rules *r, const eng_result *res, const char **out, int max);

/* ---- explanation ------------------------------------------------------------------------- */

typedef struct eng_input {
    const char *name;  /* a fact, derived, thresholds.X, reasons, reason.X, flag.X or category */
    eng_value value;
} eng_input;

typedef struct eng_step {
    eng_kind kind;
    const char *id;
    const char *file;       /* source file and line of the rule */
    int line;
    const char *expression; /* NULL for the catch-all category */
    int ninputs;
    const eng_input *inputs; /* each name once, in order of first reading */
    eng_value result;        /* derived/score: the value; reason/flag/category: the match */
    const char *text;        /* one plain-language line in the explanation's language, e.g.
        "progress_ratio 0.42 < thresholds.progressing_ratio 0.5 → not delayed (rules.cfg:31)" or
        "cost_benefit 0.36 が基準値 cost_benefit_min 1 を下回るため、理由『…』に該当（rules.cfg:51）";
        numbers in it are rounded for reading, `inputs` and `result` keep the exact values */
} eng_step;

typedef struct eng_explanation eng_explanation;

eng_explanation *eng_explanation_new(void);
void eng_explanation_free(eng_explanation *e);
/* The language of the steps' `text` from the next eng_explain on: "en", "ja", or NULL for the
 * rule set's (the default). Returns -1 (and changes nothing) for another language. */
int eng_explanation_set_language(eng_explanation *e, const char *lang);
int eng_explanation_count(const eng_explanation *e);
const eng_step *eng_explanation_get(const eng_explanation *e, int i);

/* Evaluates like eng_evaluate and records every rule evaluated, in evaluation order (categories
 * up to and including the match). Same result as eng_evaluate. Reuses `e`'s memory. Returns 0. */
int eng_explain(eng_ctx *c, const eng_value *facts, eng_result *out, eng_explanation *e);

/* ---- single expressions (tests, tools) --------------------------------------------------- */

/* Compiles and evaluates one expression against `schema` with `facts` (thresholds, derived names
 * and rule results are not in scope). Returns 0 with *out set, or -1 with diagnostics (file
 * "<expr>", line 1). String results point into static storage valid until the next call. */
int eng_eval_expression(const char *expr, const eng_schema *schema, const eng_value *facts,
                        eng_value *out, eng_diags *diags);

/* ---- rule and case files on disk (rules.c) ----------------------------------------------- */

#define ENG_MAX_FILE_BYTES (1024 * 1024) /* a rule or case file */

/* Reads a whole file (at most ENG_MAX_FILE_BYTES). Returns 0 with *text (malloc'd, NUL-terminated,
 * the caller frees it) and *len; -1 when the file is too large (diagnostic added); -2 when it
 * cannot be read (errno set, no diagnostic: the caller says "cannot read FILE: ..."). */
int eng_file_read(const char *path, char **text, size_t *len, eng_diags *diags);
/* Checks `len` bytes of libconfig text as rule files are checked before parsing: no NUL byte,
 * valid UTF-8 (a BOM is skipped), no @include, no integer that libconfig 1.5 would wrap at 32
 * bits. Returns a malloc'd copy ready for config_read_string (the caller frees it) with any
 * errors added to `diags`, or NULL (after an error) when the text cannot be parsed at all. */
char *eng_config_text_prepare(const char *text, size_t len, const char *file, eng_diags *diags);

/* ---- what would it take (counterfactual.c) ----------------------------------------------- */

/* The rule set's thresholds in file order (after eng_rules_override, with the new values):
 * NAME without "thresholds.", owned by the rule set. -1 / NULL / NaN for i out of range. */
int eng_rules_threshold_count(const eng_rules *r);
const char *eng_rules_threshold_name(const eng_rules *r, int i);
double eng_rules_threshold_value(const eng_rules *r, int i);

/* For one initiative and one better category (index below the initiative's): the nearest value of
 * one fact, the other facts as given, that eng_evaluate puts into that category. */
typedef struct eng_counterfactual {
    int fact;        /* slot in the schema */
    int category;    /* the better category (index) */
    bool found;      /* false: no value of this fact alone gives the category */
    eng_value value; /* found: ENG_NUM or ENG_BOOL */
    /* numbers only: the category holds at `value` and beyond it, away from the reported value,
     * in `direction` (+1: from value upward, -1: from value downward, 0: the fact was null and
     * value is 0); `before` = nextafter(value) toward the reported value (not that category:
     * before_category), `after` = nextafter(value) the other way (after_category). */
    int direction;
    double before, after;
    int before_category, after_category;
} eng_counterfactual;

/* What a rule set compares each fact with, found once from its expressions' text: the facts the
 * derived values, reasons, flags and categories read (numbers and booleans; the score cannot
 * change a category), and the numbers in those expressions and the thresholds. Immutable: one
 * per rule set, shared by threads. eng_cf_new never fails (aborts on OOM); eng_cf_free(NULL). */
typedef struct eng_cf eng_cf;
eng_cf *eng_cf_new(const eng_rules *r);
void eng_cf_free(eng_cf *cf);
int eng_cf_nfacts(const eng_cf *cf);       /* facts read */
int eng_cf_fact(const eng_cf *cf, int i); /* their slots, in schema order */

/* The counterfactuals of one initiative (`facts` as eng_evaluate takes them; `c` a context of the
 * rule set `cf` was made from): for every fact read (eng_cf_fact order) and every category before
 * the initiative's own (file order), one entry. Numbers: candidate flip points are the numbers
 * the expressions hold, the thresholds, the other facts' and the derived values' values, and the
 * value where a derived value linear in the fact (a*x + b or a/x + b, fitted on four evaluations
 * each side) equals one of them; every candidate and its neighbours are evaluated with
 * eng_evaluate, and between two evaluated points of different categories the exact pair of
 * adjacent doubles where the category changes is found by bisection (so every reported value was
 * evaluated, and so was the step before it). A change and a change back between two evaluated
 * points that have the same category is not seen. Booleans: the other value (null: true, then
 * false). A null number is searched from 0.
 * Writes at most `max` entries and returns how many there are (nfacts * category). Allocates its
 * scratch space; `facts` is not changed. */
int eng_counterfactuals(const eng_cf *cf, eng_ctx *c, const eng_value *facts,
                        eng_counterfactual *out, int max);

/* ---- where a threshold's value can change a result (counterfactual.c) -------------------- */

/* A rule set reads thresholds.NAME in a bounded way when every place its derived values,
 * reasons, flags and categories name it is one side of a comparison (< <= > >= == !=), itself or
 * negated (-thresholds.NAME), whose
 * other side is a number literal (or its negation), another threshold, a number fact, or a
 * derived value that does not itself depend on thresholds.NAME. Then each comparison changes
 * outcome only where the threshold passes the other side's value (its cut), so an initiative's
 * category, reasons and flags are the same at two values of the threshold unless one of its cuts
 * (or a cut common to all initiatives) lies between them, ends included. The score is not looked
 * at (it cannot change a category). Immutable, shared by threads. */
typedef struct eng_tcuts eng_tcuts;
/* NULL when the threshold is not bounded so, or the rule set has no such threshold; then `why`
 * (size bytes) says where and how it is read otherwise ("rules.cfg:40: thresholds.x is an operand
 * of '*'"). Aborts on OOM. */
eng_tcuts *eng_tcuts_new(const eng_rules *r, const char *name, char *why, size_t size);
void eng_tcuts_free(eng_tcuts *t);
/* Cuts common to every initiative (literals, other thresholds), sorted. */
int eng_tcuts_common(const eng_tcuts *t, const double **cuts);
/* Cuts that depend on the initiative (facts, derived values): at most this many per initiative. */
int eng_tcuts_max(const eng_tcuts *t);
/* Writes an initiative's cuts into out (eng_tcuts_max entries; NaN where the other side is null
 * or not a number) and returns eng_tcuts_max. `c` is a context of any rule set made from the
 * same file (derived values that give cuts do not read the threshold); derived values are
 * computed rule by rule (expr_eval), as eval.c does for the reference of eng_evaluate. Does not allocate. */
int eng_tcuts_at(const eng_tcuts *t, eng_ctx *c, const eng_value *facts, double *out);

#endif
