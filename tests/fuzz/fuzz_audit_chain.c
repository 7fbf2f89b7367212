/*
 * fuzz_audit_chain.c -- libFuzzer target: the input chooses the FIELDS of
 * an audit export, and the target writes a well-formed export from them,
 * with every hash computed as the hub does (hub_log_hash), so that the
 * tools get past the hash check: seq steps (gaps, repeats, reordering),
 * receipt times, filed_at and revision inside the submission, peer and
 * request lengths, outcomes and reasons, figure values, the header's
 * filter, counts and chain_start, and now and then one flipped hash byte.
 * Then every tool that reads an export runs on it (fuzz_audit_tools.h).
 *
 * What must hold: no crash, no sanitizer report, no leak; every run ends
 * with an exit status (0, 1 or 2).
 */
#include "bc_wire.h"
#include "fuzz_audit_tools.h"
#include "hub_log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;
    fuzz_audit_init();
    return 0;
}

/* Fields drawn from the input; zeros once it runs out. */
typedef struct {
    const uint8_t *p;       /* next byte */
    size_t left;            /* bytes left */
} draw_t;

static uint8_t draw8(draw_t *d)
{
    if (!d->left)
        return 0;
    d->left--;
    return *d->p++;
}

static uint64_t draw64(draw_t *d)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | draw8(d);
    return v;
}

/* A time: often plausible, sometimes anything at all. */
static int64_t draw_time(draw_t *d, int64_t plausible)
{
    uint8_t how = draw8(d);
    if (how < 128)
        return plausible + (int64_t) (how * 1000);
    return (int64_t) draw64(d);
}

/* n printable bytes into out (n < len). */
static void draw_text(draw_t *d, char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (char) (32 + draw8(d) % 95);
    out[n] = '\0';
}

static size_t put_delimited(FILE *f, const ProtobufCMessage *m)
{
    size_t len;
    uint8_t *buf = bc_wire_pack(m, &len), var[10];
    size_t n = 0, l = len;
    do {
        var[n] = l & 0x7f;
        l >>= 7;
        var[n++] |= l ? 0x80 : 0;
    } while (l);
    fwrite(var, 1, n, f);
    fwrite(buf, 1, len, f);
    free(buf);
    return n + len;
}

static const char *const units[] = {"HP-HB-QT", "HP-HB-HV", "HP-HB", "XX",
                                    ""};
static const char *const periods[] = {"2023-12", "2023-11", "2023", "2023-Q4",
                                      "junk"};
