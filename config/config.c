/* config.c - loads and validates the service config (libconfig), reporting file:line for every error. */
#include "i18n.h"
#include "config.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* How a key's value is checked and where it goes. The table below is the whole schema of the
 * file: a key not in it is an error. */
typedef enum key_kind {
    KEY_STRING,   /* any string */
    KEY_PATH,     /* string; a relative path is resolved against the config's folder */
    KEY_INT,      /* integer in [min, max] */
    KEY_MODE,     /* octal string like "0660" */
    KEY_TOKENS,   /* array of "sha256:<64 hex>" */
    KEY_LEVEL,    /* "error" | "warn" | "info" | "debug" */
    KEY_LANG,     /* "en" | "ja": hy_lang */
} key_kind;

typedef struct key_spec {
    const char *group;
    const char *name;
    key_kind kind;
    long min, max;   /* KEY_INT */
    size_t offset;   /* of the field in hy_config (char * for strings, int or long for ints) */
    bool is_long;    /* KEY_INT: the field is a long, not an int */
} key_spec;

#define F(field) offsetof(hy_config, field)
static const key_spec keys[] = {
    {"database", "conninfo", KEY_STRING, 0, 0, F(conninfo), false},
    {"database", "writer_conninfo", KEY_STRING, 0, 0, F(writer_conninfo), false},
    {"database", "lock_wait", KEY_INT, 0, HY_LOCK_WAIT_MAX, F(lock_wait), false},
    {"database", "standby_poll_ms", KEY_INT, HY_STANDBY_POLL_MIN, HY_STANDBY_POLL_MAX,
     F(standby_poll_ms), false},
    {"database", "preferred_retry_ms", KEY_INT, HY_PREFERRED_RETRY_MIN, HY_PREFERRED_RETRY_MAX,
     F(preferred_retry_ms), false},
    {"rules", "file", KEY_PATH, 0, 0, F(rules_file), false},
    {"server", "socket", KEY_PATH, 0, 0, F(socket), false},
    {"server", "socket_mode", KEY_MODE, 0, 07777, F(socket_mode), false},
    {"server", "socket_owner", KEY_STRING, 0, 0, F(socket_owner), false},
    {"server", "socket_group", KEY_STRING, 0, 0, F(socket_group), false},
    {"server", "workers", KEY_INT, HY_WORKERS_MIN, HY_WORKERS_MAX, F(workers), false},
    {"server", "backlog", KEY_INT, HY_BACKLOG_MIN, HY_BACKLOG_MAX, F(backlog), false},
    {"server", "run_images", KEY_PATH, 0, 0, F(run_images), false},
    {"api", "write_tokens", KEY_TOKENS, 0, HY_MAX_TOKENS, 0, false},
    {"api", "language", KEY_LANG, 0, 0, F(language), false},
    {"limits", "max_body", KEY_INT, HY_MAX_BODY_MIN, HY_MAX_BODY_MAX, F(max_body), true},
    {"limits", "max_query", KEY_INT, HY_MAX_QUERY_MIN, HY_MAX_QUERY_MAX, F(max_query), true},
    {"limits", "cache_bytes", KEY_INT, HY_CACHE_BYTES_MIN, HY_CACHE_BYTES_MAX, F(cache_bytes),
     true},
    {"log", "level", KEY_LEVEL, 0, 0, F(log_level), false},
};
#undef F
#define NKEYS (sizeof keys / sizeof keys[0])

static const char *const groups[] = {"database", "rules", "server", "api", "limits", "log"};
#define NGROUPS (sizeof groups / sizeof groups[0])

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *hy_log_level_name(int level)
{
    if (level < 0 || level > HY_LOG_DEBUG)
        return "?";
    return level_names[level];
}

/* The loading state: the file name used in positions, the folder relative paths resolve to. */
typedef struct loader {
    const char *file;
    char *dir;          /* absolute folder of the config file, malloc'd */
    eng_diags *diags;
    int errors;
} loader;

static void error_at(loader *l, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void error_at(loader *l, const config_setting_t *s, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, _(fmt), ap);
    va_end(ap);
    const char *file = s != NULL ? config_setting_source_file(s) : NULL;
    int line = s != NULL ? (int)config_setting_source_line(s) : 0;
    if (file == NULL)
        file = l->file;
    if (line < 1)
        line = 1;
    eng_diags_add(l->diags, file, line, 0, 0, false, NULL, "%s", msg);
    l->errors++;
}

