/*
 * baocao.c -- the `baocao` tool: one program, one subcommand per job,
 * dispatched from a table (submit, query, completeness, plan, status,
 * keygen, audit, backup, restore, stats, ping, ...).
 */
#include "bc_log.h"
#include "bc_version.h"
#include "cmd.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;                 /* subcommand */
    int (*fn)(int argc, char **argv); /* its implementation */
    const char *help;                 /* one line for the overview */
} commands[] = {
    {"submit", cmd_submit, "file a report into a node's outbox"},
    {"query", cmd_query, "figures for a unit and period, with comparisons"},
    {"completeness", cmd_completeness,
     "who reported for a period, who was late, who is missing"},
    {"plan", cmd_plan, "set a unit's annual targets"},
    {"status", cmd_status, "what a node's outbox holds and how delivery goes"},
    {"keygen", cmd_keygen, "create a CURVE key pair"},
    {"audit", cmd_audit, "export, verify, replay the hub's submission log"},
    {"backup", cmd_backup,
     "hot, verified copy of a hub's store or a node's outbox"},
    {"restore", cmd_restore, "restore a backup into a new store folder"},
    {"stats", cmd_stats, "the hub's counters: acks, rejections, commits, "
                         "store"},
    {"export", cmd_export, "figures as a DHIS2 dataValueSet (JSON, CSV) or ADX"},
    {"validate", cmd_validate, "the hub's validation rules on a subtree: "
     "violations and skipped rules"},
    {"import", cmd_import, "file a DHIS2 dataValueSet or ADX into an outbox"},
    {"approve", cmd_approve, "lock a unit's subtree for a period (an "
     "approver's sign-off)"},
    {"unapprove", cmd_unapprove, "unlock an approved period, with a reason"},
    {"ping", cmd_ping, "is the hub answering? one round trip (healthchecks)"},
    {"enroll", cmd_enroll, "make a node's key pair and print its fingerprint"},
    {"registry", cmd_registry, "approve-key: put an enrolled node's key in "
     "the registry"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: baocao COMMAND [options]   (baocao COMMAND --help "
                 "for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (bc_version_asked("baocao", argc, argv))
        return 0;
    bc_log_init("baocao", BC_LOG_WARN);
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "baocao: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_USAGE;
}
