/*
 * bc_thread.h -- starting a worker thread that never takes a signal.
 *
 * A daemon's signals (SIGTERM, SIGINT, SIGHUP) are for its main loop: the
 * handler sets a flag that the loop reads each turn. The kernel hands a
 * process-directed signal to any thread that does not block it. A worker
 * blocked in zmq_recv() that catches one gets EINTR back, and a worker
 * that reads that as "quit" leaves its loop: the hub's writer did, after
 * which nothing more was committed, and stopping hung for ever on the
 * "quit" sent to a PAIR socket with no one left on the other end.
 *
 * bc_thread_start() blocks every signal while it creates the thread, which
 * inherits the blocked mask, then restores the caller's mask: the signals
 * then reach the main thread only. libzmq's own I/O threads do the same.
 *
 *     pthread_t t;
 *     if (bc_thread_start(&t, worker_main, self) != BC_OK)
 *         ... // could not start: errno-free, nothing to clean
 */
#ifndef BC_THREAD_H
#define BC_THREAD_H

#include <pthread.h>

/* Starts fn(arg) on a new thread with every signal blocked. Returns BC_OK,
 * or BC_EINVAL when the thread could not be created. */
int bc_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
