/* jsonl — one JSON Lines line of spec/events.md → struct ev.
 *
 * The line is validated completely (ev_finish included). Codes: bad_json
 * (not JSON, not UTF-8, duplicate keys, not an object), unknown_field,
 * unknown_type, missing_field, bad_value. Even on failure, e->event_id holds
 * the event_id when the line had a usable one, so acks can name it.
 */
#ifndef GK_JSONL_H
#define GK_JSONL_H

#include <stddef.h>

#include "event.h"

int jsonl_parse(const char *line, size_t len, struct ev *e, struct ev_error *err);

#endif
