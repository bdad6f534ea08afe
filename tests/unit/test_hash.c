/* test_hash — keyed hashing (lib/core/hash.c): SipHash-2-4 against the reference
 * vector, key128_of under the process key (a publisher who knows the code
 * but not the key cannot compute, hence cannot collide, the keys of its
 * ids: issue 12), and the key's round trip, which the aggregator's
 * checkpoint relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "hash.h"

static const uint8_t reference_key[HASH_KEY_LEN] = {0, 1, 2, 3, 4, 5, 6, 7,
                                                    8, 9, 10, 11, 12, 13, 14, 15};

static void test_siphash_reference_vector(void **state)
{
    (void)state;
    /* SipHash-2-4, key 00..0f, message 00..0e: a129ca6149be45e5 (the paper's
     * appendix). hash_keyed64 takes the first 8 bytes as its tag word. */
    hash_key_set(reference_key);
    uint8_t m[15];
    for (int i = 0; i < 15; i++)
        m[i] = (uint8_t)i;
    uint64_t tag;
    memcpy(&tag, m, 8);
    assert_true(hash_keyed64(m + 8, 7, tag) == 0xa129ca6149be45e5ULL);
}

static void test_keys_depend_on_the_process_key(void **state)
{
    (void)state;
    hash_key_set(reference_key);
    struct key128 a = key128_of(1, 2, "app-1"), again = key128_of(1, 2, "app-1");
    assert_true(a.a == again.a && a.b == again.b);
    struct key128 ns = key128_of(2, 2, "app-1"), tag = key128_of(1, 3, "app-1");
    assert_false(a.a == ns.a && a.b == ns.b);
    assert_false(a.a == tag.a && a.b == tag.b);
    assert_false(a.a == a.b); /* two independent halves */
    uint8_t other[HASH_KEY_LEN];
    memcpy(other, reference_key, sizeof other);
    other[0] ^= 1;
    hash_key_set(other);
    struct key128 b = key128_of(1, 2, "app-1");
    assert_true(a.a != b.a && a.b != b.b);
    uint8_t got[HASH_KEY_LEN];
    hash_key_get(got);
    assert_memory_equal(got, other, sizeof got);
    /* A random key is a fresh one. */
    assert_int_equal(hash_key_random(), 0);
    hash_key_get(got);
    assert_memory_not_equal(got, other, sizeof got);
    hash_key_set(reference_key);
    struct key128 back = key128_of(1, 2, "app-1");
    assert_true(a.a == back.a && a.b == back.b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_reference_vector),
        cmocka_unit_test(test_keys_depend_on_the_process_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
