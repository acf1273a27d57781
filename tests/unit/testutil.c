/* Helpers shared by the cmocka suites. */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "medchain/crypto.h"
#include "testutil.h"

void mc_test_check_rc(int got, int want, const char *expr, const char *file, int line)
{
    if (got == want) return;
    print_error("%s:%d: %s returned %s (%d), expected %s (%d)\n", file, line, expr, mc_errname(got), got,
                mc_errname(want), want);
    _fail(file, line); /* reported at the caller's line */
}

void mc_test_init(void)
{
    if (mc_crypto_init() != MC_OK) {
        fprintf(stderr, "mc_crypto_init failed\n");
        exit(1);
    }
}

void mc_test_tmpdir(char *out)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = "/tmp";
    assert_true(snprintf(out, PATH_MAX, "%s/mctest.XXXXXX", base) < PATH_MAX);
    assert_non_null(mkdtemp(out));
}

static int mc_test_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void mc_test_rmtree(const char *path)
{
    assert_int_equal(nftw(path, mc_test_rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void mc_test_path(char *out, const char *dir, const char *name)
{
    assert_true(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

uint64_t mc_test_file_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (uint64_t)sb.st_size;
}

static void mc_test_file_put(const char *path, int flags, const void *p, size_t n)
{
    int fd = open(path, flags, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, p, n), (ssize_t)n);
    assert_int_equal(close(fd), 0);
}

void mc_test_file_write(const char *path, const void *p, size_t n)
{
    mc_test_file_put(path, O_WRONLY | O_CREAT | O_TRUNC, p, n);
}

void mc_test_file_append(const char *path, const void *p, size_t n)
{
    mc_test_file_put(path, O_WRONLY | O_CREAT | O_APPEND, p, n);
}

void mc_test_file_truncate(const char *path, uint64_t size)
{
    assert_int_equal(truncate(path, (off_t)size), 0);
}

void mc_test_file_xor(const char *path, uint64_t off, uint8_t mask)
{
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t b;
    assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
    b ^= mask;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
    assert_int_equal(close(fd), 0);
}

void mc_test_unhex(uint8_t *out, size_t n, const char *hex)
{
    assert_ok(mc_hex_decode(out, n, hex, strlen(hex)));
}

/* ------------------------------------------------------------------------------------------ */

void mc_test_vec_load(mc_test_vecfile *f, const char *name)
{
    char path[PATH_MAX];
    memset(f, 0, sizeof *f);
    mc_test_path(path, MEDCHAIN_VECTORS_DIR, name);
    mc_buf_init(&f->text, 1 << 22);
    assert_ok(mc_file_read(path, &f->text));
    assert_ok(mc_buf_cstr(&f->text));
    char *s = (char *)f->text.p;
    size_t cap = 0;
    char *lsave = NULL;
    for (char *line = strtok_r(s, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
        if (line[0] == '#' || line[0] == 0) continue;
        if (f->n == cap) {
            cap = cap ? 2 * cap : 32;
            f->v = realloc(f->v, cap * sizeof *f->v);
            assert_non_null(f->v);
        }
        mc_test_vec *v = &f->v[f->n++];
        memset(v, 0, sizeof *v);
        /* words are separated by single spaces; the first is the type */
        char *save = NULL;
        v->type = strtok_r(line, " ", &save);
        for (char *w = strtok_r(NULL, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(w, '=');
            assert_non_null(eq);
            assert_true(v->nf < MC_TEST_VEC_FIELDS);
            *eq = 0;
            v->key[v->nf] = w;
            v->val[v->nf++] = eq + 1;
        }
    }
    assert_true(f->n > 0);
}

void mc_test_vec_free(mc_test_vecfile *f)
{
    free(f->v);
    mc_buf_free(&f->text);
    memset(f, 0, sizeof *f);
}

const mc_test_vec *mc_test_vec_each(const mc_test_vecfile *f, const char *type, size_t *it)
{
    size_t n = strlen(type);
    int prefix = n > 0 && type[n - 1] == '*';
    while (*it < f->n) {
        const mc_test_vec *v = &f->v[(*it)++];
        if (prefix ? strncmp(v->type, type, n - 1) == 0 : strcmp(v->type, type) == 0) return v;
    }
    return NULL;
}

const char *mc_test_vec_str(const mc_test_vec *v, const char *key)
{
    for (unsigned i = 0; i < v->nf; i++)
        if (strcmp(v->key[i], key) == 0) return v->val[i];
    print_error("vector of type %s has no field %s\n", v->type, key);
    fail();
    return NULL;
}

size_t mc_test_vec_hex(const mc_test_vec *v, const char *key, uint8_t *out, size_t cap)
{
    const char *h = mc_test_vec_str(v, key);
    size_t len = strlen(h);
    assert_true(len % 2 == 0 && len / 2 <= cap);
    assert_ok(mc_hex_decode(out, len / 2, h, len));
    return len / 2;
}

void mc_test_vec_fixed(const mc_test_vec *v, const char *key, void *out, size_t n)
{
    assert_int_equal(mc_test_vec_hex(v, key, out, n), n);
}

void mc_test_vec_text(const mc_test_vec *v, const char *key, char *out, size_t cap)
{
    assert_true(cap > 0);
    size_t n = mc_test_vec_hex(v, key, (uint8_t *)out, cap - 1);
    out[n] = 0;
}

uint64_t mc_test_vec_u64(const mc_test_vec *v, const char *key)
{
    uint64_t x;
    assert_ok(mc_parse_u64(mc_test_vec_str(v, key), &x));
    return x;
}

uint64_t mc_test_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t mc_test_rand_below(uint64_t *state, uint32_t n)
{
    return (uint32_t)(mc_test_rand(state) % n);
}

int mc_all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i]) return 0;
    return 1;
}

void mc_check_exact(mc_decode_fn fn, const uint8_t *p, size_t n)
{
    uint8_t *c = malloc(n + 1);
    assert_non_null(c);
    memcpy(c, p, n);
    assert_ok(fn(c, n));
    c[n] = 0;
    assert_rc(fn(c, n + 1), MC_EINVAL); /* a trailing byte */
    c[n] = 0xff;
    assert_rc(fn(c, n + 1), MC_EINVAL);
    free(c);
    for (size_t k = 0; k < n; k++) {
        uint8_t *t = malloc(k ? k : 1);
        assert_non_null(t);
        memcpy(t, p, k);
        int rc = fn(t, k);
        if (rc == MC_OK) print_error("a %zu-byte prefix of %zu bytes decoded\n", k, n);
        assert_true(rc == MC_EINVAL || rc == MC_ETOOBIG);
        free(t);
    }
}

uint64_t mc_test_seed(void)
{
    uint64_t seed = 0x6d656463ull;
    const char *env = getenv("MC_TEST_SEED");
    if (env && mc_parse_u64(env, &seed) != MC_OK) fail_msg("bad MC_TEST_SEED");
    return seed;
}
