#include "clients/web/web_config.h"

#include <gtest/gtest.h>

namespace ambi::web {
namespace {

TEST(ParseListen, ReadsHostAndPort) {
  std::string error;
  auto address = ParseListen("127.0.0.1:8080", &error);
  ASSERT_TRUE(address) << error;
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 8080);
  address = ParseListen("[::1]:0", &error);
  ASSERT_TRUE(address) << error;
  EXPECT_EQ(address->host, "::1");
  for (const char* bad : {"8080", ":80", "host:", "host:99999", "host:8x", "[::1:80"}) {
    EXPECT_FALSE(ParseListen(bad, &error)) << bad;
    EXPECT_NE(error.find(bad), std::string::npos) << error;
  }
}

TEST(IsLoopbackHost, KnowsLoopbackFromLan) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("192.168.1.5"));
  EXPECT_FALSE(IsLoopbackHost("::"));
}

TEST(WebConfig, ReadsEveryKey) {
  WebConfig config;
  std::string error;
  ASSERT_TRUE(ParseConfigText(R"(listen = "0.0.0.0:9000"
connect = "unix:/tmp/a.sock"
www_dir = "/srv/www"
tls_cert = "c.pem"
tls_key = "k.pem"
max_browsers = 4
max_connections = 10
browser_queue_frames = 100
replay_events = 500
)",
                              "web.toml", &config, &error))
      << error;
  EXPECT_EQ(config.listen, "0.0.0.0:9000");
  EXPECT_EQ(config.connect, std::vector<std::string>{"unix:/tmp/a.sock"});
  EXPECT_EQ(config.www_dir, "/srv/www");
  EXPECT_EQ(config.tls_cert, "c.pem");
  EXPECT_EQ(config.tls_key, "k.pem");
  EXPECT_EQ(config.max_browsers, 4u);
  EXPECT_EQ(config.max_connections, 10u);
  EXPECT_EQ(config.browser_queue_frames, 100u);
  EXPECT_EQ(config.replay_events, 500u);
}

TEST(WebConfig, ErrorsNameFileLineAndKey) {
  WebConfig config;
  std::string error;
  EXPECT_FALSE(ParseConfigText("lisen = \"a:1\"\n", "web.toml", &config, &error));
  EXPECT_NE(error.find("web.toml:1"), std::string::npos) << error;
  EXPECT_NE(error.find("lisen"), std::string::npos) << error;
  EXPECT_FALSE(ParseConfigText("\nmax_browsers = 0\n", "web.toml", &config, &error));
  EXPECT_NE(error.find("web.toml:2"), std::string::npos) << error;
  EXPECT_NE(error.find("max_browsers"), std::string::npos) << error;
  EXPECT_FALSE(ParseConfigText("listen = 5\n", "web.toml", &config, &error));
  EXPECT_NE(error.find("listen must be a string"), std::string::npos) << error;
  EXPECT_FALSE(ParseConfigText("listen = \n", "web.toml", &config, &error));
  EXPECT_FALSE(LoadConfigFile("/nonexistent/web.toml", &config, &error));
  EXPECT_NE(error.find("/nonexistent/web.toml"), std::string::npos);
}

TEST(WebConfig, ConnectTakesSeveralBoxesAndAStore) {
  WebConfig config;
  std::string error;
  ASSERT_TRUE(ParseConfigText(R"(connect = ["floor-a=unix:/run/a.sock", "10.0.0.2:50051"]
store = "postgresql://coach@db/ambi?sslmode=require"
store_passfile = "/etc/ambi/web pgpass"
)",
                              "web.toml", &config, &error))
      << error;
  EXPECT_EQ(config.connect,
            (std::vector<std::string>{"floor-a=unix:/run/a.sock", "10.0.0.2:50051"}));
  EXPECT_EQ(config.store, "postgresql://coach@db/ambi?sslmode=require");
  EXPECT_EQ(WithPassfile(config.store, config.store_passfile),
            "postgresql://coach@db/ambi?sslmode=require&passfile=%2Fetc%2Fambi%2Fweb%20pgpass");
  EXPECT_FALSE(ParseConfigText("connect = [1]\n", "web.toml", &config, &error));
  EXPECT_NE(error.find("connect must hold strings"), std::string::npos) << error;
}

TEST(ParseBoxes, NamesEachBoxAndKeepsOneBoxUnnamed) {
  std::string error;
  auto boxes = ParseBoxes({}, &error);
  ASSERT_TRUE(boxes);
  ASSERT_EQ(boxes->size(), 1u);
  EXPECT_EQ((*boxes)[0].address, "");  // the default socket
  boxes = ParseBoxes({"floor-a=unix:/run/a.sock"}, &error);
  ASSERT_TRUE(boxes);
  EXPECT_EQ((*boxes)[0].name, "");
  EXPECT_EQ((*boxes)[0].address, "unix:/run/a.sock");
  boxes = ParseBoxes({"floor-a=unix:/run/a.sock", "10.0.0.2:50051"}, &error);
  ASSERT_TRUE(boxes) << error;
  ASSERT_EQ(boxes->size(), 2u);
  EXPECT_EQ((*boxes)[0].name, "floor-a");
  EXPECT_EQ((*boxes)[0].address, "unix:/run/a.sock");
  EXPECT_EQ((*boxes)[1].name, "10.0.0.2:50051");
  EXPECT_EQ((*boxes)[1].address, "10.0.0.2:50051");
  EXPECT_FALSE(ParseBoxes({"a=x:1", "a=y:2"}, &error));
  EXPECT_NE(error.find("'a' is given twice"), std::string::npos) << error;
  EXPECT_FALSE(ParseBoxes({"a=", "b=y:1"}, &error));
}

TEST(UrlHasPassword, FindsPasswordsInTheUserInfoAndTheQuery) {
  EXPECT_TRUE(UrlHasPassword("postgresql://coach:s3cret@db/ambi"));
  EXPECT_TRUE(UrlHasPassword("postgresql://db/ambi?password=x"));
  EXPECT_FALSE(UrlHasPassword("postgresql://coach@db:5432/ambi"));
  EXPECT_FALSE(UrlHasPassword("postgresql:///ambi?host=/tmp/x&user=ambi"));
}

}  // namespace
}  // namespace ambi::web
