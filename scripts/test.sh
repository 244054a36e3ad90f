#!/usr/bin/env bash
# Runs every Ripcord test on a fresh machine: installs what the tests need, then the whole suite.
#   ./scripts/test.sh               (CI runs exactly this through .ci/run)
#   ./scripts/test.sh --no-install  (installs nothing: no apt, no npm; tests whose tools are missing fail)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

install=1
for arg in "$@"; do
  case "$arg" in
    --no-install) install=0 ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown option '$arg' (try --no-install)" >&2; exit 2 ;;
  esac
done

# What the tests need besides the .NET SDK, and why; only what is missing is installed.
need_apt=()
why=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need_apt+=(postgresql); why+=("postgresql: the storage and multi-node tests start a private PostgreSQL cluster on 127.0.0.1")
fi
if ! command -v runuser >/dev/null 2>&1; then
  need_apt+=(util-linux); why+=("util-linux: runuser starts that cluster as the postgres user")
fi
if [ ! -x /usr/bin/chromium ]; then
  need_apt+=(chromium); why+=("chromium: the dashboard tests drive Debian's headless /usr/bin/chromium with Playwright (never a downloaded browser)")
fi
if ! command -v node >/dev/null 2>&1; then
  need_apt+=(nodejs npm); why+=("nodejs, npm: the OFREP end-to-end tests run the OpenFeature JS client")
fi
npm_needed=0
cmp -s tests/ofrep-js/package-lock.json tests/ofrep-js/node_modules/.ripcord-installed-lock.json || npm_needed=1

if [ ${#need_apt[@]} -gt 0 ] || [ $npm_needed -eq 1 ]; then
  if [ $install -eq 0 ]; then
    echo "test.sh: --no-install: not installing; the tests that need these will fail:"
    for line in "${why[@]}"; do echo "  - $line"; done
    [ $npm_needed -eq 1 ] && echo "  - tests/ofrep-js/node_modules (npm ci): the OpenFeature JS packages of the OFREP tests"
  else
    if [ ${#need_apt[@]} -gt 0 ]; then
      echo "test.sh: installing with apt: ${need_apt[*]}"
      for line in "${why[@]}"; do echo "  - $line"; done
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    fi
    # npm ci only when node_modules is missing or package-lock.json changed since the last install.
    if [ $npm_needed -eq 1 ]; then
      echo "test.sh: npm ci in tests/ofrep-js (the OpenFeature JS server SDK and its OFREP provider, for the OFREP tests)…"
      (cd tests/ofrep-js && npm ci --no-audit --no-fund --loglevel=error)
      cp tests/ofrep-js/package-lock.json tests/ofrep-js/node_modules/.ripcord-installed-lock.json
    fi
  fi
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
