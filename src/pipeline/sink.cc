#include "pipeline/sink.h"

namespace mm {
namespace {

Status WrongInput(const Sink& sink, std::string_view call) {
  return absl::InternalError(StrCat("the ", sink.kind(), " sink takes ",
                                    sink.input() == SinkInput::kParts ? "dumped parts" : "batches",
                                    ", not ", call));
}

}  // namespace

Result<LoadSummary> Sink::LoadParts(Storage&, ManifestStore&) {
  return WrongInput(*this, "dumped parts");
}
Status Sink::BeginParts(Storage&, ManifestStore&, std::vector<bool>) { return absl::OkStatus(); }
Status Sink::PartsCheckpointed() { return absl::OkStatus(); }
Status Sink::EndParts(const Status&) { return absl::OkStatus(); }
Status Sink::Prepare(ManifestStore&, size_t) { return WrongInput(*this, "batches"); }
Result<std::unique_ptr<TaskWriter>> Sink::OpenTask(ManifestStore&, size_t, const SourceTask&) {
  return WrongInput(*this, "batches");
}
Status Sink::Finish(ManifestStore&, size_t) { return WrongInput(*this, "batches"); }

}  // namespace mm
