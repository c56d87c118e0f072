/*
 * bhprobe: the traffic tool of the enforcement end-to-end tests, built static and put into the test image
 * (busybox's nc has no UDP). Three modes:
 *
 *   bhprobe serve PORT...            TCP and UDP on every PORT: a TCP client gets "ok\n" and then an echo of what
 *                                     it sends; a UDP datagram gets "ok" back.
 *   bhprobe probe TIMEOUT_MS T...    T is tcp:IP:PORT, udp:IP:PORT or sctp:IP:PORT; all at once; prints "T open"
 *                                     or "T closed" per target. TCP is open when "ok" arrives; UDP when the reply
 *                                     arrives; SCTP (IPv4) when an INIT sent to PORT is answered with an INIT ACK.
 *
 * SCTP goes over raw sockets: the test kernel has no SCTP stack (CONFIG_IP_SCTP is off) but netfilter tracks SCTP
 * and nft matches its ports, so `serve` answers INIT chunks to its ports itself, with the verification tag
 * conntrack checks, and `probe` writes the INIT. Both need CAP_NET_RAW, which containers have.
 *   bhprobe hold IP PORT             one long-lived TCP connection: writes a line every 200 ms and prints
 *                                     "alive N" per echo; prints "cut" and exits 3 when an echo is 1 s late.
 *   bhprobe rawecho PROTO            answers every IPv4 packet of protocol PROTO with a one-byte packet of it.
 *   bhprobe raw TIMEOUT_MS IP PROTO BYTES
 *                                     sends IPv4 packets of protocol PROTO with BYTES bytes of payload (too few
 *                                     for a transport header's ports when under 4) until IP answers ("open") or
 *                                     the time is up ("closed"). Needs CAP_NET_RAW, which containers have.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 4096

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int parse_addr(const char *ip, int port, struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)out;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
  if (inet_pton(AF_INET, ip, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof *v4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, ip, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof *v6;
    return AF_INET6;
  }
  return -1;
}

/* CRC32c (Castagnoli), the SCTP checksum (RFC 9260, appendix A); stored least significant byte first. */
static uint32_t crc32c(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}

static void put16(uint8_t *p, unsigned v) { p[0] = v >> 8, p[1] = v & 0xff; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v >> 16), put16(p + 2, v & 0xffff); }
static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

/*
 * An SCTP packet with one INIT (type 1) or INIT ACK (type 2) chunk: common header (ports, verification tag,
 * checksum), then the chunk (type, flags, length, initiate tag, a_rwnd, streams out and in, initial TSN) and, for
 * an INIT ACK, the State Cookie parameter it must carry. Returns its length.
 */
static size_t sctp_init(uint8_t *buf, int type, unsigned sport, unsigned dport, uint32_t vtag, uint32_t init_tag) {
  size_t chunk = type == 1 ? 20 : 28;
  memset(buf, 0, 12 + chunk);
  put16(buf, sport);
  put16(buf + 2, dport);
  put32(buf + 4, vtag);
  uint8_t *c = buf + 12;
  c[0] = type;
  put16(c + 2, chunk);
  put32(c + 4, init_tag);
  put32(c + 8, 65536);
  put16(c + 12, 1);
  put16(c + 14, 1);
  put32(c + 16, init_tag);
  if (type == 2) {
    put16(c + 20, 7); /* State Cookie */
    put16(c + 22, 8);
    put32(c + 24, init_tag);
  }
  uint32_t sum = crc32c(buf, 12 + chunk);
  buf[8] = sum & 0xff, buf[9] = (sum >> 8) & 0xff, buf[10] = (sum >> 16) & 0xff, buf[11] = sum >> 24;
  return 12 + chunk;
}

