#include "pipeline/progress.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/ascii.h"

namespace mm {
namespace {

constexpr std::chrono::milliseconds kBarPeriod(100);  // at most 10 drawings a second
constexpr int kBarWidth = 24;
// Back to the line's start and erase it: the bar is redrawn in place.
constexpr std::string_view kClearLine = "\r\x1b[2K";

}  // namespace

Result<ProgressMode> ParseProgressMode(std::string_view text) {
  const std::string t = absl::AsciiStrToLower(std::string(text));
  if (t == "auto") return ProgressMode::kAuto;
  if (t == "bar") return ProgressMode::kBar;
  if (t == "plain") return ProgressMode::kPlain;
  if (t == "none") return ProgressMode::kNone;
  return absl::InvalidArgumentError(
      StrCat("--progress: '", text, "' is not one of auto, bar, plain, none"));
}

ProgressMode ResolveProgressMode(ProgressMode mode, bool terminal) {
  if (mode != ProgressMode::kAuto) return mode;
  return terminal ? ProgressMode::kBar : ProgressMode::kPlain;
}

std::string ProgressLine(std::string_view label, int64_t rows_done, int64_t rows_total,
                         int64_t bytes_done, int64_t bytes_total, double seconds, int width) {
  const double s = std::max(seconds, 1e-6);
  char buf[256];
  std::string out(label);
  if (width > 0) {
    const int filled =
        rows_total > 0 ? static_cast<int>(std::min<int64_t>(width, width * rows_done / rows_total))
                       : 0;
    out += " [" + std::string(static_cast<size_t>(filled), '#') +
           std::string(static_cast<size_t>(width - filled), '.') + "]";
  }
  out += StrCat(" ", rows_done);
  if (rows_total >= 0) {
    std::snprintf(buf, sizeof(buf), "/%lld rows (%.1f%%)", static_cast<long long>(rows_total),
                  rows_total == 0 ? 100.0
                                  : 100.0 * static_cast<double>(rows_done) /
                                        static_cast<double>(rows_total));
    out += buf;
  } else {
    out += " rows";
  }
  std::snprintf(buf, sizeof(buf), " %.1f", static_cast<double>(bytes_done) / 1e6);
  out += buf;
  if (bytes_total >= 0) {
    std::snprintf(buf, sizeof(buf), "/%.1f", static_cast<double>(bytes_total) / 1e6);
    out += buf;
  }
  std::snprintf(buf, sizeof(buf), " MB %.1f MB/s %.0f rows/s",
                static_cast<double>(bytes_done) / 1e6 / s, static_cast<double>(rows_done) / s);
  out += buf;
  if (rows_total > 0 && rows_done > 0 && rows_done < rows_total) {
    std::snprintf(buf, sizeof(buf), " ETA %.0fs",
                  static_cast<double>(rows_total - rows_done) * s / static_cast<double>(rows_done));
    out += buf;
  }
  return out;
}

namespace {

// " | import 1500/3000 rows (50.0%)": the import running beside the dump (`start`), after
// the dump's bar; "" when none runs.
std::string ConcurrentImportText(const RunSnapshot& s) {
  if (!s.concurrent_import.running) return "";
  std::string out = StrCat(" | import ", s.concurrent_import.rows_done);
  if (s.rows_total > 0) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "/%lld rows (%.1f%%)", static_cast<long long>(s.rows_total),
                  100.0 * static_cast<double>(s.concurrent_import.rows_done) /
                      static_cast<double>(s.rows_total));
    out += buf;
  } else {
    out += " rows";
  }
  return out;
}

int64_t BytesTotal(const std::vector<CollectionProgress>& collections) {
  int64_t total = 0;
  for (const auto& c : collections) {
    if (c.bytes_total < 0) return -1;
    total += c.bytes_total;
  }
  return collections.empty() ? -1 : total;
}

}  // namespace

ProgressDisplay::ProgressDisplay(const RunObserver* observer, ProgressMode mode, Draw draw,
                                 Line line, std::chrono::milliseconds plain_period)
    : observer_(observer),
      mode_(mode),
      draw_(std::move(draw)),
      line_(std::move(line)),
      plain_period_(plain_period) {}

