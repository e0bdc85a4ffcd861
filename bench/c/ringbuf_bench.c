// SPDX-License-Identifier: MIT
/*
 * The C side of the ring buffer benchmark (bench/ringbuf_compare.ts),
 * built on the fly with `cc -O2 ... -lbpf -lpthread`.
 *
 *   ringbuf_bench consume OBJ REPS
 *       Fills the ring REPS times (the syscall program, BPF_PROG_TEST_RUN)
 *       and after each fill drains it, alternately by hand-written C and by
 *       libbpf's ring_buffer__consume, each reading three u32 fields. Prints
 *       "c NS" and "libbpf NS": nanoseconds per record of the median drain,
 *       and "fill NS": what the producer takes per record into an empty
 *       ring with no consumer beside it (its top speed).
 *   ringbuf_bench e2e OBJ SECONDS c|poll [PCPU CCPU]
 *       A producer thread (on CPU PCPU) runs the program in a loop, 2^20
 *       records a run, for SECONDS while this thread (on CPU CCPU)
 *       consumes: "c" drains by hand then sleeps 1 ms; "poll" calls
 *       libbpf's ring_buffer__poll(rb, 100) in a loop, as libbpf's docs and
 *       examples do. Prints "records N lost L produced P seconds S wakeups
 *       W cpu T" (W: polls that returned records; T: the consuming
 *       thread's CPU seconds, user and system).
 *   ringbuf_bench produce PINNED_PROG SECONDS [PCPU]
 *       The same producer thread alone, on a pinned program (the bpfview
 *       consumer's producer). Prints "produced N failed F seconds S".
 *   ringbuf_bench pingpong PCPU CCPU
 *       One cache line handed back and forth between the two CPUs; prints
 *       "line NS", one hand-over's nanoseconds.
 *
 * A CPU of -1 (or none given) leaves the thread to the scheduler.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

struct rec {
	uint32_t a, b, c, d;
	uint64_t e, f;
};

struct args {
	uint32_t count, written, failed, pad;
};

struct ring {
	unsigned long *cons_pos;
	unsigned long *prod_pos;
	char *data;
	unsigned long mask;
	size_t page;
	size_t size;
};

static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void ring_map(struct ring *r, int fd, size_t size)
{
	r->page = sysconf(_SC_PAGESIZE);
	r->size = size;
	r->mask = size - 1;
	r->cons_pos = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->cons_pos == MAP_FAILED)
		die("mmap consumer page");
	r->prod_pos = mmap(NULL, r->page + 2 * size, PROT_READ, MAP_SHARED, fd, r->page);
	if (r->prod_pos == MAP_FAILED)
		die("mmap producer page");
	r->data = (char *)r->prod_pos + r->page;
}

/* The hand-written consumer: positions with acquire/release, one commit per batch. */
static size_t ring_drain(struct ring *r)
{
	unsigned long cons = *r->cons_pos, prod;
	uint64_t sum = 0;
	size_t n = 0;

	for (;;) {
		prod = __atomic_load_n(r->prod_pos, __ATOMIC_ACQUIRE);
		if (cons == prod)
			break;
		while (cons < prod) {
			uint32_t *hdr = (uint32_t *)(r->data + (cons & r->mask));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

			if (len & BPF_RINGBUF_BUSY_BIT)
				goto out;
			cons += ((len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) +
				 BPF_RINGBUF_HDR_SZ + 7) & ~7UL;
			if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
				const struct rec *e = (const void *)(hdr + 2);

				sum += e->a + e->b + e->c;
				n++;
			}
		}
		__atomic_store_n(r->cons_pos, cons, __ATOMIC_RELEASE);
	}
out:
	__atomic_store_n(r->cons_pos, cons, __ATOMIC_RELEASE);
	sink += sum;
	return n;
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct rec *e = data;

	*(uint64_t *)ctx += e->a + e->b + e->c;
	return 0;
}

