// LogFollower: reading a log while copper-record writes it
// (docs/log-format.md, "Reading a log that is being written"). A follower
// returns exactly the copperlists a reader finds in the finished log, in
// order, each once, under every fsync policy, uncompressed and zstd; it
// waits for a record being written and never takes zeros for damage; it
// ends soon after its recorder dies, with what check salvages.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "copper/log/follow.hpp"
#include "copper/log/reader.hpp"
#include "fixtures/recorder_process.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {

namespace lg = copper::log;
using testing_tasks::ClDigest;
using testing_tasks::Recording;
using Clock = std::chrono::steady_clock;

// A follow that has not ended after this long has hung: it is stopped and
// the test fails on its end.
constexpr auto kHung = std::chrono::seconds(20);

struct Followed {
  std::vector<ClDigest> copperlists;
  lg::FollowEnd end = lg::FollowEnd::running;
  Clock::time_point ended;
  uint64_t checked_cls = 0;  // what check() of the follower's final reader counts
  bool checked_clean = false;
};

// Follows `path` to its end; `on_copperlist` sees the count so far.
Followed follow(const std::filesystem::path& path, const std::function<void(size_t)>& on_copperlist = {}) {
  const auto deadline = Clock::now() + kHung;
  lg::FollowOptions options;
  options.stop = [deadline] { return Clock::now() > deadline; };
  auto follower = lg::LogFollower::open(path, options);
  REQUIRE_MESSAGE(follower.ok(), follower.error_message());
  Followed out;
  while (const lg::CopperListView* cl = follower->next_copperlist()) {
    out.copperlists.push_back(testing_tasks::digest(*cl));
    if (on_copperlist) on_copperlist(out.copperlists.size());
  }
  out.end = follower->end();
  out.ended = Clock::now();
  if (out.end != lg::FollowEnd::stopped) {
    out.checked_cls = follower->final_reader().check().cl_count;
    out.checked_clean = follower->final_reader().check().clean();
  }
  return out;
}

// The follower read exactly what the finished log holds.
void check_same_as_finished(const Followed& followed, const std::filesystem::path& path) {
  const auto finished = testing_tasks::finished_copperlists(path);
  CHECK(finished.size() > 0);
  CHECK(followed.copperlists.size() == finished.size());
  CHECK(followed.copperlists == finished);
}

const std::vector<std::string> kPolicies = {"none", "bytes:64KiB", "interval:20", "commit"};

// Returns how many of the policies' follows ended on a closed log.
size_t follow_from_before(const std::string& compress) {
  size_t closed = 0;
  for (const std::string& fsync : kPolicies) {
    CAPTURE(fsync);
    const copper_test::ScratchDir dir("copper_follow_before");
    const auto path = dir / "run.copper";
    const pid_t recorder = testing_tasks::start_recorder(path, {compress, fsync, 300, 600, 200, false});
    const Followed followed = follow(path);  // started before the file exists
    CHECK(testing_tasks::wait_for(recorder) == 0);
    CHECK(followed.end == lg::FollowEnd::closed);
    closed += followed.end == lg::FollowEnd::closed ? 1 : 0;
    check_same_as_finished(followed, path);
  }
  return closed;
}

}  // namespace

TEST_CASE("log.follow.started_before_the_recording_reads_every_copperlist_uncompressed") {
  CHECK(follow_from_before("none") == std::size(kPolicies));
}

TEST_CASE("log.follow.started_before_the_recording_reads_every_copperlist_zstd") {
  CHECK(follow_from_before("zstd") == std::size(kPolicies));
}

TEST_CASE("log.follow.started_during_the_recording_reads_every_copperlist") {
  for (const std::string compress : {"none", "zstd"}) {
    CAPTURE(compress);
    const copper_test::ScratchDir dir("copper_follow_during");
    const auto path = dir / "run.copper";
    const pid_t recorder = testing_tasks::start_recorder(path, {compress, "interval:20", 600, 600, 0, false});
    usleep(400'000);
    const Followed followed = follow(path);
    CHECK(testing_tasks::wait_for(recorder) == 0);
    CHECK(followed.end == lg::FollowEnd::closed);
    check_same_as_finished(followed, path);
  }
}

// SIGKILL mid-run: the follower notices the released lock within a few
// polls and ends with what a reader salvages from the unclosed log.
TEST_CASE("log.follow.a_killed_recorder_ends_the_follow_with_what_check_salvages") {
  for (const std::string compress : {"none", "zstd"}) {
    for (const std::string fsync : {"none", "commit"}) {
      CAPTURE(compress);
      CAPTURE(fsync);
      const copper_test::ScratchDir dir("copper_follow_killed");
      const auto path = dir / "run.copper";
      const pid_t recorder = testing_tasks::start_recorder(path, {compress, fsync, 0, 600, 0, false});
      Clock::time_point killed;
      const Followed followed = follow(path, [&](size_t count) {
        if (count != 150) return;
        kill(recorder, SIGKILL);
        killed = Clock::now();
      });
      CHECK(testing_tasks::wait_for(recorder) == -SIGKILL);
      CHECK(followed.end == lg::FollowEnd::unclosed);
      CHECK(followed.ended - killed < std::chrono::seconds(2));
      check_same_as_finished(followed, path);
      // The follower's final check is a check of the file: same count, same damage.
      auto reader = lg::LogReader::open(path);
      REQUIRE(reader.ok());
      CHECK_FALSE(reader->has_footer());
      CHECK(followed.checked_cls == followed.copperlists.size());
      CHECK(followed.checked_cls == reader->check().cl_count);
      CHECK(followed.checked_clean == reader->check().clean());
    }
  }
}

namespace {

std::vector<uint8_t> read_bytes(const std::filesystem::path& path) {
  std::vector<uint8_t> bytes(std::filesystem::file_size(path));
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(in);
  return bytes;
}

void write_bytes(const std::filesystem::path& path, std::span<const uint8_t> bytes, uint64_t offset) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset)) == static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

