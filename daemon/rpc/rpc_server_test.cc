#include "daemon/rpc/rpc_server.h"

#include <gmock/gmock.h>
#include <google/protobuf/unknown_field_set.h>
#include <grp.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

#include "ambi/v1/service.grpc.pb.h"
#include "daemon/rpc/ambi_service.h"

namespace ambi::rpc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Answers every call with 'next_status' and records which calls arrived.
class FakeControl : public Control {
 public:
  ControlStatus StartSet(const v1::StartSetRequest& request,
                         v1::StartSetResponse* response) override {
    Record("StartSet:" + request.athlete() + ":" + request.exercise());
    response->set_set_index(7);
    return Status();
  }
  ControlStatus EndSet(const v1::EndSetRequest& request, v1::EndSetResponse*) override {
    Record("EndSet:" + request.athlete());
    return Status();
  }
  ControlStatus StartSession(const v1::StartSessionRequest& request,
                             v1::StartSessionResponse* response) override {
    Record("StartSession:" + request.athlete());
    response->mutable_session()->set_session_id("s-1");
    return Status();
  }
  ControlStatus EndSession(const v1::EndSessionRequest& request, v1::EndSessionResponse*) override {
    Record("EndSession:" + request.athlete());
    return Status();
  }
  ControlStatus ListDevices(const v1::ListDevicesRequest&,
                            v1::ListDevicesResponse* response) override {
    Record("ListDevices");
    response->add_devices()->set_name("left-wrist");
    return Status();
  }
  ControlStatus ListSessions(const v1::ListSessionsRequest&, v1::ListSessionsResponse*) override {
    Record("ListSessions");
    return Status();
  }
  ControlStatus GetSession(const v1::GetSessionRequest& request, v1::GetSessionResponse*) override {
    Record("GetSession:" + request.session_id());
    return Status();
  }
  ControlStatus GetWeeklyBalance(const v1::WeeklyBalanceRequest& request,
                                 v1::WeeklyBalanceResponse*) override {
    Record("GetWeeklyBalance:" + request.athlete());
    return Status();
  }

