// Pieces of compact JSON text shared by MessageDecoder::append_json
// (message_json_text.cpp) and the tools' JSON text (tools/json_text.cpp),
// which are built into the same library.
#pragma once

#include <string>
#include <string_view>

namespace copper::detail {

// True when `text` is printable ASCII other than '"' and '\\': JSON takes it
// as is, and so does nlohmann's serializer. Vectorised: base64 images make
// strings of tens of kilobytes.
bool needs_no_escaping(std::string_view text);

// The shortest text std::to_chars gives that reads back as the same double,
// with ".0" added to a whole number so that it reads back as a float, as
// nlohmann writes it; non-finite values as null, as nlohmann dumps them.
// Several times faster than nlohmann's dump on arrays of floats (lidar).
void append_float_text(std::string& out, double value);

}  // namespace copper::detail
