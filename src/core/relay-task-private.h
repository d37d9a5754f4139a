/* relay-task-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How a core _async call runs its blocking work in a worker thread: on
 * the state the call copied, handed to the task with its free function;
 * a call that talks to the keyring, under the keyring's deadline
 * (relay-task.c).
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Runs @worker in a thread of GIO's pool on @state, which the task owns
 * (freed with @state_free); @callback runs in the caller's thread-default
 * main context, its result tagged @source_tag and from @source_object. */
static inline void
relay_task_run_in_worker (gpointer             source_object,
                          gpointer             source_tag,
                          gpointer             state,
                          GDestroyNotify       state_free,
                          GTaskThreadFunc      worker,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (source_object, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, state, state_free);
  g_task_run_in_thread (task, worker);
}

void     relay_task_run_keyring_call       (gpointer             source_tag,
                                            gpointer             state,
                                            GDestroyNotify       state_free,
                                            GTaskThreadFunc      worker,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean relay_task_propagate_keyring_call (GAsyncResult        *result,
                                            gpointer            *pointer,
                                            GError             **error);

G_END_DECLS
