// The doctest runner for every *_test.cpp in this folder.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

int main(int argc, char** argv) {
  // The tools the tests start find the rover plugin where the build put it,
  // as `meson devenv` and ./dev do (examples/rover.json names it).
  setenv("COPPER_PLUGIN_PATH", COPPER_PLUGIN_BUILD_DIR, 1);
  return doctest::Context(argc, argv).run();
}
