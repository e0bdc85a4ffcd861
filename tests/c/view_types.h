/*
 * The structs the view tests decode. Included by the BPF object
 * (tests/bpf/view_types.bpf.c, which carries their BTF) and by the host
 * program (tests/c/view_writer.c, which fills them with known values and
 * writes their bytes), so both see the same layout.
 */
#ifndef VIEW_TYPES_H
#define VIEW_TYPES_H

typedef unsigned char u8;
typedef signed char s8;
typedef unsigned short u16;
typedef short s16;
typedef unsigned int u32;
typedef int s32;
typedef unsigned long long u64;
typedef long long s64;

typedef u32 my_u32;
typedef const volatile my_u32 cv_u32; /* typedef -> const -> volatile -> typedef -> int */
typedef cv_u32 cv_u32_again;
typedef u64 view_ktime_t;

enum color { RED = 0, GREEN = 5, BLUE = 0x7fffffff };
enum sign { NEG = -2, MINUS_ONE = -1, ZERO = 0, POS = 100 };
enum __attribute__((packed)) tiny { T_A = 1, T_B = 200 };

struct point {
  s32 x, y;
};

struct __attribute__((packed)) packed {
  u8 a;
  u32 arr[2]; /* misaligned: offset 1 */
  u64 b;
};

struct tricky {
  u8 u8v;
  s8 s8v;
  u16 u16v;
  s16 s16v;
  u32 u32v;
  s32 s32v;
  u64 u64v;     /* beyond 2^53 */
  s64 s64v;     /* below -2^53 */
  u64 u64small; /* a safe integer */
  /* Bitfields: unsigned, signed, straddling bytes, wide, bool. */
  u32 bf_a : 3;
  s32 bf_b : 5;
  u32 bf_c : 7;
  s32 bf_d : 11; /* bits 15..25: straddles two byte boundaries */
  u32 : 0;
  u64 bf_e : 40;
  s64 bf_f : 23; /* bits 40..62 of the second word */
  _Bool bf_g : 1;
  u8 bf_h : 4;
  s8 bf_i : 3;
  float f32;
  double f64;
  _Bool flag;
  char c;
  void *ptr;
  enum color color;
  enum sign sign;
  enum tiny tiny;
  cv_u32_again cv;
  struct {
    u32 anon_a;
    union {
      u32 anon_u;
      float anon_f;
    };
  };
  union {
    s64 un_s64;
    u8 un_bytes[8];
  } un;
  struct point pt;
  struct point pts[3];
  u32 arr[4];
  s64 arr64[2];
  u16 arr16[3];
  char name[16];
  char full[4];  /* no NUL */
  char utf8[8];  /* invalid UTF-8 */
  s32 matrix[2][3];
  char names[2][8];
  struct packed pk;
  u32 rebind;      /* collides with the view API */
  u32 constructor; /* collides with Object.prototype */
  s32 err;
  view_ktime_t ts;
  u32 count;
  u32 tail[]; /* flexible array member */
};

/* A GNU zero-length array followed by a member: not a flexible array. */
struct zero_mid {
  u32 a;
  s32 z[0];
  u32 b;
};

/* A flexible array of structs. */
struct flex_pts {
  u32 n;
  struct point items[];
};

/* Flexible arrays in a union, as the kernel's DECLARE_FLEX_ARRAY writes them. */
struct flex_union {
  u32 n;
  union {
    struct {
      struct {
      } __empty_a;
      u8 a[];
    };
    struct {
      struct {
      } __empty_b;
      u16 b[];
    };
  };
};

/* Floats that JSON has no numbers for (NaN, infinities). */
struct floats {
  float f;
  double d;
  float fa[3];
};

#endif
