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
 * Catalogue file, UTF-8:
 *
 *   code,name,kind,numerator,denominator,scale[,programme]
 *
 *   kind is flow, stock or ratio; numerator, denominator (indicator codes,
 *   defined anywhere in the file) and scale (100, 1000, 10000, ...) are
 *   filled for ratios only.
 *
 * Load errors name the file, the line and the problem: duplicate code,
 * two units with the same key (both lines named), unknown parent, a cycle,
 * a tree deeper than BC_MAX_LEVELS, unknown kind, a ratio whose parts are
 * missing or are themselves ratios.
 */
#ifndef BC_REGISTRY_H
#define BC_REGISTRY_H

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

typedef enum {
    BC_KIND_FLOW  = 1,   /* sums over periods and over units */
    BC_KIND_STOCK = 2,   /* last value over periods, sums over units */
    BC_KIND_RATIO = 3    /* numerator / denominator * scale, computed */
} bc_kind_t;

typedef struct {
    uint32_t idx;            /* position in the registry, 0..n-1 */
    char *code;              /* unique code, e.g. "HP-HB-QT" */
    char *name;              /* display name, UTF-8 */
    char *level;             /* level name, e.g. "commune" */
    int32_t parent;          /* parent's idx, or -1 for a root */
    uint32_t depth;          /* 0 for a root */
    uint32_t *children;      /* children's idx, in file order */
    uint32_t nchildren;      /* length of children */
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
} bc_indicator_t;

typedef struct bc_registry_t bc_registry_t;

/* Loads both files. Returns NULL on failure with a message in err (file,
 * line and problem; see the top of this file). */
bc_registry_t *bc_registry_load(const char *units_path,
                                const char *catalog_path, char *err,
                                size_t errlen);

void bc_registry_destroy(bc_registry_t **self_p);

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

/* Fills out[] with the idx of the units expected to report under `root`:
 * if level is NULL or "", the leaves of its subtree (root itself if it has
 * no children); else the units of that level in the subtree. Only units
 * with `reports` set count. Returns the number written (at most max); call
 * with max 0 to count. */
size_t bc_registry_expected(const bc_registry_t *self, const bc_unit_t *root,
                            const char *level, uint32_t *out, size_t max);

/* A SHA-256 over both files' parsed content, so the hub's store can notice
 * that the hierarchy changed and rebuild its derived totals. */
void bc_registry_digest(const bc_registry_t *self, uint8_t out[32]);

#endif
