/* util: error names, bounded buffers, hex, integers, clocks, logging, files, parsing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static void test_errors(void **state)
{
    (void)state;
    assert_string_equal(mc_errname(MC_OK), "OK");
    assert_string_equal(mc_errname(MC_EINVAL), "EINVAL");
    assert_string_equal(mc_errname(MC_ECLOSED), "ECLOSED");
    assert_string_equal(mc_strerror(MC_ETIMEDOUT), "timed out");
    for (int rc = 0; rc < MC_ERR_COUNT_; rc++) {
        const char *name = mc_errname(rc), *text = mc_strerror(rc);
        assert_non_null(name);
        assert_non_null(text);
        assert_true(strlen(text) > 0);
        if (rc) assert_true(name[0] == 'E');
        /* names are stable identifiers: all different */
        for (int j = 0; j < rc; j++) assert_string_not_equal(mc_errname(j), name);
    }
    assert_string_equal(mc_errname(-1), "EUNKNOWN");
    assert_string_equal(mc_errname(MC_ERR_COUNT_), "EUNKNOWN");
    assert_string_equal(mc_strerror(-7), "unknown error");
    assert_string_equal(mc_strerror(MC_ERR_COUNT_ + 100), "unknown error");
}

static void test_buf_append_and_cap(void **state)
{
    (void)state;
    mc_buf b;
    mc_buf_init(&b, 10);
    assert_null(b.p);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.max, 10);
    assert_ok(mc_buf_append(&b, "hello", 5));
    assert_ok(mc_buf_append(&b, "", 0));
    assert_ok(mc_buf_append(&b, NULL, 0));
    assert_ok(mc_buf_append(&b, "world", 5));
    assert_int_equal(b.n, 10);
    assert_memory_equal(b.p, "helloworld", 10);
    /* past the cap: refused, unchanged */
    assert_rc(mc_buf_append(&b, "!", 1), MC_ETOOBIG);
    assert_int_equal(b.n, 10);
    assert_memory_equal(b.p, "helloworld", 10);
    assert_rc(mc_buf_reserve(&b, 1), MC_ETOOBIG);
    assert_ok(mc_buf_reserve(&b, 0));
    /* exactly full still takes a C string terminator */
    assert_ok(mc_buf_cstr(&b));
    assert_string_equal((char *)b.p, "helloworld");
    assert_int_equal(b.n, 10);
    mc_buf_reset(&b);
    assert_int_equal(b.n, 0);
    assert_non_null(b.p);
    assert_ok(mc_buf_append(&b, "x", 1));
    mc_buf_free(&b);
    assert_null(b.p);
    assert_int_equal(b.n, 0);
    assert_int_equal(b.cap, 0);
    mc_buf_free(&b); /* twice is harmless */

    /* a zero cap takes nothing but the empty append */
    mc_buf_init(&b, 0);
    assert_ok(mc_buf_append(&b, "", 0));
    assert_rc(mc_buf_append(&b, "a", 1), MC_ETOOBIG);
    assert_rc(mc_buf_reserve(&b, SIZE_MAX), MC_ETOOBIG);
    mc_buf_free(&b);

    /* a huge request on a large cap must not overflow the size arithmetic */
    mc_buf_init(&b, SIZE_MAX / 2);
    assert_ok(mc_buf_append(&b, "abc", 3));
    assert_rc(mc_buf_reserve(&b, SIZE_MAX / 2), MC_ETOOBIG);
    assert_rc(mc_buf_reserve(&b, SIZE_MAX), MC_ETOOBIG);
    assert_int_equal(b.n, 3);
    mc_buf_free(&b);
}

static void test_buf_growth(void **state)
{
    (void)state;
    mc_buf b;
    mc_buf_init(&b, 100000);
    uint8_t chunk[333];
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (uint8_t)i;
    size_t total = 0;
    while (mc_buf_append(&b, chunk, sizeof chunk) == MC_OK) total += sizeof chunk;
    assert_int_equal(total, 100000 / 333 * 333);
    assert_int_equal(b.n, total);
    assert_true(b.cap >= b.n);
    assert_true(b.cap <= b.max + 1);
    for (size_t i = 0; i < total; i++) assert_int_equal(b.p[i], (uint8_t)(i % 333));
    mc_buf_free_wipe(&b);
    assert_null(b.p);
    assert_int_equal(b.n, 0);
    mc_buf_free_wipe(&b); /* empty is harmless */
}

