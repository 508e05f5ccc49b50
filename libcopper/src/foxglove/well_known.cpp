// The well-known schemas as mappings see them: the targets each takes,
// the rules across them, and how one message becomes the Foxglove message
// (docs/foxglove.md has the same table for users).
#include <algorithm>
#include <cmath>
#include <limits>

#include "../text_util.hpp"
#include "mapping.hpp"
#include "mapping_spec.hpp"

namespace copper::foxglove::detail {

using ::copper::detail::fail;

namespace {

using nlohmann::json;

// ---- reading values ------------------------------------------------------

std::string describe(const Source& source) {
  return source.is_constant() ? std::string("the constant") : fmt::format("field \"{}\"", source.field);
}

}  // namespace

Result<const json*> Values::lookup(std::string_view target) const {
  auto it = sources_.find(target);
  if (it == sources_.end()) return nullptr;
  const Source& source = it->second;
  if (source.is_constant()) return &source.constant;
  const json* at = &message_;
  for (const PathStep& step : source.path) {
    if (!at->is_object() || !at->contains(step.field))
      return fail(StatusCode::invalid_argument, "\"{}\": the message has no field \"{}\"", target, source.field);
    at = &(*at)[step.field];
    if (step.index < 0) continue;
    if (!at->is_array() || static_cast<size_t>(step.index) >= at->size())
      return fail(StatusCode::invalid_argument, "\"{}\": field \"{}\" has no element {}", target, source.field,
                  step.index);
    at = &(*at)[static_cast<size_t>(step.index)];
  }
  return at;
}

Result<uint64_t> Values::count(std::string_view target, uint64_t fallback) const {
  auto value = lookup(target);
  if (!value.ok()) return value.status();
  if (*value == nullptr) return fallback;
  const json& v = **value;
  if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0) ||
      v.get<uint64_t>() > std::numeric_limits<uint32_t>::max())
    return fail(StatusCode::invalid_argument, "\"{}\": {} is {}, not a count in [0, 2^32-1]", target,
                describe(sources_.find(target)->second), v.dump());
  return v.get<uint64_t>();
}

Result<double> Values::number(std::string_view target, double fallback) const {
  auto value = lookup(target);
  if (!value.ok()) return value.status();
  if (*value == nullptr) return fallback;
  const Source& source = sources_.find(target)->second;
  const json& v = **value;
  if (!v.is_number() || v.is_boolean())
    return fail(StatusCode::invalid_argument, "\"{}\": {} is {}, not a finite number", target, describe(source),
                v.dump());
  const double scaled = v.get<double>() * source.scale + source.offset;
  if (!std::isfinite(scaled))
    return fail(StatusCode::invalid_argument, "\"{}\": {} is not finite", target, describe(source));
  return scaled;
}

Result<std::string> Values::text(std::string_view target, const std::string& fallback) const {
  auto value = lookup(target);
  if (!value.ok()) return value.status();
  if (*value == nullptr) return fallback;
  if (!(*value)->is_string())
    return fail(StatusCode::invalid_argument, "\"{}\": {} is not a string", target,
                describe(sources_.find(target)->second));
  return (*value)->get<std::string>();
}

Result<const json*> Values::bytes(std::string_view target) const {
  auto value = lookup(target);
  if (!value.ok()) return value.status();
  if (*value == nullptr || !((*value)->is_string() || (*value)->is_binary()))
    return fail(StatusCode::invalid_argument,
                "\"{}\": field \"{}\" is not a byte run (decode with BytesAs::base64 or BytesAs::binary)", target,
                sources_.find(target)->second.field);
  return *value;
}

Result<json> Values::take_bytes(std::string_view target) const {
  auto run = bytes(target);
  if (!run.ok()) return run.status();
  const std::string& field = sources_.find(target)->second.field;
  const bool shared = std::count_if(sources_.begin(), sources_.end(), [&](const auto& source) {
                        return !source.second.is_constant() && source.second.field == field;
                      }) > 1;
  if (!given_up_ || shared) return **run;
  // bytes() found it inside message_ (a byte run is never a constant),
  // which the caller has given up: const here only as Values reads it.
  return std::move(const_cast<json&>(**run));
}