struct bench {
	struct bpf_object *obj;
	int prog_fd, ring_fd, lost_fd;
	size_t size;
};

static void bench_open(struct bench *b, const char *path)
{
	struct bpf_map *m;

	b->obj = bpf_object__open_file(path, NULL);
	if (!b->obj)
		die("bpf_object__open_file");
	if (bpf_object__load(b->obj))
		die("bpf_object__load");
	b->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(b->obj, "fill"));
	m = bpf_object__find_map_by_name(b->obj, "ring");
	b->ring_fd = bpf_map__fd(m);
	b->size = bpf_map__max_entries(m);
	b->lost_fd = bpf_map__fd(bpf_object__find_map_by_name(b->obj, "bpfview_lost"));
}

static struct args fill(int prog_fd, uint32_t count)
{
	struct args a = { .count = count };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &a, .ctx_size_in = sizeof(a));

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		die("BPF_PROG_TEST_RUN");
	return a;
}

static uint64_t lost(struct bench *b)
{
	int cpus = libbpf_num_possible_cpus();
	uint64_t *v = calloc(cpus, sizeof(*v)), sum = 0;
	uint32_t key = 0;

	if (bpf_map_lookup_elem(b->lost_fd, &key, v))
		die("lookup bpfview_lost");
	for (int i = 0; i < cpus; i++)
		sum += v[i];
	free(v);
	return sum;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *xs, int n)
{
	qsort(xs, n, sizeof(*xs), cmp_double);
	return n % 2 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

static int consume(const char *path, int reps)
{
	struct bench b;
	struct ring r;
	struct ring_buffer *rb;
	uint32_t cap;
	double *tc = calloc(reps, sizeof(double)), *tl = calloc(reps, sizeof(double));
	double *tf = calloc(reps, sizeof(double));
	uint64_t sum = 0;

	bench_open(&b, path);
	ring_map(&r, b.ring_fd, b.size);
	rb = ring_buffer__new(b.ring_fd, on_record, &sum, NULL);
	if (!rb)
		die("ring_buffer__new");
	cap = b.size / (sizeof(struct rec) + BPF_RINGBUF_HDR_SZ);
	/* Each drain timed on its own (ns per record); the median drain is
	 * reported, so a drain preempted on a busy machine does not count.
	 * The producer's fills into the empty ring are timed too: what it
	 * costs to write a record with no consumer running beside it. */
	for (int i = 0; i < reps; i++) {
		double t;
		size_t n;

		t = now();
		fill(b.prog_fd, cap);
		tf[i] = (now() - t) * 1e9 / cap;
		t = now();
		n = ring_drain(&r);
		tc[i] = (now() - t) * 1e9 / n;
		fill(b.prog_fd, cap);
		t = now();
		n = ring_buffer__consume(rb);
		tl[i] = (now() - t) * 1e9 / n;
	}
	sink += sum;
	printf("c %.4f\nlibbpf %.4f\nfill %.4f\n", median(tc, reps), median(tl, reps),
	       median(tf, reps));
	free(tc);
	free(tl);
	free(tf);
	ring_buffer__free(rb);
	bpf_object__close(b.obj);
	return 0;
}

/* Pins the calling thread to `cpu` (-1: leaves it where it is). */
static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static atomic_int stop;
static uint64_t produced, failed;
static int producer_cpu = -1;

static void *producer(void *arg)
{
	struct bench *b = arg;

	pin(producer_cpu);
	while (!atomic_load(&stop)) {
		struct args a = fill(b->prog_fd, 1 << 20);

		produced += a.written;
		failed += a.failed;
	}
	return NULL;
}

/* CPU seconds (user + system) of the calling thread so far. */
static double thread_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static int e2e(const char *path, double seconds, const char *mode, int consumer_cpu)
{
	struct bench b;
	struct ring r;
	struct ring_buffer *rb = NULL;
	pthread_t t;
	uint64_t n = 0, sum = 0, wakeups = 0;
	double t0, t1;
	struct timespec ms = { 0, 1000000 };

	pin(consumer_cpu);
	bench_open(&b, path);
	ring_map(&r, b.ring_fd, b.size);
	if (!strcmp(mode, "poll")) {
		rb = ring_buffer__new(b.ring_fd, on_record, &sum, NULL);
		if (!rb)
			die("ring_buffer__new");
	}
	double cpu0 = thread_cpu();

	t0 = now();
	if (pthread_create(&t, NULL, producer, &b))
		die("pthread_create");
	while (now() - t0 < seconds) {
		if (rb) {
			int k = ring_buffer__poll(rb, 100);

			if (k > 0)
				n += k, wakeups++;
		} else {
			n += ring_drain(&r);
			nanosleep(&ms, NULL);
		}
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	t1 = now();
	n += rb ? ring_buffer__consume(rb) : ring_drain(&r);
	sink += sum;
	printf("records %llu lost %llu produced %llu seconds %.6f wakeups %llu cpu %.6f\n",
	       (unsigned long long)n, (unsigned long long)lost(&b), (unsigned long long)produced,
	       t1 - t0, (unsigned long long)wakeups, thread_cpu() - cpu0);
	if (rb)
		ring_buffer__free(rb);
	bpf_object__close(b.obj);
	return 0;
}

/* The producer alone, on a pinned program: what the bpfview consumer reads from. */
static int produce(const char *path, double seconds)
{
	struct bench b = { .prog_fd = bpf_obj_get(path) };
	pthread_t t;
	double t0;

	if (b.prog_fd < 0)
		die("bpf_obj_get");
	t0 = now();
	if (pthread_create(&t, NULL, producer, &b))
		die("pthread_create");
	while (now() - t0 < seconds)
		usleep(10000);
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	printf("produced %llu failed %llu seconds %.6f\n", (unsigned long long)produced,
	       (unsigned long long)failed, now() - t0);
	return 0;
}

/* One cache line handed back and forth between two CPUs: what a consumer
 * reading right behind the producer pays per shared line. */
static _Alignas(64) atomic_long line;

static void *pong(void *arg)
{
	long rounds = (long)arg;

	pin(producer_cpu);
	for (long i = 0; i < rounds; i++) {
		while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 1)
			;
		atomic_store_explicit(&line, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

static int pingpong(int producer, int consumer)
{
	const long rounds = 200000;
	pthread_t t;
	double t0;

	producer_cpu = producer;
	pin(consumer);
	if (pthread_create(&t, NULL, pong, (void *)rounds))
		die("pthread_create");
	t0 = now();
	for (long i = 0; i < rounds; i++) {
		atomic_store_explicit(&line, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 2)
			;
	}
	printf("line %.2f\n", (now() - t0) * 1e9 / rounds / 2);
	pthread_join(t, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(NULL);
	/* Optional last arguments of e2e and produce: the producer's CPU (and
	 * the consumer's, for e2e); -1 leaves a thread to the scheduler. */
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "produce")) {
		producer_cpu = argc == 5 ? atoi(argv[4]) : -1;
		return produce(argv[2], atof(argv[3]));
	}
	if (argc == 4 && !strcmp(argv[1], "pingpong"))
		return pingpong(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "consume"))
		return consume(argv[2], atoi(argv[3]));
	if ((argc == 5 || argc == 7) && !strcmp(argv[1], "e2e")) {
		producer_cpu = argc == 7 ? atoi(argv[5]) : -1;
		return e2e(argv[2], atof(argv[3]), argv[4], argc == 7 ? atoi(argv[6]) : -1);
	}
	fprintf(stderr,
		"usage: %s consume OBJ REPS | e2e OBJ SECONDS c|poll [PCPU CCPU] | "
		"produce PIN SECONDS [PCPU] | pingpong PCPU CCPU\n",
		argv[0]);
	return 2;
}
