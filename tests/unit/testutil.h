/*
 * Helpers shared by the cmocka suites: scratch directories, known-answer vector files, a
 * seeded PRNG, small file surgery for corruption tests, the exact-length sweep for decoders.
 * Failures are cmocka assertions.
 */
#ifndef MEDCHAIN_TESTUTIL_H
#define MEDCHAIN_TESTUTIL_H

/* cmocka needs these before its header */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>

#include "fixture.h"
#include "medchain/util.h"

#ifndef MEDCHAIN_VECTORS_DIR
#error "build with -DMEDCHAIN_VECTORS_DIR=\"<source>/tests/vectors\""
#endif

/* Asserts that an expression returning an MC_E* code equals @p want, naming both on failure. */
#define assert_rc(expr, want) mc_test_check_rc((expr), (want), #expr, __FILE__, __LINE__)
#define assert_ok(expr)       assert_rc((expr), MC_OK)
void mc_test_check_rc(int got, int want, const char *expr, const char *file, int line);

/** Initialises the crypto module; every suite's main calls it first. */
void mc_test_init(void);

/** Makes a fresh directory under $TMPDIR (or /tmp) into @p out (PATH_MAX bytes). */
void mc_test_tmpdir(char *out);
/** Removes @p path and everything below it. */
void mc_test_rmtree(const char *path);
/** @p out = dir "/" name (PATH_MAX bytes). */
void mc_test_path(char *out, const char *dir, const char *name);

/* File surgery for corruption tests (all assert success). */
uint64_t mc_test_file_size(const char *path);
void mc_test_file_write(const char *path, const void *p, size_t n);
void mc_test_file_append(const char *path, const void *p, size_t n);
void mc_test_file_truncate(const char *path, uint64_t size);
/** XORs the byte at @p off with @p mask. */
void mc_test_file_xor(const char *path, uint64_t off, uint8_t mask);

/** Decodes exactly @p n bytes of hex (asserts it is valid). */
void mc_test_unhex(uint8_t *out, size_t n, const char *hex);

/* Known-answer vectors: tests/vectors/<name>, see make_vectors.py for the format. */
#define MC_TEST_VEC_FIELDS 24
typedef struct {
    const char *type;
    unsigned nf;
    const char *key[MC_TEST_VEC_FIELDS];
    const char *val[MC_TEST_VEC_FIELDS];
} mc_test_vec;

typedef struct {
    mc_buf text;
    size_t n;
    mc_test_vec *v;
} mc_test_vecfile;

/** Loads a vector file (asserts it exists and holds at least one record). */
void mc_test_vec_load(mc_test_vecfile *f, const char *name);
void mc_test_vec_free(mc_test_vecfile *f);
/**
 * The next record of type @p type at or after index *@p it (advanced past it), or NULL at the
 * end. A type ending in '*' matches by prefix. Loop: `size_t it = 0; while ((v = each(...)))`.
 */
const mc_test_vec *mc_test_vec_each(const mc_test_vecfile *f, const char *type, size_t *it);
/** The raw text of field @p key (asserts it is present). */
const char *mc_test_vec_str(const mc_test_vec *v, const char *key);
/** Decodes hex field @p key into @p out (capacity @p cap); returns its length. */
size_t mc_test_vec_hex(const mc_test_vec *v, const char *key, uint8_t *out, size_t cap);
/** Decodes a hex field that must be exactly @p n bytes. */
void mc_test_vec_fixed(const mc_test_vec *v, const char *key, void *out, size_t n);
/** Decodes a hex field holding text into a NUL-terminated string (capacity @p cap). */
void mc_test_vec_text(const mc_test_vec *v, const char *key, char *out, size_t cap);
/** A decimal field. */
uint64_t mc_test_vec_u64(const mc_test_vec *v, const char *key);

/** 1 if the @p n bytes at @p p are all zero (what a refusal leaves in an output). */
int mc_all_zero(const void *p, size_t n);

/** splitmix64: a small seeded PRNG, so a failing random test can be replayed. */
uint64_t mc_test_rand(uint64_t *state);
/** A value in [0, n). */
uint32_t mc_test_rand_below(uint64_t *state, uint32_t n);
/** The seed of a property test: $MC_TEST_SEED if set (fails the test if malformed), else a fixed one. */
uint64_t mc_test_seed(void);

/* Decoders behind one signature, for the truncation and trailing-byte sweeps. */
typedef int (*mc_decode_fn)(const uint8_t *p, size_t n);

/* A decoder that needs nothing freed, behind the common signature. */
#define MC_DECODER(name, type, decode)                                                                       \
    static int name(const uint8_t *p, size_t n)                                                              \
    {                                                                                                        \
        type v;                                                                                              \
        return decode(&v, p, n);                                                                             \
    }

/**
 * @p p (n bytes) decodes with @p fn; every proper prefix of it must not, and neither may it with
 * one more byte. Each input is copied to a heap block of exactly its size so ASan sees any over-read.
 */
void mc_check_exact(mc_decode_fn fn, const uint8_t *p, size_t n);

#endif
