/*
 * bc_log.c -- implementation of the logging macro's back end.
 *
 * One fprintf per line, with the line built first in a local buffer, so that
 * lines from several threads or processes sharing a stderr do not interleave.
 *
 * Under systemd, when stderr is the journal (JOURNAL_STREAM names the same
 * device and inode as fd 2), each line starts with its syslog priority,
 * "<3>" for ERROR down to "<7>" for DEBUG: journald strips it and files
 * the line at that level, so `journalctl -p warning -u baocao-hub` shows
 * the warnings and errors. The rest of the line is the same everywhere.
 */
#include "bc_log.h"
#include "bc_error.h"
#include "bc_limits.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

bc_log_level_t bc_log_level = BC_LOG_INFO;
static char component[32] = "baocao";

static const char *level_names[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
/* syslog priorities of the levels: debug 7, info 6, warning 4, err 3. */
static const char *level_prefix[] = {"<7>", "<6>", "<4>", "<3>"};
static bool to_journal;   /* stderr is systemd's journal stream */

/* True if fd 2 is the stream systemd's JOURNAL_STREAM ("DEV:INO") names:
 * a daemon run by a unit whose output goes to the journal. */
static bool stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2
        || fstat(2, &st) != 0)
        return false;
    return (unsigned long long) st.st_dev == dev
           && (unsigned long long) st.st_ino == ino;
}

/* The levels' names in options (--log-level), where level_names are
 * their labels in a log line. */
static const char *option_names[] = {"debug", "info", "warn", "error", "off"};

const char *bc_log_level_name(bc_log_level_t level)
{
    return level <= BC_LOG_OFF ? option_names[level] : "info";
}

int bc_log_parse_level(const char *name, bc_log_level_t *out)
{
    const char *const *names = option_names;
    for (int i = 0; i < 5; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            *out = (bc_log_level_t) i;
            return BC_OK;
        }
    }
    return BC_EINVAL;
}

void bc_log_init(const char *name, bc_log_level_t level)
{
    snprintf(component, sizeof component, "%s", name);
    bc_log_level = level;
    to_journal = stderr_is_journal();
    const char *env = getenv("BAOCAO_LOG_LEVEL");
    bc_log_level_t from_env;
    if (env && bc_log_parse_level(env, &from_env) == BC_OK)
        bc_log_level = from_env;
}

void bc_log_write(bc_log_level_t level, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int lv = level < BC_LOG_OFF ? (int) level : (int) BC_LOG_ERROR;
    int n = snprintf(line, sizeof line,
                     "%s%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
                     to_journal ? level_prefix[lv] : "",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     level_names[lv],
                     component);
    /* The message may quote what a peer sent (a unit code, a file name):
     * escaped, a newline or an escape code in it cannot forge a line. */
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t) n < sizeof line) {
        bc_escape(msg, line + n, sizeof line - (size_t) n);
        n += (int) strlen(line + n);
    }
    if ((size_t) n >= sizeof line - 1)
        n = (int) sizeof line - 2;
    line[n] = '\n';
    fwrite(line, 1, (size_t) n + 1, stderr);
}
