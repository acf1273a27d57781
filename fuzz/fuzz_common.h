/*
 * Shared checks of the fuzz targets. Each decoder must either refuse its input or accept it
 * with its documented invariants; a value it accepts must encode back to exactly the same
 * bytes (one encoding per value, docs/format.md). A violated invariant aborts, which libFuzzer
 * and the replay runner report as a crash.
 */
#ifndef MEDCHAIN_FUZZ_COMMON_H
#define MEDCHAIN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "medchain/chain.h"

/* The entry point every target defines (libFuzzer's, or replay_main.c's caller). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Aborts with a message when @p cond is false. */
#define MC_FUZZ_CHECK(cond) mc_fuzz_check((cond), #cond, __FILE__, __LINE__)
void mc_fuzz_check(int cond, const char *what, const char *file, int line);

/** Initialises the crypto module once. */
void mc_fuzz_init(void);

/** Aborts unless @p buf holds exactly the @p n bytes at @p p. */
void mc_fuzz_same(const mc_buf *buf, const uint8_t *p, size_t n);

/** 1 if the @p n bytes at @p p are all zero: a decoder's failure leaves its output so (STYLE.md). */
int mc_fuzz_zero(const void *p, size_t n);

/** Tries every identity body decoder and the identity record decoder on @p p, with round trips. */
void mc_fuzz_bodies(const uint8_t *p, size_t n);

/** Decodes one transaction and checks it; then its body as its kind says. */
void mc_fuzz_tx(const uint8_t *p, size_t n);

/** Decodes a batch and checks it; then each of its transactions. */
void mc_fuzz_batch(const uint8_t *p, size_t n);

/** Decodes a genesis config; on success checks it encodes back to the same bytes. */
void mc_fuzz_genesis(const uint8_t *p, size_t n);

#endif
