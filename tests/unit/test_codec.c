/* codec: the canonical encoding, its caps, sticky errors and trailing-byte checks. */
#include <string.h>

#include "medchain/codec.h"
#include "testutil.h"

static void test_encode_layout(void **state)
{
    (void)state;
    mc_buf b;
    mc_buf_init(&b, 1024);
    mc_enc e;
    mc_enc_init(&e, &b);
    mc_enc_u8(&e, 0xa5);
    mc_enc_u16(&e, 0x0102);
    mc_enc_u32(&e, 0x03040506);
    mc_enc_u64(&e, 0x0708090a0b0c0d0eull);
    mc_enc_bool(&e, 0);
    mc_enc_bool(&e, 1);
    mc_enc_bool(&e, 42); /* any true value is one byte 1 */
    mc_enc_fixed(&e, "xyz", 3);
    mc_enc_bytes(&e, "hi", 2, 2);
    mc_enc_bytes(&e, NULL, 0, 0);
    mc_enc_str(&e, "abc", 3);
    mc_enc_str(&e, NULL, 0);
    assert_ok(mc_enc_done(&e));
    static const uint8_t want[] = {0xa5, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                   0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0x01, 0x01, 'x',  'y',  'z',  0,
                                   0,    0,    2,    'h',  'i',  0,    0,    0,    0,    0,    0,
                                   0,    3,    'a',  'b',  'c',  0,    0,    0,    0};
    assert_int_equal(b.n, sizeof want);
    assert_memory_equal(b.p, want, sizeof want);
    mc_buf_free(&b);
}

static void test_roundtrip(void **state)
{
    (void)state;
    mc_buf b;
    mc_buf_init(&b, 1024);
    mc_enc e;
    mc_enc_init(&e, &b);
    uint64_t u64s[] = {0, 1, 0xff, 0x100, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX};
    for (size_t i = 0; i < MC_ARRAY_LEN(u64s); i++) {
        mc_enc_u8(&e, (uint8_t)u64s[i]);
        mc_enc_u16(&e, (uint16_t)u64s[i]);
        mc_enc_u32(&e, (uint32_t)u64s[i]);
        mc_enc_u64(&e, u64s[i]);
    }
    mc_enc_bool(&e, 1);
    mc_enc_bytes(&e, "payload", 7, 100);
    mc_enc_str(&e, "name with spaces ~", 64);
    mc_enc_fixed(&e, "0123456789abcdef0123456789abcdef", 32);
    mc_enc_u32(&e, 3); /* a count */
    assert_ok(mc_enc_done(&e));

    mc_dec d;
    mc_dec_init(&d, b.p, b.n);
    for (size_t i = 0; i < MC_ARRAY_LEN(u64s); i++) {
        assert_int_equal(mc_dec_u8(&d), (uint8_t)u64s[i]);
        assert_int_equal(mc_dec_u16(&d), (uint16_t)u64s[i]);
        assert_int_equal(mc_dec_u32(&d), (uint32_t)u64s[i]);
        assert_true(mc_dec_u64(&d) == u64s[i]);
    }
    assert_int_equal(mc_dec_bool(&d), 1);
    mc_slice s = mc_dec_bytes(&d, 7);
    assert_int_equal(s.n, 7);
    assert_memory_equal(s.p, "payload", 7);
    assert_true(s.p > b.p && s.p < b.p + b.n); /* borrowed, not copied */
    char str[19];
    mc_dec_str(&d, str, sizeof str); /* exactly fits: 18 characters and the NUL */
    assert_string_equal(str, "name with spaces ~");
    uint8_t fixed[32];
    mc_dec_fixed(&d, fixed, 32);
    assert_memory_equal(fixed, "0123456789abcdef0123456789abcdef", 32);
    assert_int_equal(mc_dec_left(&d), 4);
    assert_int_equal(mc_dec_count(&d, 3), 3);
    assert_int_equal(mc_dec_left(&d), 0);
    assert_ok(mc_dec_done(&d));
    mc_buf_free(&b);
}

static void test_trailing_bytes(void **state)
{
    (void)state;
    const uint8_t p[] = {0, 0, 0, 7, 9};
    mc_dec d;
    mc_dec_init(&d, p, sizeof p);
    assert_int_equal(mc_dec_u32(&d), 7);
    assert_int_equal(mc_dec_left(&d), 1);
    assert_rc(mc_dec_done(&d), MC_EINVAL); /* one byte left over */
    assert_int_equal(mc_dec_u8(&d), 9);
    assert_ok(mc_dec_done(&d));
    /* an empty input is done at once; NULL is an empty input */
    mc_dec_init(&d, p, 0);
    assert_ok(mc_dec_done(&d));
    mc_dec_init(&d, NULL, 100);
    assert_int_equal(mc_dec_left(&d), 0);
    assert_ok(mc_dec_done(&d));
    assert_int_equal(mc_dec_u8(&d), 0);
    assert_rc(mc_dec_done(&d), MC_EINVAL);
}

