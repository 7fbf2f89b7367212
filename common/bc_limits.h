/*
 * bc_limits.h -- the limits every part agrees on, and the checks that
 * enforce them: a figure's largest count, the sizes of a report, the
 * window a filing time must lie in, overflow-checked sums, UTF-8 strings.
 *
 * Why one module: the node refuses at filing what the hub would refuse on
 * arrival, so both must read the same numbers; and a sum that could wrap
 * must be caught the same way wherever figures are added up (subtree
 * totals, months combined, plans). Copies would drift.
 *
 * The largest count, BC_COUNT_MAX = 10^12: the biggest real health figure
 * is a count of people or events in one period for one unit (Vietnam has
 * about 10^8 people; a year's visits nationwide are about 2 x 10^8), and a
 * food-safety fine in VND reaches 10^9 to 10^10. 10^12 leaves a hundred
 * times that. With it, a sum over N units and 12 months stays below
 * INT64_MAX (9.2 x 10^18) for N up to 768,000 units: the whole country's
 * 10,700 facilities fit 70 times over, so a wrapped total needs a registry
 * no country has; the checked sums below turn even that into an error.
 */
#ifndef BC_LIMITS_H
#define BC_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BC_COUNT_MAX 1000000000000LL   /* largest count of one figure (10^12) */
#define BC_MAX_VALUES_DEFAULT 1000      /* hub's --max-values default */
#define BC_MAX_MESSAGE_DEFAULT (1 << 20) /* hub's --max-message default, bytes */
#define BC_TEXT_MAX 64                /* bytes of any code, period or name
                                           a request carries */
#define BC_RATIO_SCALE_MAX 1000000.0         /* largest ratio scale (per million):
                                           a rate of two checked totals
                                           times it stays finite */
#define BC_FILED_AHEAD_MAX 86400        /* filed_at may lead the hub's clock
                                           by at most a day, seconds */

/* *out = a + b. Returns 0 (BC_OK), or BC_ERANGE when the exact sum does
 * not fit int64_t; *out is then left unchanged, so a caller can never use
 * a wrapped number. */
int bc_add_checked(int64_t a, int64_t b, int64_t *out);

/* True if len bytes at s are valid UTF-8 (shortest forms only, no
 * surrogates, nothing above U+10FFFF) and hold no control character
 * (U+0000-U+001F, U+007F): the rule for every string of a request. */
bool bc_text_valid(const char *s, size_t len);

/* Copies s into out (outlen bytes, always terminated) with each control
 * byte (below 0x20, and 0x7F) and each byte of an invalid UTF-8 sequence
 * written as \xNN, and a backslash as \\, so that text a peer sent cannot
 * forge a log line or break a strict reader. Truncates to fit. Returns
 * out. */
char *bc_escape(const char *s, char *out, size_t outlen);

#endif
