/* The blob store (src/store/blob.c): content-addressed ciphertext files, checked on every read. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "medchain/crypto.h"
#include "medchain/store.h"
#include "testutil.h"

typedef struct {
    char dir[PATH_MAX];
    mc_blob_store *bs;
    uint8_t data[4096];
    mc_hash addr;
} mc_bt;

static int mc_bt_setup(void **state)
{
    mc_bt *t = calloc(1, sizeof *t);
    assert_non_null(t);
    mc_test_tmpdir(t->dir);
    char blobs[PATH_MAX];
    mc_test_path(blobs, t->dir, "blobs");
    assert_ok(mc_store_blob_open(&t->bs, blobs, NULL));
    for (size_t i = 0; i < sizeof t->data; i++) t->data[i] = (uint8_t)(i * 7 + 3);
    mc_sha256(&t->addr, t->data, sizeof t->data);
    *state = t;
    return 0;
}

static int mc_bt_teardown(void **state)
{
    mc_bt *t = *state;
    mc_store_blob_close(t->bs);
    mc_test_rmtree(t->dir);
    free(t);
    return 0;
}

/* Round trip; the file is where the layout says, private to the node. */
static void test_round_trip(void **state)
{
    mc_bt *t = *state;
    mc_buf out;
    int stored = -1;
    mc_buf_init(&out, 1u << 20);
    assert_rc(mc_store_blob_has(t->bs, &t->addr), MC_ENOTFOUND);
    assert_rc(mc_store_blob_get(t->bs, &t->addr, &out), MC_ENOTFOUND);
    assert_ok(mc_store_blob_put(t->bs, &t->addr, t->data, sizeof t->data, &stored));
    assert_int_equal(stored, 1);
    assert_ok(mc_store_blob_has(t->bs, &t->addr));
    assert_ok(mc_store_blob_get(t->bs, &t->addr, &out));
    assert_int_equal(out.n, sizeof t->data);
    assert_memory_equal(out.p, t->data, sizeof t->data);
    assert_ok(mc_store_blob_check(t->bs, &t->addr));

    char path[PATH_MAX], want[PATH_MAX + 80], hex[65];
    mc_hex_encode(hex, t->addr.b, 32);
    snprintf(want, sizeof want, "%s/blobs/%.2s/%s", t->dir, hex, hex + 2);
    assert_ok(mc_store_blob_path(t->bs, &t->addr, path, sizeof path));
    assert_string_equal(path, want);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal((size_t)sb.st_size, sizeof t->data);
    assert_rc(mc_store_blob_path(t->bs, &t->addr, path, 10), MC_EINVAL);

    /* the empty blob is a blob like any other */
    mc_hash e;
    mc_sha256(&e, "", 0);
    assert_ok(mc_store_blob_put(t->bs, &e, NULL, 0, NULL));
    mc_buf_reset(&out);
    assert_ok(mc_store_blob_get(t->bs, &e, &out));
    assert_int_equal(out.n, 0);
    mc_buf_free(&out);
}