static const char *const codes[] = {"sdd_u5", "sdd_u2", "sxh_cases",
                                    "sdd_underweight_rate", "nope"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    draw_t d = {data, size};
    char file[64];
    snprintf(file, sizeof file, "/tmp/fuzz_chain_%d.bca", (int) getpid());
    enum { MAXE = 12 };
    size_t n = 1 + draw8(&d) % MAXE;
    uint8_t flags = draw8(&d);
    uint64_t seq = flags & 1 ? 1 + draw8(&d) : 1;

    /* The entries first (the header needs their seqs). */
    Baocao__LogEntry le[MAXE];
    uint8_t *reqs[MAXE], hashes[MAXE + 1][32];
    char peers[MAXE][128];
    memset(hashes[0], 0, 32);
    if (seq > 1)
        for (int i = 0; i < 32; i++)
            hashes[0][i] = draw8(&d);
    int64_t clock_us = 1704067200LL * 1000000;
    for (size_t i = 0; i < n; i++) {
        baocao__log_entry__init(&le[i]);
        uint8_t step = draw8(&d);
        if (i)
            seq = step < 200 ? seq + 1        /* consecutive, mostly */
                  : step < 240 ? seq + step   /* a gap */
                  : seq - (step & 3);         /* repeat or reorder */
        le[i].seq = seq;
        clock_us = draw_time(&d, clock_us);
        le[i].received_at = clock_us;
        draw_text(&d, peers[i], draw8(&d) % 100);
        le[i].peer = peers[i];
        le[i].outcome = (Baocao__Outcome) (draw8(&d) % 6);
        le[i].reason = (Baocao__RejectReason) (draw8(&d) % 24);

        /* The request: a submission built from fields, or raw bytes. */
        Baocao__Request req = BAOCAO__REQUEST__INIT;
        Baocao__Submission sub = BAOCAO__SUBMISSION__INIT;
        Baocao__Value vals[4], *vp[4];
        uint8_t id[16];
        for (int k = 0; k < 16; k++)
            id[k] = draw8(&d);
        req.version = draw8(&d) < 240 ? 1 : draw8(&d);
        req.body_case = BAOCAO__REQUEST__BODY_SUBMIT;
        req.submit = &sub;
        sub.id.data = id;
        sub.id.len = 16;
        sub.unit = (char *) units[draw8(&d) % 5];
        sub.period = (char *) periods[draw8(&d) % 5];
        sub.revision = draw8(&d) % 4;
        sub.filed_at = draw_time(&d, clock_us / 1000000);
        sub.n_values = draw8(&d) % 5;
        sub.values = vp;
        for (size_t k = 0; k < sub.n_values; k++) {
            baocao__value__init(&vals[k]);
            vals[k].indicator = (char *) codes[draw8(&d) % 5];
            vals[k].v_case = BAOCAO__VALUE__V_COUNT;
            vals[k].count = draw8(&d) < 200 ? draw8(&d)
                                            : (int64_t) draw64(&d);
            vp[k] = &vals[k];
        }
        size_t rlen;
        if (draw8(&d) < 230) {
            reqs[i] = bc_wire_pack(&req.base, &rlen);
        } else {
            rlen = draw8(&d);
            reqs[i] = malloc(rlen ? rlen : 1);
            for (size_t k = 0; k < rlen; k++)
                reqs[i][k] = draw8(&d);
        }
        le[i].request.data = reqs[i];
        le[i].request.len = rlen;

        /* Chained as the hub chains: prev_hash is the hash before. */
        uint8_t digest[32];
        hub_request_digest(reqs[i], rlen, digest);
        hub_log_hash(hashes[i], le[i].seq, le[i].received_at, peers[i],
                     strlen(peers[i]), le[i].outcome, le[i].reason, digest,
                     hashes[i + 1]);
        le[i].prev_hash.data = hashes[i];
        le[i].prev_hash.len = 32;
        le[i].hash.data = hashes[i + 1];
        le[i].hash.len = 32;
    }
    if (flags & 2)   /* one flipped byte somewhere in the chain */
        hashes[1 + draw8(&d) % n][draw8(&d) % 32] ^= 1;

    Baocao__ExportHeader h = BAOCAO__EXPORT_HEADER__INIT;
    char filter[64], hub[32];
    draw_text(&d, filter, flags & 4 ? 1 + draw8(&d) % 40 : 0);
    draw_text(&d, hub, draw8(&d) % 20);
    h.format = flags & 8 && draw8(&d) > 250 ? "other" : "baocao-audit";
    h.version = 1;
    h.exported_at = (int64_t) draw64(&d);
    h.hub = hub;
    h.first_seq = le[0].seq;
    h.last_seq = le[n - 1].seq;
    h.entries = n;
    if (flags & 16) {   /* a header that lies about the file */
        h.entries = draw8(&d);
        h.first_seq = draw8(&d);
        h.last_seq = draw64(&d);
    }
    h.filter = filter;
    h.chain_start.data = hashes[0];
    h.chain_start.len = flags & 32 ? draw8(&d) % 33 : 32;

    FILE *f = fopen(file, "wb");
    if (!f)
        abort();
    put_delimited(f, &h.base);
    size_t keep = flags & 64 ? draw8(&d) % (n + 1) : n;   /* cut the file */
    for (size_t i = 0; i < keep; i++)
        put_delimited(f, &le[i].base);
    fclose(f);
    for (size_t i = 0; i < n; i++)
        free(reqs[i]);

    fuzz_audit_tools(file);
    unlink(file);
    return 0;
}
