/*
 * bc_mem.h -- allocation that never returns NULL.
 *
 * Out of memory is the one failure we do not propagate: the daemons cannot
 * do anything useful without memory, and threading "no memory" through every
 * caller hides the real error paths. These wrappers log and abort(); this is
 * the only place in the project that aborts on a runtime condition.
 */
#ifndef BC_MEM_H
#define BC_MEM_H

#include <stddef.h>
#include <stdlib.h>

void *bc_malloc(size_t size);
void *bc_calloc(size_t n, size_t size);
void *bc_realloc(void *ptr, size_t size);
char *bc_strdup(const char *s);
char *bc_strndup(const char *s, size_t n);
/* free() and clear the caller's pointer; accepts NULL. */
#define bc_free(pp) do { free(*(pp)); *(pp) = NULL; } while (0)

#endif
