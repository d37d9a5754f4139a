/* relay-cli-outbox.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `send`: queueing a message, in mail-relay-cli itself; sending what is
 * queued is the network module's (relay-cli-flush.c).
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

#include "relay-cli.h"
#include "relay-cli-network.h"
#include "relay-cli-options.h"
#include "relay-outbox.h"
#include "relay-validate.h"

#define MAX_BODY (10 * 1024 * 1024)

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
 * [--from ADDR] [--account A] [--no-wait]`: queues the message, through
 * the account routing by sender picks (or the one named), then drains
 * the outbox like `flush`.
 */
int
relay_cli_send (int    argc,
                char **argv)
{
  g_auto(GStrv) to = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *body_file = NULL;
  g_autofree char *from = NULL;
  g_autofree char *chosen = NULL;
  gboolean no_wait = FALSE;
  gboolean wait = FALSE;
  const GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, N_("The sender; it chooses the account the message goes through"), "ADDR" },
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen, N_("Send through this account, by name or id, rather than the one the sender chooses"), "NAME|ID" },
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
  g_autofree char *sender = NULL;
  g_autoptr(RelayOutbox) outbox = NULL;
  RelayAccount *account;
  int status;

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

  if (from != NULL && !(sender = relay_validate_address (from, &error)))
    return relay_cli_usage_error (error);

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;

  /* the account: the one named, or the one routing picks for the sender;
   * a sender its provider will not send as is refused before queueing */
  if (chosen != NULL)
    {
      if (!(account = relay_cli_choose_account (store, chosen, NULL, &status)))
        return status;
      if (sender != NULL && !relay_account_accepts_sender (account, sender))
        {
          RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));

          /* Translators: an account's name, an address, a provider (“Office 365”) */
          relay_cli_printerr (_("--from: account “%s” cannot send as %s: %s sends only as the signed-in mailbox; "
                                "add the address to the account with --sender if it is an alias of that mailbox"),
                              relay_account_get_name (account), sender, relay_provider_get_name (provider));
          return RELAY_CLI_EXIT_USAGE;
        }
    }
  else if (!(account = relay_account_store_route (store, sender, &error)))
    {
      if (g_error_matches (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_SENDER_REFUSED))
        {
          relay_cli_printerr ("--from: %s", error->message);
          return RELAY_CLI_EXIT_USAGE;
        }
      relay_cli_printerr ("%s", _("no account is set up yet; create one with “mail-relay-cli account set”"));
      return RELAY_CLI_EXIT_FAILED;
    }

  outbox = relay_outbox_new (NULL);
  relay_outbox_set_source (outbox, "cli");
  message_id = relay_outbox_add_from (outbox, account, sender, (const char * const *)to, subject, body, log, &error);
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

  return relay_cli_network_drain (store, NULL, log, wait, FALSE);
}
