// first_json_difference and json_differences: the field paths and values where two JSON values part.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "copper/json_diff.hpp"

TEST_CASE("json_diff.paths") {
  using nlohmann::json;
  CHECK_FALSE(copper::first_json_difference(json{{"a", 1}}, json{{"a", 1}}));
  auto d = copper::first_json_difference(json::parse(R"({"pose": {"x": 1.5, "y": 2}})"),
                                         json::parse(R"({"pose": {"x": 1.25, "y": 2}})"));
  REQUIRE(d);
  CHECK(d->path == "pose.x");
  CHECK(d->left == 1.5);
  CHECK(d->right == 1.25);
  d = copper::first_json_difference(json::parse(R"({"ranges": [1, 2, 3]})"), json::parse(R"({"ranges": [1, 2, 4]})"));
  REQUIRE(d);
  CHECK(d->path == "ranges[2]");
  d = copper::first_json_difference(json::parse(R"({"a": [{"b": [0, {"c": true}]}]})"),
                                    json::parse(R"({"a": [{"b": [0, {"c": false}]}]})"));
  REQUIRE(d);
  CHECK(d->path == "a[0].b[1].c");
  d = copper::first_json_difference(json::parse("[1, 2]"), json::parse("[1, 2, 3]"));
  REQUIRE(d);
  CHECK(d->path == "[2]");
  CHECK(d->left.is_null());
  CHECK(d->right == 3);
  CHECK_FALSE(copper::first_json_difference(json(1), json(1.0)));
}

TEST_CASE("json_diff.missing_keys_and_types") {
  using nlohmann::json;
  auto d = copper::first_json_difference(json{{"a", 1}, {"b", 2}}, json{{"a", 1}});
  REQUIRE(d);
  CHECK(d->path == "b");
  CHECK(d->left == 2);
  CHECK(d->right.is_null());
  d = copper::first_json_difference(json{{"a", 1}}, json{{"a", "1"}});
  REQUIRE(d);
  CHECK(d->path == "a");
  CHECK(d->right == "1");
}

TEST_CASE("json_diff.all_differences_in_order_with_a_limit_and_a_total") {
  using nlohmann::json;
  const auto left = json::parse(R"({"a": 1, "b": {"c": [1, 2, 3], "d": true}, "e": "x"})");
  const auto right = json::parse(R"({"a": 2, "b": {"c": [1, 5], "d": false}, "f": 0})");
  const auto all = copper::json_differences(left, right, 10);
  REQUIRE(all.first.size() == 6);
  CHECK(all.total == 6);
  const char* paths[] = {"a", "b.c[1]", "b.c[2]", "b.d", "e", "f"};
  for (size_t i = 0; i < 6; ++i) CHECK(all.first[i].path == paths[i]);
  CHECK(all.first[2].left == 3);  // the array is shorter on the right: one difference at its end
  CHECK(all.first[2].right.is_null());
  const auto two = copper::json_differences(left, right, 2);
  CHECK(two.first.size() == 2);
  CHECK(two.total == 6);
  CHECK(copper::json_differences(left, left, 10).total == 0);
  // The first of them is first_json_difference's.
  CHECK(copper::first_json_difference(left, right)->path == all.first[0].path);
}
