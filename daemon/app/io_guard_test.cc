#include "daemon/app/io_guard.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ambi::app {
namespace {

// Captures what the default logger writes while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(text_);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string text() const { return text_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream text_;
};

TEST(IoGuardTest, AGuardedHandlerThatThrowsIsLoggedByNameAndTheLoopGoesOn) {
  LogCapture log;
  asio::io_context io;
  int after = 0;
  asio::post(io, Guarded("capture flush", [] { throw std::runtime_error("disk on fire\nFAKE"); }));
  asio::post(io, [&after] { ++after; });
  asio::steady_timer timer(io, std::chrono::milliseconds(1));
  timer.async_wait(Guarded("rate update", [&after](const boost::system::error_code& error) {
    if (!error) ++after;
    throw 42;  // not a std::exception
  }));
  RunIoGuarded(io);
  EXPECT_EQ(after, 2);
  const std::string text = log.text();
  EXPECT_NE(text.find("io handler capture flush threw: disk on fire\\x0AFAKE; the daemon goes on"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("io handler rate update threw: an exception that is not a std::exception"),
            std::string::npos)
      << text;
}

TEST(IoGuardTest, AnUnwrappedHandlerThatThrowsDoesNotEndTheLoop) {
  LogCapture log;
  asio::io_context io;
  std::vector<int> ran;
  asio::post(io, [&ran] {
    ran.push_back(1);
    throw std::logic_error("bad state");
  });
  asio::post(io, [&ran] { ran.push_back(2); });
  asio::post(io, [] { throw std::out_of_range("index 9"); });
  asio::post(io, [&ran] { ran.push_back(3); });
  RunIoGuarded(io);
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
  const std::string text = log.text();
  EXPECT_NE(text.find("threw: bad state; the daemon goes on"), std::string::npos) << text;
  EXPECT_NE(text.find("threw: index 9; the daemon goes on"), std::string::npos) << text;
}

// As the daemon runs it: the io thread serves while other threads post work to it (as the
// control RPCs do); a throwing handler in between does not stop the later ones.
TEST(IoGuardTest, TheIoThreadKeepsServingPostsFromOtherThreadsAfterAThrow) {
  LogCapture log;
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread io_thread([&io] { RunIoGuarded(io); });
  std::promise<void> thrown;
  asio::post(io, Guarded("StartSession", [&thrown] {
               thrown.set_value();
               throw std::runtime_error("filesystem error: Permission denied");
             }));
  thrown.get_future().wait();
  std::promise<int> answer;
  asio::post(io, [&answer] { answer.set_value(7); });
  std::future<int> future = answer.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(future.get(), 7);
  work.reset();
  io_thread.join();
  EXPECT_NE(log.text().find("io handler StartSession threw: filesystem error: Permission denied"),
            std::string::npos)
      << log.text();
}

// Within a time budget too (the shutdown loop runs the io thread in slices).
TEST(IoGuardTest, RunForGoesOnAfterAThrowUntilItsTimeIsUp) {
  LogCapture log;
  asio::io_context io;
  int ran = 0;
  asio::post(io, [] { throw std::runtime_error("once"); });
  asio::post(io, [&ran] { ++ran; });
  RunIoGuardedFor(io, std::chrono::milliseconds(200));
  EXPECT_EQ(ran, 1);
  EXPECT_NE(log.text().find("threw: once"), std::string::npos);
}

}  // namespace
}  // namespace ambi::app
