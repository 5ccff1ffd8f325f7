#ifndef AMBI_CLIENTS_WEB_STATIC_FILES_H_
#define AMBI_CLIENTS_WEB_STATIC_FILES_H_

#include <map>
#include <memory>
#include <string>

namespace ambi::web {

struct StaticFile {
  std::string content_type;
  std::shared_ptr<const std::string> body;
};

// The page's own files, read once at start from one directory (not its subdirectories). A
// request can only name a file that was there: the lookup is a map, so no path from the
// network ever reaches the file system ("..", symlinks, NUL bytes have nothing to exploit).
class StaticFiles {
 public:
  // Loads every regular file of 'dir' whose extension has a known content type. Throws
  // std::runtime_error naming the directory when it cannot be read or holds no index.html.
  static StaticFiles Load(const std::string& dir);

  // The file for URL path 'path' ("/app.js"), or nullptr.
  const StaticFile* Find(const std::string& path) const;

  std::size_t size() const { return files_.size(); }

 private:
  std::map<std::string, StaticFile> files_;  // key: "/name.ext"
};

// "text/html; charset=utf-8" for ".html", ...; empty for an unknown extension.
std::string ContentTypeFor(const std::string& file_name);

}  // namespace ambi::web

#endif  // AMBI_CLIENTS_WEB_STATIC_FILES_H_
