#!/usr/bin/env bash
# packaging/publish.sh - build the single-file mmproxy binary (linux-x64 by default).
#
# usage: packaging/publish.sh [OUTPUT_DIR] [RID]
#   OUTPUT_DIR  where the binary goes (default: artifacts/publish, git-ignored)
#   RID         runtime identifier (default: linux-x64; linux-arm64 also works)
#
# Self-contained (no .NET runtime needed on the target), trimmed, ReadyToRun, one file.
# Native AOT is not used: the NativeAOT runtime pack for net10.0 is not available here.
# Trimming or AOT analysis warnings fail the build (TreatWarningsAsErrors, IsAotCompatible):
# the config file is read with System.Text.Json source generation, the command line is
# System.CommandLine 2.0 (trim-safe), and there is no reflection.
# obj/ and bin/ go to a temporary artifacts directory so concurrent builds of the tree are
# not disturbed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=$(mkdir -p "${1:-$ROOT/artifacts/publish}" && cd "${1:-$ROOT/artifacts/publish}" && pwd)
RID=${2:-linux-x64}
ARTIFACTS=$(mktemp -d "${TMPDIR:-/tmp}/mmproxy-publish.XXXXXX")
trap 'rm -rf "$ARTIFACTS"' EXIT

dotnet publish "$ROOT/src/MmProxy/MmProxy.csproj" -c Release -r "$RID" \
    --self-contained -p:PublishSingleFile=true -p:PublishTrimmed=true -p:PublishReadyToRun=true \
    -p:DebugType=none -p:TreatWarningsAsErrors=true \
    --artifacts-path "$ARTIFACTS" -o "$OUT" -nologo

BIN=$OUT/mmproxy
[ -x "$BIN" ] || { echo "publish.sh: no binary at $BIN" >&2; exit 1; }
echo "$BIN: $(stat -c %s "$BIN") bytes ($(du -h "$BIN" | cut -f1))"
"$BIN" --version
