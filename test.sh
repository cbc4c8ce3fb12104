#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine with the .NET SDK:
#   installs what the tests need (apt packages, when root), restores and builds everything in
#   Release, runs every test project, and prints one closing line "N passed, N failed".
# Exit status: 0 only when every test project ran and nothing failed.
#   ./test.sh                 everything
#   ./test.sh --filter EXPR   passed to every `dotnet test` (e.g. --filter FullyQualifiedName~Udp)
set -u -o pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
FILTER=()
[ "${1:-}" = --filter ] && FILTER=(--filter "$2")

# Real peers for the end-to-end tests (HAProxy, nginx with the stream module, dnsdist, kdig,
# iproute2) and Debian's go-mmproxy as a behavioural peer.
APT_PACKAGES=(haproxy nginx libnginx-mod-stream dnsdist knot-dnsutils iproute2 go-mmproxy procps util-linux libcap2-bin nftables)
missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "== installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
            || { echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
        # Debian starts the services it installs; the tests run their own instances.
        for s in haproxy nginx dnsdist; do systemctl disable --now "$s" >/dev/null 2>&1 || true; done
    else
        echo "!! not root: cannot install ${missing[*]}; the end-to-end tests will fail and say why"
    fi
fi

echo "== build (Release)"
if ! dotnet build MmProxy.sln -c Release -nologo -v q -clp:ErrorsOnly; then
    echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi
export MMPROXY_BIN="$ROOT/src/MmProxy/bin/Release/net10.0/mmproxy"

# The style of .editorconfig (namespaces match folders, braces, naming, ...): a change that
# `dotnet format` would rewrite is a failure; run `dotnet format MmProxy.sln` to fix it.
echo "== dotnet format --verify-no-changes"
format_failed=0
if ! dotnet format MmProxy.sln --verify-no-changes --no-restore -v q; then
    echo "   dotnet format: the files above need formatting (run: dotnet format MmProxy.sln) - counted as 1 failure"
    format_failed=1
fi

RESULTS=$ROOT/.test-results
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
passed=0; failed=$format_failed; skipped=0; status=$format_failed
for proj in tests/*/*.csproj; do
    name=$(basename "$proj" .csproj)
    echo "== $name"
    dotnet test "$proj" -c Release --no-build -nologo "${FILTER[@]}" \
        --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
        --results-directory "$RESULTS" 2>&1 | tee "$RESULTS/$name.log" \
        | awk '/^[[:space:]]+Failed [^!]/ { show = 16 } /Total tests|error [A-Z]+[0-9]+:/ { print; next } show > 0 { print; show-- }'
    rc=${PIPESTATUS[0]}
    trx=$RESULTS/$name.trx
    if [ -f "$trx" ]; then
        counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
        p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
        t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
        p=${p:-0}; f=${f:-0}; t=${t:-0}; e=${e:-0}
        passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + t - e))
        echo "   $name: $p passed, $f failed, $((t - e)) not run"
    else
        echo "   $name: no results (test host crashed?) - counted as 1 failure"; f=1; failed=$((failed + 1))
    fi
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        echo "   $name: dotnet test exited $rc with no failed test - counted as 1 failure"; failed=$((failed + 1))
    fi
    [ "$rc" = 0 ] || status=1
done
[ "$failed" = 0 ] || status=1
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
