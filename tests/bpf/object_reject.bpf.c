// SPDX-License-Identifier: GPL-2.0
/*
 * A program the verifier rejects (a map value used without its NULL
 * check), for the verifier-log error test of tests/object_test.ts.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int unchecked(void *ctx)
{
	__u32 k = 0;
	__u64 *v = bpf_map_lookup_elem(&vals, &k);
	return *v; /* no NULL check: rejected */
}

char LICENSE[] SEC("license") = "GPL";