/* The SCTP part of a packet read from an IPv4 raw socket (the IP header first), or NULL when too short. */
static const uint8_t *sctp_of(const uint8_t *packet, ssize_t len, ssize_t *sctp_len) {
  if (len < 20) return NULL;
  size_t header = (size_t)(packet[0] & 0x0f) * 4;
  if ((ssize_t)header + 12 + 20 > len) return NULL;
  *sctp_len = len - (ssize_t)header;
  return packet + header;
}

static int serve(int argc, char **argv) {
  struct pollfd fds[MAX_FDS];
  int kinds[MAX_FDS]; /* 0 tcp listener, 1 udp, 2 tcp client, 3 raw sctp */
  int n = 0;
  for (int i = 0; i < argc; i++) {
    int port = atoi(argv[i]);
    struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = in6addr_any};
    int off = 0, on = 1;
    int t = socket(AF_INET6, SOCK_STREAM, 0);
    setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    setsockopt(t, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (bind(t, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(t, 512) != 0) {
      perror("tcp");
      return 2;
    }
    int u = socket(AF_INET6, SOCK_DGRAM, 0);
    setsockopt(u, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    if (bind(u, (struct sockaddr *)&addr, sizeof addr) != 0) {
      perror("udp");
      return 2;
    }
    fds[n] = (struct pollfd){.fd = t, .events = POLLIN};
    kinds[n++] = 0;
    fds[n] = (struct pollfd){.fd = u, .events = POLLIN};
    kinds[n++] = 1;
  }
  int sctp = socket(AF_INET, SOCK_RAW, IPPROTO_SCTP);
  if (sctp >= 0) {
    fds[n] = (struct pollfd){.fd = sctp, .events = POLLIN};
    kinds[n++] = 3;
  }
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    if (poll(fds, n, -1) < 0) continue;
    for (int i = 0; i < n; i++) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      if (kinds[i] == 3) {
        /* An INIT to one of our ports: answer with an INIT ACK whose verification tag is the INIT's initiate tag. */
        uint8_t packet[2048], reply[64];
        struct sockaddr_in from;
        socklen_t len = sizeof from;
        ssize_t r = recvfrom(fds[i].fd, packet, sizeof packet, 0, (struct sockaddr *)&from, &len), sctp_len;
        const uint8_t *h = r > 0 ? sctp_of(packet, r, &sctp_len) : NULL;
        if (h == NULL || h[12] != 1) continue;
        int ours = 0;
        for (int a = 0; a < argc; a++) ours |= atoi(argv[a]) == (int)get16(h + 2);
        if (!ours) continue;
        size_t size = sctp_init(reply, 2, get16(h + 2), get16(h), get32(h + 16), 0x5ca1ab1eu);
        sendto(fds[i].fd, reply, size, 0, (struct sockaddr *)&from, len);
        continue;
      }
      if (kinds[i] == 0) {
        int c = accept(fds[i].fd, NULL, NULL);
        if (c < 0) continue;
        if (n >= MAX_FDS || write(c, "ok\n", 3) != 3) {
          close(c);
          continue;
        }
        fds[n] = (struct pollfd){.fd = c, .events = POLLIN};
        kinds[n++] = 2;
      } else if (kinds[i] == 1) {
        char buf[512];
        struct sockaddr_storage from;
        socklen_t len = sizeof from;
        if (recvfrom(fds[i].fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) >= 0)
          sendto(fds[i].fd, "ok", 2, 0, (struct sockaddr *)&from, len);
      } else {
        char buf[512];
        ssize_t r = read(fds[i].fd, buf, sizeof buf);
        if (r <= 0 || write(fds[i].fd, buf, r) != r) {
          close(fds[i].fd);
          fds[i] = fds[n - 1];
          kinds[i] = kinds[n - 1];
          n--;
          i--;
        }
      }
    }
  }
}

struct target {
  char text[96];
  int udp, sctp, fd, done, open;
  struct sockaddr_storage addr;
  socklen_t len;
  long last_send;
};

