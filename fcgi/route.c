/* route.c - the route table and dispatch: path patterns with one {code} segment, 404 and 405 + Allow. */
#include "route.h"

#include "handlers.h"
#include "metrics.h"

#include <stdbool.h>
#include <string.h>

enum { M_GET = 1, M_POST = 2 }; /* HEAD is served by every GET route */

typedef struct route {
    unsigned methods;
    const char *pattern; /* "{code}" matches one non-empty segment without '/' */
    void (*handler)(hy_req *r, const char *arg);
    const char *const *params;       /* accepted query parameters, NULL-terminated */
    const char *const *may_be_empty; /* those of them an empty value is meaningful for */
} route;

/* The parameters of each route, checked here before its handler runs (http_params_check): a
 * handler reads only parameters that are known and, but for `q`, not empty. Values are checked
 * by the handler (param_int_or_reply, param_enum_or_reply, the run's catalog). */
static const char *const p_none[] = {NULL};
static const char *const p_format[] = {"format", NULL};
static const char *const p_survey_format[] = {"survey", "format", NULL};
/* A stored run's views: the survey's current run, or ?run=ID (SPEC v1.1 "Runs"). */
static const char *const p_run[] = {"survey", "run", NULL};
static const char *const p_run_format[] = {"survey", "run", "format", NULL};
static const char *const p_initiatives[] = {"survey", "run", "category", "primary_reason",
                                            "reason", "flag", "department", "measure",
                                            "q", "sort", "limit", "offset",
                                            "format", NULL};
static const char *const p_runs[] = {"survey", "limit", "offset", "format", NULL};
/* The empty search text is in every code: `q=` (an emptied search box) lists everything. */
static const char *const p_search[] = {"q", NULL};
static const char *const p_sweep[] = {"survey", "threshold", "value", "from", "to", "step", NULL};

static const route routes[] = {
    {M_GET, "/api/v1/summary", h_summary, p_run, NULL},
    {M_GET, "/api/v1/initiatives", h_initiatives, p_initiatives, p_search},
    {M_GET, "/api/v1/initiatives/{code}", h_initiative, p_run, NULL},
    {M_GET, "/api/v1/surveys", h_surveys, p_format, NULL},
    {M_GET, "/api/v1/runs", h_runs, p_runs, NULL},
    {M_GET, "/api/v1/departments", h_departments, p_run_format, NULL},
    {M_GET, "/api/v1/measures", h_measures, p_run_format, NULL},
    {M_GET, "/api/v1/kpis", h_kpis, p_survey_format, NULL},
    {M_GET, "/api/v1/projects", h_projects, p_format, NULL},
    {M_GET, "/api/v1/rules", h_rules, p_none, NULL},
    {M_GET, "/api/v1/rules/coverage", h_rules_coverage, p_run_format, NULL},
    {M_GET, "/api/v1/rules/sweep", h_rules_sweep, p_sweep, NULL},
    {M_GET, "/api/v1/report", h_report, p_run_format, NULL},
    {M_GET, "/api/v1/health", h_health, p_none, NULL},
    {M_GET, "/api/v1/metrics", h_metrics, p_none, NULL},
    {M_GET, "/metrics", h_metrics, p_none, NULL},
    {M_POST, "/api/v1/evaluations", h_evaluations, p_none, NULL},
};
#define NROUTES ((int)(sizeof routes / sizeof routes[0]))
_Static_assert(sizeof routes / sizeof routes[0] < METRICS_MAX_ROUTES, "grow METRICS_MAX_ROUTES");

int route_count(void) { return NROUTES; }

const char *route_name(int i)
{
    return i >= 0 && i < NROUTES ? routes[i].pattern : "unmatched";
}

/* Matches `path` against `pattern`; on a {code} match copies the segment into arg. */
static bool match(const char *pattern, const char *path, char *arg, size_t argn)
{
    const char *brace = strstr(pattern, "{code}");
    if (brace == NULL)
        return strcmp(pattern, path) == 0;
    size_t pre = (size_t)(brace - pattern);
    if (strncmp(pattern, path, pre) != 0)
        return false;
    const char *seg = path + pre;
    size_t n = strcspn(seg, "/");
    if (n == 0 || n >= argn || seg[n] != '\0')
        return false;
    memcpy(arg, seg, n);
    arg[n] = '\0';
    return true;
}

int route_prepare(hy_req *r, char *arg, size_t argn)
{
    unsigned want = (strcmp(r->method, "GET") == 0 || r->head) ? M_GET
                    : strcmp(r->method, "POST") == 0           ? M_POST
                                                               : 0;
    unsigned allowed = 0;
    for (int i = 0; i < NROUTES; i++) {
        if (!match(routes[i].pattern, r->path, arg, argn))
            continue;
        if (routes[i].methods & want) {
            r->route = i;
            http_params_check(r, routes[i].params, routes[i].may_be_empty);
            return i;
        }
        allowed |= routes[i].methods;
    }
    if (allowed != 0) {
        const char *allow = allowed == M_POST ? "Allow: POST\r\n"
                            : allowed == M_GET ? "Allow: GET, HEAD\r\n"
                                               : "Allow: GET, HEAD, POST\r\n";
        http_problem_h(r, 405, allow, NULL, "%s is not allowed on %s", r->method, r->path);
    } else {
        http_problem(r, 404, NULL, "no such resource: %s", r->path);
    }
    return NROUTES;
}

int route_dispatch(hy_req *r)
{
    char arg[HTTP_MAX_PATH + 1];
    int i = route_prepare(r, arg, sizeof arg);
    if (r->status == 0)
        routes[i].handler(r, strstr(routes[i].pattern, "{code}") ? arg : NULL);
    return i;
}
