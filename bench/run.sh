#!/usr/bin/env bash
# bench/run.sh - publish mmproxy (Release, ReadyToRun) and benchmark it side by side with
# go-mmproxy using the shared harness (../../shared/bench/run.sh), after a start-up check.
#
# usage: sudo bench/run.sh [our options] [harness options]
#   our options (first):
#     --no-build        reuse the last published binary (in $MMPROXY_BENCH_OUT)
#     --head            build the committed HEAD (git archive), not the working tree that other
#                       people may be editing
#     --no-startup      skip the start-up measurement
#     --startup-only    only publish and measure start-up
#     --each-first      one harness run per proxy (each in a fresh namespace, right after its own
#                       no-proxy baseline) instead of one run with all proxies in file order: for
#                       connrate, where a proxy that bind()s client ports leaves them bind-owned for
#                       60 s (TIME_WAIT) and slows every connect() of the runs after it
#   harness options: passed through after our defaults "-r 3 -W 3 -p bench/proxies.conf -o go-mmproxy,mmproxy"
#     (later options win: e.g. -T 5 -r 1, -t tput, -o go-mmproxy,mmproxy,mmproxy-copy)
# Environment: MMPROXY_SRC (default: this checkout) is the source tree to publish;
# MMPROXY_BENCH_OUT (default /tmp/mmproxy-bench) holds the published binary and the
# build's own obj/bin (kept out of the source tree, so builds of other people are not disturbed).
{ # the whole script is one group, parsed before it runs: editing it during a run is safe
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "${MMPROXY_SRC:-$HERE/..}" && pwd)
HARNESS=$(cd "$HERE/../../shared/bench" 2>/dev/null && pwd)/run.sh
OUT=${MMPROXY_BENCH_OUT:-/tmp/mmproxy-bench}
BUILD=1; STARTUP=1; STARTUP_ONLY=0; HEADONLY=0; EACH=0
while [ $# -gt 0 ]; do
    case "$1" in
    --no-build) BUILD=0; shift ;;
    --head) HEADONLY=1; shift ;;
    --no-startup) STARTUP=0; shift ;;
    --startup-only) STARTUP_ONLY=1; shift ;;
    --each-first) EACH=1; shift ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
    *) break ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "bench/run.sh needs root (network namespaces, IP_TRANSPARENT)" >&2; exit 1; }
[ -x "$HARNESS" ] || { echo "shared harness not found at $HARNESS" >&2; exit 1; }

BIN=$OUT/publish/mmproxy
if [ "$HEADONLY" = 1 ] && [ "$BUILD" = 1 ]; then
    COMMIT=$(git -C "$ROOT" rev-parse --short HEAD) || exit 1
    rm -rf "$OUT/src-head"; mkdir -p "$OUT/src-head"
    git -C "$ROOT" archive HEAD | tar -x -C "$OUT/src-head" || exit 1
    ROOT=$OUT/src-head
fi
if [ "$BUILD" = 1 ]; then
    # Self-contained, trimmed, ReadyToRun, single file: about 12 MB less resident memory than the
    # framework-dependent build (20 MB of mapped code instead of 31 MB) and a faster start-up.
    # MMPROXY_PUBLISH=fd publishes framework-dependent ReadyToRun instead.
    if [ "${MMPROXY_PUBLISH:-sc}" = fd ]; then
        MODE=(--self-contained false); DESC="framework-dependent"
    else
        MODE=(--self-contained true -p:PublishTrimmed=true -p:PublishSingleFile=true); DESC="self-contained, trimmed, single file"
    fi
    echo "== publishing mmproxy (Release, ReadyToRun, $DESC) into $OUT/publish"
    rm -rf "$OUT/publish"
    dotnet publish "$ROOT/src/MmProxy/MmProxy.csproj" -c Release -r linux-x64 "${MODE[@]}" \
        -p:PublishReadyToRun=true --artifacts-path "$OUT/artifacts" -o "$OUT/publish" -nologo -v q -clp:ErrorsOnly \
        || { echo "publish failed" >&2; exit 1; }
