// The spdlog sink of a CLI run that shows a progress bar: every log line goes through the
// display, which clears the bar line before the line is written (ProgressDisplay::WriteLog),
// so a log line never lands inside the bar. Without a display it passes lines straight on.
#pragma once

#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <memory>
#include <mutex>

#include "pipeline/progress.h"

namespace mm {

class ProgressLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit ProgressLogSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}
  // The display the lines go through from now on; nullptr: none. Must outlive its use.
  void SetDisplay(ProgressDisplay* display) { display_.store(display); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    ProgressDisplay* display = display_.load();
    if (display == nullptr) {
      inner_->log(msg);
      return;
    }
    display->WriteLog([&] {
      inner_->log(msg);
      inner_->flush();
    });
  }
  void flush_() override { inner_->flush(); }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
  std::atomic<ProgressDisplay*> display_{nullptr};
};

}  // namespace mm
