/*
 * bc_registry.h -- the hierarchy of reporting units and the indicator
 * catalogue, loaded from CSV files.
 *
 * The hierarchy is data, not code: up to BC_MAX_LEVELS (64) levels, any
 * number of roots, level names are free text ("province", "district",
 * "commune", ...). Units are
 * held in arrays in file order; each knows its parent and its children by
 * index, so walking up or down the tree touches no hash table.
 *
 * Units file, UTF-8, header first (extra columns are ignored):
 *
 *   code,parent_code,level,name[,reports][,on_behalf][,relay][,key]
 *
 *   reports    "yes"/"no": whether the unit files reports itself. Default:
 *              "no" for a root (a province aggregates), "yes" otherwise.
 *   on_behalf  "yes": the unit may submit for the units directly under it
 *              (a district centre filing for its communes). Default "no".
 *   relay      "yes": the unit's key belongs to a hub that forwards this
 *              unit's whole subtree (a provincial hub shipping its log to a
 *              national hub, hub_upstream.h). That peer may submit for any
 *              unit in the subtree, and for nothing outside it. Default "no".
 *   key        the Z85 CURVE public key of the unit's node (40 characters),
 *              or of the forwarding hub for a `relay` unit.
 *
 * History (all optional; a file without these columns means exactly what
 * it meant before they existed: one open row per unit):
 *
 *   valid_from   first month the row holds, YYYY-MM; empty = since ever.
 *   valid_to     last month the row holds, inclusive; empty = still open.
 *   replaced_by  successors when the unit ends: CODE[;CODE...], each
 *                optionally CODE:SHARE; shares (fractions) of one row
 *                sum to 1, and either every successor has one or none.
 *
 * The same code may appear on several rows whose validity does not
 * overlap: a unit that moved to another parent, was renamed or changed
 * level. Each row is a span of the unit's life (bc_span_t). A parent must
 * be valid for every month its child's row hangs under it. reports,
 * on_behalf and key belong to the unit, taken from its latest row.
 *
 * "The tree in month M" is every unit valid in M under its parent of M;
 * a period (quarter, half, year) uses the tree of its first month.
 * Cycles and depth are checked in every distinct tree the file describes.
 *
 * Catalogue file, UTF-8:
 *
 *   code,name,kind,numerator,denominator,scale[,programme][,categories]
 *
 *   kind is flow, stock or ratio; numerator, denominator (indicator codes,
 *   defined anywhere in the file) and scale (100, 1000, 10000, ...) are
 *   filled for ratios only. categories (issue 17): the categories of the
 *   categories file the indicator is broken down by, `sex;age` (at most
 *   BC_MAX_CATS, at most BC_MAX_COMBOS combinations); empty = none.
 *
 * Categories file (bc_registry_load_full), UTF-8:
 *
 *   category,option,name
 *
 *   one row per option, grouped into categories by code in file order
 *   (bc_categories.h, which reads it and makes the combinations).
 *
 * Load errors name the file, the line and the problem: duplicate code
 * (two rows of one code whose validity overlaps), two units with the same
 * key (both lines named), unknown parent, a parent not valid for its
 * child's row, a cycle, a tree deeper than BC_MAX_LEVELS, a bad month,
 * valid_from after valid_to, an unknown successor, shares that do not sum
 * to 1, unknown kind, a ratio whose parts are missing or are themselves
 * ratios; an unknown or repeated category, an option twice, too many
 * combinations, a broken-down ratio whose parts are not broken down the
 * same way.
 */
#ifndef BC_REGISTRY_H
#define BC_REGISTRY_H

#include "bc_period.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest unit or indicator code, in bytes. */
#define BC_CODE_MAX 64

/* Longest authenticated peer identity, NUL included: "unit:" or
 * "operator:" (the longer prefix) and a code or an operator name, both at
 * most BC_CODE_MAX bytes. Identity buffers are this size, so no identity is
 * ever cut (a cut code would name another unit). */
#define BC_PEER_MAX (sizeof "operator:" - 1 + BC_CODE_MAX + 1)

/* Deepest hierarchy, in levels (a root and 63 levels under it). The hub's
 * totals follow a report up through every ancestor on a fixed-size list;
 * the loader refuses a deeper tree rather than let totals stop short. */
#define BC_MAX_LEVELS 64

/* Most categories one indicator is broken down by, and most combinations
 * (the product of their options): a report carries every combination, so
 * this bounds a report's size and the catalogue's internal slots. */
#define BC_MAX_CATS 4
#define BC_MAX_COMBOS 256

typedef enum {
    BC_KIND_FLOW  = 1,   /* sums over periods and over units */
    BC_KIND_STOCK = 2,   /* last value over periods, sums over units */
    BC_KIND_RATIO = 3    /* numerator / denominator * scale, computed */
} bc_kind_t;

/* Months as one number, year * 12 + (month - 1), so spans compare with
 * plain integers. Open ends are these two values. */
#define BC_MONTH_OPEN_FROM 0
#define BC_MONTH_OPEN_TO INT32_MAX