  void set_next_status(ControlStatus status) {
    std::lock_guard lock(mutex_);
    next_status_ = std::move(status);
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  ControlStatus Status() {
    std::lock_guard lock(mutex_);
    return next_status_;
  }
  void Record(std::string call) {
    std::lock_guard lock(mutex_);
    calls_.push_back(std::move(call));
  }

  std::mutex mutex_;
  ControlStatus next_status_;
  std::vector<std::string> calls_;
};

v1::LiveEvent CueEvent(const std::string& athlete, int index, std::size_t message_bytes = 0) {
  v1::LiveEvent live;
  live.set_session_id("session-" + athlete);
  live.mutable_event()->set_athlete(athlete);
  std::string message = "cue " + std::to_string(index);
  message.resize(std::max(message.size(), message_bytes), '.');
  live.mutable_event()->mutable_cue()->set_message(message);
  return live;
}

v1::LiveEvent RepEvent(const std::string& athlete, std::uint32_t index) {
  v1::LiveEvent live;
  live.mutable_event()->set_athlete(athlete);
  live.mutable_event()->mutable_rep()->set_index(index);
  return live;
}

// Waits (bounded) until 'condition' holds; the bound only guards against a hang.
template <class Condition>
bool Eventually(Condition condition) {
  for (int i = 0; i < 1000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

// One call by method name with raw bytes both ways, for the services whose stubs gRPC does not
// install (health, reflection): start, write one message, half-close, read one, finish.
struct RawReply {
  grpc::Status status;
  std::string bytes;
};
RawReply CallRaw(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                 const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = stub.PrepareCall(&context, method, &queue);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](auto operation) {
    operation();
    queue.Next(&tag, &ok);
    return ok;
  };
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  RawReply reply;
  step([&] { call->StartCall(nullptr); });
  step([&] { call->Write(request_buffer, nullptr); });
  step([&] { call->WritesDone(nullptr); });
  if (step([&] { call->Read(&response_buffer, nullptr); })) {
    std::vector<grpc::Slice> slices;
    EXPECT_TRUE(response_buffer.Dump(&slices).ok());
    for (const auto& s : slices)
      reply.bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  step([&] { call->Finish(&reply.status, nullptr); });
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  return reply;
}

// A length-delimited protobuf field (wire type 2).
std::string Field(int number, const std::string& value) {
  std::string bytes(1, static_cast<char>((number << 3) | 2));
  bytes += static_cast<char>(value.size());  // the tests' values are short
  return bytes + value;
}

struct ServerSetup {
  std::size_t capacity = 64;
  std::function<bool(const std::string&)> athlete_exists;
  std::string socket_group;

  static ServerSetup WithCapacity(std::size_t capacity) {
    ServerSetup setup;
    setup.capacity = capacity;
    return setup;
  }
  static ServerSetup WithGroup(std::string group) {
    ServerSetup setup;
    setup.socket_group = std::move(group);
    return setup;
  }
  static ServerSetup WithAthletes(std::function<bool(const std::string&)> athlete_exists) {
    ServerSetup setup;
    setup.athlete_exists = std::move(athlete_exists);
    return setup;
  }
};

const std::string kReadToken = "read-token-for-the-rpc-test";
const std::string kControlToken = "control-token-for-the-rpc-test";

// The status of a StartSet and of a ListSessions call with 'token' ("" sends none).
std::pair<grpc::Status, grpc::Status> ControlAndReadCalls(v1::Ambi::Stub& stub,
                                                          const std::string& token) {
  auto prepare = [&](grpc::ClientContext* context) {
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  };
  grpc::ClientContext control_context;
  prepare(&control_context);
  v1::StartSetRequest start_set;
  start_set.set_athlete("alice");
  v1::StartSetResponse start_set_response;
  const grpc::Status control = stub.StartSet(&control_context, start_set, &start_set_response);
  grpc::ClientContext read_context;
  prepare(&read_context);
  v1::ListSessionsResponse sessions;
  const grpc::Status read = stub.ListSessions(&read_context, {}, &sessions);
  return {control, read};
}

class RpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/ambi-rpc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    directory_ = pattern;
    socket_path_ = directory_ + "/ambid.sock";
  }
  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::milliseconds(2000));
    server_.reset();
    std::filesystem::remove_all(directory_);
  }

  RpcServerOptions Options(const ServerSetup& setup = {}) {
    RpcServerOptions options;
    options.addresses = {"unix:" + socket_path_, "127.0.0.1:0"};
    options.subscriber_queue_capacity = setup.capacity;
    options.athlete_exists = setup.athlete_exists;
    options.socket_group = setup.socket_group;
    return options;
  }

  void StartServer(const ServerSetup& setup = {}) { StartServerWith(Options(setup)); }
  void StartServerWith(RpcServerOptions options) {
    server_ = std::make_unique<RpcServer>(std::move(options), &bus_, &control_);
    server_->Start();
  }

  // A token file (mode 0600) with one read and one control token.
  std::string WriteTokenFile() {
    const std::string path = directory_ + "/tokens";
    std::ofstream(path) << "read " << kReadToken << "\ncontrol " << kControlToken << "\n";
    EXPECT_EQ(::chmod(path.c_str(), 0600), 0);
    return path;
  }

  std::shared_ptr<grpc::Channel> UnixChannel() {
    return grpc::CreateChannel("unix:" + socket_path_, grpc::InsecureChannelCredentials());
  }
  // Its own connection (not shared with other channels), with fixed small flow-control windows
  // so that a client that does not read stalls the server's writes soon.
  std::shared_ptr<grpc::Channel> TcpChannel() {
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    arguments.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    return grpc::CreateCustomChannel(server_->listening_addresses()[1].bound,
                                     grpc::InsecureChannelCredentials(), arguments);
  }

  std::string directory_;
  std::string socket_path_;
  EventBus bus_;
  FakeControl control_;
  std::unique_ptr<RpcServer> server_;
};

