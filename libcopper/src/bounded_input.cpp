#include "bounded_input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "file_kind.hpp"
#include "text_util.hpp"

namespace copper::detail {
namespace {

using nlohmann::json;

std::string megabytes(uint64_t bytes) { return fmt::format("{} MiB", bytes >> 20); }

struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

// Reads at most `limit` + 1 bytes: one more than allowed tells a file that
// grew past the limit after fstat.
Result<std::string> read_to_end(int fd, uint64_t expected, uint64_t limit) {
  std::string text;
  text.resize(static_cast<size_t>(std::min(expected, limit)) + 1);
  size_t filled = 0;
  while (true) {
    if (filled == text.size()) {
      if (filled > limit) break;
      text.resize(std::min<uint64_t>(filled * 2, limit + 1));
    }
    const ssize_t n = ::read(fd, text.data() + filled, text.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(StatusCode::invalid_argument, "cannot read: {}", std::strerror(errno));
    if (n == 0) break;
    filled += static_cast<size_t>(n);
  }
  if (filled > limit)
    return fail(StatusCode::invalid_argument, "grew past the {} limit while being read", megabytes(limit));
  text.resize(filled);
  return text;
}

// One open array or object while parsing: where in it the parser is.
struct Frame {
  bool array = false;
  uint64_t elements = 0;  // arrays: elements begun so far
  std::string key;        // objects: the last key read
};

struct TooDeep {};

// nlohmann's DOM builder behind a SAX front that follows the parser through
// the document, so an error can name the JSON path of the value being read,
// and stops it (throwing TooDeep) before an array or object opens past
// `max_depth`. (Not the parser callback: on every object's end it scans
// the enclosing object, quadratic in a wide document.)
class BoundedDomBuilder {
 public:
  BoundedDomBuilder(json& result, size_t max_depth) : dom_(result, true), max_depth_(max_depth) {}

  bool null() {
    return scalar([&] { return dom_.null(); });
  }
  bool boolean(bool value) {
    return scalar([&] { return dom_.boolean(value); });
  }
  bool number_integer(json::number_integer_t value) {
    return scalar([&] { return dom_.number_integer(value); });
  }
  bool number_unsigned(json::number_unsigned_t value) {
    return scalar([&] { return dom_.number_unsigned(value); });
  }
  bool number_float(json::number_float_t value, const json::string_t& text) {
    return scalar([&] { return dom_.number_float(value, text); });
  }
  bool string(json::string_t& value) {
    return scalar([&] { return dom_.string(value); });
  }
  bool binary(json::binary_t& value) {
    return scalar([&] { return dom_.binary(value); });
  }
  bool start_object(size_t elements) {
    open(false);
    return dom_.start_object(elements);
  }
  bool key(json::string_t& key) {
    frames_.back().key = key;
    return dom_.key(key);
  }
  bool end_object() {
    frames_.pop_back();
    return dom_.end_object();
  }
  bool start_array(size_t elements) {
    open(true);
    return dom_.start_array(elements);
  }
  bool end_array() {
    frames_.pop_back();
    return dom_.end_array();
  }
  template <class Exception>
  bool parse_error(size_t position, const std::string& token, const Exception& error) {
    return dom_.parse_error(position, token, error);
  }

  // The path of the value the parser is about to read: "runtime.rate_hz",
  // "tasks[2].params"; "(document)" for the top. Long paths keep both ends.
  std::string path() const {
    std::string out;
    for (size_t i = 0; i < frames_.size(); ++i) {
      const Frame& frame = frames_[i];
      const bool innermost = i + 1 == frames_.size();
      if (frame.array) {
        out += fmt::format("[{}]", innermost ? frame.elements : frame.elements - 1);
      } else {
        if (!out.empty()) out.push_back('.');
        out.append(frame.key, 0, 64);
      }
    }
    if (out.empty()) return "(document)";
    if (out.size() <= 120) return out;
    std::string shortened(out, 0, 56);
    shortened.append(" ... ").append(out, out.size() - 56, 56);
    return shortened;
  }

 private:
  // The enclosing array's element count moves on when an element begins,
  // so while an element is read the count is one past its index.
  void begin_element() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().elements;
  }
  template <class Add>
  bool scalar(Add add) {
    begin_element();
    return add();
  }
  void open(bool array) {
    if (frames_.size() >= max_depth_) throw TooDeep{};
    begin_element();
    frames_.push_back(Frame{array, 0, {}});
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  size_t max_depth_;
  std::vector<Frame> frames_;
};

// nlohmann reports a byte offset; people want line and column.
std::string line_and_column(std::string_view text, size_t byte) {
  const size_t offset = std::min<size_t>(byte == 0 ? 0 : byte - 1, text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("line {}, column {}", line, column);
}

// nlohmann's message without its "[json.exception.parse_error.101] parse error at ...: " prefix.
std::string reason_of(const json::exception& error) {
  std::string reason = error.what();
  if (auto colon = reason.find(": "); colon != std::string::npos) return reason.substr(colon + 2);
  if (auto bracket = reason.find("] "); bracket != std::string::npos) return reason.substr(bracket + 2);
  return reason;
}

}  // namespace

Result<std::string> read_input_file(const std::filesystem::path& path, std::string_view what, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const StatusCode code = errno == ENOENT ? StatusCode::not_found : StatusCode::invalid_argument;
    return fail(code, "cannot open {}: {}", what, std::strerror(errno));
  }
  const FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return fail(StatusCode::invalid_argument, "cannot stat {}: {}", what, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(StatusCode::invalid_argument, "is {}, not a {}: a {} must be a regular file",
                detail::file_kind(st.st_mode), what, what);
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes)
    return fail(StatusCode::invalid_argument, "is {} bytes, over the {} limit for a {}", size, megabytes(max_bytes),
                what);
  return read_to_end(fd, size, max_bytes);
}

Result<json> parse_json_bounded(std::string_view text, std::string_view what, size_t max_depth) {
  if (text.size() > kMaxJsonBytes)
    return fail(StatusCode::invalid_argument, "JSON of {} bytes, over the {} limit for {}", text.size(),
                megabytes(kMaxJsonBytes), what);
  json result;
  BoundedDomBuilder builder(result, max_depth);
  try {
    json::sax_parse(text.begin(), text.end(), &builder);
    return result;
  } catch (const TooDeep&) {
    return fail(StatusCode::invalid_argument, "nested deeper than {} levels at {} (the limit for {})", max_depth,
                builder.path(), what);
  } catch (const json::parse_error& error) {
    return fail(StatusCode::invalid_argument, "malformed JSON at {}: {}", line_and_column(text, error.byte),
                reason_of(error));
  } catch (const json::exception& error) {
    // A number no double holds (1e400) and the like: no byte offset, so the path.
    return fail(StatusCode::invalid_argument, "{} at {}", reason_of(error), builder.path());
  }
}

}  // namespace copper::detail
