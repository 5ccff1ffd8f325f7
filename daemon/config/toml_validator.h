#ifndef AMBI_DAEMON_CONFIG_TOML_VALIDATOR_H_
#define AMBI_DAEMON_CONFIG_TOML_VALIDATOR_H_

// Shared by the configuration loaders (exercise catalog, daemon config): typed reads of a toml++
// table whose every failure names the file, line, key path, the value found and what is allowed.
// Included by loader .cc files only, so toml++ stays out of every other header.

#include <toml++/toml.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace ambi::config::detail {

// Thrown inside the config loaders only, turned into their result's error at the boundary.
struct ValidationError {
  std::string message;
};

class Validator {
 public:
  explicit Validator(std::string_view source_name) : source_(source_name) {}

  [[noreturn]] void Fail(const toml::node* node, const std::string& key_path,
                         const std::string& what) const {
    std::ostringstream out;
    out << source_;
    if (node != nullptr && node->source().begin.line > 0) {
      out << ':' << node->source().begin.line << ':' << node->source().begin.column;
    }
    out << ": " << key_path << ": " << what;
    throw ValidationError{out.str()};
  }

  // "= <value>" as written in TOML, for error messages.
  static std::string Show(const toml::node& node) {
    std::ostringstream out;
    if (const auto* s = node.as_string()) {
      out << '"' << s->get() << '"';
    } else if (node.is_value()) {
      node.visit([&out](const auto& v) {
        if constexpr (toml::is_value<decltype(v)>) out << v;
      });
    } else {
      out << "(a " << node.type() << ')';
    }
    return out.str();
  }

  static std::string Join(const std::vector<std::string_view>& words) {
    std::string text;
    for (std::size_t i = 0; i < words.size(); ++i) {
      if (i > 0) text += ", ";
      text += words[i];
    }
    return text;
  }

  const toml::table& Table(const toml::node* node, const std::string& key_path) const {
    if (node == nullptr) Fail(nullptr, key_path, "missing (a table is required)");
    if (const auto* table = node->as_table()) return *table;
    Fail(node, key_path, "= " + Show(*node) + " is not a table");
  }

  void OnlyKeys(const toml::table& table, const std::string& key_path,
                const std::vector<std::string_view>& allowed) const {
    for (const auto& [key, node] : table) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
        Fail(&node, Child(key_path, key.str()), "unknown key; allowed keys are " + Join(allowed));
      }
    }
  }

  std::string String(const toml::table& table, const std::string& key_path,
                     std::string_view key) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) Fail(&table, Child(key_path, key), "missing (a string is required)");
    if (const auto* s = node->as_string()) return s->get();
    Fail(node, Child(key_path, key), "= " + Show(*node) + " is not a string");
  }

  // A string that must be one of 'allowed'; returns its index in 'allowed'.
  std::size_t Choice(const toml::table& table, const std::string& key_path, std::string_view key,
                     const std::vector<std::string_view>& allowed) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) {
      Fail(&table, Child(key_path, key), "missing; allowed values are " + Join(allowed));
    }
    const auto* s = node->as_string();
    const auto found =
        s != nullptr ? std::find(allowed.begin(), allowed.end(), s->get()) : allowed.end();
    if (found == allowed.end()) {
      Fail(node, Child(key_path, key),
           "= " + Show(*node) + " is not allowed; allowed values are " + Join(allowed));
    }
    return static_cast<std::size_t>(found - allowed.begin());
  }

  double Percent(const toml::table& table, const std::string& key_path,
                 std::string_view key) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) Fail(&table, Child(key_path, key), "missing (a percentage is required)");
    const std::optional<double> value = node->value<double>();  // integers convert too
    if (!value || !node->is_number()) {
      Fail(node, Child(key_path, key), "= " + Show(*node) + " is not a number");
    }
    if (!(*value > 0.0 && *value <= 100.0)) {
      Fail(node, Child(key_path, key),
           "= " + Show(*node) + " is out of range; allowed values are > 0 and <= 100 (percent)");
    }
    return *value;
  }

  // An optional number within [min, max]; 'fallback' when the key is absent.
  double Number(const toml::table& table, const std::string& key_path, std::string_view key,
                double fallback, double min, double max, std::string_view unit) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return fallback;
    const std::optional<double> value = node->value<double>();
    if (!value || !node->is_number()) {
      Fail(node, Child(key_path, key), "= " + Show(*node) + " is not a number");
    }
    if (!(*value >= min && *value <= max)) {
      std::ostringstream allowed;
      allowed << min << " to " << max << ' ' << unit;
      Fail(node, Child(key_path, key),
           "= " + Show(*node) + " is out of range; allowed values are " + allowed.str());
    }
    return *value;
  }

  bool Bool(const toml::table& table, const std::string& key_path, std::string_view key,
            bool fallback) const {
    const toml::node* node = table.get(key);
    if (node == nullptr) return fallback;
    if (const auto* b = node->as_boolean()) return b->get();
    Fail(node, Child(key_path, key), "= " + Show(*node) + " is not a boolean (true or false)");
  }

  // An optional string; 'fallback' when absent.
  std::string OptionalString(const toml::table& table, const std::string& key_path,
                             std::string_view key, std::string fallback) const {
    if (table.get(key) == nullptr) return fallback;
    return String(table, key_path, key);
  }

  // An optional array of strings; empty when absent.
  std::vector<std::string> StringArray(const toml::table& table, const std::string& key_path,
                                       std::string_view key) const {
    std::vector<std::string> out;
    const toml::node* node = table.get(key);
    if (node == nullptr) return out;
    const auto* array = node->as_array();
    if (array == nullptr) {
      Fail(node, Child(key_path, key), "= " + Show(*node) + " is not an array of strings");
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      const auto* s = item.as_string();
      if (s == nullptr) {
        Fail(&item, Child(key_path, key) + "[" + std::to_string(i) + "]",
             "= " + Show(item) + " is not a string");
      }
      out.push_back(s->get());
    }
    return out;
  }

  static std::string Child(const std::string& key_path, std::string_view key) {
    return key_path.empty() ? std::string(key) : key_path + "." + std::string(key);
  }

 private:
  std::string source_;
};

// Parses 'text' as TOML; on a syntax error returns nullopt with *error naming the file, line and
// column.
inline std::optional<toml::table> ParseToml(std::string_view text, std::string_view source_name,
                                            std::string* error) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& parse_error) {
    std::ostringstream out;
    out << source_name << ':' << parse_error.source().begin.line << ':'
        << parse_error.source().begin.column << ": not valid TOML: " << parse_error.description();
    *error = out.str();
    return std::nullopt;
  }
}

}  // namespace ambi::config::detail

#endif  // AMBI_DAEMON_CONFIG_TOML_VALIDATOR_H_
