#pragma once
// Wall-clock time for deriving heights, behind an interface so tests and simulations
// control it. Milliseconds since the Unix epoch.
#include <atomic>
#include <cstdint>

namespace akt::ledger {

class Clock {
public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ms() const = 0;
};

// The system's real-time clock.
class SystemClock final : public Clock {
public:
  std::int64_t now_ms() const override;
};

// A clock that moves only when told to; safe to read and move from several threads.
class ManualClock final : public Clock {
public:
  explicit ManualClock(std::int64_t start_ms = 0) : m_now(start_ms) {}
  std::int64_t now_ms() const override { return m_now.load(); }
  void set_ms(std::int64_t now) { m_now.store(now); }
  void advance_ms(std::int64_t delta) { m_now.fetch_add(delta); }

private:
  std::atomic<std::int64_t> m_now;
};

} // namespace akt::ledger
