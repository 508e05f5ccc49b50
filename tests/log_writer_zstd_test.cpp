// The zstd writer's bound on what a process crash loses
// (docs/log-format.md, "Durability"): a partial batch reaches the file once
// it is old enough, and a compressor that falls behind makes the writer
// store batches raw rather than hold more of them or stall a commit.
#include <chrono>
#include <thread>

#include "fixtures/log_writer_helpers.hpp"

using namespace writer_test;

namespace {

// Sleeps after each commit, as a slow graph would, and notes how many
// copperlists the writer had in the mapping at the time.
class SlowSink final : public copper::CommitSink {
 public:
  SlowSink(lg::LogWriter& writer, std::chrono::milliseconds pause) : writer_(writer), pause_(pause) {}
  copper::Status commit(const copper::CopperList& cl) override {
    copper::Status status = writer_.commit(cl);
    in_file_ = std::max(in_file_, writer_.committed_cls());
    std::this_thread::sleep_for(pause_);
    return status;
  }
  uint64_t most_in_file() const { return in_file_; }

 private:
  lg::LogWriter& writer_;
  std::chrono::milliseconds pause_;
  uint64_t in_file_ = 0;
};

}  // namespace

TEST_CASE("log.writer.zstd_partial_batch_reaches_the_file_once_max_age_old") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto options = small_options(dir / "run.copper");
  options.compression = lg::Compression::zstd();
  options.batch_cls = 64;  // never full in this run
  CHECK(options.batch_age() == lg::WriterOptions::kMaxBatchAge);
  auto writer = require_writer(options, graph);
  SlowSink slow(*writer, std::chrono::milliseconds(20));
  // 30 copperlists 20 ms apart: 600 ms, six times the batch age.
  REQUIRE(run(graph, slow, 30).ok());
  // Without the age rule nothing would reach the file before close.
  CHECK_MESSAGE(slow.most_in_file() > 0, "no copperlist reached the file while recording");
  REQUIRE(writer->close("done").ok());
  check_consecutive(copperlists(walk(read_file(dir / "run.copper"), lg::kMinSlabSize), 4, 3), 30);
}

TEST_CASE("log.writer.zstd_batch_age_follows_the_fsync_policy") {
  lg::WriterOptions options;
  options.fsync = lg::FsyncPolicy::every_ms(10);
  CHECK(options.batch_age() == std::chrono::milliseconds(10));
  options.fsync = lg::FsyncPolicy::every_ms(5000);
  CHECK(options.batch_age() == lg::WriterOptions::kMaxBatchAge);
  options.fsync = lg::FsyncPolicy::every_bytes(1u << 20);
  CHECK(options.batch_age() == lg::WriterOptions::kMaxBatchAge);
  options.fsync = lg::FsyncPolicy::commit();
  CHECK(options.batch_age() == std::chrono::milliseconds(0));  // closes whenever the compressor is idle
  options.offline = true;
  options.fsync = lg::FsyncPolicy::none();
  CHECK(options.batch_age() == std::chrono::milliseconds(0));
  CHECK(options.crash_loss_cls() == 0);  // no compression
  options.compression = lg::Compression::zstd();
  CHECK(options.crash_loss_cls() == (lg::WriterOptions::kQueuedBatches + 1) * options.batch_cls);
}

// zstd at its slowest level on tiny batches cannot keep up with the sum
// graph: the writer stores the batches it cannot wait for raw, and every
// copperlist is still in the log, in order.
TEST_CASE("log.writer.zstd_commit_stores_batches_raw_when_the_compressor_is_behind") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto options = small_options(dir / "run.copper");
  options.compression = lg::Compression::zstd(22);
  auto writer = require_writer(options, graph);
  REQUIRE(run(graph, *writer, 3000).ok());
  REQUIRE(writer->close("done").ok());
  const auto stats = writer->stats();
  CHECK(stats.raw_batches > 0);
  const Walk w = walk(read_file(dir / "run.copper"), lg::kMinSlabSize);
  CHECK(w.damage == "");
  uint64_t raw = 0;
  for (const Record* r : w.of(RecordType::copperlists)) raw += r->flags == 0 ? 1 : 0;
  CHECK(raw >= stats.raw_batches);  // a batch zstd does not shrink is stored raw too
  const auto cls = copperlists(w, 4, 3);
  check_consecutive(cls, 3000);
  check_sum_values(cls);
}
