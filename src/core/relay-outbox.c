/* relay-outbox.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The outbox's public calls that are neither the store's nor the drain's:
 * the _async forms of the drain and the counts, run in a worker thread of
 * the core. The items are kept by relay-outbox-store.c, sent by
 * relay-outbox-drain.c, and recorded by relay-outbox-record.c.
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include "relay-outbox.h"
#include "relay-outbox-private.h"

G_DEFINE_QUARK (relay-outbox-error-quark, relay_outbox_error)

char *
relay_outbox_get_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "mail-relay", "outbox", NULL);
}

void
relay_outbox_report_free (RelayOutboxReport *report)
{
  if (report == NULL)
    return;

  g_free (report->stopped_by);
  g_clear_pointer (&report->waiting, g_ptr_array_unref);
  g_free (report);
}

/* Progress is said in the caller's main context, queued above the task's
 * own completion so that every line comes before the result; never
 * g_main_context_invoke (), which would run the caller's function in the
 * worker whenever the context is free to acquire. */
typedef struct
{
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

  report = relay_outbox_drain (state->account, state->log, state->wait,
                               state->progress ? post_progress : NULL, state,
                               cancellable, &error);
  if (report == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, report, (GDestroyNotify)relay_outbox_report_free);
}

/**
 * relay_outbox_drain_async:
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
relay_outbox_drain_async (RelayAccount            *account,
                          RelaySendLog            *log,
                          RelayOutboxWait          wait,
                          RelayOutboxProgressFunc  progress,
                          gpointer                 progress_data,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  DrainTask *state;

  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (RELAY_IS_SEND_LOG (log));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  state = g_new0 (DrainTask, 1);
  state->account = relay_account_copy (account);
  state->log = g_object_ref (log);
  state->wait = wait;
  state->progress = progress;
  state->progress_data = progress_data;
  state->context = g_main_context_ref_thread_default ();

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_outbox_drain_async);
  g_task_set_task_data (task, state, (GDestroyNotify)drain_task_free);
  g_task_run_in_thread (task, drain_thread);
}

/**
 * relay_outbox_drain_finish:
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
relay_outbox_drain_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_outbox_drain_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  RelayThrottle *throttle;  /* made on the caller's thread from the account */
  char          *log_path;
} CountsTask;

static void
counts_task_free (CountsTask *state)
{
  g_clear_object (&state->throttle);
  g_free (state->log_path);
  g_free (state);
}

/* The same count as the drain makes: sent and unknown attempts */
static void
counts_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CountsTask *state = task_data;
  RelayOutboxCounts *counts = g_new0 (RelayOutboxCounts, 1);

  relay_throttle_record_log (state->throttle, state->log_path);
  counts->throttle = g_steal_pointer (&state->throttle);
  /* what waits in the outbox, and what may go now */
  counts->queued = relay_outbox_count ();
  counts->due = relay_outbox_count_due (g_get_real_time (), &counts->next_retry);
  g_task_return_pointer (task, counts, (GDestroyNotify)relay_outbox_counts_free);
}

/**
 * relay_outbox_get_counts_async:
 * @account: whose limits are counted; read now, not kept
 * @log: the send log whose attempts fill the account's windows
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context when done
 * @user_data: for @callback
 *
 * Counts, in a worker thread, what the account's limits leave (its
 * throttle with the attempts of the send log, as a drain counts them) and
 * what waits in the outbox: what a view of the outbox shows.
 */
void
relay_outbox_get_counts_async (RelayAccount        *account,
                               RelaySendLog        *log,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CountsTask *state;

  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (RELAY_IS_SEND_LOG (log));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  state = g_new0 (CountsTask, 1);
  state->throttle = relay_throttle_new_for_account (account);
  state->log_path = g_strdup (relay_send_log_get_path (log));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_outbox_get_counts_async);
  g_task_set_task_data (task, state, (GDestroyNotify)counts_task_free);
  g_task_run_in_thread (task, counts_thread);
}

/**
 * relay_outbox_get_counts_finish:
 *
 * Used error codes: %G_IO_ERROR_CANCELLED. A log or an outbox that cannot
 * be read counts as empty, as it does for a drain.
 *
 * Returns: (transfer full): the counts, or %NULL with @error set
 */
RelayOutboxCounts *
relay_outbox_get_counts_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_outbox_get_counts_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
relay_outbox_counts_free (RelayOutboxCounts *counts)
{
  if (counts == NULL)
    return;

  g_clear_object (&counts->throttle);
  g_free (counts);
}
