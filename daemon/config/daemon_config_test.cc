#include "daemon/config/daemon_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ambi::config {
namespace {

using ::testing::HasSubstr;

constexpr const char* kMinimal = R"(
[[athletes]]
name = "alice"
exercise = "biceps_curl"
[[athletes.devices]]
placement = "left_wrist"
transport = "serial"
path = "/dev/ttyUSB0"
[[athletes.devices]]
placement = "right_wrist"
transport = "ble"
address = "AA:BB:CC:DD:EE:0F"
)";

TEST(DaemonConfigTest, ShippedExampleLoads) {
  const DaemonConfigResult result =
      LoadDaemonConfigFile(std::string(AMBI_SOURCE_DIR) + "/data/ambid.toml");
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.config->athletes.size(), 1u);
  EXPECT_EQ(result.config->athletes[0].devices.size(), 2u);
}

TEST(DaemonConfigTest, CentralIsOptionalAndReadWhenGiven) {
  ASSERT_FALSE(ParseDaemonConfig(kMinimal, "test.toml").config->central.has_value());
  const DaemonConfigResult result = ParseDaemonConfig(
      std::string(kMinimal) +
          "[central]\nurl = \"postgresql://ambi@db/ambi?sslmode=require\"\nbox_id = \"floor-a\"\n"
          "passfile = \"/etc/ambi/pgpass\"\n",
      "test.toml");
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_TRUE(result.config->central.has_value());
  EXPECT_EQ(result.config->central->url, "postgresql://ambi@db/ambi?sslmode=require");
  EXPECT_EQ(result.config->central->box_id, "floor-a");
  EXPECT_EQ(result.config->central->passfile, "/etc/ambi/pgpass");
  EXPECT_EQ(result.config->central->retry_longest_s, 5.0);
}

TEST(DaemonConfigTest, CentralRefusesPasswordsInTheUrlAndUnsafeBoxNames) {
  const auto parse = [](const std::string& central) {
    return ParseDaemonConfig(std::string(kMinimal) + "[central]\n" + central, "test.toml");
  };
  const DaemonConfigResult password =
      parse("url = \"postgresql://ambi:secret@db/ambi\"\nbox_id = \"a\"\n");
  EXPECT_THAT(password.error, HasSubstr("central.url: carries a password"));
  EXPECT_THAT(password.error, ::testing::Not(HasSubstr("secret")));
  EXPECT_THAT(parse("url = \"mysql://db/ambi\"\nbox_id = \"a\"\n").error,
              HasSubstr("is not a PostgreSQL URI"));
  EXPECT_THAT(parse("url = \"postgresql://db/ambi\"\nbox_id = \"../a\"\n").error,
              HasSubstr("central.box_id"));
  EXPECT_THAT(parse("url = \"postgresql://db/ambi\"\n").error, HasSubstr("box_id"));
}

TEST(DaemonConfigTest, DefaultsAndDerivedFields) {
  const DaemonConfigResult result = ParseDaemonConfig(kMinimal, "test.toml");
  ASSERT_TRUE(result.ok()) << result.error;
  const DaemonConfig& config = *result.config;
  EXPECT_EQ(config.listen, std::vector<std::string>{"unix:/run/ambi/ambid.sock"});
  EXPECT_EQ(config.data_dir, "/var/lib/ambi");
  EXPECT_TRUE(config.automatic_sets);
  EXPECT_EQ(config.set_end_rest_s, 20.0);
  EXPECT_EQ(config.set_end_min_rest_s, 12.0);
  const DeviceConfig& left = config.athletes[0].devices[0];
  EXPECT_EQ(left.name, "alice-left_wrist");
  EXPECT_EQ(left.protocol, fusion::Protocol::kWitMotionSerial);
  EXPECT_EQ(left.baud, 115200u);
  EXPECT_DOUBLE_EQ(left.rate_hz, 100.0);
  const DeviceConfig& right = config.athletes[0].devices[1];
  EXPECT_EQ(right.protocol, fusion::Protocol::kWitMotionBle);
  EXPECT_EQ(right.adapter, "hci0");
  EXPECT_EQ(right.placement, (fusion::Placement{fusion::Side::kRight, fusion::Limb::kWrist}));
}

TEST(DaemonConfigTest, SetEndRestsAreReadAndRangeChecked) {
  const auto parse = [](const std::string& daemon) {
    return ParseDaemonConfig("[daemon]\n" + daemon + std::string(kMinimal), "test.toml");
  };
  const DaemonConfigResult result = parse("set_end_rest_s = 30\nset_end_min_rest_s = 30\n");
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(result.config->set_end_rest_s, 30.0);
  EXPECT_EQ(result.config->set_end_min_rest_s, 30.0);
  EXPECT_THAT(parse("set_end_min_rest_s = 1\n").error, HasSubstr("set_end_min_rest_s"));
}

