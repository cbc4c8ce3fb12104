#!/usr/bin/env bash
# tests/arm64/run.sh - the arm64 build of mmproxy, run on this x86-64 machine under qemu-user:
#   1. publishes mmproxy and the daemon's unit tests for linux-arm64 (self-contained);
#   2. runs `mmproxy --version` and `mmproxy inspect` under qemu-aarch64;
#   3. runs the layout tests (struct epoll_event, msghdr/mmsghdr/iovec, sockaddr, the epoll
#      round trip) of tests/MmProxy.Tests under qemu, and prints the C compiler's own view of
#      struct epoll_event on aarch64 beside them;
#   4. runs the loop core's and the UDP engine's unit tests under qemu: real epoll loops moving real
#      datagrams on the arm64 build (what qemu-user cannot run, and why, is said below).
# Needs root (apt). Not part of ./test.sh: it is slow (emulation) and needs foreign packages.
# usage: sudo tests/arm64/run.sh [OUT_DIR]      (default /tmp/mmproxy-arm64)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-/tmp/mmproxy-arm64}
SYSROOT=$OUT/sysroot
[ "$(id -u)" = 0 ] || { echo "needs root (apt, network namespaces, IP_TRANSPARENT)" >&2; exit 1; }

need=()
for p in qemu-user libc6-arm64-cross libstdc++6-arm64-cross gcc-aarch64-linux-gnu; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A sysroot for qemu: the cross libc and libstdc++, plus arm64 libssl (the test runner hashes test ids).
if [ ! -e "$SYSROOT/lib/libssl.so.3" ]; then
    echo "== sysroot $SYSROOT"
    rm -rf "$SYSROOT"; mkdir -p "$SYSROOT"
    cp -a /usr/aarch64-linux-gnu/. "$SYSROOT/"
    dpkg --print-foreign-architectures | grep -qx arm64 || { dpkg --add-architecture arm64; apt-get update -qq; }
    (cd "$OUT" && apt-get download -qq libssl3:arm64 2>/dev/null)
    dpkg -x "$OUT"/libssl3_*_arm64.deb "$OUT/libssl"
    cp -a "$OUT"/libssl/usr/lib/aarch64-linux-gnu/* "$SYSROOT/lib/"
fi
Q=(qemu-aarch64 -L "$SYSROOT")
# .NET writes JIT code through a second, writable mapping of the executable memory (W^X); qemu-user
# does not see those writes and can run stale translations of code that was replaced (seen: the
# second row of a theory invoking another method's reflection stub). Single mapping under emulation.
export DOTNET_EnableWriteXorExecute=0

echo "== dotnet publish -r linux-arm64 (mmproxy, MmProxy.Tests)"
dotnet publish "$ROOT/src/MmProxy" -c Release -r linux-arm64 --self-contained -o "$OUT/mmproxy" -nologo -v q -clp:ErrorsOnly
dotnet publish "$ROOT/tests/MmProxy.Tests" -c Release -r linux-arm64 --self-contained -o "$OUT/tests" -nologo -v q -clp:ErrorsOnly
file "$OUT/mmproxy/mmproxy"

echo "== mmproxy --version and inspect, under qemu"
"${Q[@]}" "$OUT/mmproxy/mmproxy" --version
"${Q[@]}" "$OUT/mmproxy/mmproxy" inspect --hex "$(printf 'PROXY TCP4 192.0.2.7 198.51.100.2 56324 443\r\n' | od -An -tx1 | tr -d ' \n')"

echo "== the C headers' struct epoll_event on aarch64"
cat > "$OUT/layout.c" <<'C'
#include <stdio.h>
#include <stddef.h>
#include <sys/epoll.h>
int main(void) { printf("sizeof %zu, offsetof(data) %zu\n", sizeof(struct epoll_event), offsetof(struct epoll_event, data)); return 0; }
C
aarch64-linux-gnu-gcc -static -o "$OUT/layout" "$OUT/layout.c"
"${Q[@]}" "$OUT/layout"

echo "== layout tests of MmProxy.Tests under qemu"
# The test that compiles C itself would build for the host here (qemu cannot exec a child of
# another architecture without binfmt_misc): the C check above stands in for it.
"${Q[@]}" "$OUT/tests/MmProxy.Tests" -class MmProxy.Tests.Interop.EpollTests -class MmProxy.Tests.Interop.MessageLayoutTests \
    -class MmProxy.Tests.Interop.NativeSocketAddressTests -method- "MmProxy.Tests.Interop.EpollTests.The_event_layout_matches_the_c_headers" -noColor

echo "== the loop core and the UDP engine's unit tests under qemu (real epoll, real datagrams)"
# qemu-user 7.2 answers setsockopt(IP_TRANSPARENT) with ENOPROTOOPT (it translates a fixed list of
# IP options), so nothing that spoofs a client can run under it: not the proxy process (its start-up
# check refuses), not the TCP loop tests (their rig checks the capability), not the one UDP test with
# a spoofed client. Everything else of the UDP engine runs: LOCAL datagrams are forwarded unspoofed.
"${Q[@]}" "$OUT/tests/MmProxy.Tests" -namespace MmProxy.Tests.Loop -namespace MmProxy.Tests.Udp \
    -method- "MmProxy.Tests.Udp.UdpForwardingTests.Proxy_datagram_is_forwarded_from_the_clients_address_and_the_reply_reaches_the_balancer" -noColor
echo "== arm64: all checks passed"
