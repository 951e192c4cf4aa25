// JobKinds: a map by name plus the periodic list.
#include "jobs/job_kinds.hpp"

#include <set>
#include <stdexcept>

namespace keel::jobs {

void JobKinds::Add(JobKind kind) {
  std::string name = kind.name;
  if (!kinds_.emplace(name, std::move(kind)).second)
    throw std::logic_error("job kind registered twice: " + name);  // a programming error, at start-up
}

void JobKinds::AddPeriodic(PeriodicJob periodic) {
  if (Find(periodic.kind) == nullptr)
    throw std::logic_error("periodic job of unknown kind: " + periodic.kind);
  periodic_.push_back(std::move(periodic));
}

const JobKind* JobKinds::Find(std::string_view name) const {
  auto found = kinds_.find(name);
  return found == kinds_.end() ? nullptr : &found->second;
}

std::vector<std::string> JobKinds::Queues() const {
  std::set<std::string> queues;
  for (const auto& [name, kind] : kinds_) queues.insert(kind.queue);
  return {queues.begin(), queues.end()};
}

}  // namespace keel::jobs
