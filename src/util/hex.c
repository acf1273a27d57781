/* Hex encoding; the decoder accepts exactly 2n digits and nothing else. */
#include <string.h>

#include "medchain/util.h"

void mc_hex_encode(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int mc_hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int mc_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
    if (!hex || hexlen != 2 * n) goto bad;
    for (size_t i = 0; i < n; i++) {
        int hi = mc_hex_val(hex[2 * i]), lo = mc_hex_val(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) goto bad;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return MC_OK;
bad:
    if (out && n) memset(out, 0, n);
    return MC_EINVAL;
}
