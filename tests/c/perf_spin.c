// Calls getpid(2) on command, for the perf ring tests and benchmarks: each
// line "N" on stdin makes N raw getpid syscalls, a line "t S" makes them for
// S seconds; each then prints "done COUNT". End of input exits.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready %d\n", (int)getpid());
  while (fgets(line, sizeof line, stdin)) {
    long n = 0;
    if (line[0] == 't') {
      double end = now() + strtod(line + 1, NULL);
      do {
        for (int i = 0; i < 1024; i++) syscall(SYS_getpid);
        n += 1024;
      } while (now() < end);
    } else {
      n = strtol(line, NULL, 10);
      for (long i = 0; i < n; i++) syscall(SYS_getpid);
    }
    printf("done %ld\n", n);
  }
  return 0;
}