Result<std::vector<double>> Values::numbers(std::string_view target) const {
  auto value = lookup(target);
  if (!value.ok()) return value.status();
  std::vector<double> out;
  if (*value == nullptr) return out;
  const Source& source = sources_.find(target)->second;
  if (!(*value)->is_array())
    return fail(StatusCode::invalid_argument, "\"{}\": field \"{}\" is not an array", target, source.field);
  out.reserve((*value)->size());
  for (const json& element : **value) {
    if (element.is_null()) {
      out.push_back(std::numeric_limits<double>::quiet_NaN());
    } else if (element.is_number() && !element.is_boolean()) {
      out.push_back(element.get<double>() * source.scale + source.offset);
    } else {
      return fail(StatusCode::invalid_argument, "\"{}\": field \"{}\" holds {}, not numbers", target, source.field,
                  element.dump());
    }
  }
  return out;
}

namespace {

// ---- poses ---------------------------------------------------------------

// Every schema with a pose takes it the same way: a position (x, y, z:
// 0 unless given) and an orientation, either a yaw about +z in radians
// (planar robots) or a full quaternion, else the identity.
const std::vector<Target> kPoseTargets = {
    {"x", Kind::number},  {"y", Kind::number},  {"z", Kind::number},  {"yaw", Kind::number},
    {"qx", Kind::number}, {"qy", Kind::number}, {"qz", Kind::number}, {"qw", Kind::number},
};

std::string pose_rules(const Sources& sources, std::string& target) {
  int quaternion = 0;
  for (const char* q : {"qw", "qz", "qy", "qx"}) {
    if (sources.count(q) == 0) continue;
    quaternion += 1;
    target = q;  // the first given, for the error's JSON path
  }
  if (quaternion != 0 && quaternion != 4) {
    return "an orientation quaternion needs all of \"qx\", \"qy\", \"qz\" and \"qw\"";
  }
  if (quaternion == 4 && sources.count("yaw") != 0) {
    target = "yaw";
    return "give the orientation as \"yaw\" or as \"qx\"..\"qw\", not both";
  }
  return "";
}

Result<json> position(const Values& values) {
  json out = json::object();
  for (const char* axis : {"x", "y", "z"}) {
    auto v = values.number(axis, 0);
    if (!v.ok()) return v.status();
    out[axis] = *v;
  }
  return out;
}

Result<json> orientation(const Values& values) {
  if (values.has("yaw")) {
    auto yaw = values.number("yaw", 0);
    if (!yaw.ok()) return yaw.status();
    return json{{"x", 0.0}, {"y", 0.0}, {"z", std::sin(*yaw / 2)}, {"w", std::cos(*yaw / 2)}};
  }
  json out = json::object();
  for (const auto& [key, axis] : {std::pair{"qx", "x"}, {"qy", "y"}, {"qz", "z"}, {"qw", "w"}}) {
    auto v = values.number(key, axis == std::string_view("w") ? 1.0 : 0.0);
    if (!v.ok()) return v.status();
    out[axis] = *v;
  }
  return out;
}

Result<json> pose(const Values& values) {
  auto p = position(values);
  if (!p.ok()) return p.status();
  auto o = orientation(values);
  if (!o.ok()) return o.status();
  return json{{"position", std::move(*p)}, {"orientation", std::move(*o)}};
}

std::vector<Target> with_pose(std::vector<Target> targets) {
  targets.insert(targets.end(), kPoseTargets.begin(), kPoseTargets.end());
  return targets;
}

// Reads every target a builder needs into the JSON it builds; the first
// error stops.
struct Builder {
  explicit Builder(const Values& v) : values(v) {}
  const Values& values;
  json out = json::object();
  Status status;