TEST_F(RpcServerTest, ReportsBoundAddressesAndMakesTheSocketGroupOnly) {
  StartServer();
  const auto& addresses = server_->listening_addresses();
  ASSERT_EQ(addresses.size(), 2u);
  EXPECT_EQ(addresses[0].bound, "unix:" + socket_path_);
  EXPECT_EQ(addresses[0].port, 0);
  EXPECT_GT(addresses[1].port, 0);
  EXPECT_EQ(addresses[1].bound, "127.0.0.1:" + std::to_string(addresses[1].port));

  struct stat info {};
  ASSERT_EQ(::stat(socket_path_.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 0777, 0660u);

  server_->Shutdown(std::chrono::milliseconds(1000));
  EXPECT_FALSE(server_->running());
  EXPECT_FALSE(std::filesystem::exists(socket_path_)) << "the socket is removed at shutdown";
}

TEST_F(RpcServerTest, SocketGroupIsAppliedAndAnUnknownOneIsAClearError) {
  const group* own = ::getgrgid(::getegid());
  ASSERT_NE(own, nullptr);
  StartServer(ServerSetup::WithGroup(own->gr_name));
  struct stat info {};
  ASSERT_EQ(::stat(socket_path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_gid, ::getegid());
  server_->Shutdown(std::chrono::milliseconds(1000));

  RpcServer other(Options(ServerSetup::WithGroup("no-such-group-ambi")), &bus_, &control_);
  try {
    other.Start();
    FAIL() << "started with an unknown group";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("socket group 'no-such-group-ambi' does not exist"));
  }
}

TEST_F(RpcServerTest, RemovesAStaleSocketButNotALiveOneOrAFile) {
  // A socket file nobody listens on, as a crashed daemon leaves it.
  const int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, socket_path_.c_str());
  ASSERT_EQ(::bind(stale, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ::close(stale);
  StartServer();
  EXPECT_TRUE(
      UnixChannel()->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5)));

  RpcServer second(Options(), &bus_, &control_);
  EXPECT_THROW(
      {
        try {
          second.Start();
        } catch (const std::runtime_error& error) {
          EXPECT_THAT(error.what(), HasSubstr("in use by another process"));
          throw;
        }
      },
      std::runtime_error);
  server_->Shutdown(std::chrono::milliseconds(1000));

  std::ofstream(socket_path_) << "not a socket";
  RpcServer third(Options(), &bus_, &control_);
  EXPECT_THROW(
      {
        try {
          third.Start();
        } catch (const std::runtime_error& error) {
          EXPECT_THAT(error.what(), HasSubstr("exists and is not a socket"));
          throw;
        }
      },
      std::runtime_error);

  RpcServerOptions bad_port = Options();
  bad_port.addresses = {"127.0.0.1:http"};
  RpcServer fourth(bad_port, &bus_, &control_);
  EXPECT_THROW(fourth.Start(), std::runtime_error);
}

