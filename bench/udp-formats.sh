#!/usr/bin/env bash
# bench/udp-formats.sh - what each UDP header format costs: the same closed-loop UDP load
# (bench/udp_format_load.c: one socket per flow, so each flow is its own load-balancer endpoint)
# without a proxy, then through mmproxy -p udp --udp-header v2, v2-first and spp.
#
# usage: sudo bench/udp-formats.sh [options]
#   --no-build     use the last published binary ($MMPROXY_BENCH_OUT/publish/mmproxy) instead of
#                  publishing this checkout first; MMPROXY_BIN=/path/to/mmproxy uses that binary
#   -f FORMATS     comma list of none,v2,v2-first,spp (default all four; 'none' is the baseline)
#   -r N           repeats per format; the table shows medians (default 3)
#   -T SECS        seconds per measured run (default 5)
#   -W SECS        warm-up load before each measured run, on the freshly started proxy (default 2)
#   -c N           flows (= load-balancer sockets) (default 50)
#   -w N           datagrams in flight over all flows (default 64)
#   -s BYTES       payload bytes (default 64)
#   -O DIR         raw results and logs (default ${TMPDIR:-/tmp}/mmbench-results/<time>-udp-formats)
#   --no-pin       no CPU pinning (default: proxy on CPU 1, load generator and echo server on CPU 0,
#                  as the shared harness ../shared/bench/run.sh does)
#
# Everything runs in a private network namespace created for the run and deleted on exit (trap):
# the proxy listens on 127.0.0.1:1122, the shared harness's echo server (UDP mode) on
# 127.0.0.1:25578, and the clients the headers name are documentation addresses (203.0.113.0/24),
# spoofed by the proxy and routed back to it through loopback (table 123), as in a deployment.
# Each run starts the proxy afresh, warms it up with a separate block of clients, then measures
# with another. A binary without --udp-header (before issue 13) runs v2 without the flag (the
# same behaviour) and skips the other formats.
#
# Columns: pkts/s = echoed datagrams per second (median); ratio to none / to v2 of those medians;
# proxy CPU us/dgram = the proxy's utime+stime (/proc/PID/stat) over the measured run divided by
# the datagrams echoed (each one in and one out through the proxy, so per round trip); peak RSS =
# VmHWM at the end of the run; lost/errors = totals over the repeats (errors: replies with wrong
# bytes, on another flow's socket, or - spp - without the flow's own header first); kernel UDP
# drops = the namespace's UDP InErrors+RcvbufErrors+SndbufErrors over the measured runs (a full
# socket buffer somewhere: usually where the "lost" datagrams went).
{ # the whole script is one group, parsed before it runs: editing it during a run is safe
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/netns.sh"
ROOT=$(cd "$HERE/.." && pwd)
SHARED=$(cd "$HERE/../../shared/bench" 2>/dev/null && pwd)
OUT=${MMPROXY_BENCH_OUT:-/tmp/mmproxy-bench}
BUILD=1; FORMATS=none,v2,v2-first,spp; REPEATS=3; SECS=5; WARMUP=2; FLOWS=50; WINDOW=64; SIZE=64
OUTDIR=""; PIN=1; INNER=0
ARGS=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
    --no-build) BUILD=0; shift ;;
    -f) FORMATS=$2; shift 2 ;;
    -r) REPEATS=$2; shift 2 ;;
    -T) SECS=$2; shift 2 ;;
    -W) WARMUP=$2; shift 2 ;;
    -c) FLOWS=$2; shift 2 ;;
    -w) WINDOW=$2; shift 2 ;;
    -s) SIZE=$2; shift 2 ;;
    -O) OUTDIR=$2; shift 2 ;;
    --no-pin) PIN=0; shift ;;
    --inner) INNER=1; shift ;;
    -h|--help) sed -n '2,/^{ # the whole/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