/* Sends target i's SCTP INIT: from port 30000 + i, initiate tag 0x1000 + i (what its INIT ACK must carry back). */
static void sctp_send_init(int fd, struct target *t, int i) {
  uint8_t packet[64];
  struct sockaddr_in *to = (struct sockaddr_in *)&t->addr;
  size_t size = sctp_init(packet, 1, 30000 + i, ntohs(to->sin_port), 0, 0x1000u + i);
  struct sockaddr_in dst = {.sin_family = AF_INET, .sin_addr = to->sin_addr};
  sendto(fd, packet, size, 0, (struct sockaddr *)&dst, sizeof dst);
  t->last_send = now_ms();
}

static int probe(int argc, char **argv) {
  long timeout = atol(argv[0]);
  int count = argc - 1;
  struct target *t = calloc(count, sizeof *t);
  /* One pollfd per target, then the raw SCTP socket that all SCTP targets share. */
  struct pollfd *fds = calloc(count + 1, sizeof *fds);
  int sctp = -1;
  fds[count] = (struct pollfd){.fd = -1, .events = POLLIN};
  for (int i = 0; i < count; i++) {
    char spec[96], *proto, *ip, *port;
    snprintf(spec, sizeof spec, "%s", argv[i + 1]);
    snprintf(t[i].text, sizeof t[i].text, "%s", argv[i + 1]);
    proto = spec;
    ip = strchr(proto, ':');
    port = ip ? strrchr(ip + 1, ':') : NULL;
    if (!ip || !port) {
      fprintf(stderr, "bad target %s\n", argv[i + 1]);
      return 2;
    }
    *ip++ = 0;
    *port++ = 0;
    t[i].udp = strcmp(proto, "udp") == 0;
    t[i].sctp = strcmp(proto, "sctp") == 0;
    int family = parse_addr(ip, atoi(port), &t[i].addr, &t[i].len);
    if (family < 0 || (t[i].sctp && family != AF_INET)) {
      fprintf(stderr, "bad address %s\n", ip);
      return 2;
    }
    if (t[i].sctp) {
      if (sctp < 0 && (sctp = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_SCTP)) < 0) {
        perror("raw sctp socket");
        return 2;
      }
      fds[count].fd = sctp;
      t[i].fd = -1;
      sctp_send_init(sctp, &t[i], i);
      fds[i] = (struct pollfd){.fd = -1};
      continue;
    }
    t[i].fd = socket(family, (t[i].udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK, 0);
    if (t[i].udp) {
      connect(t[i].fd, (struct sockaddr *)&t[i].addr, t[i].len);
      send(t[i].fd, "x", 1, 0);
      t[i].last_send = now_ms();
    } else {
      connect(t[i].fd, (struct sockaddr *)&t[i].addr, t[i].len);
    }
    fds[i] = (struct pollfd){.fd = t[i].fd, .events = POLLIN};
  }
  long deadline = now_ms() + timeout;
  int remaining = count;
  while (remaining > 0 && now_ms() < deadline) {
    poll(fds, count + 1, 50);
    if (fds[count].revents & POLLIN) {
      uint8_t packet[2048];
      struct sockaddr_in from;
      socklen_t len = sizeof from;
      ssize_t r, sctp_len;
      while ((r = recvfrom(sctp, packet, sizeof packet, 0, (struct sockaddr *)&from, &len)) > 0) {
        const uint8_t *h = sctp_of(packet, r, &sctp_len);
        if (h == NULL || h[12] != 2) continue;
        for (int i = 0; i < count; i++) {
          struct sockaddr_in *to = (struct sockaddr_in *)&t[i].addr;
          if (!t[i].sctp || t[i].done || from.sin_addr.s_addr != to->sin_addr.s_addr) continue;
          if (get16(h) != ntohs(to->sin_port) || get16(h + 2) != 30000u + i || get32(h + 4) != 0x1000u + i) continue;
          t[i].open = t[i].done = 1;
          remaining--;
        }
        len = sizeof from;
      }
    }
    for (int i = 0; i < count; i++) {
      if (t[i].done) continue;
      if (t[i].sctp) {
        if (now_ms() - t[i].last_send >= 200) sctp_send_init(sctp, &t[i], i); /* may be lost; retry */
        continue;
      }
      if (t[i].udp && now_ms() - t[i].last_send >= 200) {
        send(t[i].fd, "x", 1, 0); /* UDP may be lost; retry */
        t[i].last_send = now_ms();
      }
      if (!(fds[i].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      char buf[16];
      ssize_t r = recv(t[i].fd, buf, sizeof buf, 0);
      if (r >= 2 && buf[0] == 'o' && buf[1] == 'k') t[i].open = 1;
      if (r >= 0 || (errno != EAGAIN && errno != ECONNREFUSED) || !t[i].udp) {
        t[i].done = 1;
        fds[i].fd = -1;
        remaining--;
      }
    }
  }
  for (int i = 0; i < count; i++) printf("%s %s\n", t[i].text, t[i].open ? "open" : "closed");
  return 0;
}

static int hold(char *ip, int port) {
  struct sockaddr_storage addr;
  socklen_t len;
  int family = parse_addr(ip, port, &addr, &len);
  int fd = socket(family, SOCK_STREAM, 0);
  struct timeval tv = {.tv_sec = 1};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  if (connect(fd, (struct sockaddr *)&addr, len) != 0) {
    printf("refused\n");
    return 2;
  }
  char buf[64];
  if (recv(fd, buf, 3, MSG_WAITALL) != 3) {
    printf("cut\n");
    return 3;
  }
  for (long n = 1;; n++) {
    if (send(fd, "ping\n", 5, 0) != 5 || recv(fd, buf, 5, MSG_WAITALL) != 5) {
      printf("cut\n");
      return 3;
    }
    printf("alive %ld\n", n);
    usleep(200000);
  }
}

static int rawecho(int proto) {
  int fd = socket(AF_INET, SOCK_RAW, proto);
  if (fd < 0) {
    perror("raw socket");
    return 2;
  }
  for (;;) {
    char buf[2048];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) >= 0)
      sendto(fd, "k", 1, 0, (struct sockaddr *)&from, len);
  }
}

