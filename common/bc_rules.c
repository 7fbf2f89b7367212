/*
 * bc_rules.c -- validation rules: parsing and evaluation (bc_rules.h).
 *
 * A rule is held resolved: each term is a catalogue index or a constant,
 * so evaluating is a few array reads and checked additions, cheap enough
 * to run on every submission inside the hub's loop and on every unit of a
 * subtree for `baocao validate`. The text of each side is kept as parsed
 * (terms joined by " + ") for messages.
 */
#include "bc_rules.h"
#include "bc_csv.h"
#include "bc_error.h"
#include "bc_limits.h"
#include "bc_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OP_LE, OP_LT, OP_GE, OP_GT, OP_EQ, OP_NE } op_t;

static const char *op_text[] = {"<=", "<", ">=", ">", "==", "!="};

/* One term of a side: an indicator, or a constant. */
typedef struct {
    int32_t ind;          /* catalogue index, or -1 for a constant */
    int64_t constant;     /* the constant (when ind is -1) */
} term_t;

/* One side: a sum of terms. */
typedef struct {
    term_t terms[BC_RULE_TERMS];  /* the terms, in file order */
    size_t n;                     /* used */
    bool has_indicator;           /* names at least one indicator */
    char *text;                   /* as parsed, terms joined by " + " */
} side_t;

typedef struct {
    char *code;                   /* the rule's code */
    char *message;                /* its text for staff, maybe "" */
    bc_rule_importance_t imp;     /* error or warning */
    op_t op;                      /* the comparison */
    side_t side[2];               /* left, right */
} rule_t;

struct bc_rules_t {
    rule_t *rules;                /* in file order */
    size_t n;                     /* used */
};

static bool code_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > BC_CODE_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'
              || *s == '.'))
            return false;
    return true;
}

/* Parses "a + b + 12" into `side`. BC_OK, or BC_EPARSE with a message. */
static int parse_side(const char *text, const bc_registry_t *reg,
                      side_t *side, char *msg, size_t msglen)
{
    char buf[1024];
    char out[1024] = "";
    size_t outlen = 0;
    if (strlen(text) >= sizeof buf) {
        snprintf(msg, msglen, "a side is longer than %zu bytes",
                 sizeof buf - 1);
        return BC_EPARSE;
    }
    memcpy(buf, text, strlen(text) + 1);
    side->n = 0;
    side->has_indicator = false;
    /* strtok_r would merge "a++b" into two terms: walk by hand so that an
     * empty term is an error, not silently dropped. */
    char *p = buf;
    for (;;) {
        char *plus = strchr(p, '+');
        if (plus)
            *plus = '\0';
        /* trim */
        while (*p == ' ' || *p == '\t')
            p++;
        char *e = p + strlen(p);
        while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (!*p) {
            snprintf(msg, msglen, "an empty term in '%.80s'", text);
            return BC_EPARSE;
        }
        if (side->n == BC_RULE_TERMS) {
            snprintf(msg, msglen, "more than %d terms on one side",
                     BC_RULE_TERMS);
            return BC_EPARSE;
        }
        term_t *t = &side->terms[side->n++];
        if (*p >= '0' && *p <= '9') {
            errno = 0;
            char *end = NULL;
            long long v = strtoll(p, &end, 10);
            if (errno || *end || v < 0 || v > BC_COUNT_MAX) {
                snprintf(msg, msglen, "'%.64s' is not a whole constant "
                         "from 0 to 10^12", p);
                return BC_EPARSE;
            }
            t->ind = -1;
            t->constant = v;
        } else {
            const bc_indicator_t *ind = bc_registry_find_indicator(reg, p);
            if (!ind) {
                snprintf(msg, msglen, "unknown indicator '%.64s': not in "
                         "the catalogue", p);
                return BC_EPARSE;
            }
            if (ind->kind == BC_KIND_RATIO) {
                snprintf(msg, msglen, "%s is a rate: rules compare counts "
                         "(use its numerator and denominator)", ind->code);
                return BC_EPARSE;
            }
            t->ind = (int32_t) ind->idx;
            t->constant = 0;
            side->has_indicator = true;
        }
        int w = snprintf(out + outlen, sizeof out - outlen, "%s%s",
                         outlen ? " + " : "", p);
        if (w > 0 && (size_t) w < sizeof out - outlen)
            outlen += (size_t) w;
        if (!plus)
            break;
        p = plus + 1;
    }
    side->text = bc_strdup(out);
    return BC_OK;
}

