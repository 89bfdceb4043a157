#include "app/run_report.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace mm {

double CollectionSummary::megabytes_per_second() const {
  const double s = seconds();
  return s > 0 ? static_cast<double>(bytes) / 1e6 / s : 0;
}

std::string CollectionSummary::Line() const {
  char buf[128];
  std::snprintf(buf, sizeof(buf), "%.2fs, %.1f MB/s", seconds(), megabytes_per_second());
  return StrCat("collection '", collection, "': ", rows, " rows, ", parts, " part(s), ",
                skipped_rows, " skipped rows, ", buf);
}

std::string RunReport::ToJson() const {
  nlohmann::json cs = nlohmann::json::array();
  for (const auto& c : collections) {
    nlohmann::json j = {{"collection", c.collection},
                        {"rows", c.rows},
                        {"parts", c.parts},
                        {"bytes", c.bytes},
                        {"skipped_rows", c.skipped_rows},
                        {"seconds", c.seconds()},
                        {"mb_per_second", c.megabytes_per_second()}};
    if (c.dumped) j["dump_seconds"] = c.dump_seconds;
    if (c.imported) j["import_seconds"] = c.import_seconds;
    cs.push_back(std::move(j));
  }
  return nlohmann::json{{"command", command}, {"collections", std::move(cs)}}.dump(2);
}

RunReport BuildRunReport(const std::string& command, const Manifest& manifest,
                         const RunSnapshot& snapshot) {
  RunReport report{.command = command, .collections = {}};
  // The phases this run went through, the current one included (a run that ended keeps
  // its last phase's numbers as current until StartPhase(kDone) moved them to `finished`).
  std::vector<FinishedPhase> phases = snapshot.finished;
  if (snapshot.phase == RunPhase::kDump || snapshot.phase == RunPhase::kImport ||
      (snapshot.phase == RunPhase::kDone && phases.empty())) {
    // kDone with nothing finished cannot name its phase: it is the command's only one.
    RunPhase phase = snapshot.phase;
    if (phase == RunPhase::kDone) phase = command == "load" ? RunPhase::kImport : RunPhase::kDump;
    phases.push_back(FinishedPhase{.phase = phase, .collections = snapshot.collections});
  }
  for (const auto& cm : manifest.collections) {
    CollectionSummary c{.collection = cm.schema.collection};
    c.rows = cm.total_rows;
    c.skipped_rows = cm.skipped.count();
    for (const auto& [id, task] : cm.tasks) {
      c.parts += static_cast<int>(task.parts.size());
      for (const auto& p : task.parts) c.bytes += static_cast<int64_t>(p.bytes);
    }
    for (const auto& phase : phases) {
      for (const auto& pc : phase.collections) {
        if (pc.collection != c.collection) continue;
        if (phase.phase == RunPhase::kDump) {
          c.dumped = true;
          c.dump_seconds = pc.seconds;
        } else if (phase.phase == RunPhase::kImport) {
          c.imported = true;
          c.import_seconds = pc.seconds;
        }
      }
    }
    report.collections.push_back(std::move(c));
  }
  return report;
}

void PublishRunReport(const RunReport& report, Storage& output) {
  for (const auto& c : report.collections) spdlog::info("{}: {}", report.command, c.Line());
  Result<std::unique_ptr<WritableFile>> file = output.OpenWrite("report.json");
  Status st = file.status();
  if (st.ok()) st = (*file)->Append(report.ToJson() + "\n");
  if (st.ok()) st = (*file)->Close();
  if (!st.ok()) {
    spdlog::warn("{}: could not store report.json in the output: {}", report.command,
                 std::string(st.message()));
  }
}

}  // namespace mm
