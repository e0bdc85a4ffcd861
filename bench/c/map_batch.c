// SPDX-License-Identifier: GPL-2.0
/*
 * The C baseline of bench/map_compare.ts: reads a whole map with
 * bpf_map_lookup_batch (libbpf) into two buffers allocated once, and sums
 * the first u64 of every value, ITERS times; prints the median nanoseconds
 * of one read and the sum (so the work is not optimized away).
 *
 *   map_batch MAP_ID ITERS
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MAP_ID ITERS\n", argv[0]);
    return 2;
  }
  int fd = bpf_map_get_fd_by_id(atoi(argv[1]));
  int iters = atoi(argv[2]);
  if (fd < 0) {
    perror("bpf_map_get_fd_by_id");
    return 1;
  }
  struct bpf_map_info info = {};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len)) return 1;
  __u32 cap = info.max_entries;
  char *keys = malloc((size_t)cap * info.key_size);
  char *values = malloc((size_t)cap * info.value_size);
  double *ns = malloc(sizeof(double) * iters);
  uint64_t sum = 0;
  for (int it = 0; it < iters; it++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t in = 0, out = 0;
    void *inp = NULL;
    for (;;) {
      __u32 count = cap;
      int r = bpf_map_lookup_batch(fd, inp, &out, keys, values, &count, NULL);
      for (__u32 i = 0; i < count; i++) {
        uint64_t v;
        memcpy(&v, values + (size_t)i * info.value_size, 8);
        sum += v;
      }
      if (r < 0) {
        if (errno == ENOENT) break;
        perror("bpf_map_lookup_batch");
        return 1;
      }
      in = out;
      inp = &in;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ns[it] = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
  }
  qsort(ns, iters, sizeof(double), cmp);
  printf("%.0f %llu\n", ns[iters / 2], (unsigned long long)sum);
  return 0;
}
