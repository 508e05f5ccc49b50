// Status codes (copper/status.hpp) and the one exit-code table the three
// tools share (src/exit_codes.hpp, docs/exit-codes.md).
#include <doctest/doctest.h>

#include <fstream>

#include "copper/log/file.hpp"
#include "copper/log/reader.hpp"
#include "copper/status.hpp"
#include "exit_codes.hpp"
#include "fixtures/scratch_dir.hpp"

using copper::Status;
using copper::StatusCode;

TEST_CASE("status.code.ok_has_no_code_and_no_message") {
  const Status ok;
  CHECK(ok.ok());
  CHECK(ok.code() == StatusCode::ok);
  CHECK(ok.message().empty());
  CHECK(ok.prefixed("file: ").ok());
}

TEST_CASE("status.code.each_factory_sets_its_kind_and_keeps_the_message") {
  const std::pair<Status, StatusCode> cases[] = {
      {Status::error("e"), StatusCode::unknown},
      {Status::invalid_argument("e"), StatusCode::invalid_argument},
      {Status::not_found("e"), StatusCode::not_found},
      {Status::already_exists("e"), StatusCode::already_exists},
      {Status::corruption("e"), StatusCode::corruption},
      {Status::io_error("e"), StatusCode::io_error},
      {Status::aborted("e"), StatusCode::aborted},
  };
  for (const auto& [status, code] : cases) {
    CAPTURE(copper::to_string(code));
    CHECK_FALSE(status.ok());
    CHECK(status.code() == code);
    CHECK(status.message() == "e");
    const Status copy = status;  // NOLINT: the copy is what is checked
    CHECK(copy.code() == code);
    CHECK(status.prefixed("f: ").code() == code);
    CHECK(status.prefixed("f: ").message() == "f: e");
  }
}

TEST_CASE("status.result.carries_the_error_code") {
  const copper::Result<int> value = 3;
  CHECK(value.code() == StatusCode::ok);
  const copper::Result<int> missing = Status::not_found("x");
  CHECK(missing.code() == StatusCode::not_found);
  CHECK(missing.status().code() == StatusCode::not_found);
}

TEST_CASE("exit_codes.the_kind_of_error_decides_the_exit_code") {
  CHECK(copper::exit_code_for(Status()) == copper::kExitOk);
  for (const Status& cannot_run : {Status::invalid_argument("a"), Status::not_found("a"),
                                   Status::already_exists("a"), Status::corruption("a")})
    CHECK(copper::exit_code_for(cannot_run) == copper::kExitCannotRun);
  for (const Status& failed : {Status::error("a"), Status::io_error("a"), Status::aborted("a")})
    CHECK(copper::exit_code_for(failed) == copper::kExitFailed);
}

// Regression: copper-record chose its exit code by looking whether the
// output file existed after the writer failed; the error now says so.
TEST_CASE("status.code.log_files_report_what_went_wrong_by_kind") {
  copper_test::ScratchDir dir("status_codes");
  const auto existing = dir / "existing.copper";
  std::ofstream(existing) << "x";
  using copper::log::OpenMode;
  CHECK(copper::log::open_log_file(existing, OpenMode::create_new).code() == StatusCode::already_exists);
  CHECK(copper::log::open_log_file(dir / "no/such/dir/run.copper", OpenMode::create_new).code() ==
        StatusCode::not_found);

  CHECK(copper::log::LogReader::open(dir / "missing.copper").code() == StatusCode::not_found);
  CHECK(copper::log::LogReader::open(existing).code() == StatusCode::corruption);  // one byte: not a log
  CHECK(copper::log::LogReader::open(existing.parent_path()).code() == StatusCode::corruption);  // a directory
}
