#include "pipeline/progress.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

#include "core/status.h"

namespace mm {

Progress::Progress(std::string label, int64_t total_rows, std::chrono::milliseconds period)
    : label_(std::move(label)),
      total_rows_(total_rows),
      start_(std::chrono::steady_clock::now()),
      tty_(isatty(STDERR_FILENO) == 1) {
  reporter_ = std::thread([this, period] {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, period, [this] { return stop_; })) Report(false);
  });
}

Progress::~Progress() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  reporter_.join();
  Report(true);
}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::Line() const {
  const double s = std::max(seconds(), 1e-6);
  const int64_t rows = rows_.load();
  char buf[256];
  std::string out = StrCat(rows);
  if (total_rows_ >= 0) {
    std::snprintf(buf, sizeof(buf), "/%lld rows (%.1f%%)", static_cast<long long>(total_rows_),
                  total_rows_ == 0 ? 100.0 : 100.0 * rows / total_rows_);
    out += buf;
  } else {
    out += " rows";
  }
  std::snprintf(buf, sizeof(buf), " %.1f MB/s %.0f rows/s", bytes_.load() / 1e6 / s, rows / s);
  out += buf;
  if (total_rows_ > 0 && rows > 0 && rows < total_rows_) {
    std::snprintf(buf, sizeof(buf), " ETA %.0fs", (total_rows_ - rows) * s / rows);
    out += buf;
  }
  return out;
}

void Progress::Report(bool final) {
  if (tty_) {
    const int width = 30;
    int filled = total_rows_ > 0 ? static_cast<int>(width * rows_.load() / total_rows_) : 0;
    std::string bar(std::min(filled, width), '#');
    bar.resize(width, '.');
    std::fprintf(stderr, "\r%s [%s] %s", label_.c_str(), bar.c_str(), Line().c_str());
    if (final) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  } else if (!final) {
    spdlog::info("{}: {}", label_, Line());
  }
}

}  // namespace mm