TOOLS=$OUT/udp-formats-bin
LOAD=$TOOLS/udp_format_load
ECHO=$TOOLS/echo_server
BIN=${MMPROXY_BIN:-$OUT/publish/mmproxy}
PORT=1122
UP_PORT=25578

# ---------------------------------------------------------------- outer part
if [ "$INNER" = 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "bench/udp-formats.sh needs root (network namespaces, IP_TRANSPARENT)" >&2; exit 1; }
    [ -f "$SHARED/src/echo_server.c" ] || { echo "shared harness not found at $HERE/../../shared/bench" >&2; exit 1; }
    # Our own copies of the tools: the shared harness's /tmp/mmbench-bin may be running right now.
    mkdir -p "$TOOLS"
    if [ ! -x "$LOAD" ] || [ "$HERE/udp_format_load.c" -nt "$LOAD" ]; then
        cc -O2 -Wall -Wextra -o "$LOAD" "$HERE/udp_format_load.c" || exit 1
    fi
    if [ ! -x "$ECHO" ] || [ "$SHARED/src/echo_server.c" -nt "$ECHO" ]; then
        cc -O2 -Wall -o "$ECHO" "$SHARED/src/echo_server.c" -lpthread || exit 1
    fi
    if [ -z "${MMPROXY_BIN:-}" ] && [ "$BUILD" = 1 ]; then
        # As bench/run.sh: self-contained, trimmed, single file, ReadyToRun, obj/bin outside the tree.
        echo "== publishing mmproxy (Release, ReadyToRun, self-contained, trimmed, single file) into $OUT/publish"
        rm -rf "$OUT/publish"
        dotnet publish "$ROOT/src/MmProxy/MmProxy.csproj" -c Release -r linux-x64 --self-contained true \
            -p:PublishTrimmed=true -p:PublishSingleFile=true -p:PublishReadyToRun=true \
            --artifacts-path "$OUT/artifacts" -o "$OUT/publish" -nologo -v q -clp:ErrorsOnly \
            || { echo "publish failed" >&2; exit 1; }
    fi
    [ -x "$BIN" ] || { echo "no mmproxy binary at $BIN (set MMPROXY_BIN, or run without --no-build)" >&2; exit 1; }
    [ -n "$OUTDIR" ] || OUTDIR=${TMPDIR:-/tmp}/mmbench-results/$(date +%Y%m%d-%H%M%S)-udp-formats
    mkdir -p "$OUTDIR"
    bench_in_netns "mmt-udpfmt-$$" "$BIN" "$HERE/udp-formats.sh" "${ARGS[@]}" -O "$OUTDIR"
fi

# ---------------------------------------------------------------- inner part (in the netns)
# The upstream's replies go to the spoofed client addresses: deliver them to the proxy via loopback.
bench_loopback_routes
if [ "$PIN" = 1 ] && [ "$(nproc)" -ge 2 ]; then
    PIN_LOAD="taskset -c 0"; PIN_PROXY="taskset -c 1"; PINDESC="proxy on CPU1; load generator + echo server on CPU0"
else
    PIN_LOAD=""; PIN_PROXY=""; PINDESC="no pinning"
fi
CLK_TCK=$(getconf CLK_TCK)
RAW=$OUTDIR/raw.tsv
printf 'format\trep\tpkts_s\tsent\trecvd\terrors\ticmp\tlost\tstalls\tcpu_ticks\tcpu_us_per_dgram\tpeak_rss_mb\tudp_kernel_drops\n' > "$RAW"
STARTED=""
trap 'for p in $STARTED; do kill -KILL $p 2>/dev/null; done' EXIT

HAS_FLAG=0
"$BIN" --help 2>&1 | grep -q -- '--udp-header' && HAS_FLAG=1
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
echo "# udp-formats  $(date -u +%FT%TZ)  kernel $(uname -r)  $(nproc) CPUs  load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# binary $BIN ($([ $HAS_FLAG = 1 ] && echo 'has --udp-header' || echo 'no --udp-header: v2 only')); checkout $COMMIT"
echo "# flows=$FLOWS window=$WINDOW size=$SIZE secs=$SECS warmup=$WARMUP repeats=$REPEATS; $PINDESC"
echo "# raw results + logs: $OUTDIR"