// A finished recording and the offset of its copperlists records.
struct Finished {
  std::vector<uint8_t> bytes;
  std::vector<uint64_t> copperlist_records;
};

Finished record_finished(const std::filesystem::path& path, int cycles) {
  REQUIRE(testing_tasks::wait_for(testing_tasks::start_recorder(path, {"none", "none", cycles, 0, 0, false})) == 0);
  Finished out{read_bytes(path), {}};
  auto reader = lg::LogReader::open(path);
  REQUIRE(reader.ok());
  reader->for_each_record([&](const lg::RecordView& record) {
    if (record.type == static_cast<uint16_t>(lg::RecordType::copperlists))
      out.copperlist_records.push_back(record.offset);
    return true;
  });
  return out;
}

// A child process holding the writer's lock on `path` (as a recorder
// does) that runs `then` and exits, releasing it. Returns once it holds it.
template <class Then>
pid_t hold_lock(const std::filesystem::path& path, Then then) {
  int ready[2];
  REQUIRE(pipe(ready) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0 || ::flock(fd, LOCK_EX) != 0) _exit(1);
    if (write(ready[1], "x", 1) != 1) _exit(1);
    then();
    _exit(0);
  }
  char byte = 0;
  REQUIRE(read(ready[0], &byte, 1) == 1);
  close(ready[0]);
  close(ready[1]);
  return child;
}

}  // namespace

