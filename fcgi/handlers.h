/* handlers.h - the API's handlers, one h_*.c file per resource; listed once in route.c's table.
 *
 * A handler answers exactly once through http.h (a body, JSON or a problem) on every path and
 * frees what it took (PQclear on every path: `goto out`). `arg` is the path segment matched by
 * {code} in the route pattern, or NULL. The route table lists the query parameters each handler
 * accepts and checks them first: a handler sees only those, each with a value (but `q`, which may
 * be empty), and checks what the values mean.
 */
#ifndef HYOKA_FCGI_HANDLERS_H
#define HYOKA_FCGI_HANDLERS_H

#include "http.h"

void h_health(hy_req *r, const char *arg);
void h_rules(hy_req *r, const char *arg);
void h_metrics(hy_req *r, const char *arg);
void h_summary(hy_req *r, const char *arg);
void h_initiatives(hy_req *r, const char *arg);
void h_initiative(hy_req *r, const char *arg);
void h_surveys(hy_req *r, const char *arg);
void h_runs(hy_req *r, const char *arg);
void h_departments(hy_req *r, const char *arg);
void h_measures(hy_req *r, const char *arg);
void h_kpis(hy_req *r, const char *arg);
void h_projects(hy_req *r, const char *arg);
void h_report(hy_req *r, const char *arg);
void h_evaluations(hy_req *r, const char *arg);
void h_rules_coverage(hy_req *r, const char *arg);
void h_rules_sweep(hy_req *r, const char *arg);

#endif
