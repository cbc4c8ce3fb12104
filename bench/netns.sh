# bench/netns.sh - sourced by bench/udp-formats.sh and bench/send-pair.sh: the private network
# namespace a benchmark runs in, and the loopback return route its spoofed replies need.

# bench_in_netns NS BIN SCRIPT ARGS... : runs SCRIPT --inner ARGS in a fresh namespace NS (with
# MMPROXY_BIN=BIN) and exits with its status; every process left in NS is killed and NS deleted
# on the way out.
bench_in_netns() {
    BENCH_NS=$1; local bin=$2 script=$3; shift 3
    bench_netns_cleanup() {
        local p
        for p in $(ip netns pids "$BENCH_NS" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
        sleep 0.3
        for p in $(ip netns pids "$BENCH_NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$BENCH_NS" 2>/dev/null
    }
    trap bench_netns_cleanup EXIT
    trap 'exit 130' INT TERM
    ip netns add "$BENCH_NS" || exit 1
    MMPROXY_BIN=$bin ip netns exec "$BENCH_NS" bash "$script" "$@" --inner
    exit $?
}

# bench_loopback_routes: inside the namespace, lo up and replies to spoofed client addresses
# (from 127.0.0.1 / ::1) delivered locally, as `mmproxy routing apply` does on a service host.
bench_loopback_routes() {
    ip link set lo up
    ip rule add from 127.0.0.1/8 iif lo table 123
    ip route add local 0.0.0.0/0 dev lo table 123
    ip -6 rule add from ::1/128 iif lo table 123
    ip -6 route add local ::/0 dev lo table 123
}
