/*
 * medchain util: error codes, bounded byte buffers, hex, clocks, logging, files.
 *
 * The lowest module: it knows nothing of cryptography, the chain or the network.
 *
 * THREAD SAFETY: every function here is safe to call from any thread on distinct objects.
 * mc_log() may be called concurrently; lines are written whole.
 */
#ifndef MEDCHAIN_UTIL_H
#define MEDCHAIN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MC_WARN_UNUSED_RESULT __attribute__((warn_unused_result))
#define MC_PRINTF(a, b)       __attribute__((format(printf, a, b)))
#define MC_ARRAY_LEN(a)       (sizeof(a) / sizeof((a)[0]))

/** Every fallible function in medchain returns one of these; MC_OK is zero. */
enum mc_err {
    MC_OK = 0,
    MC_ENOMEM,    /**< out of memory */
    MC_EINVAL,    /**< malformed input or bad argument */
    MC_ENOTFOUND, /**< no such item */
    MC_ECORRUPT,  /**< stored data failed a check (hash, checksum, structure) */
    MC_EBADSIG,   /**< a signature did not verify */
    MC_EDENIED,   /**< not permitted */
    MC_ETOOBIG,   /**< a length or count is over its cap */
    MC_EIO,       /**< the operating system refused a read, write or sync */
    MC_EEXIST,    /**< already exists */
    MC_EAGAIN,    /**< busy or full: try again later */
    MC_ETIMEDOUT, /**< a wait ran out */
    MC_ECRYPTO,   /**< a cryptographic operation failed (decryption, key derivation) */
    MC_EUNAVAIL,  /**< a service this needs is not reachable */
    MC_ESTALE,    /**< too old, or replayed */
    MC_ECLOSED,   /**< the object is shutting down */
    MC_ERR_COUNT_
};

/** @return a fixed English sentence for @p rc (never NULL, never PHI). */
const char *mc_strerror(int rc);
/** @return the stable upper-case name of @p rc, e.g. "EINVAL" (never NULL). */
const char *mc_errname(int rc);

/** A borrowed view of bytes; owns nothing. */
typedef struct {
    const uint8_t *p;
    size_t n;
} mc_slice;

/**
 * A growable byte buffer with a hard cap (curl's dynbuf). Appends past @c max fail with
 * MC_ETOOBIG and leave the buffer unchanged. Zero-initialise, then mc_buf_init().
 */
typedef struct {
    uint8_t *p;
    size_t n;
    size_t cap;
    size_t max;
} mc_buf;

/** Prepares an empty buffer that may grow to @p max bytes. Allocates nothing. */
void mc_buf_init(mc_buf *b, size_t max);
/** Frees the storage (after wiping it when @p wipe) and leaves an empty buffer. */
void mc_buf_free(mc_buf *b);
void mc_buf_free_wipe(mc_buf *b);
/** Empties the buffer, keeping its storage. */
void mc_buf_reset(mc_buf *b);
/** Makes room for @p more bytes. @return MC_OK, MC_ENOMEM, MC_ETOOBIG. */
int mc_buf_reserve(mc_buf *b, size_t more) MC_WARN_UNUSED_RESULT;
/** Appends @p n bytes. @return MC_OK, MC_ENOMEM, MC_ETOOBIG. */
int mc_buf_append(mc_buf *b, const void *p, size_t n) MC_WARN_UNUSED_RESULT;
/** Appends a formatted string (without its NUL). @return MC_OK, MC_ENOMEM, MC_ETOOBIG. */
int mc_buf_printf(mc_buf *b, const char *fmt, ...) MC_PRINTF(2, 3) MC_WARN_UNUSED_RESULT;
/** Appends a NUL after the content without counting it, so b->p is a C string. */
int mc_buf_cstr(mc_buf *b) MC_WARN_UNUSED_RESULT;

/** Writes 2n lowercase hex digits and a NUL into @p out (size 2n+1). */
void mc_hex_encode(char *out, const uint8_t *p, size_t n);
/**
 * Decodes exactly @p n bytes from the first 2n characters of @p hex, which must be exactly
 * 2n hex digits long (upper or lower case).
 * @return MC_OK or MC_EINVAL (then @p out is zeroed).
 */
int mc_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen) MC_WARN_UNUSED_RESULT;

/** Milliseconds since the Unix epoch (wall clock). */
uint64_t mc_time_now_ms(void);
/** Milliseconds from a monotonic clock; only differences mean anything. */
uint64_t mc_time_mono_ms(void);
/** Nanoseconds from a monotonic clock. */
uint64_t mc_time_mono_ns(void);

/* Big-endian integer helpers used by the codec and the store's keys. */
static inline void mc_put_u64be(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}
static inline uint64_t mc_get_u64be(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}
static inline void mc_put_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline uint32_t mc_get_u32be(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

enum mc_log_level { MC_LOG_DEBUG = 0, MC_LOG_INFO, MC_LOG_WARN, MC_LOG_ERROR };

/**
 * Writes one line to stderr: time, level, component, message. Messages must never carry
 * PHI: pass identifiers as hashes or opaque ids only, never names, dates of birth or content.
 */
void mc_log(int level, const char *component, const char *fmt, ...) MC_PRINTF(3, 4);
/** Lines below @p level are dropped. Default MC_LOG_INFO. */
void mc_log_set_level(int level);
/** Parses "debug", "info", "warn", "error". @return the level, or -1. */
int mc_log_parse_level(const char *s);

/**
 * Reads a whole file into @p out (appending), failing with MC_ETOOBIG if it is larger than the
 * buffer's cap. @return MC_OK, MC_ENOTFOUND, MC_EIO, MC_ETOOBIG, MC_ENOMEM.
 */
int mc_file_read(const char *path, mc_buf *out) MC_WARN_UNUSED_RESULT;
/**
 * Writes a file atomically and durably: a temporary file beside it, fsync, rename, fsync of the
 * directory. @p mode is the new file's permission bits. @return MC_OK or MC_EIO.
 */
int mc_file_write_atomic(const char *path, const void *p, size_t n, int mode) MC_WARN_UNUSED_RESULT;
/** Writes all @p n bytes to @p fd (retrying short writes and EINTR). @return MC_OK or MC_EIO. */
int mc_fd_write_all(int fd, const void *p, size_t n) MC_WARN_UNUSED_RESULT;
/** fsyncs a directory so that renames and creations in it are durable. */
int mc_dir_sync(const char *dir) MC_WARN_UNUSED_RESULT;
/** Creates a directory and its parents (mode 0700 for new ones; each new name made durable). @return MC_OK or
 * MC_EIO. */
int mc_dir_make(const char *path) MC_WARN_UNUSED_RESULT;

/** Parses a decimal unsigned integer that must fill the whole string. @return MC_OK/MC_EINVAL. */
int mc_parse_u64(const char *s, uint64_t *out) MC_WARN_UNUSED_RESULT;

#ifdef __cplusplus
}
#endif
#endif
