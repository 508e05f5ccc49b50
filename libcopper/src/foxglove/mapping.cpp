// Mappings of message types onto Foxglove well-known schemas: parsing and
// checking the JSON form (docs/foxglove.md), converting messages, and the
// set that applies to one log. The schemas' own rules live in
// well_known.cpp.
#include "mapping.hpp"

#include <cctype>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "../bounded_input.hpp"
#include "../text_util.hpp"
#include "copper/message_schema.hpp"
#include "mapping_spec.hpp"

namespace copper::foxglove {

using ::copper::detail::fail;
using nlohmann::json;
namespace spec = ::copper::foxglove::detail;

struct Mapping::Impl : spec::MappingParts {};

namespace {

const std::set<std::string_view> kMappingKeys = {"schema", "topic_suffix", "fields"};

// A problem found while parsing, at a JSON pointer below the mapping.
struct Problem {
  std::string pointer;
  std::string text;
};

const char* kind_name(spec::Kind kind) {
  switch (kind) {
    case spec::Kind::count: return "a count (an integer in [0, 2^32-1])";
    case spec::Kind::number: return "a number";
    case spec::Kind::text: return "a string";
    case spec::Kind::bytes: return "a byte run (vector or array of u8)";
    case spec::Kind::numbers: return "an array of numbers";
  }
  return "a value";
}

bool is_identifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// "pose.x", "accel[2]", "items[0].range": fields joined by '.', each with
// at most one [index].
std::optional<std::vector<spec::PathStep>> parse_path(std::string_view text) {
  std::vector<spec::PathStep> steps;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('.', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = text.substr(start, end - start);
    spec::PathStep step;
    if (size_t open = part.find('['); open != std::string_view::npos) {
      std::string_view digits = part.substr(open + 1, part.size() - open - 2);
      if (part.back() != ']' || digits.empty() || digits.size() > 9) return std::nullopt;
      for (char c : digits)
        if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      step.index = std::stoll(std::string(digits));
      part = part.substr(0, open);
    }
    if (!is_identifier(part)) return std::nullopt;
    step.field = std::string(part);
    steps.push_back(std::move(step));
    start = end + 1;
  }
  return steps;
}

std::optional<Problem> parse_constant(const spec::Target& target, const json& value, spec::Source& source) {
  bool fits = false;
  switch (target.kind) {
    case spec::Kind::count:
      fits = value.is_number_integer() && value >= 0 && value <= std::numeric_limits<uint32_t>::max();
      break;
    case spec::Kind::number: fits = value.is_number(); break;
    case spec::Kind::text: fits = value.is_string(); break;
    case spec::Kind::bytes:
    case spec::Kind::numbers:
      return Problem{source.pointer,
                     fmt::format("\"{}\" comes from a message field: give it under \"fields\"", target.name)};
  }
  if (!fits) return Problem{source.pointer, fmt::format("expected {}, got {}", kind_name(target.kind), value.dump())};
  source.constant = value;
  return std::nullopt;
}

std::optional<Problem> parse_field_source(const spec::Target& target, const json& value, spec::Source& source) {
  const json* path = &value;
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      const std::string at = source.pointer + "/" + spec::pointer_token(key);
      if (key != "field" && key != "scale" && key != "offset")
        return Problem{at, "unknown key; a field source has \"field\", \"scale\" and \"offset\""};
      if (key == "field") continue;
      if (target.kind != spec::Kind::number && target.kind != spec::Kind::numbers)
        return Problem{at, fmt::format("only numbers scale; \"{}\" is {}", target.name, kind_name(target.kind))};
      if (!item.is_number()) return Problem{at, fmt::format("expected a number, got {}", item.dump())};
      (key == "scale" ? source.scale : source.offset) = item.get<double>();
    }
    if (!value.contains("field")) return Problem{source.pointer, "a field source needs \"field\""};
    path = &value["field"];
    source.pointer += "/field";
  }
  if (!path->is_string())
    return Problem{source.pointer,
                   fmt::format("expected a field path (\"x\", \"pose.x\", \"accel[2]\") or {{\"field\": ...}}, got {}",
                               path->dump())};
  auto steps = parse_path(path->get<std::string>());
  if (!steps)
    return Problem{source.pointer, fmt::format("{} is not a field path like \"pose.x\" or \"accel[2]\"", path->dump())};
  source.field = path->get<std::string>();
  source.path = std::move(*steps);
  return std::nullopt;
}

