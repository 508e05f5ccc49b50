// Compact JSON text for the tools' outputs: the same bytes as
// json::dump(-1, ' ', false, error_handler_t::replace), faster on the long
// strings of plain ASCII that exports are made of (base64 images, ids).
// nlohmann's serializer walks every byte of every string through its UTF-8
// checker, which was about half of an export's time.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace copper::logtool {

// Appends `value` to `out`.
void append_json(std::string& out, const nlohmann::json& value);

// `value` as text.
std::string json_text(const nlohmann::json& value);

}  // namespace copper::logtool
