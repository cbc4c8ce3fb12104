#!/usr/bin/env bash
# bench/send-pair.sh - the TCP pair: a plain client → `mmproxy send` → mmproxy → echo, against a
# direct connection (client → echo) and against HAProxy as the sender (`send-proxy-v2`) → mmproxy
# → echo. The load generator and echo server are the shared harness's (../../shared/bench/src),
# the client side plain (mmload -P none). Everything runs in a fresh network namespace on its
# loopback (deleted afterwards). Tables show medians over the repeats, with each process's CPU.
#
# usage: sudo MMPROXY_BIN=/path/to/mmproxy bench/send-pair.sh [options]
#   -T SECS     seconds per measurement (default 10; latency runs min(SECS, 5))
#   -c N        connections for tput, concurrency for connrate (default 50)
#   -r N        repeats per (test, chain); the median is shown (default 3)
#   -W SECS     warm-up load before each measured run, against the fresh processes (default 3: JIT)
#   -t TESTS    comma list of tput,connrate,latency (default all three)
#   -o CHAINS   comma list of direct,mmproxy,haproxy (default all three)
#   -O DIR      raw results and logs (default ${TMPDIR:-/tmp}/mmsend-bench/<time>)
#   --no-pin    no CPU pinning (default: the proxies on CPU 1, load generator and echo on CPU 0;
#               latency: everything on CPU 0, as the shared harness does)
# MMPROXY_BIN: default /tmp/mmproxy-bench/publish/mmproxy (published by `sudo bench/run.sh --startup-only`).
# Needs haproxy for the haproxy chain (apt-get install haproxy).
{ # one group, parsed before it runs: editing the script during a run is safe
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/netns.sh"
SHARED=${MMBENCH_DIR:-$(cd "$HERE/../../shared/bench" 2>/dev/null && pwd)}
SECS=10; CONNS=50; REPEATS=3; WARMUP=3; TESTS=tput,connrate,latency; CHAINS=direct,mmproxy,haproxy
OUTDIR=""; PIN=1; INNER=0
ARGS=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
    -T) SECS=$2; shift 2 ;;
    -c) CONNS=$2; shift 2 ;;
    -r) REPEATS=$2; shift 2 ;;
    -W) WARMUP=$2; shift 2 ;;
    -t) TESTS=$2; shift 2 ;;
    -o) CHAINS=$2; shift 2 ;;
    -O) OUTDIR=$2; shift 2 ;;
    --no-pin) PIN=0; shift ;;
    --inner) INNER=1; shift ;;
    -h|--help) sed -n '2,/^{ # one group/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
MMPROXY_BIN=${MMPROXY_BIN:-/tmp/mmproxy-bench/publish/mmproxy}
BIN_DIR=${MMBENCH_BIN:-/tmp/mmbench-bin}
MMLOAD=$BIN_DIR/mmload
ECHO=$BIN_DIR/echo_server
UP_PORT=25578       # echo
RECV_PORT=1202      # the receiving mmproxy
FRONT_PORT=1201     # what the client connects to: the sender (or the echo, direct)

# ------------------------------------------------------------------ outer part
if [ "$INNER" = 0 ]; then
    [ "$(id -u)" = 0 ] || { echo "send-pair.sh needs root (ip netns, IP_TRANSPARENT)" >&2; exit 1; }
    [ -n "$SHARED" ] && [ -f "$SHARED/src/mmload.c" ] || { echo "shared harness not found (set MMBENCH_DIR)" >&2; exit 1; }
    [ -x "$MMPROXY_BIN" ] || { echo "no mmproxy at $MMPROXY_BIN (set MMPROXY_BIN)" >&2; exit 1; }
    if [[ ",$CHAINS," == *",haproxy,"* ]] && ! command -v haproxy >/dev/null; then
        echo "haproxy not installed (apt-get install haproxy), needed for the haproxy chain" >&2; exit 1
    fi
    # The shared tools, built as the shared run.sh builds them.
    if [ ! -x "$MMLOAD" ] || [ ! -x "$ECHO" ] || [ "$SHARED/src/mmload.c" -nt "$MMLOAD" ] || [ "$SHARED/src/echo_server.c" -nt "$ECHO" ]; then
        mkdir -p "$BIN_DIR"
        cc -O2 -Wall -o "$ECHO" "$SHARED/src/echo_server.c" -lpthread || exit 1
        cc -O2 -Wall -o "$MMLOAD" "$SHARED/src/mmload.c" || exit 1
    fi
    [ -n "$OUTDIR" ] || OUTDIR=${TMPDIR:-/tmp}/mmsend-bench/$(date +%Y%m%d-%H%M%S)
    mkdir -p "$OUTDIR"
    bench_in_netns "mmsend-$$" "$MMPROXY_BIN" "$HERE/send-pair.sh" "${ARGS[@]}" -O "$OUTDIR"