static void rule_free(rule_t *r)
{
    bc_free(&r->code);
    bc_free(&r->message);
    bc_free(&r->side[0].text);
    bc_free(&r->side[1].text);
}

bc_rules_t *bc_rules_parse(const char *data, size_t len, const char *name,
                           const bc_registry_t *reg, char *err,
                           size_t errlen)
{
    bc_rules_t *self = NULL;
    bc_csv_t *csv = bc_csv_parse(data, len, name, err, errlen);
    if (!csv)
        goto out;
    static const char *cols[] = {"code", "left", "operator", "right",
                                 "importance", "message"};
    int col[6];
    for (size_t c = 0; c < 6; c++) {
        col[c] = bc_csv_column(csv, cols[c]);
        if (col[c] < 0) {
            bc_set_error(err, errlen, "%s: no '%s' column (the header is "
                         "code,left,operator,right,importance,message)",
                         name, cols[c]);
            goto out_csv;
        }
    }
    size_t rows = bc_csv_rows(csv);
    if (rows > BC_RULES_MAX) {
        bc_set_error(err, errlen, "%s: %zu rules; at most %d", name, rows,
                     BC_RULES_MAX);
        goto out_csv;
    }
    self = bc_calloc(1, sizeof *self);
    self->rules = bc_calloc(rows ? rows : 1, sizeof *self->rules);
    for (size_t row = 0; row < rows; row++) {
        size_t line = bc_csv_line(csv, row);
        const char *code = bc_csv_field(csv, row, col[0]);
        const char *op = bc_csv_field(csv, row, col[2]);
        const char *imp = bc_csv_field(csv, row, col[4]);
        const char *message = bc_csv_field(csv, row, col[5]);
        char msg[256] = "";
        rule_t *r = &self->rules[self->n];
        if (!code_ok(code)) {
            bc_set_error(err, errlen, "%s:%zu: rule code '%.64s' must be 1 "
                         "to %d letters, digits, '_', '-' or '.'", name, line,
                         code, BC_CODE_MAX);
            goto out_fail;
        }
        for (size_t k = 0; k < self->n; k++)
            if (strcmp(self->rules[k].code, code) == 0) {
                bc_set_error(err, errlen, "%s:%zu: rule %s is defined twice",
                             name, line, code);
                goto out_fail;
            }
        size_t o = 0;
        while (o < 6 && strcmp(op, op_text[o]) != 0)
            o++;
        if (o == 6) {
            bc_set_error(err, errlen, "%s:%zu: rule %s: operator '%.8s' is "
                         "not one of <= < >= > == !=", name, line, code, op);
            goto out_fail;
        }
        bc_rule_importance_t im;
        if (strcmp(imp, "error") == 0)
            im = BC_RULE_ERROR;
        else if (strcmp(imp, "warning") == 0)
            im = BC_RULE_WARNING;
        else {
            bc_set_error(err, errlen, "%s:%zu: rule %s: importance '%.16s' "
                         "is not error or warning", name, line, code, imp);
            goto out_fail;
        }
        if (strlen(message) > BC_RULE_MESSAGE_MAX) {
            bc_set_error(err, errlen, "%s:%zu: rule %s: the message is "
                         "longer than %d bytes", name, line, code,
                         BC_RULE_MESSAGE_MAX);
            goto out_fail;
        }
        for (int s = 0; s < 2; s++)
            if (parse_side(bc_csv_field(csv, row, col[s ? 3 : 1]), reg,
                           &r->side[s], msg, sizeof msg) != BC_OK) {
                bc_set_error(err, errlen, "%s:%zu: rule %s, %s side: %s",
                             name, line, code, s ? "right" : "left", msg);
                rule_free(r);
                goto out_fail;
            }
        r->code = bc_strdup(code);
        r->message = bc_strdup(message);
        r->imp = im;
        r->op = (op_t) o;
        self->n++;
    }
    goto out_csv;

out_fail:
    bc_rules_destroy(&self);
out_csv:
    bc_csv_destroy(&csv);
out:
    return self;
}

