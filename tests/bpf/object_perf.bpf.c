// SPDX-License-Identifier: GPL-2.0
/*
 * Events through a BPF_MAP_TYPE_PERF_EVENT_ARRAY (bpf_perf_event_output):
 * one per getppid() call of one process, for tests/perf_buffer_test.ts.
 * With short_every N, every Nth record is only its first 8 bytes (pid and
 * seq): a record too short for struct event.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 pid;
	__u32 seq;
	__u64 value;
	char comm[16];
};

/* Keeps struct event in BTF: no map names it as a key or value type. */
struct event *unused_event __attribute__((unused));

const volatile __u32 target_pid = 0;
/* 0, or one thread: test files of one `deno test --parallel` share a pid */
const volatile __u32 target_tid = 0;
const volatile __u32 short_every = 0; /* 0: no short records */
__u32 seq;

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	if (pid != target_pid || (target_tid && (__u32)id != target_tid))
		return 0;
	struct event e = { .pid = pid, .seq = seq++ }; /* one caller: the test */
	e.value = 0x1000000000ULL + e.seq;
	bpf_get_current_comm(e.comm, sizeof(e.comm));
	if (short_every && e.seq % short_every == short_every - 1)
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, 8);
	else
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