fi

# ------------------------------------------------------------------ inner part (in the namespace)
# The receiving mmproxy's replies come back through loopback (as on a service host).
bench_loopback_routes
sysctl -q -w net.ipv4.ip_local_port_range="10000 65000" >/dev/null 2>&1
sysctl -q -w net.core.somaxconn=4096 >/dev/null 2>&1
NCPU=$(nproc)
[ "$NCPU" -ge 2 ] || PIN=0
RAW=$OUTDIR/raw.tsv
: > "$RAW"
STARTED=""
inner_cleanup() {
    local p
    for p in $STARTED; do kill -TERM "$p" 2>/dev/null; done
    sleep 0.2
    for p in $STARTED; do kill -KILL "$p" 2>/dev/null; done
}
trap inner_cleanup EXIT

wait_port() { # port pid -> 0 once something listens on the port
    local i
    for i in $(seq 1 200); do
        ss -Hltn "sport = :$1" | grep -q . && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12+$13}'; }
start() { # label cpu-pin command... -> pid in $LAST
    local label=$1 pin=$2; shift 2
    if [ -n "$pin" ]; then taskset -c "$pin" "$@" > "$LOG.$label.log" 2>&1 &
    else "$@" > "$LOG.$label.log" 2>&1 & fi
    LAST=$!
    STARTED="$STARTED $LAST"
}
stop() { local p; for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
         for p in "$@"; do for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done; kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }

haproxy_config() { # -> path: the sender, one thread like `mmproxy send` with one listener
    cat > "$OUTDIR/haproxy.cfg" <<EOF
global
    maxconn 4096
    nbthread 1
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend fe
    bind 127.0.0.1:$FRONT_PORT
    default_backend be
backend be
    server mmproxy 127.0.0.1:$RECV_PORT send-proxy-v2
EOF
    echo "$OUTDIR/haproxy.cfg"
}

ECHO_CPU=0; PROXY_CPU=1; [ "$PIN" = 1 ] || { ECHO_CPU=""; PROXY_CPU=""; }
LOG=$OUTDIR/echo
start echo "$ECHO_CPU" "$ECHO" -p $UP_PORT -t 1 -x 7200
ECHO_PID=$LAST
wait_port $UP_PORT $ECHO_PID || { echo "echo server did not start" >&2; exit 1; }

load() { # test secs pin -> RESULT line
    local test=$1 secs=$2 pin=$3 dst=127.0.0.1:$FRONT_PORT
    [ "$CHAIN" = direct ] && dst=127.0.0.1:$UP_PORT
    local cmd=("$MMLOAD" "$test" -d "$dst" -T "$secs" -P none)
    [ "$test" = latency ] || cmd+=(-c "$CONNS")
    [ -n "$pin" ] && cmd=(taskset -c "$pin" "${cmd[@]}")
    timeout $(( ${secs%.*} + 30 )) "${cmd[@]}"
}

