#include "daemon/central/upsert_batch.h"

#include <gtest/gtest.h>

#include "daemon/central/central_tables.h"

namespace ambi::central {
namespace {

// A row of 'table' whose values are "<table>-<column index>", with 'key' in the columns named
// by the table's keys and 'marker' in its last column.
OutboxRow Row(std::int64_t seq, std::string_view table_name, const std::string& key,
              const std::string& marker = "") {
  const CentralTable* table = FindCentralTable(table_name);
  OutboxRow row;
  row.seq = seq;
  row.table = std::string(table_name);
  for (std::size_t c = 0; c < table->columns.size(); ++c) {
    bool is_key = false;
    for (std::string_view k : table->keys) is_key = is_key || k == table->columns[c];
    row.values.emplace_back(is_key ? key : std::string(table_name) + "-" + std::to_string(c));
  }
  if (!marker.empty()) row.values.back() = marker;
  return row;
}

TEST(UpsertBatchTest, OneStatementPerTableWithEveryRowSharingTheBoxId) {
  const std::vector<OutboxRow> rows = {Row(1, "reps", "1"), Row(2, "events", "2"),
                                       Row(3, "reps", "3"), Row(4, "reps", "4")};
  const auto statements = PlanUpserts(rows, "floor-a");
  ASSERT_EQ(statements.size(), 2u);
  std::size_t total = 0;
  for (const UpsertStatement& statement : statements) {
    EXPECT_EQ(statement.params.front(), "floor-a");
    total += statement.rows;
  }
  EXPECT_EQ(total, 4u);
  const UpsertStatement& reps =
      statements[0].sql.starts_with("INSERT INTO ambi_reps") ? statements[0] : statements[1];
  const std::size_t columns = FindCentralTable("reps")->columns.size();
  EXPECT_EQ(reps.rows, 3u);
  EXPECT_EQ(reps.params.size(), 1 + 3 * columns);
  EXPECT_NE(reps.sql.find("), ($1, $" + std::to_string(2 + columns) + ","), std::string::npos)
      << reps.sql;
  EXPECT_NE(reps.sql.find("$" + std::to_string(1 + 3 * columns) + ") ON CONFLICT"),
            std::string::npos)
      << reps.sql;
}

TEST(UpsertBatchTest, ARowQueuedTwiceIsSentOnceWithItsLastValues) {
  // A set inserted, then updated with its summary: one row in the statement, the later values.
  const std::vector<OutboxRow> rows = {Row(1, "sets", "s1", "first"), Row(2, "sets", "s2"),
                                       Row(3, "sets", "s1", "last")};
  const auto statements = PlanUpserts(rows, "floor-a");
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0].rows, 2u);
  bool saw_last = false;
  for (const auto& param : statements[0].params) {
    EXPECT_NE(param, "first");
    saw_last = saw_last || param == "last";
  }
  EXPECT_TRUE(saw_last);
}

TEST(UpsertBatchTest, LargeBatchesAreSplitUnderTheParameterLimit) {
  std::vector<OutboxRow> rows;
  for (int i = 0; i < 1200; ++i) rows.push_back(Row(i, "sets", std::to_string(i)));
  const auto statements = PlanUpserts(rows, "floor-a");
  std::size_t total = 0;
  for (const UpsertStatement& statement : statements) {
    EXPECT_LE(statement.params.size(), 65'535u);
    EXPECT_LE(statement.rows, kMaxRowsPerStatement);
    total += statement.rows;
  }
  EXPECT_EQ(total, 1200u);
  EXPECT_EQ(statements.size(), 3u);
}

TEST(UpsertBatchTest, NullsStayNull) {
  OutboxRow row = Row(1, "cues", "7");
  row.values[4].reset();
  const auto statements = PlanUpserts({row}, "b");
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_FALSE(statements[0].params[1 + 4].has_value());
}

}  // namespace
}  // namespace ambi::central
