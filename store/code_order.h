/* code_order.h - the one order of roadmap codes ("1-3-01" before "1-14-01"): runs of digits
 * compare by value, everything else bytewise; codes equal by value ("1-02", "1-2") by their
 * bytes, so the order is total. The report uses it; fcgi/run.c's run_code_cmp and store/
 * evaluate.c's compare_codes are the same order and can call this instead. */
#ifndef HYOKA_CODE_ORDER_H
#define HYOKA_CODE_ORDER_H

/* < 0, 0 or > 0 as a sorts before, with or after b. Neither may be NULL. */
int code_order_cmp(const char *a, const char *b);

/* qsort comparator over an array of `const char *`. */
int code_order_qsort(const void *a, const void *b);

#endif