run_one() { # test chain rep
    local test=$1 rep=$3 send="" recv="" secs=$SECS pin_load=$ECHO_CPU pin_proxy=$PROXY_CPU
    CHAIN=$2
    LOG=$OUTDIR/$test.$CHAIN.$rep
    if [ "$test" = latency ]; then
        [ "${SECS%.*}" -gt 5 ] && secs=5
        # One connection's ping-pong: cross-CPU wake-ups in a VM add noisy tens of microseconds.
        [ "$PIN" = 1 ] && { pin_load=0; pin_proxy=0; }
    fi
    if [ "$CHAIN" != direct ]; then
        start recv "$pin_proxy" "$MMPROXY_BIN" -l 127.0.0.1:$RECV_PORT -4 127.0.0.1:$UP_PORT -6 "[::1]:$UP_PORT"
        recv=$LAST
        wait_port $RECV_PORT $recv || { echo "  !! receiver did not start ($LOG.recv.log)" >&2; stop $recv; return; }
        if [ "$CHAIN" = mmproxy ]; then
            start send "$pin_proxy" "$MMPROXY_BIN" send -l 127.0.0.1:$FRONT_PORT -r 127.0.0.1:$RECV_PORT
        else
            start send "$pin_proxy" haproxy -f "$(haproxy_config)" -db
        fi
        send=$LAST
        wait_port $FRONT_PORT $send || { echo "  !! $CHAIN sender did not start ($LOG.send.log)" >&2; stop $send $recv; return; }
        [ "$WARMUP" != 0 ] && load "$test" "$WARMUP" "$pin_load" > "$LOG.warmup" 2>&1
    fi
    local s0=0 r0=0 e0 t0 t1 out
    [ -n "$send" ] && { s0=$(cpu_ticks $send); r0=$(cpu_ticks $recv); }
    e0=$(cpu_ticks $ECHO_PID); t0=$(date +%s.%N)
    # The load generator's own CPU: `times` in the subshell that waited for it (children's user + sys).
    local lc
    lc=$( { load "$test" "$secs" "$pin_load" > "$LOG.load" 2>&1; times; } | tail -1 |
          awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } printf "%.2f", n }')
    t1=$(date +%s.%N)
    local s1=0 r1=0 e1 alive=ok
    e1=$(cpu_ticks $ECHO_PID)
    if [ -n "$send" ]; then
        { kill -0 $send && kill -0 $recv; } 2>/dev/null || alive=DIED
        s1=$(cpu_ticks $send); r1=$(cpu_ticks $recv)
        stop $send $recv
    fi
    case $test in
    tput)     out=$(awk '/^RESULT/{for(i=2;i<=NF;i++){split($i,a,"=");v[a[1]]=a[2]} printf "%s\t%s\t%s", v["down_MBps"], v["up_MBps"], v["closed"]}' "$LOG.load") ;;
    connrate) out=$(awk '/^RESULT/{for(i=2;i<=NF;i++){split($i,a,"=");v[a[1]]=a[2]} printf "%s\t%.2f\t%s", v["conns_s"], v["p50_us"]/1000, v["errors"]+v["timeouts"]}' "$LOG.load") ;;
    latency)  out=$(awk '/^RESULT/{for(i=2;i<=NF;i++){split($i,a,"=");v[a[1]]=a[2]} printf "%s\t%s\t%s", v["p50_us"], v["p99_us"], 0}' "$LOG.load") ;;
    esac
    [ -n "$out" ] || { out="ERR\tERR\tERR"; echo "  !! $test/$CHAIN: no result (see $LOG.load)" >&2; }
    local hz; hz=$(getconf CLK_TCK)
    printf '%s\t%s\t%s\t%b\t%s\t%s\t%s\t%s\t%s\t%s\n' "$test" "$CHAIN" "$rep" "$out" \
        "$(awk -v a=$s0 -v b=$s1 -v h=$hz 'BEGIN{printf "%.2f", (b-a)/h}')" \
        "$(awk -v a=$r0 -v b=$r1 -v h=$hz 'BEGIN{printf "%.2f", (b-a)/h}')" \
        "$(awk -v a=$e0 -v b=$e1 -v h=$hz 'BEGIN{printf "%.2f", (b-a)/h}')" \
        "$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.2f", b-a}')" "$alive" "$lc" >> "$RAW"
    sleep 0.5 # TIME_WAIT and the CPU settle between runs
}