// Names become path components and log text: ".." (which the old check let through), a path,
// a line break or 5000 characters are refused with the key and the reason.
TEST(DaemonConfigTest, HostileNamesAreRefused) {
  const std::string device = R"(
[[athletes.devices]]
placement = "left_wrist"
transport = "serial"
path = "/dev/ttyS0"
)";
  for (const auto& [name, problem] : std::vector<std::pair<std::string, std::string>>{
           {"..", "must not start with '.'"},
           {"../../tmp/x", "must not start with '.'"},
           {"a/b", "path separator"},
           {"al\\\\nice", "path separator '\\'"},
           {"al\\nice", "line break"},
           {std::string(5000, 'x'), "5000 bytes long"}}) {
    const DaemonConfigResult result =
        ParseDaemonConfig("[[athletes]]\nname = \"" + name + "\"\n" + device, "gym.toml");
    ASSERT_FALSE(result.ok()) << name;
    EXPECT_THAT(result.error, HasSubstr("gym.toml:2")) << name;
    EXPECT_THAT(result.error, HasSubstr("athletes[0].name")) << name;
    EXPECT_THAT(result.error, HasSubstr(problem)) << name;
    EXPECT_EQ(result.error.find('\n'), std::string::npos) << result.error;
  }
  const DaemonConfigResult bad_device =
      ParseDaemonConfig("[[athletes]]\nname = \"ana\"\n" + device + "name = \"..\"\n", "gym.toml");
  ASSERT_FALSE(bad_device.ok());
  EXPECT_THAT(bad_device.error, HasSubstr("athletes[0].devices[0].name"));
}

TEST(DaemonConfigTest, ErrorsNameFileLineKeyValueAndAllowed) {
  const DaemonConfigResult bad_placement = ParseDaemonConfig(R"([[athletes]]
name = "a"
[[athletes.devices]]
placement = "left_wirst"
transport = "serial"
path = "/dev/ttyS0"
)",
                                                             "gym.toml");
  ASSERT_FALSE(bad_placement.ok());
  EXPECT_THAT(bad_placement.error, HasSubstr("gym.toml:4"));
  EXPECT_THAT(bad_placement.error, HasSubstr("athletes[0].devices[0].placement"));
  EXPECT_THAT(bad_placement.error, HasSubstr("\"left_wirst\""));
  EXPECT_THAT(bad_placement.error, HasSubstr("left_wrist, right_wrist, left_ankle, right_ankle"));

  const DaemonConfigResult bad_baud = ParseDaemonConfig(R"([[athletes]]
name = "a"
[[athletes.devices]]
placement = "left_wrist"
transport = "serial"
path = "/dev/ttyS0"
baud = 1000
)",
                                                        "gym.toml");
  ASSERT_FALSE(bad_baud.ok());
  EXPECT_THAT(bad_baud.error, HasSubstr("baud: = 1000 is not allowed"));
  EXPECT_THAT(bad_baud.error, HasSubstr("115200"));

  const DaemonConfigResult unknown_key = ParseDaemonConfig("[daemon]\nlisten_on = []\n", "x.toml");
  ASSERT_FALSE(unknown_key.ok());
  EXPECT_THAT(unknown_key.error, HasSubstr("daemon.listen_on: unknown key"));

  const DaemonConfigResult bad_listen =
      ParseDaemonConfig("[daemon]\nlisten = [\"unix:relative\"]\n", "x.toml");
  ASSERT_FALSE(bad_listen.ok());
  EXPECT_THAT(bad_listen.error, HasSubstr("daemon.listen[0]"));

  const DaemonConfigResult wrong_transport_key = ParseDaemonConfig(R"([[athletes]]
name = "a"
[[athletes.devices]]
placement = "left_wrist"
transport = "ble"
address = "AA:BB:CC:DD:EE:FF"
path = "/dev/ttyS0"
)",
                                                                   "x.toml");
  ASSERT_FALSE(wrong_transport_key.ok());
  EXPECT_THAT(wrong_transport_key.error, HasSubstr("path: applies to transport = \"serial\" only"));

  const DaemonConfigResult bad_address = ParseDaemonConfig(R"([[athletes]]
name = "a"
[[athletes.devices]]
placement = "left_wrist"
transport = "ble"
address = "AA:BB:CC"
)",
                                                           "x.toml");
  ASSERT_FALSE(bad_address.ok());
  EXPECT_THAT(bad_address.error, HasSubstr("is not a Bluetooth address"));

  const DaemonConfigResult not_toml = ParseDaemonConfig("[daemon\n", "x.toml");
  ASSERT_FALSE(not_toml.ok());
  EXPECT_THAT(not_toml.error, HasSubstr("x.toml:1"));
  EXPECT_THAT(not_toml.error, HasSubstr("not valid TOML"));

  EXPECT_THAT(LoadDaemonConfigFile("/nonexistent/ambid.toml").error,
              HasSubstr("/nonexistent/ambid.toml: cannot open"));
}

