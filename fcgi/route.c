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
} route;

static const route routes[] = {
    {M_GET, "/api/v1/summary", h_summary},
    {M_GET, "/api/v1/initiatives", h_initiatives},
    {M_GET, "/api/v1/initiatives/{code}", h_initiative},
    {M_GET, "/api/v1/surveys", h_surveys},
    {M_GET, "/api/v1/departments", h_departments},
    {M_GET, "/api/v1/measures", h_measures},
    {M_GET, "/api/v1/kpis", h_kpis},
    {M_GET, "/api/v1/projects", h_projects},
    {M_GET, "/api/v1/rules", h_rules},
    {M_GET, "/api/v1/report", h_report},
    {M_GET, "/api/v1/health", h_health},
    {M_GET, "/api/v1/metrics", h_metrics},
    {M_GET, "/metrics", h_metrics},
    {M_POST, "/api/v1/evaluations", h_evaluations},
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

int route_dispatch(hy_req *r)
{
    char arg[HTTP_MAX_PATH + 1];
    unsigned want = (strcmp(r->method, "GET") == 0 || r->head) ? M_GET
                    : strcmp(r->method, "POST") == 0           ? M_POST
                                                               : 0;
    unsigned allowed = 0;
    for (int i = 0; i < NROUTES; i++) {
        if (!match(routes[i].pattern, r->path, arg, sizeof arg))
            continue;
        if (routes[i].methods & want) {
            routes[i].handler(r, strstr(routes[i].pattern, "{code}") ? arg : NULL);
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
