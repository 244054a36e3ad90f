#!/usr/bin/env bash
# Runs the configurations reported in bench/README-sdk.md, saves each run's --json, then
# prints the summary table. About 15 minutes on a 2-core machine; every run is bounded.
#   bench/Ripcord.Propagation/matrix.sh [results-dir] [repeats]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/results/$(date -u +%Y%m%dT%H%M%SZ)}"
repeats="${2:-3}"
mkdir -p "$out"
dotnet build "$here/Ripcord.Propagation.csproj" -c Release --nologo -v q -clp:ErrorsOnly
dll="$here/bin/Release/net10.0/Ripcord.Propagation.dll"

run() { # name repeats [env...] -- [args...]
  local name=$1 n=$2; shift 2
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done; shift
  for i in $(seq 1 "$n"); do
    echo "== $name #$i: ${envs[*]:-} $*" >&2
    env "${envs[@]}" timeout 360 dotnet "$dll" --json "$@" > "$out/$name-$i.json" 2> "$out/$name-$i.log" \
      || echo "   (exit $?; see $out/$name-$i.log)" >&2
  done
}

gen0=DOTNET_GCgen0size=0x8000000   # 128 MB gen0 budget for the harness only (the server child never sees it)
run sdk                        "$repeats" -- 
run sdk-gen0                   "$repeats" $gen0 --
run sdk-gen0-groupcommit       "$repeats" $gen0 -- --server-telemetry group-commit
run sdk-idle1s                 1 -- --client-idle-timeout-ms 1000
run sdk-shared-handler         1 -- --shared-handler
run sdk-diskcache              1 -- --disk-cache
run raw                        "$repeats" -- --clients-kind raw
run raw-hb                     "$repeats" -- --clients-kind raw --raw-telemetry
run raw-hb-groupcommit         "$repeats" -- --clients-kind raw --raw-telemetry --server-telemetry group-commit
run raw-hb-jitter              2 -- --clients-kind raw --raw-telemetry --raw-telemetry-jitter-ms 2000
run raw-hb-jitter-groupcommit  2 -- --clients-kind raw --raw-telemetry --raw-telemetry-jitter-ms 2000 --server-telemetry group-commit

dotnet "$dll" summarize "$out"/*.json | tee "$out/summary.md"
