/* relay-task.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A core _async call that talks to the keyring: its blocking work in a
 * worker thread, under the keyring's deadline (docs/architecture.md,
 * "What runs where").
 */

#define G_LOG_DOMAIN "relay-task"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-secrets.h"
#include "relay-task-private.h"

/* The call's own state and what its deadline needs. A keyring that never
 * answers leaves the worker blocked: the task answers at once when its
 * own cancellable is cancelled (g_task_set_return_on_cancel()), by the
 * caller's cancellable or the deadline, and whatever the worker still
 * gets is dropped. The state holds copies only: the worker may release
 * the task long after its callback has run. */
typedef struct
{
  gpointer         state;
  GDestroyNotify   state_free;
  GTaskThreadFunc  worker;
  GCancellable    *own;
  GCancellable    *caller;
  gulong           caller_handler;
  GSource         *deadline;
  /* set on the caller's thread when the deadline cancelled the call */
  gboolean         timed_out;
} KeyringCall;

static void
keyring_call_free (KeyringCall *call)
{
  if (call->caller_handler != 0)
    g_cancellable_disconnect (call->caller, call->caller_handler);
  g_clear_object (&call->caller);
  g_clear_object (&call->own);
  g_clear_pointer (&call->deadline, g_source_unref);
  if (call->state_free != NULL)
    call->state_free (call->state);
  g_free (call);
}

static void
keyring_call_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  KeyringCall *call = task_data;

  call->worker (task, source_object, call->state, cancellable);
}

static void
caller_cancelled_cb (GCancellable *caller,
                     GCancellable *own)
{
  g_cancellable_cancel (own);
}

static gboolean
deadline_cb (gpointer user_data)
{
  GTask *task = user_data;
  KeyringCall *call = g_task_get_task_data (task);

  if (!g_task_get_completed (task))
    {
      call->timed_out = TRUE;
      g_cancellable_cancel (call->own);
    }

  return G_SOURCE_REMOVE;
}

/* Runs @worker in a thread of GIO's pool on @state, which the task owns
 * (freed with @state_free), with a deadline of
 * RELAY_SECRETS_TIMEOUT_SECONDS; @callback runs in the caller's
 * thread-default main context. Finish with relay_task_propagate_keyring_call(). */
void
relay_task_run_keyring_call (gpointer             source_tag,
                             gpointer             state,
                             GDestroyNotify       state_free,
                             GTaskThreadFunc      worker,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  KeyringCall *call = g_new0 (KeyringCall, 1);

  call->state = state;
  call->state_free = state_free;
  call->worker = worker;
  call->own = g_cancellable_new ();

  task = g_task_new (NULL, call->own, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify)keyring_call_free);
  g_task_set_return_on_cancel (task, TRUE);

  if (cancellable != NULL)
    {
      call->caller = g_object_ref (cancellable);
      call->caller_handler = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                    g_object_ref (call->own), g_object_unref);
    }

  /* in the caller's context, as the task's callback: the task is still
   * there when the deadline comes, and the flag is read when finishing */
  call->deadline = g_timeout_source_new_seconds (RELAY_SECRETS_TIMEOUT_SECONDS);
  g_source_set_callback (call->deadline, deadline_cb, g_object_ref (task), g_object_unref);
  g_source_set_static_name (call->deadline, "[relay-task] keyring deadline");
  g_source_attach (call->deadline, g_task_get_context (task));

  g_task_run_in_thread (task, keyring_call_thread);
}

/* The answer of a relay_task_run_keyring_call() task: a pointer into
 * @pointer (which may be NULL without an error), else a boolean. Ends the
 * deadline; a cancellation the deadline caused, not the caller, is
 * %RELAY_SECRETS_ERROR_TIMEOUT. */
gboolean
relay_task_propagate_keyring_call (GAsyncResult  *result,
                                   gpointer      *pointer,
                                   GError       **error)
{
  GTask *task = G_TASK (result);
  KeyringCall *call = g_task_get_task_data (task);
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  g_source_destroy (call->deadline);

  if (pointer != NULL)
    ok = (*pointer = g_task_propagate_pointer (task, &local_error)) != NULL || local_error == NULL;
  else
    ok = g_task_propagate_boolean (task, &local_error);

  if (call->timed_out && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      (call->caller == NULL || !g_cancellable_is_cancelled (call->caller)))
    {
      g_clear_error (&local_error);
      g_set_error (&local_error, RELAY_SECRETS_ERROR, RELAY_SECRETS_ERROR_TIMEOUT,
                   ngettext ("The keyring did not answer within %u second. If it asks for its password "
                             "in another window, unlock it; then try again.",
                             "The keyring did not answer within %u seconds. If it asks for its password "
                             "in another window, unlock it; then try again.",
                             RELAY_SECRETS_TIMEOUT_SECONDS),
                   RELAY_SECRETS_TIMEOUT_SECONDS);
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));

  return ok;
}
