// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF object of tests/object_test.ts: counts getppid() calls of one
 * process (a const volatile filter set before load) into a hash map keyed
 * by a struct, an array of structs, per-CPU maps and globals in .bss,
 * .data and a custom .data section.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

enum mode { MODE_OFF = 0, MODE_COUNT = 1, MODE_BIG = 0x7fffffff };

struct key {
	__u32 pid;
	__u16 tag;
	__u8 kind;
	__u8 pad;
};

struct stats {
	__u64 calls;
	__s32 last_pid;
	__u32 flags : 4, level : 12, rest : 16;
	char comm[16];
};

/* .rodata: set through obj.rodata before load */
const volatile __u32 target_pid = 0;
/* 0, or one thread: test files of one `deno test --parallel` share a pid */
const volatile __u32 target_tid = 0;
const volatile __u64 big_value = 0;
const volatile __s16 small_signed = 0;
const volatile enum mode mode = MODE_OFF;
const volatile char label[8] = "none";
const volatile _Bool enabled = 0;

/* .data */
__u64 data_magic = 0x1122334455667788ULL;
__s32 data_neg = -5;
__u32 data_seen = 1;

/* .bss */
__u64 bss_hits;
__u32 bss_last_pid;
__u64 bss_big_echo;
__s16 bss_small_echo;
__u32 bss_mode_echo;
char bss_label_echo[8];

/* a custom data section */
__u32 custom_counter SEC(".data.custom") = 7;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct key);
	__type(value, struct stats);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, struct stats);
} slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} percpu_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 16);
	__type(key, struct key);
	__type(value, struct stats);
} percpu_stats SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int on_getppid(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32;
	if (!enabled || pid != target_pid || mode == MODE_OFF)
		return 0;
	if (target_tid && (__u32)id != target_tid)
		return 0;

	struct key k = { .pid = pid, .tag = 0xbeef, .kind = 3 };
	struct stats zero = {};
	struct stats *s = bpf_map_lookup_elem(&counts, &k);
	if (!s) {
		bpf_map_update_elem(&counts, &k, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&counts, &k);
		if (!s)
			return 0;
	}
	__sync_fetch_and_add(&s->calls, 1);
	s->last_pid = pid;
	s->flags = 5;
	s->level = 1000;
	s->rest = 40000;
	bpf_get_current_comm(s->comm, sizeof(s->comm));

	__u32 slot = 2;
	struct stats *a = bpf_map_lookup_elem(&slots, &slot);
	if (a) {
		__sync_fetch_and_add(&a->calls, 1);
		a->last_pid = -(__s32)pid;
		a->level = 7;
	}

	__u32 zero_key = 0;
	__u64 *pc = bpf_map_lookup_elem(&percpu_calls, &zero_key);
	if (pc)
		*pc += 1;

	struct stats *ps = bpf_map_lookup_elem(&percpu_stats, &k);
	if (!ps) {
		bpf_map_update_elem(&percpu_stats, &k, &zero, BPF_NOEXIST);
		ps = bpf_map_lookup_elem(&percpu_stats, &k);
	}
	if (ps)
		ps->calls += 1;

	__sync_fetch_and_add(&bss_hits, 1);
	bss_last_pid = pid;
	bss_big_echo = big_value;
	bss_small_echo = small_signed;
	bss_mode_echo = mode;
	for (int i = 0; i < 8; i++)
		bss_label_echo[i] = label[i];
	data_seen = (__u32)data_magic;
	custom_counter += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
