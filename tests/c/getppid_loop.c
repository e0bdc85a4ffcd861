/*
 * For tests/perf_buffer_test.ts: waits for a line on stdin, calls getppid()
 * N times, says "done", waits for another line, calls it once more, exits.
 * Run pinned to one CPU (taskset) so every event lands in one ring.
 *
 *   getppid_loop N
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1;
  char line[16];
  if (!fgets(line, sizeof(line), stdin)) return 1;
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  printf("done\n");
  fflush(stdout);
  if (!fgets(line, sizeof(line), stdin)) return 1;
  syscall(SYS_getppid);
  return 0;
}
