/* startup_probe.c - time from exec of a proxy to its first accepted TCP connection.
 * usage: startup_probe PORT CMD ARGS...   (prints "startup_ms=N.N cpu_ms=N", kills the proxy)
 * Spins connect() on 127.0.0.1:PORT every 250 us; the proxy is killed with SIGTERM afterwards. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s PORT CMD ARGS...\n", argv[0]); return 2; }
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    double t0 = now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        if (devnull >= 0) { dup2(devnull, 1); dup2(devnull, 2); }
        execvp(argv[2], argv + 2);
        _exit(127);
    }
    int ok = 0;
    while (now_ms() - t0 < 10000) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) { close(fd); ok = 1; break; }
        close(fd);
        if (waitpid(pid, NULL, WNOHANG) == pid) { fprintf(stderr, "proxy exited\n"); return 1; }
        usleep(250);
    }
    double t1 = now_ms();
    /* CPU the proxy used until then (utime + stime): start-up work independent of machine load */
    char path[64], buf[1024];
    double cpu_ms = -1;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        char *p = strrchr(buf, ')');
        unsigned long ut = 0, st = 0;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2)
            cpu_ms = (ut + st) * 1000.0 / sysconf(_SC_CLK_TCK);
    }
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    if (!ok) { fprintf(stderr, "no connection within 10 s\n"); return 1; }
    printf("startup_ms=%.1f cpu_ms=%.0f\n", t1 - t0, cpu_ms);
    return 0;
}