// A record whose bytes are only partly there while the writer holds its
// lock is waited for, then returned whole: never torn, never damage.
TEST_CASE("log.follow.a_record_being_written_is_waited_for_not_returned_torn") {
  const copper_test::ScratchDir dir("copper_follow_torn");
  const auto original = dir / "original.copper";
  const auto path = dir / "run.copper";
  const Finished finished = record_finished(original, 40);
  REQUIRE(finished.copperlist_records.size() == 40);
  // The file as a writer leaves it mid-record: record 20's header half
  // written, everything after it zero (reserved, not written yet).
  const uint64_t torn = finished.copperlist_records[20] + 12;
  std::vector<uint8_t> partial = finished.bytes;
  std::fill(partial.begin() + static_cast<std::ptrdiff_t>(torn), partial.end(), 0);
  write_bytes(path, partial, 0);
  const pid_t writer = hold_lock(path, [&] {
    usleep(300'000);
    write_bytes(path, std::span(finished.bytes).subspan(torn), torn);
  });
  const Followed followed = follow(path);
  CHECK(testing_tasks::wait_for(writer) == 0);
  CHECK(followed.end == lg::FollowEnd::closed);
  check_same_as_finished(followed, original);
  auto reader = lg::LogReader::open(path);
  REQUIRE(reader.ok());
  CHECK(reader->check().clean());
}

// Damage in a slab the writer has left is skipped at once, as a reader
// skips it; the follow does not wait for the writer to end to go past it.
TEST_CASE("log.follow.damage_in_a_slab_the_writer_left_is_skipped_while_it_writes") {
  const copper_test::ScratchDir dir("copper_follow_damage");
  const auto original = dir / "original.copper";
  const auto path = dir / "run.copper";
  const Finished finished = record_finished(original, 60);
  std::vector<uint8_t> damaged = finished.bytes;
  damaged[finished.copperlist_records[3] + 40] ^= 0xFF;  // in slab 0, which the writer has left
  write_bytes(path, damaged, 0);
  const auto expected = testing_tasks::finished_copperlists(path);
  REQUIRE(expected.size() == 59);
  const pid_t writer = hold_lock(path, [] { pause(); });  // writes nothing more until killed
  const Followed followed = follow(path, [&](size_t count) {
    if (count == expected.size()) kill(writer, SIGKILL);
  });
  kill(writer, SIGKILL);  // if the follow never got there
  CHECK(testing_tasks::wait_for(writer) == -SIGKILL);
  CHECK(followed.end == lg::FollowEnd::closed);  // the bytes hold the footer of the original
  CHECK(followed.copperlists == expected);
}

// copper-record --force writes `.<name>.XXXXXX` and renames it over the
// old log: a follower started meanwhile waits and follows the new file.
TEST_CASE("log.follow.waits_for_a_replacement_being_written_and_follows_it") {
  const copper_test::ScratchDir dir("copper_follow_replace");
  const auto old_log = dir / "old.copper";
  const auto new_log = dir / "new.copper";
  const auto path = dir / "run.copper";
  record_finished(old_log, 10);
  record_finished(new_log, 30);
  std::filesystem::copy_file(old_log, path);
  const auto temporary = dir / ".run.copper.AbC123";
  std::filesystem::copy_file(new_log, temporary);
  const pid_t writer = hold_lock(temporary, [&] {
    usleep(300'000);
    std::filesystem::rename(temporary, path);
  });
  const Followed followed = follow(path);
  CHECK(testing_tasks::wait_for(writer) == 0);
  CHECK(followed.end == lg::FollowEnd::closed);
  check_same_as_finished(followed, new_log);
}

TEST_CASE("log.follow.a_closed_log_is_read_to_its_end_at_once") {
  const copper_test::ScratchDir dir("copper_follow_closed");
  const auto path = dir / "run.copper";
  record_finished(path, 25);
  const auto started = Clock::now();
  const Followed followed = follow(path);
  CHECK(followed.end == lg::FollowEnd::closed);
  CHECK(followed.ended - started < std::chrono::seconds(1));
  check_same_as_finished(followed, path);
}

TEST_CASE("log.follow.stop_ends_a_follow_waiting_for_a_file_that_never_comes") {
  const copper_test::ScratchDir dir("copper_follow_stop");
  lg::FollowOptions options;
  const auto deadline = Clock::now() + std::chrono::milliseconds(200);
  options.stop = [deadline] { return Clock::now() > deadline; };
  auto follower = lg::LogFollower::open(dir / "never.copper", options);
  REQUIRE_FALSE(follower.ok());
  CHECK(std::string(follower.error_message()).find("stopped while waiting for the log") != std::string::npos);
}

TEST_CASE("log.follow.a_directory_is_refused_as_the_reader_refuses_it") {
  const copper_test::ScratchDir dir("copper_follow_directory");
  auto follower = lg::LogFollower::open(dir.path());
  REQUIRE_FALSE(follower.ok());
  CHECK(std::string(follower.error_message()).find("is a directory, not a log file") != std::string::npos);
}

// With no writer, a follow is a read of a finished log: over every corpus
// file (damaged, unclosed, stale tails, version 1), it returns what the
// reader returns, copperlists and every other record, or the same error.
TEST_CASE("log.follow.over_the_corpus_returns_what_the_reader_returns") {
  for (const std::string folder : {"", "/v1"}) {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(COPPER_CORPUS_DIR) + folder)) {
      if (entry.path().extension() != ".copper") continue;
      CAPTURE(entry.path().string());
      auto reader = lg::LogReader::open(entry.path());
      lg::FollowOptions options;
      options.start_grace = std::chrono::milliseconds(0);  // a file shorter than a header is final here
      auto follower = lg::LogFollower::open(entry.path(), options);
      REQUIRE(reader.ok() == follower.ok());
      if (!reader.ok()) {
        CHECK(std::string(reader.error_message()) == std::string(follower.error_message()));
        continue;
      }
      std::vector<std::pair<uint16_t, uint64_t>> records, followed_records;
      reader->for_each_record([&](const lg::RecordView& record) {
        if (record.type != static_cast<uint16_t>(lg::RecordType::copperlists))
          records.emplace_back(record.type, record.offset);
        return true;
      });
      std::vector<ClDigest> followed;
      while (const lg::CopperListView* cl = follower->next_copperlist(
                 [&](const lg::RecordView& record) { followed_records.emplace_back(record.type, record.offset); }))
        followed.push_back(testing_tasks::digest(*cl));
      CHECK(followed == testing_tasks::finished_copperlists(entry.path()));
      CHECK(followed_records == records);
      CHECK(follower->end() ==
            (reader->has_footer() && reader->header().clean_close ? lg::FollowEnd::closed : lg::FollowEnd::unclosed));
    }
  }
}

// A recorder creates its file, then locks it, then writes the header: a
// follower that finds the file empty and unlocked waits (up to the start
// grace) instead of calling it "not a copper log".
TEST_CASE("log.follow.an_empty_unlocked_file_is_waited_for_briefly") {
  const copper_test::ScratchDir dir("copper_follow_young");
  const auto original = dir / "original.copper";
  const auto path = dir / "run.copper";
  const Finished finished = record_finished(original, 20);
  write_bytes(path, {}, 0);  // created, empty
  const pid_t writer = fork();
  REQUIRE(writer >= 0);
  if (writer == 0) {
    usleep(300'000);
    write_bytes(dir / "whole.copper", finished.bytes, 0);
    std::filesystem::rename(dir / "whole.copper", path);  // at once: no half-written file to read
    _exit(0);
  }
  const Followed followed = follow(path);
  CHECK(testing_tasks::wait_for(writer) == 0);
  CHECK(followed.end == lg::FollowEnd::closed);
  check_same_as_finished(followed, original);
}