  void count(const char* name, const char* target, uint64_t fallback = 0) {
    if (!status.ok()) return;
    auto v = values.count(target, fallback);
    if (v.ok())
      out[name] = *v;
    else
      status = v.status();
  }
  void number(const char* name, const char* target, double fallback = 0) {
    if (!status.ok()) return;
    auto v = values.number(target, fallback);
    if (v.ok())
      out[name] = *v;
    else
      status = v.status();
  }
  void text(const char* name, const char* target, const std::string& fallback = "") {
    if (!status.ok()) return;
    auto v = values.text(target, fallback);
    if (v.ok())
      out[name] = std::move(*v);
    else
      status = v.status();
  }
  void bytes(const char* name, const char* target) {
    if (!status.ok()) return;
    auto v = values.take_bytes(target);
    if (v.ok())
      out[name] = std::move(*v);
    else
      status = v.status();
  }
  void add(const char* name, Result<json> value) {
    if (!status.ok()) return;
    if (value.ok())
      out[name] = std::move(*value);
    else
      status = value.status();
  }
  Result<json> done() { return status.ok() ? Result<json>(std::move(out)) : Result<json>(status); }
};

// ---- RawImage ------------------------------------------------------------

std::string raw_image_rules(const Sources& sources, std::string& target) {
  auto encoding = sources.find("encoding");
  if (sources.count("step") == 0 && encoding != sources.end() && encoding->second.is_constant() &&
      bytes_per_pixel(encoding->second.constant.get<std::string>()) == 0) {
    target = "encoding";
    return fmt::format("encoding {}: copper does not know its bytes per pixel; give \"step\"",
                       encoding->second.constant.dump());
  }
  return "";
}

Result<json> build_raw_image(const Values& values, int64_t time_ns) {
  Builder b{values};
  b.out["timestamp"] = timestamp(time_ns);
  b.text("frame_id", "frame_id");
  b.count("width", "width");
  b.count("height", "height");
  b.text("encoding", "encoding");
  b.bytes("data", "data");
  if (!b.status.ok()) return b.status;
  const uint64_t width = b.out["width"], height = b.out["height"];
  const uint32_t pixel = bytes_per_pixel(b.out["encoding"].get<std::string>());
  if (!values.has("step") && pixel == 0)
    return fail(StatusCode::invalid_argument, "encoding \"{}\" is unknown and no \"step\" is mapped",
                b.out["encoding"].get<std::string>());
  b.count("step", "step", width * pixel);
  if (!b.status.ok()) return b.status;
  const uint64_t step = b.out["step"], size = byte_run_size(b.out["data"]);
  if (step > std::numeric_limits<uint32_t>::max())
    return fail(StatusCode::invalid_argument, "step {} (width {} * {} bytes per pixel) exceeds 2^32-1", step, width,
                pixel);
  if (step < width * pixel)
    return fail(StatusCode::invalid_argument, "step {} is less than width {} * {} bytes per pixel", step, width, pixel);
  if (height != 0 && step > size / height)  // size < step * height, without overflow
    return fail(StatusCode::invalid_argument, "data has {} bytes, fewer than height {} * step {}", size, height, step);
  return b.done();
}

// ---- CompressedImage -----------------------------------------------------

Result<json> build_compressed_image(const Values& values, int64_t time_ns) {
  Builder b{values};
  b.out["timestamp"] = timestamp(time_ns);
  b.text("frame_id", "frame_id");
  b.bytes("data", "data");
  b.text("format", "format");
  return b.done();
}

// ---- LaserScan -----------------------------------------------------------

std::string laser_scan_rules(const Sources& sources, std::string& target) {
  if ((sources.count("end_angle") != 0) == (sources.count("angle_increment") != 0)) {
    target = "end_angle";
    return "give exactly one of \"end_angle\" and \"angle_increment\"";
  }
  return pose_rules(sources, target);
}

// foxglove.LaserScan has no range limits and JSON no infinity: a range
// outside [range_min, range_max] or not finite is written as 0.
Result<json> scan_ranges(const Values& values) {
  auto ranges = values.numbers("ranges");
  if (!ranges.ok()) return ranges.status();
  auto low = values.number("range_min", -std::numeric_limits<double>::max());
  if (!low.ok()) return low.status();
  auto high = values.number("range_max", std::numeric_limits<double>::max());
  if (!high.ok()) return high.status();
  for (double& range : *ranges)
    if (!std::isfinite(range) || range < *low || range > *high) range = 0;
  return json(*ranges);
}

Result<json> scan_intensities(const Values& values) {
  auto intensities = values.numbers("intensities");
  if (!intensities.ok()) return intensities.status();
  for (double& intensity : *intensities)
    if (!std::isfinite(intensity)) intensity = 0;
  return json(*intensities);
}

Result<json> build_laser_scan(const Values& values, int64_t time_ns) {
  Builder b{values};
  b.out["timestamp"] = timestamp(time_ns);
  b.text("frame_id", "frame_id");
  b.add("pose", pose(values));
  b.number("start_angle", "start_angle");
  b.add("ranges", scan_ranges(values));
  b.add("intensities", scan_intensities(values));
  if (!b.status.ok()) return b.status;
  if (values.has("end_angle")) {
    b.number("end_angle", "end_angle");
  } else {
    auto increment = values.number("angle_increment", 0);
    if (!increment.ok()) return increment.status();
    const size_t beams = b.out["ranges"].size();
    b.out["end_angle"] = b.out["start_angle"].get<double>() + *increment * (beams == 0 ? 0.0 : beams - 1.0);
  }
  return b.done();
}

// ---- PoseInFrame, FrameTransform -----------------------------------------

Result<json> build_pose_in_frame(const Values& values, int64_t time_ns) {
  Builder b{values};
  b.out["timestamp"] = timestamp(time_ns);
  b.text("frame_id", "frame_id");
  b.add("pose", pose(values));
  return b.done();
}

Result<json> build_frame_transform(const Values& values, int64_t time_ns) {
  Builder b{values};
  b.out["timestamp"] = timestamp(time_ns);
  b.text("parent_frame_id", "parent_frame_id");
  b.text("child_frame_id", "child_frame_id");
  b.add("translation", position(values));
  b.add("rotation", orientation(values));
  return b.done();
}

// ---- Log -----------------------------------------------------------------

Result<json> build_log(const Values& values, int64_t time_ns) {
  Builder b{values};
  b.out["timestamp"] = timestamp(time_ns);
  b.count("level", "level", 2);
  b.text("message", "message");
  b.text("name", "name");
  b.text("file", "file");
  b.count("line", "line");
  if (b.status.ok() && b.out["level"] > 5)
    return fail(StatusCode::invalid_argument, "\"level\": {} is not a Foxglove log level (0..5)",
                b.out["level"].dump());
  return b.done();
}

const std::vector<SchemaSpec>& specs() {
  static const std::vector<SchemaSpec> kSpecs = {
      {"foxglove.RawImage",
       "/image",
       {{"frame_id", Kind::text},
        {"width", Kind::count},
        {"height", Kind::count},
        {"encoding", Kind::text},
        {"step", Kind::count},
        {"data", Kind::bytes}},
       {"width", "height", "encoding", "data"},
       &raw_image_rules,
       &build_raw_image},
      {"foxglove.CompressedImage",
       "/image",
       {{"frame_id", Kind::text}, {"data", Kind::bytes}, {"format", Kind::text}},
       {"data", "format"},
       nullptr,
       &build_compressed_image},
      {"foxglove.LaserScan",
       "/scan",
       with_pose({{"frame_id", Kind::text},
                  {"ranges", Kind::numbers},
                  {"intensities", Kind::numbers},
                  {"start_angle", Kind::number},
                  {"end_angle", Kind::number},
                  {"angle_increment", Kind::number},
                  {"range_min", Kind::number},
                  {"range_max", Kind::number}}),
       {"frame_id", "ranges", "start_angle"},
       &laser_scan_rules,
       &build_laser_scan},
      {"foxglove.PoseInFrame",
       "/pose",
       with_pose({{"frame_id", Kind::text}}),
       {"frame_id"},
       &pose_rules,
       &build_pose_in_frame},
      {"foxglove.FrameTransform",
       "/tf",
       with_pose({{"parent_frame_id", Kind::text}, {"child_frame_id", Kind::text}}),
       {"parent_frame_id", "child_frame_id"},
       &pose_rules,
       &build_frame_transform},
      {"foxglove.Log",
       "/log",
       {{"level", Kind::count},
        {"message", Kind::text},
        {"name", Kind::text},
        {"file", Kind::text},
        {"line", Kind::count}},
       {"message"},
       nullptr,
       &build_log},
  };
  return kSpecs;
}

}  // namespace