echo "# send-pair benchmark $(date -u +%FT%TZ)  kernel $(uname -r)  $NCPU CPUs  mmproxy $MMPROXY_BIN"
echo "# secs=$SECS conns=$CONNS repeats=$REPEATS warmup=$WARMUP  pinning: $([ "$PIN" = 1 ] && echo "proxies CPU1, load+echo CPU0; latency all CPU0" || echo none)"
echo "# haproxy: $(haproxy -v 2>/dev/null | head -1)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare chains within one run)"
echo "# raw results + logs: $OUTDIR"
IFS=',' read -r -a TLIST <<<"$TESTS"
IFS=',' read -r -a CLIST <<<"$CHAINS"
for test in "${TLIST[@]}"; do
    for chain in "${CLIST[@]}"; do
        for rep in $(seq 1 "$REPEATS"); do run_one "$test" "$chain" "$rep"; done
    done
done

# Tables: medians per (test, chain); the ratio is against direct on the first figure.
for test in "${TLIST[@]}"; do
    case $test in
    tput)     head="down MB/s|up MB/s|closed"; echo; echo "== tput: $CONNS conns streaming 'PING\\r\\n', ${SECS}s" ;;
    connrate) head="conns/s|p50 ms|errors"; echo; echo "== connrate: $CONNS concurrent; connect, 64 B, read the echo, close; ${SECS}s" ;;
    latency)  head="p50 us|p99 us|-"; echo; echo "== latency: 1 conn, 64 B ping-pong" ;;
    esac
    awk -F'\t' -v test="$test" -v head="$head" -v order="$CHAINS" '
        function median(arr, n,   i, j, t) {
            for (i = 2; i <= n; i++) { t = arr[i]; j = i - 1; while (j > 0 && arr[j] + 0 > t + 0) { arr[j+1] = arr[j]; j-- } arr[j+1] = t }
            return (n % 2) ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
        }
        $1 == test { c = $2; n[c]++; for (k = 4; k <= 12; k++) v[c, k, n[c]] = $k; if ($11 == "DIED") died[c] = 1 }
        END {
            split(head, H, "|"); nc = split(order, C, ",")
            printf "%-9s %12s %12s %12s %8s %10s %10s %10s %10s\n", "chain", H[1], H[2], H[3], "ratio", "sender s", "recv s", "echo s", "client s"
            for (i = 1; i <= nc; i++) {
                c = C[i]; if (!(c in n)) continue
                for (k = 4; k <= 12; k++) { m = 0; for (r = 1; r <= n[c]; r++) if (v[c, k, r] ~ /^[0-9.]+$/) a[++m] = v[c, k, r]; med[c, k] = m ? median(a, m) : "ERR" }
                base = med["direct", 4]
                ratio = (base + 0 > 0 && med[c, 4] != "ERR") ? sprintf(test == "latency" ? "%.2fx" : "%.0f%%", test == "latency" ? med[c, 4] / base : 100 * med[c, 4] / base) : "-"
                s = (c == "direct") ? "-" : med[c, 7]; rv = (c == "direct") ? "-" : med[c, 8]
                printf "%-9s %12s %12s %12s %8s %10s %10s %10s %10s%s\n", c, med[c, 4], med[c, 5], (H[3] == "-" ? "" : med[c, 6]), ratio, s, rv, med[c, 9], med[c, 12], (died[c] ? "  (a process DIED)" : "")
            }
        }' "$RAW" | tee -a "$OUTDIR/tables.txt"
done
echo
echo "# sender s / recv s / echo s / client s: CPU seconds (utime+stime) of that process (client: mmload) during the measured load (wall ≈ ${SECS}s; latency ≤ 5s)"
echo "# sender = mmproxy send or haproxy (nbthread 1); recv = the receiving mmproxy; direct has neither"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
}
