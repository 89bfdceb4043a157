// Rows and bytes done against a known total, with rate and ETA. A background thread
// reports every few seconds: a bar redrawn in place on a terminal, a log line otherwise.
// Add() is thread-safe and cheap (two atomics) so readers call it per batch.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace mm {

class Progress {
 public:
  // `total_rows` < 0 when unknown.
  Progress(std::string label, int64_t total_rows, std::chrono::milliseconds period =
                                                      std::chrono::milliseconds(2000));
  ~Progress();  // stops the reporter and prints the final line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Add(int64_t rows, int64_t bytes) {
    rows_.fetch_add(rows, std::memory_order_relaxed);
    bytes_.fetch_add(bytes, std::memory_order_relaxed);
  }
  int64_t rows() const { return rows_.load(); }
  int64_t bytes() const { return bytes_.load(); }
  double seconds() const;
  // "1,000,000/2,000,000 rows (50.0%) 412.3 MB/s 1.2M rows/s ETA 3s"
  std::string Line() const;

 private:
  void Report(bool final);

  std::string label_;
  int64_t total_rows_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> rows_{0};
  std::atomic<int64_t> bytes_{0};
  bool tty_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread reporter_;
};

}  // namespace mm
