// SPDX-License-Identifier: GPL-2.0
/*
 * Awkward C types for the C dump tests (tests/btf_dump_c_test.ts). The
 * object's BTF is dumped back to C with dumpC, that header is compiled
 * again, and the two objects' layouts are compared. Never loaded; no
 * vmlinux.h, plain C types only.
 */

#define SEC(name) __attribute__((section(name), used))
#define __user __attribute__((btf_type_tag("user")))
#define __rcu __attribute__((btf_type_tag("rcu")))

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef long long s64;

/* Bitfields: signed, straddling bytes, zero-width, 64-bit, enum-typed. */
enum small { S_A, S_B = 5 };
struct bits {
	unsigned int a : 3;
	signed int b : 5;
	unsigned int c : 7;
	signed int d : 11;
	unsigned int : 0;
	unsigned long long e : 40;
	signed char f : 2;
	enum small es : 4;
	u8 g;
};

/* Bitfields after a hole, then a lone short. */
struct bits_gap {
	u8 a;
	unsigned int b : 4;
	u64 c : 20;
	u16 d;
	u64 e : 7;
};

/* Holes the compiler fills, and explicit padding the dumper must write. */
struct hole {
	char c;
	long long l;
	char tail[3];
};

struct packed_s {
	char c;
	int i;
	long long l;
} __attribute__((packed));

struct packed_inner {
	short s;
	struct packed_s p;
	char tail;
} __attribute__((packed));

/* Packed but naturally aligned: no attribute needed. */
struct packed_natural {
	int a;
	int b;
} __attribute__((packed));

struct aligned_member {
	char c;
	int x __attribute__((aligned(16)));
	char d;
};

struct aligned_struct {
	int a;
} __attribute__((aligned(32)));

struct has_aligned {
	char c;
	struct aligned_struct as;
	char z;
};

/* An over-aligned struct inside a packed one. */
struct packed_with_aligned {
	char c;
	struct aligned_member m;
} __attribute__((packed));

/* Flexible and zero-length arrays. */
struct flex {
	int n;
	long long items[];
};

struct zero_arr {
	short n;
	char data[0];
};

struct empty {
};

/* Function pointers, arrays of them, pointers to arrays, qualifiers. */
typedef int (*cmp_fn)(const void *, const void *);
typedef void handler_t(int sig, ...);
typedef int (*fp_returning_fp(int))(long);

struct fnptrs {
	int (*f)(int, char *);
	void (*arr[4])(void);
	int (*(*ret_fp)(int))(long);
	cmp_fn cmp;
	handler_t *h;
	fp_returning_fp *rfp;
	char (*parr)[8];
	int matrix[2][3];
	const int carr[3];
	const volatile int *cvp;
	int *const cp;
	const char *const *ccpp;
	void *restrict rp;
	u8 (*(*arr_of_ptr_to_arr)[2])[5];
};

/* Enums: signed, 64-bit, negative 64-bit, packed (1 byte). */
enum neg { N_MINUS = -5, N_ZERO = 0, N_BIG = 100 };
enum big64 { B_HUGE = 0xffffffffffffULL, B_ONE = 1 };
enum negbig { NB_MIN = -0x7fffffffffffffffLL - 1, NB_MAX = 0x7fffffffffffffffLL };
enum __attribute__((packed)) byte_enum { BE_A = 1, BE_B = 200 };

/* Typedefs of anonymous types. */
typedef struct {
	int x, y;
} point_t;
typedef enum { RED, GREEN = 7 } color_t;
typedef union {
	u32 w;
	u8 b[4];
} word_t;

struct later;
struct opaque;
union opaque_u;

struct outer {
	union {
		int i;
		float f;
	};
	struct {
		short lo, hi;
	} pair;
	enum { IN_A = 1, IN_B } inline_enum;
	point_t pt;
	color_t color;
	word_t word;
	struct outer *self;
	struct opaque *op;
	union opaque_u *ou;
	struct later *later;
	struct {
		struct inner_named {
			int q;
		} in;
	} *anon_ptr;
	enum byte_enum be;
	enum neg n;
	enum big64 b64;
	enum negbig nb;
	double d;
	_Bool flag;
	int __user *up;
	struct later __rcu *rcu_later;
};

struct later {
	struct outer o;
	int z;
};

/* Mutual references: one through a pointer, one by value. */
struct a_s;
struct b_s {
	struct a_s *a;
	int bv;
};
struct a_s {
	struct b_s b;
	struct a_s *next;
};

/* Arrays of structs holding nested anonymous unions. */
struct anon_arr {
	struct {
		union {
			int i;
			struct {
				short lo;
				union {
					char c;
					u8 b[3];
				};
			};
		};
		char tag;
	} slots[3];
	union {
		struct {
			u32 x : 5;
			u32 y : 27;
		};
		u32 raw;
	} regs[2][2];
};

/* Packed and aligned together: size 8 align 4 with a member off alignment. */
struct pk_al {
	char c;
	int i;
	short s;
} __attribute__((packed, aligned(4)));

struct holds_pk_al {
	char c;
	struct pk_al p;
	char d;
	struct pk_al arr[2];
};

/* Bitfields after a packed char. */
struct pk_bits {
	char c;
	unsigned int a : 3;
	unsigned int b : 20;
	unsigned long long d : 33;
	char e;
} __attribute__((packed));

struct bool_bits {
	_Bool a : 1;
	_Bool b : 1;
	char c;
	_Bool d : 1;
	int e : 4;
	_Bool f;
	_Bool g : 1;
};

/* Duplicate enumerator values. */
enum dupvals { DV_A = 1, DV_B = 1, DV_C = 0, DV_D = 1, DV_E = -1 };

/* Function pointer returning a function pointer returning a function pointer. */
typedef void (*(*(*fp3)(int))(char))(long);

struct fn_arrays {
	int (*grid[2][3])(void *, int);
	void (**pp_arr[4])(int);
	int (*(*arr_fp_ret_fp[2])(int))(long);
	volatile const int vc;
	const volatile int *const volatile cvp_cv;
	volatile const char *const *volatile pp;
	const char *const ccp;
	char (*p)[16];
	char (*const pc)[16];
	const char (*arr_of_ptr_to_arr[2])[16];
	fp3 f3;
	void (*(*fparr)[4])(int);
};

/* Keep every type in the object's BTF. */
struct bits g_bits;
struct bits_gap g_bits_gap;
struct hole g_hole;
struct packed_s g_packed;
struct packed_inner g_packed_inner;
struct packed_natural g_packed_natural;
struct aligned_member g_aligned_member;
struct has_aligned g_has_aligned;
struct packed_with_aligned g_packed_with_aligned;
struct flex g_flex;
struct zero_arr g_zero_arr;
struct empty g_empty;
struct fnptrs g_fnptrs;
struct later g_later;
struct a_s g_a;
enum small g_small;
struct anon_arr g_anon_arr;
struct holds_pk_al g_holds_pk_al;
struct pk_bits g_pk_bits;
struct bool_bits g_bool_bits;
enum dupvals g_dupvals;
struct fn_arrays g_fn_arrays;

char LICENSE[] SEC("license") = "GPL";
