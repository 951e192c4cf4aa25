#include <utility>  // before Boost: Boost 1.74 + g++ 12 needs it

#include "apps/image2model/batch_routes.hpp"

#include <fmt/format.h>
#include <boost/asio/this_coro.hpp>
#include <nlohmann/json.hpp>

#include "apps/image2model/status_document.hpp"
#include "apps/image2model/upload_form.hpp"
#include "apps/image2model/webhook_target.hpp"
#include "core/random.hpp"
#include "core/wakeup.hpp"
#include "http/change_stream.hpp"
#include "http/pagination.hpp"
#include "http/problem.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel::image2model {

namespace {

namespace asio = boost::asio;
using http::Request;
using http::Response;

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::string_view kPriorityScope = "image2model:priority";

Response QuotaProblem(std::string_view detail, std::int64_t now_ms) {
  Response response = http::Problem(429, detail);
  response.headers.Add("Retry-After",
                       std::to_string((kDayMs - now_ms % kDayMs) / 1000 + 1));  // next UTC midnight
  return response;
}

std::optional<bool> ParseFlag(std::string_view text) {
  if (text == "true" || text == "1" || text == "on") return true;
  if (text == "false" || text == "0" || text == "off" || text.empty()) return false;
  return std::nullopt;
}

// The batch the form describes, or the fields that are wrong.
struct BatchChoices {
  std::string format = "glb";
  std::string generator = "local";
  std::string quality;
  bool priority = false;
  std::optional<std::string> webhook_url;
};

BatchChoices ReadChoices(const UploadForm& form, const Image2ModelOptions& options,
                         std::vector<http::FieldError>& errors) {
  BatchChoices choices;
  choices.quality = std::string(QualityName(options.default_quality));
  for (const auto& [name, value] : form.fields) {
    if (name == "format") {
      if (value != "glb" && value != "stl" && value != "obj")
        errors.emplace_back(name, "must be glb, stl or obj");
      choices.format = value;
    } else if (name == "generator") {
      if (value == "remote" && !options.remote_configured)
        errors.emplace_back(name,
                            "the remote generator is not configured on this server (image2model.remote_*)");
      else if (value != "local" && value != "remote")
        errors.emplace_back(name, "must be local or remote");
      choices.generator = value;
    } else if (name == "quality") {
      if (!ParseQuality(value)) errors.emplace_back(name, "must be draft, standard or high");
      choices.quality = value;
    } else if (name == "priority") {
      auto flag = ParseFlag(value);
      if (!flag) errors.emplace_back(name, "must be true or false");
      choices.priority = flag.value_or(false);
    } else if (name == "webhook_url") {
      if (!value.empty()) {
        auto allowed = http::TrustedProxies::Parse(options.webhook_allow);
        if (auto problem = CheckWebhookUrl(value)) {
          errors.emplace_back(name, *problem);
        } else if (auto refused = RefusedAddressLiteral(value, allowed ? *allowed : http::TrustedProxies())) {
          errors.emplace_back(name, *refused);
        }
        choices.webhook_url = value;
      }
    } else {
      errors.emplace_back(name,
                          "is not a field of this form (files, format, generator, quality, priority, "
                          "webhook_url)");
    }
  }
  return choices;
}

struct UploadsRequest {
  std::vector<std::string> uploads;
  std::map<std::string, std::string, std::less<>> fields;
};

// {"uploads": ["<id>", ...], "format": "glb", "priority": true, ...}: the ids and the other members as the
// form fields they stand for.
Result<UploadsRequest> ParseUploadsRequest(std::string_view body, std::size_t max_files) {
  auto document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return Error{ErrorCode::kInvalidArgument, "the body must be a JSON object"};
  UploadsRequest parsed;
  for (const auto& [name, value] : document.items()) {
    if (name == "uploads") {
      if (!value.is_array() || value.empty())
        return Error{ErrorCode::kValidation, "uploads must be a non-empty array of upload ids"};
      if (value.size() > max_files)
        return Error{ErrorCode::kTooLarge, fmt::format("more than {} files in one batch", max_files)};
      for (const auto& id : value) {
        if (!id.is_string()) return Error{ErrorCode::kValidation, "uploads must hold upload ids (strings)"};
        parsed.uploads.push_back(id.get<std::string>());
      }
    } else if (value.is_string()) {
      parsed.fields[name] = value.get<std::string>();
    } else if (value.is_boolean()) {
      parsed.fields[name] = value.get<bool>() ? "true" : "false";
    } else {
      return Error{ErrorCode::kValidation, fmt::format("{} must be a string or a boolean", name)};
    }
  }
  if (parsed.uploads.empty())
    return Error{ErrorCode::kValidation, "uploads must name at least one finished upload"};
  return parsed;
}

nlohmann::json UploadAnswer(const BatchRecord& batch, const UploadForm& form) {
  nlohmann::json files = nlohmann::json::array();
  std::size_t stored = 0;
  for (const UploadedFile& upload : form.files) {
    if (upload.error.empty()) {
      files.push_back(
          {{"file_id", batch.files[stored++].id}, {"filename", upload.filename}, {"status", "queued"}});
    } else {
      files.push_back({{"file_id", nullptr},
                       {"filename", upload.filename},
                       {"status", "rejected"},
                       {"error", upload.error}});
    }
  }
  return {{"job_id", batch.id}, {"status_url", StatusUrl(batch.id)}, {"status", "queued"}, {"files", files}};
}

std::vector<http::FieldError> RefusedFiles(const UploadForm& form) {
  std::vector<http::FieldError> errors;
  for (std::size_t i = 0; i < form.files.size(); ++i)
    if (!form.files[i].error.empty())
      errors.emplace_back(fmt::format("files[{}]", i), form.files[i].filename + ": " + form.files[i].error);
  return errors;
}

nlohmann::json ListAnswer(const BatchPage& page, const http::Pagination& pagination) {
  nlohmann::json items = nlohmann::json::array();
  for (const BatchRecord& batch : page.batches) items.push_back(BatchSummary(batch));
  return {
      {"items", items}, {"page", pagination.page}, {"per_page", pagination.per_page}, {"total", page.total}};
}

http::ChangeStream::Snapshot BatchSnapshot(const BatchRecord& batch, std::optional<std::int64_t> position,
                                           std::int64_t now_ms) {
  std::string document = StatusDocument(batch, position, now_ms).dump();
  return {document, batch.Finished() ? "end" : "status", document, batch.Finished()};
}

http::ChangeStream::Snapshot BatchGone() {
  return {"gone", "end", R"({"detail":"the batch is gone"})", true};
}

}  // namespace

