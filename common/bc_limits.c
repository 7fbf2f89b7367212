/*
 * bc_limits.c -- checked sums, UTF-8 checks and log escaping (see
 * bc_limits.h for the limits and why they are what they are).
 *
 * The UTF-8 decoder is the strict one of RFC 3629 section 4: overlong
 * forms, surrogates and code points above U+10FFFF are invalid, so that a
 * string the hub accepts is one every strict client can decode.
 */
#include "bc_limits.h"
#include "bc_error.h"

#include <stdio.h>
#include <string.h>

int bc_add_checked(int64_t a, int64_t b, int64_t *out)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return BC_ERANGE;
    *out = r;
    return BC_OK;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;   /* range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;          /* overlong */
        else if (c == 0xED)
            hi = 0x9F;          /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;          /* overlong */
        else if (c == 0xF4)
            hi = 0x8F;          /* above U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

static bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7F;
}

bool bc_text_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;
    if (!s)
        return len == 0;
    while (i < len) {
        /* Printable ASCII, nearly every byte of a request: no decoding. */
        if (p[i] >= 0x20 && p[i] < 0x7F) {
            i++;
            continue;
        }
        if (is_control(p[i]))
            return false;
        size_t n = utf8_seq(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *bc_escape(const char *s, char *out, size_t outlen)
{
    const unsigned char *p = (const unsigned char *) (s ? s : "");
    size_t o = 0, i = 0, rest = strlen((const char *) p);
    if (!out || outlen == 0)
        return out;
    while (i < rest) {
        size_t n = is_control(p[i]) ? 0 : utf8_seq(p + i, rest - i);
        if (n == 0 || p[i] == '\\') {
            /* 4 bytes for \xNN (or 2 for \\) and the terminator. */
            if (o + (p[i] == '\\' ? 2 : 4) >= outlen)
                break;
            if (p[i] == '\\') {
                out[o++] = '\\';
                out[o++] = '\\';
            } else
                o += (size_t) snprintf(out + o, outlen - o, "\\x%02X", p[i]);
            i++;
            continue;
        }
        if (o + n >= outlen)
            break;
        for (size_t k = 0; k < n; k++)
            out[o++] = (char) p[i + k];
        i += n;
    }
    out[o] = '\0';
    return out;
}