std::string target_names(const spec::SchemaSpec& schema) {
  std::vector<std::string> names;
  for (const spec::Target& target : schema.targets) names.emplace_back(target.name);
  return ::copper::detail::join(names, ", ");
}

std::optional<Problem> parse_sources(const json& form, const spec::SchemaSpec& schema, const std::string& base,
                                     spec::Sources& sources) {
  for (const auto& [key, value] : form.items()) {
    if (kMappingKeys.count(key) != 0) continue;
    const spec::Target* target = schema.find(key);
    const std::string at = base + "/" + spec::pointer_token(key);
    if (target == nullptr)
      return Problem{at, fmt::format("{} has no \"{}\"; it takes {}", schema.name, key, target_names(schema))};
    spec::Source& source = sources[key];
    source.pointer = at;
    if (auto problem = parse_constant(*target, value, source)) return problem;
  }
  if (!form.contains("fields")) return std::nullopt;
  const json& fields = form["fields"];
  if (!fields.is_object()) return Problem{base + "/fields", "expected an object of target: message field"};
  for (const auto& [key, value] : fields.items()) {
    const spec::Target* target = schema.find(key);
    const std::string at = base + "/fields/" + spec::pointer_token(key);
    if (target == nullptr)
      return Problem{at, fmt::format("{} has no \"{}\"; it takes {}", schema.name, key, target_names(schema))};
    if (sources.count(key) != 0) return Problem{at, fmt::format("\"{}\" is also given as a constant", key)};
    spec::Source& source = sources[key];
    source.pointer = at;
    if (auto problem = parse_field_source(*target, value, source)) return problem;
  }
  return std::nullopt;
}

std::optional<Problem> parse_header(const json& form, const std::string& base, spec::MappingParts& impl) {
  if (!form.is_object()) return Problem{base, "expected an object (docs/foxglove.md)"};
  if (!form.contains("schema") || !form["schema"].is_string())
    return Problem{base + "/schema", fmt::format("a mapping names its \"schema\", one of {}",
                                                 ::copper::detail::join(spec::spec_names(), ", "))};
  impl.schema_name = form["schema"].get<std::string>();
  impl.schema = spec::find_spec(impl.schema_name);
  if (impl.schema == nullptr)
    return Problem{base + "/schema", fmt::format("copper maps onto {}, not \"{}\"",
                                                 ::copper::detail::join(spec::spec_names(), ", "), impl.schema_name)};
  impl.topic_suffix = std::string(impl.schema->topic_suffix);
  if (form.contains("topic_suffix")) {
    const json& suffix = form["topic_suffix"];
    if (!suffix.is_string() || suffix.get<std::string>().size() < 2 || suffix.get<std::string>()[0] != '/')
      return Problem{base + "/topic_suffix", fmt::format("expected \"/name\", got {}", suffix.dump())};
    impl.topic_suffix = suffix.get<std::string>();
  }
  return std::nullopt;
}

std::optional<Problem> parse_form(const json& form, const std::string& base, spec::MappingParts& impl) {
  if (auto problem = parse_header(form, base, impl)) return problem;
  if (auto problem = parse_sources(form, *impl.schema, base, impl.sources)) return problem;
  for (std::string_view required : impl.schema->required)
    if (impl.sources.count(required) == 0)
      return Problem{base, fmt::format("{} needs \"{}\" (a constant, or a message field under \"fields\")",
                                       impl.schema_name, required)};
  if (impl.schema->rules != nullptr) {
    std::string target;
    std::string problem = impl.schema->rules(impl.sources, target);
    if (!problem.empty()) {
      auto it = impl.sources.find(target);
      return Problem{it == impl.sources.end() ? base : it->second.pointer, problem};
    }
  }
  return std::nullopt;
}

// ---- checking against a message schema ----------------------------------

