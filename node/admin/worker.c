/* worker: a thread that runs the slow steps of requests (scrypt, key
 * generation) off the admin event loop, one at a time, from a bounded
 * queue; each result comes back through the op's mailbox (admin_int.h). */
#include "node/admin/admin_int.h"

#include <stdlib.h>

struct work_job {
	struct work_job *next;
	struct admin_op *op; /* in flight until posted */
	admin_work_fn fn;
};

struct admin_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct work_job *head, *tail; /* owned */
	unsigned queued, max;
	int stop;
};

static void *worker_main(void *arg)
{
	struct admin_worker *w = arg;
	struct work_job *job;
	int rc, stop;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		job = w->head;
		if (!job)
			break;
		w->head = job->next;
		if (!w->head)
			w->tail = NULL;
		w->queued--;
		stop = w->stop;
		pthread_mutex_unlock(&w->lock);
		/* Shutting down: the answer would be lost anyway. */
		rc = stop ? ADMIN_WORK_CANCELLED : job->fn(job->op->work);
		admin_op_post(job->op, rc);
		free(job);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int admin_worker_new(unsigned queue_max, struct admin_worker **out)
{
	struct admin_worker *w = calloc(1, sizeof *w);

	*out = NULL;
	if (!w)
		return -1;
	w->max = queue_max;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -1;
	}
	*out = w;
	return 0;
}

void admin_worker_free(struct admin_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void admin_op_work_set(struct admin_op *op, void *arg, void (*arg_free)(void *))
{
	if (op->work_free)
		op->work_free(op->work);
	op->work = arg;
	op->work_free = arg_free;
}

int admin_op_work(struct admin_op *op, struct admin_worker *w, admin_work_fn fn,
		  admin_step_fn step)
{
	struct work_job *job = calloc(1, sizeof *job);

	if (!job)
		return -1;
	job->op = op;
	job->fn = fn;
	pthread_mutex_lock(&w->lock);
	if (w->stop || w->queued >= w->max) {
		pthread_mutex_unlock(&w->lock);
		free(job);
		return -1;
	}
	admin_op_hold(op, step);
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	w->queued++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 0;
}
