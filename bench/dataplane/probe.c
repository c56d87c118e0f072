// Traffic tools for `npm run bench:dataplane`, compiled with gcc at run time and run inside the benchmark's network
// namespaces. One binary, four modes; every mode prints one JSON line on stdout.
//
//   serve ADDR PORT...                 accept on every PORT; echo what arrives; close on EOF or reset
//   rate ADDR PORT SECONDS             new TCP connections per second: connect, then close with RST (SO_LINGER 0),
//                                      one thread, no pause
//   rr ADDR PORT COUNT MAX_SECONDS     round trips of 1 byte over one TCP connection (TCP_NODELAY); stops after
//                                      COUNT exchanges or MAX_SECONDS, whichever comes first
//   probe ADDR PORT TIMEOUT_MS         one connect: "open", "refused" (reached, nothing listening) or "timeout"
//
// A leading `-c CPU` pins the process to one CPU and raises its priority to nice -20 first: steadier numbers on a
// small VM that other work shares (every ruleset is measured the same way).

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_LISTEN 16

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what) {
  fprintf(stderr, "probe: %s: %s\n", what, strerror(errno));
  exit(1);
}

static struct sockaddr_in address(const char *ip, const char *port) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)atoi(port));
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
    fprintf(stderr, "probe: bad IPv4 address %s\n", ip);
    exit(2);
  }
  return sa;
}

__attribute__((noreturn)) static void serve(int argc, char **argv) {
  int ep = epoll_create1(0);
  if (ep < 0) fail("epoll_create1");
  int listeners[MAX_LISTEN];
  int count = 0;
  for (int i = 3; i < argc && count < MAX_LISTEN; i++) {
    struct sockaddr_in sa = address(argv[2], argv[i]);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s < 0) fail("socket");
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0) fail("bind");
    if (listen(s, 4096) != 0) fail("listen");
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) != 0) fail("epoll_ctl");
    listeners[count++] = s;
  }
  printf("{\"listening\":%d}\n", count);
  fflush(stdout);
  struct epoll_event events[256];
  char buf[65536];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      int listening = 0;
      for (int j = 0; j < count; j++)
        if (listeners[j] == fd) listening = 1;
      if (listening) {
        for (;;) {
          int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
          if (c < 0) break;
          int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};
          if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) != 0) close(c);
        }
        continue;
      }
      ssize_t got = read(fd, buf, sizeof buf);
      if (got > 0) {
        // Echo; a 1-byte request always fits the send buffer, and bulk senders are not served here.
        ssize_t off = 0;
        while (off < got) {
          ssize_t w = write(fd, buf + off, (size_t)(got - off));
          if (w <= 0) break;
          off += w;
        }
        continue;
      }
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      close(fd);  // EOF or reset; close also removes it from the epoll set
    }
  }
}

static int rate(char **argv) {
  struct sockaddr_in sa = address(argv[2], argv[3]);
  double seconds = atof(argv[4]);
  struct timeval limit = {.tv_sec = 2, .tv_usec = 0};
  struct linger rst = {.l_onoff = 1, .l_linger = 0};
  long ok = 0, failed = 0;
  double start = now(), end = start + seconds, t = start;
  while (t < end) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) fail("socket");
    // A dropped SYN would otherwise block for minutes of retransmits.
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0)
      ok++;
    else
      failed++;
    setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
    close(s);
    t = now();
  }
  printf("{\"connections\":%ld,\"failures\":%ld,\"seconds\":%.6f}\n", ok, failed, t - start);
  return 0;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int rr(char **argv) {
  struct sockaddr_in sa = address(argv[2], argv[3]);
  long count = atol(argv[4]);
  double max_seconds = atof(argv[5]);
  if (count < 1) count = 1;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) fail("socket");
  struct timeval limit = {.tv_sec = 5, .tv_usec = 0};
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) fail("connect");
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  double *samples = malloc(sizeof(double) * (size_t)count);
  if (samples == NULL) fail("malloc");
  char byte = 'x';
  long done = 0;
  double start = now(), end = start + max_seconds, total = 0;
  while (done < count) {
    double t0 = now();
    if (t0 >= end) break;
    if (write(s, &byte, 1) != 1) fail("write");
    if (read(s, &byte, 1) != 1) fail("read");
    double us = (now() - t0) * 1e6;
    samples[done++] = us;
    total += us;
  }
  close(s);
  if (done == 0) {
    fprintf(stderr, "probe: no round trip completed\n");
    return 1;
  }
  qsort(samples, (size_t)done, sizeof(double), compare_double);
  double median = done % 2 ? samples[done / 2] : (samples[done / 2 - 1] + samples[done / 2]) / 2;
  printf("{\"exchanges\":%ld,\"medianUs\":%.3f,\"meanUs\":%.3f,\"p99Us\":%.3f,\"seconds\":%.6f}\n", done, median,
         total / (double)done, samples[(long)((double)(done - 1) * 0.99)], now() - start);
  free(samples);
  return 0;
}

static int probe(char **argv) {
  struct sockaddr_in sa = address(argv[2], argv[3]);
  int timeout_ms = atoi(argv[4]);
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (s < 0) fail("socket");
  const char *result = "timeout";
  if (connect(s, (struct sockaddr *)&sa, sizeof sa) == 0) {
    result = "open";
  } else if (errno == EINPROGRESS) {
    struct pollfd p = {.fd = s, .events = POLLOUT};
    if (poll(&p, 1, timeout_ms) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      result = err == 0 ? "open" : err == ECONNREFUSED ? "refused" : "timeout";
    }
  } else if (errno == ECONNREFUSED) {
    result = "refused";
  }
  struct linger rst = {.l_onoff = 1, .l_linger = 0};
  setsockopt(s, SOL_SOCKET, SO_LINGER, &rst, sizeof rst);
  close(s);
  printf("{\"result\":\"%s\"}\n", result);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "-c") == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(atoi(argv[2]), &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) fail("sched_setaffinity");
    if (setpriority(PRIO_PROCESS, 0, -20) != 0) fail("setpriority");
    argv[2] = argv[0];
    argv += 2;
    argc -= 2;
  }
  if (argc >= 4 && strcmp(argv[1], "serve") == 0) serve(argc, argv);
  if (argc == 5 && strcmp(argv[1], "rate") == 0) return rate(argv);
  if (argc == 6 && strcmp(argv[1], "rr") == 0) return rr(argv);
  if (argc == 5 && strcmp(argv[1], "probe") == 0) return probe(argv);
  fprintf(stderr,
          "usage: probe serve ADDR PORT... | rate ADDR PORT SECONDS | rr ADDR PORT COUNT MAX_SECONDS | "
          "probe ADDR PORT TIMEOUT_MS\n");
  return 2;
}