bool is_integer_type(const json& type) {
  static const std::set<std::string> kIntegers = {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"};
  return type.is_string() && kIntegers.count(type.get<std::string>()) != 0;
}
bool is_number_type(const json& type) { return is_integer_type(type) || type == "f32" || type == "f64"; }
bool is_sequence(const json& type) { return type.is_object() && (type.contains("vector") || type.contains("array")); }
const json& element_of(const json& type) { return type.contains("vector") ? type["vector"] : type["array"]; }

bool fits(spec::Kind kind, const json& type) {
  switch (kind) {
    case spec::Kind::count: return is_integer_type(type);
    case spec::Kind::number: return is_number_type(type);
    case spec::Kind::text: return type == "string";
    case spec::Kind::bytes: return is_sequence(type) && element_of(type) == "u8";
    case spec::Kind::numbers: return is_sequence(type) && is_number_type(element_of(type)) && element_of(type) != "u8";
  }
  return false;
}

// The schema type a field path reaches, or the problem.
Result<json> type_at(const json& message_schema, const spec::Source& source) {
  json type = message_schema;
  for (const spec::PathStep& step : source.path) {
    if (!type.is_object() || !type.contains("fields"))
      return fail(StatusCode::invalid_argument, "\"{}\" goes into a field that is not a struct", source.field);
    const json* found = nullptr;
    for (const json& field : type["fields"])
      if (field["name"] == step.field) found = &field["type"];
    if (found == nullptr)
      return fail(StatusCode::invalid_argument, "{} has no field \"{}\"", type["name"].get<std::string>(), step.field);
    type = *found;
    if (step.index < 0) continue;
    if (!is_sequence(type) || element_of(type) == "u8")
      return fail(StatusCode::invalid_argument, "\"{}\" indexes \"{}\", which is not an array of values", source.field,
                  step.field);
    if (type.contains("size") && static_cast<uint64_t>(step.index) >= type["size"].get<uint64_t>())
      return fail(StatusCode::invalid_argument, "\"{}\": \"{}\" has {} elements", source.field, step.field,
                  type["size"].get<uint64_t>());
    type = json(element_of(type));
  }
  return type;
}

}  // namespace

Result<Mapping> Mapping::parse(const json& mapping, const std::string& where) {
  if (!mapping.is_object() || mapping.size() != 1)
    return fail(StatusCode::invalid_argument,
                "{}: a mapping is an object with one key, the message type (docs/foxglove.md)", where);
  const auto entry = mapping.begin();
  return parse_entry(entry.key(), entry.value(), where, fmt::format("/{}", spec::pointer_token(entry.key())));
}

Result<Mapping> Mapping::parse_entry(const std::string& message_type, const json& form, const std::string& where,
                                     const std::string& pointer) {
  auto impl = std::make_shared<Impl>();
  impl->message_type = message_type;
  impl->form = form;
  impl->where = where;
  if (message_type.empty())
    return fail(StatusCode::invalid_argument, "{} at {}: an empty message type", where, pointer);
  if (auto problem = parse_form(form, pointer, *impl))
    return fail(StatusCode::invalid_argument, "{} at {}: {}", where, problem->pointer, problem->text);
  Mapping mapping;
  mapping.impl_ = std::move(impl);
  return mapping;
}

Result<std::vector<Mapping>> Mapping::parse_views(const std::string& message_type, const json& form,
                                                  const std::string& where, const std::string& pointer) {
  std::vector<Mapping> views;
  if (!form.is_array()) {
    auto one = parse_entry(message_type, form, where, pointer);
    if (!one.ok()) return one.status();
    views.push_back(std::move(*one));
    return views;
  }
  if (form.empty())
    return fail(StatusCode::invalid_argument, "{} at {}: expected a mapping or an array of mappings, got []", where,
                pointer);
  for (size_t i = 0; i < form.size(); ++i) {
    const std::string at = fmt::format("{}/{}", pointer, i);
    auto view = parse_entry(message_type, form[i], where, at);
    if (!view.ok()) return view.status();
    for (const Mapping& earlier : views)
      if (earlier.topic_suffix() == view->topic_suffix())
        return fail(StatusCode::invalid_argument,
                    "{} at {}: a second view on topic suffix \"{}\" (give each view its own \"topic_suffix\")", where,
                    at, view->topic_suffix());
    views.push_back(std::move(*view));
  }
  return views;
}

const std::string& Mapping::message_type() const { return impl_->message_type; }
const std::string& Mapping::schema_name() const { return impl_->schema_name; }
const std::string& Mapping::topic_suffix() const { return impl_->topic_suffix; }
const json& Mapping::to_json() const { return impl_->form; }

Status Mapping::check_against(const json& message_schema) const {
  // A damaged log's metadata may hold anything: the walk below trusts the shape.
  if (Status valid = validate_schema(message_schema); !valid.ok())
    return valid.prefixed(fmt::format("{}: the mapping of {} meets ", impl_->where, impl_->message_type));
  const std::string slot_type = message_schema.value("name", std::string());
  if (slot_type != impl_->message_type)
    return fail(StatusCode::invalid_argument, "{}: the mapping of {} is checked against messages of type {}",
                impl_->where, impl_->message_type, slot_type);
  for (const auto& [name, source] : impl_->sources) {
    if (source.is_constant()) continue;
    const spec::Target& target = *impl_->schema->find(name);
    auto type = type_at(message_schema, source);
    if (!type.ok()) return type.status().prefixed(fmt::format("{} at {}: ", impl_->where, source.pointer));
    if (!fits(target.kind, *type))
      return fail(StatusCode::invalid_argument, "{} at {}: {}.{} is {}, but \"{}\" of {} takes {}", impl_->where,
                  source.pointer, impl_->message_type, source.field, type->dump(), name, impl_->schema_name,
                  kind_name(target.kind));
  }
  return {};
}