static void test_truncated(void **state)
{
    (void)state;
    const uint8_t p[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* every fixed-width read of more bytes than are left fails with EINVAL */
    for (size_t n = 0; n < 8; n++) {
        mc_dec d;
        mc_dec_init(&d, p, n);
        assert_true(mc_dec_u64(&d) == 0);
        assert_rc(mc_dec_done(&d), MC_EINVAL);
        if (n < 4) {
            mc_dec_init(&d, p, n);
            assert_int_equal(mc_dec_u32(&d), 0);
            assert_rc(mc_dec_done(&d), MC_EINVAL);
        }
        if (n < 2) {
            mc_dec_init(&d, p, n);
            assert_int_equal(mc_dec_u16(&d), 0);
            assert_rc(mc_dec_done(&d), MC_EINVAL);
        }
        uint8_t out[8];
        memset(out, 0xee, sizeof out);
        mc_dec_init(&d, p, n);
        mc_dec_fixed(&d, out, 8);
        assert_rc(mc_dec_done(&d), MC_EINVAL);
        for (int i = 0; i < 8; i++) assert_int_equal(out[i], 0); /* zeroed on failure */
    }
    mc_dec d;
    mc_dec_init(&d, p, 0);
    assert_int_equal(mc_dec_u8(&d), 0);
    assert_rc(mc_dec_done(&d), MC_EINVAL);

    /* a length that claims more than is there */
    const uint8_t q[] = {0, 0, 0, 5, 'a', 'b', 'c', 'd'};
    mc_dec_init(&d, q, sizeof q);
    mc_slice s = mc_dec_bytes(&d, 100);
    assert_null(s.p);
    assert_int_equal(s.n, 0);
    assert_rc(mc_dec_done(&d), MC_EINVAL);
    /* a truncated length */
    mc_dec_init(&d, q, 3);
    s = mc_dec_bytes(&d, 100);
    assert_null(s.p);
    assert_rc(mc_dec_done(&d), MC_EINVAL);
    /* a huge length on a short input: refused, nothing read past the end */
    const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 'x'};
    mc_dec_init(&d, huge, sizeof huge);
    s = mc_dec_bytes(&d, SIZE_MAX);
    assert_null(s.p);
    assert_rc(mc_dec_done(&d), MC_EINVAL);
}

static void test_caps(void **state)
{
    (void)state;
    mc_buf b;
    mc_buf_init(&b, 1024);
    mc_enc e;
    /* encoder: over the cap */
    mc_enc_init(&e, &b);
    mc_enc_bytes(&e, "12345", 5, 4);
    assert_rc(mc_enc_done(&e), MC_ETOOBIG);
    assert_int_equal(b.n, 0); /* nothing written, not even the length */
    mc_enc_init(&e, &b);
    mc_enc_str(&e, "12345", 4);
    assert_rc(mc_enc_done(&e), MC_ETOOBIG);
    assert_int_equal(b.n, 0);
    mc_enc_init(&e, &b);
    mc_enc_bytes(&e, "1234", 4, 4); /* exactly at the cap */
    assert_ok(mc_enc_done(&e));
    assert_int_equal(b.n, 8);

    /* decoder: over the cap, checked before reading */
    mc_dec d;
    mc_dec_init(&d, b.p, b.n);
    mc_slice s = mc_dec_bytes(&d, 3);
    assert_null(s.p);
    assert_rc(mc_dec_done(&d), MC_ETOOBIG);
    mc_dec_init(&d, b.p, b.n);
    s = mc_dec_bytes(&d, 4);
    assert_int_equal(s.n, 4);
    assert_ok(mc_dec_done(&d));

    /* strings: cap counts the NUL */
    char out[4];
    mc_dec_init(&d, b.p, b.n);
    strcpy(out, "zz");
    mc_dec_str(&d, out, sizeof out);
    assert_rc(mc_dec_done(&d), MC_ETOOBIG);
    assert_string_equal(out, ""); /* emptied */
    mc_dec_init(&d, b.p, b.n);
    mc_dec_str(&d, out, 0);
    assert_rc(mc_dec_done(&d), MC_ETOOBIG);

    /* counts */
    const uint8_t cnt[] = {0, 0, 1, 0};
    mc_dec_init(&d, cnt, 4);
    assert_int_equal(mc_dec_count(&d, 255), 0);
    assert_rc(mc_dec_done(&d), MC_ETOOBIG);
    mc_dec_init(&d, cnt, 4);
    assert_int_equal(mc_dec_count(&d, 256), 256);
    assert_ok(mc_dec_done(&d));
    mc_dec_init(&d, cnt, 3);
    assert_int_equal(mc_dec_count(&d, 1000), 0);
    assert_rc(mc_dec_done(&d), MC_EINVAL);

    /* the output buffer's own cap bounds the encoding */
    mc_buf small;
    mc_buf_init(&small, 10);
    mc_enc_init(&e, &small);
    mc_enc_u64(&e, 1);
    mc_enc_u32(&e, 2); /* 12 > 10 */
    mc_enc_u8(&e, 3);
    assert_rc(mc_enc_done(&e), MC_ETOOBIG);
    assert_int_equal(small.n, 8);
    mc_buf_free(&small);
    mc_buf_free(&b);
}

