/* relay-cli-flush.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sending what the outbox holds: `flush`, and the drain that `send` runs
 * once it has queued; of the network module.
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <unistd.h>

#include "relay-cli.h"
#include "relay-cli-options.h"
#include "relay-format.h"
#include "relay-outbox.h"

typedef struct
{
  gboolean tty;
} Progress;

static void
progress_cb (const char *text,
             gpointer    user_data)
{
  Progress *progress = user_data;

  /* one line that keeps being rewritten, on a terminal only */
  if (progress->tty)
    g_printerr ("\r\033[K%s", text);
}

/* What still waits in the outbox, and until when */
static void
print_waiting (RelayOutboxReport *report)
{
  for (guint i = 0; i < report->waiting->len; i++)
    {
      RelayOutboxWaiting *waiting = g_ptr_array_index (report->waiting, i);
      g_autofree char *to = g_strjoinv (", ", waiting->recipients);

      if (waiting->sent)
        {
          relay_cli_printerr (_("<%s> (“%s”, to %s) was sent, but the send log could not record it; the next run records it as sent"),
                              waiting->message_id, waiting->subject, to);
        }
      else if (waiting->sending)
        {
          relay_cli_printerr (_("<%s> (“%s”, to %s) was being sent when sending stopped; it is not sent again, and the next run records it as unknown"),
                              waiting->message_id, waiting->subject, to);
        }
      else if (waiting->next_attempt > g_get_real_time ())
        {
          g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (waiting->next_attempt / G_USEC_PER_SEC);
          g_autofree char *text = relay_format_time (when);

          relay_cli_printerr (_("<%s> (“%s”, to %s) waits to be retried at %s: run “mail-relay-cli flush” then, or use --wait"),
                              waiting->message_id, waiting->subject, to, text);
        }
      else
        {
          relay_cli_printerr (_("<%s> (“%s”, to %s) is still queued"),
                              waiting->message_id, waiting->subject, to);
        }
    }
}

typedef struct
{
  GMainLoop         *loop;
  RelayOutboxReport *report;
  GError            *error;
} Drained;

static void
drained_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Drained *drained = user_data;

  drained->report = relay_outbox_drain_finish (RELAY_OUTBOX (object), result, &drained->error);
  g_main_loop_quit (drained->loop);
}

/* One drain of one account's outbox; %NULL after saying why it failed */
static RelayOutboxReport *
drain_account (RelayOutbox     *outbox,
               RelayAccount    *account,
               RelaySendLog    *log,
               RelayOutboxWait  wait,
               gboolean         name_it)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  Progress progress = { isatty (STDERR_FILENO) };
  Drained drained = { loop };

  /* the progress lines come here, in this loop, before the result */
  relay_outbox_drain_async (outbox, account, log, wait, progress_cb, &progress, NULL, drained_cb, &drained);
  g_main_loop_run (loop);
  error = g_steal_pointer (&drained.error);
  if (progress.tty)
    g_printerr ("\r\033[K");

  if (drained.report == NULL && name_it)
    /* Translators: an account's name, and why sending through it failed */
    relay_cli_printerr (_("account “%s”: %s"), relay_account_get_name (account), error->message);
  else if (drained.report == NULL)
    relay_cli_printerr ("%s", error->message);

  return drained.report;
}

/* One account's part of the outbox, and what its drains did */
typedef struct
{
  RelayAccount      *account;
  RelayOutbox       *outbox;
  RelayOutboxReport *last;     /* of its last drain */
  guint              sent;
  guint              failed;
  guint              unknown;
  gboolean           broken;   /* a drain could not run */
} Channel;

static void
channel_free (Channel *channel)
{
  g_clear_object (&channel->outbox);
  g_clear_pointer (&channel->last, relay_outbox_report_free);
  g_free (channel);
}

static void
channel_drain (Channel         *channel,
               RelaySendLog    *log,
               RelayOutboxWait  wait,
               gboolean         name_it)
{
  RelayOutboxReport *report = drain_account (channel->outbox, channel->account, log, wait, name_it);

  if (report == NULL)
    {
      channel->broken = TRUE;
      return;
    }

  channel->sent += report->sent;
  channel->failed += report->failed;
  channel->unknown += report->unknown;
  g_clear_pointer (&channel->last, relay_outbox_report_free);
  channel->last = report;
}

/**
 * relay_cli_drain:
 * @only: (nullable): the one account whose messages are sent; %NULL for
 *   every account's
 * @wait_retries: wait for deferred messages' retries too (--wait)
 * @quiet: print nothing on stdout, and the counts (on stderr) only when
 *   not everything was sent (`sendmail`)
 *
 * Sends what is queued, each account's messages through that account
 * with its own limits, and says what happened and what still waits:
 * `flush`, and `send` once it has queued. With several accounts, first
 * each one sends what may go now, so that one account's window never
 * holds up another's mail; then each waits for its windows in turn.
 *
 * Returns: the exit status
 */
