// Foxglove's sensor schemas (foxglove.RawImage, foxglove.CompressedImage,
// foxglove.LaserScan) as protobuf messages, for the MCAP export.
//
// Why: JSON text has no bytes. An image on a JSON channel is its pixels as
// base64, a third larger, and zstd then spends most of its time undoing
// exactly that: it brings the rover camera's base64 back to about the
// pixels' size (x1.43) at some 400 MB/s a core, more than all the rest of
// the export. As protobuf the image carries its pixels as they are, and a
// scan its ranges as packed doubles rather than seventeen-digit texts.
// Only these views are written so; the others stay JSON, which every tool
// reads as text (docs/mcap-export.md, docs/decisions.md).
//
// The wire format (protobuf.dev/programming-guides/encoding): a message is
// a run of fields, each a key varint (field number << 3 | wire type) then
// its value: a varint (wire type 0); 8 bytes little-endian (1: double); a
// varint length then that many bytes (2: strings, bytes, nested messages,
// packed repeated doubles); 4 bytes little-endian (5: fixed32). A proto3
// field at its default (0, "", nothing) may be left out, and copper leaves
// it out; a nested message (timestamp, pose) is always written. Field
// names, numbers and types are Foxglove's (foxglove-sdk,
// schemas/proto/foxglove/*.proto); the MCAP test decodes every image and
// scan with the definition Foxglove's own @foxglove/schemas generates and
// compares.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "copper/status.hpp"

namespace copper::foxglove {

// Whether copper writes the well-known schema `schema_name`
// ("foxglove.RawImage") as protobuf.
bool writes_protobuf(std::string_view schema_name);

// The serialized FileDescriptorSet (google/protobuf/descriptor.proto) of
// `schema_name` and the file it imports, as MCAP's "protobuf" schema
// encoding carries it; empty for a schema not written as protobuf.
const std::string& protobuf_descriptor_set(std::string_view schema_name);

// Appends the protobuf encoding of `view`, a message of `schema_name` as
// Mapping::convert builds it: {"timestamp": {"sec", "nsec"}, ...}, its
// byte run binary (decoded with BytesAs::binary) or base64. On error
// (invalid_argument: not a protobuf schema, a field missing or of another
// type) `out` is left as it was.
Status append_protobuf(std::string_view schema_name, const nlohmann::json& view, std::string& out);

}  // namespace copper::foxglove
