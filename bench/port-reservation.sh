#!/usr/bin/env bash
# bench/port-reservation.sh - what a transparent proxy's held client ports cost every other
# connect() on the host: the shared harness's connrate load (mmload, no proxy, straight to the echo
# server) while bench/port_holder holds N spoofed upstream connections, bound with bind() or
# reserved at connect (IP_LOCAL_PORT_RANGE). Prints conns/s and the load generator's CPU per
# connection (user+sys). Runs in a private network namespace; needs root.
# usage: sudo bench/port-reservation.sh [N (19000)] [rounds (2)]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
N=${1:-19000}; ROUNDS=${2:-2}
BIN=${MMBENCH_BIN:-/tmp/mmbench-bin}
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 1; }
[ -x "$BIN/mmload" ] || { echo "build the shared harness first (../shared/bench/run.sh builds $BIN)" >&2; exit 1; }
cc -O2 -Wall -o /tmp/port_holder "$HERE/port_holder.c" || exit 1
NS=mmt-portres-$$
ip netns add $NS || exit 1
trap 'for p in $(ip netns pids $NS); do kill -9 $p; done; ip netns del $NS' EXIT
ip netns exec $NS bash -s "$N" "$ROUNDS" "$BIN" <<'INNER'
N=$1; ROUNDS=$2; BIN=$3
ip link set lo up
ip rule add from 127.0.0.1/8 iif lo table 123; ip route add local 0.0.0.0/0 dev lo table 123
sysctl -q -w net.ipv4.ip_local_port_range="10000 65000"; sysctl -q -w net.core.somaxconn=65535
ulimit -n $((N + 1000)) 2>/dev/null
taskset -c 0 "$BIN/echo_server" -p 25578 -t 1 -x 3600 >/dev/null 2>&1 &
sleep 0.5
run() {
    /usr/bin/time -f "cpu %U %S" taskset -c 0 "$BIN/mmload" connrate -d 127.0.0.1:25578 -c 50 -T 3 -P none -S "$1" -s 64 2>&1 |
        awk '/RESULT/{for(i=2;i<=NF;i++){split($i,a,"=");v[a[1]]=a[2]}} /^cpu/{c=$2+$3}
             END{printf "conns/s %6d   load generator %4.0f us CPU per connection\n", v["conns_s"], c*1e6/v["conns"]}'
}
echo "# $N held client ports; connrate straight to the echo server (no proxy), 3 s per run"
for r in $(seq "$ROUNDS"); do
    for mode in none bind range; do
        if [ $mode != none ]; then
            /tmp/port_holder "$N" $mode > /tmp/port_holder.log 2>&1 & H=$!
            for _ in $(seq 300); do grep -q bound /tmp/port_holder.log && break; kill -0 $H 2>/dev/null || break; sleep 0.1; done
        fi
        printf '%-6s ' $mode; run $((10 + r))
        [ $mode != none ] && { kill $H; wait $H 2>/dev/null; }
        sleep 1
    done
done
INNER