/* One successor named in replaced_by. */
typedef struct {
    uint32_t unit;           /* successor's idx */
    double share;            /* its share of the unit's figures (0..1] */
    bool has_share;          /* a share was given; else not comparable */
} bc_successor_t;

/* One row of a unit's history: where it hung and what it was called from
 * `from` to `to` (months, inclusive). */
typedef struct {
    int32_t from;            /* first month, or BC_MONTH_OPEN_FROM */
    int32_t to;              /* last month, or BC_MONTH_OPEN_TO */
    int32_t parent;          /* parent's idx in these months, -1 = root */
    char *name;              /* display name in these months */
    char *level;             /* level name in these months */
    bc_successor_t *succ;    /* replaced_by of this row, or NULL */
    uint32_t nsucc;          /* length of succ */
    size_t line;             /* the row's line in the units file */
} bc_span_t;

typedef struct {
    uint32_t idx;            /* position in the registry, 0..n-1 */
    char *code;              /* unique code, e.g. "HP-HB-QT" */
    char *name;              /* display name, UTF-8 (latest row's) */
    char *level;             /* level name, e.g. "commune" (latest row's) */
    int32_t parent;          /* parent's idx in the latest row, -1 = root */
    uint32_t depth;          /* depth in the latest row's tree; 0 = root */
    uint32_t *children;      /* idx of every unit that was ever directly
                                under it, in file order (a unit with
                                children in any month keeps subtree
                                totals) */
    uint32_t nchildren;      /* length of children */
    bc_span_t *spans;        /* its rows, sorted by month, not
                                overlapping */
    uint32_t nspans;         /* length of spans (1 without history) */
    uint32_t *preds;         /* idx of the units whose latest row's
                                replaced_by names this one, or NULL */
    uint32_t npreds;         /* length of preds */
    bool reports;            /* files reports itself */
    bool on_behalf;          /* may submit for its direct children */
    bool relay;              /* its key is a hub forwarding its subtree */
    char *key;               /* Z85 CURVE public key, or NULL */
    uint32_t sid;            /* store id: set by the hub's store, 0 = unset */
} bc_unit_t;

typedef struct {
    uint32_t idx;            /* position in the catalogue, 0..n-1 */
    char *code;              /* unique code, e.g. "sxh_new" */
    char *name;              /* display name, UTF-8 */
    char *programme;         /* programme name, or "" */
    bc_kind_t kind;          /* aggregation rule */
    int32_t numerator;       /* ratios: idx of the numerator, else -1 */
    int32_t denominator;     /* ratios: idx of the denominator, else -1 */
    double scale;            /* ratios: 100, 1000, ...; else 0 */
    uint32_t sid;            /* store id: set by the hub's store, 0 = unset */
    /* Breakdowns (issue 17). A total broken down by ncats categories has
     * ncombos combination slots, indicators first_combo.. in the
     * catalogue's internal tail, in mixed-radix order (the last category
     * varies fastest). A combination slot has `total` set and its options
     * in opts[k] (option index within category cats[k]). */
    uint32_t ncats;          /* categories broken down by, 0 = none */
    uint32_t cats[BC_MAX_CATS];  /* their idx, in the catalogue's order */
    uint32_t opts[BC_MAX_CATS];  /* a combination's options, else 0 */
    uint32_t first_combo;    /* a total's first combination slot, else 0 */
    uint32_t ncombos;        /* a total's number of combinations, else 0 */
    int32_t total;           /* a combination's total's idx, else -1 */
} bc_indicator_t;

/* One category of a breakdown (sex, age, ...) and its options. */
typedef struct {
    uint32_t idx;            /* position in the categories file's order */
    char *code;              /* e.g. "sex" */
    uint32_t nopts;          /* number of options */
    char **opts;             /* option codes, e.g. "nam", "nu" */
    char **names;            /* option display names */
} bc_category_t;

typedef struct bc_registry_t bc_registry_t;

/* Loads both files. Returns NULL on failure with a message in err (file,
 * line and problem; see the top of this file). */
bc_registry_t *bc_registry_load(const char *units_path,
                                const char *catalog_path, char *err,
                                size_t errlen);

/* The same, from the two files' bytes (a registry version carried in the
 * hub's log, issue 12); `name` stands for the files in error messages.
 * NULL with a message in err. */
bc_registry_t *bc_registry_parse(const char *units, size_t units_len,
                                 const char *catalog, size_t catalog_len,
                                 const char *name, char *err, size_t errlen);

/* Both, with a categories file (`category,option,name`; NULL = none), so
 * that the catalogue's `categories` column (`sex;age`) can name them.
 * Each disaggregated indicator gets one internal indicator per
 * combination, appended after the catalogue's own (bc_registry_ncatalogue
 * counts those), coded `sxh_cases[sex=nu,age=5-14]`, with the total's
 * kind: the store, rollups and queries treat each like any indicator. A
 * ratio broken down must have parts broken down by the same categories;
 * its combination k is combination k of each part over the other. */
bc_registry_t *bc_registry_load_full(const char *units_path,
                                     const char *catalog_path,
                                     const char *categories_path, char *err,
                                     size_t errlen);
