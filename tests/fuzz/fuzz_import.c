/* fuzz_import — libFuzzer target over the report importer
 * (reportimport_parse), by content: HTML pages (libxml2, htmltext.c) and
 * every text form (issue 13: "the importer never crashes or hangs on any
 * file"). For any bytes: no crash, no sanitizer finding, and exactly one of
 * a report (an object with the three tables and the year) or an error with
 * a message. Seeds: tests/fuzz/corpus-import (a document page, a browser
 * copy, one cell per line). */
#include <assert.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "reportimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reportimport_options opt = {.agency = "fuzz", .year = 0, .case_rule = NULL};
    struct reportimport_error err = {0};
    json_t *r = reportimport_parse((const char *)data, size, &opt, &err);
    if (r) {
        assert(json_is_object(r));
        assert(json_object_get(r, "active_disclosure") && json_object_get(r, "applications") &&
               json_object_get(r, "reviews_litigation"));
        assert(json_is_integer(json_object_get(r, "year")));
        assert(!err.message);
        json_decref(r);
    } else {
        assert(err.message && *err.message);
        reportimport_error_clear(&err);
    }
    return 0;
}
