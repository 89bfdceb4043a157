// The physical limits of a verify, for bench/verify_bench.sh: how fast this machine reads the
// source through its plan and readers alone (no hashing), and how fast Milvus answers the
// range queries verify makes (no hashing). Usage:
//   verify_read_bench source|milvus migration.yaml
// Prints "<what> <rows> rows <seconds> s <rows/s> rows/s".
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>

#include "app/endpoints.h"
#include "config/migration_config.h"
#include "pipeline/parallel_for.h"
#include "sources/registry.h"
#include "verify/pk_range.h"

namespace mm {
namespace {

Result<int64_t> ReadSource(const MigrationConfig& config) {
  ASSIGN_OR_RETURN(OpenedSource source, OpenSource(config));
  ASSIGN_OR_RETURN(std::vector<CollectionPlan> plans, source.source->Plan());
  int64_t rows = 0;
  std::mutex mu;
  for (const auto& plan : plans) {
    RETURN_IF_ERROR(ParallelFor(config.dumper_limit, plan.tasks.size(), [&](size_t t) -> Status {
      ASSIGN_OR_RETURN(std::unique_ptr<BatchReader> reader, source.source->OpenTask(plan.tasks[t]));
      int64_t n = 0;
      while (true) {
        ASSIGN_OR_RETURN(std::optional<Batch> batch, reader->Next());
        if (!batch) break;
        n += batch->num_rows();
      }
      std::lock_guard lock(mu);
      rows += n;
      return absl::OkStatus();
    }));
  }
  return rows;
}

Result<int64_t> QueryMilvus(const MigrationConfig& config) {
  ASSIGN_OR_RETURN(OpenedSource source, OpenSource(config));
  ASSIGN_OR_RETURN(std::vector<CollectionPlan> plans, source.source->Plan());
  ASSIGN_OR_RETURN(auto milvus, ConnectMilvus(config));
  // As verify reads: every query as of one timestamp.
  ASSIGN_OR_RETURN(uint64_t ts, milvus->AllocTimestamp());
  int64_t rows = 0;
  std::mutex mu;
  for (const auto& plan : plans) {
    const Schema& schema = *plan.schema;
    const FieldSchema* pk = schema.PrimaryKey();
    const bool varchar = pk->type == DataType::kVarChar;
    auto literal = [&](const PkBound& b) {
      return varchar ? QuoteExprString(b.s) : std::to_string(b.i);
    };
    ASSIGN_OR_RETURN(
        PkRanges ranges,
        SplitByCount(varchar, 8192,
                     [&](const std::optional<PkBound>& lo,
                         const std::optional<PkBound>& hi) -> Result<int64_t> {
                       std::string e = lo ? StrCat(pk->name, " >= ", literal(*lo)) : "";
                       if (hi) e += StrCat(e.empty() ? "" : " && ", pk->name, " < ", literal(*hi));
                       return milvus->QueryCount(schema.collection, "", e, ts);
                     }));
    RETURN_IF_ERROR(ParallelFor(config.loader_limit, ranges.size(), [&](size_t i) -> Status {
      Batch b(plan.schema);
      RETURN_IF_ERROR(
          milvus->Query(schema.collection, "", ranges.Expr(pk->name, i), 16384, &b, ts));
      std::lock_guard lock(mu);
      rows += b.num_rows();
      return absl::OkStatus();
    }));
  }
  return rows;
}

}  // namespace
}  // namespace mm

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "source") != 0 && std::strcmp(argv[1], "milvus") != 0)) {
    std::fprintf(stderr, "usage: %s source|milvus migration.yaml\n", argv[0]);
    return 2;
  }
  auto config = mm::LoadMigrationConfig(argv[2], false);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const bool source = std::strcmp(argv[1], "source") == 0;
  auto rows = source ? mm::ReadSource(*config) : mm::QueryMilvus(*config);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!rows.ok()) {
    std::fprintf(stderr, "%s\n", std::string(rows.status().message()).c_str());
    return 1;
  }
  std::printf("%s %lld rows %.2f s %.0f rows/s\n", source ? "source-read" : "milvus-query",
              static_cast<long long>(*rows), s, static_cast<double>(*rows) / s);
  return 0;
}
