/* config.h - the service config of hyoka-fcgi (and the CLI's defaults): load and validate it.
 *
 * The file is libconfig, validated like a rule file: every unknown group or key is an error, every
 * value's type and range is checked, and every problem is reported with file:line through
 * eng_diags. All errors are collected before the file is refused.
 *
 *     database = { conninfo = "dbname=hyoka user=hyoka_web"; writer_conninfo = "...";
 *                  lock_wait = 30; };
 *     rules    = { file = "rules/default.cfg"; };           # relative: to the config's folder
 *     server   = { socket = "/run/hyoka/hyoka.sock"; socket_mode = "0660";
 *                  socket_owner = "hyoka"; socket_group = "www-data"; workers = 4; backlog = 128;
 *                  run_images = "/var/cache/hyoka/runs"; };
 *     api      = { write_tokens = [ "sha256:<64 hex>" ]; language = "ja"; };
 *     limits   = { max_body = 1048576; max_query = 8192; cache_bytes = 67108864; };
 *     log      = { level = "info"; };                        # error | warn | info | debug
 *
 * Ownership: hy_config_load fills a caller-owned hy_config; every string in it is malloc'd and
 * released by hy_config_cleanup (which accepts a zeroed or already-cleaned struct).
 */
#ifndef HYOKA_CONFIG_H
#define HYOKA_CONFIG_H

#include "engine.h"

/* Ranges of the numeric keys (inclusive) and their defaults. */
#define HY_WORKERS_MIN 1
#define HY_WORKERS_MAX 256
#define HY_WORKERS_DEFAULT 4
#define HY_BACKLOG_MIN 1
#define HY_BACKLOG_MAX 65535
#define HY_BACKLOG_DEFAULT 128
#define HY_SOCKET_MODE_DEFAULT 0660
#define HY_MAX_BODY_MIN 1024L
#define HY_MAX_BODY_MAX (1024L * 1024L)          /* SPEC: bodies over 1 MiB are 413 */
#define HY_MAX_BODY_DEFAULT (1024L * 1024L)
#define HY_MAX_QUERY_MIN 256L
#define HY_MAX_QUERY_MAX 65536L
#define HY_MAX_QUERY_DEFAULT 8192L
#define HY_CACHE_BYTES_MIN 0L                    /* 0 disables the cache of stored runs */
#define HY_CACHE_BYTES_MAX (4096L * 1024L * 1024L)
#define HY_CACHE_BYTES_DEFAULT (64L * 1024L * 1024L)
#define HY_RUN_IMAGES_DEFAULT "/var/cache/hyoka/runs" /* server.run_images (the package's unit:
                                                        * CacheDirectory=hyoka) */
#define HY_MAX_TOKENS 64                         /* entries of api.write_tokens */
#define HY_LOCK_WAIT_MAX 86400                   /* database.lock_wait, seconds (0 .. a day) */
#define HY_STANDBY_POLL_MIN 50                   /* database.standby_poll_ms: how often a worker */
#define HY_STANDBY_POLL_MAX 60000                /* reading from a hot standby looks for new runs */
#define HY_STANDBY_POLL_DEFAULT 1000             /* and imports (no NOTIFY reaches a standby) */
#define HY_PREFERRED_RETRY_MIN 100               /* database.preferred_retry_ms: how often a */
#define HY_PREFERRED_RETRY_MAX 3600000           /* worker reading from a host conninfo does not */
#define HY_PREFERRED_RETRY_DEFAULT 5000          /* prefer tries the preferred ones again */

enum { HY_LOG_ERROR = 0, HY_LOG_WARN = 1, HY_LOG_INFO = 2, HY_LOG_DEBUG = 3 };

typedef struct hy_config {
    char *path;             /* the file as given */
    char *conninfo;         /* database.conninfo ("" = PG* environment only) */
    char *writer_conninfo;  /* database.writer_conninfo, for POST /evaluations; NULL if absent */
    int lock_wait;          /* database.lock_wait in seconds; -1 if absent (the store's default) */
    int standby_poll_ms;    /* database.standby_poll_ms: data_version poll on a standby */
    int preferred_retry_ms; /* database.preferred_retry_ms: back to the preferred host (fcgi/db.c) */
    char *rules_file;       /* rules.file, relative paths resolved against the config's folder */
    char *socket;           /* server.socket; NULL = socket on fd 0 / LISTEN_FDS */
    int socket_mode; char *socket_owner; char *socket_group; /* owner/group NULL: unchanged */
    int workers; int backlog;
    char *run_images;       /* server.run_images: the folder of shared run images (store/run_image.h) */
    char **write_tokens; int nwrite_tokens;   /* lowercase sha256 hex, without "sha256:" */
    long max_body; long max_query;            /* limits.* in bytes */
    long cache_bytes;                         /* limits.cache_bytes: per-worker cache of runs */
    int log_level;                            /* 0 error, 1 warn, 2 info, 3 debug */
    int language;                             /* api.language: hy_lang of a request without
                                                 Accept-Language (HY_LANG_EN by default) */
} hy_config;

/* Reads and validates `path`. Returns 0 with *out filled (defaults for what the file omits), or
 * -1 with every error appended to `diags` as file:line (and *out left zeroed). Warnings (none are
 * fatal) may be appended on success too. */
int hy_config_load(const char *path, hy_config *out, eng_diags *diags);
/* The same for a command that only connects (`hyoka migrate`, `hyoka doctor`'s database checks):
 * every key is still checked, but rules.file may be absent (then out->rules_file is NULL). */
int hy_config_load_database(const char *path, hy_config *out, eng_diags *diags);
void hy_config_cleanup(hy_config *c);

/* Name of a log level ("error", "warn", "info", "debug"). */
const char *hy_log_level_name(int level);

#endif
