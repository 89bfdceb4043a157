// milvus-migration: the command line. Same commands and flags as the Go tool
// (dump, load, start, version; --config/-c defaulting to configs/migration.yaml).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "app/migration.h"
#include "config/migration_config.h"
#include "core/cancellation.h"
#include "core/version.h"

namespace {

constexpr const char* kDefaultConfig = "configs/migration.yaml";

int RunWithConfig(const std::string& path, mm::Status (*command)(const mm::MigrationConfig&),
                  const char* name) {
  auto config = mm::LoadMigrationConfig(path);
  mm::Status st = config.ok() ? command(*config) : config.status();
  if (!st.ok()) {
    spdlog::error("{} failed: {}", name, std::string(st.message()));
    return absl::IsCancelled(st) ? 130 : 1;
  }
  spdlog::info("{} finished successfully", name);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr so stdout stays clean for output a script may read.
  spdlog::set_default_logger(spdlog::stderr_color_mt("milvus-migration"));
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  CLI::App app{"milvus-migration: move vector data into Milvus 2.x"};
  app.require_subcommand(1);
  std::string config = kDefaultConfig;

  struct Command {
    const char* name;
    const char* help;
    mm::Status (*run)(const mm::MigrationConfig&);
  };
  const Command commands[] = {
      {"dump", "read the source and write Milvus bulk-import files", mm::Dump},
      {"load", "import the dumped files into Milvus 2.x and check the row count", mm::Load},
      {"start", "dump then load, in one command", mm::Start},
  };
  const Command* chosen = nullptr;
  for (const auto& c : commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    sub->add_option("-c,--config", config, "path of migration.yaml")
        ->capture_default_str();
    sub->callback([&chosen, &c] { chosen = &c; });
  }
  app.add_subcommand("version", "print the version")->callback([] {
    std::printf("milvus-migration %s\n", mm::kVersion);
  });

  CLI11_PARSE(app, argc, argv);
  mm::InstallCancellationHandlers();
  if (chosen == nullptr) return 0;
  return RunWithConfig(config, chosen->run, chosen->name);
}