int
relay_cli_drain (RelayAccountStore *store,
                 RelayAccount      *only,
                 RelaySendLog      *log,
                 gboolean           wait_retries,
                 gboolean           quiet)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);
  g_autoptr(GPtrArray) channels = g_ptr_array_new_with_free_func ((GDestroyNotify)channel_free);
  GListModel *accounts = relay_account_store_get_accounts (store);
  RelayOutboxWait wait = RELAY_OUTBOX_WAIT_THROTTLE | (wait_retries ? RELAY_OUTBOX_WAIT_RETRY : 0);
  guint sent = 0, failed = 0, unknown = 0, deferred = 0;
  gboolean broken = FALSE;
  gboolean stopped = FALSE;
  guint n_items = g_list_model_get_n_items (accounts);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (accounts, i);
      g_autoptr(RelayOutbox) own = NULL;
      Channel *channel;

      if (only != NULL && account != only)
        continue;
      own = relay_outbox_new_for_account (outbox, account, relay_account_store_get_default (store), accounts);
      /* Among several, an account with nothing to send is left out of
       * the report. (A drain of an empty outbox signs in to nothing;
       * one account's alone reads the outbox once, in its drain.) */
      if (only == NULL && n_items > 1 && relay_outbox_get_n_items (own) == 0)
        continue;

      channel = g_new0 (Channel, 1);
      channel->account = account;  /* the store keeps its own reference */
      channel->outbox = g_steal_pointer (&own);
      g_ptr_array_add (channels, channel);
    }

  /* first what may go now, through every account; then the waits */
  if (channels->len > 1)
    for (guint i = 0; i < channels->len; i++)
      channel_drain (g_ptr_array_index (channels, i), log, RELAY_OUTBOX_WAIT_NONE, TRUE);

  for (guint i = 0; i < channels->len; i++)
    {
      Channel *channel = g_ptr_array_index (channels, i);

      if (channel->broken || (channel->last != NULL && channel->last->deferred == 0))
        continue;
      channel_drain (channel, log, wait, channels->len > 1);
    }

  for (guint i = 0; i < channels->len; i++)
    {
      Channel *channel = g_ptr_array_index (channels, i);
      guint left = channel->last ? channel->last->deferred : 0;

      sent += channel->sent;
      failed += channel->failed;
      unknown += channel->unknown;
      deferred += left;
      broken |= channel->broken;
      if (channels->len > 1 && !quiet)
        /* Translators: an account's name, then counts of messages */
        g_print (_("“%s”: sent %u, failed %u, unknown %u, still queued %u\n"),
                 relay_account_get_name (channel->account), channel->sent, channel->failed, channel->unknown, left);
    }

  if (!quiet)
    /* Translators: counts of messages */
    g_print (_("Sent %u, failed %u, unknown %u, still queued %u\n"), sent, failed, unknown, deferred);
  else if (failed > 0 || unknown > 0 || deferred > 0 || broken)
    relay_cli_printerr (_("Sent %u, failed %u, unknown %u, still queued %u"), sent, failed, unknown, deferred);

  for (guint i = 0; i < channels->len; i++)
    {
      Channel *channel = g_ptr_array_index (channels, i);
      RelayOutboxReport *report = channel->last;

      if (report == NULL)
        continue;
      if (report->stopped_by != NULL)
        {
          relay_cli_printerr ("%s", report->stopped_by);
          stopped = TRUE;
        }
      if (report->held_until > 0)
        {
          g_autoptr(GDateTime) until = g_date_time_new_from_unix_local (report->held_until / G_USEC_PER_SEC);
          g_autofree char *text = relay_format_time (until);

          relay_cli_printerr (_("the provider’s quota is used up: sending resumes at %s (run “mail-relay-cli flush” then)"), text);
        }
      print_waiting (report);
    }

  return failed == 0 && unknown == 0 && deferred == 0 && !stopped && !broken
         ? RELAY_CLI_EXIT_OK : RELAY_CLI_EXIT_FAILED;
}

/**
 * relay_cli_flush:
 *
 * `mail-relay-cli flush`: sends everything queued, as throttling allows.
 */
int
relay_cli_flush (int    argc,
                 char **argv)
{
  gboolean wait = FALSE;
  g_autofree char *chosen = NULL;
  const GOptionEntry entries[] = {
    { "wait", 0, 0, G_OPTION_ARG_NONE, &wait, N_("Wait for deferred messages’ retries too, until only failures remain"), NULL },
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen, N_("Send only what goes through this account, by name or id"), "NAME|ID" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  RelayAccount *account;
  int status;

  g_option_context_set_summary (context, _("Send everything queued, as the provider’s limits allow."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (!(account = relay_cli_load_chosen_account (&store, chosen, NULL, &status)))
    return status;

  return relay_cli_drain (store, chosen ? account : NULL, log, wait, FALSE);
}
