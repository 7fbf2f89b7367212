/*
 * bc_log.h -- the one logging macro.
 *
 * BC_LOG(level, fmt, ...) checks the level before formatting anything, is
 * printf-checked by the compiler, and writes one line to stderr in a stable
 * format that tools can parse:
 *
 *   2026-11-22T07:40:01.123Z INFO  hub: bound tcp://127.0.0.1:5555
 *
 * The component ("hub", "node", "baocao") is set once per process with
 * bc_log_init(). The level comes from --log-level or BAOCAO_LOG_LEVEL.
 */
#ifndef BC_LOG_H
#define BC_LOG_H

typedef enum {
    BC_LOG_DEBUG = 0,
    BC_LOG_INFO  = 1,
    BC_LOG_WARN  = 2,
    BC_LOG_ERROR = 3,
    BC_LOG_OFF   = 4
} bc_log_level_t;

extern bc_log_level_t bc_log_level;

/* Sets the component name (copied) and the level. If BAOCAO_LOG_LEVEL is set
 * in the environment it overrides `level`. */
void bc_log_init(const char *component, bc_log_level_t level);

/* Parses "debug", "info", "warn", "error", "off". Returns BC_OK or
 * BC_EINVAL. */
int bc_log_parse_level(const char *name, bc_log_level_t *out);

/* The level's name, as bc_log_parse_level reads it ("info"). */
const char *bc_log_level_name(bc_log_level_t level);

void bc_log_write(bc_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define BC_LOG(level, ...)                                                    \
    do {                                                                      \
        if ((level) >= bc_log_level)                                          \
            bc_log_write((level), __VA_ARGS__);                               \
    } while (0)

#define BC_DEBUG(...) BC_LOG(BC_LOG_DEBUG, __VA_ARGS__)
#define BC_INFO(...)  BC_LOG(BC_LOG_INFO, __VA_ARGS__)
#define BC_WARN(...)  BC_LOG(BC_LOG_WARN, __VA_ARGS__)
#define BC_ERROR(...) BC_LOG(BC_LOG_ERROR, __VA_ARGS__)

#endif
