// Subcommands of `keel`, each a short function from flags to config to App.
#include "cli/cli.hpp"

#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/app.hpp"
#include "app/modules.hpp"
#include "cli/generate_command.hpp"
#include "cli/models_command.hpp"
#include "cli/siprems_command.hpp"
#include "cli/train_command.hpp"
#include "cli/users_command.hpp"
#include "cluster/cluster.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "ml/model_registry.hpp"

namespace keel::cli {
namespace {

constexpr int kConfigError = 2;

struct CommonFlags {
  std::string config_file;
  std::optional<std::string> host;
  std::optional<int> port;
};

// --config, then $KEEL_CONFIG, then ./keel.toml when it exists.
std::optional<std::string> ConfigFile(const CommonFlags& flags) {
  if (!flags.config_file.empty()) return flags.config_file;
  if (const char* env = std::getenv("KEEL_CONFIG"); env != nullptr && *env != '\0') return std::string(env);
  if (std::filesystem::exists("keel.toml")) return std::string("keel.toml");
  return std::nullopt;
}

// A model name as the registry takes it (a directory name and a metric label).
CLI::Validator ModelName() {
  return CLI::Validator(
      [](std::string& name) -> std::string {
        return ml::IsModelName(name) ? "" : "model names are 1-64 of a-z, 0-9, '_' and '-'";
      },
      "NAME");
}

std::optional<Config> LoadConfig(const CommonFlags& flags) {
  ConfigSources sources;
  sources.file = ConfigFile(flags);
  if (sources.file && !std::filesystem::exists(*sources.file)) {
    std::cerr << "keel: config file " << *sources.file << " does not exist\n";
    return std::nullopt;
  }
  sources.environment = ProcessEnvironment();
  if (flags.host) sources.overrides.emplace_back("server.host", *flags.host);
  if (flags.port) sources.overrides.emplace_back("server.port", std::to_string(*flags.port));
  auto config = Config::Load(sources, FullConfigSchema());
  if (!config) {
    std::cerr << "keel: " << config.error().message << "\n";
    return std::nullopt;
  }
  return std::move(config).value();
}

// Loads config and builds the App for a long-running command; in embedded mode it applies migrations first
// (the process owns its database; scaled out, `keel migrate` runs once per deploy instead). Null after
// logging why it cannot start; `exit_code` is then the code to return.
std::unique_ptr<App> StartApp(const CommonFlags& flags, int& exit_code) {
  BlockShutdownSignals();  // before any component starts a thread
  auto config = LoadConfig(flags);
  exit_code = kConfigError;
  if (!config) return nullptr;
  exit_code = 1;
  bool embedded = config->Embedded();
  auto app = App::Create(std::move(*config));
  if (!app) {
    log::Error("cannot start", log::Fields().Add("error", app.error().message));
    return nullptr;
  }
  if (embedded) {
    if (auto migrated = (*app)->Migrate(); !migrated) {
      log::Error("migrations failed", log::Fields().Add("error", migrated.error().message));
      return nullptr;
    }
  }
  return std::move(app).value();
}

int Serve(const CommonFlags& flags) {
  int exit_code = 0;
  auto app = StartApp(flags, exit_code);
  return app ? app->Serve() : exit_code;
}

int Worker(const CommonFlags& flags, const std::vector<std::string>& queues, int concurrency) {
  int exit_code = 0;
  auto app = StartApp(flags, exit_code);
  return app ? app->Work(queues, concurrency) : exit_code;
}

int Migrate(const CommonFlags& flags) {
  auto config = LoadConfig(flags);
  if (!config) return kConfigError;
  auto app = App::Create(std::move(*config));
  if (!app) {
    std::cerr << "keel: " << app.error().message << "\n";
    return 1;
  }
  auto report = (*app)->Migrate();
  if (!report) {
    std::cerr << "keel: " << report.error().message << "\n";
    return 1;
  }
  if (report->applied.empty()) {
    std::cout << fmt::format("no pending migrations; schema version {}\n", report->current_version);
  } else {
    for (const auto& name : report->applied) std::cout << "applied " << name << "\n";
    std::cout << fmt::format("schema version {}\n", report->current_version);
  }
  return 0;
}

// Builds the App for a one-shot operator command, migrating first in embedded mode. Null after saying why on
// stderr; `exit_code` is then the code to return.
std::unique_ptr<App> OperatorApp(const CommonFlags& flags, int& exit_code) {
  auto config = LoadConfig(flags);
  exit_code = kConfigError;
  if (!config) return nullptr;
  exit_code = 1;
  bool embedded = config->Embedded();
  auto app = App::Create(std::move(*config));
  if (!app) {
    std::cerr << "keel: " << app.error().message << "\n";
    return nullptr;
  }
  if (embedded) {
    if (auto migrated = (*app)->Migrate(); !migrated) {
      std::cerr << "keel: " << migrated.error().message << "\n";
      return nullptr;
    }
  }
  return std::move(app).value();
}

int CreateUserCommand(const CommonFlags& flags, const std::string& email, const std::string& name,
                      bool admin) {
  boost::asio::io_context io;  // declared before the App, so it outlives the database's threads
  int exit_code = 0;
  auto app = OperatorApp(flags, exit_code);
  return app ? CreateUser(*app, io, email, name, admin) : exit_code;
}

int SipremsSeed(const CommonFlags& flags, const SeedRequest& request) {
  boost::asio::io_context io;
  int exit_code = 0;
  auto app = OperatorApp(flags, exit_code);
  return app ? SeedCatalogCommand(*app, io, request) : exit_code;
}

int SipremsSynth(const CommonFlags& flags, const siprems::SyntheticOptions& options) {
  boost::asio::io_context io;
  int exit_code = 0;
  auto app = OperatorApp(flags, exit_code);
  return app ? SyntheticCatalogCommand(*app, io, options) : exit_code;
}

int SipremsTrain(const CommonFlags& flags, const std::vector<std::string>& skus) {
  boost::asio::io_context io;
  int exit_code = 0;
  auto app = OperatorApp(flags, exit_code);
  return app ? TrainForecastsCommand(*app, io, skus) : exit_code;
}

int ShowConfig(const CommonFlags& flags) {
  auto config = LoadConfig(flags);
  if (!config) return kConfigError;
  std::cout << config->Show();
  return 0;
}

}  // namespace

int Main(int argc, char** argv) {
  // A peer that closes its socket must never end the process: Asio sends with MSG_NOSIGNAL, but libcurl
  // (SMTP, with CURLOPT_NOSIGNAL) can still write to a closed socket in rare cases.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "Keel: the five seed systems on one fast core, embedded by default, scaled out on "
      "PostgreSQL/pgBouncer/Redis/nginx."};
  app.require_subcommand(1);
  CommonFlags flags;

