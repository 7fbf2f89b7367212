/*
 * bc_code_index.h -- a lookup table from a code (a unit's, an indicator's,
 * a node's key) to its position in the array that owns it, for the
 * registry's loader and queries (bc_registry.c).
 *
 * The table does not copy codes: it points at strings the caller owns,
 * which must outlive it and not move. It is sized once, for at most the
 * number of entries given to bc_code_index_new; putting more is a
 * programmer error.
 */
#ifndef BC_CODE_INDEX_H
#define BC_CODE_INDEX_H

#include <stddef.h>
#include <stdint.h>

typedef struct bc_code_index_t bc_code_index_t;

/* A new, empty table for up to n codes. Never NULL: out of memory aborts
 * (bc_mem.h). Free with bc_code_index_destroy. */
bc_code_index_t *bc_code_index_new(size_t n);

/* Frees the table (not the codes) and sets *self_p to NULL; accepts NULL
 * and a pointer to NULL. */
void bc_code_index_destroy(bc_code_index_t **self_p);

/* Maps `code` (NUL-terminated, kept by pointer, not copied) to idx.
 * Returns -1 if the code was new and is now mapped, or the idx already
 * mapped to that code, which is then left as it was (so a caller can name
 * the first holder of a duplicate). */
int64_t bc_code_index_put(bc_code_index_t *self, const char *code,
                          uint32_t idx);

/* The idx mapped to the len bytes at code (which need not be
 * NUL-terminated), or -1 if none is, or if self is NULL. */
int64_t bc_code_index_get(const bc_code_index_t *self, const char *code,
                          size_t len);

#endif