ProgressDisplay::~ProgressDisplay() { Stop(); }

void ProgressDisplay::Start() {
  if (mode_ == ProgressMode::kNone || thread_.joinable()) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, kBarPeriod, [this] { return stop_; })) {
      Tick(std::chrono::steady_clock::now());
    }
  });
}

void ProgressDisplay::Stop(bool succeeded) {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    succeeded_ = succeeded;
  }
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  thread_.join();
  Tick(std::chrono::steady_clock::now(), /*final=*/true);
}

void ProgressDisplay::Tick(std::chrono::steady_clock::time_point now, bool final) {
  if (mode_ == ProgressMode::kNone) return;
  const RunSnapshot s = observer_->Snapshot();
  std::lock_guard lock(mu_);
  const bool bar = mode_ == ProgressMode::kBar;
  // A phase that ended: its last numbers, on a line of their own that stays.
  auto close = [&](RunPhase phase, int64_t rows_done, int64_t rows_total, int64_t bytes_done,
                   int64_t bytes_total, double seconds, bool done = true) {
    const std::string text =
        ProgressLine(StrCat(RunPhaseName(phase), done ? ": done" : ": stopped"), rows_done,
                     rows_total, bytes_done, bytes_total, seconds, bar ? kBarWidth : 0);
    if (bar) {
      draw_(StrCat(kClearLine, text, "\n"));
      bar_shown_ = false;
    } else {
      line_(text);
    }
  };
  for (; phases_closed_ < s.finished.size(); ++phases_closed_) {
    const FinishedPhase& f = s.finished[phases_closed_];
    close(f.phase, f.rows_done, f.rows_total, f.bytes_done, BytesTotal(f.collections), f.seconds);
    last_line_ = now;
  }
  if (s.phase == RunPhase::kInit || s.phase == RunPhase::kDone) {
    // kDone keeps the last phase's numbers; a server job's end closes it (the CLI's run ends
    // with the final Tick instead, below).
    if (bar && bar_shown_) {
      draw_(kClearLine);
      bar_shown_ = false;
    }
    return;
  }
  if (current_closed_) return;
  const int64_t bytes_total = BytesTotal(s.collections);
  if (final) {
    close(s.phase, s.rows_done, s.rows_total, s.bytes_done, bytes_total, s.seconds, succeeded_);
    last_line_ = now;
    current_closed_ = true;
    return;
  }
  if (bar) {
    // Also after a log line cleared it: at most 10 drawings a second whatever happens.
    if (bar_draws_ > 0 && now - last_draw_ < kBarPeriod) return;
    draw_(StrCat(kClearLine, ProgressLine(RunPhaseName(s.phase), s.rows_done, s.rows_total,
                                          s.bytes_done, bytes_total, s.seconds, kBarWidth),
                 ConcurrentImportText(s)));
    bar_shown_ = true;
    last_draw_ = now;
    ++bar_draws_;
  } else {
    if (last_line_ == std::chrono::steady_clock::time_point{}) last_line_ = now;
    if (now - last_line_ < plain_period_) return;
    line_(ProgressLine(RunPhaseName(s.phase), s.rows_done, s.rows_total, s.bytes_done,
                       bytes_total, s.seconds, 0));
    // `start`: the import running beside the dump, on a line of its own.
    if (s.concurrent_import.running) {
      line_(ProgressLine("import", s.concurrent_import.rows_done, s.rows_total,
                         s.concurrent_import.bytes_done, -1, s.concurrent_import.seconds, 0));
    }
    last_line_ = now;
  }
}

void ProgressDisplay::WriteLog(const std::function<void()>& write) {
  std::lock_guard lock(mu_);
  if (bar_shown_) {
    draw_(kClearLine);
    bar_shown_ = false;
  }
  write();
}

int ProgressDisplay::bar_draws() const {
  std::lock_guard lock(mu_);
  return bar_draws_;
}

}  // namespace mm
