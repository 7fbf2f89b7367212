/*
 * cmd_audit_file.c -- what every `baocao audit` verb shares below the
 * command line: the export file's framing (each message prefixed with its
 * length as a varint, as protobuf's writeDelimitedTo writes it, so any
 * protobuf library reads an export back), outcome names, hex, progress.
 *
 * Apart from the dispatcher (cmd_audit.c) so that the verbs depend on
 * these and the dispatcher on the verbs, not both ways.
 */
#include "bc_error.h"
#include "bc_mem.h"
#include "bc_wire.h"
#include "cmd_audit.h"

#include <czmq.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *audit_outcome_name(uint32_t o)
{
    switch (o) {
    case BAOCAO__OUTCOME__OUTCOME_STORED:     return "stored";
    case BAOCAO__OUTCOME__OUTCOME_DUPLICATE:  return "duplicate";
    case BAOCAO__OUTCOME__OUTCOME_SUPERSEDED: return "superseded";
    case BAOCAO__OUTCOME__OUTCOME_REJECTED:   return "rejected";
    default:                                  return "?";
    }
}

void audit_hex32(const uint8_t *h, char out[65])
{
    static const char d[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = d[h[i] >> 4];
        out[2 * i + 1] = d[h[i] & 15];
    }
    out[64] = '\0';
}

/* Progress on a terminal only; logs and pipes stay clean. */
void audit_progress(const char *what, uint64_t done, uint64_t total)
{
    static int64_t last;
    if (!isatty(2))
        return;
    int64_t now = zclock_mono();
    if (done != total && now - last < 200)
        return;
    last = now;
    if (total)
        fprintf(stderr, "\r%s %llu / %llu (%.0f %%)", what,
                (unsigned long long) done, (unsigned long long) total,
                100.0 * (double) done / (double) total);
    else
        fprintf(stderr, "\r%s %llu", what, (unsigned long long) done);
    if (done == total)
        fputc('\n', stderr);
}

/* --- length-delimited files ---------------------------------------------- */

int audit_write_delimited(FILE *f, const ProtobufCMessage *m)
{
    size_t len;
    uint8_t *buf = bc_wire_pack(m, &len);
    uint8_t var[10];
    size_t n = 0;
    size_t l = len;
    do {
        var[n] = l & 0x7f;
        l >>= 7;
        var[n++] |= l ? 0x80 : 0;
    } while (l);
    int ok = fwrite(var, 1, n, f) == n && fwrite(buf, 1, len, f) == len;
    free(buf);
    return ok ? BC_OK : BC_EIO;
}

/* See cmd_audit.h. */
int audit_read_delimited(FILE *f, uint8_t **buf, size_t *len)
{
    uint64_t l = 0;
    int shift = 0, c;
    for (;;) {
        c = fgetc(f);
        if (c == EOF)
            return shift == 0 ? 0 : -1;
        l |= (uint64_t) (c & 0x7f) << shift;
        if (!(c & 0x80))
            break;
        shift += 7;
        if (shift > 35)
            return -1;
    }
    if (l > (64u << 20))
        return -1;
    *buf = bc_malloc(l ? l : 1);
    if (fread(*buf, 1, l, f) != l) {
        bc_free(buf);
        return -1;
    }
    *len = l;
    return 1;
}
