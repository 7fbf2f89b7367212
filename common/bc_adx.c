/*
 * bc_adx.c -- ADX (IHE QRPH, urn:ihe:qrph:adx:2015) read into and written
 * from a DHIS2 value set (the manual is bc_adx.h; callers reach it through
 * bc_dhis2_parse and bc_dhis2_write with BC_DHIS2_ADX).
 *
 * Design: ADX is the only XML format, and the only one whose parser needs
 * libxml2 and its hardening, so it lives apart from the JSON and CSV
 * layers of bc_dhis2.c, as the same thin layer over a well-kept library:
 * the document becomes the flat list of text values every format gives,
 * and judging the values is left to the importer. An ADX file comes from
 * another system, so nothing in it is trusted: libxml2 is told not to
 * reach the network, not to load a DTD and not to substitute entities
 * (its default also caps entity amplification), and its messages are
 * collected instead of printed.
 *
 * ADX names categories and options itself: a disaggregation is the
 * dataValue's other attributes, read as "name=option,..." sorted by name
 * and written back the same way, so a combination round-trips.
 */
#include "bc_adx.h"

#include "bc_error.h"
#include "bc_mem.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* libxml2's last error on the context, as "line N: message". */
static void xml_error(xmlParserCtxtPtr ctx, char *buf, size_t len)
{
    xmlErrorPtr e = xmlCtxtGetLastError(ctx);
    snprintf(buf, len, "line %d: %s", e ? e->line : 0,
             e && e->message ? e->message : "not well-formed");
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
}

static bool is_element(const xmlNode *n, const char *local)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *) n->name,
                                                  local);
}

/* An attribute's value (no namespace), or "" (caller frees). */
static char *attr(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *) name);
    char *s = bc_strdup(v ? (const char *) v : "");
    xmlFree(v);
    return s;
}

/* One NAME=VALUE pair of an ADX disaggregation. */
typedef struct {
    char *name, *value;
} adx_pair_t;

static int cmp_adx_pair(const void *a, const void *b)
{
    return strcmp(((const adx_pair_t *) a)->name,
                  ((const adx_pair_t *) b)->name);
}

/* A dataValue's attributes other than dataElement and value, as
 * "a=1,b=2" sorted by name ("" when none; cut at len). */
static void adx_disaggregation(xmlNode *d, char *coc, size_t len)
{
    adx_pair_t pairs[16];
    size_t n = 0, w = 0;
    for (xmlAttr *a = d->properties; a && n < 16; a = a->next) {
        const char *an = (const char *) a->name;
        if (!strcmp(an, "dataElement") || !strcmp(an, "value") || a->ns)
            continue;
        pairs[n].name = (char *) an;
        pairs[n++].value = attr(d, an);
    }
    qsort(pairs, n, sizeof *pairs, cmp_adx_pair);
    coc[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        if (w < len)
            w += (size_t) snprintf(coc + w, len - w, "%s%s=%s", k ? "," : "",
                                   pairs[k].name, pairs[k].value);
        free(pairs[k].value);
    }
}

int bc_adx_parse(const char *data, size_t len, const char *name,
                 bc_dhis2_set_t *set, char *err, size_t errlen)
{
    int rc = BC_EPARSE;
    char msg[256];
    if (len > INT32_MAX) {
        bc_set_error(err, errlen, "%s: too large for an ADX document", name);
        return rc;
    }
    xmlInitParser();
    xmlParserCtxtPtr ctx = xmlNewParserCtxt();
    if (!ctx) {
        bc_set_error(err, errlen, "%s: cannot start the XML parser", name);
        return rc;
    }
    /* Errors are kept on the context (NOERROR: not printed); the
     * default options load no DTD and substitute no entity. */
    xmlDocPtr doc = xmlCtxtReadMemory(ctx, data, (int) len, name, NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR
                                      | XML_PARSE_NOWARNING);
    if (!doc || !ctx->wellFormed) {
        xml_error(ctx, msg, sizeof msg);
        bc_set_error(err, errlen, "%s: not XML: %s", name, msg);
        goto out;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root || !is_element(root, "adx")) {
        bc_set_error(err, errlen, "%s: not an ADX document (the root element "
                     "is not <adx>)", name);
        goto out;
    }
    for (xmlNode *g = root->children; g; g = g->next) {
        if (!is_element(g, "group"))
            continue;
        char *ou = attr(g, "orgUnit"), *pe = attr(g, "period");
        /* Group attributes other than these are attribute option combo
         * dimensions, which baocao does not have. */
        char aoc[256] = "";
        for (xmlAttr *a = g->properties; a; a = a->next) {
            const char *an = (const char *) a->name;
            if (!strcmp(an, "orgUnit") || !strcmp(an, "period")
                || !strcmp(an, "dataSet") || !strcmp(an, "completeDate")
                || a->ns)
                continue;
            if (!aoc[0]) {
                char *av = attr(g, an);
                snprintf(aoc, sizeof aoc, "%s=%s", an, av);
                free(av);
            }
        }
        for (xmlNode *d = g->children; d; d = d->next) {
            if (!is_element(d, "dataValue"))
                continue;
            char *de = attr(d, "dataElement"), *val = attr(d, "value");
            char coc[256] = "";
            adx_disaggregation(d, coc, sizeof coc);
            long line = xmlGetLineNo(d);
            bc_dhis2_set_add(set, de, pe, ou, coc, val,
                             line > 0 ? (size_t) line : 0);
            bc_dhis2_value_t *v = &set->values[set->n - 1];
            free(v->aoc);
            v->aoc = bc_strdup(aoc);
            free(de);
            free(val);
        }
        free(ou);
        free(pe);
    }
    rc = BC_OK;
out:
    if (doc)
        xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctx);
    return rc;
}

