/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause OR MIT) */
/*
 * bpfview ring buffer helpers: count what the ring buffer drops.
 *
 * The kernel does not count BPF ring buffer drops: bpf_ringbuf_reserve()
 * returns NULL and bpf_ringbuf_output() -EAGAIN when the ring is full, and
 * the record is gone. Include this header in a BPF program (after
 * <bpf/bpf_helpers.h>) and reserve/output through the helpers below: every
 * failure adds one to a per-CPU counter in the map `bpfview_lost`. bpfview
 * finds that map by name in the object and reports the sum over CPUs as
 * `stats.lost` of the object's ring buffers (one counter per object: with
 * several ring buffers, it counts the drops of all of them).
 *
 *   #include <linux/bpf.h>
 *   #include <bpf/bpf_helpers.h>
 *   #include "ringbuf.h"      // from the bpfview package: perf/ringbuf.h
 *
 *   struct event { __u32 pid; char comm[16]; };
 *   struct event *unused_event __attribute__((unused)); // keeps the type in BTF
 *   struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 20); } events SEC(".maps");
 *
 *   SEC("tp/sched/sched_process_exec") int on_exec(void *ctx) {
 *           struct event *e = bpfview_ringbuf_reserve(&events, sizeof(*e), 0);
 *           if (!e) return 0; // counted
 *           e->pid = bpf_get_current_pid_tgid() >> 32;
 *           bpf_get_current_comm(e->comm, sizeof(e->comm));
 *           bpf_ringbuf_submit(e, 0);
 *           return 0;
 *   }
 */
#ifndef BPFVIEW_RINGBUF_H
#define BPFVIEW_RINGBUF_H

/* Drops per CPU: key 0, value __u64. The name is what bpfview looks for. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bpfview_lost SEC(".maps");

/* Adds one to this CPU's drop counter. */
static __always_inline void bpfview_count_lost(void)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&bpfview_lost, &key);

	if (n)
		__sync_fetch_and_add(n, 1); /* exact even if a program interrupts another on this CPU */
}

/* bpf_ringbuf_reserve() that counts a failure as one lost record. */
static __always_inline void *bpfview_ringbuf_reserve(void *ringbuf, __u64 size, __u64 flags)
{
	void *p = bpf_ringbuf_reserve(ringbuf, size, flags);

	if (!p)
		bpfview_count_lost();
	return p;
}

/* bpf_ringbuf_output() that counts a failure as one lost record. */
static __always_inline long bpfview_ringbuf_output(void *ringbuf, void *data, __u64 size,
						   __u64 flags)
{
	long err = bpf_ringbuf_output(ringbuf, data, size, flags);

	if (err)
		bpfview_count_lost();
	return err;
}

#endif /* BPFVIEW_RINGBUF_H */