  auto* serve =
      app.add_subcommand("serve", "Serve the HTTP API (and, in embedded mode, apply migrations first).");
  serve->add_option("--config", flags.config_file, "TOML config file (default: $KEEL_CONFIG or ./keel.toml)");
  serve->add_option("--host", flags.host, "Listen address (overrides server.host)");
  serve->add_option("--port", flags.port, "Listen port (overrides server.port)")->check(CLI::Range(0, 65535));

  auto* worker = app.add_subcommand("worker", "Run job workers only (no HTTP), until SIGTERM or SIGINT.");
  std::vector<std::string> worker_queues;
  int worker_concurrency = 0;
  worker->add_option("--config", flags.config_file, "TOML config file");
  worker
      ->add_option("--queues", worker_queues, "Comma-separated queues to work (default: all of jobs.queues)")
      ->delimiter(',');
  worker
      ->add_option("--concurrency", worker_concurrency,
                   "Maximum workers per queue (default: from jobs.queues)")
      ->check(CLI::Range(1, 256));

  auto* migrate = app.add_subcommand("migrate", "Apply pending database migrations and exit.");
  migrate->add_option("--config", flags.config_file, "TOML config file");

  auto* config = app.add_subcommand("config", "Inspect the configuration.");
  config->require_subcommand(1);
  auto* show = config->add_subcommand("show", "Print the effective configuration, secrets redacted.");
  show->add_option("--config", flags.config_file, "TOML config file");

  auto* docs =
      config->add_subcommand("docs", "Print the config reference table (the body of docs/config.md).");

  auto* users = app.add_subcommand("users", "Operator tasks on accounts.");
  users->require_subcommand(1);
  auto* create_user = users->add_subcommand(
      "create",
      "Create an account (the password is read from $KEEL_USER_PASSWORD, else from standard input).");
  std::string user_email, user_name;
  bool user_admin = false;
  create_user->add_option("--email", user_email, "E-mail address of the account")->required();
  create_user->add_option("--name", user_name, "Display name (default: the e-mail address)");
  create_user->add_flag("--admin", user_admin, "Give the account the admin role");
  create_user->add_option("--config", flags.config_file, "TOML config file");

