#include <doctest/doctest.h>

#include "copper/params.hpp"

using copper::ParamError;
using copper::Params;
using nlohmann::json;

namespace {
std::string error_of(auto&& call) {
  try {
    call();
  } catch (const ParamError& error) {
    return error.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("params.get.typed_values") {
  Params params(json::parse(R"({"b": true, "i": -3, "u": 200, "f": 1.5, "s": "x", "v": [1, 2]})"), "tasks[0].params");
  CHECK(params.get<bool>("b"));
  CHECK(params.get<int32_t>("i") == -3);
  CHECK(params.get<uint8_t>("u") == 200);
  CHECK(params.get<double>("f") == 1.5);
  CHECK(params.get<float>("u") == 200.0f);  // an integer is a fine number
  CHECK(params.get<std::string>("s") == "x");
  CHECK(params.get<std::vector<int>>("v") == std::vector<int>{1, 2});
  CHECK(params.get_or<int>("missing", 9) == 9);
  CHECK(params.unread_keys().empty());
}

TEST_CASE("params.error.messages_name_the_path") {
  Params params(json::parse(R"({"i": -3, "big": 70000, "s": 1, "v": [1, "x"], "f": 2.5})"), "tasks[4].params");
  CHECK(error_of([&] { params.get<int>("nope"); }) == "tasks[4].params.nope: missing required parameter");
  CHECK(error_of([&] { params.get<uint32_t>("i"); }) == "tasks[4].params.i: value -3 is out of range");
  CHECK(error_of([&] { params.get<int16_t>("big"); }) == "tasks[4].params.big: value 70000 is out of range");
  CHECK(error_of([&] { params.get<std::string>("s"); }) == "tasks[4].params.s: expected a string, got an integer");
  CHECK(error_of([&] { params.get<std::vector<int>>("v"); }) ==
        "tasks[4].params.v[1]: expected an integer, got a string");
  CHECK(error_of([&] { params.get<int>("f"); }) == "tasks[4].params.f: expected an integer, got a number");
  CHECK(error_of([&] { params.get<bool>("i"); }) == "tasks[4].params.i: expected a boolean, got an integer");
}

TEST_CASE("params.unread_keys_catch_typos") {
  Params params(json::parse(R"({"gain": 1, "gian": 2})"), "p");
  params.get<int>("gain");
  CHECK(params.unread_keys() == std::vector<std::string>{"gian"});
}

TEST_CASE("params.error.not_an_object") {
  CHECK(error_of([] { Params(json::array(), "tasks[1].params"); }) ==
        "tasks[1].params: expected an object, got an array");
}
