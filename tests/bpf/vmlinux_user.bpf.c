// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF program built against a generated vmlinux.h, for the C dump tests
 * (tests/btf_dump_c_test.ts). It is compiled twice, once with the header
 * from bpfview's dumpC and once with bpftool's, and the two objects' BTF is
 * compared. It is never loaded.
 *
 * It uses kernel types by value (globals) and through pointers (program
 * arguments), so their definitions end up in the object's own BTF:
 * structs with bitfields, packed and over-aligned members, flexible
 * arrays, unions, enums and typedefs.
 */

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* By value: each global keeps its whole type in the object's BTF. */
struct trace_event_raw_sched_switch g_sched_switch; /* ends in char __data[] */
struct trace_event_raw_sched_process_exec g_exec;  /* flexible array too */
struct iphdr g_iphdr;                              /* bitfields ihl:4, version:4 */
struct ethhdr g_ethhdr;                            /* packed */
struct taskstats g_taskstats;                      /* over-aligned member */
struct perf_event_attr g_attr;                     /* a long run of bitfields */
union bpf_attr g_bpf_attr;                         /* a union of anonymous structs */
struct list_head g_list;
struct callback_head g_rcu;                        /* a function pointer member */
struct bpf_insn g_insn;                            /* __u8 dst_reg:4, src_reg:4 */
struct ring_buffer_event g_rb_event;               /* bitfields and u32 array[] */
struct bpf_map_ops g_map_ops;                      /* many function pointers */
atomic_t g_atomic;                                 /* typedef of an anonymous struct */
enum bpf_map_type g_map_type = BPF_MAP_TYPE_HASH;
enum bpf_prog_type g_prog_type = BPF_PROG_TYPE_TRACEPOINT;
u64 g_u64;
pid_t g_pid;

/* Through pointers. */
struct task_struct *g_task;
struct sk_buff *g_skb;
struct mm_struct *g_mm;

char LICENSE[] SEC("license") = "GPL";

SEC("tp/sched/sched_switch")
int on_switch(struct trace_event_raw_sched_switch *ctx)
{
	/* Plain field access (preserve_access_index makes these CO-RE reads). */
	g_pid = ctx->next_pid;
	g_sched_switch.prev_state = ctx->prev_state;
	g_u64 = g_map_type + g_prog_type;
	return 0;
}

SEC("tp_btf/sched_switch")
int on_switch_btf(u64 *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx[1];

	g_task = prev;
	g_pid = prev->pid + prev->tgid;
	g_mm = prev->mm;
	g_u64 = prev->se.vruntime + prev->flags;
	return 0;
}

SEC("fentry/kfree_skb")
int on_skb(u64 *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)ctx[0];

	g_skb = skb;
	g_u64 = skb->len + skb->pkt_type + skb->protocol;
	return 0;
}
