#include "clients/web/central_reports.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "clients/history/central_history.h"
#include "clients/report/report.h"

namespace ambi::web {
namespace {

// Reports waiting for the worker beyond this are refused at once: a coach's tablet opens one
// at a time, so a long queue means the database is stuck.
constexpr std::size_t kMaxQueuedReports = 16;

ControlResult Plain(int status, const std::string& line) {
  ControlResult result;
  result.http_status = status;
  result.json = line + "\n";
  result.content_type = "text/plain; charset=utf-8";
  return result;
}

// A report that could not be made: one plain sentence, as for a report from a box.
ControlResult HistoryFailure(history::HistoryError kind, const std::string& error) {
  switch (kind) {
    case history::HistoryError::kNotFound:
      return Plain(404, "not found: " + error);
    case history::HistoryError::kInvalidArgument:
      return Plain(400, "bad request: " + error);
    case history::HistoryError::kUnavailable:
      return Plain(503, "the central database is not reachable; try again: " + error);
    default:
      return Plain(502, "the central database failed: " + error);
  }
}

ControlResult Page(std::string html) {
  ControlResult result;
  result.json = std::move(html);
  result.content_type = "text/html; charset=utf-8";
  return result;
}

std::int64_t NowUnixNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

class CentralReports::Impl {
 public:
  explicit Impl(std::string url) : url_(std::move(url)), thread_([this] { Run(); }) {}
  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  // 'job' runs on the worker with an open history, or is answered 503 when there is none.
  void Post(std::function<ControlResult(history::CentralHistory&)> job,
            std::function<void(ControlResult)> done) {
    {
      std::lock_guard lock(mutex_);
      if (jobs_.size() < kMaxQueuedReports) {
        jobs_.push_back({std::move(job), std::move(done)});
        wake_.notify_one();
        return;
      }
    }
    done(Plain(503, "too many reports are waiting for the central database; try again"));
  }

 private:
  struct Job {
    std::function<ControlResult(history::CentralHistory&)> run;
    std::function<void(ControlResult)> done;
  };

  void Run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) break;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job.done(RunOne(job.run));
    }
    // Whoever still waits gets an answer, not silence.
    std::lock_guard lock(mutex_);
    for (Job& job : jobs_) job.done(Plain(503, "ambi-web is stopping"));
    jobs_.clear();
  }

  ControlResult RunOne(const std::function<ControlResult(history::CentralHistory&)>& run) {
    if (!history_) {
      std::string error;
      history_ = history::CentralHistory::Open(url_, &error);
      if (!history_) return Plain(503, error);
    }
    ControlResult result = run(*history_);
    // A lost connection is opened again for the next report.
    if (result.http_status == 503) history_.reset();
    return result;
  }

  const std::string url_;
  std::unique_ptr<history::CentralHistory> history_;  // the worker's only
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once the rest is built
};

CentralReports::CentralReports(std::string url) : impl_(std::make_unique<Impl>(std::move(url))) {}
CentralReports::~CentralReports() = default;

void CentralReports::SessionReport(const std::string& session_id,
                                   std::function<void(ControlResult)> done) {
  impl_->Post(
      [session_id](history::CentralHistory& history) {
        v1::GetSessionRequest request;
        request.set_session_id(session_id);
        v1::GetSessionResponse response;
        std::string error;
        history::HistoryError kind = history::HistoryError::kNone;
        if (!history.GetSession(request, &response, &error, &kind)) {
          return HistoryFailure(kind, error);
        }
        return Page(report::SessionReportHtml(response));
      },
      std::move(done));
}

void CentralReports::AthleteReport(const std::string& athlete, int weeks,
                                   std::function<void(ControlResult)> done) {
  impl_->Post(
      [athlete, weeks](history::CentralHistory& history) {
        v1::WeeklyBalanceRequest request;
        request.set_athlete(athlete);
        request.set_weeks(static_cast<std::uint32_t>(weeks));
        v1::WeeklyBalanceResponse response;
        std::string error;
        history::HistoryError kind = history::HistoryError::kNone;
        if (!history.WeeklyBalance(request, NowUnixNs(), &response, &error, &kind)) {
          return HistoryFailure(kind, error);
        }
        return Page(report::WeeklyReportHtml(response));
      },
      std::move(done));
}

}  // namespace ambi::web
