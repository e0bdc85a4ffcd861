// SPDX-License-Identifier: GPL-2.0
/*
 * The producer of the ring buffer benchmark (bench/ringbuf_compare.ts):
 * a SEC("syscall") program, run with BPF_PROG_TEST_RUN, that writes
 * args.count 32-byte records with bpf_loop (40 bytes per record in the
 * ring with the header). RING_SIZE sets the ring's size at build time.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "../../perf/ringbuf.h"

#ifndef RING_SIZE
#define RING_SIZE (1 << 20)
#endif

struct rec {
	__u32 a;
	__u32 b;
	__u32 c;
	__u32 d;
	__u64 e;
	__u64 f;
};

struct rec *unused_rec __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RING_SIZE);
} ring SEC(".maps");

struct args {
	__u32 count;   /* records to write */
	__u32 written; /* out */
	__u32 failed;  /* out */
	__u32 pad;
};

static long one(__u32 i, struct args *a)
{
	struct rec *r = bpfview_ringbuf_reserve(&ring, sizeof(*r), 0);

	if (!r) {
		a->failed++;
		return 0;
	}
	r->a = i;
	r->b = i * 2;
	r->c = i * 3;
	r->d = 0;
	r->e = i;
	r->f = 0;
	bpf_ringbuf_submit(r, 0);
	a->written++;
	return 0;
}

SEC("syscall")
int fill(struct args *ctx)
{
	struct args a = { 0 };

	/* Masked: the kernel's inlined bpf_loop compares all 64 bits of the
	 * register, whose upper half clang may leave holding other data. */
	bpf_loop(ctx->count & 0xffffff, one, &a, 0);
	ctx->written = a.written;
	ctx->failed = a.failed;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