TEST_F(RpcServerTest, SubscribersOverUnixAndTcpGetTheirFilteredEventsInOrder) {
  StartServer();
  auto unix_stub = v1::Ambi::NewStub(UnixChannel());
  auto tcp_stub = v1::Ambi::NewStub(TcpChannel());

  grpc::ClientContext all_context;
  auto all = unix_stub->Subscribe(&all_context, v1::SubscribeRequest());
  grpc::ClientContext bob_reps_context;
  v1::SubscribeRequest bob_reps_request;
  bob_reps_request.add_athletes("bob");
  bob_reps_request.add_kinds(v1::EVENT_KIND_REP);
  auto bob_reps = tcp_stub->Subscribe(&bob_reps_context, bob_reps_request);
  ASSERT_TRUE(Eventually([&] { return bus_.counters().subscribers == 2; }));

  bus_.Publish(RepEvent("alice", 1));
  bus_.Publish(RepEvent("bob", 1));
  bus_.Publish(CueEvent("bob", 1));
  bus_.Publish(RepEvent("bob", 2));

  v1::LiveEvent event;
  std::vector<std::uint64_t> all_sequences;
  for (int i = 0; i < 4 && all->Read(&event); ++i) all_sequences.push_back(event.sequence());
  EXPECT_THAT(all_sequences, ElementsAre(1, 2, 3, 4));

  std::vector<std::uint32_t> bob_rep_indices;
  for (int i = 0; i < 2 && bob_reps->Read(&event); ++i) {
    EXPECT_EQ(event.event().athlete(), "bob");
    bob_rep_indices.push_back(event.event().rep().index());
  }
  EXPECT_THAT(bob_rep_indices, ElementsAre(1, 2));
  EXPECT_EQ(event.sequence(), 4u);

  // Shutdown ends the streams normally (gRPC does not carry the message of an OK status).
  server_->Shutdown(std::chrono::milliseconds(2000));
  EXPECT_FALSE(all->Read(&event));
  const grpc::Status status = all->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(bob_reps->Read(&event));
  EXPECT_TRUE(bob_reps->Finish().ok());
}

TEST_F(RpcServerTest, SubscriberThatDoesNotReadIsEndedWhileAnotherGetsEverything) {
  StartServer(ServerSetup::WithCapacity(4));
  auto fast_stub = v1::Ambi::NewStub(UnixChannel());
  auto slow_stub = v1::Ambi::NewStub(TcpChannel());
  grpc::ClientContext fast_context;
  auto fast = fast_stub->Subscribe(&fast_context, v1::SubscribeRequest());
  grpc::ClientContext slow_context;
  auto slow = slow_stub->Subscribe(&slow_context, v1::SubscribeRequest());
  ASSERT_TRUE(Eventually([&] { return bus_.counters().subscribers == 2; }));

  // The fast subscriber reads each event before the next is published, so it never has more
  // than one queued; the slow one reads nothing until gRPC's buffers and then its queue fill.
  constexpr int kMaxEvents = 20000;
  int published = 0;
  v1::LiveEvent event;
  while (bus_.counters().dropped_subscribers == 0 && published < kMaxEvents) {
    ++published;
    bus_.Publish(CueEvent("alice", published, 2000));
    ASSERT_TRUE(fast->Read(&event));
    ASSERT_EQ(event.sequence(), static_cast<std::uint64_t>(published));
  }
  ASSERT_EQ(bus_.counters().dropped_subscribers, 1u) << "after " << published << " events";
  // The fast one goes on.
  bus_.Publish(CueEvent("alice", ++published));
  ASSERT_TRUE(fast->Read(&event));
  EXPECT_EQ(event.sequence(), static_cast<std::uint64_t>(published));
  EXPECT_EQ(bus_.counters().subscribers, 1u);

  int slow_received = 0;
  std::uint64_t last_sequence = 0;
  while (slow->Read(&event)) {
    ++slow_received;
    EXPECT_EQ(event.sequence(), last_sequence + 1);
    last_sequence = event.sequence();
  }
  const grpc::Status status = slow->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(status.error_message(), "subscriber fell behind: 4 events queued, limit 4");
  EXPECT_LT(slow_received, published);
}

TEST_F(RpcServerTest, ClientCancellationUnsubscribes) {
  StartServer();
  auto stub = v1::Ambi::NewStub(UnixChannel());
  grpc::ClientContext context;
  auto reader = stub->Subscribe(&context, v1::SubscribeRequest());
  ASSERT_TRUE(Eventually([&] { return bus_.counters().subscribers == 1; }));
  bus_.Publish(RepEvent("alice", 1));
  v1::LiveEvent event;
  ASSERT_TRUE(reader->Read(&event));
  context.TryCancel();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_TRUE(Eventually([&] { return bus_.counters().subscribers == 0; }));
  bus_.Publish(RepEvent("alice", 2));  // nobody left to wake
}

