// SPDX-License-Identifier: GPL-2.0
/*
 * Carries the BTF of tests/c/view_types.h for the view tests
 * (tests/view_test.ts). Compiled with `clang -g -O2 -target bpf -c` and
 * never loaded.
 */
#include "../c/view_types.h"

struct tricky g_tricky __attribute__((used));
struct point g_point __attribute__((used));
struct zero_mid g_zero_mid __attribute__((used));
struct flex_pts g_flex_pts __attribute__((used));
struct floats g_floats __attribute__((used));
struct flex_union g_flex_union __attribute__((used));