static void test_buf_max_size_max(void **state)
{
    (void)state;
    /* a cap of SIZE_MAX must not wrap the capacity clamp to 0 */
    mc_buf b;
    mc_buf_init(&b, SIZE_MAX);
    assert_ok(mc_buf_append(&b, "abc", 3));
    assert_true(b.cap > b.n);
    assert_memory_equal(b.p, "abc", 3);
    mc_buf_free(&b);
}

static void test_buf_printf(void **state)
{
    (void)state;
    mc_buf b;
    mc_buf_init(&b, 16);
    assert_ok(mc_buf_printf(&b, "%d-%s", 42, "ab"));
    assert_ok(mc_buf_printf(&b, "%s", ""));
    assert_int_equal(b.n, 5);
    assert_ok(mc_buf_cstr(&b));
    assert_string_equal((char *)b.p, "42-ab");
    assert_ok(mc_buf_printf(&b, "%05u", 7u));
    assert_int_equal(b.n, 10);
    assert_memory_equal(b.p, "42-ab00007", 10);
    /* 7 more bytes would pass the cap of 16: refused and unchanged */
    assert_rc(mc_buf_printf(&b, "%s", "1234567"), MC_ETOOBIG);
    assert_int_equal(b.n, 10);
    assert_ok(mc_buf_printf(&b, "%s", "123456"));
    assert_int_equal(b.n, 16);
    assert_ok(mc_buf_cstr(&b));
    assert_string_equal((char *)b.p, "42-ab00007123456");
    mc_buf_free(&b);

    mc_buf_init(&b, 0);
    assert_ok(mc_buf_cstr(&b)); /* room for the NUL is always kept */
    assert_string_equal((char *)b.p, "");
    mc_buf_free(&b);
}

static void test_hex(void **state)
{
    (void)state;
    const uint8_t bytes[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char hex[2 * sizeof bytes + 1];
    mc_hex_encode(hex, bytes, sizeof bytes);
    assert_string_equal(hex, "00017f80abff");
    mc_hex_encode(hex, bytes, 0);
    assert_string_equal(hex, "");

    uint8_t out[6];
    assert_ok(mc_hex_decode(out, 6, "00017f80abff", 12));
    assert_memory_equal(out, bytes, 6);
    assert_ok(mc_hex_decode(out, 6, "00017F80ABFF", 12));
    assert_memory_equal(out, bytes, 6);
    assert_ok(mc_hex_decode(out, 0, "", 0));
    /* hexlen counts, not the NUL: extra characters after 2n are outside the input */
    assert_ok(mc_hex_decode(out, 2, "abcdef", 4));
    assert_memory_equal(out, "\xab\xcd", 2);

    static const char *const bad[] = {"00017f80abfg", "0x017f80abff", " 0017f80abff",
                                      "00017f80ab f", "00017f80ab-f", "zz017f80abff"};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        memset(out, 0xee, sizeof out);
        assert_rc(mc_hex_decode(out, 6, bad[i], 12), MC_EINVAL);
        for (size_t j = 0; j < 6; j++) assert_int_equal(out[j], 0); /* zeroed on failure */
    }
    memset(out, 0xee, sizeof out);
    assert_rc(mc_hex_decode(out, 6, "00017f80abf", 11), MC_EINVAL); /* odd / short */
    assert_int_equal(out[0], 0);
    assert_rc(mc_hex_decode(out, 6, "00017f80abff00", 14), MC_EINVAL); /* long */
    assert_rc(mc_hex_decode(out, 5, "00017f80abff", 12), MC_EINVAL);
    assert_rc(mc_hex_decode(out, 6, NULL, 12), MC_EINVAL);
}

