/* codec — struct ev ⇄ gongkai.v1.Event protobuf bytes.
 *
 * codec_decode() validates exactly as jsonl_parse() does (ev_finish), plus
 * what protobuf lets through: unknown field numbers (unknown_field), enum
 * numbers outside the schema (bad_value / unknown_type), strings that are not
 * UTF-8 (bad_value); undecodable bytes are bad_protobuf.
 *
 * codec_encode() writes the canonical form of a finished event: the bytes the
 * event log stores, the feed carries, and whose hash decides duplicate versus
 * conflict. Canonical: occurred_at in UTC, count always present, as_review_body
 * only when true, fields in field-number order (protobuf-c's order).
 */
#ifndef GK_CODEC_H
#define GK_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

int codec_decode(const uint8_t *buf, size_t len, struct ev *e, struct ev_error *err);
/* Encodes into buf (cap ≥ codec_max_size()); returns the length. */
size_t codec_encode(const struct ev *e, uint8_t *buf, size_t cap);
size_t codec_max_size(void);

#endif
