// SPDX-License-Identifier: GPL-2.0
/*
 * Producers for the ring buffer tests (tests/ringbuf_test.ts).
 *
 * - on_getpgid: a tracepoint program that writes one record per getpgid()
 *   of the thread whose pid and tid are target_pid and target_tid (set
 *   through .rodata: deno test runs test files as threads of one process,
 *   and getppid is what other tests count, so neither pid nor getppid
 *   alone would single out this test's calls).
 *   With short_every N, every Nth record is an 8-byte struct short_rec
 *   instead (a record too short for struct event).
 * - produce: a SEC("syscall") program run with BPF_PROG_TEST_RUN whose
 *   context (struct args) says how many records to write, of which sizes,
 *   and which ones to discard; it reports how many it wrote and how many
 *   reservations failed.
 *
 * Every reservation goes through perf/ringbuf.h, so drops are counted in
 * bpfview_lost.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "../../perf/ringbuf.h"

#ifndef RING_SIZE
#define RING_SIZE 4096
#endif
#define BIG_EXTRA (4096 - 40)

struct event {
	__u32 pid;
	__u32 seq;
	__u64 value;
	char comm[16];
	__u32 kind;
	__u32 extra; /* bytes in data[] */
	__u8 data[];
};

/* The record type is used only through pointers: keep it in BTF. */
struct event *unused_event __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RING_SIZE);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} not_a_ring SEC(".maps");

const volatile __u32 target_pid = 0;
const volatile __u32 target_tid = 0; /* 0: any thread of target_pid */
const volatile __u32 short_every = 0; /* 0: no short records */
__u32 hits = 0;

struct short_rec {
	__u32 pid;
	__u32 seq;
};

SEC("tp/syscalls/sys_enter_getpgid")
int on_getpgid(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct event *e;

	if ((__u32)(id >> 32) != target_pid || (target_tid && (__u32)id != target_tid))
		return 0;
	if (short_every && hits % short_every == short_every - 1) {
		struct short_rec r = { .pid = id >> 32, .seq = hits++ };

		bpfview_ringbuf_output(&events, &r, sizeof(r), 0);
		return 0;
	}
	e = bpfview_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = id >> 32;
	e->seq = hits++; /* one thread of the test triggers it */
	e->value = id;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->kind = 1;
	e->extra = 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

struct args {
	__u32 count;         /* records to write */
	__u32 seq;           /* sequence number of the first */
	__u32 discard_every; /* discard every Nth (seq % N == N - 1); 0: none */
	__u32 mode;          /* 0: 40-byte records; 1: 40, 56, 88 bytes by seq % 3; 2: 8-byte
			      * records; 3: 4096-byte records (only pid, seq, extra set) */
	__u32 written;       /* out: records submitted */
	__u32 discarded;     /* out: records discarded */
	__u32 failed;        /* out: reservations that failed */
	__u32 pad;
};

static __always_inline int fill(struct args *a, struct event *e, __u32 seq, __u32 extra)
{
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->seq = seq;
	e->value = (__u64)seq * 1000003 + 17;
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	e->comm[0] = 'r';
	e->comm[1] = 'b';
	e->kind = 2;
	e->extra = extra;
	for (__u32 j = 0; j < extra; j++)
		e->data[j] = (__u8)(seq + j);
	if (a->discard_every && seq % a->discard_every == a->discard_every - 1) {
		bpf_ringbuf_discard(e, 0);
		a->discarded++;
	} else {
		bpf_ringbuf_submit(e, 0);
		a->written++;
	}
	return 0;
}

static long produce_one(__u32 i, struct args *a)
{
	__u32 seq = a->seq + i;
	struct event *e;

	if (a->mode == 2) {
		struct short_rec r = { .pid = bpf_get_current_pid_tgid() >> 32, .seq = seq };

		if (bpfview_ringbuf_output(&events, &r, sizeof(r), 0))
			a->failed++;
		else
			a->written++;
		return 0;
	}
	if (a->mode == 3) {
		/* 4 KiB records, data left as the ring had it: many bytes, few records */
		e = bpfview_ringbuf_reserve(&events, sizeof(*e) + BIG_EXTRA, 0);
		if (!e)
			goto fail;
		e->pid = bpf_get_current_pid_tgid() >> 32;
		e->seq = seq;
		e->extra = BIG_EXTRA;
		bpf_ringbuf_submit(e, 0);
		a->written++;
		return 0;
	}
	if (a->mode == 1 && seq % 3 == 1) {
		e = bpfview_ringbuf_reserve(&events, sizeof(*e) + 16, 0);
		if (!e)
			goto fail;
		return fill(a, e, seq, 16);
	}
	if (a->mode == 1 && seq % 3 == 2) {
		e = bpfview_ringbuf_reserve(&events, sizeof(*e) + 48, 0);
		if (!e)
			goto fail;
		return fill(a, e, seq, 48);
	}
	e = bpfview_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto fail;
	return fill(a, e, seq, 0);
fail:
	a->failed++;
	return 0;
}

SEC("syscall")
int produce(struct args *ctx)
{
	struct args a = *ctx;

	a.written = a.discarded = a.failed = 0;
	/* Masked: clang passes the u32 in a register whose upper half may hold
	 * the next field (seq), and the kernel's inlined bpf_loop compares all
	 * 64 bits against its limit (1 << 23), failing with -E2BIG. */
	bpf_loop(a.count & 0xffffff, produce_one, &a, 0);
	ctx->written = a.written;
	ctx->discarded = a.discarded;
	ctx->failed = a.failed;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
