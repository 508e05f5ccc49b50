#include "schema_change.hpp"

#include "../text_util.hpp"

#include <fmt/format.h>

namespace copper::replay {

namespace {

bool is_struct(const nlohmann::json& type) { return type.is_object() && type.contains("fields"); }

// A field type as people write it: "f64", "vector<u8>", "array<f32, 3>", or
// the struct's name.
std::string type_text(const nlohmann::json& type) {
  if (type.is_string()) return type.get<std::string>();
  if (is_struct(type)) return type.value("name", "struct");
  if (type.contains("vector")) return fmt::format("vector<{}>", type_text(type["vector"]));
  if (type.contains("array")) return fmt::format("array<{}, {}>", type_text(type["array"]), type.value("size", 0));
  return type.dump();
}

const nlohmann::json* field_named(const nlohmann::json& schema, const std::string& name) {
  for (const auto& field : schema["fields"])
    if (field.value("name", "") == name) return &field;
  return nullptr;
}

std::string joined(const std::string& prefix, const std::string& name) { return prefix.empty() ? name : prefix + "." + name; }

void diff_structs(const nlohmann::json& recorded, const nlohmann::json& current, const std::string& prefix,
                  SchemaDifference& out) {
  for (const auto& field : recorded["fields"]) {
    const std::string name = field.value("name", "");
    const nlohmann::json* now = field_named(current, name);
    if (now == nullptr) {
      out.removed.push_back(fmt::format("{} ({})", joined(prefix, name), type_text(field["type"])));
    } else if (field["type"] == (*now)["type"]) {
      ++out.shared;
    } else if (is_struct(field["type"]) && is_struct((*now)["type"])) {
      diff_structs(field["type"], (*now)["type"], joined(prefix, name), out);
    } else {
      out.retyped.push_back(
          fmt::format("{} ({} -> {})", joined(prefix, name), type_text(field["type"]), type_text((*now)["type"])));
    }
  }
  for (const auto& field : current["fields"])
    if (field_named(recorded, field.value("name", "")) == nullptr)
      out.added.push_back(fmt::format("{} ({})", joined(prefix, field.value("name", "")), type_text(field["type"])));
}

}  // namespace

std::string SchemaDifference::describe() const {
  std::vector<std::string> parts;
  for (const auto& f : added) parts.push_back("field " + f.substr(0, f.find(' ')) + " added" + f.substr(f.find(' ')));
  for (const auto& f : removed) parts.push_back("field " + f.substr(0, f.find(' ')) + " removed" + f.substr(f.find(' ')));
  for (const auto& f : retyped) parts.push_back("field " + f.substr(0, f.find(' ')) + " retyped" + f.substr(f.find(' ')));
  if (parts.empty()) return "the fields are the same, but their order or the type's name differs";
  return detail::join(parts, "; ");
}

SchemaDifference diff_schemas(const nlohmann::json& recorded, const nlohmann::json& current) {
  SchemaDifference out;
  if (is_struct(recorded) && is_struct(current)) diff_structs(recorded, current, "", out);
  return out;
}

nlohmann::json shared_fields(const nlohmann::json& value, const nlohmann::json& recorded, const nlohmann::json& current) {
  nlohmann::json out = nlohmann::json::object();
  if (!value.is_object() || !is_struct(recorded) || !is_struct(current)) return out;
  for (const auto& field : current["fields"]) {
    const std::string name = field.value("name", "");
    const nlohmann::json* was = field_named(recorded, name);
    auto it = value.find(name);
    if (was == nullptr || it == value.end()) continue;
    if ((*was)["type"] == field["type"])
      out[name] = *it;
    else if (is_struct((*was)["type"]) && is_struct(field["type"]))
      out[name] = shared_fields(*it, (*was)["type"], field["type"]);
  }
  return out;
}

Result<SlotMigration> SlotMigration::make(const nlohmann::json& recorded_schema, const MessageType& current) {
  auto decoder = MessageDecoder::compile(recorded_schema);
  if (!decoder) return decoder.status();
  return SlotMigration(recorded_schema, current, std::move(*decoder));
}

SlotMigration::SlotMigration(nlohmann::json recorded_schema, const MessageType& current, MessageDecoder decoder)
    : recorded_schema_(std::move(recorded_schema)), current_(&current), decoder_(std::move(decoder)) {
  void* fresh = current.create();
  defaults_ = current.to_json(fresh);
  current.destroy(fresh);
}

Result<nlohmann::json> SlotMigration::recorded_shared(std::span<const uint8_t> bytes) const {
  auto recorded = decoder_.decode(bytes);
  if (!recorded) return recorded.status();
  return shared_fields(*recorded, recorded_schema_, current_->schema);
}

nlohmann::json SlotMigration::current_shared(const void* message) const {
  return shared_fields(current_->to_json(message), recorded_schema_, current_->schema);
}

namespace {

// `base` with every member of `overlay` put in, recursively for objects.
void overlay_into(nlohmann::json& base, const nlohmann::json& overlay) {
  for (const auto& [key, value] : overlay.items()) {
    if (value.is_object() && base.contains(key) && base[key].is_object())
      overlay_into(base[key], value);
    else
      base[key] = value;
  }
}

}  // namespace

Status SlotMigration::rebuild(std::span<const uint8_t> bytes, void* message) const {
  auto shared = recorded_shared(bytes);
  if (!shared) return shared.status();
  nlohmann::json value = defaults_;
  overlay_into(value, *shared);
  return current_->from_json(value, message);
}

}  // namespace copper::replay
