// Structured text logging for tasks.
//
// A task writes CU_INFO(ctx, "x={} y={}", x, y) and pays only for copying its
// arguments in binary form into a buffer its copperlist owns: the format
// string is registered once in a string table and referred to by id, and
// the text is rebuilt offline (copper-log text) with fmt. Entries travel
// with their copperlist and are committed with it, so they are ordered and
// need no lock. The entry layout is the "text payload" of
// docs/log-format.md; the log reader parses it and log/text_format.hpp
// rebuilds the text.
//
//   CU_TRACE / CU_DEBUG / CU_INFO / CU_WARN / CU_ERROR (ctx, "fmt", args...)
//
// Arguments: bool, any integer type (stored as i64 or u64), char, float,
// double, const char*, std::string, std::string_view. The format string is
// checked against the argument types at compile time (fmt::format_string).
// An entry that does not fit its buffer, or whose arguments exceed 65535
// bytes, is dropped and counted (TextLogBuffer::dropped()).
//
// The string table and the log writer
// -----------------------------------
// Call sites register their format string once, on first use, into a
// process-wide, append-only table; ids are dense from 0. Each log writer
// keeps which ids its file already holds, and before it writes a text
// record it writes a string record (type 4) for each id the record's
// entries name that it has not written yet: a log holds the strings its
// entries use and no others, whatever else the process logs.
//
// Every id in a committed copperlist was registered before its entry was
// written, and the commit hands the copperlist to the writer through a
// synchronising queue, so the writer sees the registered string: a string
// record always precedes the first text record that uses it. Reading the
// table takes no lock and never waits for a registering thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/core.h>

#include "copper/export.hpp"
#include "copper/log/format.hpp"
#include "copper/task.hpp"
#include "copper/text_log_buffer.hpp"

namespace copper {

// One entry of the string table (log/format.hpp); the views of the
// process-wide table stay valid for the whole process.
using TextString = log::TextString;

// Returns the id of (level, file, line, format), adding it if it is new;
// registering identical content twice returns the same id, so a call site
// inside a template shares one id across instantiations. Thread-safe; takes
// a mutex and may allocate: call it once per call site, not per call.
COPPER_API uint32_t register_text_string(log::TextLevel level, std::string_view file, uint32_t line,
                              std::string_view format);

// How many ids exist (ids are 0..count-1). Lock-free; an acquire load, so
// every entry below the count is fully visible to the caller.
COPPER_API size_t text_string_count();

// The entry with that id; id must be below a count this thread has loaded.
COPPER_API const TextString& text_string(size_t id);

}  // namespace copper

#include "copper/detail/text_log_wire.hpp"  // after TextLogBuffer, which it fills

// The static is per expansion, so each call site registers once, on the
// first call that actually logs; later calls cost a guard check.
#define COPPER_TEXT_LOG_(level_, ctx_, format_, ...)                                                \
  do {                                                                                              \
    const ::copper::Context& copper_text_ctx_ = (ctx_);                                             \
    ::copper::TextLogBuffer* copper_text_buffer_ = ::copper::detail::ContextAccess::text_log(copper_text_ctx_); \
    if (copper_text_buffer_ != nullptr) {                                                           \
      static const ::std::uint32_t copper_text_id_ =                                                \
          ::copper::register_text_string((level_), __FILE__, __LINE__, (format_));                  \
      ::copper::detail::write_text_entry(*copper_text_buffer_, copper_text_ctx_, copper_text_id_,   \
                                         (level_), format_ __VA_OPT__(, ) __VA_ARGS__);             \
    }                                                                                               \
  } while (false)

#define CU_TRACE(ctx, format, ...) COPPER_TEXT_LOG_(::copper::log::TextLevel::trace, ctx, format __VA_OPT__(, ) __VA_ARGS__)
#define CU_DEBUG(ctx, format, ...) COPPER_TEXT_LOG_(::copper::log::TextLevel::debug, ctx, format __VA_OPT__(, ) __VA_ARGS__)
#define CU_INFO(ctx, format, ...) COPPER_TEXT_LOG_(::copper::log::TextLevel::info, ctx, format __VA_OPT__(, ) __VA_ARGS__)
#define CU_WARN(ctx, format, ...) COPPER_TEXT_LOG_(::copper::log::TextLevel::warn, ctx, format __VA_OPT__(, ) __VA_ARGS__)
#define CU_ERROR(ctx, format, ...) COPPER_TEXT_LOG_(::copper::log::TextLevel::error, ctx, format __VA_OPT__(, ) __VA_ARGS__)
