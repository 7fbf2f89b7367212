/*
 * bench_proc.h -- what the bench programs read of a process from /proc:
 * its CPU time and page faults, one "Key:  N kB" line of its status or
 * smaps_rollup, its memory split by what holds it, its I/O counters, its
 * context switches; the folder this program runs from (the hub and the
 * node are built beside the benches); starting one of them with its
 * output in a log; and the wait for a hub it started to write its
 * endpoint.
 *
 * Each of these was once written into every bench program that needed
 * it, each a little differently (one counted the main thread's switches,
 * another every thread's). One copy means that "CPU time" or "heap" is
 * the same figure in every program's output.
 *
 * CPU time and page faults are what a question or a report costs whatever
 * else the machine runs, unlike the wall clock: the benches print them
 * beside their latencies.
 */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Counters of /proc/PID/stat: every thread of the process. */
typedef struct {
    unsigned long long minflt;   /* minor page faults */
    unsigned long long majflt;   /* major page faults: pages read from disk */
    double cpu_s;                /* user + system time, seconds */
} bench_proc_stat_t;

/* Read pid's counters; false if the process is gone or unreadable. */
static inline bool bench_proc_stat(pid_t pid, bench_proc_stat_t *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The fields after the command's closing parenthesis (the command
     * may hold spaces): state ppid pgrp session tty tpgid flags minflt
     * cminflt majflt cmajflt utime stime. */
    const char *p = strrchr(buf, ')');
    unsigned long long mn, mj, ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %llu %*u %llu %*u "
                     "%llu %llu", &mn, &mj, &ut, &st) != 4)
        return false;
    out->minflt = mn;
    out->majflt = mj;
    out->cpu_s = (double) (ut + st) / (double) sysconf(_SC_CLK_TCK);
    return true;
}

/* pid's CPU time so far, seconds; -1 if unreadable. */
static inline double bench_proc_cpu_s(pid_t pid)
{
    bench_proc_stat_t st;
    return bench_proc_stat(pid, &st) ? st.cpu_s : -1;
}

/* The number of the line "KEY  N kB" of /proc/PID/FILE ("status" for
 * VmRSS: and VmHWM:, "smaps_rollup" for Anonymous:, the memory apart from
 * file-backed maps such as LMDB's); -1 if unreadable. KEY ends with ':'. */
static inline long bench_proc_kb(pid_t pid, const char *file, const char *key)
{
    char path[320], line[256];
    snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, file);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t len = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, len))
            kb = strtol(line + len, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

/* A counter of /proc/PID/io: KEY (with its colon) "wchar:", the bytes
 * the process handed to write, pwrite and writev (for the hub: LMDB's
 * pages, 120 bytes of meta page a commit and libzmq's 8-byte eventfd
 * signals; socket sends are not counted), or "write_bytes:", the page
 * cache the kernel counted as dirtied for it, which a large folio inflates
 * (bench_pages.c, BENCHMARKS.md). -1 if unreadable. */
static inline long long bench_proc_io(pid_t pid, const char *key)
{
    char path[64], line[256];
    size_t len = strlen(key);
    snprintf(path, sizeof path, "/proc/%d/io", (int) pid);
    FILE *f = fopen(path, "r");
    long long b = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, len))
            b = strtoll(line + len, NULL, 10);
    if (f)
        fclose(f);
    return b;
}

/* Context switches (voluntary + involuntary), each one a sleep and a
 * wakeup. /proc/PID/status counts the main thread's only, so with
 * all_threads the count is summed over /proc/PID/task/STAR (libzmq's work
 * is in its I/O thread). */
