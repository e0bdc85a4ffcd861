// Prints the layout of struct perf_event_attr as <linux/perf_event.h> has
// it, then the bytes of one attr with every field set, for tests/perf_decode_test.ts.
#include <linux/perf_event.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define OFF(f) printf("%s %zu\n", #f, offsetof(struct perf_event_attr, f))

int main(void) {
  printf("sizeof %zu\n", sizeof(struct perf_event_attr));
  OFF(type); OFF(size); OFF(config); OFF(sample_period); OFF(sample_freq);
  OFF(sample_type); OFF(read_format); OFF(wakeup_events); OFF(wakeup_watermark);
  OFF(bp_type); OFF(bp_addr); OFF(config1); OFF(bp_len); OFF(config2);
  OFF(branch_sample_type); OFF(sample_regs_user); OFF(sample_stack_user); OFF(clockid);
  OFF(sample_regs_intr); OFF(aux_watermark); OFF(sample_max_stack); OFF(aux_sample_size);
  OFF(sig_data);
  struct perf_event_attr a;
  memset(&a, 0, sizeof a);
  a.type = 2; a.size = sizeof a; a.config = 0x1122334455667788ULL; a.sample_period = 12345;
  a.sample_type = 0x1ffffff; a.read_format = 0x1f;
  a.disabled = 1; a.pinned = 1; a.exclude_kernel = 1; a.mmap = 1; a.freq = 0;
  a.watermark = 1; a.precise_ip = 2; a.sample_id_all = 1; a.exclude_guest = 1;
  a.mmap2 = 1; a.use_clockid = 1; a.write_backward = 1; a.bpf_event = 1; a.cgroup = 1;
  a.build_id = 1; a.remove_on_exec = 1; a.sigtrap = 1;
  a.wakeup_watermark = 4096; a.bp_type = 3; a.config1 = 0xdeadbeefcafeULL; a.config2 = 77;
  a.branch_sample_type = 0x20003; a.sample_regs_user = 0xff0fULL; a.sample_stack_user = 8192;
  a.clockid = -7; a.sample_regs_intr = 0x3ULL; a.aux_watermark = 99; a.sample_max_stack = 127;
  a.aux_sample_size = 4242; a.sig_data = 0xfedcba9876543210ULL;
  printf("bytes");
  for (size_t i = 0; i < sizeof a; i++) printf(" %u", ((unsigned char *)&a)[i]);
  printf("\n");
  return 0;
}
