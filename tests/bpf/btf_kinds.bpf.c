// SPDX-License-Identifier: GPL-2.0
/*
 * A BPF object whose only purpose is to carry BTF of every kind, for the raw
 * and JSON dump tests (tests/btf_dump_raw_test.ts). It is compiled with
 * `clang -g -O2 -target bpf -c` and never loaded. No vmlinux.h: plain C types.
 */

#define SEC(name) __attribute__((section(name), used))
#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __ttag(x) __attribute__((btf_type_tag(x)))

typedef unsigned char u8;
typedef unsigned int u32;
typedef u32 u32_alias;
typedef u32_alias u32_alias2;
typedef long long s64;
typedef unsigned long long u64;

/* Bitfields: unsigned, signed, straddling byte boundaries, zero-width. */
struct bits {
  unsigned int a : 3;
  signed int b : 5;
  unsigned int c : 7; /* bits 8..14 */
  signed int d : 11;  /* bits 15..25, straddles two bytes */
  unsigned int : 0;
  unsigned long long e : 40;
  signed char f : 2;
  u8 g;
} __tag("struct_tag");

union number {
  int i;
  unsigned int u;
  float f;
  double d;
  u8 bytes[8];
};

enum color { RED, GREEN = 5, BLUE = 0x7fffffff };
enum sign { NEG = -2, MINUS_ONE = -1, ZERO = 0, POS = 100 };
enum big { BIG_SMALL = 1, BIG_HUGE = 0x123456789aULL, BIG_MAX = 0xffffffffffffffffULL };
enum big_signed { BS_NEG = -5000000000LL, BS_POS = 5000000000LL };

typedef int (*printf_fn)(const char *fmt, ...);

struct point {
  int x, y;
};

struct kitchen_sink {
  struct point pts[3];
  struct {
    int anon_a;
    union {
      short anon_b;
      char anon_c;
    };
  };
  union {
    u64 raw;
    struct {
      u32 lo, hi;
    } parts;
  } u;
  const volatile int cv;
  char *restrict rp;
  const char *const cp;
  printf_fn log;
  void (*cb)(int, struct point *);
  enum color color;
  enum sign sign;
  enum big big;
  enum big_signed big_signed;
  struct bits bits;
  union number num;
  u32_alias2 alias;
  int __ttag("user") *user_ptr;
  int __ttag("tag1") __ttag("tag2") *tagged_ptr;
  float fl;
  double db;
  long double ld;
  _Bool flag;
  int matrix[2][3];
  int tag_member __tag("member_tag");
  char flex[];
};

struct fwd_only;
union fwd_union;

struct uses_fwd {
  struct fwd_only *p;
  union fwd_union *q;
};

int global_counter = 1;                /* .data */
long long zeroed;                      /* .bss */
const volatile int ro_const = 42;      /* .rodata */
static int static_var = 3;             /* .data, static linkage */
static volatile int static_bss;        /* .bss, static linkage */
extern int LINUX_KERNEL_VERSION __attribute__((section(".kconfig"))); /* extern linkage */
extern int ext_func(int x) __attribute__((section(".ksyms")));       /* FUNC linkage=extern */
struct kitchen_sink sink;              /* .bss */
struct uses_fwd fwd_user;              /* .bss */
char LICENSE[] SEC("license") = "GPL";

static __attribute__((noinline)) __tag("func_tag") int helper(int x __tag("param_tag"),
                                                            struct kitchen_sink *ks)
{
  return x + ks->cv + static_var;
}

__attribute__((noinline)) int global_fn(struct bits *b, union number *n)
{
  return b->d + n->i;
}

SEC("tp/sched/sched_switch")
int prog(void *ctx)
{
  global_counter += helper(global_counter, &sink) + ro_const;
  zeroed++;
  static_var++;
  static_bss = LINUX_KERNEL_VERSION + ext_func(static_bss);
  fwd_user.p = 0;
  return global_fn(&sink.bits, &sink.num);
}
