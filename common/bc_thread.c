/*
 * bc_thread.c -- worker threads that never take a signal: see bc_thread.h.
 */
#include "bc_thread.h"

#include "bc_error.h"

#include <signal.h>

int bc_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
    sigset_t all, old;
    sigfillset(&all);
    /* The new thread inherits the mask in force when it is created. */
    if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
        return BC_EINVAL;
    int rc = pthread_create(thread, NULL, fn, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc == 0 ? BC_OK : BC_EINVAL;
}
