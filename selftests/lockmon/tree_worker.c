// SPDX-License-Identifier: GPL-2.0
/*
 * A process tree for record_tree_test.sh. Every process that contends
 * prints "worker PID" on stdout first, so the test knows, from the
 * workload itself, which processes a recording must have waits of.
 *
 *   tree_worker contend   two threads of this process fight over a mutex
 *   tree_worker daemon    double fork: the middle process exits, and the
 *                         grandchild, reparented and in its own session,
 *                         contends; the caller waits for it on a pipe
 *   tree_worker vfork     vfork() and exec "tree_worker contend"
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both;

static void hold_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Each round one thread holds the mutex for 20 ms while the other is past
 * the barrier and asks for it: a wait that must block, every round.
 */
static void *fight(void *arg)
{
	long me = (long)arg;
	int i;

	for (i = 0; i < 10; i++) {
		if ((i & 1) == me) {
			pthread_mutex_lock(&lock);
			pthread_barrier_wait(&both);
			hold_ms(20);
			pthread_mutex_unlock(&lock);
		} else {
			pthread_barrier_wait(&both);
			hold_ms(2);
			pthread_mutex_lock(&lock);
			pthread_mutex_unlock(&lock);
		}
		pthread_barrier_wait(&both);
	}
	return NULL;
}

static int contend(void)
{
	pthread_t t[2];
	long i;

	printf("worker %d\n", getpid());
	fflush(stdout);
	pthread_barrier_init(&both, NULL, 2);
	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, fight, (void *)i))
			return 1;
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

static int daemon_tree(void)
{
	int done[2], status;
	pid_t mid;
	char c;

	if (pipe(done))
		return 1;
	mid = fork();
	if (mid < 0)
		return 1;
	if (!mid) {
		close(done[0]);
		if (fork())
			_exit(0);	/* the middle one: gone at once */
		setsid();
		while (getppid() == mid)	/* wait to be reparented */
			hold_ms(1);
		contend();
		_exit(0);		/* closes done[1] */
	}
	close(done[1]);
	if (waitpid(mid, &status, 0) != mid)
		return 1;
	/* EOF once the grandchild has exited */
	while (read(done[0], &c, 1) > 0)
		;
	return 0;
}

static int vfork_exec(const char *self)
{
	int status;
	pid_t pid = vfork();

	if (pid < 0)
		return 1;
	if (!pid) {
		execl(self, self, "contend", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "contend"))
		return contend();
	if (argc == 2 && !strcmp(argv[1], "daemon"))
		return daemon_tree();
	if (argc == 2 && !strcmp(argv[1], "vfork"))
		return vfork_exec(argv[0]);
	fprintf(stderr, "usage: tree_worker contend|daemon|vfork\n");
	return 2;
}
