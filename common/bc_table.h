/*
 * bc_table.h -- plain-text tables that line up with Vietnamese text.
 *
 * Column widths are measured in terminal cells, not bytes: "Hồng Bàng" is 9
 * cells but 13 bytes in UTF-8, and text in decomposed form (NFD) carries
 * combining marks that take no cell at all. Widths come from wcwidth() under
 * a UTF-8 locale.
 */
#ifndef BC_TABLE_H
#define BC_TABLE_H

#include <stdio.h>

typedef struct bc_table_t bc_table_t;

typedef enum { BC_ALIGN_LEFT = 0, BC_ALIGN_RIGHT = 1 } bc_align_t;

/* A table with `ncols` columns and these headers (copied). */
bc_table_t *bc_table_new(size_t ncols, const char *const *headers);
void bc_table_destroy(bc_table_t **self_p);

/* Alignment of a column (default left). */
void bc_table_align(bc_table_t *self, size_t col, bc_align_t align);

/* Appends a row of ncols cells (copied; NULL prints as empty). */
void bc_table_add(bc_table_t *self, const char *const *cells);

/* Prints with a header rule, columns separated by two spaces. */
void bc_table_print(const bc_table_t *self, FILE *out);

/* Display width of a UTF-8 string in terminal cells. */
size_t bc_display_width(const char *utf8);

#endif