TEST_F(RpcServerTest, InvalidSubscriptionsAreRejectedNamingTheProblem) {
  StartServer(
      ServerSetup::WithAthletes([](const std::string& athlete) { return athlete == "alice"; }));
  auto stub = v1::Ambi::NewStub(UnixChannel());
  v1::LiveEvent event;

  v1::SubscribeRequest bad_kind;
  bad_kind.add_kinds(v1::EVENT_KIND_REP);
  bad_kind.add_kinds(static_cast<v1::EventKind>(42));
  grpc::ClientContext context1;
  auto reader1 = stub->Subscribe(&context1, bad_kind);
  EXPECT_FALSE(reader1->Read(&event));
  grpc::Status status = reader1->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown event kind 42"));
  EXPECT_THAT(status.error_message(), HasSubstr("EVENT_KIND_REP_PAIR"));

  v1::SubscribeRequest unknown_athlete;
  unknown_athlete.add_athletes("alice");
  unknown_athlete.add_athletes("mallory");
  grpc::ClientContext context2;
  auto reader2 = stub->Subscribe(&context2, unknown_athlete);
  EXPECT_FALSE(reader2->Read(&event));
  status = reader2->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "unknown athlete 'mallory'");

  v1::SubscribeRequest unspecified;
  unspecified.add_kinds(v1::EVENT_KIND_UNSPECIFIED);
  grpc::ClientContext context3;
  auto reader3 = stub->Subscribe(&context3, unspecified);
  EXPECT_EQ(reader3->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bus_.counters().subscribers, 0u);
}