std::string BatchChannel(std::string_view batch_id) { return fmt::format("image2model.batch.{}", batch_id); }

void BatchRoutes::AddTo(http::Router& router) {
  const std::size_t body_limit =
      static_cast<std::size_t>(options_.max_files_per_batch) * options_.max_file_bytes +
      (std::size_t{1} << 20);
  router.Add(
      "POST", "/api/v1/upload/batch", [this](Request& q) { return Upload(q); },
      http::RouteOptions{
          .body_limit = body_limit, .streamed_body = true, .authenticated = true, .scope = "image2model"});
  http::RouteOptions reader{.authenticated = true, .scope = "image2model"};
  router.Add(
      "GET", "/api/v1/status/{job_id}", [this](Request& q) { return Status(q); }, reader);
  router.Add(
      "GET", "/api/v1/status/{job_id}/events", [this](Request& q) { return Events(q); }, reader);
  router.Add(
      "GET", "/api/v1/batches", [this](Request& q) { return List(q); }, reader);
  router.Add(
      "POST", "/api/v1/batches/{job_id}/cancel", [this](Request& q) { return Cancel(q); }, reader);
}

Task<Response> BatchRoutes::Upload(Request& request) {
  const http::Principal& principal = *request.principal;
  auto used = co_await store_.UploadedToday(principal.subject);
  if (!used) co_return http::ProblemFrom(used.error());
  if (*used >= options_.daily_upload_bytes)
    co_return QuotaProblem(
        fmt::format("today's uploads reached the daily quota of {} MiB", options_.daily_upload_bytes >> 20),
        clock_.WallMillis());

  UploadLimits limits;
  limits.max_file_bytes = options_.max_file_bytes;
  limits.max_pixels = options_.max_pixels;
  limits.max_files = static_cast<std::size_t>(options_.max_files_per_batch);
  const bool from_uploads = http::IsJsonMediaType(request.headers.Get("Content-Type").value_or(""));
  Result<UploadForm> form = Error{ErrorCode::kInternal, "unread"};
  if (from_uploads) {
    form = co_await FormFromUploads(request);
  } else {
    form = co_await ReadUploadForm(request, blobs_, pool_, limits);
  }
  if (!form) co_return http::ProblemFrom(form.error());

  std::vector<http::FieldError> errors;
  BatchChoices choices = ReadChoices(*form, options_, errors);
  if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
  if (choices.priority && principal.role != "admin" &&
      !(principal.scopes && principal.HasScope(kPriorityScope)))
    co_return http::Problem(
        403,
        "priority batches are for administrators and API keys with the image2model:priority "
        "scope");
  if (form->files.empty()) {
    errors.emplace_back("files", "no file was sent");  // named: g++ 12 mishandles braced lists in coroutines
    co_return http::InvalidFieldsProblem(errors);
  }

  BatchRecord batch;
  batch.id = NewId();
  batch.owner_id = principal.subject;
  batch.format = choices.format;
  batch.generator = choices.generator;
  batch.quality = choices.quality;
  batch.priority = choices.priority;
  batch.webhook_url = choices.webhook_url;
  for (const UploadedFile& upload : form->files) {
    if (!upload.blob) continue;
    FileRecord file;
    file.id = NewId();
    file.batch_id = batch.id;
    file.position = static_cast<std::int64_t>(batch.files.size());
    file.filename = upload.filename;
    file.media_type = std::string(MimeTypeOf(upload.header->format));
    file.width = upload.header->width;
    file.height = upload.header->height;
    file.input_sha256 = upload.blob->sha256;
    file.input_size = static_cast<std::int64_t>(upload.blob->size);
    batch.files.push_back(std::move(file));
  }
  if (batch.files.empty())
    co_return http::Problem(422, "no file is a JPEG, PNG or WebP image within the limits",
                            RefusedFiles(*form));

  auto created = co_await store_.Create(batch, options_.daily_upload_bytes);
  if (!created) {
    if (created.error().code == ErrorCode::kRateLimited)
      co_return QuotaProblem(created.error().message, clock_.WallMillis());
    co_return http::ProblemFrom(created.error());
  }
  Response response = Response::Json(202, UploadAnswer(batch, *form).dump());
  response.headers.Add("Location", StatusUrl(batch.id));
  co_return response;
}