TEST(DaemonConfigTest, CrossChecksNameDuplicates) {
  const DaemonConfigResult same_placement = ParseDaemonConfig(R"([[athletes]]
name = "a"
[[athletes.devices]]
placement = "left_wrist"
transport = "serial"
path = "/dev/ttyS0"
[[athletes.devices]]
placement = "left_wrist"
transport = "serial"
path = "/dev/ttyS1"
)",
                                                              "x.toml");
  ASSERT_FALSE(same_placement.ok());
  EXPECT_THAT(same_placement.error, HasSubstr("athletes[0].devices[1].placement"));
  EXPECT_THAT(same_placement.error, HasSubstr("one device per placement"));

  const DaemonConfigResult same_tty = ParseDaemonConfig(R"([[athletes]]
name = "a"
[[athletes.devices]]
placement = "left_wrist"
transport = "serial"
path = "/dev/ttyS0"
[[athletes]]
name = "b"
[[athletes.devices]]
placement = "left_wrist"
transport = "serial"
path = "/dev/ttyS0"
)",
                                                        "x.toml");
  ASSERT_FALSE(same_tty.ok());
  EXPECT_THAT(same_tty.error, HasSubstr("\"/dev/ttyS0\" is used by an earlier device"));
}

TEST(DaemonConfigTest, ListenAddressForms) {
  std::string reason;
  EXPECT_TRUE(IsValidListenAddress("unix:/run/ambi/ambid.sock", &reason));
  EXPECT_TRUE(IsValidListenAddress("127.0.0.1:50051", &reason));
  EXPECT_TRUE(IsValidListenAddress("[::1]:0", &reason));
  EXPECT_FALSE(IsValidListenAddress("localhost", &reason));
  EXPECT_FALSE(IsValidListenAddress("localhost:http", &reason));
  EXPECT_FALSE(IsValidListenAddress("127.0.0.1:70000", &reason));
}

}  // namespace
}  // namespace ambi::config

namespace ambi::config {
namespace {

TEST(DaemonConfigRemoteAccessTest, TokenFileAndTlsAreReadAndChecked) {
  const DaemonConfigResult result = ParseDaemonConfig(R"(
[daemon]
listen = ["0.0.0.0:50051", "unix:/run/ambi/ambid.sock"]
token_file = "/etc/ambi/tokens"
[daemon.tls]
cert_file = "/etc/ambi/tls/ambid.crt"
key_file = "/etc/ambi/tls/ambid.key"
)",
                                                      "test.toml");
  ASSERT_TRUE(result.ok()) << result.error;
  const DaemonConfig& config = *result.config;
  EXPECT_EQ(config.token_file, "/etc/ambi/tokens");
  ASSERT_TRUE(config.tls);
  EXPECT_EQ(config.tls->cert_file, "/etc/ambi/tls/ambid.crt");
  EXPECT_EQ(config.tls->key_file, "/etc/ambi/tls/ambid.key");
  EXPECT_EQ(config.tls->client_ca_file, "");
  EXPECT_EQ(CheckRemoteAccess(config), "");

  DaemonConfig no_tls = config;
  no_tls.tls.reset();
  EXPECT_THAT(CheckRemoteAccess(no_tls),
              HasSubstr("\"0.0.0.0:50051\" is reachable from the network and [daemon.tls] is "
                        "missing"));
  DaemonConfig no_tokens = config;
  no_tokens.token_file.clear();
  EXPECT_THAT(CheckRemoteAccess(no_tokens), HasSubstr("[daemon] token_file is missing"));
  DaemonConfig loopback = no_tls;
  loopback.token_file.clear();
  loopback.listen = {"127.0.0.1:50051", "[::1]:50051", "localhost:1", "unix:/x"};
  EXPECT_EQ(CheckRemoteAccess(loopback), "");
  for (const char* remote : {"[::]:1", "10.0.0.2:1", "gym-server:1", "127.example.com:1"}) {
    loopback.listen = {remote};
    EXPECT_NE(CheckRemoteAccess(loopback), "") << remote;
  }
}

TEST(DaemonConfigRemoteAccessTest, TlsNeedsCertAndKeyAsAbsolutePaths) {
  const DaemonConfigResult missing_key =
      ParseDaemonConfig("[daemon.tls]\ncert_file = \"/a.crt\"\n", "test.toml");
  ASSERT_FALSE(missing_key.ok());
  EXPECT_THAT(missing_key.error, HasSubstr("daemon.tls.key_file"));
  const DaemonConfigResult relative =
      ParseDaemonConfig("[daemon]\ntoken_file = \"tokens\"\n", "test.toml");
  ASSERT_FALSE(relative.ok());
  EXPECT_THAT(relative.error, HasSubstr("daemon.token_file"));
  EXPECT_THAT(relative.error, HasSubstr("is not an absolute path"));
  const DaemonConfigResult unknown = ParseDaemonConfig(
      "[daemon.tls]\ncert_file = \"/a\"\nkey_file = \"/b\"\nca = \"/c\"\n", "test.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error, HasSubstr("unknown key"));
}

}  // namespace
}  // namespace ambi::config
