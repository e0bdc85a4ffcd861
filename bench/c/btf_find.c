// SPDX-License-Identifier: MIT
//
// Reference timing for bench/btf_compare.ts: open a BTF file with libbpf and
// find one struct by name, N times in one process, each iteration on a fresh
// `struct btf` (parse + find + free). Prints one line:
//
//   id=<type id> iters=<N> cold_ns=<first iteration> median_ns=<median> min_ns=<min>
//
// Build: cc -O2 bench/c/btf_find.c -lbpf -o bench/build/btf_find
// Usage: btf_find [PATH [NAME [N]]]   (defaults: /sys/kernel/btf/vmlinux task_struct 20)

#include <bpf/btf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux";
	const char *name = argc > 2 ? argv[2] : "task_struct";
	int n = argc > 3 ? atoi(argv[3]) : 20;
	if (n < 1) n = 1;

	uint64_t *t = calloc((size_t)n, sizeof(*t));
	if (!t) return 1;
	int id = -1;
	for (int i = 0; i < n; i++) {
		uint64_t start = now_ns();
		struct btf *btf = btf__parse(path, NULL);
		if (!btf) {
			fprintf(stderr, "btf__parse(%s): %s\n", path, strerror(errno));
			return 1;
		}
		id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
		btf__free(btf);
		t[i] = now_ns() - start;
		if (id < 0) {
			fprintf(stderr, "struct %s not found in %s\n", name, path);
			return 1;
		}
	}
	uint64_t cold = t[0];
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	// Median over all iterations (including the first), like the TS side.
	uint64_t median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	printf("id=%d iters=%d cold_ns=%llu median_ns=%llu min_ns=%llu\n", id, n,
	       (unsigned long long)cold, (unsigned long long)median,
	       (unsigned long long)t[0]);
	free(t);
	return 0;
}