static void test_be_integers(void **state)
{
    (void)state;
    uint8_t b[8];
    mc_put_u64be(b, 0x0102030405060708ull);
    assert_memory_equal(b, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    assert_true(mc_get_u64be(b) == 0x0102030405060708ull);
    mc_put_u64be(b, UINT64_MAX);
    assert_true(mc_get_u64be(b) == UINT64_MAX);
    mc_put_u32be(b, 0xdeadbeef);
    assert_memory_equal(b, "\xde\xad\xbe\xef", 4);
    assert_int_equal(mc_get_u32be(b), 0xdeadbeef);
    mc_put_u32be(b, 0);
    assert_int_equal(mc_get_u32be(b), 0);
}

static void test_time(void **state)
{
    (void)state;
    uint64_t now = mc_time_now_ms();
    assert_true(now > 1600000000000ull); /* after 2020 */
    assert_true(now < 4102444800000ull); /* before 2100 */
    uint64_t a = mc_time_mono_ns(), b = mc_time_mono_ns();
    assert_true(b >= a);
    uint64_t m0 = mc_time_mono_ms();
    usleep(20000);
    uint64_t m1 = mc_time_mono_ms();
    assert_true(m1 - m0 >= 19 && m1 - m0 < 5000);
    assert_true(mc_time_mono_ns() / 1000000u >= m1);
}

/* Runs mc_log with stderr redirected to a file and returns what it wrote. */
static void mc_capture_log(char *out, size_t cap, int level, const char *msg)
{
    char dir[PATH_MAX], path[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_test_path(path, dir, "stderr");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    assert_true(dup2(fd, 2) >= 0);
    close(fd);
    mc_log(level, "unit", "%s", msg);
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    mc_buf b;
    mc_buf_init(&b, cap - 1);
    assert_ok(mc_file_read(path, &b));
    memcpy(out, b.p ? (char *)b.p : "", b.n);
    out[b.n] = 0;
    mc_buf_free(&b);
    mc_test_rmtree(dir);
}

static void test_log(void **state)
{
    (void)state;
    assert_int_equal(mc_log_parse_level("debug"), MC_LOG_DEBUG);
    assert_int_equal(mc_log_parse_level("info"), MC_LOG_INFO);
    assert_int_equal(mc_log_parse_level("warn"), MC_LOG_WARN);
    assert_int_equal(mc_log_parse_level("error"), MC_LOG_ERROR);
    assert_int_equal(mc_log_parse_level("INFO"), -1);
    assert_int_equal(mc_log_parse_level(""), -1);
    assert_int_equal(mc_log_parse_level("trace"), -1);
    assert_int_equal(mc_log_parse_level(NULL), -1);

    char line[2048];
    mc_log_set_level(MC_LOG_INFO);
    mc_capture_log(line, sizeof line, MC_LOG_WARN, "block applied\nforged line\r");
    /* one event, one line: embedded newlines are folded */
    assert_non_null(strstr(line, " WARN  unit: block applied forged line "));
    assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
    assert_true(line[4] == '-' && line[10] == 'T' && line[23] == 'Z'); /* ISO 8601 UTC time */

    mc_capture_log(line, sizeof line, MC_LOG_DEBUG, "hidden");
    assert_string_equal(line, "");
    mc_capture_log(line, sizeof line, 99, "bad level");
    assert_string_equal(line, "");
    mc_capture_log(line, sizeof line, -1, "bad level");
    assert_string_equal(line, "");
    mc_log_set_level(MC_LOG_DEBUG);
    mc_capture_log(line, sizeof line, MC_LOG_DEBUG, "shown");
    assert_non_null(strstr(line, "DEBUG unit: shown\n"));

    /* an over-long message is cut, still one terminated line */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    mc_capture_log(line, sizeof line, MC_LOG_ERROR, big);
    assert_true(strlen(line) < 1100);
    assert_int_equal(line[strlen(line) - 1], '\n');
    assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
    mc_log_set_level(MC_LOG_INFO);
}

static void test_files(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX], sub[PATH_MAX];
    mc_test_tmpdir(dir);
    mc_test_path(path, dir, "f");
    mc_buf b;
    mc_buf_init(&b, 1 << 20);

    assert_rc(mc_file_read(path, &b), MC_ENOTFOUND);
    assert_ok(mc_file_write_atomic(path, "secret", 6, 0600));
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_ok(mc_file_read(path, &b));
    assert_int_equal(b.n, 6);
    assert_memory_equal(b.p, "secret", 6);
    /* reading appends */
    assert_ok(mc_file_read(path, &b));
    assert_int_equal(b.n, 12);
    /* replacing is atomic and leaves no temporary file behind */
    assert_ok(mc_file_write_atomic(path, "", 0, 0644));
    assert_int_equal(mc_test_file_size(path), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    mc_buf_reset(&b);
    assert_ok(mc_file_read(path, &b));
    assert_int_equal(b.n, 0);

    /* a file larger than the buffer's cap */
    uint8_t big[100000];
    memset(big, 0x5a, sizeof big);
    assert_ok(mc_file_write_atomic(path, big, sizeof big, 0600));
    mc_buf small;
    mc_buf_init(&small, sizeof big - 1);
    assert_rc(mc_file_read(path, &small), MC_ETOOBIG);
    mc_buf_free(&small);
    mc_buf_reset(&b);
    assert_ok(mc_file_read(path, &b));
    assert_int_equal(b.n, sizeof big);
    assert_memory_equal(b.p, big, sizeof big);

    /* a directory is not a readable file; a missing parent cannot take a file */
    mc_buf_reset(&b);
    assert_rc(mc_file_read(dir, &b), MC_EIO);
    mc_test_path(sub, dir, "missing/f");
    assert_rc(mc_file_write_atomic(sub, "x", 1, 0600), MC_EIO);

    /* directories: nested creation, idempotent, sync */
    mc_test_path(sub, dir, "a/b/c");
    assert_ok(mc_dir_make(sub));
    assert_ok(mc_dir_make(sub));
    assert_int_equal(stat(sub, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    assert_ok(mc_dir_sync(sub));
    mc_test_path(sub, dir, "nope");
    assert_rc(mc_dir_sync(sub), MC_EIO);
    /* a path through a regular file cannot be made */
    mc_test_path(sub, dir, "f/x");
    assert_rc(mc_dir_make(sub), MC_EIO);

    /* a relative path writes into the current directory */
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    assert_ok(mc_file_write_atomic("rel", "r", 1, 0600));
    assert_int_equal(chdir(cwd), 0);
    mc_test_path(sub, dir, "rel");
    assert_int_equal(mc_test_file_size(sub), 1);

    mc_buf_free(&b);
    mc_test_rmtree(dir);
}

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v = 99;
    assert_ok(mc_parse_u64("0", &v));
    assert_true(v == 0);
    assert_ok(mc_parse_u64("18446744073709551615", &v));
    assert_true(v == UINT64_MAX);
    assert_ok(mc_parse_u64("007", &v));
    assert_true(v == 7);
    static const char *const bad[] = {
        "", "18446744073709551616", "99999999999999999999", "-1", "+1", " 1", "1 ", "12a", "0x10", "1.5"};
    for (size_t i = 0; i < MC_ARRAY_LEN(bad); i++) {
        v = 99;
        assert_rc(mc_parse_u64(bad[i], &v), MC_EINVAL);
        assert_true(v == 0);
    }
    assert_rc(mc_parse_u64(NULL, &v), MC_EINVAL);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_buf_append_and_cap),
        cmocka_unit_test(test_buf_growth),  cmocka_unit_test(test_buf_max_size_max),
        cmocka_unit_test(test_buf_printf),  cmocka_unit_test(test_hex),
        cmocka_unit_test(test_be_integers), cmocka_unit_test(test_time),
        cmocka_unit_test(test_log),         cmocka_unit_test(test_files),
        cmocka_unit_test(test_parse_u64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
