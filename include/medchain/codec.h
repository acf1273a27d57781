/*
 * medchain codec: the canonical binary encoding every signed or hashed value uses
 * (specified in docs/format.md).
 *
 * Integers are fixed-width big-endian; byte strings carry a u32 length; lists a u32 count;
 * booleans are one byte that must be 0 or 1. There is exactly one encoding per value, so a
 * hash or a signature over an encoding is unambiguous. Every variable length is checked
 * against a caller-given cap before anything is read or allocated.
 *
 * Errors are sticky (like a stream's failbit): after the first failure every further call does
 * nothing, and mc_enc_done()/mc_dec_done() report the first error. This keeps encoders and
 * decoders straight-line code.
 *
 * THREAD SAFETY: an encoder or decoder is used by one thread at a time.
 */
#ifndef MEDCHAIN_CODEC_H
#define MEDCHAIN_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/util.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Writes into a caller-owned mc_buf, whose cap bounds the encoding. */
typedef struct {
    mc_buf *out;
    int err;
} mc_enc;

void mc_enc_init(mc_enc *e, mc_buf *out);
void mc_enc_u8(mc_enc *e, uint8_t v);
void mc_enc_u16(mc_enc *e, uint16_t v);
void mc_enc_u32(mc_enc *e, uint32_t v);
void mc_enc_u64(mc_enc *e, uint64_t v);
void mc_enc_bool(mc_enc *e, int v);
/** Raw bytes with no length (for fixed-size values such as hashes and keys). */
void mc_enc_fixed(mc_enc *e, const void *p, size_t n);
/** A u32 length then the bytes; fails with MC_ETOOBIG when @p n > @p max. */
void mc_enc_bytes(mc_enc *e, const void *p, size_t n, size_t max);
/** A NUL-terminated string as bytes (no NUL on the wire). */
void mc_enc_str(mc_enc *e, const char *s, size_t max);
/** @return the first error, or MC_OK. */
int mc_enc_done(const mc_enc *e) MC_WARN_UNUSED_RESULT;

/** Reads from borrowed bytes; slices it returns point into them. */
typedef struct {
    const uint8_t *p;
    size_t n;
    size_t off;
    int err;
} mc_dec;

void mc_dec_init(mc_dec *d, const void *p, size_t n);
uint8_t mc_dec_u8(mc_dec *d);
uint16_t mc_dec_u16(mc_dec *d);
uint32_t mc_dec_u32(mc_dec *d);
uint64_t mc_dec_u64(mc_dec *d);
/** A byte that must be 0 or 1 (else MC_EINVAL). */
int mc_dec_bool(mc_dec *d);
/** Copies @p n raw bytes into @p out (zeroed on failure). */
void mc_dec_fixed(mc_dec *d, void *out, size_t n);
/** A u32 length (at most @p max, else MC_ETOOBIG) and that many bytes, borrowed. */
mc_slice mc_dec_bytes(mc_dec *d, size_t max);
/**
 * A string into @p out (size @p cap, NUL-terminated); it must be shorter than @p cap and must
 * not contain NUL or control bytes (MC_EINVAL), so strings stay printable and one encoding.
 */
void mc_dec_str(mc_dec *d, char *out, size_t cap);
/** A u32 count that must be at most @p max. */
uint32_t mc_dec_count(mc_dec *d, uint32_t max);
/** Marks the decoder failed with @p rc (if it has not failed yet). */
void mc_dec_fail(mc_dec *d, int rc);
/** Bytes left to read. */
size_t mc_dec_left(const mc_dec *d);
/** @return the first error, or MC_EINVAL if bytes are left over, or MC_OK. */
int mc_dec_done(const mc_dec *d) MC_WARN_UNUSED_RESULT;

#ifdef __cplusplus
}
#endif
#endif
