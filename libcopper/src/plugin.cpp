#include "copper/plugin.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <link.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>

#include "copper/registry.hpp"
#include "plugin_loading.hpp"
#include "text_util.hpp"
#include "xxhash_dispatch.hpp"

namespace copper {

namespace {

std::mutex g_load_mutex;  // one plugin loads at a time
std::string g_registering_origin;
std::vector<std::unique_ptr<LoadedPlugin>> g_loaded;

using detail::fail;

bool is_path(std::string_view spec) {
  return spec.find('/') != std::string_view::npos || spec.ends_with(".so");
}

// The folder of the libcopper this code runs in: installed plugins live in
// <that folder>/copper/plugins.
std::filesystem::path library_dir() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&plugin_search_path), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  auto path = std::filesystem::canonical(info.dli_fname, ec);
  return ec ? std::filesystem::path() : path.parent_path();
}

Result<std::filesystem::path> find_by_name(std::string_view name) {
  std::vector<std::string> tried;
  for (const auto& dir : plugin_search_path()) {
    for (const std::string& file : {fmt::format("{}.so", name), fmt::format("lib{}.so", name)}) {
      std::error_code ec;
      if (std::filesystem::is_regular_file(dir / file, ec)) return std::filesystem::absolute(dir / file);
    }
    tried.push_back(dir.string());
  }
  return fail("plugin \"{}\": not found as {}.so or lib{}.so in {} (set COPPER_PLUGIN_PATH, or give its path)", name,
              name, name, tried.empty() ? std::string("no folder") : detail::join(tried, ", "));
}

Result<std::filesystem::path> resolve(std::string_view spec, const std::filesystem::path& relative_to) {
  if (!is_path(spec)) return find_by_name(spec);
  std::filesystem::path path(spec);
  if (path.is_relative() && !relative_to.empty()) path = relative_to / path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return fail("plugin {}: no such file", path.string());
  auto canonical = std::filesystem::canonical(path, ec);
  if (ec) return fail("plugin {}: {}", path.string(), ec.message());
  return canonical;
}

// The GNU build-id note of the loaded object whose base address is `base`.
std::string build_id_at(ElfW(Addr) base) {
  struct Search {
    ElfW(Addr) base;
    std::string id;
  } search{base, {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        if (info->dlpi_addr != s->base) return 0;
        for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_NOTE) continue;
          const auto* p = reinterpret_cast<const uint8_t*>(info->dlpi_addr + ph.p_vaddr);
          const uint8_t* end = p + ph.p_memsz;
          while (p + sizeof(ElfW(Nhdr)) <= end) {
            const auto* note = reinterpret_cast<const ElfW(Nhdr)*>(p);
            const uint8_t* name = p + sizeof(ElfW(Nhdr));
            const uint8_t* desc = name + ((note->n_namesz + 3) & ~3u);
            if (desc + note->n_descsz > end) break;
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
              for (uint32_t b = 0; b < note->n_descsz; ++b) s->id += fmt::format("{:02x}", desc[b]);
              return 1;
            }
            p = desc + ((note->n_descsz + 3) & ~3u);
          }
        }
        return 1;
      },
      &search);
  return search.id;
}

std::string build_id_of(void* handle) {
  link_map* map = nullptr;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == nullptr) return {};
  return build_id_at(map->l_addr);
}

const LoadedPlugin* already_loaded(const std::filesystem::path& path) {
  for (const auto& plugin : g_loaded)
    if (plugin->path == path) return plugin.get();
  return nullptr;
}

std::vector<std::string> types_from(std::string_view origin) {
  std::vector<std::string> types;
  const Registry& registry = Registry::global();
  for (const auto& name : registry.names())
    if (registry.find(name)->origin == origin) types.push_back(name);
  return types;
}