static void test_bool_and_strings(void **state)
{
    (void)state;
    const uint8_t bools[] = {0, 1, 2, 0xff};
    mc_dec d;
    for (size_t i = 0; i < sizeof bools; i++) {
        mc_dec_init(&d, &bools[i], 1);
        int v = mc_dec_bool(&d);
        if (bools[i] <= 1) {
            assert_int_equal(v, bools[i]);
            assert_ok(mc_dec_done(&d));
        } else {
            assert_rc(mc_dec_done(&d), MC_EINVAL); /* one encoding per value */
        }
    }
    /* strings must be printable: control bytes, DEL and NUL are refused */
    const uint8_t bad[] = {0x00, 0x01, 0x09, 0x0a, 0x1f, 0x7f};
    for (size_t i = 0; i < sizeof bad; i++) {
        uint8_t p[7] = {0, 0, 0, 3, 'a', bad[i], 'c'};
        char out[16];
        mc_dec_init(&d, p, sizeof p);
        mc_dec_str(&d, out, sizeof out);
        assert_rc(mc_dec_done(&d), MC_EINVAL);
    }
    /* bytes >= 0x80 (UTF-8) and the rest of printable ASCII are fine */
    const uint8_t ok[] = {0, 0, 0, 4, 0xc3, 0xa9, ' ', '~'};
    char out[16];
    mc_dec_init(&d, ok, sizeof ok);
    mc_dec_str(&d, out, sizeof out);
    assert_ok(mc_dec_done(&d));
    assert_string_equal(out, "\xc3\xa9 ~");
    const uint8_t empty[] = {0, 0, 0, 0};
    mc_dec_init(&d, empty, sizeof empty);
    strcpy(out, "old");
    mc_dec_str(&d, out, sizeof out);
    assert_ok(mc_dec_done(&d));
    assert_string_equal(out, "");
}

static void test_sticky_errors(void **state)
{
    (void)state;
    /* decoder: after the first failure nothing is read and the first error stays */
    const uint8_t p[] = {0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    mc_dec d;
    mc_dec_init(&d, p, sizeof p);
    mc_slice s = mc_dec_bytes(&d, 8); /* 9 > 8: ETOOBIG */
    assert_null(s.p);
    size_t off = d.off;
    assert_int_equal(mc_dec_u8(&d), 0);
    assert_int_equal(mc_dec_u32(&d), 0);
    assert_true(mc_dec_u64(&d) == 0);
    assert_int_equal(mc_dec_bool(&d), 0);
    assert_int_equal(mc_dec_count(&d, 100), 0);
    uint8_t f[2] = {9, 9};
    mc_dec_fixed(&d, f, 2);
    assert_int_equal(f[0], 0);
    char str[8] = "x";
    mc_dec_str(&d, str, sizeof str);
    assert_string_equal(str, "");
    mc_dec_fail(&d, MC_EIO); /* does not replace the first error */
    assert_int_equal(d.off, off);
    assert_int_equal(mc_dec_left(&d), 0);
    assert_rc(mc_dec_done(&d), MC_ETOOBIG);

    mc_dec_init(&d, p, sizeof p);
    mc_dec_fail(&d, MC_ENOMEM);
    assert_rc(mc_dec_done(&d), MC_ENOMEM);
    assert_int_equal(mc_dec_u8(&d), 0);
    assert_int_equal(d.off, 0);

    /* encoder: after the first failure nothing more is appended */
    mc_buf b;
    mc_buf_init(&b, 100);
    mc_enc e;
    mc_enc_init(&e, &b);
    mc_enc_u8(&e, 1);
    mc_enc_bytes(&e, "toolong", 7, 3);
    mc_enc_u32(&e, 5);
    mc_enc_fixed(&e, "abc", 3);
    mc_enc_str(&e, "s", 10);
    mc_enc_bool(&e, 1);
    assert_rc(mc_enc_done(&e), MC_ETOOBIG);
    assert_int_equal(b.n, 1);
    mc_buf_free(&b);
}

int main(void)
{
    mc_test_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_layout),  cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_trailing_bytes), cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_caps),           cmocka_unit_test(test_bool_and_strings),
        cmocka_unit_test(test_sticky_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