static int raw(long timeout, const char *ip, int proto, int bytes) {
  struct sockaddr_in to = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, ip, &to.sin_addr) != 1 || bytes < 0 || bytes > 64) {
    fprintf(stderr, "bad raw target %s\n", ip);
    return 2;
  }
  int fd = socket(AF_INET, SOCK_RAW, proto);
  if (fd < 0) {
    perror("raw socket");
    return 2;
  }
  struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char payload[64] = {0};
  long deadline = now_ms() + timeout;
  while (now_ms() < deadline) {
    sendto(fd, payload, bytes, 0, (struct sockaddr *)&to, sizeof to);
    char buf[2048];
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &len) > 0 &&
        from.sin_addr.s_addr == to.sin_addr.s_addr) {
      printf("open\n");
      return 0;
    }
  }
  printf("closed\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "serve") == 0) return serve(argc - 2, argv + 2);
  if (argc >= 3 && strcmp(argv[1], "probe") == 0) return probe(argc - 2, argv + 2);
  if (argc == 4 && strcmp(argv[1], "hold") == 0) return hold(argv[2], atoi(argv[3]));
  if (argc == 3 && strcmp(argv[1], "rawecho") == 0) return rawecho(atoi(argv[2]));
  if (argc == 6 && strcmp(argv[1], "raw") == 0) return raw(atol(argv[2]), argv[3], atoi(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: bhprobe serve PORT... | probe TIMEOUT_MS tcp:IP:PORT|udp:IP:PORT... | hold IP PORT | "
                  "rawecho PROTO | raw TIMEOUT_MS IP PROTO BYTES\n");
  return 2;
}