fi
[ -x "$BIN" ] || { echo "no published binary at $BIN (run without --no-build)" >&2; exit 1; }
if git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
    SRCDESC="commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src || echo ' + uncommitted changes in src')"
elif [ -n "${COMMIT:-}" ]; then
    SRCDESC="commit $COMMIT (git archive of HEAD)"
else
    SRCDESC="source tree $ROOT (not a git checkout)"
fi
echo "== binary: $BIN, built from $SRCDESC"

# ---- start-up to accepting connections: exec, then connect() every 250 us until it succeeds;
# 7 runs each in a private network namespace, median.
startup() {
    local probe=$OUT/startup_probe ns=mmt-perfstart-$$ name cmd i v
    if [ ! -x "$probe" ] || [ "$HERE/startup_probe.c" -nt "$probe" ]; then
        mkdir -p "$OUT"; cc -O2 -Wall -o "$probe" "$HERE/startup_probe.c" || return 1
    fi
    ip netns add $ns || return 1
    ip -n $ns link set lo up
    echo "== start-up to first accepted connection (ms, 7 runs; median)"
    for name in mmproxy go-mmproxy; do
        if [ $name = mmproxy ]; then cmd="$BIN -l 127.0.0.1:1199 -4 127.0.0.1:25578 -6 [::1]:25578"
        else cmd="/usr/bin/go-mmproxy -l 127.0.0.1:1199 -4 127.0.0.1:25578 -6 [::1]:25578"; fi
        local vals=() cpus=() line
        for i in 1 2 3 4 5 6 7; do
            # shellcheck disable=SC2086
            line=$(ip netns exec $ns "$probe" 1199 $cmd)
            v=$(sed -n 's/^startup_ms=\([0-9.]*\).*/\1/p' <<<"$line"); vals+=("${v:-ERR}")
            v=$(sed -n 's/.*cpu_ms=\([0-9-]*\).*/\1/p' <<<"$line"); cpus+=("${v:-ERR}")
        done
        printf '%-12s median %s ms (CPU used by then: median %s ms)   runs: %s\n' "$name" \
            "$(printf '%s\n' "${vals[@]}" | grep -v ERR | sort -n | awk '{a[NR]=$1} END{print (NR? a[int((NR+1)/2)] : "ERR")}')" \
            "$(printf '%s\n' "${cpus[@]}" | grep -v ERR | sort -n | awk '{a[NR]=$1} END{print (NR? a[int((NR+1)/2)] : "ERR")}')" "${vals[*]}"
    done
    ip netns del $ns
}
if [ "$STARTUP" = 1 ]; then startup; fi
[ "$STARTUP_ONLY" = 1 ] && exit 0

export MMPROXY_BIN=$BIN
RES=${TMPDIR:-/tmp}/mmbench-results/$(date +%Y%m%d-%H%M%S)-mmproxy
for a in "$@"; do [ "${prev:-}" = -O ] && RES=$a; prev=$a; done
if [ "$EACH" = 1 ]; then
    NAMES=go-mmproxy,mmproxy
    for a in "$@"; do [ "${prev2:-}" = -o ] && NAMES=$a; prev2=$a; done
    rc=0
    for name in ${NAMES//,/ }; do
        echo "== harness ($name alone after the baseline): $HARNESS -r 3 -W 3 -p $HERE/proxies.conf $* -o $name -O $RES/$name"
        "$HARNESS" -r 3 -W 3 -p "$HERE/proxies.conf" "$@" -o "$name" -O "$RES/$name" || rc=$?
    done
    echo "== raw results and logs: $RES/<proxy> (raw.tsv, tables.txt, per-run *.load / *.proxy.log)"
    exit $rc
fi
echo "== harness: $HARNESS -r 3 -W 3 -p $HERE/proxies.conf -o go-mmproxy,mmproxy -O $RES $*"
"$HARNESS" -r 3 -W 3 -p "$HERE/proxies.conf" -o go-mmproxy,mmproxy -O "$RES" "$@"
rc=$?
echo "== raw results and logs: $RES (raw.tsv, tables.txt, per-run *.load / *.proxy.log)"
exit $rc
}