static const char *type_name(int t)
{
    switch (t) {
    case CONFIG_TYPE_GROUP: return _("a group");
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: return _("an integer");
    case CONFIG_TYPE_FLOAT: return _("a number with a fraction");
    case CONFIG_TYPE_STRING: return _("a string");
    case CONFIG_TYPE_BOOL: return _("a boolean");
    case CONFIG_TYPE_ARRAY: return _("an array");
    case CONFIG_TYPE_LIST: return _("a list");
    default: return _("a value of unknown type");
    }
}

/* The absolute folder holding `path`. Hand-written because dirname() may modify its argument and
 * realpath() would fail on a folder we only need as a string prefix. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (slash == NULL) {
        dir = xstrdup(".");
    } else if (slash == path) {
        dir = xstrdup("/");
    } else {
        dir = xmemdup(path, (size_t)(slash - path));
    }
    if (dir[0] != '/') {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd) != NULL) {
            size_t n = strlen(cwd) + 1 + strlen(dir) + 1;
            char *abs = xmalloc(n);
            if (strcmp(dir, ".") == 0)
                snprintf(abs, n, "%s", cwd);
            else
                snprintf(abs, n, "%s/%s", cwd, dir);
            free(dir);
            dir = abs;
        }
    }
    return dir;
}

static char *resolve(const loader *l, const char *value)
{
    if (value[0] == '/')
        return xstrdup(value);
    size_t n = strlen(l->dir) + 1 + strlen(value) + 1;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", l->dir, value);
    return p;
}

static bool get_int(const config_setting_t *s, long long *v)
{
    int t = config_setting_type(s);
    if (t == CONFIG_TYPE_INT) {
        *v = config_setting_get_int(s);
        return true;
    }
    if (t == CONFIG_TYPE_INT64) {
        *v = config_setting_get_int64(s);
        return true;
    }
    return false;
}

/* The integer as written in the file. libconfig 1.5 reads an integer without the L suffix as
 * 32 bits and wraps it silently (5000000000 -> 705032704), so the value it gives cannot tell
 * whether the file said something else: read the setting's line again and parse the literal
 * after "name =" (or "name :"). Hand-written because libconfig keeps no source text. Returns
 * false when the line cannot be read or holds no plain decimal literal (nothing to compare). */
static bool literal_of(const config_setting_t *s, const char *fallback_file, long long *out)
{
    const char *file = config_setting_source_file(s);
    int line = (int)config_setting_source_line(s);
    const char *name = config_setting_name(s);
    if (file == NULL)
        file = fallback_file;
    FILE *f = fopen(file, "r");
    if (f == NULL || name == NULL || line < 1) {
        if (f != NULL)
            fclose(f);
        return false;
    }
    char buf[1024];
    bool found = false;
    for (int i = 1; fgets(buf, sizeof buf, f) != NULL; i++) {
        if (i < line)
            continue;
        const char *p = buf;
        size_t n = strlen(name);
        while ((p = strstr(p, name)) != NULL) {
            const char *q = p + n;
            bool starts = p == buf || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' ||
                                        p[-1] == '-' || p[-1] == '*');
            p = q;
            if (!starts)
                continue;
            q += strspn(q, " \t");
            if (*q != '=' && *q != ':')
                continue;
            q++;
            q += strspn(q, " \t");
            if (!(isdigit((unsigned char)*q) || ((*q == '-' || *q == '+') && isdigit((unsigned char)q[1]))))
                break;
            if (q[strspn(q + 1, "0123456789") + 1] == 'L' || strncmp(q, "0x", 2) == 0 ||
                strncmp(q, "0X", 2) == 0)
                break; /* int64 or hex: libconfig reads those right */
            errno = 0;
            *out = strtoll(q, NULL, 10);
            found = errno == 0;
            break;
        }
        break;
    }
    fclose(f);
    return found;
}

static bool is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!isxdigit((unsigned char)s[i]))
            return false;
    return s[64] == '\0';
}

