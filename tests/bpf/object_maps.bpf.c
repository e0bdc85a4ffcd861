// SPDX-License-Identifier: GPL-2.0
/*
 * Maps without programs, filled from user space: a histogram (a hash of
 * buckets to struct values), a per-CPU array and an LPM trie (which the
 * kernel cannot read in batches). For tests/object_test.ts and
 * bench/map_compare.ts.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bucket {
	__u32 slot;
	__u32 cpu;
};

struct hist_value {
	__u64 count;
	__u64 sum_ns;
	__u32 min_ns, max_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct bucket);
	__type(value, struct hist_value);
} hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct hist_value);
} per_cpu SEC(".maps");

struct v4_prefix {
	__u32 prefixlen;
	__u8 addr[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct v4_prefix);
	__type(value, __u32);
} routes SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