/* A second put of the same bytes writes nothing; several at once, one fsync per directory. */
static void test_idempotent_put(void **state)
{
    mc_bt *t = *state;
    int stored = -1;
    assert_ok(mc_store_blob_put(t->bs, &t->addr, t->data, sizeof t->data, &stored));
    assert_int_equal(stored, 1);
    char path[PATH_MAX];
    struct stat a, b;
    assert_ok(mc_store_blob_path(t->bs, &t->addr, path, sizeof path));
    assert_int_equal(stat(path, &a), 0);
    assert_ok(mc_store_blob_put(t->bs, &t->addr, t->data, sizeof t->data, &stored));
    assert_int_equal(stored, 0);
    assert_int_equal(stat(path, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino); /* not rewritten */

    mc_hash addrs[3];
    mc_slice blobs[3];
    uint8_t other[2][100], flags[3];
    memset(other[0], 1, sizeof other[0]);
    memset(other[1], 2, sizeof other[1]);
    blobs[0] = (mc_slice){t->data, sizeof t->data};
    blobs[1] = (mc_slice){other[0], sizeof other[0]};
    blobs[2] = (mc_slice){other[1], sizeof other[1]};
    for (int i = 0; i < 3; i++) mc_sha256(&addrs[i], blobs[i].p, blobs[i].n);
    assert_ok(mc_store_blob_put_many(t->bs, addrs, blobs, 3, flags));
    assert_int_equal(flags[0], 0);
    assert_int_equal(flags[1], 1);
    assert_int_equal(flags[2], 1);
    for (int i = 0; i < 3; i++) assert_ok(mc_store_blob_check(t->bs, &addrs[i]));
}

/* A batch large enough for the one-sync path: every blob stored and intact, one already present
 * (not rewritten), one damaged on disk (replaced), and no temporary file left behind. */
static void test_batch(void **state)
{
    mc_bt *t = *state;
    enum { N = 40 };
    mc_hash addrs[N];
    mc_slice blobs[N];
    uint8_t data[N][300], flags[N];
    for (int i = 0; i < N; i++) {
        memset(data[i], i + 1, sizeof data[i]);
        data[i][0] = (uint8_t)(i * 13);
        blobs[i] = (mc_slice){data[i], sizeof data[i]};
        mc_sha256(&addrs[i], blobs[i].p, blobs[i].n);
    }
    int stored;
    char path[PATH_MAX];
    assert_ok(mc_store_blob_put(t->bs, &addrs[3], data[3], sizeof data[3], &stored));
    assert_ok(mc_store_blob_put(t->bs, &addrs[7], data[7], sizeof data[7], &stored));
    assert_ok(mc_store_blob_path(t->bs, &addrs[7], path, sizeof path));
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fputc('X', f); /* damaged: a batch holding it again repairs it */
    fclose(f);
    assert_rc(mc_store_blob_check(t->bs, &addrs[7]), MC_ECORRUPT);
    struct stat before;
    assert_ok(mc_store_blob_path(t->bs, &addrs[3], path, sizeof path));
    assert_int_equal(stat(path, &before), 0);
    assert_ok(mc_store_blob_put_many(t->bs, addrs, blobs, N, flags));
    for (int i = 0; i < N; i++) {
        assert_int_equal(flags[i], i != 3);
        assert_ok(mc_store_blob_check(t->bs, &addrs[i]));
    }
    struct stat after;
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    /* no temporary file survives a batch */
    char dir[PATH_MAX];
    mc_test_path(dir, t->dir, "blobs");
    for (int d = 0; d < 256; d++) {
        char sub[PATH_MAX + 8];
        snprintf(sub, sizeof sub, "%s/%02x", dir, d);
        DIR *dd = opendir(sub);
        for (struct dirent *e; dd && (e = readdir(dd));) assert_true(strncmp(e->d_name, ".tmp-", 5) != 0);
        if (dd) closedir(dd);
    }
    /* a batch with one wrong address writes nothing at all */
    memset(&addrs[N - 1], 0, sizeof addrs[N - 1]);
    for (int i = 0; i < N; i++) data[i][1] ^= 0x55, mc_sha256(&addrs[i], blobs[i].p, blobs[i].n);
    memset(&addrs[N - 1], 0, sizeof addrs[N - 1]);
    assert_rc(mc_store_blob_put_many(t->bs, addrs, blobs, N, flags), MC_EINVAL);
    for (int i = 0; i < N - 1; i++) assert_rc(mc_store_blob_has(t->bs, &addrs[i]), MC_ENOTFOUND);
}

/* Bytes that do not hash to the address are refused, and nothing is written; nor is a batch
 * with one such item; nor anything over the cap. */
static void test_wrong_address(void **state)
{
    mc_bt *t = *state;
    mc_hash wrong = t->addr;
    wrong.b[31] ^= 1;
    int stored = -1;
    assert_rc(mc_store_blob_put(t->bs, &wrong, t->data, sizeof t->data, &stored), MC_EINVAL);
    assert_int_equal(stored, 0);
    assert_rc(mc_store_blob_has(t->bs, &wrong), MC_ENOTFOUND);
    assert_rc(mc_store_blob_has(t->bs, &t->addr), MC_ENOTFOUND);

    mc_hash addrs[2] = {t->addr, wrong};
    mc_slice blobs[2] = {{t->data, sizeof t->data}, {t->data, sizeof t->data}};
    uint8_t flags[2] = {9, 9};
    assert_rc(mc_store_blob_put_many(t->bs, addrs, blobs, 2, flags), MC_EINVAL);
    assert_int_equal(flags[0], 0);
    assert_rc(mc_store_blob_has(t->bs, &t->addr), MC_ENOTFOUND); /* all or nothing */

    /* a store with a 1 KiB cap refuses 4 KiB both ways */
    char dir[PATH_MAX];
    mc_blob_store *small;
    mc_blob_opts o = {.max_bytes = 1024};
    mc_test_path(dir, t->dir, "blobs");
    assert_ok(mc_store_blob_open(&small, dir, &o));
    assert_int_equal(mc_store_blob_max(small), 1024);
    assert_rc(mc_store_blob_put(small, &t->addr, t->data, sizeof t->data, NULL), MC_ETOOBIG);
    assert_ok(mc_store_blob_put(t->bs, &t->addr, t->data, sizeof t->data, NULL));
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    assert_rc(mc_store_blob_get(small, &t->addr, &out), MC_ETOOBIG);
    mc_store_blob_close(small);
    /* and a buffer too small for the blob */
    mc_buf tiny;
    mc_buf_init(&tiny, 100);
    assert_rc(mc_store_blob_get(t->bs, &t->addr, &tiny), MC_ETOOBIG);
    assert_int_equal(tiny.n, 0);
    mc_buf_free(&tiny);
    mc_buf_free(&out);
}

/* One flipped byte, a truncation or an extension on disk: found on get, nothing handed out;
 * a put of the right bytes repairs it. */
static void test_flipped_byte(void **state)
{
    mc_bt *t = *state;
    char path[PATH_MAX];
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    assert_ok(mc_store_blob_put(t->bs, &t->addr, t->data, sizeof t->data, NULL));
    assert_ok(mc_store_blob_path(t->bs, &t->addr, path, sizeof path));
    mc_test_file_xor(path, 1234, 0x01);
    assert_ok(mc_buf_append(&out, "x", 1));
    assert_rc(mc_store_blob_get(t->bs, &t->addr, &out), MC_ECORRUPT);
    assert_int_equal(out.n, 1); /* left as it was */
    assert_rc(mc_store_blob_check(t->bs, &t->addr), MC_ECORRUPT);
    assert_ok(mc_store_blob_has(t->bs, &t->addr)); /* there, but not the blob */

    int stored = 0;
    assert_ok(mc_store_blob_put(t->bs, &t->addr, t->data, sizeof t->data, &stored));
    assert_int_equal(stored, 1); /* repaired */
    mc_buf_reset(&out);
    assert_ok(mc_store_blob_get(t->bs, &t->addr, &out));
    assert_memory_equal(out.p, t->data, sizeof t->data);

    mc_test_file_truncate(path, sizeof t->data - 1);
    assert_rc(mc_store_blob_get(t->bs, &t->addr, &out), MC_ECORRUPT);
    assert_ok(mc_store_blob_put(t->bs, &t->addr, t->data, sizeof t->data, NULL));
    mc_test_file_append(path, "", 1);
    assert_rc(mc_store_blob_check(t->bs, &t->addr), MC_ECORRUPT);
    mc_buf_free(&out);
}

/* A leftover temporary file (a crash between write and rename) is never read, and puts work
 * beside it. */
static void test_leftover_temp(void **state)
{
    mc_bt *t = *state;
    char path[PATH_MAX], dir[PATH_MAX + 80], tmp[PATH_MAX + 96], hex[65];
    mc_hex_encode(hex, t->addr.b, 32);
    snprintf(dir, sizeof dir, "%s/blobs/%.2s", t->dir, hex);
    assert_ok(mc_dir_make(dir));
    snprintf(tmp, sizeof tmp, "%s/.tmp-AbCdEf", dir);
    mc_test_file_write(tmp, t->data, sizeof t->data / 2);
    mc_buf out;
    mc_buf_init(&out, 1u << 20);
    assert_rc(mc_store_blob_has(t->bs, &t->addr), MC_ENOTFOUND);
    assert_rc(mc_store_blob_get(t->bs, &t->addr, &out), MC_ENOTFOUND);
    assert_ok(mc_store_blob_put(t->bs, &t->addr, t->data, sizeof t->data, NULL));
    assert_ok(mc_store_blob_get(t->bs, &t->addr, &out));
    assert_int_equal(out.n, sizeof t->data);
    assert_ok(mc_store_blob_path(t->bs, &t->addr, path, sizeof path));
    /* the put left no temporary file of its own: the directory holds the blob and the leftover */
    DIR *d = opendir(dir);
    assert_non_null(d);
    unsigned n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.' || strcmp(e->d_name, ".tmp-AbCdEf") == 0) n++;
    closedir(d);
    assert_int_equal(n, 2);
    mc_buf_free(&out);
}

/* Bad arguments; a read-only store over nothing is empty and takes no puts. */
static void test_bad_args(void **state)
{
    mc_bt *t = *state;
    mc_blob_store *bs = (mc_blob_store *)1;
    assert_rc(mc_store_blob_open(&bs, "", NULL), MC_EINVAL);
    assert_null(bs);
    assert_rc(mc_store_blob_open(&bs, NULL, NULL), MC_EINVAL);
    char *big = malloc(PATH_MAX + 10);
    assert_non_null(big);
    memset(big, 'a', PATH_MAX + 9);
    big[PATH_MAX + 9] = 0;
    assert_rc(mc_store_blob_open(&bs, big, NULL), MC_EINVAL);
    free(big);
    assert_rc(mc_store_blob_open(&bs, "/proc/medchain-no-such/blobs", NULL), MC_EIO);
    mc_store_blob_close(NULL);

    char dir[PATH_MAX];
    mc_blob_opts ro = {.read_only = 1};
    mc_test_path(dir, t->dir, "absent");
    assert_ok(mc_store_blob_open(&bs, dir, &ro));
    assert_rc(mc_store_blob_has(bs, &t->addr), MC_ENOTFOUND);
    assert_rc(mc_store_blob_check(bs, &t->addr), MC_ENOTFOUND);
    assert_rc(mc_store_blob_put(bs, &t->addr, t->data, sizeof t->data, NULL), MC_EINVAL);
    struct stat sb;
    assert_int_not_equal(stat(dir, &sb), 0); /* not created */
    mc_store_blob_close(bs);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, mc_bt_setup, mc_bt_teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_put, mc_bt_setup, mc_bt_teardown),
        cmocka_unit_test_setup_teardown(test_batch, mc_bt_setup, mc_bt_teardown),
        cmocka_unit_test_setup_teardown(test_wrong_address, mc_bt_setup, mc_bt_teardown),
        cmocka_unit_test_setup_teardown(test_flipped_byte, mc_bt_setup, mc_bt_teardown),
        cmocka_unit_test_setup_teardown(test_leftover_temp, mc_bt_setup, mc_bt_teardown),
        cmocka_unit_test_setup_teardown(test_bad_args, mc_bt_setup, mc_bt_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
