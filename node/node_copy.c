/*
 * node_copy.c -- the node's copy of the hub's catalogue, rules and limits
 * (design in node_copy.h).
 *
 * The file holds the CatalogReply's bytes as the hub packed them: nothing
 * of ours to version, and a node that is upgraded reads the fields it
 * knows. Parsing goes through the same loaders as the hub's (registry,
 * rules), so that the node cannot read a rule otherwise than the hub.
 *
 * The exchange with the hub (the request and what its answer does) is
 * here too, beside the file it fills, so that the delivery loop only
 * decides when to ask.
 */
#include "node_copy.h"

#include "bc_csv.h"
#include "bc_error.h"
#include "bc_fs.h"
#include "bc_limits.h"
#include "bc_log.h"
#include "bc_mem.h"
#include "bc_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The placeholder unit (see node_copy.h): the loader wants one. */
static const char placeholder_units[] =
    "code,parent_code,level,name\nnode,,node,node\n";

struct node_copy_t {
    bc_registry_t *catalog;    /* the catalogue, units a placeholder */
    bc_rules_t *rules;         /* the hub's rules, maybe none */
    size_t max_values;         /* the hub's --max-values */
    size_t max_message;        /* the hub's --max-message */
    int64_t max_count;         /* the largest count it takes */
    int64_t confirmed_at;      /* the file's mtime, 0 from a reply */
};

/* The hub's categories (issue 17) as a categories file. */
static char *categories_csv(const Baocao__CatalogReply *c, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out)
        return NULL;
    fputs("category,option,name\n", out);
    for (size_t i = 0; i < c->n_categories; i++) {
        const Baocao__Category *k = c->categories[i];
        for (size_t o = 0; o < k->n_options; o++) {
            bc_csv_write_field(out, k->code, false);
            bc_csv_write_field(out, k->options[o], false);
            bc_csv_write_field(out, o < k->n_names ? k->names[o] : k->options[o], true);
        }
    }
    fclose(out);
    *len = n;
    return buf;
}

char *node_copy_catalog_csv(const Baocao__CatalogReply *c, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    if (!out)
        return NULL;      /* out of memory */
    fputs("code,name,kind,numerator,denominator,scale,programme,"
          "categories\n", out);
    for (size_t i = 0; i < c->n_indicators; i++) {
        const Baocao__CatalogEntry *e = c->indicators[i];
        char scale[32] = "";
        if (e->kind == BAOCAO__INDICATOR_KIND__KIND_RATIO)
            snprintf(scale, sizeof scale, "%g", e->scale);
        bc_csv_write_field(out, e->code, false);
        bc_csv_write_field(out, e->name, false);
        bc_csv_write_field(out, bc_kind_name(e->kind), false);
        bc_csv_write_field(out, e->numerator, false);
        bc_csv_write_field(out, e->denominator, false);
        bc_csv_write_field(out, scale, false);
        bc_csv_write_field(out, e->programme, false);
        /* Issue 17: the categories it is broken down by, "sex;age". */
        char cats[256] = "";
        size_t w = 0;
        for (size_t k = 0; k < e->n_categories && w < sizeof cats; k++)
            w += (size_t) snprintf(cats + w, sizeof cats - w, "%s%s",
                                   k ? ";" : "", e->categories[k]);
        bc_csv_write_field(out, cats, true);
    }
    fclose(out);
    if (len)
        *len = n;
    return buf;
}

node_copy_t *node_copy_from_reply(const Baocao__CatalogReply *reply,
                                  char *err, size_t errlen)
{
    char e2[512];
    if (reply->unchanged || reply->stamp.len != NODE_COPY_STAMP
        || !reply->n_indicators) {
        bc_set_error(err, errlen, "the hub's answer is not a whole copy "
                     "(no stamp or no catalogue)");
        return NULL;
    }
    node_copy_t *self = bc_calloc(1, sizeof *self);
    size_t clen = 0;
    char *csv = node_copy_catalog_csv(reply, &clen);
    if (!csv) {
        bc_set_error(err, errlen, "out of memory");
        goto out_fail;
    }
    size_t klen = 0;
    char *kcsv = reply->n_categories ? categories_csv(reply, &klen) : NULL;
    self->catalog = bc_registry_parse_full(placeholder_units,
                                           sizeof placeholder_units - 1, csv,
                                           clen, kcsv, klen,
                                           "the hub's catalogue", e2,
                                           sizeof e2);
    free(csv);
    free(kcsv);
    if (!self->catalog) {
        bc_set_error(err, errlen, "%s", e2);
        goto out_fail;
    }
    const char *rules = reply->rules ? reply->rules : "";
    size_t rlen = strlen(rules);
    static const char no_rules[] = "code,left,operator,right,importance,"
                                   "message\n";
    if (!rlen) {
        rules = no_rules;
        rlen = sizeof no_rules - 1;
    }
    self->rules = bc_rules_parse(rules, rlen, "the hub's rules",
                                 self->catalog, e2, sizeof e2);
    if (!self->rules) {
        bc_set_error(err, errlen, "%s", e2);
        goto out_fail;
    }
    /* A hub of before these fields sends 0: its defaults then. */
    self->max_values = reply->max_values ? reply->max_values
                                         : BC_MAX_VALUES_DEFAULT;
    self->max_message = reply->max_message ? (size_t) reply->max_message
                                           : BC_MAX_MESSAGE_DEFAULT;
    self->max_count = reply->max_count > 0 ? reply->max_count : BC_COUNT_MAX;
    return self;

out_fail:
    node_copy_destroy(&self);
    return NULL;
}