/* ADX requires the time of the export, xsd:dateTime. */
static const char *now_utc(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* A combination "age=5-14,sex=nu" as ADX attributes age="5-14"
 * sex="nu" (ADX names categories and options itself, no combo UID);
 * nothing for the default. < 0 when a write fails. */
static int adx_write_options(xmlTextWriterPtr w, const char *coc)
{
    if (bc_dhis2_is_default_combo(coc) || !strchr(coc, '='))
        return 0;
    char *copy = bc_strdup(coc), *save = NULL;
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t && rc >= 0;
         t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (!eq)
            continue;
        *eq = '\0';
        rc = xmlTextWriterWriteAttribute(w, BAD_CAST t, BAD_CAST (eq + 1));
    }
    free(copy);
    return rc;
}

int bc_adx_write(FILE *out, const bc_dhis2_set_t *set)
{
    int rc = BC_EIO;
    char stamp[32];
    xmlBufferPtr buf = xmlBufferCreate();
    xmlTextWriterPtr w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
    if (!w)
        goto out;
    xmlTextWriterSetIndent(w, 1);
    xmlTextWriterSetIndentString(w, (const xmlChar *) "  ");
    if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0
        || xmlTextWriterStartElement(w, BAD_CAST "adx") < 0
        || xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns",
                                       BAD_CAST "urn:ihe:qrph:adx:2015") < 0
        || xmlTextWriterWriteAttribute(w, BAD_CAST "exported",
                                       BAD_CAST now_utc(stamp)) < 0)
        goto out;
    const bc_dhis2_value_t *prev = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const bc_dhis2_value_t *v = &set->values[i];
        if (!prev || strcmp(prev->org_unit, v->org_unit)
            || strcmp(prev->period, v->period)) {
            bc_period_t p;
            char adx[BC_DHIS2_PERIOD_STRLEN];
            if (bc_dhis2_period_parse(v->period, &p)) {
                rc = BC_EINVAL;
                goto out;
            }
            if ((prev && xmlTextWriterEndElement(w) < 0)
                || xmlTextWriterStartElement(w, BAD_CAST "group") < 0
                || xmlTextWriterWriteAttribute(w, BAD_CAST "orgUnit",
                                               BAD_CAST v->org_unit) < 0
                || xmlTextWriterWriteAttribute(
                       w, BAD_CAST "period",
                       BAD_CAST bc_dhis2_period_adx(p, adx)) < 0)
                goto out;
            prev = v;
        }
        if (xmlTextWriterStartElement(w, BAD_CAST "dataValue") < 0
            || xmlTextWriterWriteAttribute(w, BAD_CAST "dataElement",
                                           BAD_CAST v->data_element) < 0
            || adx_write_options(w, v->coc) < 0
            || xmlTextWriterWriteAttribute(w, BAD_CAST "value",
                                           BAD_CAST v->value) < 0
            || xmlTextWriterEndElement(w) < 0)
            goto out;
    }
    if (xmlTextWriterEndDocument(w) < 0)   /* closes every open element */
        goto out;
    xmlFreeTextWriter(w);   /* flushes into buf */
    w = NULL;
    size_t n = (size_t) xmlBufferLength(buf);
    rc = fwrite(xmlBufferContent(buf), 1, n, out) == n && fputc('\n', out) != EOF
             ? BC_OK : BC_EIO;
out:
    if (w)
        xmlFreeTextWriter(w);
    if (buf)
        xmlBufferFree(buf);
    return rc;
}
