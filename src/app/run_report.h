// The summary of a dump, load or start once it finished: one line per collection (rows,
// parts, skipped rows, time, MB/s) for the log, and the same as report.json beside
// manifest.json in the output. Rows, parts, bytes and skipped rows come from the checkpoint
// (what is in the output); the time of each phase from the run's RunObserver, the numbers
// the progress display and the REST server's get_job show.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "pipeline/manifest.h"
#include "pipeline/run_observer.h"
#include "storage/storage.h"

namespace mm {

struct CollectionSummary {
  std::string collection;
  int64_t rows = 0;          // rows the dump wrote
  int parts = 0;
  int64_t bytes = 0;         // of the parts
  int64_t skipped_rows = 0;  // left out as invalid
  // Per phase this run went through: seconds from the phase's start to the collection's
  // last rows in it (0 when the phase had nothing to do for it, e.g. resumed).
  double dump_seconds = 0;
  double import_seconds = 0;
  bool dumped = false;    // this run dumped (dump, start)
  bool imported = false;  // this run imported (load, start)

  double seconds() const { return dump_seconds + import_seconds; }
  double megabytes_per_second() const;  // bytes over seconds(), 0 when no time
  // "collection 'c': 3000 rows, 1 part(s), 0 skipped rows, 1.23s, 1.2 MB/s"
  std::string Line() const;
};

struct RunReport {
  std::string command;  // "dump", "load", "start"
  std::vector<CollectionSummary> collections;  // in plan order
  // {"command": ..., "collections": [{"collection", "rows", "parts", "bytes",
  //  "skipped_rows", "seconds", "mb_per_second", "dump_seconds"?, "import_seconds"?}]}
  std::string ToJson() const;
};

RunReport BuildRunReport(const std::string& command, const Manifest& manifest,
                         const RunSnapshot& snapshot);

// Logs the lines and writes report.json into `output`; a failure to write is a warning (the
// migration itself succeeded).
void PublishRunReport(const RunReport& report, Storage& output);

}  // namespace mm