# The shared harness's echo server, UDP only, bound to 127.0.0.1: a wildcard socket's replies would
# be routed before their source is chosen, so the "from 127.0.0.1" rule would not match.
$PIN_LOAD "$ECHO" -p $UP_PORT -b 127.0.0.1 -U -t 1 -x 7200 > "$OUTDIR/echo.log" 2>&1 &
ECHO_PID=$!
STARTED="$ECHO_PID"

wait_udp() { # port pid -> 0 once bound
    local i
    for i in $(seq 1 200); do
        ss -Hlun "sport = :$1" | grep -q . && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
wait_udp $UP_PORT $ECHO_PID || { echo "echo server did not start (see $OUTDIR/echo.log)" >&2; exit 1; }

BLOCK=0
next_block() { BLOCK=$((BLOCK % 250 + 1)); }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$2"; }
# The namespace's UDP InErrors + RcvbufErrors + SndbufErrors (/proc/net/snmp is per namespace): where
# "lost" datagrams went, when the kernel dropped them at a full socket buffer.
udp_drops() { awk '/^Udp:/ { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 } else print $c["InErrors"] + $c["RcvbufErrors"] + $c["SndbufErrors"] }' /proc/net/snmp; }

run_one() { # format rep
    local fmt=$1 rep=$2 log=$OUTDIR/$1.$2 pid="" dst=127.0.0.1:$PORT c0=0 c1=0 rss="-" cpu="-" per="-"
    if [ "$fmt" = none ]; then
        dst=127.0.0.1:$UP_PORT
    else
        local flag=(--udp-header "$fmt")
        [ $HAS_FLAG = 1 ] || flag=()
        # shellcheck disable=SC2086
        $PIN_PROXY "$BIN" -p udp -l 127.0.0.1:$PORT -4 127.0.0.1:$UP_PORT -6 "[::1]:$UP_PORT" "${flag[@]}" \
            > "$log.proxy.log" 2>&1 &
        pid=$!
        STARTED="$STARTED $pid"
        wait_udp $PORT $pid || { echo "  !! mmproxy did not start for $fmt (see $log.proxy.log)" >&2; return 1; }
        if [ $HAS_FLAG = 1 ]; then
            local i
            for i in $(seq 1 100); do grep -q 'Listening for UDP' "$log.proxy.log" && break; sleep 0.05; done
            grep 'Listening for UDP' "$log.proxy.log" | grep -q "header $fmt" \
                || echo "  !! the listening line does not name 'header $fmt': $(grep 'Listening for UDP' "$log.proxy.log")" >&2
        fi
        if [ "$WARMUP" != 0 ]; then
            next_block
            $PIN_LOAD "$LOAD" -P "$fmt" -d $dst -c "$FLOWS" -w "$WINDOW" -s "$SIZE" -T "$WARMUP" -S $BLOCK > "$log.warmup" 2>&1
        fi
        c0=$(sed 's/.*) //' /proc/$pid/stat | awk '{print $12+$13}')
    fi
    next_block
    local d0; d0=$(udp_drops)
    $PIN_LOAD "$LOAD" -P "$fmt" -d $dst -c "$FLOWS" -w "$WINDOW" -s "$SIZE" -T "$SECS" -S $BLOCK > "$log.load" 2>&1
    local drops=$(( $(udp_drops) - d0 ))
    local recvd; recvd=$(field recvd "$log.load")
    if [ -n "$pid" ]; then
        if kill -0 $pid 2>/dev/null; then
            c1=$(sed 's/.*) //' /proc/$pid/stat | awk '{print $12+$13}')
            rss=$(awk '/^VmHWM/{printf "%.1f", $2/1024}' /proc/$pid/status)
            cpu=$((c1 - c0))
            per=$(awk -v t=$cpu -v hz="$CLK_TCK" -v n="${recvd:-0}" 'BEGIN{ if (n > 0) printf "%.2f", t / hz * 1e6 / n; else print "-" }')
        else
            echo "  !! mmproxy died during $fmt run $rep (see $log.proxy.log)" >&2
        fi
        kill -TERM $pid 2>/dev/null
        wait $pid 2>/dev/null
    fi
    [ -n "$recvd" ] || { echo "  !! $fmt run $rep: no RESULT (see $log.load)" >&2; return 1; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$fmt" "$rep" "$(field pkts_s "$log.load")" \
        "$(field sent "$log.load")" "$recvd" "$(field errors "$log.load")" "$(field icmp "$log.load")" \
        "$(field lost "$log.load")" "$(field stalls "$log.load")" "$cpu" "$per" "$rss" "$drops" >> "$RAW"
    printf '  %-9s run %s: %s pkts/s, lost %s (kernel UDP drops %s), errors %s, proxy CPU %s us/dgram\n' "$fmt" "$rep" \
        "$(field pkts_s "$log.load")" "$(field lost "$log.load")" "$drops" "$(field errors "$log.load")" "$per"
}

IFS=',' read -r -a FLIST <<<"$FORMATS"
for fmt in "${FLIST[@]}"; do
    case $fmt in none|v2|v2-first|spp) ;; *) echo "unknown format $fmt" >&2; exit 2 ;; esac
    if [ $HAS_FLAG = 0 ] && [ "$fmt" != none ] && [ "$fmt" != v2 ]; then
        echo "  -- $fmt skipped: this binary has no --udp-header"
        continue
    fi
    for rep in $(seq 1 "$REPEATS"); do run_one "$fmt" "$rep"; done