bc_registry_t *bc_registry_parse_full(const char *units, size_t units_len,
                                      const char *catalog, size_t catalog_len,
                                      const char *categories,
                                      size_t categories_len, const char *name,
                                      char *err, size_t errlen);

void bc_registry_destroy(bc_registry_t **self_p);

/* Indicators of the catalogue file itself (idx 0..n-1); the combination
 * slots come after them, up to bc_registry_nindicators. */
size_t bc_registry_ncatalogue(const bc_registry_t *self);

size_t bc_registry_ncategories(const bc_registry_t *self);
const bc_category_t *bc_registry_category(const bc_registry_t *self,
                                          uint32_t idx);
const bc_category_t *bc_registry_find_category(const bc_registry_t *self,
                                               const char *code);
/* The option's index in the category, or -1. */
int bc_registry_find_option(const bc_category_t *cat, const char *code);

/* The combination slot a code `ind[cat=opt,...]` names, its options in
 * any order (a report file's code, bc_report.h), or NULL: not such a
 * code, or not a combination of this catalogue. */
bc_indicator_t *bc_registry_find_combination(const bc_registry_t *self,
                                             const char *code);

/* The combination slot of total `ind` whose option in its k-th category
 * is opts[k] (k < ind->ncats). */
bc_indicator_t *bc_registry_combo(const bc_registry_t *self,
                                  const bc_indicator_t *ind,
                                  const uint32_t *opts);

size_t bc_registry_nunits(const bc_registry_t *self);
size_t bc_registry_nindicators(const bc_registry_t *self);

/* By index (asserts the index is in range). */
bc_unit_t *bc_registry_unit(const bc_registry_t *self, uint32_t idx);
bc_indicator_t *bc_registry_indicator(const bc_registry_t *self,
                                      uint32_t idx);

/* By code; NULL if unknown. O(1) expected. `len` variants take a code that
 * is not NUL-terminated (straight out of a protobuf). */
bc_unit_t *bc_registry_find_unit(const bc_registry_t *self, const char *code);
bc_indicator_t *bc_registry_find_indicator(const bc_registry_t *self,
                                           const char *code);

/* True if `ancestor` is `unit` itself or above it. */
bool bc_registry_is_within(const bc_registry_t *self, const bc_unit_t *unit,
                           const bc_unit_t *ancestor);

/* Fills out[] with the idx of the units expected to report under `root`,
 * in the tree of the latest month any row starts (today's tree):
 * if level is NULL or "", the leaves of its subtree (root itself if it has
 * no children); else the units of that level in the subtree. Only units
 * with `reports` set count. Returns the number written (at most max); call
 * with max 0 to count. */
size_t bc_registry_expected(const bc_registry_t *self, const bc_unit_t *root,
                            const char *level, uint32_t *out, size_t max);

/* --- history -------------------------------------------------------------
 * Every function below takes months as bc_registry_month() gives them. */

/* The first month of period p, as a month number (year * 12 + month - 1). */
int32_t bc_registry_month(bc_period_t p);

/* Writes month number m as "YYYY-MM" into buf (at least 8 bytes), or
 * "ever"/"open" for the open ends; returns buf. */
char *bc_registry_month_format(int32_t m, char *buf, size_t len);

/* The unit's row valid in month m, or NULL if the unit did not exist then. */
const bc_span_t *bc_registry_span_at(const bc_unit_t *unit, int32_t m);

/* True if the unit is valid in every month of period p. */
bool bc_registry_valid_in(const bc_unit_t *unit, bc_period_t p);

/* The unit's parent in month m, or NULL (a root then, or not valid then). */
const bc_unit_t *bc_registry_parent_at(const bc_registry_t *self,
                                       const bc_unit_t *unit, int32_t m);

/* Like bc_registry_is_within, in the tree of month m: false if either unit
 * is not valid then. */
bool bc_registry_is_within_at(const bc_registry_t *self,
                              const bc_unit_t *unit,
                              const bc_unit_t *ancestor, int32_t m);

/* Like bc_registry_expected, in the tree of period p's first month: only
 * units valid in that month count, a leaf is a unit with no child valid
 * under it then. Returns the number written (max 0: the count). */
size_t bc_registry_expected_in(const bc_registry_t *self,
                               const bc_unit_t *root, const char *level,
                               bc_period_t p, uint32_t *out, size_t max);

/* Writes the unit's validity as text into buf, e.g. "valid 2020-01 to
 * 2025-06, replaced by HP-HB-HB, HP-HB-HL" or "valid from 2025-07";
 * returns buf. */
char *bc_registry_validity(const bc_registry_t *self, const bc_unit_t *unit,
                           char *buf, size_t len);

/* True if some unit has more than one row, a bounded row or successors. */
bool bc_registry_has_history(const bc_registry_t *self);

/* A SHA-256 over both files' parsed content, so the hub's store can notice
 * that the hierarchy changed and rebuild its derived totals. */
void bc_registry_digest(const bc_registry_t *self, uint8_t out[32]);

#endif
