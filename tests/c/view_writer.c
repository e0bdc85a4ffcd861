/*
 * Writes records of struct tricky (tests/c/view_types.h) with known values,
 * for tests/view_test.ts:
 *
 *   view_writer RECORDS.bin FLEX.bin > expected.jsonl
 *
 * RECORDS.bin holds N consecutive records of sizeof(struct tricky) bytes;
 * FLEX.bin one record followed by three flexible-array elements. stdout
 * gets a first line {"size":...,"n":N} and then, per record, the JSON the
 * view's toJSON() must produce (integers beyond 2^53 as decimal strings,
 * char arrays as strings cut at the first NUL, enums as their value).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "view_types.h"

#define N 4

static void u64json(u64 v) {
  if (v <= 9007199254740991ULL) printf("%llu", v);
  else printf("\"%llu\"", v);
}

static void s64json(s64 v) {
  if (v <= 9007199254740991LL && v >= -9007199254740991LL) printf("%lld", v);
  else printf("\"%lld\"", v);
}

static void fill(struct tricky *t, int i) {
  memset(t, 0, sizeof(*t));
  t->u8v = 200 + i;
  t->s8v = -100 - i;
  t->u16v = 60000 + i;
  t->s16v = -30000 - i;
  t->u32v = 4000000000u + i;
  t->s32v = -2000000000 - i;
  t->u64v = 0xfedcba9876543210ULL + i;
  t->s64v = -0x7000000000000000LL - i;
  t->u64small = 1234567890123ULL + i;
  t->bf_a = (i + 5) & 7;
  t->bf_b = -3 - i;
  t->bf_c = 100 + i;
  t->bf_d = -1000 + 7 * i;
  t->bf_e = 0xabcdef1234ULL + i;
  t->bf_f = -4000000 + i;
  t->bf_g = i & 1;
  t->bf_h = 9 + i;
  t->bf_i = i - 2;
  t->f32 = 1.5f * (i + 1);
  t->f64 = 3.141592653589793 * (i + 1);
  t->flag = i % 2 == 0;
  t->c = 'A' + i;
  t->ptr = (void *)(0xffff888812345678ULL + 8ULL * i);
  t->color = i == 0 ? RED : i == 1 ? GREEN : BLUE;
  t->sign = i == 1 ? NEG : i == 2 ? MINUS_ONE : POS;
  t->tiny = i % 2 ? T_A : T_B;
  *(my_u32 *)&t->cv = 0xdeadbeefu - i;
  t->anon_a = 77 + i;
  t->anon_u = 0x3f800000u + ((u32)i << 20); /* 1.0, 1.125, 1.25, 1.375 */
  t->un.un_s64 = -5 - i;
  t->pt.x = i;
  t->pt.y = -i;
  for (int k = 0; k < 3; k++) {
    t->pts[k].x = 10 * k + i;
    t->pts[k].y = -10 * k - i;
  }
  for (int k = 0; k < 4; k++) t->arr[k] = 1000 * k + i;
  for (int k = 0; k < 2; k++) t->arr64[k] = -(1LL << 60) + k + i;
  for (int k = 0; k < 3; k++) t->arr16[k] = 65535 - k - i;
  snprintf(t->name, sizeof(t->name), "rec%d", i);
  memcpy(t->full, "ABCD", 4);
  memcpy(t->utf8, "h\xc3\xa9\xff", 4);
  for (int r = 0; r < 2; r++)
    for (int c = 0; c < 3; c++) t->matrix[r][c] = r * 10 + c + i;
  strcpy(t->names[0], "alpha");
  strcpy(t->names[1], i % 2 ? "" : "beta");
  t->pk.a = 0xa0 + i;
  t->pk.arr[0] = 0x01020304u + i;
  t->pk.arr[1] = 0x05060708u;
  t->pk.b = 0x1122334455667788ULL + i;
  t->rebind = 11 + i;
  t->constructor = 22 + i;
  t->err = -(2 + i); /* -ENOENT, -ESRCH, -EINTR, -EIO */
  t->ts = 1000000000ULL * (i + 1) + 123;
  t->count = 3;
}

