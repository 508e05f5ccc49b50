// What a path that is not a regular file is, in words, for the messages of
// every place that refuses one (the log file, tool outputs, bounded input):
// "is a FIFO (named pipe), not a config file".
#pragma once

#include <sys/stat.h>

namespace copper::detail {

// mode from lstat (a symbolic link is named as one) or stat.
inline const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

}  // namespace copper::detail