static inline long bench_proc_switches(pid_t pid, bool all_threads)
{
    static const char *keys[] = {"voluntary_ctxt_switches:",
                                 "nonvoluntary_ctxt_switches:"};
    long n = 0;
    if (!all_threads) {
        for (int k = 0; k < 2; k++) {
            long v = bench_proc_kb(pid, "status", keys[k]);
            n += v > 0 ? v : 0;
        }
        return n;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char file[300];
        snprintf(file, sizeof file, "task/%s/status", e->d_name);
        for (int k = 0; k < 2; k++) {
            long v = bench_proc_kb(pid, file, keys[k]);
            n += v > 0 ? v : 0;
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* What a process's resident memory is made of, from one read of
 * /proc/PID/smaps, in kB. The split matters for the node (issue #21, goal
 * 5): its RSS is mostly the pages of shared libraries, which every
 * process linking them shares (`pss` divides them among the sharers), and
 * while it drains a backlog, the clean page-cache pages of its outbox's
 * map, which the kernel takes back under pressure without a write;
 * `anon` is what the process itself allocated (heap, stacks). */
typedef struct {
    long rss;    /* every resident page mapped, as VmRSS */
    long pss;    /* the same, each shared page divided by its sharers */
    long anon;   /* anonymous pages: malloc, the stacks */
    long libs;   /* resident pages of shared objects (a path with ".so") */
    long map;    /* resident pages of the file named by `map_suffix` */
} bench_proc_mem_t;

/* Reads pid's smaps into out; map_suffix names the file whose pages go to
 * out->map (e.g. "/data.mdb"), or NULL. false if unreadable. */
static inline bool bench_proc_memory(pid_t pid, const char *map_suffix,
                                     bench_proc_mem_t *out)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/smaps", (int) pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    *out = (bench_proc_mem_t){0, 0, 0, 0, 0};
    bool lib = false, map = false;
    size_t suffix = map_suffix ? strlen(map_suffix) : 0;
    char perms[5];
    while (fgets(line, sizeof line, f)) {
        long kb;
        if (sscanf(line, "Rss: %ld", &kb) == 1) {
            out->rss += kb;
            out->libs += lib ? kb : 0;
            out->map += map ? kb : 0;
        } else if (sscanf(line, "Pss: %ld", &kb) == 1) {
            out->pss += kb;
        } else if (sscanf(line, "Anonymous: %ld", &kb) == 1) {
            out->anon += kb;
        } else if (sscanf(line, "%*x-%*x %4s", perms) == 1) {
            /* A mapping's header: "start-end perms offset dev inode
             * [path]"; its path decides where its Rss goes. */
            line[strcspn(line, "\n")] = '\0';
            const char *p = strchr(line, '/');
            lib = p && strstr(p, ".so");
            size_t n = p ? strlen(p) : 0;
            map = p && suffix && n >= suffix
                  && !strcmp(p + n - suffix, map_suffix);
        }
    }
    fclose(f);
    return true;
}

/* Starts the program bin with argv, its output and errors appended to
 * the file log; the child's pid (-1 if fork failed). The child exits 127
 * when bin cannot be run. */
static inline pid_t bench_spawn(const char *bin, char *const argv[],
                                const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(bin, argv);
        _exit(127);
    }
    return pid;
}

/* The folder of this program (from /proc/self/exe), where the build puts
 * baocao-hub and baocao-node beside the benches: "." if unreadable. */
static inline void bench_self_dir(char *out, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    out[n > 0 ? n : 0] = '\0';
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(out, size, ".");
}

/* The path of the program `name` beside this one (baocao-hub,
 * baocao-node), into out. */
static inline void bench_sibling(char *out, size_t size, const char *name)
{
    char dir[4096];
    bench_self_dir(dir, sizeof dir);
    snprintf(out, size, "%s/%s", dir, name);
}

/* Waits up to timeout_ms for the process pid (a hub started with
 * --endpoint-file FILE) to write its endpoint, a line, into file; copies
 * it into out. 0 when written; 1 when the process exited first (it is
 * reaped); -1 on the timeout (it still runs). */
static inline int bench_wait_endpoint(pid_t pid, const char *file, char *out,
                                      size_t len, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        FILE *f = fopen(file, "r");
        if (f) {
            char line[256] = "";
            if (fgets(line, sizeof line, f))
                line[strcspn(line, "\n")] = '\0';
            fclose(f);
            if (*line) {
                snprintf(out, len, "%s", line);
                return 0;
            }
        }
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return 1;
        usleep(10000);
    }
    return -1;
}

#endif
