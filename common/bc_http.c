/*
 * bc_http.c -- a posted form's body within a limit (design in bc_http.h).
 *
 * Past the limit the pieces are still taken (libmicrohttpd wants each one
 * consumed) but no longer parsed, so an oversized body costs bounded work
 * and memory; the 413 is sent once the body is whole, when libmicrohttpd
 * lets a response be queued.
 *
 * The answers' common headers (bc_http_response) live here as well.
 */
#include "bc_http.h"

#include <stdlib.h>
#include <strings.h>

unsigned bc_http_body_begin(bc_http_body_t *b, struct MHD_Connection *conn,
                            size_t max, size_t buffer,
                            MHD_PostDataIterator field, void *cls)
{
    b->max = max;
    const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                  "Content-Length");
    if (len && strtoull(len, NULL, 10) > max)
        return MHD_HTTP_CONTENT_TOO_LARGE;
    const char *type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                   "Content-Type");
    if (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33))
        return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    if (!(b->pp = MHD_create_post_processor(conn, buffer, field, cls)))
        return MHD_HTTP_BAD_REQUEST;
    return 0;
}

unsigned bc_http_body_step(bc_http_body_t *b, const char *upload_data,
                           size_t *upload_data_size)
{
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!b->pp)
            return MHD_HTTP_CONTENT_TOO_LARGE;   /* a GET has no body */
        b->body += n;
        if (b->body > b->max)
            b->too_large = true;
        else if (MHD_post_process(b->pp, upload_data, n) != MHD_YES)
            b->bad_field = true;
        return 1;
    }
    if (b->too_large)
        return MHD_HTTP_CONTENT_TOO_LARGE;
    if (b->bad_field)
        return MHD_HTTP_BAD_REQUEST;
    return 0;
}

bool bc_http_body_posted(const bc_http_body_t *b)
{
    return b->pp != NULL;
}

void bc_http_body_bad_field(bc_http_body_t *b)
{
    b->bad_field = true;
}

void bc_http_body_end(bc_http_body_t *b)
{
    if (b->pp)
        MHD_destroy_post_processor(b->pp);
    b->pp = NULL;
}

struct MHD_Response *bc_http_response(const char *type, void *data,
                                      size_t len,
                                      enum MHD_ResponseMemoryMode mode,
                                      const char *csp)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, data, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(data);
        return NULL;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    return r;
}
