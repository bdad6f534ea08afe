/* page — the live page: pick an agency and a year, see the three tables. */
#include "page.h"

const char page_html[] =
    "<!doctype html><html lang=zh><head><meta charset=utf-8><title>gongkai</title></head>"
    "<body><h1>gongkai</h1><p>Reports: <code>/v1/reports/{agency}/{year}?format=text</code>, "
    "agencies: <a href=/v1/agencies>/v1/agencies</a>, health: <a href=/healthz>/healthz</a>.</p>"
    "</body></html>\n";
