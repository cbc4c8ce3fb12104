/*
 * udp_format_load: closed-loop UDP load generator for mmproxy's UDP header formats
 * (--udp-header v2|v2-first|spp), run by bench/udp-formats.sh.
 *
 * Unlike the shared harness's `mmload udp` (one socket, a PROXY v2 header on every datagram), every
 * flow here has a socket of its own: each flow is its own load-balancer endpoint, as a Spectrum edge
 * or frp keeps one socket per client session, so v2-first sessions (keyed by that endpoint) are
 * distinct and SPP/v2 flows are keyed the way a real balancer's are.
 *
 *   udp_format_load -P v2|v2-first|spp|none [-d HOST:PORT] [-u HOST:PORT] [-c flows] [-w window]
 *                   [-s bytes] [-T secs] [-S n] [-b ADDR]
 *     -P FORMAT   v2        a PROXY v2 UDP4 header on every datagram (28 bytes)
 *                 v2-first  a standalone header-only datagram first on each flow, then plain payload
 *                 spp       the 38-byte Simple Proxy Protocol header on every datagram; every reply
 *                           must start with the same 38 bytes (a mismatch is an error, not a reply)
 *                 none      plain payload: the no-proxy baseline, straight to the echo server
 *     -d HOST:PORT  where to send (the proxy, or the echo server with -P none) [127.0.0.1:1122]
 *     -u HOST:PORT  the destination written into the headers [127.0.0.1:25578]
 *     -c N        flows = sockets (default 50)
 *     -w N        datagrams in flight over all flows (default 64)
 *     -s BYTES    payload bytes, 8..4096 (default 64)
 *     -T SECS     duration (default 10; a hard limit of SECS+30 s ends the process)
 *     -S N        client block 1..250: flow k names client 203.0.113.(1 + k % 250) port
 *                 10000 + (N-1)*200 + k/250 (documentation addresses; a new block per run keeps the
 *                 runs' flows apart) (default 1)
 *     -b ADDR     local IPv4 address of the flow sockets (default 127.0.0.1)
 *
 * Every payload carries its flow's index (bytes 0-3) and a tag (4-7); a reply counts only if it
 * came back on its own flow's socket with the bytes sent (and, for spp, the flow's header first).
 * Loss handling as in mmload: nothing back for 20 ms refills the window (a "stall").
 *
 * RESULT format=F flows=N window=W size=S secs=T sent=N headers=N recvd=N errors=N icmp=N
 *        lost=N stalls=N pkts_s=N MBps=N
 *   sent = datagrams carrying payload; headers = v2-first's header-only datagrams; recvd = good
 *   replies; errors = replies with wrong bytes or on the wrong flow's socket; icmp = errors
 *   reported on a socket (ICMP: nothing listening); pkts_s = good replies per second in the
 *   timed window.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum fmt { FMT_NONE, FMT_V2, FMT_V2_FIRST, FMT_SPP };
static const char *FMT_NAMES[] = {"none", "v2", "v2-first", "spp"};

#define SPP_LEN 38
#define V2_LEN 28
#define TAG 0x55464C42u /* "UFLB" */

static struct sockaddr_in g_dst, g_up;
static struct in_addr g_bind;
static double g_secs = 10;
static int g_flows = 50, g_window = 64, g_size = 64, g_block = 1;
static enum fmt g_fmt = FMT_V2;

struct flow {
    int fd;
    int hlen;          /* header bytes before the payload in each datagram (0 for none/v2-first) */
    uint8_t hdr[64];   /* v2 or SPP header naming this flow's client */
    uint8_t *pkt;      /* hlen + g_size bytes */
};

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void parse_hp(const char *s, struct sockaddr_in *a) {
    char host[64];
    const char *c = strrchr(s, ':');
    if (!c || c - s >= (long)sizeof host) { fprintf(stderr, "bad HOST:PORT %s\n", s); exit(2); }
    memcpy(host, s, c - s);
    host[c - s] = 0;
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons(atoi(c + 1));
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) { fprintf(stderr, "bad IPv4 %s\n", host); exit(2); }
}

static void client_of(long k, struct in_addr *ip, uint16_t *port) {
    ip->s_addr = htonl((203u << 24) | (0u << 16) | (113u << 8) | (uint32_t)(1 + k % 250));
    *port = (uint16_t)(10000 + (g_block - 1) * 200 + k / 250);
}