bc_rules_t *bc_rules_load(const char *path, const bc_registry_t *reg,
                          char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int e = bc_read_file(path, &data, &len);
    if (e != 0) {
        bc_set_error(err, errlen, "%s: %s", path, strerror(e));
        return NULL;
    }
    bc_rules_t *self = bc_rules_parse(data, len, path, reg, err, errlen);
    bc_free(&data);
    return self;
}

void bc_rules_destroy(bc_rules_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    bc_rules_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        rule_free(&self->rules[i]);
    bc_free(&self->rules);
    bc_free(self_p);
}

size_t bc_rules_count(const bc_rules_t *self)
{
    return self ? self->n : 0;
}

const char *bc_rules_code(const bc_rules_t *self, size_t i)
{
    return self->rules[i].code;
}

const char *bc_rules_message(const bc_rules_t *self, size_t i)
{
    return self->rules[i].message;
}

bc_rule_importance_t bc_rules_importance(const bc_rules_t *self, size_t i)
{
    return self->rules[i].imp;
}

bool bc_rules_uses(const bc_rules_t *self, size_t i, uint32_t ind)
{
    const rule_t *r = &self->rules[i];
    for (int s = 0; s < 2; s++)
        for (size_t k = 0; k < r->side[s].n; k++)
            if (r->side[s].terms[k].ind == (int32_t) ind)
                return true;
    return false;
}

/* Sums one side. false when the side is missing or would overflow. */
static bool side_sum(const side_t *side, const int64_t *value,
                     const uint32_t *present, int64_t *sum)
{
    int64_t total = 0;
    bool any = false;
    for (size_t k = 0; k < side->n; k++) {
        const term_t *t = &side->terms[k];
        int64_t v = t->constant;
        if (t->ind >= 0) {
            if (!present[t->ind])
                continue;      /* absent counts 0 */
            any = true;
            v = value[t->ind];
        }
        if (__builtin_add_overflow(total, v, &total))
            return false;
    }
    if (side->has_indicator && !any)
        return false;          /* a missing side */
    *sum = total;
    return true;
}

bc_rule_outcome_t bc_rules_check(const bc_rules_t *self, size_t i,
                                 const int64_t *value,
                                 const uint32_t *present, int64_t *left,
                                 int64_t *right)
{
    const rule_t *r = &self->rules[i];
    int64_t l = 0, rt = 0;
    if (left)
        *left = 0;
    if (right)
        *right = 0;
    if (!side_sum(&r->side[0], value, present, &l)
        || !side_sum(&r->side[1], value, present, &rt))
        return BC_RULE_SKIPPED;
    if (left)
        *left = l;
    if (right)
        *right = rt;
    bool ok;
    switch (r->op) {
    case OP_LE: ok = l <= rt; break;
    case OP_LT: ok = l < rt; break;
    case OP_GE: ok = l >= rt; break;
    case OP_GT: ok = l > rt; break;
    case OP_EQ: ok = l == rt; break;
    default:    ok = l != rt; break;
    }
    return ok ? BC_RULE_PASS : BC_RULE_FAIL;
}

int bc_rules_describe(const bc_rules_t *self, size_t i, int64_t left,
                      int64_t right, char *buf, size_t len)
{
    const rule_t *r = &self->rules[i];
    return snprintf(buf, len, "%s: %s (%lld) %s %s (%lld)", r->code,
                    r->side[0].text, (long long) left, op_text[r->op],
                    r->side[1].text, (long long) right);
}

const char *bc_rule_importance_name(bc_rule_importance_t imp)
{
    return imp == BC_RULE_ERROR ? "error" : "warning";
}
