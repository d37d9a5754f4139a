/* relay-cli-outbox.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "relay-cli.h"
#include "relay-cli-options.h"
#include "relay-format.h"
#include "relay-outbox.h"

#define MAX_BODY (10 * 1024 * 1024)

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

static int
drain (RelayAccount *account,
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

static GBytes *
read_body (const char  *file,
           GError     **error)
{
  g_autoptr(GInputStream) input = NULL;
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[8192];
  gssize n;

  if (file == NULL)
    return g_bytes_new_static ("", 0);

  if (!g_str_equal (file, "-"))
    {
      g_autofree char *contents = NULL;
      gsize length;

      if (!g_file_get_contents (file, &contents, &length, error))
        return NULL;
      return g_bytes_new_take (g_steal_pointer (&contents), length);
    }

  input = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  while ((n = g_input_stream_read (input, buffer, sizeof buffer, NULL, error)) > 0)
    {
      if (data->len + n > MAX_BODY)
        {
          g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE,
                               _("Body: it is larger than 10 MiB"));
          return NULL;
        }
      g_byte_array_append (data, buffer, n);
    }

  if (n < 0)
    return NULL;

  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/**
 * relay_cli_send:
 *
 * `mail-relay-cli send --to ADDR … --subject TEXT [--body-file FILE|-]
 * [--no-wait]`: queues the message, then drains the outbox like `flush`.
 */
int
relay_cli_send (int    argc,
                char **argv)
{
  g_auto(GStrv) to = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *body_file = NULL;
  gboolean no_wait = FALSE;
  gboolean wait = FALSE;
  const GOptionEntry entries[] = {
    { "to", 0, 0, G_OPTION_ARG_STRING_ARRAY, &to, N_("A recipient (repeat for more)"), "ADDR" },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &subject, N_("The subject"), "TEXT" },
    { "body-file", 0, 0, G_OPTION_ARG_FILENAME, &body_file, N_("The text of the message, or - for standard input"), "FILE" },
    { "no-wait", 0, 0, G_OPTION_ARG_NONE, &no_wait, N_("Only queue the message"), NULL },
    { "wait", 0, 0, G_OPTION_ARG_NONE, &wait, N_("Wait for deferred messages’ retries too, until only failures remain"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(GBytes) body = NULL;
  g_autofree char *message_id = NULL;
  RelayAccount *account;

  g_option_context_set_summary (context, _("Queue a message, then send everything queued as the provider’s limits allow."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (no_wait && wait)
    {
      relay_cli_printerr (_("--wait: cannot be used with --no-wait"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (to == NULL || to[0] == NULL)
    {
      relay_cli_printerr (_("--to: give at least one recipient"));
      return RELAY_CLI_EXIT_USAGE;
    }
  if (subject == NULL)
    {
      relay_cli_printerr (_("--subject: give the message a subject"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(body = read_body (body_file, &error)))
    {
      relay_cli_printerr ("--body-file: %s", error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(account = relay_cli_load_account (&store, NULL)))
    return RELAY_CLI_EXIT_FAILED;

  message_id = relay_outbox_enqueue (account, (const char * const *)to, subject, body, log, &error);
  if (message_id == NULL)
    {
      if (g_error_matches (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE))
        {
          /* the message names the field: Recipient, Subject, Body */
          relay_cli_printerr ("%s", error->message);
          return RELAY_CLI_EXIT_USAGE;
        }
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  g_print (_("Queued <%s>\n"), message_id);
  if (no_wait)
    return RELAY_CLI_EXIT_OK;

  return drain (account, log, wait);
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

  return drain (account, log, wait);
}