// The entry point's promises, checked once the file is loaded.
Status check_entry(void* handle, const std::filesystem::path& path, const PluginInfo*& info) {
  using Entry = const PluginInfo* (*)();
  auto* entry = reinterpret_cast<Entry>(dlsym(handle, kPluginEntryPoint));
  if (entry == nullptr)
    return fail("plugin {}: not a copper plugin: it has no {} entry point (add COPPER_PLUGIN(\"name\", \"version\"); "
                "to one of its source files)",
                path.string(), kPluginEntryPoint);
  info = entry();
  if (info == nullptr || info->name == nullptr || info->version == nullptr || *info->name == '\0')
    return fail("plugin {}: its entry point gives no name", path.string());
  if (info->abi_version != static_cast<uint32_t>(COPPER_ABI_VERSION))
    return fail("plugin {} (\"{}\" {}): built against copper ABI {}, but this copper {} has ABI {}; rebuild the plugin "
                "against this copper",
                path.string(), info->name, info->version, info->abi_version, COPPER_VERSION_STRING,
                COPPER_ABI_VERSION);
  return {};
}

Result<const LoadedPlugin*> load_file(std::string_view spec, const std::filesystem::path& path) {
  const size_t conflicts_before = Registry::global().conflicts().size();
  // The origin is named by the file until the entry point can be asked.
  const std::string provisional = path.string();
  void* handle = nullptr;
  {
    detail::RegisteringOrigin origin(provisional);
    handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  if (handle == nullptr) {
    const char* why = dlerror();
    return fail("plugin {}: cannot be loaded: {}", path.string(), why != nullptr ? why : "unknown loader error");
  }
  const PluginInfo* info = nullptr;
  if (Status status = check_entry(handle, path, info); !status.ok()) return status;
  auto plugin = std::make_unique<LoadedPlugin>();
  plugin->name = info->name;
  plugin->version = info->version;
  plugin->copper_version = info->copper_version != nullptr ? info->copper_version : "";
  plugin->given = std::string(spec);
  plugin->path = path;
  std::error_code ec;
  plugin->size = std::filesystem::file_size(path, ec);
  auto hash = file_xxh3(path);
  if (!hash) return hash.status();
  plugin->xxh3 = *hash;
  plugin->build_id = build_id_of(handle);
  Registry::global().rename_origin(provisional, plugin->name);
  plugin->task_types = types_from(plugin->name);
  const auto& conflicts = Registry::global().conflicts();
  if (conflicts.size() > conflicts_before)
    return fail("plugin {}: {}", path.string(), conflicts[conflicts_before].describe());
  g_loaded.push_back(std::move(plugin));
  return g_loaded.back().get();
}

}  // namespace

namespace detail {

std::string registering_origin() { return g_registering_origin; }

RegisteringOrigin::RegisteringOrigin(std::string name) { g_registering_origin = std::move(name); }
RegisteringOrigin::~RegisteringOrigin() { g_registering_origin.clear(); }

}  // namespace detail

nlohmann::json LoadedPlugin::to_json() const {
  return {{"name", name},         {"version", version}, {"copper_version", copper_version},
          {"given", given},       {"path", path.string()}, {"size", size},
          {"xxh3", xxh3},         {"build_id", build_id}, {"task_types", task_types}};
}

std::vector<std::filesystem::path> plugin_search_path() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("COPPER_PLUGIN_PATH")) {
    std::string_view rest(env);
    while (!rest.empty()) {
      const size_t colon = rest.find(':');
      const std::string_view dir = rest.substr(0, colon);
      if (!dir.empty()) dirs.emplace_back(dir);
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  auto add = [&](const std::filesystem::path& dir) {
    if (!dir.empty() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  };
  if (const auto lib = library_dir(); !lib.empty()) add(lib / "copper" / "plugins");
  add(COPPER_PLUGIN_INSTALL_DIR);
  return dirs;
}

Result<std::string> file_xxh3(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("{}: cannot be read", path.string());
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
    XXH3_64bits_update(state, buffer.data(), static_cast<size_t>(in.gcount()));
  const uint64_t hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  detail::clean_upper_vector_state();
  return fmt::format("{:016x}", hash);
}

Result<const LoadedPlugin*> load_plugin(std::string_view spec, const std::filesystem::path& relative_to) {
  std::lock_guard lock(g_load_mutex);
  auto path = resolve(spec, relative_to);
  if (!path) return path.status();
  if (const LoadedPlugin* loaded = already_loaded(*path)) return loaded;
  return load_file(spec, *path);
}

std::vector<const LoadedPlugin*> loaded_plugins() {
  std::lock_guard lock(g_load_mutex);
  std::vector<const LoadedPlugin*> plugins;
  for (const auto& plugin : g_loaded) plugins.push_back(plugin.get());
  return plugins;
}

}  // namespace copper