Task<Result<UploadForm>> BatchRoutes::FormFromUploads(Request& request) {
  constexpr std::size_t kMaxJson = 64 * 1024;
  std::string body;
  while (request.body_stream != nullptr) {
    auto piece = co_await request.body_stream->Next();
    if (!piece) co_return std::move(piece).error();
    if (piece->empty()) break;
    body += *piece;
    if (body.size() > kMaxJson)
      co_return Error{ErrorCode::kTooLarge, "a JSON batch request is at most 64 KiB"};
  }
  auto parsed = ParseUploadsRequest(body, static_cast<std::size_t>(options_.max_files_per_batch));
  if (!parsed) co_return std::move(parsed).error();
  UploadForm form;
  form.fields = std::move(parsed->fields);
  const std::int64_t now = clock_.WallMillis();
  for (const std::string& id : parsed->uploads) {
    UploadedFile file;
    file.filename = id;
    auto found = co_await uploads_.Find(id);
    if (!found) co_return std::move(found).error();
    if (!*found || (*found)->owner_id != request.principal->subject) {
      file.error = "no such upload";
    } else if ((*found)->expires_ms < now) {
      file.error = "the upload expired";
    } else if (!(*found)->Complete()) {
      file.error =
          fmt::format("the upload is not finished ({} of {} bytes)", (*found)->offset, (*found)->length);
    } else if ((*found)->error) {
      file.error = *(*found)->error;
    } else {
      const TusUpload& upload = **found;
      file.filename = upload.filename;
      file.header = ImageHeader{upload.media_type == "image/png"    ? ImageFormat::kPng
                                : upload.media_type == "image/webp" ? ImageFormat::kWebp
                                                                    : ImageFormat::kJpeg,
                                static_cast<int>(upload.width), static_cast<int>(upload.height)};
      file.blob = blobs::BlobInfo{*upload.sha256, static_cast<std::uint64_t>(upload.length)};
    }
    form.files.push_back(std::move(file));
  }
  co_return form;
}

