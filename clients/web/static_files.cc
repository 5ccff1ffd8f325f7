#include "clients/web/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ambi::web {

std::string ContentTypeFor(const std::string& file_name) {
  const std::string extension = std::filesystem::path(file_name).extension().string();
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".png") return "image/png";
  if (extension == ".ico") return "image/x-icon";
  if (extension == ".json" || extension == ".webmanifest") return "application/json";
  return {};
}

StaticFiles StaticFiles::Load(const std::string& dir) {
  StaticFiles files;
  std::error_code error;
  std::filesystem::directory_iterator it(dir, error);
  if (error) {
    throw std::runtime_error("cannot read the page's directory '" + dir + "': " + error.message());
  }
  for (const auto& entry : it) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    std::string type = ContentTypeFor(name);
    if (type.empty() || name.starts_with(".")) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read '" + entry.path().string() + "'");
    files.files_["/" + name] =
        StaticFile{std::move(type), std::make_shared<const std::string>(body.str())};
  }
  if (!files.files_.contains("/index.html")) {
    throw std::runtime_error("the page's directory '" + dir + "' has no index.html");
  }
  return files;
}

const StaticFile* StaticFiles::Find(const std::string& path) const {
  const auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

}  // namespace ambi::web
