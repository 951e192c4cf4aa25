#include "apps/image2model/generation_jobs.hpp"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "apps/image2model/glb_reader.hpp"
#include "apps/image2model/local_generator.hpp"
#include "apps/image2model/model_files.hpp"
#include "apps/image2model/remote_generator.hpp"
#include "apps/image2model/thumbnail.hpp"
#include "apps/image2model/tus_store.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_queue.hpp"
#include "storage/blobs/blob_refs.hpp"
#include "storage/sql/database.hpp"

namespace keel::image2model {

namespace {

constexpr auto kProgressInterval = std::chrono::milliseconds(250);  // at most four progress writes a second
constexpr auto kSweepGrace = std::chrono::hours(1);

// Writes a file's progress: every change of stage at once, changes within a stage at most every 250 ms.
class ProgressWriter {
 public:
  ProgressWriter(GenerationContext& context, jobs::JobContext& job, std::string file_id, std::string batch_id)
      : context_(context), job_(job), file_id_(std::move(file_id)), batch_id_(std::move(batch_id)) {}

  // False when the file no longer runs (cancelled, or finished by another attempt).
  bool Report(std::string_view stage, int percent) {
    auto now = std::chrono::steady_clock::now();
    if (stage == stage_ && now - written_ < kProgressInterval) return running_;
    bool first = stage_.empty();
    stage_ = std::string(stage);
    written_ = now;
    auto moved = job_.Await(context_.store.SetProgress(file_id_, stage_, percent, first));
    running_ = !moved.ok() || *moved;  // a failed progress write is not a reason to stop
    job_.Progress(percent, stage_);
    context_.changed(batch_id_);
    return running_;
  }

