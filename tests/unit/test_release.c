/* test_release — what a release records and the live report compares with
 * it: SHA-256 against the FIPS 180-2 vectors, the tables' digest (equal
 * numbers give equal digests whatever the clock or the name, any changed
 * cell a different one), and the two keys render_json_release adds to a
 * report's JSON (still valid JSON, the other keys untouched). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "render.h"
#include "sha256.h"
#include "tables.h"

static void test_sha256_vectors(void **state)
{
    (void)state;
    char hex[SHA256_HEX_LEN + 1];
    sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void sample(struct report *r)
{
    memset(r, 0, sizeof *r);
    strcpy(r->agency, "gz-a");
    r->year = 2019;
    r->received[0] = 52;
    r->fee_fen = 602170000;
    r->cases[0][1] = 1;
}

static void test_tables_digest(void **state)
{
    (void)state;
    struct report a, b;
    sample(&a);
    sample(&b);
    char da[SHA256_HEX_LEN + 1], db[SHA256_HEX_LEN + 1];
    render_tables_sha256(&a, da);
    render_tables_sha256(&b, db);
    assert_string_equal(da, db);
    assert_int_equal(strlen(da), SHA256_HEX_LEN);
    b.received[0]++; /* one cell */
    render_tables_sha256(&b, db);
    assert_string_not_equal(da, db);
    b.received[0]--;
    b.case_rule = CASE_RULE_HANDLED; /* the same numbers under the other rule are other tables */
    render_tables_sha256(&b, db);
    assert_string_not_equal(da, db);
}

static void test_json_release_keys(void **state)
{
    (void)state;
    struct report r;
    sample(&r);
    struct buf b = {0};
    render_report(&r, "某厅", FORMAT_JSON, 0, &b);
    json_t *before = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(before);
    render_json_release(&b, 3, 1);
    json_t *after = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(after);
    assert_int_equal(json_integer_value(json_object_get(after, "released")), 3);
    assert_true(json_is_true(json_object_get(after, "changed_since_release")));
    json_object_del(after, "released");
    json_object_del(after, "changed_since_release");
    assert_true(json_equal(before, after));
    assert_int_equal(b.data[b.len - 1], '\n');
    json_decref(before);
    json_decref(after);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_tables_digest),
        cmocka_unit_test(test_json_release_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
