// The protobuf image schemas: one table per message, from which both the
// descriptor set and the encoder are made, so the two cannot disagree.
#include "protobuf.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../text_util.hpp"
#include "copper/base64.hpp"

namespace copper::foxglove {

using ::copper::detail::fail;
using nlohmann::json;

namespace {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// FieldDescriptorProto.Type and .Label values (google/protobuf/descriptor.proto).
enum DescriptorType : uint8_t {
  kTypeDouble = 1,
  kTypeInt64 = 3,
  kTypeInt32 = 5,
  kTypeFixed32 = 7,
  kTypeString = 9,
  kTypeMessage = 11,
  kTypeBytes = 12,
};
enum DescriptorLabel : uint8_t { kOptional = 1, kRepeated = 3 };

// What a field holds, as the view's JSON gives it.
enum class FieldKind : uint8_t {
  timestamp,  // {"sec", "nsec"}: google.protobuf.Timestamp {seconds, nanos}
  text,       // string
  count,      // fixed32
  number,     // double
  numbers,    // repeated double (packed)
  bytes,      // bytes: a binary value or base64 text
  message,    // another message of the table, named by ProtoField::message
};

struct ProtoField {
  std::string_view name;
  uint32_t number;
  FieldKind kind;
  std::string_view message = "";  // FieldKind::message: its schema name ("foxglove.Pose")
};

struct ProtoMessage {
  std::string_view schema_name;  // "foxglove.RawImage": package "foxglove", message "RawImage"
  std::string_view file;         // its .proto file's name, as Foxglove's
  std::vector<ProtoField> fields;
};

constexpr std::string_view kTimestampFile = "google/protobuf/timestamp.proto";

// In the order Foxglove's .proto files declare them. The first ones are
// written as messages of their own (writes_protobuf); Pose, Vector3 and
// Quaternion only inside them.
constexpr size_t kTopLevelMessages = 3;
const std::vector<ProtoMessage>& messages() {
  static const std::vector<ProtoMessage> kMessages = {
      {"foxglove.RawImage",
       "foxglove/RawImage.proto",
       {{"timestamp", 1, FieldKind::timestamp},
        {"frame_id", 7, FieldKind::text},
        {"width", 2, FieldKind::count},
        {"height", 3, FieldKind::count},
        {"encoding", 4, FieldKind::text},
        {"step", 5, FieldKind::count},
        {"data", 6, FieldKind::bytes}}},
      {"foxglove.CompressedImage",
       "foxglove/CompressedImage.proto",
       {{"timestamp", 1, FieldKind::timestamp},
        {"frame_id", 4, FieldKind::text},
        {"data", 2, FieldKind::bytes},
        {"format", 3, FieldKind::text}}},
      {"foxglove.LaserScan",
       "foxglove/LaserScan.proto",
       {{"timestamp", 1, FieldKind::timestamp},
        {"frame_id", 2, FieldKind::text},
        {"pose", 3, FieldKind::message, "foxglove.Pose"},
        {"start_angle", 4, FieldKind::number},
        {"end_angle", 5, FieldKind::number},
        {"ranges", 6, FieldKind::numbers},
        {"intensities", 7, FieldKind::numbers}}},
      {"foxglove.Pose",
       "foxglove/Pose.proto",
       {{"position", 1, FieldKind::message, "foxglove.Vector3"},
        {"orientation", 2, FieldKind::message, "foxglove.Quaternion"}}},
      {"foxglove.Vector3",
       "foxglove/Vector3.proto",
       {{"x", 1, FieldKind::number}, {"y", 2, FieldKind::number}, {"z", 3, FieldKind::number}}},
      {"foxglove.Quaternion",
       "foxglove/Quaternion.proto",
       {{"x", 1, FieldKind::number},
        {"y", 2, FieldKind::number},
        {"z", 3, FieldKind::number},
        {"w", 4, FieldKind::number}}},
  };
  return kMessages;
}

const ProtoMessage* find_message(std::string_view schema_name) {
  for (const ProtoMessage& message : messages())
    if (message.schema_name == schema_name) return &message;
  return nullptr;
}

// ---- the wire format -----------------------------------------------------

class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}

