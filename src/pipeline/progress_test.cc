#include "pipeline/progress.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "pipeline/progress_log_sink.h"

namespace mm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

TEST(ProgressModeTest, ParsesTheFourModesAndResolvesAuto) {
  EXPECT_EQ(*ParseProgressMode("auto"), ProgressMode::kAuto);
  EXPECT_EQ(*ParseProgressMode("BAR"), ProgressMode::kBar);
  EXPECT_EQ(*ParseProgressMode("plain"), ProgressMode::kPlain);
  EXPECT_EQ(*ParseProgressMode("none"), ProgressMode::kNone);
  Result<ProgressMode> bad = ParseProgressMode("fancy");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_TRUE(absl::StrContains(bad.status().message(), "'fancy'"));
  EXPECT_EQ(ResolveProgressMode(ProgressMode::kAuto, true), ProgressMode::kBar);
  EXPECT_EQ(ResolveProgressMode(ProgressMode::kAuto, false), ProgressMode::kPlain);
  EXPECT_EQ(ResolveProgressMode(ProgressMode::kNone, true), ProgressMode::kNone);
}

TEST(ProgressLineTest, GivesRowsAndBytesOutOfTheTotalRateAndEta) {
  EXPECT_EQ(ProgressLine("dump", 1500, 3000, 12'000'000, 24'000'000, 2.0, 10),
            "dump [#####.....] 1500/3000 rows (50.0%) 12.0/24.0 MB 6.0 MB/s 750 rows/s ETA 2s");
  // Totals unknown: no bar filled, no percentage, no ETA.
  EXPECT_EQ(ProgressLine("dump", 10, -1, 1'000'000, -1, 1.0, 0),
            "dump 10 rows 1.0 MB 1.0 MB/s 10 rows/s");
}

// Everything the display writes, and the log lines, in the order they reached "stderr".
class Terminal {
 public:
  void Write(std::string_view text) {
    std::lock_guard lock(mu_);
    out_.append(text);
  }
  std::string out() const {
    std::lock_guard lock(mu_);
    return out_;
  }

 private:
  mutable std::mutex mu_;
  std::string out_;
};

class TerminalSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit TerminalSink(Terminal* t) : t_(t) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    // Written in two pieces, as a real sink may: a bar drawn between them would show.
    t_->Write(std::string_view(msg.payload.data(), msg.payload.size()));
    std::this_thread::yield();
    t_->Write("\n");
  }
  void flush_() override {}

 private:
  Terminal* t_;
};

TEST(ProgressDisplayTest, BarIsDrawnAtMostTenTimesASecond) {
  RunObserver observer;
  observer.StartPhase(RunPhase::kDump);
  observer.SetCollectionTotal("c", 1000);
  Terminal term;
  ProgressDisplay display(
      &observer, ProgressMode::kBar, [&](std::string_view t) { term.Write(t); },
      [](const std::string&) {});
  const Clock::time_point t0 = Clock::now();
  // 2 s of ticks every 10 ms, a log line every 30 ms (each one clears the bar).
  for (int i = 0; i < 200; ++i) {
    observer.Add("c", 5, 50);
    display.Tick(t0 + milliseconds(10 * i));
    if (i % 3 == 0) display.WriteLog([&] { term.Write("log\n"); });
  }
  EXPECT_GE(display.bar_draws(), 19);
  EXPECT_LE(display.bar_draws(), 20);
  EXPECT_TRUE(absl::StrContains(term.out(), "dump ["));
}

