#pragma once
// Expected failures travel as values. Result<T> mirrors the std::expected names so a
// move to C++23 is a rename; exceptions are reserved for bugs and caught once in main.
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace akt {

// A 1-based position in an input; origin names the input ("job.yaml", "<stdin>").
struct Location {
  std::string origin;
  int line = 0;
  int column = 0;
};

// The class of a failure; cli/ maps each to the exit code of DESIGN.md's conventions.
enum class ErrorKind {
  invalid,      // bad usage or invalid input (exit 2)
  failure,      // unexpected failure (exit 1)
  not_found,    // exit 3
  no_bid,       // no acceptable bid in time (exit 4)
  refused,      // refused by the ledger: auth, state, funds (exit 5)
  provider,     // provider or runtime failure (exit 6)
  unreachable,  // cannot reach the ledger, a provider or Docker (exit 7)
};

// What went wrong, where (if anywhere), and at which key path ("services.web.image").
struct Error {
  std::string message;
  std::optional<Location> where;
  std::string path;
  ErrorKind kind = ErrorKind::invalid;
};

// An error of the given kind with no location.
inline Error make_error(ErrorKind kind, std::string message) {
  return Error{std::move(message), std::nullopt, {}, kind};
}

// "file:line:col: path: message" with the parts that are present.
std::string to_string(const Error& error);
std::string to_string(const Location& location);

template <typename T>
class [[nodiscard]] Result {
public:
  Result(T value) : m_value(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : m_value(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return m_value.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(m_value); }
  const T& value() const& { return std::get<0>(m_value); }
  T&& value() && { return std::get<0>(std::move(m_value)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(m_value); }

private:
  std::variant<T, Error> m_value;
};

// For operations that return nothing on success.
using Status = Result<std::monostate>;
inline Status ok() { return Status(std::monostate{}); }

} // namespace akt