static const uint8_t V2SIG[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* PROXY v2, command PROXY, family UDP4 (0x12), no TLVs */
static int v2_header(long k, uint8_t *out) {
    struct in_addr ip;
    uint16_t port;
    client_of(k, &ip, &port);
    memcpy(out, V2SIG, 12);
    out[12] = 0x21;
    out[13] = 0x12;
    out[14] = 0;
    out[15] = 12;
    memcpy(out + 16, &ip.s_addr, 4);
    memcpy(out + 20, &g_up.sin_addr.s_addr, 4);
    uint16_t p = htons(port);
    memcpy(out + 24, &p, 2);
    memcpy(out + 26, &g_up.sin_port, 2);
    return V2_LEN;
}

/* SPP: magic 0x56EC, client address (16, IPv4 mapped), proxy address (16), client port, proxy port */
static void mapped(uint8_t *out, const struct in_addr *a) {
    memset(out, 0, 10);
    out[10] = out[11] = 0xFF;
    memcpy(out + 12, &a->s_addr, 4);
}
static int spp_header(long k, uint8_t *out) {
    struct in_addr ip;
    uint16_t port;
    client_of(k, &ip, &port);
    out[0] = 0x56;
    out[1] = 0xEC;
    mapped(out + 2, &ip);
    mapped(out + 18, &g_up.sin_addr);
    uint16_t p = htons(port);
    memcpy(out + 34, &p, 2);
    memcpy(out + 36, &g_up.sin_port, 2);
    return SPP_LEN;
}

static int open_flow(struct flow *fl, long k, int ep) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) { perror("socket"); return -1; }
    int sz = 256 << 10;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    struct sockaddr_in b = {.sin_family = AF_INET, .sin_addr = g_bind};
    if (bind(fd, (struct sockaddr *)&b, sizeof b) < 0) { perror("bind"); return -1; }
    /* connected: only the proxy's (or echo server's) replies are received on it */
    if (connect(fd, (struct sockaddr *)&g_dst, sizeof g_dst) < 0) { perror("connect"); return -1; }
    fl->fd = fd;
    fl->hlen = 0;
    if (g_fmt == FMT_V2 || g_fmt == FMT_V2_FIRST) v2_header(k, fl->hdr);
    if (g_fmt == FMT_SPP) spp_header(k, fl->hdr);
    if (g_fmt == FMT_V2) fl->hlen = V2_LEN;
    if (g_fmt == FMT_SPP) fl->hlen = SPP_LEN;
    fl->pkt = malloc((size_t)fl->hlen + (size_t)g_size);
    if (!fl->pkt) { perror("malloc"); return -1; }
    memcpy(fl->pkt, fl->hdr, (size_t)fl->hlen);
    uint8_t *p = fl->pkt + fl->hlen;
    memset(p, 'U', (size_t)g_size);
    uint32_t id = htonl((uint32_t)k), tag = htonl(TAG);
    memcpy(p, &id, 4);
    memcpy(p + 4, &tag, 4);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)k};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { perror("epoll_ctl"); return -1; }
    return 0;
}

/* A reply is good when it is exactly what this flow sends upstream back: for spp the same header,
   then the payload; otherwise the payload alone. */
static int reply_ok(const struct flow *fl, const uint8_t *in, ssize_t n) {
    int expect_hdr = g_fmt == FMT_SPP ? SPP_LEN : 0;
    if (n != expect_hdr + g_size) return 0;
    if (expect_hdr && memcmp(in, fl->hdr, SPP_LEN) != 0) return 0;
    return memcmp(in + expect_hdr, fl->pkt + fl->hlen, (size_t)g_size) == 0;
}

static void on_alarm(int s) { (void)s; fprintf(stderr, "udp_format_load: hard time limit hit\n"); _exit(3); }

