// Inside the foxglove mappings: what each well-known schema takes (its
// targets), where a mapping says each target comes from (a Source), and
// the values read from one decoded message.
//
// A target is one key of the JSON form: given at the mapping's top level
// it is a constant, under "fields" it is read from the message
// (docs/foxglove.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/status.hpp"

namespace copper::foxglove::detail {

// What a target holds, which decides the constants and message fields it
// accepts.
enum class Kind : uint8_t {
  count,    // an integer in [0, 2^32-1] (width, step, line)
  number,   // a finite number; a field may be scaled
  text,     // a string
  bytes,    // a run of bytes (base64 in the decoded message); never a constant
  numbers,  // an array of numbers (ranges); never a constant
};

struct Target {
  std::string_view name;
  Kind kind;
};

// One step of a field path: a field, then optionally an element of it.
struct PathStep {
  std::string field;
  int64_t index = -1;  // >= 0: that element of an array or vector
};

// Where one target's value comes from.
struct Source {
  nlohmann::json constant;     // a constant when not null
  std::string field;           // the field path as written ("pose.x", "accel[2]")
  std::vector<PathStep> path;  // parsed
  double scale = 1;            // value * scale + offset (numbers only)
  double offset = 0;
  std::string pointer;  // where the mapping says so, for errors
  bool is_constant() const { return !constant.is_null(); }
};

using Sources = std::map<std::string, Source, std::less<>>;

// The values of one message, read through a mapping's sources. Errors name
// the target and the field it reads.
class Values {
 public:
  // `given_up`: the caller gives the message up (Mapping::convert of an
  // rvalue), so take_bytes may move byte runs out of it.
  Values(const Sources& sources, const nlohmann::json& message, bool given_up = false)
      : sources_(sources), message_(message), given_up_(given_up) {}

  bool has(std::string_view target) const { return sources_.find(target) != sources_.end(); }
  Result<uint64_t> count(std::string_view target, uint64_t fallback) const;
  Result<double> number(std::string_view target, double fallback) const;
  Result<std::string> text(std::string_view target, const std::string& fallback) const;
  // A byte run: its base64 text (decoded with BytesAs::base64) or a binary
  // value (BytesAs::binary).
  Result<const nlohmann::json*> bytes(std::string_view target) const;
  // The same as a value of its own: moved out of a message given up when
  // no other target reads its field (images: tens of kilobytes), else copied.
  Result<nlohmann::json> take_bytes(std::string_view target) const;
  // Non-finite elements (null in the decoded message) are NaN.
  Result<std::vector<double>> numbers(std::string_view target) const;

 private:
  Result<const nlohmann::json*> lookup(std::string_view target) const;
  const Sources& sources_;
  const nlohmann::json& message_;
  bool given_up_ = false;
};

// A well-known schema as mappings see it.
struct SchemaSpec {
  std::string_view name;          // "foxglove.RawImage"
  std::string_view topic_suffix;  // the default
  std::vector<Target> targets;
  std::vector<std::string_view> required;  // targets a mapping must give
  // Rules across targets, checked when a mapping is parsed: "" or the
  // problem, with the target it concerns in `target`.
  std::string (*rules)(const Sources& sources, std::string& target) = nullptr;
  Result<nlohmann::json> (*build)(const Values& values, int64_t time_ns) = nullptr;

  const Target* find(std::string_view target) const;
};

// A parsed mapping (Mapping::Impl).
struct MappingParts {
  std::string message_type;
  std::string schema_name;
  std::string topic_suffix;
  nlohmann::json form;  // as given
  const SchemaSpec* schema = nullptr;
  Sources sources;
  std::string where;  // "mapping file x.json": errors read "<where> at <pointer>: ..."
};

// nullptr for a schema copper does not map onto.
const SchemaSpec* find_spec(std::string_view schema_name);
std::vector<std::string> spec_names();

// Bytes per pixel of a RawImage encoding; 0 when unknown.
uint32_t bytes_per_pixel(std::string_view encoding);

// The number of bytes a base64 text decodes to (its length must be a
// multiple of 4, as MessageDecoder writes it).
uint64_t base64_size(std::string_view text);
// The number of bytes of a byte run as Values::bytes gives it.
uint64_t byte_run_size(const nlohmann::json& run);

// "~" and "/" escaped, as a JSON pointer token.
std::string pointer_token(std::string_view key);

}  // namespace copper::foxglove::detail
