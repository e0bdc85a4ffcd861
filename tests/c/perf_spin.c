// Calls getpid(2) on command, for the perf ring tests: each line "N" on
// stdin makes N raw getpid syscalls, then prints "done N"; end of input exits.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  char line[64];
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("ready %d\n", (int)getpid());
  while (fgets(line, sizeof line, stdin)) {
    long n = strtol(line, NULL, 10);
    for (long i = 0; i < n; i++) syscall(SYS_getpid);
    printf("done %ld\n", n);
  }
  return 0;
}
