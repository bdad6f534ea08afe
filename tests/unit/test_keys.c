/* test_keys — the allowlist parser: every rejection path, comments, the
 * wildcard, lookup and retirement across a reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "keys.h"

/* Valid Z85 public keys (from zmq_curve_keypair). */
#define KA "yNcap}TXEvC1oJ66Bga?@!F(m@rWz<W!:xUitG<D"
#define KB "/]OXwydbH4v&fkr56]qdvrGl@QNGk=<rz.:lNPFU"
#define KC "Cp^?c6OV!J)[5U1/I[$zz=G]&PPW$lm]2CsWh>Ox"

static struct keyring *parse(const char *text, char *err)
{
    err[0] = '\0';
    return keyring_parse(text, strlen(text), "allow", err, 300);
}

static void test_valid(void **state)
{
    (void)state;
    char err[300];
    struct keyring *r = parse("# comment\n\n"
                              KA "  pub-a  publisher  sec-a sec-b  # trailing\n"
                              KB " dash dashboard\n"
                              "#" KA " commented-out publisher x\n"
                              KC "\tall\tpublisher\t*\r\n",
                              err);
    assert_non_null(r);
    assert_int_equal(keyring_count(r, ROLE_PUBLISHER), 2);
    assert_int_equal(keyring_count(r, ROLE_DASHBOARD), 1);
    const struct key_entry *a = keyring_find(r, KA);
    assert_non_null(a);
    assert_string_equal(a->name, "pub-a");
    assert_true(key_may_write(a, "sec-a"));
    assert_true(key_may_write(a, "sec-b"));
    assert_false(key_may_write(a, "sec-c"));
    char list[64];
    key_agencies_text(a, list, sizeof list);
    assert_string_equal(list, "sec-a sec-b");
    const struct key_entry *b = keyring_find(r, KB);
    assert_non_null(b);
    assert_int_equal(b->role, ROLE_DASHBOARD);
    assert_false(key_may_write(b, "sec-a"));
    assert_true(key_may_write(keyring_find(r, KC), "anything"));
    assert_null(keyring_find(r, "nope"));
    assert_null(keyring_find(r, NULL));
    keyring_unref(&r);
    assert_null(r);
}

static void expect_error(const char *text, const char *needle)
{
    char err[300];
    struct keyring *r = parse(text, err);
    if (r || !strstr(err, needle))
        fail_msg("text %s: expected an error containing \"%s\", got \"%s\"", text, needle, err);
}

static void test_errors(void **state)
{
    (void)state;
    expect_error("short pub-a publisher a\n", "allow:1: key: \"short\"");
    expect_error(KA " pub-a\n", "allow:1: expected PUBLIC-KEY NAME ROLE");
    expect_error(KA " -bad publisher a\n", "name: \"-bad\"");
    expect_error(KA " pub-a admin\n", "role: \"admin\"");
    expect_error(KA " pub-a publisher\n", "lists no agency (write * to allow every agency)");
    expect_error(KA " dash dashboard sec-a\n", "a dashboard key takes no agencies");
    expect_error(KA " pub-a publisher Sec-A\n", "agency: \"Sec-A\"");
    expect_error(KA " pub-a publisher gz-*\n", "agency: \"gz-*\"");
    expect_error(KA " a publisher x\n" KA " b publisher y\n", "allow:2: key of \"b\" is already listed as \"a\"");
    expect_error(KA " a publisher x\n" KC " a publisher y\n", "allow:2: name: \"a\" is already used");
    char withnul[] = KA " a publisher x\0more\n";
    char err[300];
    assert_null(keyring_parse(withnul, sizeof withnul - 1, "allow", err, sizeof err));
    assert_non_null(strstr(err, "NUL"));
}

static void test_retire(void **state)
{
    (void)state;
    char err[300];
    struct keyring *old = parse(KA " pub-a publisher sec-a\n" KB " dash dashboard\n", err);
    struct keyring *next = parse(KB " dash dashboard\n", err);
    keyring_retire(next, old);
    const struct key_entry *a = keyring_find(next, KA);
    assert_non_null(a);
    assert_int_equal(a->role, ROLE_RETIRED);
    assert_string_equal(a->name, "pub-a");
    assert_false(key_may_write(a, "sec-a"));
    /* Retired keys carry over further reloads, and a re-added key is active again. */
    struct keyring *third = parse(KB " dash dashboard\n" KA " pub-a2 publisher sec-a\n", err);
    keyring_retire(third, next);
    assert_int_equal(keyring_find(third, KA)->role, ROLE_PUBLISHER);
    assert_int_equal(keyring_count(third, ROLE_RETIRED), 0);
    struct keyring *held = keyring_ref(old);
    keyring_unref(&old);
    assert_non_null(keyring_find(held, KA)); /* still alive: one reference left */
    keyring_unref(&held);
    keyring_unref(&next);
    keyring_unref(&third);
}

static void test_names(void **state)
{
    (void)state;
    assert_true(key_name_valid("gz-sthjt-oa.2026@prov"));
    assert_false(key_name_valid(""));
    assert_false(key_name_valid(".x"));
    assert_false(key_name_valid("a b"));
    char long_name[70];
    memset(long_name, 'a', 65);
    long_name[65] = '\0';
    assert_false(key_name_valid(long_name));
    assert_string_equal(key_role_name(ROLE_AGGREGATOR), "aggregator");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_retire),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
