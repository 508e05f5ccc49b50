// Errors as values at module edges.
//
// Status is either ok or carries one message. An ok Status holds no heap
// memory, so returning it from a task's per-cycle call costs nothing.
// Result<T> is a value or a Status error (std::expected arrives in C++23).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace copper {

class Status {
 public:
  Status() = default;
  static Status error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return message_ == nullptr; }
  explicit operator bool() const { return ok(); }
  // Empty for an ok Status.
  std::string_view message() const { return message_ ? std::string_view(*message_) : std::string_view(); }

  Status(const Status& other)
      : message_(other.message_ ? std::make_unique<std::string>(*other.message_) : nullptr) {}
  Status& operator=(const Status& other) {
    if (this != &other) message_ = other.message_ ? std::make_unique<std::string>(*other.message_) : nullptr;
    return *this;
  }
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;

 private:
  explicit Status(std::string message) : message_(std::make_unique<std::string>(std::move(message))) {}
  std::unique_ptr<std::string> message_;
};

template <class T>
class Result {
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
  std::string_view error_message() const {
    return ok() ? std::string_view() : std::get<Status>(state_).message();
  }

 private:
  std::variant<T, Status> state_;
};

}  // namespace copper
