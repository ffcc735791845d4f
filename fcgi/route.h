/* route.h - the route table: {methods, path pattern, handler}; dispatch answers 404 and 405 itself. */
#ifndef HYOKA_FCGI_ROUTE_H
#define HYOKA_FCGI_ROUTE_H

#include "http.h"

/* Dispatches one request. Returns the index of the matched route (for metrics), or route_count()
 * when nothing matched (answered 404 or 405 with Allow). */
int route_dispatch(hy_req *r);
int route_count(void);
/* The route's pattern ("/api/v1/initiatives/{code}") or "unmatched" for route_count(). */
const char *route_name(int i);

#endif