TEST(ProgressDisplayTest, LogLinesNeverLandInsideTheBar) {
  RunObserver observer;
  observer.StartPhase(RunPhase::kDump);
  observer.SetCollectionTotal("c", 1'000'000);
  Terminal term;
  ProgressDisplay display(
      &observer, ProgressMode::kBar, [&](std::string_view t) { term.Write(t); },
      [](const std::string&) {});
  auto sink = std::make_shared<ProgressLogSink>(std::make_shared<TerminalSink>(&term));
  spdlog::logger logger("progress_test", sink);
  sink->SetDisplay(&display);

  std::atomic<bool> stop{false};
  std::thread ticker([&] {
    // Far more often than the thread would, each tick 100 ms later on the display's clock.
    Clock::time_point now = Clock::now();
    while (!stop) {
      observer.Add("c", 1, 10);
      now += milliseconds(100);
      display.Tick(now);
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 300; ++i) logger.info("log {} {}", w, i);
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  ticker.join();
  sink->SetDisplay(nullptr);
  ASSERT_GT(display.bar_draws(), 10);

  // Every line ends either a log line or (the last) a bar; what follows the last "\r" on a
  // line is what the terminal shows: a whole log line or a whole bar, never both.
  int logs = 0;
  const std::string out = term.out();
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(out, '\n'))) {
    const size_t cr = line.rfind('\r');
    std::string shown = cr == std::string::npos ? line : line.substr(cr + 1);
    if (shown.rfind("\x1b[2K", 0) == 0) shown = shown.substr(4);
    const size_t log = line.find("log ");
    if (log == std::string::npos) continue;
    ++logs;
    EXPECT_EQ(shown.rfind("log ", 0), 0u) << "a log line inside a bar: " << line;
    EXPECT_EQ(shown.find("rows"), std::string::npos) << "a bar inside a log line: " << line;
    EXPECT_EQ(line.find("dump [", log), std::string::npos)
        << "a bar drawn inside a log line: " << line;
  }
  EXPECT_EQ(logs, 900);
}

TEST(ProgressDisplayTest, PlainModeWritesALineEveryPeriodAndEachPhasesLastNumbers) {
  RunObserver observer;
  std::vector<std::string> lines;
  std::string drawn;
  ProgressDisplay display(
      &observer, ProgressMode::kPlain, [&](std::string_view t) { drawn.append(t); },
      [&](const std::string& l) { lines.push_back(l); }, std::chrono::seconds(5));
  observer.StartPhase(RunPhase::kDump);
  observer.SetCollectionTotal("c", 3000);
  const Clock::time_point t0 = Clock::now();
  for (int s = 0; s <= 12; ++s) {
    observer.Add("c", 100, 1000);
    display.Tick(t0 + std::chrono::seconds(s));
  }
  ASSERT_EQ(lines.size(), 2u);  // at 5 s and 10 s
  EXPECT_TRUE(absl::StartsWith(lines[0], "dump 600/3000 rows (20.0%) 0.0 MB")) << lines[0];
  EXPECT_TRUE(absl::StartsWith(lines[1], "dump 1100/3000 rows")) << lines[1];

  observer.Add("c", 1700, 17000);
  observer.StartPhase(RunPhase::kImport);
  observer.SetCollectionTotal("c", 3000, 30000);
  observer.Add("c", 3000, 30000);
  display.Tick(t0 + std::chrono::seconds(13));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_TRUE(absl::StartsWith(lines[2], "dump: done 3000/3000 rows (100.0%) 0.0 MB"))
      << lines[2];
  display.Tick(t0 + std::chrono::seconds(14), /*final=*/true);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_TRUE(absl::StartsWith(lines[3], "import: done 3000/3000 rows (100.0%) 0.0/0.0 MB"))
      << lines[3];
  display.Tick(t0 + std::chrono::seconds(20));
  EXPECT_EQ(lines.size(), 4u);  // closed: nothing more
  EXPECT_EQ(drawn, "");         // never a bar's control codes
}

TEST(ProgressDisplayTest, ARunThatFailedSaysItsPhaseStopped) {
  RunObserver observer;
  std::vector<std::string> lines;
  ProgressDisplay display(
      &observer, ProgressMode::kPlain, [](std::string_view) {},
      [&](const std::string& l) { lines.push_back(l); });
  display.Start();
  observer.StartPhase(RunPhase::kVerify);
  observer.SetCollectionTotal("c", 10);
  observer.Add("c", 4, 40);
  display.Stop(/*succeeded=*/false);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(lines[0], "verify: stopped 4/10 rows (40.0%)")) << lines[0];
}

TEST(ProgressDisplayTest, NoneWritesNothing) {
  RunObserver observer;
  observer.StartPhase(RunPhase::kDump);
  int writes = 0;
  ProgressDisplay display(
      &observer, ProgressMode::kNone, [&](std::string_view) { ++writes; },
      [&](const std::string&) { ++writes; }, milliseconds(1));
  display.Start();
  std::this_thread::sleep_for(milliseconds(250));
  observer.StartPhase(RunPhase::kImport);
  display.Stop();
  EXPECT_EQ(writes, 0);
}

}  // namespace
}  // namespace mm
