// How a message type shows in Foxglove: declared once, next to the message,
// in the task library.
//
//   COPPER_FOXGLOVE_VIEW(rover::Image, R"({
//     "schema": "foxglove.RawImage", "frame_id": "camera", "encoding": "mono8",
//     "fields": {"width": "width", "height": "height", "data": "pixels"}})");
//
// The text is one mapping in the JSON form docs/foxglove.md describes (the
// object that follows the message type in a mapping file), or an array of
// them for several views of one type (a pose as foxglove.PoseInFrame and as
// the foxglove.FrameTransform that places its frame), each on its own
// topic suffix. The recorder
// checks it against the message's schema and writes it into the log's
// metadata under "foxglove", for the message types the graph's slots carry;
// the MCAP export and the live view then show those messages as the
// well-known schema (foxglove.RawImage here) without the task library.
//
// Put the line beside BOOST_DESCRIBE_STRUCT, in the same namespace (a
// header: every file including it declares the same text, which is
// harmless), or in one source file of the library. A declaration
// that is not valid, or a second, different one for the same type, is an
// error the recorder reports, naming the type, before it records.
#pragma once

#include <string_view>

#include "copper/export.hpp"
#include "copper/message_traits.hpp"

namespace copper::foxglove {

// What COPPER_FOXGLOVE_VIEW calls during static initialisation. Returns
// true, for the initialiser; problems are kept for the recorder (above).
COPPER_API bool declare_view(std::string_view message_type, std::string_view mapping_json);

template <Message T>
bool declare_view(std::string_view mapping_json) {
  return declare_view(type_name<T>(), mapping_json);
}

}  // namespace copper::foxglove

#define COPPER_FOXGLOVE_DETAIL_CONCAT2(a, b) a##b
#define COPPER_FOXGLOVE_DETAIL_CONCAT(a, b) COPPER_FOXGLOVE_DETAIL_CONCAT2(a, b)
#define COPPER_FOXGLOVE_VIEW(Type, mapping_json)                                                      \
  [[maybe_unused]] static const bool COPPER_FOXGLOVE_DETAIL_CONCAT(copper_foxglove_view_, __LINE__) = \
      ::copper::foxglove::declare_view<Type>(mapping_json)
