#!/usr/bin/env bash
# PostgreSQL for the server tests. The tests start and stop their own throwaway cluster
# (tests/Ripcord.Server.Tests/Infrastructure/PostgresCluster.cs); they only need the server
# binaries (initdb, pg_ctl) installed, and fail with a clear message when they are not.
#
#   scripts/pg-test-cluster.sh ensure   install Debian's postgresql package if initdb is missing
#   scripts/pg-test-cluster.sh bin      print the binary directory the tests will use
set -euo pipefail

find_bin() {
  if [ -n "${RIPCORD_PG_BIN:-}" ] && [ -x "$RIPCORD_PG_BIN/initdb" ]; then echo "$RIPCORD_PG_BIN"; return 0; fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

case "${1:-ensure}" in
  ensure)
    if find_bin >/dev/null; then
      echo "pg-test-cluster: PostgreSQL binaries in $(find_bin)"
      exit 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
      echo "pg-test-cluster: PostgreSQL binaries missing; install them as root: apt-get install -y postgresql" >&2
      exit 1
    fi
    echo "pg-test-cluster: installing postgresql (Debian package)…" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    # The package may start a system cluster on 5432; the tests never use it, and leave it alone.
    find_bin
    ;;
  bin)
    find_bin || { echo "pg-test-cluster: no PostgreSQL binaries found" >&2; exit 1; }
    ;;
  *)
    echo "usage: $0 [ensure|bin]" >&2
    exit 2
    ;;
esac
