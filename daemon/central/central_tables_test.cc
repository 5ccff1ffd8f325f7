#include "daemon/central/central_tables.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "daemon/central/shipper.h"

namespace ambi::central {
namespace {

TEST(CentralTablesTest, ImmutableRowsAreInsertedOnce) {
  const CentralTable* reps = FindCentralTable("reps");
  ASSERT_NE(reps, nullptr);
  const std::string sql = CentralUpsertSql(*reps);
  EXPECT_TRUE(sql.starts_with("INSERT INTO ambi_reps (box_id, session_id, seq, set_index"));
  EXPECT_NE(sql.find("$" + std::to_string(reps->columns.size() + 1) + ")"), std::string::npos);
  EXPECT_TRUE(sql.ends_with("ON CONFLICT (box_id, session_id, seq) DO NOTHING")) << sql;
}

TEST(CentralTablesTest, SessionsAndSetsAreUpsertedWithoutTouchingTheirKeys) {
  const std::string sql = CentralUpsertSql(*FindCentralTable("sets"));
  EXPECT_NE(sql.find("ON CONFLICT (box_id, session_id, set_index) DO UPDATE SET exercise = "
                     "EXCLUDED.exercise"),
            std::string::npos)
      << sql;
  EXPECT_EQ(sql.find(" set_index = EXCLUDED"), std::string::npos) << sql;
  EXPECT_NE(sql.find("summary = EXCLUDED.summary"), std::string::npos) << sql;
}

TEST(CentralTablesTest, EveryTableHasKeysAmongItsColumns) {
  for (const CentralTable& table : CentralTables()) {
    for (std::string_view key : table.keys) {
      EXPECT_NE(std::find(table.columns.begin(), table.columns.end(), key), table.columns.end())
          << table.store_table << " key " << key;
    }
  }
}

TEST(CentralUrlTest, PasswordsNeverAppearInTheShownUrl) {
  EXPECT_EQ(RedactUrl("postgresql://coach:s3cret@db.example/ambi?sslmode=require"),
            "postgresql://coach:***@db.example/ambi?sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://coach@db.example/ambi"), "postgresql://coach@db.example/ambi");
  EXPECT_EQ(RedactUrl("postgresql:///ambi?host=/tmp"), "postgresql:///ambi?host=/tmp");
}

TEST(CentralUrlTest, ThePasswordFromTheConfigGoesInAsAnEncodedParameter) {
  ShipperOptions options;
  options.url = "postgresql:///ambi?host=/run/pg";
  options.password = "a b&c";
  EXPECT_EQ(ConnectionUri(options),
            "postgresql:///ambi?host=/run/pg&password=a%20b%26c&application_name=ambid&"
            "connect_timeout=5");
  options.url = "postgresql://db/ambi";
  options.password.clear();
  options.passfile = "/etc/ambi/pgpass";
  EXPECT_EQ(ConnectionUri(options),
            "postgresql://db/ambi?passfile=%2Fetc%2Fambi%2Fpgpass&application_name=ambid&"
            "connect_timeout=5");
  options.url = "postgresql://db/ambi?connect_timeout=30";
  options.passfile.clear();
  EXPECT_EQ(ConnectionUri(options),
            "postgresql://db/ambi?connect_timeout=30&application_name=ambid");
}

}  // namespace
}  // namespace ambi::central
