#!/usr/bin/env bash
# A self-contained, single-file ripcord for machines without the .NET SDK:
#   ./scripts/publish.sh                 → dist/ripcord-linux-x64
#   ./scripts/publish.sh linux-arm64     → dist/ripcord-linux-arm64
# The file is the whole CLI and server (`dist/ripcord-linux-x64 serve`, `… override set …`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rid="${1:-linux-x64}"
out="$root/dist/publish-$rid"
echo "publish.sh: publishing a self-contained single file for $rid…" >&2
dotnet publish "$root/src/Ripcord.Cli/Ripcord.Cli.csproj" -c Release -r "$rid" --self-contained true \
  -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none \
  -o "$out" --nologo -v quiet -clp:ErrorsOnly
mkdir -p "$root/dist"
mv -f "$out/ripcord" "$root/dist/ripcord-$rid"
rm -rf "$out"
echo "dist/ripcord-$rid ($(du -h "$root/dist/ripcord-$rid" | cut -f1))" >&2