done

echo
echo "== UDP header formats: $FLOWS flows (one socket each), window $WINDOW, ${SIZE} B payload, ${SECS} s, median of $REPEATS"
awk -F'\t' -v order="$FORMATS" '
    function median(list,   a, n, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; j = i - 1; while (j > 0 && a[j] + 0 > t + 0) { a[j+1] = a[j]; j-- } a[j+1] = t }
        return n == 0 ? "" : (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
    }
    NR > 1 {
        f = $1; seen[f] = 1
        if ($3 ~ /^[0-9.]+$/) pk[f] = pk[f] " " $3
        if ($11 ~ /^[0-9.]+$/) cu[f] = cu[f] " " $11
        if ($12 ~ /^[0-9.]+$/) rs[f] = rs[f] " " $12
        lost[f] += $8; err[f] += $6 + $7; kd[f] += $13
    }
    END {
        printf "%-10s %10s %14s %12s %22s %13s %12s %17s\n", "format", "pkts/s", "ratio to none", "ratio to v2", "proxy CPU us/datagram", "peak RSS MB", "lost/errors", "kernel UDP drops"
        for (f in seen) m[f] = median(pk[f])
        n = split(order, ord, ",")
        for (i = 1; i <= n; i++) {
            f = ord[i]; if (!(f in seen)) continue
            rn = ("none" in m && m["none"] > 0) ? sprintf("%.1f%%", 100 * m[f] / m["none"]) : "-"
            rv = ("v2" in m && m["v2"] > 0) ? sprintf("%.1f%%", 100 * m[f] / m["v2"]) : "-"
            c = median(cu[f]); r = median(rs[f])
            printf "%-10s %10.0f %14s %12s %22s %13s %12s %17s\n", f, m[f], rn, rv, c == "" ? "-" : sprintf("%.2f", c), r == "" ? "-" : sprintf("%.1f", r), lost[f] "/" err[f], kd[f]
        }
    }' "$RAW" | tee "$OUTDIR/table.txt"
exit 0
}
