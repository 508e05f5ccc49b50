// The recorded side of a replay: the copperlists being replayed, the feed
// that loads them at admission, and the stand-in that replaces each source.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "copper/log/reader.hpp"
#include "copper/registry.hpp"
#include "copper/runtime.hpp"

namespace copper::replay {

// What the producer of a slot found when it checked its output against the
// recording, on its worker (CheckedTask, RecordedSource), so the commit only
// folds the results. A replay's output hashes need the replayed bytes'
// identity, not their hash: an output that matches the recording is
// identified as "as recorded", and only a diverging one is hashed. That
// saves a pass over every output (a replay's outputs are mostly as recorded).
struct SlotCheck {
  uint64_t hash = 0;     // XXH3 of the replayed encoding when it diverges; 0 when it matches
  bool matches = false;  // byte for byte the recorded encoding
};

// One recorded copperlist. The recorded bytes are not copied when they lie
// in the log's file mapping, which outlives the replay; bytes decompressed
// from a zstd record are copied into `copies`.
struct RecordedFrame {
  uint64_t id = 0;
  Nanos time = 0;
  std::vector<std::span<const uint8_t>> recorded;  // by slot
  std::vector<std::vector<uint8_t>> copies;        // by slot: backing for `recorded` when not mapped
  std::vector<Nanos> time_of_validity;             // by slot
  std::vector<log::TaskTiming> tasks;              // by task
  std::vector<SlotCheck> checks;                   // by slot, filled by each slot's producer
  std::vector<const void*> outputs;                // by slot: the replayed message (CheckedTask)
  std::vector<std::vector<uint8_t>> encodings;     // by slot: a diverging output's encoding
};

class SlotMigration;  // schema_change.hpp

// One frame per copperlist that can be in flight. Copperlist n's frame is
// written when n is admitted, then each slot's check by its producer, and
// read by its commit, all before n + capacity is admitted: no lock needed.
class RecordedFrames {
 public:
  // `migrations`, by slot: how to read a slot whose message type changed
  // since the recording (--allow-schema-change); null for the others.
  RecordedFrames(size_t capacity, size_t slots, size_t tasks, std::vector<const SlotMigration*> migrations);
  RecordedFrame& at(uint64_t id) { return frames_[id % frames_.size()]; }
  const RecordedFrame& at(uint64_t id) const { return frames_[id % frames_.size()]; }
  const SlotMigration* migration(uint32_t slot) const { return migrations_[slot]; }

 private:
  std::vector<RecordedFrame> frames_;
  std::vector<const SlotMigration*> migrations_;
};

// Admits copperlists from the log, in order: gives each its recorded time
// and points its frame at the recorded slots. Stops at `to`, at the end
// of the log, or at the first copperlist id the log does not hold (damage).
class LogFeed final : public AdmissionFeed {
 public:
  // `reader` must outlive the feed and the frames it fills, and so must
  // `failure`: the copperlist the recording failed on, admitted after the
  // last committed one when it comes next (null: none).
  LogFeed(log::LogReader& reader, uint64_t first, std::optional<uint64_t> to, RecordedFrames& frames,
          const log::RecordedFailure* failure = nullptr);
  bool admit(CopperList& cl) override;

  // Why admission ended, when it ended on the log rather than on `to`.
  const std::string& ended_because() const { return ended_because_; }

 private:
  std::string after_last_admitted() const;
  bool admit_failure(CopperList& cl);
  void fill_frame(CopperList& cl, const log::CopperListView& recorded, bool mapped);

  log::CopperListCursor cursor_;
  const log::RecordedFailure* failure_;
  std::vector<log::SlotData> failure_slots_;  // views of failure_'s bytes
  std::optional<uint64_t> to_;
  RecordedFrames& frames_;
  std::string ended_because_;
  std::optional<uint64_t> last_admitted_;
};

// Takes a source's place: outputs what the source recorded, with its
// recorded time of validity (its slot's check: as recorded). Stateless, so
// parallel replay may run several copperlists' sources at once.
class RecordedSource final : public TaskBase {
 public:
  void bind(RecordedFrames* frames, uint32_t slot, const MessageType* type) {
    frames_ = frames;
    slot_ = slot;
    type_ = type;
  }
  Status run(const Context& ctx, const void* const* inputs, void* output) override;

 private:
  RecordedFrames* frames_ = nullptr;
  uint32_t slot_ = 0;
  const MessageType* type_ = nullptr;
};

// The registry with every source type replaced by a RecordedSource type
// of the same name and output (bind() each one after Graph::build).
Registry with_recorded_sources(const Registry& registry);

}  // namespace copper::replay
