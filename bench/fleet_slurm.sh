#!/bin/sh
# Fleet replay's figures (docs/benchmarks.md, "Fleet replay"), in one run:
# a long rover log replayed whole, then the same log planned into segments
# and run as a job array on a local single-node Slurm cluster with CPUS
# slots (tests/slurm/cluster.sh), merged. Prints the end-to-end ratio and,
# from the segment reports, where each segment's time goes besides the
# replay itself: start-up (reading the plan, opening and checking the log),
# thaw and graph build, and warm-up (the segment's executor time over what
# its copperlists cost in the whole-log replay).
#
#   bench/fleet_slurm.sh BUILD_DIR [CYCLES] [SEGMENT_CLS] [CPUS]     (as root)
set -eu
build=$(cd "${1:?usage: $0 BUILD_DIR [CYCLES] [SEGMENT_CLS] [CPUS]}" && pwd)
cycles=${2:-30000}
segment_cls=${3:-2000}
cpus=${4:-2}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/fleet_bench.XXXXXX)
export COPPER_PLUGIN_PATH="$build/examples"
replay="$build/replay/copper-replay"
cleanup() {
  "$source_dir/tests/slurm/cluster.sh" stop "$work/cluster" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
now() { date +%s.%N; }

"$build/recorder/copper-record" -c "$source_dir/examples/rover.json" -o "$work/rover.copper" -n "$cycles" -q
bytes=$(stat -c %s "$work/rover.copper")

whole_start=$(now)
"$replay" "$work/rover.copper" -q --report "$work/whole.json" > /dev/null
whole_end=$(now)

mkdir -p "$work/cluster"
"$source_dir/tests/slurm/cluster.sh" start "$work/cluster" "$cpus" | grep -qx ok
export SLURM_CONF="$work/cluster/slurm.conf"

start=$(now)
"$replay" plan "$work/rover.copper" --segment-cls "$segment_cls" -o "$work/jobs.jsonl" > /dev/null
planned=$(now)
job=$("$replay" slurm "$work/jobs.jsonl" --max-parallel "$cpus" --submit | sed -n 's/^submitted job //p')
while [ -n "$(squeue -h -j "$job" -o %i 2>/dev/null)" ]; do sleep 0.1; done
ran=$(now)
"$replay" merge "$work/jobs.reports" -q -o "$work/verdict.json" > /dev/null
merged=$(now)

python3 - "$work" "$whole_start" "$whole_end" "$start" "$planned" "$ran" "$merged" "$bytes" "$cpus" <<'PY'
import glob, json, sys
work = sys.argv[1]
whole_start, whole_end, start, planned, ran, merged = map(float, sys.argv[2:8])
size, cpus = int(sys.argv[8]), int(sys.argv[9])
whole = whole_end - whole_start
w = json.load(open(f"{work}/whole.json"))["replays"]["serial"]
per_cl = w["timing"]["wall_time_ns"] / w["replayed"]
reports = [json.load(open(p)) for p in sorted(glob.glob(f"{work}/jobs.reports/*.json"))]
verdict = json.load(open(f"{work}/verdict.json"))["verdict"]
n = len(reports)
def mean(xs): return sum(xs) / len(xs) / 1e6
startup = mean([r["overhead"]["open_ns"] for r in reports])
thaw = mean([r["overhead"]["replay_ns"] - r["overhead"]["executor_ns"] for r in reports])
warm = mean([r["overhead"]["executor_ns"] - r["replays"]["serial"]["replayed"] * per_cl for r in reports])
total = mean([r["overhead"]["total_ns"] for r in reports])
fleet = merged - start
print(f"log: {w['replayed']} copperlists, {size / 1e6:.0f} MB; {n} segments of ~{w['replayed'] // n}; {cpus} Slurm slots; verdict {verdict}")
print(f"whole-log replay (process):         {whole:8.2f} s  ({per_cl / 1e3:.0f} us/copperlist)")
print(f"plan:                               {planned - start:8.2f} s")
print(f"array on Slurm (submit to last end):{ran - planned:8.2f} s")
print(f"merge:                              {merged - ran:8.2f} s")
print(f"fleet end to end:                   {fleet:8.2f} s   ratio whole/fleet = {whole / fleet:.2f}x (ideal {cpus}x)")
print(f"per segment, mean: total {total:.0f} ms = start-up (plan, open+check log) {startup:.0f} ms"
      f" + thaw/graph/executor start {thaw:.1f} ms + replay; warm-up over the whole-log rate {warm:.1f} ms")
PY
