// SPDX-License-Identifier: MIT
//
// Reference timing for bench/btf_compare.ts: open a BTF file with libbpf and
// find one struct by name, N times in one process, each iteration on a fresh
// `struct btf` (parse + find + free), timed with clock_gettime(CLOCK_MONOTONIC).
// Then, for a breakdown, N plain reads of the file into a fresh malloc'd
// buffer (what btf__parse does first for raw BTF). Prints one line:
//
//   id=<type id> iters=<N> cold_ns=<first iteration> median_ns=<median>
//   min_ns=<min> read_median_ns=<median plain read>
//
// Build: cc -O2 bench/c/btf_find.c -lbpf -o bench/build/btf_find
// Usage: btf_find [PATH [NAME [N]]]   (defaults: /sys/kernel/btf/vmlinux task_struct 20)

#include <bpf/btf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

// Sorts t and returns its median (mean of the middle two for even n).
static uint64_t median_u64(uint64_t *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_u64);
	return n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

// Reads the whole file into a malloc'd buffer (fstat, then one fread of
// st_size bytes, as libbpf does for raw BTF) and frees it. Returns a byte
// of the data so the read is not optimized away, or -1.
static int read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) return -1;
	struct stat st;
	if (fstat(fileno(f), &st) || st.st_size <= 0) {
		fclose(f);
		return -1;
	}
	unsigned char *buf = malloc((size_t)st.st_size);
	size_t got = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	int ret = buf && got == (size_t)st.st_size ? buf[got / 2] : -1;
	free(buf);
	return ret;
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
	// Median over all iterations (including the first), like the TS side.
	uint64_t median = median_u64(t, n);
	uint64_t min = t[0];

	for (int i = 0; i < n; i++) {
		uint64_t start = now_ns();
		if (read_file(path) < 0) {
			fprintf(stderr, "cannot read %s\n", path);
			return 1;
		}
		t[i] = now_ns() - start;
	}
	uint64_t read_median = median_u64(t, n);

	printf("id=%d iters=%d cold_ns=%llu median_ns=%llu min_ns=%llu read_median_ns=%llu\n", id, n,
	       (unsigned long long)cold, (unsigned long long)median, (unsigned long long)min,
	       (unsigned long long)read_median);
	free(t);
	return 0;
}