TEST_F(RpcServerTest, UnaryCallsForwardToControlWithStatusCodesMappedOneToOne) {
  StartServer();
  auto stub = v1::Ambi::NewStub(UnixChannel());

  v1::StartSetRequest start_set;
  start_set.set_athlete("alice");
  start_set.set_exercise("biceps_curl");
  {
    grpc::ClientContext context;
    v1::StartSetResponse response;
    ASSERT_TRUE(stub->StartSet(&context, start_set, &response).ok());
    EXPECT_EQ(response.set_index(), 7u);
  }

  const std::vector<std::pair<ControlStatus::Code, grpc::StatusCode>> mapping = {
      {ControlStatus::Code::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {ControlStatus::Code::kNotFound, grpc::StatusCode::NOT_FOUND},
      {ControlStatus::Code::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {ControlStatus::Code::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {ControlStatus::Code::kInternal, grpc::StatusCode::INTERNAL},
  };
  for (const auto& [control_code, grpc_code] : mapping) {
    control_.set_next_status(
        ControlStatus::Error(control_code, "because " + std::to_string(grpc_code)));
    grpc::ClientContext context;
    v1::StartSetResponse response;
    const grpc::Status status = stub->StartSet(&context, start_set, &response);
    EXPECT_EQ(status.error_code(), grpc_code);
    EXPECT_EQ(status.error_message(), "because " + std::to_string(grpc_code));
  }
  control_.set_next_status(ControlStatus::Ok());

  {
    grpc::ClientContext context;
    v1::EndSetRequest request;
    request.set_athlete("alice");
    v1::EndSetResponse response;
    EXPECT_TRUE(stub->EndSet(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    v1::StartSessionRequest request;
    request.set_athlete("bob");
    v1::StartSessionResponse response;
    EXPECT_TRUE(stub->StartSession(&context, request, &response).ok());
    EXPECT_EQ(response.session().session_id(), "s-1");
  }
  {
    grpc::ClientContext context;
    v1::EndSessionRequest request;
    request.set_athlete("bob");
    v1::EndSessionResponse response;
    EXPECT_TRUE(stub->EndSession(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    v1::ListDevicesResponse response;
    EXPECT_TRUE(stub->ListDevices(&context, v1::ListDevicesRequest(), &response).ok());
    ASSERT_EQ(response.devices_size(), 1);
    EXPECT_EQ(response.devices(0).name(), "left-wrist");
  }
  {
    grpc::ClientContext context;
    v1::ListSessionsResponse response;
    EXPECT_TRUE(stub->ListSessions(&context, v1::ListSessionsRequest(), &response).ok());
  }
  {
    grpc::ClientContext context;
    v1::GetSessionRequest request;
    request.set_session_id("s-9");
    v1::GetSessionResponse response;
    EXPECT_TRUE(stub->GetSession(&context, request, &response).ok());
  }
  {
    grpc::ClientContext context;
    v1::WeeklyBalanceRequest request;
    request.set_athlete("carol");
    v1::WeeklyBalanceResponse response;
    EXPECT_TRUE(stub->GetWeeklyBalance(&context, request, &response).ok());
  }
  const std::vector<std::string> calls = control_.calls();
  ASSERT_EQ(calls.size(), 13u);
  EXPECT_EQ(calls[0], "StartSet:alice:biceps_curl");
  EXPECT_THAT(std::vector<std::string>(calls.begin() + 6, calls.end()),
              ElementsAre("EndSet:alice", "StartSession:bob", "EndSession:bob", "ListDevices",
                          "ListSessions", "GetSession:s-9", "GetWeeklyBalance:carol"));
}

// Each call is answered with a request id in its trailers (x-request-id): the client's own when it
// is a safe word, else one ambid made; the daemon logs session changes with it.
TEST_F(RpcServerTest, CallsEchoTheClientsRequestIdOrMakeOne) {
  StartServer();
  auto stub = v1::Ambi::NewStub(UnixChannel());
  const auto id_of_call = [&](const std::string& sent, grpc::StatusCode expected) {
    grpc::ClientContext context;
    if (!sent.empty()) context.AddMetadata("x-request-id", sent);
    v1::StartSessionRequest request;
    request.set_athlete("bob");
    v1::StartSessionResponse response;
    EXPECT_EQ(stub->StartSession(&context, request, &response).error_code(), expected);
    const auto& trailers = context.GetServerTrailingMetadata();
    const auto found = trailers.find("x-request-id");
    if (found == trailers.end()) return std::string("(none)");
    return std::string(found->second.data(), found->second.size());
  };
  EXPECT_EQ(id_of_call("ctl-1a2b.3_c", grpc::StatusCode::OK), "ctl-1a2b.3_c");
  const auto is_made = [](const std::string& id) {
    return id.size() == 8 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  const std::string made = id_of_call("", grpc::StatusCode::OK);
  EXPECT_PRED1(is_made, made);
  const std::string next = id_of_call("", grpc::StatusCode::OK);
  EXPECT_PRED1(is_made, next);
  EXPECT_NE(made, next);
  // Not a plain word (a space, punctuation that could pass for log syntax; gRPC itself refuses
  // control characters in metadata) or too long: replaced.
  EXPECT_PRED1(is_made, id_of_call("a b", grpc::StatusCode::OK));
  EXPECT_PRED1(is_made, id_of_call("x] [FAKE: log", grpc::StatusCode::OK));
  EXPECT_PRED1(is_made, id_of_call(std::string(65, 'a'), grpc::StatusCode::OK));
  // Errors carry it too: that is when a user quotes it.
  control_.set_next_status(ControlStatus::Error(ControlStatus::Code::kInternal, "broken"));
  EXPECT_EQ(id_of_call("err-7", grpc::StatusCode::INTERNAL), "err-7");
}

TEST_F(RpcServerTest, TcpCallsNeedATokenOfTheRightRoleAndTheUnixSocketDoesNot) {
  RpcServerOptions options = Options();
  options.token_file = WriteTokenFile();
  StartServerWith(options);
  auto tcp = v1::Ambi::NewStub(TcpChannel());

  auto [control, read] = ControlAndReadCalls(*tcp, "");
  EXPECT_EQ(control.error_code(), grpc::StatusCode::UNAUTHENTICATED) << control.error_message();
  EXPECT_EQ(read.error_code(), grpc::StatusCode::UNAUTHENTICATED) << read.error_message();
  std::tie(control, read) = ControlAndReadCalls(*tcp, "not-a-token-of-this-daemon");
  EXPECT_EQ(control.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(read.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  {
    grpc::ClientContext context;
    auto reader = tcp->Subscribe(&context, v1::SubscribeRequest());
    v1::LiveEvent event;
    EXPECT_FALSE(reader->Read(&event));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_TRUE(control_.calls().empty()) << "refused calls never reach the daemon";

  std::tie(control, read) = ControlAndReadCalls(*tcp, kReadToken);
  EXPECT_EQ(control.error_code(), grpc::StatusCode::PERMISSION_DENIED) << control.error_message();
  EXPECT_THAT(control.error_message(), HasSubstr("StartSet needs a control token"));
  EXPECT_TRUE(read.ok()) << read.error_message();
  EXPECT_THAT(control_.calls(), ElementsAre("ListSessions"));

  std::tie(control, read) = ControlAndReadCalls(*tcp, kControlToken);
  EXPECT_TRUE(control.ok()) << control.error_message();
  EXPECT_TRUE(read.ok()) << read.error_message();

  auto local = v1::Ambi::NewStub(UnixChannel());
  std::tie(control, read) = ControlAndReadCalls(*local, "");
  EXPECT_TRUE(control.ok()) << control.error_message();
  EXPECT_TRUE(read.ok()) << read.error_message();
  EXPECT_THAT(control_.calls(), ElementsAre("ListSessions", "StartSet:alice:", "ListSessions",
                                            "StartSet:alice:", "ListSessions"));
}

TEST_F(RpcServerTest, ANetworkListenerNeedsTlsAndTokens) {
  const auto start_error = [&](const RpcServerOptions& options) -> std::string {
    RpcServer server(options, &bus_, &control_);
    try {
      server.Start();
    } catch (const std::runtime_error& error) {
      return error.what();
    }
    return "started";
  };
  RpcServerOptions options = Options();
  options.addresses = {"0.0.0.0:0"};
  EXPECT_THAT(start_error(options),
              HasSubstr("'0.0.0.0:0' is reachable from the network: it needs TLS ([daemon.tls] "
                        "cert_file and key_file)"));
  options.tls = RpcTlsFiles{directory_ + "/cert.pem", directory_ + "/key.pem", ""};
  EXPECT_THAT(start_error(options), HasSubstr("it needs bearer tokens ([daemon] token_file)"));
  options.token_file = WriteTokenFile();
  EXPECT_THAT(start_error(options),
              HasSubstr("[daemon.tls] key_file = \"" + directory_ + "/key.pem\": cannot read it"));
  std::ofstream(directory_ + "/key.pem") << "not pem";
  EXPECT_THAT(start_error(options), HasSubstr("key.pem\" is not a PEM file"));
  ASSERT_EQ(::chmod(options.token_file.c_str(), 0604), 0);
  EXPECT_THAT(start_error(options), HasSubstr("has mode 0604: others may read or write it"));

  options.addresses = {"[::1]:0", "127.0.0.1:0", "localhost:0"};  // loopback: no TLS needed
  options.tls.reset();
  options.token_file.clear();
  EXPECT_EQ(start_error(options), "started");
}

TEST_F(RpcServerTest, SessionChangesAreRateLimitedPerClientAndReadsAreNot) {
  RpcServerOptions options = Options();
  options.control_rate_limit = RateLimit{/*burst=*/3.0, /*per_second=*/0.001, 16};
  StartServerWith(options);
  auto stub = v1::Ambi::NewStub(UnixChannel());
  int refused = 0;
  for (int i = 0; i < 5; ++i) {
    const auto [control, read] = ControlAndReadCalls(*stub, "");
    EXPECT_TRUE(read.ok()) << read.error_message();
    if (!control.ok()) {
      ++refused;
      EXPECT_EQ(control.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_THAT(control.error_message(), HasSubstr("StartSet: too many session changes from "
                                                     "local; try again in"));
    }
  }
  EXPECT_EQ(refused, 2);
  const std::vector<std::string> calls = control_.calls();
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "StartSet:alice:"), 3);
  EXPECT_EQ(std::count(calls.begin(), calls.end(), "ListSessions"), 5);
}

TEST_F(RpcServerTest, SubscriptionsAreCappedAndASlotFreesWhenOneEnds) {
  RpcServerOptions options = Options();
  options.max_subscribers = 2;
  StartServerWith(options);
  auto stub = v1::Ambi::NewStub(UnixChannel());
  grpc::ClientContext first_context;
  grpc::ClientContext second_context;
  auto first = stub->Subscribe(&first_context, v1::SubscribeRequest());
  auto second = stub->Subscribe(&second_context, v1::SubscribeRequest());
  ASSERT_TRUE(Eventually([&] { return bus_.counters().subscribers == 2; }));
  {
    grpc::ClientContext context;
    auto third = stub->Subscribe(&context, v1::SubscribeRequest());
    v1::LiveEvent event;
    EXPECT_FALSE(third->Read(&event));
    const grpc::Status status = third->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(status.error_message(), HasSubstr("at most 2 subscriptions at once"));
  }
  first_context.TryCancel();
  first->Finish();
  ASSERT_TRUE(Eventually([&] { return bus_.counters().subscribers == 1; }));
  grpc::ClientContext again_context;
  auto again = stub->Subscribe(&again_context, v1::SubscribeRequest());
  ASSERT_TRUE(Eventually([&] { return bus_.counters().subscribers == 2; }));
  bus_.Publish(CueEvent("alice", 1));
  v1::LiveEvent event;
  ASSERT_TRUE(again->Read(&event));
  EXPECT_EQ(event.event().cue().message(), "cue 1");
  second_context.TryCancel();
  again_context.TryCancel();
}

TEST_F(RpcServerTest, HealthServiceAnswersServing) {
  StartServer();
  constexpr int kServing = 1;
  for (const std::string service : {"", "ambi.v1.Ambi"}) {
    const RawReply reply =
        CallRaw(UnixChannel(), "/grpc.health.v1.Health/Check", Field(1, service));
    ASSERT_TRUE(reply.status.ok()) << service << ": " << reply.status.error_message();
    google::protobuf::UnknownFieldSet fields;
    ASSERT_TRUE(fields.ParseFromString(reply.bytes));
    ASSERT_EQ(fields.field_count(), 1);
    EXPECT_EQ(fields.field(0).number(), 1);
    EXPECT_EQ(fields.field(0).varint(), static_cast<std::uint64_t>(kServing)) << service;
  }
  const RawReply unknown =
      CallRaw(UnixChannel(), "/grpc.health.v1.Health/Check", Field(1, "no.such.Service"));
  EXPECT_EQ(unknown.status.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RpcServerTest, ReflectionListsTheAmbiService) {
  StartServer();
  // ServerReflectionRequest.list_services = "*" (field 7).
  const RawReply reply =
      CallRaw(UnixChannel(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
              Field(7, "*"));
  ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
  google::protobuf::UnknownFieldSet response;
  ASSERT_TRUE(response.ParseFromString(reply.bytes));
  std::vector<std::string> services;
  for (int i = 0; i < response.field_count(); ++i) {
    if (response.field(i).number() != 6) continue;  // list_services_response
    google::protobuf::UnknownFieldSet list;
    ASSERT_TRUE(list.ParseFromString(response.field(i).length_delimited()));
    for (int j = 0; j < list.field_count(); ++j) {  // repeated ServiceResponse service = 1
      google::protobuf::UnknownFieldSet service;
      ASSERT_TRUE(service.ParseFromString(list.field(j).length_delimited()));
      services.push_back(service.field(0).length_delimited());  // name = 1
    }
  }
  EXPECT_THAT(services, ::testing::Contains("ambi.v1.Ambi"));
  EXPECT_THAT(services, ::testing::Contains("grpc.health.v1.Health"));
}

}  // namespace
}  // namespace ambi::rpc
