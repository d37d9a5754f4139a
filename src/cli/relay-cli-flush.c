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

/**
 * relay_cli_drain:
 * @wait_retries: wait for deferred messages' retries too (--wait)
 *
 * Sends everything queued, as throttling allows, and says what happened
 * and what still waits: `flush`, and `send` once it has queued.
 *
 * Returns: the exit status
 */
int
relay_cli_drain (RelayAccount *account,
                 RelaySendLog *log,
                 gboolean      wait_retries)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayOutboxReport) report = NULL;
  Progress progress = { isatty (STDERR_FILENO) };
  RelayOutboxWait wait = RELAY_OUTBOX_WAIT_THROTTLE | (wait_retries ? RELAY_OUTBOX_WAIT_RETRY : 0);
  Drained drained = { loop };

  /* the progress lines come here, in this loop, before the result */
  relay_outbox_drain_async (outbox, account, log, wait, progress_cb, &progress, NULL, drained_cb, &drained);
  g_main_loop_run (loop);
  report = g_steal_pointer (&drained.report);
  error = g_steal_pointer (&drained.error);
  if (progress.tty)
    g_printerr ("\r\033[K");

  if (report == NULL)
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  /* Translators: counts of messages */
  g_print (_("Sent %u, failed %u, unknown %u, still queued %u\n"),
           report->sent, report->failed, report->unknown, report->deferred);

  if (report->stopped_by != NULL)
    relay_cli_printerr ("%s", report->stopped_by);
  if (report->held_until > 0)
    {
      g_autoptr(GDateTime) until = g_date_time_new_from_unix_local (report->held_until / G_USEC_PER_SEC);
      g_autofree char *text = relay_format_time (until);

      relay_cli_printerr (_("the provider’s quota is used up: sending resumes at %s (run “mail-relay-cli flush” then)"), text);
    }
  print_waiting (report);

  return report->failed == 0 && report->unknown == 0 && report->deferred == 0 && report->stopped_by == NULL
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
  const GOptionEntry entries[] = {
    { "wait", 0, 0, G_OPTION_ARG_NONE, &wait, N_("Wait for deferred messages’ retries too, until only failures remain"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  RelayAccount *account;

  g_option_context_set_summary (context, _("Send everything queued, as the provider’s limits allow."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (!(account = relay_cli_load_account (&store, NULL)))
    return RELAY_CLI_EXIT_FAILED;

  return relay_cli_drain (account, log, wait);
}
