/* late-task-release.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Preloaded into a test (LD_PRELOAD), this makes a worker thread of
 * g_task_run_in_thread() drop its reference to the task late: after the
 * task has completed and its callback has been scheduled on the caller's
 * main context, the worker waits (MAIL_RELAY_TEST_LATE_RELEASE_MS, 200 by
 * default) before GLib lets go of the task, and with it of the task's
 * source object and data. That is the order a preempted worker gives now
 * and then on a busy machine; here it is the order every time, so a test
 * that assumes an object is gone once the callback has run fails every
 * time rather than once in a while.
 *
 * How: GLib's worker calls the function given to g_task_run_in_thread(),
 * completes the task (which schedules its callback on the main context),
 * and then unrefs the task. The tasks that the program starts with
 * g_task_run_in_thread() are noted with the thread that started them; the
 * first g_object_unref() of one of them in another thread is the worker's
 * (the task's own code takes and drops no reference there), and it waits
 * before it lets go. Should a GLib do this differently, nothing is delayed
 * and the test runs as without it.
 */

#define _GNU_SOURCE

#include <dlfcn.h>
#include <gio/gio.h>
#include <stdlib.h>

static GMutex lock;
static GHashTable *started;  /* GTask (not a reference) -> the GThread that started it */

static gulong
delay_us (void)
{
  const char *ms = g_getenv ("MAIL_RELAY_TEST_LATE_RELEASE_MS");

  return (ms != NULL ? strtoul (ms, NULL, 10) : 200) * 1000;
}

void
g_task_run_in_thread (GTask           *task,
                      GTaskThreadFunc  task_func)
{
  static void (*real) (GTask *, GTaskThreadFunc);

  if (real == NULL)
    real = (void (*) (GTask *, GTaskThreadFunc))dlsym (RTLD_NEXT, "g_task_run_in_thread");

  g_mutex_lock (&lock);
  if (started == NULL)
    started = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (started, task, g_thread_self ());
  g_mutex_unlock (&lock);

  real (task, task_func);
}

void
g_object_unref (gpointer object)
{
  static void (*real) (gpointer);
  gboolean late = FALSE;

  if (real == NULL)
    real = (void (*) (gpointer))dlsym (RTLD_NEXT, "g_object_unref");

  g_mutex_lock (&lock);
  if (started != NULL && g_hash_table_lookup (started, object) != NULL &&
      g_hash_table_lookup (started, object) != (gpointer)g_thread_self ())
    late = g_hash_table_remove (started, object);
  g_mutex_unlock (&lock);

  /* the worker's reference: the task is complete and its callback on its
   * way to the main context; let go of it late */
  if (late)
    g_usleep (delay_us ());

  real (object);
}