int main(int argc, char **argv) {
    parse_hp("127.0.0.1:1122", &g_dst);
    parse_hp("127.0.0.1:25578", &g_up);
    g_bind.s_addr = htonl(INADDR_LOOPBACK);
    int opt;
    while ((opt = getopt(argc, argv, "P:d:u:c:w:s:T:S:b:")) != -1) {
        switch (opt) {
        case 'P': {
            int found = 0;
            for (int i = 0; i < 4; i++) if (!strcmp(optarg, FMT_NAMES[i])) { g_fmt = (enum fmt)i; found = 1; }
            if (!found) { fprintf(stderr, "-P must be v2, v2-first, spp or none\n"); return 2; }
            break;
        }
        case 'd': parse_hp(optarg, &g_dst); break;
        case 'u': parse_hp(optarg, &g_up); break;
        case 'c': g_flows = atoi(optarg); break;
        case 'w': g_window = atoi(optarg); break;
        case 's': g_size = atoi(optarg); break;
        case 'T': g_secs = atof(optarg); break;
        case 'S': g_block = atoi(optarg); break;
        case 'b':
            if (inet_pton(AF_INET, optarg, &g_bind) != 1) { fprintf(stderr, "bad -b %s\n", optarg); return 2; }
            break;
        default:
            fprintf(stderr, "usage: %s -P v2|v2-first|spp|none [-d host:port] [-u host:port] [-c flows] "
                            "[-w window] [-s bytes] [-T secs] [-S block] [-b addr]\n", argv[0]);
            return 2;
        }
    }
    if (g_size < 8 || g_size > 4096) { fprintf(stderr, "-s must be 8..4096\n"); return 2; }
    if (g_block < 1 || g_block > 250) { fprintf(stderr, "-S must be 1..250\n"); return 2; }
    if (g_flows < 1 || g_flows > 50000) { fprintf(stderr, "-c must be 1..50000\n"); return 2; }
    if (g_window < 1) { fprintf(stderr, "-w must be at least 1\n"); return 2; }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)(g_secs + 30));

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct flow *flows = calloc((size_t)g_flows, sizeof *flows);
    if (ep < 0 || !flows) { perror("setup"); return 1; }
    for (long k = 0; k < g_flows; k++)
        if (open_flow(&flows[k], k, ep) < 0) return 1;

    long sent = 0, headers = 0, recvd = 0, errors = 0, icmp = 0, stalls = 0, inflight = 0;
    unsigned long long rbytes = 0;
    /* v2-first: each flow opens its session with a header-only datagram (Spectrum's first packet);
       the proxy forwards nothing for it, so it is not in flight. Same socket, so it is queued ahead
       of the flow's payloads. */
    if (g_fmt == FMT_V2_FIRST)
        for (int k = 0; k < g_flows; k++)
            if (send(flows[k].fd, flows[k].hdr, V2_LEN, 0) == V2_LEN) headers++;

    uint8_t in[65536];
    struct epoll_event evs[256];
    double t0 = now(), tend = t0 + g_secs, last_rx = t0;
    int next = 0;
    while (now() < tend) {
        while (inflight < g_window) {
            struct flow *fl = &flows[next];
            if (send(fl->fd, fl->pkt, (size_t)(fl->hlen + g_size), 0) < 0) break;
            next = (next + 1) % g_flows;
            inflight++;
            sent++;
        }
        int n = epoll_wait(ep, evs, 256, 1);
        if (n < 0 && errno != EINTR) { perror("epoll_wait"); return 1; }
        int got = 0;
        for (int i = 0; i < n; i++) {
            /* one datagram per ready socket and wake-up: level-triggered epoll reports the rest
               next time, which saves the load generator an EAGAIN call per socket */
            struct flow *fl = &flows[evs[i].data.u32];
            ssize_t r = recv(fl->fd, in, sizeof in, 0);
            if (r < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK) icmp++; /* ICMP on the connected socket */
                continue;
            }
            got++;
            if (inflight > 0) inflight--;
            if (reply_ok(fl, in, r)) { recvd++; rbytes += (unsigned long long)r; }
            else errors++;
        }
        double t = now();
        if (got) last_rx = t;
        else if (t - last_rx > 0.02) { /* nothing back for 20 ms: loss; refill the window */
            stalls++;
            inflight = 0;
            last_rx = t;
        }
    }
    double dt = now() - t0;
    long recvd_in_time = recvd;
    unsigned long long rbytes_in_time = rbytes;
    /* late replies for up to 200 ms; what is still missing was lost */
    double dl = now() + 0.2;
    while (recvd + errors < sent && now() < dl) {
        int n = epoll_wait(ep, evs, 256, 10);
        for (int i = 0; i < n; i++) {
            struct flow *fl = &flows[evs[i].data.u32];
            ssize_t r;
            while ((r = recv(fl->fd, in, sizeof in, 0)) >= 0) {
                if (reply_ok(fl, in, r)) recvd++;
                else errors++;
            }
        }
    }
    long lost = sent - recvd - errors;
    printf("RESULT format=%s flows=%d window=%d size=%d secs=%.3f sent=%ld headers=%ld recvd=%ld errors=%ld "
           "icmp=%ld lost=%ld stalls=%ld pkts_s=%.0f MBps=%.2f\n",
           FMT_NAMES[g_fmt], g_flows, g_window, g_size, dt, sent, headers, recvd, errors, icmp, lost > 0 ? lost : 0,
           stalls, recvd_in_time / dt, rbytes_in_time / dt / 1e6);
    return recvd ? 0 : 1;
}