static void print_json(const struct tricky *t) {
  printf("{\"u8v\":%u,\"s8v\":%d,\"u16v\":%u,\"s16v\":%d,\"u32v\":%u,\"s32v\":%d,", t->u8v, t->s8v,
         t->u16v, t->s16v, t->u32v, t->s32v);
  printf("\"u64v\":");
  u64json(t->u64v);
  printf(",\"s64v\":");
  s64json(t->s64v);
  printf(",\"u64small\":");
  u64json(t->u64small);
  printf(",\"bf_a\":%u,\"bf_b\":%d,\"bf_c\":%u,\"bf_d\":%d,", t->bf_a, t->bf_b, t->bf_c, t->bf_d);
  printf("\"bf_e\":");
  u64json(t->bf_e);
  printf(",\"bf_f\":");
  s64json(t->bf_f);
  printf(",\"bf_g\":%s,\"bf_h\":%u,\"bf_i\":%d,", t->bf_g ? "true" : "false", t->bf_h, t->bf_i);
  printf("\"f32\":%.17g,\"f64\":%.17g,\"flag\":%s,\"c\":%d,", (double)t->f32, t->f64,
         t->flag ? "true" : "false", t->c);
  printf("\"ptr\":");
  u64json((u64)t->ptr);
  printf(",\"color\":%u,\"sign\":%d,\"tiny\":%u,\"cv\":%u,", (u32)t->color, (int)t->sign,
         (u32)t->tiny, (u32)t->cv);
  printf("\"anon_a\":%u,\"anon_u\":%u,\"anon_f\":%.17g,", t->anon_a, t->anon_u, (double)t->anon_f);
  printf("\"un\":{\"un_s64\":%lld,\"un_bytes\":[", t->un.un_s64);
  for (int k = 0; k < 8; k++) printf("%s%u", k ? "," : "", t->un.un_bytes[k]);
  printf("]},\"pt\":{\"x\":%d,\"y\":%d},\"pts\":[", t->pt.x, t->pt.y);
  for (int k = 0; k < 3; k++) printf("%s{\"x\":%d,\"y\":%d}", k ? "," : "", t->pts[k].x, t->pts[k].y);
  printf("],\"arr\":[");
  for (int k = 0; k < 4; k++) printf("%s%u", k ? "," : "", t->arr[k]);
  printf("],\"arr64\":[");
  for (int k = 0; k < 2; k++) {
    printf("%s", k ? "," : "");
    s64json(t->arr64[k]);
  }
  printf("],\"arr16\":[");
  for (int k = 0; k < 3; k++) printf("%s%u", k ? "," : "", t->arr16[k]);
  printf("],\"name\":\"%s\",\"full\":\"ABCD\",\"utf8\":\"h\\u00e9\\ufffd\",", t->name);
  printf("\"matrix\":[");
  for (int r = 0; r < 2; r++) {
    printf("%s[", r ? "," : "");
    for (int c = 0; c < 3; c++) printf("%s%d", c ? "," : "", t->matrix[r][c]);
    printf("]");
  }
  printf("],\"names\":[\"%s\",\"%s\"],", t->names[0], t->names[1]);
  printf("\"pk\":{\"a\":%u,\"arr\":[%u,%u],\"b\":", t->pk.a, t->pk.arr[0], t->pk.arr[1]);
  u64json(t->pk.b);
  printf("},\"rebind\":%u,\"constructor\":%u,\"err\":%d,\"ts\":", t->rebind, t->constructor,
         t->err);
  u64json(t->ts);
  printf(",\"count\":%u,\"tail\":[]}\n", t->count);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s RECORDS.bin FLEX.bin\n", argv[0]);
    return 2;
  }
  printf("{\"size\":%zu,\"n\":%d,\"offsets\":{\"bf_e_word\":%zu,\"f32\":%zu,\"pk\":%zu,\"tail\":%zu}}\n",
         sizeof(struct tricky), N, __builtin_offsetof(struct tricky, f32) - 8,
         __builtin_offsetof(struct tricky, f32), __builtin_offsetof(struct tricky, pk),
         __builtin_offsetof(struct tricky, tail));
  FILE *f = fopen(argv[1], "wb");
  if (!f) return 1;
  struct tricky t;
  for (int i = 0; i < N; i++) {
    fill(&t, i);
    fwrite(&t, sizeof(t), 1, f);
    print_json(&t);
  }
  fclose(f);
  /* One record with three flexible-array elements after it. */
  size_t len = sizeof(struct tricky) + 3 * sizeof(u32);
  struct tricky *flex = calloc(1, len);
  fill(flex, 0);
  flex->tail[0] = 7;
  flex->tail[1] = 8;
  flex->tail[2] = 0xffffffffu;
  f = fopen(argv[2], "wb");
  if (!f) return 1;
  fwrite(flex, len, 1, f);
  fclose(f);
  free(flex);
  return 0;
}