 private:
  GenerationContext& context_;
  jobs::JobContext& job_;
  std::string file_id_;
  std::string batch_id_;
  std::string stage_;
  std::chrono::steady_clock::time_point written_{};
  bool running_ = true;
};

Result<nlohmann::json> FanOut(GenerationContext& context, jobs::JobContext& job) {
  const std::string batch_id = job.args().value("batch_id", "");
  auto found = job.Await(context.store.Find(batch_id));
  if (!found) return std::move(found).error();
  if (!*found) return nlohmann::json{{"skipped", "no such batch"}};
  const BatchRecord& batch = **found;
  std::vector<std::string> queued;
  for (const FileRecord& file : batch.files) {
    if (file.status != "queued") continue;
    // The upload's bytes must still be there, whole, before a worker spends time on them.
    auto size = context.blobs.SizeOf(file.input_sha256);
    if (!size || static_cast<std::int64_t>(*size) != file.input_size) {
      auto failed =
          job.Await(context.store.Fail(file.id, "the uploaded file is missing from the blob store"));
      if (!failed) return std::move(failed).error();
      continue;
    }
    queued.push_back(file.id);
  }
  const std::string queue = batch.priority ? "priority" : "model_generation";
  std::function<Task<Result<void>>(sql::Session&)> enqueue =
      [&](sql::Session& session) -> Task<Result<void>> {
    for (const std::string& file_id : queued) {
      jobs::JobRequest request;
      request.kind = std::string(kGenerateJob);
      request.args["file_id"] = file_id;
      request.args["batch_id"] = batch.id;
      request.queue = queue;
      request.priority = batch.priority ? 10 : 0;
      request.max_attempts = context.options.generation_attempts;
      request.unique_key = GenerationJobKey(file_id);
      request.owner_id = batch.owner_id;
      auto enqueued = co_await context.jobs.Enqueue(session, std::move(request));
      if (!enqueued) co_return std::move(enqueued).error();
    }
    co_return Ok();
  };
  auto done = job.Await(context.database.Transaction(enqueue));
  if (!done) return std::move(done).error();
  context.jobs.Wake(queue);
  context.changed(batch.id);
  return nlohmann::json{{"batch_id", batch.id}, {"files", queued.size()}, {"queue", queue}};
}

Result<blobs::BlobInfo> Store(GenerationContext& context, const std::string& bytes) {
  return context.blobs.Put(bytes);
}

using FailForGood = std::function<Result<nlohmann::json>(const std::string& reason)>;

// Puts a finished model's files in the blob store and marks the file completed (once).
Result<nlohmann::json> StoreResults(GenerationContext& context, jobs::JobContext& job,
                                    const std::string& file_id, const std::string& batch_id,
                                    const GeneratedModel& model, const FailForGood& fail_for_good,
                                    bool last_attempt) {
  ResultBlobs results;
  results.triangles = model.triangles;
  for (auto [bytes, blob] : {std::pair{&model.glb, &results.glb},
                             {&model.stl, &results.stl},
                             {&model.obj_zip, &results.obj},
                             {&model.thumbnail_png, &results.thumbnail}}) {
    auto stored = Store(context, *bytes);
    if (!stored) return last_attempt ? fail_for_good(stored.error().message) : std::move(stored).error();
    *blob = std::move(stored).value();
  }
  auto completed = job.Await(context.store.Complete(file_id, results));
  if (!completed) return std::move(completed).error();
  context.changed(batch_id);
  if (!*completed) return nlohmann::json{{"skipped", "the file was cancelled or finished meanwhile"}};
  return nlohmann::json{{"file_id", file_id}, {"triangles", model.triangles}};
}

// A provider that is busy (its cap full) or down (its breaker open) is waited for in the queue: the job
// gives itself back without spending the attempt. True when that is what happened.
bool DeferIfProviderWaits(GenerationContext& context, jobs::JobContext& job, const Error& error) {
  bool busy = error.code == ErrorCode::kOverloaded;
  bool open = error.code == ErrorCode::kUnavailable &&
              context.remote->client().breaker() != http::BreakerState::kClosed;
  if (!busy && !open) return false;
  job.Defer(context.remote->client().RetryLater());
  return true;
}

// The remote generator: submit once (the request id is kept, so a later attempt resumes polling), poll until
// done, download the GLB, and make the other formats from it.
Result<nlohmann::json> GenerateRemotely(GenerationContext& context, jobs::JobContext& job,
                                        const FileRecord& file, const std::string& input,
                                        ProgressWriter& progress, const FailForGood& fail_for_good,
                                        bool last_attempt) {
  if (context.remote == nullptr)
    return fail_for_good("the remote generator is not configured on this server");
  RemoteGenerator& remote = *context.remote;
  auto retry_or_fail = [&](Error error) -> Result<nlohmann::json> {
    if (DeferIfProviderWaits(context, job, error)) return nlohmann::json{{"deferred", error.message}};
    bool permanent = error.code == ErrorCode::kValidation || error.code == ErrorCode::kPermissionDenied;
    if (permanent || last_attempt) return fail_for_good(error.message);
    return error;
  };
  std::string request_id = file.remote_request_id;
  if (request_id.empty()) {
    auto submitted = remote.Submit(input, file.media_type);
    if (!submitted) return retry_or_fail(std::move(submitted).error());
    request_id = *submitted;
    auto kept = job.Await(context.store.SetRemoteRequest(file.id, request_id));
    if (!kept) return std::move(kept).error();
  }
  const auto deadline = std::chrono::steady_clock::now() + remote.options().deadline;
  for (;;) {
    if (job.Cancelled()) {
      (void)remote.Cancel(request_id);  // best effort: the provider stops spending on it
      return Error{ErrorCode::kUnavailable, "the generation was cancelled"};
    }
    auto status = remote.Status(request_id);
    if (!status) return retry_or_fail(std::move(status).error());
    if (status->state == RemoteStatus::State::kCompleted) break;
    if (status->state == RemoteStatus::State::kFailed)
      return fail_for_good("the remote generator failed: " + status->detail);
    if (!progress.Report("generating", status->state == RemoteStatus::State::kQueued ? 10 : 40)) {
      (void)remote.Cancel(request_id);  // the file was cancelled here: the provider need not go on
      return nlohmann::json{{"skipped", "cancelled"}};
    }
    if (std::chrono::steady_clock::now() > deadline) {
      (void)remote.Cancel(request_id);
      return fail_for_good("the remote generator did not finish in time");
    }
    job.Sleep(remote.options().poll);  // returns early when cancelled: handled at the top of the loop
  }
  progress.Report("packaging", 80);
  auto glb = remote.Fetch(request_id);
  if (!glb) return retry_or_fail(std::move(glb).error());
  auto read = ReadGlb(*glb, context.options.max_pixels);
  if (!read) {
    if (last_attempt) return fail_for_good("the remote model is unusable: " + read.error().message);
    return Error{ErrorCode::kUnavailable, "the remote model is unusable: " + read.error().message};
  }
  RgbaImage texture = std::move(read->texture);
  if (texture.width == 0) {
    auto decoded = DecodeImage(input, context.options.max_pixels);
    if (decoded) texture = FitWithin(*decoded, 1024);
  }
  GeneratedModel model;
  model.glb = std::move(*glb);
  model.stl = WriteStl(read->mesh);
  model.obj_zip = WriteObjZip(read->mesh, texture.width > 0 ? EncodeJpeg(texture, 88) : std::string());
  model.thumbnail_png = EncodePng(RenderThumbnail(read->mesh, texture, 256));
  model.triangles = read->mesh.TriangleCount();
  return StoreResults(context, job, file.id, file.batch_id, model, fail_for_good, last_attempt);
}

Result<nlohmann::json> Generate(GenerationContext& context, jobs::JobContext& job) {
  const std::string file_id = job.args().value("file_id", "");
  const std::string batch_id = job.args().value("batch_id", "");
  auto found = job.Await(context.store.Find(batch_id));
  if (!found) return std::move(found).error();
  if (!*found) return nlohmann::json{{"skipped", "no such batch"}};
  const BatchRecord& batch = **found;
  auto file = std::find_if(batch.files.begin(), batch.files.end(),
                           [&](const FileRecord& f) { return f.id == file_id; });
  if (file == batch.files.end()) return nlohmann::json{{"skipped", "no such file"}};
  if (file->Finished()) return nlohmann::json{{"skipped", "the file is " + file->status}};

  ProgressWriter progress(context, job, file_id, batch_id);
  if (!progress.Report("preprocessing", 1)) return nlohmann::json{{"skipped", "cancelled"}};
  const bool last_attempt = job.attempt() >= job.job().max_attempts;
  FailForGood fail_for_good = [&](const std::string& reason) -> Result<nlohmann::json> {
    auto failed = job.Await(context.store.Fail(file_id, reason));
    if (!failed) return std::move(failed).error();
    context.changed(batch_id);
    return nlohmann::json{{"failed", reason}};
  };

  auto input = context.blobs.Read(file->input_sha256, context.options.max_file_bytes);
  if (!input) return fail_for_good("the uploaded file cannot be read: " + input.error().message);

  if (batch.generator == "remote")
    return GenerateRemotely(context, job, *file, *input, progress, fail_for_good, last_attempt);

  bool cancelled = false;
  auto report = [&](std::string_view stage, int percent) {
    if (context.options.debug_stage_delay.count() > 0 && !job.Sleep(context.options.debug_stage_delay))
      cancelled = true;
    if (!progress.Report(stage, percent) || job.Cancelled()) cancelled = true;
  };
  LocalGeneratorOptions options;
  options.quality = ParseQuality(batch.quality).value_or(context.options.default_quality);
  options.max_pixels = context.options.max_pixels;
  auto model = GenerateLocally(*input, options, report);
  if (cancelled || job.Cancelled()) return Error{ErrorCode::kUnavailable, "the generation was cancelled"};
  if (!model) {
    // A file that cannot be decoded fails at once; anything else is worth another attempt.
    if (model.error().code == ErrorCode::kValidation || last_attempt)
      return fail_for_good(model.error().message);
    return std::move(model).error();
  }

  return StoreResults(context, job, file_id, batch_id, *model, fail_for_good, last_attempt);
}

Result<nlohmann::json> Maintain(GenerationContext& context, jobs::JobContext& job) {
  auto expired = job.Await(context.store.Expire());
  if (!expired) return std::move(expired).error();
  std::int64_t uploads = 0;
  if (context.uploads != nullptr) {
    auto ended = job.Await(context.uploads->Expire());
    if (!ended) return std::move(ended).error();
    uploads = *ended;
  }
  auto swept =
      job.Await(blobs::Sweep(context.database, context.blobs, context.pool, context.clock.WallMillis(),
                             std::chrono::duration_cast<std::chrono::seconds>(kSweepGrace)));
  if (!swept) return std::move(swept).error();
  return nlohmann::json{{"expired_files", *expired},
                        {"expired_uploads", uploads},
                        {"blobs_removed", swept->released},
                        {"orphans_removed", swept->orphans},
                        {"temporaries_removed", swept->temporaries}};
}

}  // namespace

void AddGenerationJobs(jobs::JobKinds& kinds, const GenerationContext& context) {
  auto shared = std::make_shared<GenerationContext>(context);
  auto fan_out = jobs::JobKind::Make(std::string(kBatchJob), "batch_processing",
                                     [shared](jobs::JobContext& job) { return FanOut(*shared, job); });
  fan_out.max_attempts = 5;
  kinds.Add(std::move(fan_out));
  auto generate = jobs::JobKind::Make(std::string(kGenerateJob), "model_generation",
                                      [shared](jobs::JobContext& job) { return Generate(*shared, job); });
  generate.max_attempts = context.options.generation_attempts;
  generate.timeout = std::chrono::minutes(10);
  kinds.Add(std::move(generate));
  auto maintain = jobs::JobKind::Make("image2model.maintenance", "maintenance",
                                      [shared](jobs::JobContext& job) { return Maintain(*shared, job); });
  maintain.max_attempts = 3;
  maintain.timeout = std::chrono::minutes(30);
  kinds.Add(std::move(maintain));
  kinds.AddPeriodic(
      jobs::PeriodicJob{"image2model.maintenance", jobs::CronSchedule::Parse("41 * * * *").value()});
}

}  // namespace keel::image2model