static void load_tokens(loader *l, const config_setting_t *s, hy_config *c)
{
    int t = config_setting_type(s);
    if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
        error_at(l, s, "api.write_tokens must be an array of strings like \"sha256:<64 hex>\", not %s",
                 type_name(t));
        return;
    }
    int n = config_setting_length(s);
    if (n > HY_MAX_TOKENS) {
        error_at(l, s, "api.write_tokens has more than %d entries", HY_MAX_TOKENS);
        return;
    }
    c->write_tokens = xcalloc((size_t)n + 1, sizeof *c->write_tokens);
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *v = config_setting_get_string(e);
        if (v == NULL || strncmp(v, "sha256:", 7) != 0 || !is_hex64(v + 7)) {
            error_at(l, e != NULL ? e : s,
                     "api.write_tokens entries must be \"sha256:\" followed by the 64 hex digits "
                     "of the token's SHA-256 (printf %%s TOKEN | sha256sum), not %s",
                     v != NULL ? "this string" : type_name(config_setting_type(e)));
            continue;
        }
        char *hex = xstrdup(v + 7);
        for (char *p = hex; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        c->write_tokens[c->nwrite_tokens++] = hex;
    }
}

static void load_key(loader *l, const key_spec *k, const config_setting_t *s, hy_config *c)
{
    char name[64];
    snprintf(name, sizeof name, "%s.%s", k->group, k->name);
    int t = config_setting_type(s);
    switch (k->kind) {
    case KEY_STRING:
    case KEY_PATH:
    case KEY_MODE:
    case KEY_LANG:
    case KEY_LEVEL: {
        if (t != CONFIG_TYPE_STRING) {
            error_at(l, s, k->kind == KEY_MODE
                               ? N_("%s must be an octal string like \"0660\", not %s")
                               : N_("%s must be a string, not %s"),
                     name, type_name(t));
            return;
        }
        const char *v = config_setting_get_string(s);
        if (k->kind == KEY_MODE) {
            size_t n = strlen(v);
            bool ok = n >= 3 && n <= 5;
            for (size_t i = 0; ok && i < n; i++)
                ok = v[i] >= '0' && v[i] <= '7';
            long mode = ok ? strtol(v, NULL, 8) : -1;
            if (!ok || mode < k->min || mode > k->max) {
                error_at(l, s, "%s must be an octal mode like \"0660\", not \"%s\"", name, v);
                return;
            }
            *(int *)((char *)c + k->offset) = (int)mode;
        } else if (k->kind == KEY_LANG) {
            int lang = hy_lang_from_tag(v, strlen(v));
            if (lang < 0 || strlen(v) != 2) {
                error_at(l, s, "%s must be \"ja\" or \"en\", not \"%s\"", name, v);
                return;
            }
            *(int *)((char *)c + k->offset) = lang;
        } else if (k->kind == KEY_LEVEL) {
            for (int i = 0; i <= HY_LOG_DEBUG; i++)
                if (strcmp(v, level_names[i]) == 0) {
                    *(int *)((char *)c + k->offset) = i;
                    return;
                }
            error_at(l, s, "%s must be one of \"error\", \"warn\", \"info\", \"debug\", not \"%s\"",
                     name, v);
        } else {
            if (k->kind == KEY_PATH && v[0] == '\0') {
                error_at(l, s, "%s must not be empty", name);
                return;
            }
            char **field = (char **)((char *)c + k->offset);
            free(*field);
            *field = k->kind == KEY_PATH ? resolve(l, v) : xstrdup(v);
        }
        return;
    }
    case KEY_INT: {
        long long v;
        if (!get_int(s, &v)) {
            error_at(l, s, "%s must be an integer, not %s", name, type_name(t));
            return;
        }
        long long written;
        if (t == CONFIG_TYPE_INT && literal_of(s, l->file, &written) && written != v) {
            error_at(l, s, "%s: %lld does not fit a 32-bit integer (libconfig would read %lld); "
                           "write %lldL",
                     name, written, v, written);
            return;
        }
        if (v < k->min || v > k->max) {
            char range[96];
            snprintf(range, sizeof range, "%lld is outside %ld..%ld", v, k->min, k->max);
            error_at(l, s, "%s: %s", name, range);
            return;
        }
        if (k->is_long)
            *(long *)((char *)c + k->offset) = (long)v;
        else
            *(int *)((char *)c + k->offset) = (int)v;
        return;
    }
    case KEY_TOKENS:
        load_tokens(l, s, c);
        return;
    }
}

