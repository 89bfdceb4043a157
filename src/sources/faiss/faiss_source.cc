#include "sources/faiss/faiss_source.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "sources/faiss/faiss_batch_reader.h"
#include "sources/faiss/faiss_layout.h"

namespace mm {

using faiss_format::FaissDataset;
using faiss_format::FaissLayout;
using faiss_format::VectorEncoding;

namespace {

constexpr std::string_view kTaskPrefix = "rows-";

// faiss::MetricType values (faiss/MetricType.h) and their names, for messages.
std::string FaissMetricName(int32_t metric) {
  switch (metric) {
    case 0: return "IP";
    case 1: return "L2";
    case 2: return "L1";
    case 3: return "Linf";
    case 4: return "Lp";
    case 20: return "Canberra";
    case 21: return "BrayCurtis";
    case 22: return "JensenShannon";
    case 23: return "Jaccard";
    default: return StrCat("metric ", metric);
  }
}

Result<std::string> MetricFor(const FaissLayout& layout, const FaissSourceOptions& options,
                              const std::string& file) {
  if (!options.metric_type.empty()) return options.metric_type;
  if (layout.binary) return std::string("HAMMING");
  if (layout.metric_type == 0) return std::string("IP");
  if (layout.metric_type == 1) return std::string("L2");
  return absl::UnimplementedError(StrCat("faiss file '", file, "' uses the ",
                                         FaissMetricName(layout.metric_type),
                                         " metric, which Milvus does not offer; set metric_type "
                                         "in the config to choose the collection's metric"));
}

Status CheckOptions(const FaissSourceOptions& o) {
  if (o.collection.empty()) {
    return absl::InvalidArgumentError("faiss source: the target collection name is empty");
  }
  if (o.rows_per_task <= 0 || o.batch_bytes <= 0) {
    return absl::InvalidArgumentError(StrCat("faiss source: rows_per_task (", o.rows_per_task,
                                             ") and batch_bytes (", o.batch_bytes,
                                             ") must be positive"));
  }
  if (o.dim < 0) {
    return absl::InvalidArgumentError(StrCat("faiss source: dim ", o.dim, " is negative"));
  }
  if (o.id_field.empty() || o.vector_field.empty() || o.id_field == o.vector_field) {
    return absl::InvalidArgumentError(StrCat("faiss source: field names '", o.id_field, "' and '",
                                             o.vector_field, "' must be non-empty and differ"));
  }
  return absl::OkStatus();
}

bool ParseInt(std::string_view text, int64_t* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

FaissSource::FaissSource(FaissSourceOptions options, std::string metric_type,
                         std::shared_ptr<const FaissDataset> dataset)
    : options_(std::move(options)), metric_type_(std::move(metric_type)),
      dataset_(std::move(dataset)) {}

FaissSource::~FaissSource() = default;

Result<std::unique_ptr<FaissSource>> FaissSource::Open(std::shared_ptr<RandomAccessFile> file,
                                                       FaissSourceOptions options) {
  RETURN_IF_ERROR(CheckOptions(options));
  auto dataset = std::make_shared<FaissDataset>();
  ASSIGN_OR_RETURN(dataset->layout, faiss_format::ReadFaissLayout(*file, options.allow_trailing_bytes));
  const FaissLayout& layout = dataset->layout;
  const std::string& name = file->name();

  if (options.dim != 0 && options.dim != layout.dim) {
    return absl::InvalidArgumentError(
        StrCat("faiss file '", name, "' holds ", layout.binary ? "binary " : "", "vectors of dim ",
               layout.dim, layout.binary ? " bits" : "", " but the config sets dim ", options.dim));
  }
  ASSIGN_OR_RETURN(std::string metric, MetricFor(layout, options, name));

  auto schema = std::make_shared<Schema>();
  schema->collection = options.collection;
  schema->fields.push_back(
      FieldSchema{.name = options.id_field, .type = DataType::kInt64, .primary_key = true});
  schema->fields.push_back(FieldSchema{
      .name = options.vector_field,
      .type = layout.binary ? DataType::kBinaryVector : DataType::kFloatVector,
      .dim = layout.dim});
  RETURN_IF_ERROR(schema->Validate());
  dataset->schema = schema;

  dataset->run_starts.reserve(layout.runs.size() + 1);
  int64_t rows = 0;
  for (const auto& run : layout.runs) {
    dataset->run_starts.push_back(rows);
    rows += run.rows;
  }
  dataset->run_starts.push_back(rows);

  const int64_t row_bytes = schema->fields[1].FixedWidth() + 8;
  dataset->rows_per_batch = std::max<int64_t>(1, options.batch_bytes / row_bytes);
  for (const auto& ref : layout.id_maps) {
    dataset->id_maps.push_back(std::make_unique<faiss_format::FaissIdMap>(*file, ref));
  }
  if (layout.encoding == VectorEncoding::kLossy) {
    ASSIGN_OR_RETURN(dataset->decoder, faiss_format::FaissLossyDecoder::Open(*file, layout));
  }
  dataset->file = std::move(file);
  return std::unique_ptr<FaissSource>(
      new FaissSource(std::move(options), std::move(metric), std::move(dataset)));
}

const std::string& FaissSource::index_type() const { return dataset_->layout.index_type; }
int64_t FaissSource::total_rows() const { return dataset_->total_rows(); }

Result<std::vector<CollectionPlan>> FaissSource::Plan() {
  const FaissLayout& layout = dataset_->layout;
  if (layout.encoding == VectorEncoding::kLossy) {
    spdlog::warn("faiss file '{}' holds an {}: it stores quantized codes, so the migrated "
                 "vectors are approximate reconstructions, not the vectors originally added",
                 dataset_->file->name(), layout.index_type);
  }
  CollectionPlan plan;
  plan.schema = dataset_->schema;
  plan.metric_type = metric_type_;
  plan.shards_num = options_.shards_num;
  plan.total_rows = dataset_->total_rows();
  plan.name_origin = "[target.create.collection.name]";
  if (layout.encoding == VectorEncoding::kLossy) {
    plan.lossy_note = StrCat("the FAISS ", layout.index_type,
                             " stores quantized codes: its vectors are reconstructions");
  }
  const int64_t stored_row_bytes = layout.code_size + 8;
  int64_t rows_per_task = options_.rows_per_task;
  if (options_.task_bytes > 0) {
    rows_per_task = std::min(rows_per_task, std::max<int64_t>(1, options_.task_bytes / stored_row_bytes));
  }
  for (int64_t begin = 0; begin < plan.total_rows; begin += rows_per_task) {
    const int64_t end = std::min(plan.total_rows, begin + rows_per_task);
    plan.tasks.push_back(SourceTask{.id = StrCat(kTaskPrefix, begin, "-", end),
                                    .collection = options_.collection,
                                    .rows = end - begin,
                                    .bytes = (end - begin) * stored_row_bytes});
  }
  return std::vector<CollectionPlan>{std::move(plan)};
}

Result<std::unique_ptr<BatchReader>> FaissSource::OpenTask(const SourceTask& task) {
  std::string_view id = task.id;
  int64_t begin = -1;
  int64_t end = -1;
  bool ok = id.substr(0, kTaskPrefix.size()) == kTaskPrefix;
  if (ok) {
    id.remove_prefix(kTaskPrefix.size());
    size_t dash = id.find('-');
    ok = dash != std::string_view::npos && ParseInt(id.substr(0, dash), &begin) &&
         ParseInt(id.substr(dash + 1), &end);
  }
  if (!ok || begin < 0 || begin > end || end > dataset_->total_rows()) {
    return absl::InvalidArgumentError(
        StrCat("faiss file '", dataset_->file->name(), "': task '", task.id,
               "' is not a row range rows-<begin>-<end> within its ", dataset_->total_rows(),
               " rows"));
  }
  return std::unique_ptr<BatchReader>(
      std::make_unique<faiss_format::FaissBatchReader>(dataset_, begin, end));
}

}  // namespace mm
