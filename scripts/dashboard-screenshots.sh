#!/usr/bin/env bash
# Regenerates the dashboard screenshots in docs/images/ (headless /usr/bin/chromium against a test server on loopback).
#   ./scripts/dashboard-screenshots.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
dotnet build tests/Ripcord.Server.Tests -c Release --nologo -v quiet -clp:ErrorsOnly
RIPCORD_SCREENSHOTS="$root/docs/images" dotnet test tests/Ripcord.Server.Tests -c Release --no-build --nologo \
  --filter "FullyQualifiedName~Ripcord.Server.Tests.Dashboard.DashboardScreenshots"
ls -1 docs/images/dashboard-*.png
