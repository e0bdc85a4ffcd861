// The C baseline of bench/perf_compare.ts: a perf ring consumer for one
// tracepoint on one thread, written as a C programmer would (mmap, acquire
// load of data_head, release store of data_tail, records that wrap joined).
//
//   perf_consumer ID PID PAGES follow   drain (1 ms sleeps while data flows, poll when idle)
//                                       until a line on stdin, then drain and print counts
//   perf_consumer ID PID PAGES peek R   wait for a line, then walk the filled ring R times
//                                       without freeing it, print ns per sample
// Per sample it reads what bpfview's side reads: the header, pid, tid, time, cpu, the raw
// size and one payload field (u32 at payload offset FIELD_OFF).
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FIELD_OFF 8

static struct perf_event_mmap_page *meta;
static unsigned char *data;
static uint64_t size, tail;
static uint64_t samples, lost, sum;
static unsigned char join[65536];

// CPU time of the process: on a loaded machine wall time mostly measures the wait for a core.
static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void record(const unsigned char *r) {
  const struct perf_event_header *h = (const void *)r;
  if (h->type == PERF_RECORD_SAMPLE) {
    uint32_t pid, tid, cpu, rawsize;
    uint64_t time;
    memcpy(&pid, r + 8, 4);
    memcpy(&tid, r + 12, 4);
    memcpy(&time, r + 16, 8);
    memcpy(&cpu, r + 24, 4);
    memcpy(&rawsize, r + 32, 4);
    int32_t field;
    memcpy(&field, r + 36 + FIELD_OFF, 4);
    sum += pid + tid + cpu + time + rawsize + (uint32_t)field;
    samples++;
  } else if (h->type == PERF_RECORD_LOST) {
    uint64_t n;
    memcpy(&n, r + 16, 8);
    lost += n;
  }
}

// Reads everything between tail and head; with commit, frees it.
static uint64_t walk(int commit) {
  uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
  uint64_t t = tail, n = 0;
  while (t < head) {
    uint64_t at = t & (size - 1);
    const struct perf_event_header *h = (const void *)(data + at);
    uint16_t len = h->size;
    if (at + len <= size) {
      record(data + at);
    } else {
      uint64_t first = size - at;
      memcpy(join, data + at, first);
      memcpy(join + first, data, len - first);
      record(join);
    }
    t += len;
    n++;
  }
  if (commit) {
    tail = t;
    __atomic_store_n(&meta->data_tail, t, __ATOMIC_RELEASE);
  }
  return n;
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.type = PERF_TYPE_TRACEPOINT;
  a.size = sizeof a;
  a.config = strtoull(argv[1], 0, 10);
  a.sample_period = 1;
  a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_RAW;
  a.disabled = 1;
  a.watermark = 1;
  a.wakeup_watermark = (atol(argv[3]) * sysconf(_SC_PAGESIZE)) / 4;
  int fd = syscall(SYS_perf_event_open, &a, atoi(argv[2]), -1, -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) { perror("perf_event_open"); return 1; }
  long page = sysconf(_SC_PAGESIZE), pages = atol(argv[3]);
  void *m = mmap(0, (pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) { perror("mmap"); return 1; }
  meta = m;
  data = (unsigned char *)m + meta->data_offset;
  size = meta->data_size;
  ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready\n");
  struct pollfd in = {0, POLLIN, 0}, ev = {fd, POLLIN, 0};
  if (strcmp(argv[4], "follow") == 0) {
    for (;;) {
      uint64_t n = walk(1);
      if (poll(&in, 1, 0) > 0) break;  // told to stop
      if (n) {
        usleep(1000);
      } else {
        poll(&ev, 1, 100);
      }
    }
    walk(1);
    printf("samples %llu lost %llu sum %llu\n", (unsigned long long)samples,
           (unsigned long long)lost, (unsigned long long)sum);
  } else {
    int rounds = argc > 5 ? atoi(argv[5]) : 20;
    char line[16];
    if (!fgets(line, sizeof line, stdin)) return 1;
    walk(0);  // warm
    samples = 0;
    double t0 = now();
    for (int i = 0; i < rounds; i++) walk(0);
    double t1 = now();
    printf("ns %.3f samples %llu sum %llu\n", (t1 - t0) * 1e9 / samples,
           (unsigned long long)(samples / rounds), (unsigned long long)sum);
  }
  return 0;
}
