// Errors as values at module edges.
//
// Status is either ok or carries a code and one message, as LevelDB's does:
// the code says what kind of failure it is (so a caller decides without
// parsing the message: the tools map codes to exit codes, exit_codes.md),
// the message says what happened, naming the file, task or JSON path. An
// ok Status holds no heap memory, so returning it from a task's per-cycle
// call costs nothing.
//
// Result<T> is a value or a Status error (std::expected arrives in C++23).
// Both are [[nodiscard]]: an ignored error is a bug; `(void)` says "on
// purpose" where one is (a best-effort event on the way out).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace copper {

enum class StatusCode : unsigned char {
  ok = 0,
  unknown,           // an error with no more specific kind: what a task returns with Status::error
  invalid_argument,  // bad input the caller can fix: a config, an option, a value out of range
  not_found,         // a file, plugin, task type or id that does not exist
  already_exists,    // an output that would be overwritten without --force
  corruption,        // bytes that are not what the format says: a damaged or foreign file
  io_error,          // the operating system refused: errno's text is in the message
  aborted,           // a run stopped by a failure elsewhere (a task threw, a sink failed)
};

inline const char* to_string(StatusCode code) {
  switch (code) {
    case StatusCode::ok: return "ok";
    case StatusCode::unknown: return "error";
    case StatusCode::invalid_argument: return "invalid argument";
    case StatusCode::not_found: return "not found";
    case StatusCode::already_exists: return "already exists";
    case StatusCode::corruption: return "corruption";
    case StatusCode::io_error: return "I/O error";
    case StatusCode::aborted: return "aborted";
  }
  return "error";
}

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status error(std::string message) { return Status(StatusCode::unknown, std::move(message)); }
  static Status invalid_argument(std::string message) {
    return Status(StatusCode::invalid_argument, std::move(message));
  }
  static Status not_found(std::string message) { return Status(StatusCode::not_found, std::move(message)); }
  static Status already_exists(std::string message) { return Status(StatusCode::already_exists, std::move(message)); }
  static Status corruption(std::string message) { return Status(StatusCode::corruption, std::move(message)); }
  static Status io_error(std::string message) { return Status(StatusCode::io_error, std::move(message)); }
  static Status aborted(std::string message) { return Status(StatusCode::aborted, std::move(message)); }
  static Status with_code(StatusCode code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return rep_ == nullptr; }
  explicit operator bool() const { return ok(); }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::ok; }
  // Empty for an ok Status.
  std::string_view message() const { return rep_ ? std::string_view(rep_->message) : std::string_view(); }
  // The same kind of error with `context` in front of the message ("file: ").
  Status prefixed(std::string_view context) const {
    return ok() ? Status() : Status(rep_->code, std::string(context) + rep_->message);
  }

  Status(const Status& other) : rep_(other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) rep_ = other.rep_ ? std::make_unique<Rep>(*other.rep_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  Status(StatusCode code, std::string message) : rep_(std::make_unique<Rep>(Rep{code, std::move(message)})) {}
  std::unique_ptr<Rep> rep_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The error; an ok Status when the result holds a value.
  Status status() const { return ok() ? Status() : std::get<Status>(state_); }
  StatusCode code() const { return ok() ? StatusCode::ok : std::get<Status>(state_).code(); }
  std::string_view error_message() const {
    return ok() ? std::string_view() : std::get<Status>(state_).message();
  }

 private:
  std::variant<T, Status> state_;
};

}  // namespace copper