const Target* SchemaSpec::find(std::string_view target) const {
  for (const Target& t : targets)
    if (t.name == target) return &t;
  return nullptr;
}

const SchemaSpec* find_spec(std::string_view schema_name) {
  for (const SchemaSpec& spec : specs())
    if (spec.name == schema_name) return &spec;
  return nullptr;
}

std::vector<std::string> spec_names() {
  std::vector<std::string> names;
  for (const SchemaSpec& spec : specs()) names.emplace_back(spec.name);
  return names;
}

uint32_t bytes_per_pixel(std::string_view encoding) {
  static const std::map<std::string_view, uint32_t> kSizes = {
      {"mono8", 1},  {"8UC1", 1},  {"bayer_bggr8", 1}, {"bayer_gbrg8", 1}, {"bayer_grbg8", 1}, {"bayer_rggb8", 1},
      {"mono16", 2}, {"16UC1", 2}, {"uyvy", 2},        {"yuv422", 2},      {"yuyv", 2},        {"yuv422_yuy2", 2},
      {"rgb8", 3},   {"bgr8", 3},  {"8UC3", 3},        {"rgba8", 4},       {"bgra8", 4},       {"32FC1", 4},
  };
  auto it = kSizes.find(encoding);
  return it == kSizes.end() ? 0 : it->second;
}

uint64_t base64_size(std::string_view text) {
  uint64_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  return text.size() / 4 * 3 - padding;
}

uint64_t byte_run_size(const json& run) {
  return run.is_binary() ? run.get_binary().size() : base64_size(run.get_ref<const std::string&>());
}

std::string pointer_token(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

}  // namespace copper::foxglove::detail