  void varint(uint32_t number, uint64_t value) {
    if (value == 0) return;
    key(number, kVarint);
    put_varint(value);
  }
  void fixed32(uint32_t number, uint32_t value) {
    if (value == 0) return;
    key(number, kFixed32);
    put_little_endian(value, 4);
  }
  void float64(uint32_t number, double value) {
    if (value == 0 && !std::signbit(value)) return;
    key(number, kFixed64);
    put_little_endian(std::bit_cast<uint64_t>(value), 8);
  }
  void packed_float64(uint32_t number, const json& values) {
    if (values.empty()) return;
    key(number, kLengthDelimited);
    put_varint(values.size() * 8);
    for (const json& value : values) put_little_endian(std::bit_cast<uint64_t>(value.get<double>()), 8);
  }
  void bytes(uint32_t number, std::string_view value) {
    if (value.empty()) return;
    message(number, value);
  }
  // A nested message: written even when empty, so that it is present.
  void message(uint32_t number, std::string_view encoded) {
    key(number, kLengthDelimited);
    put_varint(encoded.size());
    out_ += encoded;
  }

 private:
  void key(uint32_t number, WireType type) { put_varint(uint64_t{number} << 3 | type); }
  void put_varint(uint64_t value) {
    for (; value >= 0x80; value >>= 7) out_ += static_cast<char>((value & 0x7f) | 0x80);
    out_ += static_cast<char>(value);
  }
  void put_little_endian(uint64_t value, int size) {
    for (int i = 0; i < size; ++i) out_ += static_cast<char>((value >> (8 * i)) & 0xff);
  }
  std::string& out_;
};

// ---- descriptors ---------------------------------------------------------

DescriptorType descriptor_type(FieldKind kind) {
  switch (kind) {
    case FieldKind::timestamp:
    case FieldKind::message: return kTypeMessage;
    case FieldKind::text: return kTypeString;
    case FieldKind::count: return kTypeFixed32;
    case FieldKind::number:
    case FieldKind::numbers: return kTypeDouble;
    case FieldKind::bytes: return kTypeBytes;
  }
  return kTypeBytes;
}

// FieldDescriptorProto: name 1, number 3, label 4, type 5, type_name 6
// (fully qualified: ".foxglove.Pose").
std::string field_descriptor(std::string_view name, uint32_t number, DescriptorType type,
                             DescriptorLabel label = kOptional, std::string_view type_name = "") {
  std::string out;
  WireWriter w(out);
  w.bytes(1, name);
  w.varint(3, number);
  w.varint(4, label);
  w.varint(5, type);
  if (!type_name.empty()) w.bytes(6, fmt::format(".{}", type_name));
  return out;
}

std::string field_descriptor(const ProtoField& field) {
  const std::string_view type_name = field.kind == FieldKind::timestamp ? "google.protobuf.Timestamp" : field.message;
  return field_descriptor(field.name, field.number, descriptor_type(field.kind),
                          field.kind == FieldKind::numbers ? kRepeated : kOptional, type_name);
}

// DescriptorProto: name 1, field 2.
std::string message_descriptor(std::string_view name, const std::vector<std::string>& fields) {
  std::string out;
  WireWriter w(out);
  w.bytes(1, name);
  for (const std::string& field : fields) w.message(2, field);
  return out;
}

// FileDescriptorProto: name 1, package 2, dependency 3, message_type 4,
// syntax 12.
std::string file_descriptor(std::string_view file, std::string_view package,
                            const std::vector<std::string_view>& dependencies, const std::string& message) {
  std::string out;
  WireWriter w(out);
  w.bytes(1, file);
  w.bytes(2, package);
  for (std::string_view dependency : dependencies) w.bytes(3, dependency);
  w.message(4, message);
  w.bytes(12, "proto3");
  return out;
}

// google.protobuf.Timestamp: seconds (int64) 1, nanos (int32) 2.
std::string timestamp_file() {
  const std::string message = message_descriptor(
      "Timestamp", {field_descriptor("seconds", 1, kTypeInt64), field_descriptor("nanos", 2, kTypeInt32)});
  return file_descriptor(kTimestampFile, "google.protobuf", {}, message);
}

std::string message_file(const ProtoMessage& message) {
  std::vector<std::string> fields;
  std::vector<std::string_view> dependencies;
  for (const ProtoField& field : message.fields) {
    fields.push_back(field_descriptor(field));
    const std::string_view file = field.kind == FieldKind::timestamp ? kTimestampFile
                                  : field.kind == FieldKind::message ? find_message(field.message)->file
                                                                     : std::string_view();
    if (!file.empty() && std::find(dependencies.begin(), dependencies.end(), file) == dependencies.end())
      dependencies.push_back(file);
  }
  const std::string_view name = message.schema_name;
  const size_t dot = name.find('.');
  return file_descriptor(message.file, name.substr(0, dot), dependencies,
                         message_descriptor(name.substr(dot + 1), fields));
}

