// Anonymous members whose type is a named struct or union, as kernels built with
// -fms-extensions have (Linux 6.19+: `struct ns_tree;` inside `struct ns_common`).
// Built with `clang -g -O2 -target bpf -fms-extensions`; read by tests/btf_dump_c_ms_test.ts.
struct ns_tree {
	unsigned long long id;
	int node;
};
struct ns_common {
	int count;
	struct ns_tree;
	char tail;
};
typedef struct {
	short a;
	short b;
} pair_t;
struct holder {
	char c;
	pair_t;
	int x;
};
union un {
	int i;
	char bytes[6];
};
struct with_union {
	char c;
	union un;
	long z;
};
struct ns_common g_common;
struct holder g_holder;
struct with_union g_with_union;
