// The views task libraries declare (copper/foxglove.hpp). Declarations run
// in static initialisers, where nothing can be reported: they are only
// stored, with the plugin being loaded, and judged when a recorder asks for
// the graph's (declared_views_of).
#include "declared.hpp"

#include <map>
#include <mutex>
#include <set>

#include "../bounded_input.hpp"
#include "../plugin_loading.hpp"
#include "../text_util.hpp"
#include "copper/foxglove.hpp"
#include "mapping.hpp"
#include "mapping_spec.hpp"

namespace copper::foxglove {

namespace {

struct Declaration {
  std::string text;
  std::string origin;  // the plugin file being loaded, or "" for the program
  bool conflicted = false;
  std::string conflict;  // the origin of a second, different declaration
};

struct Declarations {
  std::mutex mutex;
  std::map<std::string, Declaration, std::less<>> by_type;
};

Declarations& declarations() {
  static Declarations all;  // function-local: filled from other translation units' initialisers
  return all;
}

std::string origin_name(const std::string& origin) {
  return origin.empty() ? std::string("the program itself") : fmt::format("plugin {}", origin);
}

Result<std::vector<Mapping>> parse_declared(const std::string& type, const Declaration& declaration) {
  const std::string where =
      fmt::format("the foxglove view declared for {} by {}", type, origin_name(declaration.origin));
  if (declaration.conflicted)
    return ::copper::detail::fail(StatusCode::invalid_argument, "{} and again, differently, by {}", where,
                                  origin_name(declaration.conflict));
  auto form = ::copper::detail::parse_json_bounded(declaration.text, "a foxglove view");
  if (!form.ok()) return form.status().prefixed(where + ": ");
  return Mapping::parse_views(type, *form, where, fmt::format("/{}", detail::pointer_token(type)));
}

}  // namespace

bool declare_view(std::string_view message_type, std::string_view mapping_json) {
  Declarations& all = declarations();
  std::lock_guard lock(all.mutex);
  auto [it, added] = all.by_type.try_emplace(std::string(message_type));
  if (added) {
    it->second.text = std::string(mapping_json);
    it->second.origin = ::copper::detail::registering_origin();
  } else if (it->second.text != mapping_json && !it->second.conflicted) {
    it->second.conflicted = true;
    it->second.conflict = ::copper::detail::registering_origin();
  }
  return true;
}

Result<nlohmann::json> declared_views_of(const Graph& graph) {
  Declarations& all = declarations();
  std::lock_guard lock(all.mutex);
  nlohmann::json views = nlohmann::json::object();
  std::set<std::string> seen;
  for (const SlotInfo& slot : graph.slots()) {
    if (!seen.insert(slot.type->name).second) continue;
    auto it = all.by_type.find(slot.type->name);
    if (it == all.by_type.end()) continue;
    auto declared = parse_declared(it->first, it->second);
    if (!declared.ok()) return declared.status();
    nlohmann::json forms = nlohmann::json::array();
    for (const Mapping& view : *declared) {
      if (Status fits = view.check_against(slot.type->schema); !fits.ok()) return fits;
      forms.push_back(view.to_json());
    }
    views[it->first] = forms.size() == 1 ? forms[0] : forms;  // one view: the object, as before arrays
  }
  return views;
}

}  // namespace copper::foxglove
