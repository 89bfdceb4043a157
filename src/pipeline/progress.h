// What a run shows while it runs, read from the RunObserver the REST server's get_job reads
// too, so both show the same numbers. On a terminal a bar per phase (dump, import) redrawn
// in place at most 10 times a second, each phase's last state left on its own line; not on
// a terminal a plain line every few seconds. Log lines never land inside the bar: while a
// bar is up every log line goes through WriteLog (see ProgressLogSink), which clears the bar
// line first; the next tick draws it again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/status.h"
#include "pipeline/run_observer.h"

namespace mm {

enum class ProgressMode { kAuto, kBar, kPlain, kNone };

// "auto", "bar", "plain", "none"; anything else is InvalidArgument naming the value.
Result<ProgressMode> ParseProgressMode(std::string_view text);
// kAuto becomes kBar on a terminal, kPlain otherwise; the others stay.
ProgressMode ResolveProgressMode(ProgressMode mode, bool terminal);

// "dump [#####.........] 1500/3000 rows (50.0%) 12.0/24.0 MB 3.1 MB/s 1200 rows/s ETA 1s":
// one phase's numbers (bytes total and ETA only when known). `width` 0: no bar.
std::string ProgressLine(std::string_view label, int64_t rows_done, int64_t rows_total,
                         int64_t bytes_done, int64_t bytes_total, double seconds, int width);

class ProgressDisplay {
 public:
  // Raw text for the terminal (the bar; no newline of its own). Called under the display's
  // lock, as is every log line through WriteLog.
  using Draw = std::function<void(std::string_view)>;
  // One whole line (plain mode; the CLI logs it).
  using Line = std::function<void(const std::string&)>;

  // `mode` resolved (kBar, kPlain or kNone). `observer` must outlive the display.
  // `plain_period`: the time between plain lines.
  ProgressDisplay(const RunObserver* observer, ProgressMode mode, Draw draw, Line line,
                  std::chrono::milliseconds plain_period = std::chrono::seconds(5));
  ~ProgressDisplay();  // Stop()
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

  // A thread that calls Tick every 100 ms until Stop.
  void Start();
  // Stops the thread, then one last Tick that closes every phase seen: the current one's
  // last line says "done", or "stopped" when the run did not succeed.
  void Stop(bool succeeded = true);

  // What the thread does at `now`: prints the final line of each phase that ended since,
  // then (bar) redraws the current phase's bar if the last drawing is 100 ms old or more,
  // or (plain) writes its line if the last is `plain_period` old or more. `final`: the
  // run ended, the current phase is closed too.
  void Tick(std::chrono::steady_clock::time_point now, bool final = false);

  // Writes one log line (`write` does it, with its newline) so that it never lands inside
  // the bar: the bar line is cleared first and drawn again at the next Tick.
  void WriteLog(const std::function<void()>& write);

  int bar_draws() const;  // times the bar was drawn, for tests of the rate

 private:
  const RunObserver* observer_;
  const ProgressMode mode_;
  const Draw draw_;
  const Line line_;
  const std::chrono::milliseconds plain_period_;

  mutable std::mutex mu_;
  bool bar_shown_ = false;  // a bar is on the current terminal line
  int bar_draws_ = 0;
  size_t phases_closed_ = 0;  // of RunSnapshot::finished
  std::chrono::steady_clock::time_point last_draw_{};
  std::chrono::steady_clock::time_point last_line_{};
  bool current_closed_ = false;  // the final Tick closed the current phase
  bool succeeded_ = true;        // of the run, for the final Tick

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mm
