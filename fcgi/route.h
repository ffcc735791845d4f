/* route.h - the route table: {methods, path pattern, handler}; dispatch answers 404 and 405 itself. */
#ifndef HYOKA_FCGI_ROUTE_H
#define HYOKA_FCGI_ROUTE_H

#include "http.h"

/* Dispatches one request. Returns the index of the matched route (for metrics), or route_count()
 * when nothing matched (answered 404 or 405 with Allow). */
int route_dispatch(hy_req *r);
/* What route_dispatch does before the handler, without a database: finds the route (404, or 405
 * with Allow, when none fits), copies the {code} segment into arg (argn > HTTP_MAX_PATH) and
 * checks the query parameters against the route's list. Returns the route's index, or
 * route_count(); r->status is 0 only when the handler is to answer. */
int route_prepare(hy_req *r, char *arg, size_t argn);
int route_count(void);
/* The route's pattern ("/api/v1/initiatives/{code}") or "unmatched" for route_count(). */
const char *route_name(int i);

#endif
