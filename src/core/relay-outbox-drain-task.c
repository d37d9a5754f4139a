/* relay-outbox-drain-task.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The _async form of the outbox's drain: relay_outbox_drain() run in a
 * worker thread of the core, its progress said in the caller's main
 * context. Apart from relay-outbox.c, whose object and counts queueing
 * needs, because the drain is of the core's network part.
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include "relay-outbox.h"
#include "relay-outbox-private.h"
#include "relay-task-private.h"

/* Progress is said in the caller's main context, queued above the task's
 * own completion so that every line comes before the result; never
 * g_main_context_invoke (), which would run the caller's function in the
 * worker whenever the context is free to acquire. */
typedef struct
{
  RelayOutbox             *outbox;
  RelayAccount            *account;  /* a copy: the caller may change its own */
  RelaySendLog            *log;
  RelayOutboxWait          wait;
  RelayOutboxProgressFunc  progress;
  gpointer                 progress_data;
  GMainContext            *context;
} DrainTask;

static void
drain_task_free (DrainTask *state)
{
  g_clear_object (&state->outbox);
  g_clear_object (&state->account);
  g_clear_object (&state->log);
  g_clear_pointer (&state->context, g_main_context_unref);
  g_free (state);
}

typedef struct
{
  RelayOutboxProgressFunc  progress;
  gpointer                 progress_data;
  char                    *text;
} ProgressEvent;

static void
progress_event_free (gpointer user_data)
{
  ProgressEvent *event = user_data;

  g_free (event->text);
  g_free (event);
}

static gboolean
emit_progress (gpointer user_data)
{
  ProgressEvent *event = user_data;

  event->progress (event->text, event->progress_data);

  return G_SOURCE_REMOVE;
}

/* In the worker: each line goes to the caller's context */
static void
post_progress (const char *text,
               gpointer    user_data)
{
  DrainTask *state = user_data;
  ProgressEvent *event = g_new0 (ProgressEvent, 1);
  g_autoptr(GSource) source = g_idle_source_new ();

  event->progress = state->progress;
  event->progress_data = state->progress_data;
  event->text = g_strdup (text);
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, emit_progress, event, progress_event_free);
  g_source_set_static_name (source, "[relay-outbox] drain progress");
  g_source_attach (source, state->context);
}

static void
drain_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  DrainTask *state = task_data;
  RelayOutboxReport *report;
  GError *error = NULL;

  report = relay_outbox_drain (state->outbox, state->account, state->log, state->wait,
                               state->progress ? post_progress : NULL, state,
                               cancellable, &error);
  if (report == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, report, (GDestroyNotify)relay_outbox_report_free);
}

/**
 * relay_outbox_drain_async:
 * @self: the outbox; relay_outbox_new (%NULL) for the default one
 * @account: the account to send with; copied, so later changes to it do
 *   not reach this drain
 * @log: the send log the events go to
 * @wait: what to wait for, as for relay_outbox_drain()
 * @progress: (nullable) (scope notified): called with each line of
 *   progress, in the caller's thread-default main context, always before
 *   @callback
 * @progress_data: for @progress; it must stay valid until @callback has run
 * @cancellable: (nullable): stops the drain after the message being sent
 * @callback: called in the caller's thread-default main context when done
 * @user_data: for @callback
 *
 * Runs relay_outbox_drain() in a worker thread: the app and the command
 * line call this one, from a main loop.
 */
void
relay_outbox_drain_async (RelayOutbox             *self,
                          RelayAccount            *account,
                          RelaySendLog            *log,
                          RelayOutboxWait          wait,
                          RelayOutboxProgressFunc  progress,
                          gpointer                 progress_data,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 user_data)
{
  DrainTask *state;

  g_return_if_fail (RELAY_IS_OUTBOX (self));
  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (RELAY_IS_SEND_LOG (log));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  state = g_new0 (DrainTask, 1);
  state->outbox = g_object_ref (self);
  state->account = relay_account_copy (account);
  state->log = g_object_ref (log);
  state->wait = wait;
  state->progress = progress;
  state->progress_data = progress_data;
  state->context = g_main_context_ref_thread_default ();

  relay_task_run_in_worker (self, relay_outbox_drain_async, state, (GDestroyNotify)drain_task_free,
                            drain_thread, cancellable, callback, user_data);
}

/**
 * relay_outbox_drain_finish:
 * @self: the outbox
 *
 * Used error codes: %RELAY_OUTBOX_ERROR_CREDENTIALS (no password is
 * stored); %G_FILE_ERROR codes for a data or outbox folder that cannot
 * be made or is not the user's own (%G_FILE_ERROR_PERM), and %G_IO_ERROR
 * codes for an outbox lock that cannot be opened or taken; those of the
 * keyring (#SECRET_ERROR, %G_DBUS_ERROR)
 * and of a sign-in that is refused (%RELAY_OAUTH_ERROR); and
 * %G_IO_ERROR_CANCELLED when @cancellable was cancelled (what was sent
 * before is in the send log). A drain that stopped early on a message's
 * error is not an error: the report says why in its stopped_by.
 *
 * Returns: (transfer full): what happened, or %NULL with @error set
 */
RelayOutboxReport *
relay_outbox_drain_finish (RelayOutbox   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_outbox_drain_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