void node_copy_destroy(node_copy_t **self_p)
{
    node_copy_t *self = *self_p;
    if (!self)
        return;
    bc_rules_destroy(&self->rules);
    bc_registry_destroy(&self->catalog);
    free(self);
    *self_p = NULL;
}

static void copy_path(const char *store, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", store, NODE_COPY_FILE);
}

int node_copy_save(const char *store, const Baocao__CatalogReply *reply,
                   char *err, size_t errlen)
{
    node_copy_t *probe = node_copy_from_reply(reply, err, errlen);
    if (!probe)
        return BC_EINVAL;
    node_copy_destroy(&probe);
    char path[4096];
    copy_path(store, path, sizeof path);
    size_t len = baocao__catalog_reply__get_packed_size(reply);
    uint8_t *buf = bc_malloc(len ? len : 1);
    baocao__catalog_reply__pack(reply, buf);
    int rc = bc_file_replace(path, buf, len, 0640, err, errlen);
    free(buf);
    return rc;
}

int node_copy_touch(const char *store)
{
    char path[4096];
    copy_path(store, path, sizeof path);
    return utimensat(AT_FDCWD, path, NULL, 0) ? BC_EIO : BC_OK;
}

/* The reply in the copy file, or NULL (*rc says why). */
static Baocao__CatalogReply *read_reply(const char *store, int64_t *mtime,
                                        int *rc, char *err, size_t errlen)
{
    char path[4096];
    copy_path(store, path, sizeof path);
    char *data = NULL;
    size_t len = 0;
    int e = bc_read_file(path, &data, &len);
    if (e) {
        *rc = e == ENOENT ? BC_ENOTFOUND : BC_EIO;
        if (e == ENOENT)
            bc_set_error(err, errlen, "no copy of the hub's catalogue and "
                         "rules yet (the node has not reached the hub)");
        else
            bc_set_error(err, errlen, "%s: %s", path, strerror(e));
        return NULL;
    }
    struct stat st;
    if (mtime)
        *mtime = stat(path, &st) == 0 ? (int64_t) st.st_mtime : 0;
    Baocao__CatalogReply *r = baocao__catalog_reply__unpack(
        NULL, len, (const uint8_t *) data);
    free(data);
    if (!r) {
        *rc = BC_EPARSE;
        bc_set_error(err, errlen, "%s: not a copy of the hub's catalogue",
                     path);
    }
    return r;
}

bool node_copy_stamp(const char *store, uint8_t *stamp)
{
    int rc;
    char err[256];
    Baocao__CatalogReply *r = read_reply(store, NULL, &rc, err, sizeof err);
    bool ok = r && r->stamp.len == NODE_COPY_STAMP;
    if (ok)
        memcpy(stamp, r->stamp.data, NODE_COPY_STAMP);
    if (r)
        baocao__catalog_reply__free_unpacked(r, NULL);
    return ok;
}

node_copy_t *node_copy_load(const char *store, int *rc, char *err,
                            size_t errlen)
{
    int64_t mtime = 0;
    int dummy;
    if (!rc)
        rc = &dummy;
    Baocao__CatalogReply *r = read_reply(store, &mtime, rc, err, errlen);
    if (!r)
        return NULL;
    node_copy_t *self = node_copy_from_reply(r, err, errlen);
    baocao__catalog_reply__free_unpacked(r, NULL);
    if (!self) {
        *rc = BC_EPARSE;
        return NULL;
    }
    self->confirmed_at = mtime;
    *rc = BC_OK;
    return self;
}

const bc_registry_t *node_copy_catalog(const node_copy_t *self)
{
    return self->catalog;
}

const bc_rules_t *node_copy_rules(const node_copy_t *self)
{
    return self->rules;
}

size_t node_copy_max_values(const node_copy_t *self)
{
    return self->max_values;
}

size_t node_copy_max_message(const node_copy_t *self)
{
    return self->max_message;
}

int64_t node_copy_max_count(const node_copy_t *self)
{
    return self->max_count;
}

int64_t node_copy_confirmed_at(const node_copy_t *self)
{
    return self->confirmed_at;
}

/* --- the exchange ------------------------------------------------------- */

uint8_t *node_copy_request(const char *store, uint64_t tag, size_t *len)
{
    Baocao__Request req = BAOCAO__REQUEST__INIT;
    Baocao__CatalogQuery q = BAOCAO__CATALOG_QUERY__INIT;
    uint8_t stamp[NODE_COPY_STAMP];
    if (node_copy_stamp(store, stamp)) {
        q.stamp.data = stamp;
        q.stamp.len = sizeof stamp;
    }
    req.version = BC_WIRE_VERSION;
    req.tag = tag;
    req.body_case = BAOCAO__REQUEST__BODY_CATALOG;
    req.catalog = &q;
    return bc_wire_pack(&req.base, len);
}

void node_copy_on_reply(const char *store, const Baocao__Reply *r)
{
    char err[512];
    if (r->body_case != BAOCAO__REPLY__BODY_CATALOG) {
        BC_DEBUG("the hub sent no catalogue copy (body %d)",
                 (int) r->body_case);
        return;
    }
    if (r->catalog->unchanged) {
        node_copy_touch(store);
        BC_DEBUG("the copy of the hub's catalogue and rules is current");
    } else if (node_copy_save(store, r->catalog, err, sizeof err) == BC_OK) {
        BC_INFO("copy of the hub's catalogue (%zu indicators) and rules "
                "kept in %s/%s: reports are checked against it at filing",
                r->catalog->n_indicators, store, NODE_COPY_FILE);
    } else {
        BC_WARN("the hub's catalogue and rules not kept: %s", err);
    }
}