static const key_spec *find_key(const char *group, const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].group, group) == 0 && strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static void load_group(loader *l, const config_setting_t *g, hy_config *c)
{
    const char *gname = config_setting_name(g);
    int n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        const key_spec *k = find_key(gname, name);
        if (k == NULL) {
            error_at(l, s, "unknown key '%s' in group '%s'", name, gname);
            continue;
        }
        load_key(l, k, s, c);
    }
}

static void set_defaults(hy_config *c)
{
    c->lock_wait = -1;
    c->standby_poll_ms = HY_STANDBY_POLL_DEFAULT;
    c->preferred_retry_ms = HY_PREFERRED_RETRY_DEFAULT;
    c->socket_mode = HY_SOCKET_MODE_DEFAULT;
    c->workers = HY_WORKERS_DEFAULT;
    c->backlog = HY_BACKLOG_DEFAULT;
    c->max_body = HY_MAX_BODY_DEFAULT;
    c->max_query = HY_MAX_QUERY_DEFAULT;
    c->cache_bytes = HY_CACHE_BYTES_DEFAULT;
    c->run_images = xstrdup(HY_RUN_IMAGES_DEFAULT);
    c->log_level = HY_LOG_INFO;
}

/* The loader of both entry points: `need_rules` makes a missing rules.file an error. */
static int load(const char *path, hy_config *out, eng_diags *diags, bool need_rules)
{
    memset(out, 0, sizeof *out);
    set_defaults(out);
    out->path = xstrdup(path);
    loader l = {path, folder_of(path), diags, 0};
    config_t cfg;
    config_init(&cfg);
    config_set_include_dir(&cfg, l.dir);

    if (config_read_file(&cfg, path) != CONFIG_TRUE) {
        /* config_error_file is NULL when the file could not be opened at all. */
        const char *file = config_error_file(&cfg) != NULL ? config_error_file(&cfg) : path;
        int line = config_error_line(&cfg);
        if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
            eng_diags_add(diags, file, line > 0 ? line : 1, 0, 0, false, NULL,
                          "cannot read the config file: %s",
                          errno != 0 ? strerror(errno) : "I/O error");
        else
            eng_diags_add(diags, file, line > 0 ? line : 1, 0, 0, false, NULL, "%s",
                          _(config_error_text(&cfg) != NULL ? config_error_text(&cfg)
                                                            : "syntax error"));
        l.errors++;
        goto out;
    }

    const config_setting_t *root = config_root_setting(&cfg);
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(g);
        bool known = false;
        for (size_t j = 0; j < NGROUPS; j++)
            known = known || strcmp(groups[j], name) == 0;
        if (!known) {
            error_at(&l, g, "unknown group '%s' (expected database, rules, server, api, limits "
                            "or log)", name);
            continue;
        }
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
            error_at(&l, g, "'%s' must be a group { ... }, not %s", name,
                     type_name(config_setting_type(g)));
            continue;
        }
        load_group(&l, g, out);
    }
    if (need_rules && l.errors == 0 && out->rules_file == NULL) {
        eng_diags_add(diags, path, 1, 0, 0, false, NULL,
                      "missing rules.file (the rule set the server evaluates with)");
        l.errors++;
    }
    if (out->conninfo == NULL)
        out->conninfo = xstrdup("");

out:
    config_destroy(&cfg);
    free(l.dir);
    if (l.errors > 0) {
        hy_config_cleanup(out);
        return -1;
    }
    return 0;
}

int hy_config_load(const char *path, hy_config *out, eng_diags *diags)
{
    return load(path, out, diags, true);
}

int hy_config_load_database(const char *path, hy_config *out, eng_diags *diags)
{
    return load(path, out, diags, false);
}

void hy_config_cleanup(hy_config *c)
{
    if (c == NULL)
        return;
    free(c->path);
    free(c->conninfo);
    free(c->writer_conninfo);
    free(c->rules_file);
    free(c->socket);
    free(c->run_images);
    free(c->socket_owner);
    free(c->socket_group);
    for (int i = 0; i < c->nwrite_tokens; i++)
        free(c->write_tokens[i]);
    free(c->write_tokens);
    memset(c, 0, sizeof *c);
}