  auto* train = app.add_subcommand(
      "train", "Train a new version of a model from a CSV into the model registry (ml.model_dir).");
  ml::TrainRequest train_request;
  train->add_option("model", train_request.model_name, "Model name, e.g. property")
      ->required()
      ->check(ModelName());
  train->add_option("--data", train_request.data, "CSV: a header row, numeric columns")
      ->required()
      ->check(CLI::ExistingFile);
  train->add_option("--target", train_request.target, "Column to predict (default: the last)");
  train->add_option("--rounds", train_request.options.rounds, "Boosting rounds")
      ->check(CLI::Range(1, 100000));
  train->add_option("--max-depth", train_request.options.max_depth, "Tree depth")->check(CLI::Range(1, 20));
  train->add_option("--eta", train_request.options.eta, "Learning rate")->check(CLI::Range(0.0001, 1.0));
  train->add_option("--holdout", train_request.holdout, "Fraction of rows kept for evaluation")
      ->check(CLI::Range(0.01, 0.9));
  train->add_option("--seed", train_request.options.seed, "Seed of the split and the subsampling");
  bool train_if_missing = false;
  train->add_flag("--if-missing", train_if_missing,
                  "Do nothing when the registry already has a version of the model (for first starts)");
  train->add_option("--config", flags.config_file, "TOML config file");

  auto* models = app.add_subcommand("models", "The model registry (ml.model_dir).");
  models->require_subcommand(1);
  auto* import_model = models->add_subcommand(
      "import", "Import an ONNX model as a new registry version, checked as the server will check it.");
  ml::ImportRequest import_request;
  import_model->add_option("model", import_request.model_name, "Model name")->required()->check(ModelName());
  import_model->add_option("--onnx", import_request.onnx, "The model.onnx file")
      ->required()
      ->check(CLI::ExistingFile);
  auto* import_meta =
      import_model->add_option("--meta", import_request.meta, "Its meta.json")->check(CLI::ExistingFile);
  auto* import_sample = import_model
                            ->add_option("--sample", import_request.sample,
                                         "A CSV of features and target to derive meta.json from")
                            ->check(CLI::ExistingFile);
  import_meta->excludes(import_sample);
  import_model->add_option("--target", import_request.target,
                           "The sample's target column (default: the last)");
  import_model->add_option("--output", import_request.output,
                           "The graph output that is the prediction (default: the first)");
  import_model->add_option("--column", import_request.output_column,
                           "Its column (e.g. a class's probability)");
  import_model->add_option("--config", flags.config_file, "TOML config file");

  auto* siprems = app.add_subcommand("siprems", "SIPREMS: the sales catalogue and its forecasting models.");
  siprems->require_subcommand(1);
  auto* siprems_seed = siprems->add_subcommand(
      "seed", "Load the real sales catalogue (data/siprems/sales.csv) and enqueue its models' training.");
  SeedRequest seed_request;
  siprems_seed
      ->add_option("--data", seed_request.data, "The catalogue CSV: sku,name,category,period,quantity")
      ->check(CLI::ExistingFile);
  siprems_seed->add_flag("--if-empty", seed_request.if_empty,
                         "Do nothing when the catalogue holds any product (for first starts)");
  auto* siprems_train = siprems->add_subcommand(
      "train",
      "Train products' forecasting models now, in this process; each new version serves only when "
      "its backtest is no worse than the served one's.");
  std::vector<std::string> train_skus;
  siprems_train->add_option("--sku", train_skus, "A product to train (repeatable; default: every product)");
  auto* siprems_synth = siprems->add_subcommand(
      "synth",
      "Add a synthetic catalogue for scale tests: SKUs SYN-000001..., labelled synthetic, monthly sales "
      "of four kinds (seasonal, trending, flat, intermittent).");
  siprems::SyntheticOptions synth_options;
  siprems_synth->add_option("--products", synth_options.products, "Products to make")
      ->check(CLI::Range(1, 1000000));
  siprems_synth->add_option("--months", synth_options.months, "Months of sales, to November 2026")
      ->check(CLI::Range(1, 600));
  siprems_synth->add_option("--seed", synth_options.seed, "Random seed (the same seed, the same catalogue)");
  for (auto* sub : {siprems_seed, siprems_synth, siprems_train})
    sub->add_option("--config", flags.config_file, "TOML config file");

  auto* image2model = app.add_subcommand("image2model", "Image2Model tools.");
  image2model->require_subcommand(1);
  auto* generate = image2model->add_subcommand(
      "generate", "Run the local generator on one image file, without a server; writes every model format.");
  std::string generate_image, generate_out = "generated", generate_quality = "standard";
  generate->add_option("image", generate_image, "A JPEG, PNG or WebP file")
      ->required()
      ->check(CLI::ExistingFile);
  generate->add_option("--out", generate_out,
                       "Folder for model.glb, model.stl, model.obj.zip, thumbnail.png");
  generate->add_option("--quality", generate_quality, "draft, standard or high (the triangle budget)");