namespace {

Result<json> build(const spec::MappingParts& parts, const spec::Values& values, int64_t time_ns) {
  auto converted = parts.schema->build(values, time_ns);
  if (!converted.ok())
    return fail(StatusCode::invalid_argument, "{} as {}: {}", parts.message_type, parts.schema_name,
                converted.error_message());
  return converted;
}

}  // namespace

Result<json> Mapping::convert(const json& message, int64_t time_ns) const {
  return build(*impl_, spec::Values(impl_->sources, message), time_ns);
}

Result<json> Mapping::convert(json&& message, int64_t time_ns) const {
  return build(*impl_, spec::Values(impl_->sources, message, true), time_ns);
}

// ---- MappingSet ----------------------------------------------------------

namespace {

Status add_entries(const json& document, const std::string& where, const std::string& base,
                   std::map<std::string, std::vector<Mapping>>& mappings) {
  if (!document.is_object())
    return fail(StatusCode::invalid_argument, "{} at {}: expected an object of message type: mapping", where,
                base.empty() ? "/" : base);
  for (const auto& [type, form] : document.items()) {
    auto views = Mapping::parse_views(type, form, where, base + "/" + spec::pointer_token(type));
    if (!views.ok()) return views.status();
    mappings.insert_or_assign(type, std::move(*views));  // a file's entry replaces all the log's views of the type
  }
  return {};
}

}  // namespace

Result<MappingSet> MappingSet::load(const json& log_metadata, const std::string& mapping_file) {
  std::map<std::string, std::vector<Mapping>> mappings;
  if (log_metadata.is_object() && log_metadata.contains("foxglove")) {
    Status status = add_entries(log_metadata["foxglove"], "log metadata", "/foxglove", mappings);
    if (!status.ok()) return status;
  }
  if (!mapping_file.empty()) {
    const std::string where = fmt::format("mapping file {}", mapping_file);
    auto text = ::copper::detail::read_input_file(mapping_file, "mapping file");
    if (!text.ok()) return text.status().prefixed(where + ": ");
    auto document = ::copper::detail::parse_json_bounded(*text, "a mapping file");
    if (!document.ok()) return document.status().prefixed(where + ": ");
    Status status = add_entries(*document, where, "", mappings);
    if (!status.ok()) return status;
  }
  MappingSet set;
  for (auto& [type, views] : mappings)
    for (Mapping& view : views) set.mappings_.push_back(std::move(view));
  return set;
}

std::vector<const Mapping*> MappingSet::views_of(std::string_view message_type) const {
  std::vector<const Mapping*> views;
  for (const Mapping& mapping : mappings_)
    if (mapping.message_type() == message_type) views.push_back(&mapping);
  return views;
}

Result<std::vector<WellKnownChannel>> well_known_channels(const MappingSet& mappings, const json& log_metadata) {
  std::vector<WellKnownChannel> channels;
  const json no_slots = json::array();
  const json& slots = log_metadata.is_object() ? log_metadata.value("slots", no_slots) : no_slots;
  if (!slots.is_array()) return channels;
  for (size_t i = 0; i < slots.size(); ++i) {
    const json& slot = slots[i];
    const bool shaped = slot.is_object() && slot.contains("type") && slot["type"].is_string() &&
                        slot.contains("producer") && slot["producer"].is_string() && slot.contains("schema");
    if (!shaped) continue;  // a slot the reader cannot decode either
    for (const Mapping* mapping : mappings.views_of(slot["type"].get<std::string>())) {
      if (Status fits = mapping->check_against(slot["schema"]); !fits.ok())
        return fits.prefixed(fmt::format("slot {} ({}): ", i, slot["producer"].get<std::string>()));
      channels.push_back({static_cast<uint32_t>(i),
                          fmt::format("/{}{}", slot["producer"].get<std::string>(), mapping->topic_suffix()), mapping});
    }
  }
  return channels;
}

}  // namespace copper::foxglove
