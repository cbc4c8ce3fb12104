/* port_holder N MODE: opens N upstream-style transparent connections from 127.9.x.1:30000+k to a
   listener of its own (127.0.0.1:25999, never accepted), the way a PROXY-protocol gateway holds
   client ports, then waits. MODE "bind": bind() the client port (what go-mmproxy and mmproxy before
   0c774f0 do); "range": reserve it at connect (IP_BIND_ADDRESS_NO_PORT + IP_LOCAL_PORT_RANGE = [p, p],
   what mmproxy does now). Used by bench/port-reservation.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
    int n = atoi(argv[1]), range = !strcmp(argv[2], "range"), one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_port = htons(25999)}; inet_pton(AF_INET, "127.0.0.1", &la.sin_addr);
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, 4);
    if (bind(l, (void*)&la, sizeof la) || listen(l, 65535)) { perror("listen"); return 1; }
    for (int k = 0; k < n; k++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fd, SOL_IP, 19, &one, 4);
        struct sockaddr_in a = {.sin_family = AF_INET}; char ip[32]; sprintf(ip, "127.9.%d.1", k / 35000);
        inet_pton(AF_INET, ip, &a.sin_addr);
        int port = 30000 + k % 35000;
        if (range) { setsockopt(fd, SOL_IP, 24, &one, 4); unsigned r = port | (port << 16); setsockopt(fd, SOL_IP, 51, &r, 4); }
        else a.sin_port = htons(port);
        if (bind(fd, (void*)&a, sizeof a)) { perror("bind"); return 1; }
        if (connect(fd, (void*)&la, sizeof la)) { perror("connect"); return 1; }
    }
    printf("bound %d\n", n); fflush(stdout);
    pause();
}
