/*
 * bc_mem.c -- abort-on-OOM allocation wrappers (see bc_mem.h for why).
 */
#include "bc_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "baocao: out of memory allocating %zu bytes\n", size);
    abort();
}

void *bc_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *bc_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *bc_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

char *bc_strdup(const char *s)
{
    return bc_strndup(s, strlen(s));
}

char *bc_strndup(const char *s, size_t n)
{
    char *p = bc_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
