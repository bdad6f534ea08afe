/* test_enum_table — the enum table of proto/PROTOCOL.md is the code's: for
 * every enum of gongkai.proto, every value's number, proto name and the JSON
 * code the codec maps it to (lib/model/event.c's names, by number) stand in
 * the table as one row, and the table has no other row. A client written
 * from the document alone maps every value as intake does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "event.h"
#include "gongkai.pb-c.h"

struct pair {
    const ProtobufCEnumDescriptor *d;
    int field; /* enum ev_field, or -1 for the event type */
};

static void test_table_is_the_code(void **state)
{
    (void)state;
    size_t len = 0;
    char *doc = buf_read_file("proto/PROTOCOL.md", &len);
    assert_non_null(doc);
    const struct pair enums[] = {
        {&gongkai__v1__event_type__descriptor, -1},
        {&gongkai__v1__applicant__descriptor, F_APPLICANT},
        {&gongkai__v1__outcome__descriptor, F_OUTCOME},
        {&gongkai__v1__document_kind__descriptor, F_DOCUMENT_KIND},
        {&gongkai__v1__item_kind__descriptor, F_ITEM_KIND},
        {&gongkai__v1__result__descriptor, F_RESULT},
        {&gongkai__v1__route__descriptor, F_ROUTE},
        {&gongkai__v1__channel__descriptor, F_CHANNEL},
    };
    size_t rows = 0;
    for (size_t k = 0; k < sizeof enums / sizeof enums[0]; k++) {
        const ProtobufCEnumDescriptor *d = enums[k].d;
        int n;
        const char *const *names = enums[k].field < 0 ? ev_type_names : ev_enum_names(enums[k].field, &n);
        if (enums[k].field < 0)
            n = EV_NTYPES;
        for (unsigned i = 0; i < d->n_values; i++) {
            int v = d->values[i].value;
            if (v == 0)
                continue; /* the *_UNSPECIFIED value: never sent */
            assert_true(v < n && names[v]);
            char row[256];
            snprintf(row, sizeof row, "| `%s` | %d | `%s` | `%s` |", d->short_name, v, d->values[i].name,
                     names[v]);
            if (!strstr(doc, row))
                fail_msg("PROTOCOL.md lacks the row: %s", row);
            rows++;
        }
    }
    /* No row the code does not have. */
    size_t in_doc = 0;
    for (const char *p = doc; (p = strstr(p, "\n| `")) != NULL; p++) {
        const char *eol = strchr(p + 1, '\n');
        int cells = 0;
        for (const char *q = p + 1; q < eol; q++)
            cells += *q == '|';
        const char *second = strstr(p + 1, "` | ");
        if (cells == 5 && second && second < eol && second[4] >= '0' && second[4] <= '9')
            in_doc++;
    }
    assert_int_equal(in_doc, rows);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_table_is_the_code)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
