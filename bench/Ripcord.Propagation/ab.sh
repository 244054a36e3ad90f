#!/usr/bin/env bash
# Before/after propagation runs, interleaved (A, B, A, B, …) so that the load of a shared machine
# falls on both builds alike. Each run's --json goes to OUT/KIND-A-N.json or OUT/KIND-B-N.json, the
# load average at its start to OUT/loadavg.txt; then the medians of each side (the harness's summarize).
#   bench/Ripcord.Propagation/ab.sh BEFORE_ROOT AFTER_ROOT OUT PAIRS KIND [harness options…]
# BEFORE_ROOT, AFTER_ROOT: checkouts with bench/Ripcord.Propagation built in Release, e.g.
#   git worktree add --detach /tmp/ripcord-before <commit> && dotnet build -c Release /tmp/ripcord-before/bench/Ripcord.Propagation
# KIND names the files (sdk, raw, …); the options after it go to every run, e.g. --clients-kind raw.
set -uo pipefail
before=$1 after=$2 out=$3 pairs=$4 kind=$5
shift 5
dll=bench/Ripcord.Propagation/bin/Release/net10.0/Ripcord.Propagation.dll
mkdir -p "$out"
for i in $(seq 1 "$pairs"); do
  for side in A B; do
    root=$before
    [ "$side" = B ] && root=$after
    echo "$(date -u +%T) $kind-$side-$i load average: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/loadavg.txt"
    timeout 360 dotnet "$root/$dll" --clients 1000 --rounds 20 --json "$@" > "$out/$kind-$side-$i.json" 2> "$out/$kind-$side-$i.log" \
      || echo "   (exit $?; see $out/$kind-$side-$i.log)" | tee -a "$out/loadavg.txt"
  done
done
for side in A B; do
  echo "== $kind $side"
  dotnet "$after/$dll" summarize "$out/$kind-$side-"*.json
done
