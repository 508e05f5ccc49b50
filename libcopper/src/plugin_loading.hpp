// Which origin a task registration comes from: the plugin whose static
// initialisers the loader is running (plugin.cpp sets it around dlopen),
// or "" for the program itself (registrations before main).
#pragma once

#include <string>

namespace copper::detail {

std::string registering_origin();

// Names the origin of the registrations made while it lives. The loader
// holds its lock for as long, so one plugin loads at a time.
class RegisteringOrigin {
 public:
  explicit RegisteringOrigin(std::string name);
  ~RegisteringOrigin();
  RegisteringOrigin(const RegisteringOrigin&) = delete;
  RegisteringOrigin& operator=(const RegisteringOrigin&) = delete;
};

}  // namespace copper::detail
