// Compact JSON text for the tools' outputs: by default the same bytes as
// json::dump(-1, ' ', false, error_handler_t::replace), faster on the long
// strings of plain ASCII that exports are made of (base64 images, ids).
// nlohmann's serializer walks every byte of every string through its UTF-8
// checker, which was about half of an export's time.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace copper::logtool {

// How numbers with a fraction are written: as json::dump writes them, or as
// the shortest text std::to_chars gives (the same double when read back,
// several times faster: the MCAP export's views, whose lidar ranges are
// thousands of floats per scan).
enum class FloatText { dump, shortest };

// Appends `value` to `out`. With FloatText::shortest the text differs from
// dump's in how some floats are spelled (1e+15 for 1000000000000000.0), not
// in any value.
void append_json(std::string& out, const nlohmann::json& value, FloatText floats = FloatText::dump);

// `value` as text.
std::string json_text(const nlohmann::json& value);

}  // namespace copper::logtool
