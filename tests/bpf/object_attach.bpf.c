// SPDX-License-Identifier: GPL-2.0
/*
 * One program per auto-attach kind libbpf handles from its section name
 * (tracepoint, raw_tp, tp_btf), each counting this process's
 * getppid() calls into its own .bss counter, and a syscall program that
 * attachAll() skips. For tests/object_test.ts.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 target_pid = 0;
/* 0, or one thread: test files of one `deno test --parallel` share a pid */
const volatile __u32 target_tid = 0;
const volatile __u64 nr_getppid = 110; /* x86-64; the test sets it for other machines */

__u64 tracepoint_hits, raw_tp_hits, tp_btf_hits;

static __always_inline int mine(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	return (id >> 32) == target_pid && (!target_tid || (__u32)id == target_tid);
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_tracepoint(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&tracepoint_hits, 1);
	return 0;
}

SEC("raw_tp/sys_enter")
int on_raw_tp(unsigned long long *ctx)
{
	/* ctx[0]: struct pt_regs *, ctx[1]: the syscall number */
	if (mine() && ctx[1] == nr_getppid)
		__sync_fetch_and_add(&raw_tp_hits, 1);
	return 0;
}

SEC("tp_btf/sys_enter")
int on_tp_btf(unsigned long long *ctx)
{
	if (mine() && ctx[1] == nr_getppid)
		__sync_fetch_and_add(&tp_btf_hits, 1);
	return 0;
}

SEC("syscall")
int not_attachable(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
