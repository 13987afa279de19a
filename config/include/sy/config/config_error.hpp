#pragma once
#include <stdexcept>
#include <string>

namespace sy::config {

// A configuration problem, located: "switchyard.yaml:12:5: cloud.timeouts.connect_ms: expected ...".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string file, int line, int column, std::string key_path, std::string what)
      : std::runtime_error(format(file, line, column, key_path, what)),
        file_(std::move(file)), line_(line), column_(column), key_path_(std::move(key_path)) {}

  const std::string& file() const { return file_; }
  int line() const { return line_; }      // 1-based; 0 when unknown
  int column() const { return column_; }  // 1-based; 0 when unknown
  const std::string& key_path() const { return key_path_; }

 private:
  static std::string format(const std::string& file, int line, int column, const std::string& key_path,
                            const std::string& what) {
    std::string out = file;
    if (line > 0) out += ":" + std::to_string(line) + ":" + std::to_string(column);
    out += ": ";
    if (!key_path.empty()) out += key_path + ": ";
    return out + what;
  }
  std::string file_;
  int line_;
  int column_;
  std::string key_path_;
};

}  // namespace sy::config
