// milvus-migration: the command line. Same commands and flags as the Go tool
// (dump, load, start, export, version, server run; --config/-c defaulting to
// configs/migration.yaml; dump and start take --col a,b to pick Milvus 1.x collections),
// plus verify and start/load --verify.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "app/export_meta.h"
#include "app/migration.h"
#include "config/migration_config.h"
#include "core/cancellation.h"
#include "core/redact.h"
#include "core/version.h"
#include "pipeline/progress.h"
#include "pipeline/progress_log_sink.h"
#include "server/http_server.h"

namespace {

constexpr const char* kDefaultConfig = "configs/migration.yaml";

int Finish(const mm::Status& st, const char* name) {
  if (!st.ok()) {
    // Sources redact what they quote; this catches a URL or DSN a library put in a message.
    spdlog::error("{} failed: {}", name, mm::RedactText(std::string(st.message())));
    return absl::IsCancelled(st) ? 130 : 1;
  }
  spdlog::info("{} finished successfully", name);
  return 0;
}

// `verify` (alone, or after start/load with --verify); nullptr command: verify alone.
struct VerifyStep {
  bool after = false;  // --verify
  mm::VerifyRequest request;
};

// How a run shows its progress (--progress), and the log sink lines go through so that
// they never land inside a bar.
struct ProgressSetup {
  mm::ProgressMode mode = mm::ProgressMode::kAuto;
  mm::ProgressLogSink* log_sink = nullptr;
};

// Runs `command` with a progress display of `setup.mode` fed by the run's RunObserver.
mm::Status RunShowingProgress(const std::function<mm::Status(const mm::RunHooks&)>& command,
                              const ProgressSetup& setup) {
  mm::RunObserver observer;
  const mm::ProgressMode mode =
      mm::ResolveProgressMode(setup.mode, isatty(STDERR_FILENO) == 1);
  mm::ProgressDisplay display(
      &observer, mode,
      [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stderr);
        std::fflush(stderr);
      },
      [](const std::string& line) { spdlog::info("progress: {}", line); });
  if (mode == mm::ProgressMode::kBar) setup.log_sink->SetDisplay(&display);
  display.Start();
  mm::Status st = command(mm::RunHooks{.observer = &observer});
  display.Stop(st.ok());
  setup.log_sink->SetDisplay(nullptr);
  return st;
}

int RunWithConfig(const std::string& path, const std::string& collections, bool force_unlock,
                  bool strict,
                  mm::Status (*command)(const mm::MigrationConfig&, const mm::RunHooks&),
                  const char* name, const ProgressSetup& progress, const VerifyStep& verify = {}) {
  auto config = mm::LoadMigrationConfig(path, strict);
  if (config.ok() && !collections.empty()) {
    for (auto part : absl::StrSplit(collections, ',', absl::SkipWhitespace())) {
      config->collections.emplace_back(part.data(), part.size());
    }
  }
  if (config.ok()) config->force_unlock = force_unlock;
  mm::Status st = !config.ok() ? config.status()
                  : command   ? RunShowingProgress(
                                [&](const mm::RunHooks& hooks) { return command(*config, hooks); },
                                progress)
                              : mm::Status();
  if (st.ok() && verify.after) {
    if (command) spdlog::info("{} finished; verifying (--verify)", name);
    st = RunShowingProgress(
        [&](const mm::RunHooks& hooks) { return mm::Verify(*config, verify.request, hooks); },
        progress);
  }
  return Finish(st, name);
}

}  // namespace

