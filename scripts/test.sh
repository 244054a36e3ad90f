#!/usr/bin/env bash
# Runs every Ripcord test on a fresh machine: installs what the tests need, then the whole suite.
#   ./scripts/test.sh            (CI runs exactly this through .ci/run)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need_apt=()
# PostgreSQL server binaries: the storage tests start a private cluster on 127.0.0.1.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v runuser >/dev/null 2>&1 || need_apt+=(util-linux)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]} (apt)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# The OpenFeature JS client of the OFREP end-to-end tests: npm ci only when node_modules is
# missing or package-lock.json changed since the last install.
if ! cmp -s tests/ofrep-js/package-lock.json tests/ofrep-js/node_modules/.ripcord-installed-lock.json; then
  echo "test.sh: npm ci in tests/ofrep-js…"
  (cd tests/ofrep-js && npm ci --no-audit --no-fund --loglevel=error)
  cp tests/ofrep-js/package-lock.json tests/ofrep-js/node_modules/.ripcord-installed-lock.json
fi

dotnet restore Ripcord.slnx --nologo -v quiet
dotnet build Ripcord.slnx -c Release --no-restore --nologo -v quiet -clp:ErrorsOnly

log="$(mktemp)"
status=0
dotnet test Ripcord.slnx -c Release --no-build --nologo 2>&1 | tee "$log" || status=$?

# One plain closing line for whoever reads the log: "N passed, N failed".
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "${passed} passed, ${failed} failed"
exit $status