  auto* cluster = app.add_subcommand(
      "cluster",
      "The scaled-out topology on this machine: PostgreSQL, pgBouncer, Redis, keel instances and "
      "workers, nginx in front, on loopback ports.");
  cluster->require_subcommand(1);
  cluster::ClusterOptions cluster_options;
  std::string cluster_dir = cluster_options.dir.string();
  auto* cluster_up = cluster->add_subcommand("up", "Start every process (servers first, nginx last).");
  auto* cluster_status = cluster->add_subcommand(
      "status", "List every process with its port, PID and health (exit 1 if unhealthy).");
  auto* cluster_down =
      cluster->add_subcommand("down", "Stop every process by PID (nginx first, PostgreSQL last).");
  auto* cluster_front = cluster->add_subcommand(
      "front", "Start only nginx, from the same template as up, in front of keel instances already running.");
  for (auto* sub : {cluster_up, cluster_status, cluster_down, cluster_front})
    sub->add_option("--dir", cluster_dir, "Directory holding the cluster's data, configs, logs and PIDs");
  cluster_up->add_option("--instances", cluster_options.instances, "keel serve instances behind nginx")
      ->check(CLI::Range(0, 64));
  cluster_up->add_option("--workers", cluster_options.workers, "keel worker processes")
      ->check(CLI::Range(0, 64));
  // nginx's flags, the same for `up` and `front`.
  bool no_access_log = false;
  auto nginx_flags = [&no_access_log](CLI::App* sub, int& port, int& rate, int& burst) {
    sub->add_option("--port", port, "nginx's port on 127.0.0.1 (0: any free port)")
        ->check(CLI::Range(0, 65535));
    sub->add_option("--rate", rate, "nginx limit_req: requests/s per client address")
        ->check(CLI::Range(1, 10000000));
    sub->add_option("--burst", burst, "nginx limit_req burst")->check(CLI::Range(0, 10000000));
    sub->add_flag("--no-access-log", no_access_log, "Turn nginx's access log off (benchmarks)");
  };
  nginx_flags(cluster_up, cluster_options.port, cluster_options.rate, cluster_options.burst);
  cluster_up
      ->add_option(
          "--redis", cluster_options.redis,
          "Redis topology: single, cluster (three masters with a replica each) or sentinel (a master, "
          "two replicas, three Sentinels)")
      ->check(CLI::IsMember({"single", "cluster", "sentinel"}));
  cluster_up->add_option("--config", cluster_options.config_file,
                         "TOML config file for every keel process (the cluster's own settings override it)");
  cluster::FrontOptions front_options;
  cluster_front
      ->add_option("--api-port", front_options.api_ports, "Port of a keel serve instance on 127.0.0.1")
      ->required()
      ->check(CLI::Range(1, 65535));
  nginx_flags(cluster_front, front_options.port, front_options.rate, front_options.burst);

  auto* version = app.add_subcommand("version", "Print the version and exit.");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kConfigError;
  }

  if (*serve) return Serve(flags);
  if (*worker) return Worker(flags, worker_queues, worker_concurrency);
  if (*migrate) return Migrate(flags);
  if (*show) return ShowConfig(flags);
  if (*create_user) return CreateUserCommand(flags, user_email, user_name, user_admin);
  if (*train) {
    auto config = LoadConfig(flags);
    if (!config) return kConfigError;
    return Train(*config, train_request, train_if_missing);
  }
  if (*import_model) {
    auto config = LoadConfig(flags);
    if (!config) return kConfigError;
    return ImportModel(*config, import_request);
  }
  if (*generate) return GenerateModel(generate_image, generate_out, generate_quality);
  if (*siprems_seed) return SipremsSeed(flags, seed_request);
  if (*siprems_train) return SipremsTrain(flags, train_skus);
  if (*siprems_synth) return SipremsSynth(flags, synth_options);
  if (*docs) {
    std::cout << Config::Defaults(FullConfigSchema()).DocsTable();
    return 0;
  }
  if (*cluster) {
    cluster_options.dir = cluster_dir;
    cluster_options.access_log = !no_access_log;
    if (*cluster_up) return cluster::Up(cluster_options);
    if (*cluster_front) {
      front_options.dir = cluster_dir;
      front_options.access_log = !no_access_log;
      return cluster::Front(front_options);
    }
    if (*cluster_status) return cluster::Status(cluster_dir);
    return cluster::Down(cluster_dir);
  }
  if (*version) {
    std::cout << fmt::format("keel {} ({})\n", kVersion, kGitCommit);
    return 0;
  }
  return kConfigError;
}

}  // namespace keel::cli
