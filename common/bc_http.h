/*
 * bc_http.h -- a posted form's body, read with libmicrohttpd's post
 * processor within a size limit: the step the station's form
 * (node/node_form.c) and the operators' desk (tools/web/web_server.c)
 * both take, kept in one place so that both refuse alike.
 *
 * libmicrohttpd calls the request handler once with the headers, then once
 * per piece of the body, then once more with none left. The headers call
 * (bc_http_body_begin) refuses a declared Content-Length over the limit
 * (413) and anything but application/x-www-form-urlencoded (415) before a
 * byte of the body is read. Each later call goes through bc_http_body_step:
 * a piece is counted and parsed, and once the body is whole the caller
 * learns whether it was over the limit (413: a chunked body has no
 * Content-Length) or held a field its buffer could not take (400). A body
 * on a request that expects none (a GET) is 413.
 *
 * The field callback records a field too long for its buffer with
 * bc_http_body_bad_field; the struct is meant to sit inside the caller's
 * per-request state.
 *
 * The headers every answer of both servers carries are here too
 * (bc_http_response), so that a page of one cannot be framed, sniffed or
 * cached where a page of the other is not.
 */
#ifndef BC_HTTP_H
#define BC_HTTP_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    struct MHD_PostProcessor *pp;  /* parser; NULL: no body expected */
    size_t max;                    /* the limit, bytes */
    size_t body;                   /* bytes so far */
    bool too_large;                /* over max */
    bool bad_field;                /* a field unreadable or too long */
} bc_http_body_t;

/* The headers of a POST: BC_OK (0) with the parser set up, or the HTTP
 * status to answer with: 413 (declared too large), 415 (not a urlencoded
 * form), 400 (no parser). buffer: the post processor's buffer, bytes. */
unsigned bc_http_body_begin(bc_http_body_t *b, struct MHD_Connection *conn,
                            size_t max, size_t buffer,
                            MHD_PostDataIterator field, void *cls);

/* A later call of the request. Returns 0 when the body is whole and fine
 * (the caller answers the request); 1 when a piece was taken (the caller
 * returns MHD_YES); or the HTTP status to answer with (413, 400). */
unsigned bc_http_body_step(bc_http_body_t *b, const char *upload_data,
                           size_t *upload_data_size);

/* True when the request had a form body (a POST begun). */
bool bc_http_body_posted(const bc_http_body_t *b);

/* From a field callback: a field did not fit its buffer (400). */
void bc_http_body_bad_field(bc_http_body_t *b);

/* Frees the parser (from the request-completed callback). */
void bc_http_body_end(bc_http_body_t *b);

/* A response of len bytes at data (freed by libmicrohttpd with
 * MHD_RESPMEM_MUST_FREE), of Content-Type `type`, with the headers of
 * every answer: no MIME sniffing, no framing, a same-origin referrer
 * (with no-referrer a browser sends "Origin: null" on a page's own forms,
 * which the desk's origin check must see as its own), no caching (figures
 * change as reports arrive), and the Content-Security-Policy `csp`. The
 * caller queues it and destroys it. NULL when out of memory (data is
 * freed then too, with MHD_RESPMEM_MUST_FREE). */
struct MHD_Response *bc_http_response(const char *type, void *data,
                                      size_t len,
                                      enum MHD_ResponseMemoryMode mode,
                                      const char *csp);

#endif