Task<std::variant<BatchRecord, Response>> BatchRoutes::Readable(Request& request) {
  std::string id(request.params.Get("job_id").value_or(""));
  auto found = co_await store_.Find(id);
  if (!found) co_return http::ProblemFrom(found.error());
  const http::Principal& principal = *request.principal;
  if (!*found || ((*found)->owner_id != principal.subject && principal.role != "admin"))
    co_return http::Problem(404, fmt::format("no batch {}", id));
  co_return std::move(**found);
}

Task<Response> BatchRoutes::Status(Request& request) {
  auto found = co_await Readable(request);
  if (auto* refused = std::get_if<Response>(&found)) co_return std::move(*refused);
  const BatchRecord& batch = std::get<BatchRecord>(found);
  auto position = co_await store_.QueuePosition(batch);
  if (!position) co_return http::ProblemFrom(position.error());
  co_return Response::Json(200, StatusDocument(batch, *position, clock_.WallMillis()).dump());
}

// An event whenever the batch's status document changes; the stream ends with the finished batch.
Task<Response> BatchRoutes::Events(Request& request) {
  auto found = co_await Readable(request);
  if (auto* refused = std::get_if<Response>(&found)) co_return std::move(*refused);
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto batch = std::make_shared<std::optional<BatchRecord>>(std::get<BatchRecord>(std::move(found)));
  const std::string id = (*batch)->id;
  http::ChangeStream::Render render = [this, batch, id]() -> Task<Result<http::ChangeStream::Snapshot>> {
    if (!*batch) {  // the first rendering uses the batch the route read
      auto fresh = co_await store_.Find(id);
      if (!fresh) co_return std::move(fresh).error();
      if (!*fresh) co_return BatchGone();
      *batch = std::move(**fresh);
    }
    BatchRecord record = std::move(**batch);
    batch->reset();
    auto position = co_await store_.QueuePosition(record);
    co_return BatchSnapshot(record, position ? *position : std::nullopt, clock_.WallMillis());
  };
  auto stream = std::make_shared<http::ChangeStream>(std::move(render), Wakeup::Make(executor));
  stream->Follow(pubsub_, BatchChannel(id));
  co_return Response::EventStream([stream]() { return stream->Next(); });
}

Task<Response> BatchRoutes::List(Request& request) {
  std::vector<http::FieldError> errors;
  http::Pagination pagination = http::ParsePagination(request, errors);
  if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
  auto page = co_await store_.List(request.principal->subject, pagination.per_page, pagination.Offset());
  if (!page) co_return http::ProblemFrom(page.error());
  co_return Response::Json(200, ListAnswer(*page, pagination).dump());
}

Task<Response> BatchRoutes::Cancel(Request& request) {
  auto found = co_await Readable(request);
  if (auto* refused = std::get_if<Response>(&found)) co_return std::move(*refused);
  const BatchRecord& batch = std::get<BatchRecord>(found);
  if (batch.Finished())
    co_return http::Problem(409,
                            fmt::format("the batch is already {}: nothing is left to cancel", batch.status));
  auto cancelled = co_await store_.Cancel(batch.id);
  if (!cancelled) co_return http::ProblemFrom(cancelled.error());
  pubsub_.Publish(BatchChannel(batch.id), "cancelled");
  co_return Response::Json(200, StatusDocument(*cancelled, std::nullopt, clock_.WallMillis()).dump());
}

}  // namespace keel::image2model
