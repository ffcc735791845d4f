/* departments.h - departments (所管課) as the city organises them: grouped by 部 (division) and
 * in the order of the organisation chart, as departments.csv gives them (docs/departments.md).
 * The read model decides this order once; /api/v1/departments and the dashboard show it.
 *
 * The order:
 *  - divisions: those with a positioned department first, by their smallest position; then by
 *    their reading (kana_cmp, 五十音順), those without a reading after; then by name in code-point
 *    order; the departments without a division last (one group, name NULL);
 *  - departments within a division: by position; then by reading (五十音順), those without one
 *    after; then by name in code-point order.
 * Without departments.csv no department has a position, reading or division: then the order is
 * the names' code-point order (no reading to sort by in 五十音順).
 *
 * Strings are borrowed from the caller; nothing here allocates but store_run_departments' JSON.
 */
#ifndef HYOKA_STORE_DEPARTMENTS_H
#define HYOKA_STORE_DEPARTMENTS_H

#include <jansson.h>
#include <stdbool.h>

typedef struct store_division {
    const char *name, *kana; /* name NULL: the departments without a division */
    bool has_position;
    long position;           /* the smallest position of its departments */
} store_division;

typedef struct store_department {
    const char *name;                     /* the key, as initiatives.csv names it */
    const char *kana;                     /* NULL: no reading imported */
    const char *division, *division_kana; /* NULL: not imported */
    bool has_position;
    long position;
    int division_index; /* into the divisions of store_departments_order */
} store_department;

/* Sorts deps[0..n) into the order above and writes their divisions, in order, to divs (room for
 * n entries); sets each department's division_index. A division's reading is the first one its
 * departments give (departments.csv checks that they agree). Returns the number of divisions. */
int store_departments_order(store_department *deps, int n, store_division *divs);

#endif
