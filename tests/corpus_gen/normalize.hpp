// Makes a log recorded by the real writer byte-deterministic, for the corpus
// generator (main.cpp).
//
// normalize() walks the records the writer produced and writes them again,
// laid out exactly as the writer lays records out (slabs, padding), with
// every value that depends on the moment or the machine replaced by a fixed
// one:
//   - file header: run id and creation time (then the header checksum);
//   - metadata: "run_id" and "created_unix_ns" (host and build are fixed
//     through WriterOptions);
//   - copperlists: each task's start_ns / end_ns (the runtime stamps them
//     with the real monotonic clock): start = cl time + 1000 * task index,
//     end = start + 500; zstd batches are decompressed, patched and
//     recompressed at kZstdLevel;
//   - string records: the source file name loses its leading "../" (the
//     compiler sees it relative to the build directory);
//   - event and sync records: the wall-clock time becomes
//     kCreatedNs + cl_id * kCycleNs (sync: durable copperlists * kCycleNs);
//   - summary: "wall_time_ns" becomes cl_count * kCycleNs, and the per-type
//     record counts and stored bytes are those of the rewritten file;
//   - index, footer, sync: offsets follow the records they name;
//   - zstd log only: the compressor thread decides when a finished batch is
//     appended, so batches move to the earliest place the writer could have
//     put them (just before the text record of the copperlist after the
//     batch; the last one just before the stop event);
//   - unclosed log: the zero tail ends at the end of the slab in use (the
//     writer may have reserved one more slab).
// Copperlist ids, times and messages, keyframes and text entries are the
// writer's own bytes. A zstd log's bytes also depend on the libzstd version
// (its compressed frames).
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "records.hpp"

namespace corpus {

inline constexpr int64_t kCycleNs = 10'000'000;  // the recording clock moves 10 ms per copperlist
inline constexpr int64_t kCreatedNs = 1'700'000'000'000'000'000;
inline constexpr std::array<uint8_t, 16> kRunId = {0xc0, 0xff, 0xee, 0x00, 0xc0, 0xff, 0xee, 0x01,
                                                   0xc0, 0xff, 0xee, 0x02, 0xc0, 0xff, 0xee, 0x03};
inline constexpr int kZstdLevel = 3;

// `file` must be a log the writer wrote with kSlab slabs; `zstd` says it was
// written with compression.
Bytes normalize(std::span<const uint8_t> file, bool zstd);

}  // namespace corpus
