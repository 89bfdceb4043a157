// The parsed migration.yaml section of one source kind (FAISS, Milvus 1.x, Elasticsearch).
// Each kind's folder derives its own config from this base; MigrationConfig holds it as
// `std::shared_ptr<const SourceConfig>`, and only the kind's own opener casts it back.
#pragma once

namespace mm {

// A virtual base rather than a std::variant of every kind: a variant would name each kind in
// config/migration_config.h, so a new source would touch the shared config too. With the base,
// a new kind is its folder plus one line in src/sources/registry.cc.
class SourceConfig {
 public:
  virtual ~SourceConfig() = default;
};

}  // namespace mm