// Every file `message` needs, each after the files it imports.
void add_files(const ProtoMessage& message, std::vector<std::string_view>& added, std::string& set) {
  if (std::find(added.begin(), added.end(), message.file) != added.end()) return;
  WireWriter w(set);
  for (const ProtoField& field : message.fields) {
    if (field.kind == FieldKind::message) add_files(*find_message(field.message), added, set);
    if (field.kind == FieldKind::timestamp && std::find(added.begin(), added.end(), kTimestampFile) == added.end()) {
      added.push_back(kTimestampFile);
      w.message(1, timestamp_file());
    }
  }
  added.push_back(message.file);
  w.message(1, message_file(message));
}

// FileDescriptorSet: file 1.
std::string descriptor_set(const ProtoMessage& message) {
  std::vector<std::string_view> added;
  std::string set;
  add_files(message, added, set);
  return set;
}

// ---- messages ------------------------------------------------------------

Status write_message(const ProtoMessage& message, const json& view, WireWriter& w);

bool all_numbers(const json& values) {
  return values.is_array() &&
         std::all_of(values.begin(), values.end(), [](const json& v) { return v.is_number() && !v.is_boolean(); });
}

Status write_field(const ProtoField& field, const json& value, WireWriter& w) {
  switch (field.kind) {
    case FieldKind::timestamp: {
      if (!value.is_object() || !value.contains("sec") || !value.contains("nsec")) break;
      std::string encoded;  // 22 bytes at most: no allocation
      WireWriter nested(encoded);
      nested.varint(1, static_cast<uint64_t>(value["sec"].get<int64_t>()));
      nested.varint(2, static_cast<uint64_t>(value["nsec"].get<int64_t>()));
      w.message(field.number, encoded);
      return {};
    }
    case FieldKind::message: {
      if (!value.is_object()) break;
      std::string encoded;
      WireWriter nested(encoded);
      if (Status s = write_message(*find_message(field.message), value, nested); !s.ok()) return s;
      w.message(field.number, encoded);
      return {};
    }
    case FieldKind::text:
      if (!value.is_string()) break;
      w.bytes(field.number, value.get_ref<const std::string&>());
      return {};
    case FieldKind::count:
      if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<int64_t>() < 0) ||
          value.get<uint64_t>() > UINT32_MAX)
        break;
      w.fixed32(field.number, value.get<uint32_t>());
      return {};
    case FieldKind::number:
      if (!value.is_number() || value.is_boolean()) break;
      w.float64(field.number, value.get<double>());
      return {};
    case FieldKind::numbers:
      if (!all_numbers(value)) break;
      w.packed_float64(field.number, value);
      return {};
    case FieldKind::bytes:
      if (value.is_binary()) {
        const auto& run = value.get_binary();
        w.bytes(field.number, {reinterpret_cast<const char*>(run.data()), run.size()});
        return {};
      }
      if (!value.is_string()) break;
      auto run = base64_decode(value.get_ref<const std::string&>());
      if (!run.ok()) return run.status();
      w.bytes(field.number, {reinterpret_cast<const char*>(run->data()), run->size()});
      return {};
  }
  return fail(StatusCode::invalid_argument, "\"{}\" is missing or not what protobuf field {} holds", field.name,
              field.number);
}

Status write_message(const ProtoMessage& message, const json& view, WireWriter& w) {
  static const json kAbsent;
  for (const ProtoField& field : message.fields) {
    const auto value = view.find(field.name);
    if (Status s = write_field(field, value == view.end() ? kAbsent : *value, w); !s.ok()) return s;
  }
  return {};
}

}  // namespace

bool writes_protobuf(std::string_view schema_name) {
  for (size_t i = 0; i < kTopLevelMessages; ++i)
    if (messages()[i].schema_name == schema_name) return true;
  return false;
}

const std::string& protobuf_descriptor_set(std::string_view schema_name) {
  static const std::vector<std::string> kSets = [] {
    std::vector<std::string> sets;
    for (size_t i = 0; i < kTopLevelMessages; ++i) sets.push_back(descriptor_set(messages()[i]));
    return sets;
  }();
  static const std::string kNone;
  for (size_t i = 0; i < kTopLevelMessages; ++i)
    if (messages()[i].schema_name == schema_name) return kSets[i];
  return kNone;
}

Status append_protobuf(std::string_view schema_name, const json& view, std::string& out) {
  if (!writes_protobuf(schema_name))
    return fail(StatusCode::invalid_argument, "copper does not write {} as protobuf", schema_name);
  const size_t size_before = out.size();
  WireWriter w(out);
  if (Status s = write_message(*find_message(schema_name), view, w); !s.ok()) {
    out.resize(size_before);
    return fail(StatusCode::invalid_argument, "{} as protobuf: {}", schema_name, s.message());
  }
  return {};
}

}  // namespace copper::foxglove
