#!/usr/bin/env bash
# Regenerates the golden outputs of copper-log (cases.txt) from the corpus:
#   tests/golden/regen.sh [BUILD_DIR]      (default: build)
# Review the diff before committing: these files are what the tests expect.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tool=$(cd "${1:-$here/../../build}" && pwd)/tools/copper-log
cd "$here/../corpus"
grep -v '^#' "$here/cases.txt" | while IFS='|' read -r output code args; do
  set +e
  # shellcheck disable=SC2086
  "$tool" $args >"$here/$output" 2>/dev/null
  rc=$?
  set -e
  [ "$rc" = "$code" ] || { echo "$output: exit $rc, expected $code" >&2; exit 1; }
done
echo "regenerated $(grep -vc '^#' "$here/cases.txt") golden files" >&2