int main(int argc, char** argv) {
  // Logs go to stderr so stdout stays clean for output a script may read, through a sink
  // that keeps them out of a progress bar.
  auto log_sink = std::make_shared<mm::ProgressLogSink>(
      std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("milvus-migration", log_sink));
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
  CLI::App app{"milvus-migration: move vector data into Milvus 2.x"};
  app.require_subcommand(1);
  std::string config = kDefaultConfig;
  std::string collections;
  std::string table;  // start/dump -t: one Milvus 2.x source collection
  bool force_unlock = false;
  bool strict = false;
  VerifyStep verify;
  std::string progress_mode = "auto";
  const auto progress_modes = CLI::IsMember({"auto", "bar", "plain", "none"});
  const char* progress_help =
      "how progress shows: a bar per phase on a terminal, a plain line every few seconds "
      "otherwise (auto), or bar, plain, none";

  struct Command {
    const char* name;
    const char* help;
    mm::Status (*run)(const mm::MigrationConfig&, const mm::RunHooks&);
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
    if (std::string_view(c.name) != "load") {
      sub->add_option("--col", collections,
                      "Milvus 1.x collections to migrate, comma-separated (default: all)");
    }
    if (std::string_view(c.name) != "load") {
      // The Go tool's batch script runs `start -t NAME` once per collection.
      sub->add_option("-t,--table", table,
                      "Milvus 2.x source collection to copy, overriding meta.collection");
    }
    sub->add_flag("--force-unlock", force_unlock,
                  "take over the output's migration.lock at once, for a run known to be dead "
                  "(otherwise a killed run's lock is taken over once its lease expires)");
    sub->add_flag("--strict", strict,
                  "refuse a migration.yaml with keys this tool does not read (otherwise "
                  "each is a warning naming the nearest known key)");
    if (std::string_view(c.name) != "dump") {
      sub->add_flag("--verify", verify.after,
                    "then verify that Milvus holds exactly the source's rows (see verify)");
    }
    sub->add_option("--progress", progress_mode, progress_help)
        ->check(progress_modes)
        ->capture_default_str();
    sub->callback([&chosen, &c] { chosen = &c; });
  }
  const Command verify_command{"verify", "", nullptr};
  CLI::App* verify_cmd = app.add_subcommand(
      "verify", "check that Milvus holds exactly the source's rows: counts, then every row");
  verify_cmd->add_option("-c,--config", config, "path of migration.yaml")->capture_default_str();
  verify_cmd->add_option("--col", collections,
                         "Milvus 1.x collections to verify, comma-separated (default: all)");
  verify_cmd->add_option("--sample", verify.request.sample_percent,
                         "compare the rows of a random P% of primary-key ranges (counts are "
                         "always checked in full)")
      ->check(CLI::Range(0.000001, 100.0));
  verify_cmd->add_option("--report", verify.request.report_file,
                         "also write the JSON report to this file");
  verify_cmd->add_option("--seed", verify.request.seed,
                         "seed of the --sample draw (default: random; the report records it)");
  verify_cmd->add_flag("--strict", strict,
                       "refuse a migration.yaml with keys this tool does not read");
  verify_cmd->add_option("--progress", progress_mode, progress_help)
      ->check(progress_modes)
      ->capture_default_str();
  verify_cmd->callback([&chosen, &verify_command] { chosen = &verify_command; });
  mm::ExportMetaRequest export_request;
  bool export_chosen = false;
  CLI::App* export_cmd =
      app.add_subcommand("export", "write a Milvus 1.x instance's metadata as meta.json");
  export_cmd->add_option("-s,--sqlite", export_request.sqlite_file, "the 1.x meta.sqlite file");
  export_cmd->add_option("-m,--mysql", export_request.mysql_url,
                         "the 1.x MySQL DSN, user:password@tcp(host:3306)/milvus");
  export_cmd->add_option("-o,--output", export_request.output_dir,
                         "directory to write meta.json into")
      ->required();
  export_cmd->callback([&export_chosen] { export_chosen = true; });
  mm::ServerOptions server_options;
  bool server_chosen = false;
  CLI::App* server_cmd = app.add_subcommand("server", "the REST API");
  server_cmd->require_subcommand(1);
  CLI::App* server_run = server_cmd->add_subcommand("run", "serve the REST API (Ctrl-C stops)");
  server_run->add_option("-p,--port", server_options.port, "port to listen on")
      ->capture_default_str();
  server_run->add_option("--host", server_options.host,
                         "address to listen on (0.0.0.0: every interface)")
      ->capture_default_str();
  server_run->add_option("-c,--config", server_options.config,
                         "migration.yaml for requests that carry no config")
      ->capture_default_str();
  server_run->add_option("--data-dir", server_options.data_dir,
                         "folder of the job database (jobs.sqlite3)")
      ->capture_default_str();
  server_run->add_option("--token-file", server_options.token_file,
                         "file holding a bearer token every route but /healthy requires");
  server_run->add_option("--max-body-bytes", server_options.max_body_bytes,
                         "largest request body accepted (413 beyond)")
      ->capture_default_str();
  server_run->add_option("--swagger-ui-dir", server_options.swagger_ui_dir,
                         "folder of swagger-ui-dist's files (default: the build's copy)");
  server_run->callback([&server_chosen] { server_chosen = true; });
  app.add_subcommand("version", "print the version")->callback([] {
    std::printf("milvus-migration %s\n", mm::kVersion);
  });

  // A usage error (unknown subcommand or flag, missing value) prints the usage and exits 2,
  // as shells' own tools do; --help exits 0.
  app.failure_message(CLI::FailureMessage::help);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // CLI11 reports an unknown command as "a subcommand is required": name it instead.
    const std::string first = argc > 1 ? argv[1] : "";
    bool known = first.empty() || first[0] == '-';
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      known |= sub->get_name() == first;
    }
    if (known) {
      app.exit(e);
    } else {
      std::fprintf(stderr, "ERROR: unknown command '%s'\n%s", first.c_str(), app.help().c_str());
    }
    return 2;
  }
  mm::InstallCancellationHandlers();
  if (export_chosen) {
    auto written = mm::ExportMilvus1xMeta(export_request);
    if (written.ok()) std::printf("%s\n", written->c_str());
    return Finish(written.status(), "export");
  }
  if (server_chosen) return Finish(mm::RunServer(server_options), "server");
  if (chosen == nullptr) return 0;
  const ProgressSetup progress{.mode = *mm::ParseProgressMode(progress_mode),
                               .log_sink = log_sink.get()};
  if (chosen->run == nullptr) {  // verify alone
    VerifyStep alone = verify;
    alone.after = true;
    return RunWithConfig(config, collections, false, strict, nullptr, "verify", progress, alone);
  }
  if (!table.empty()) {
    if (!collections.empty()) {
      std::fprintf(stderr, "ERROR: give -t (a Milvus 2.x collection) or --col, not both\n");
      return 2;
    }
    collections = table;
  }
  return RunWithConfig(config, collections, force_unlock, strict, chosen->run, chosen->name,
                       progress, verify);
}
