/* relay-cli-sandbox.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>

#include "relay-cli.h"
#include "relay-sandbox-server.h"
#include "relay-secrets.h"
#include "relay-validate.h"


static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static void
message_received_cb (RelaySandboxServer *server,
                     const char         *from,
                     const char * const *recipients,
                     GBytes             *message,
                     gpointer            user_data)
{
  g_autofree char *to = g_strjoinv (", ", (char **)recipients);
  g_autofree char *size = g_strdup_printf ("%" G_GSIZE_FORMAT, g_bytes_get_size (message));

  /* Translators: a message number, its sender, its recipients, its size */
  g_print (_("Received message %u from <%s> to %s (%s bytes)\n"),
           relay_sandbox_server_get_n_received (server), from, to, size);
}

/**
 * relay_cli_sandbox:
 *
 * `mail-relay-cli sandbox [--port N]`: runs the local test server until
 * interrupted. The password goes to the keyring, never to the terminal.
 */
int
relay_cli_sandbox (int    argc,
                   char **argv)
{
  g_autofree char *port_text = NULL;
  const GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_STRING, &port_text, N_("STARTTLS port (default 2525; SSL/TLS takes any free port)"), "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(RelaySandboxServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) keyring_error = NULL;
  guint port = 2525;
  const char *sha256;
  g_autofree char *item = NULL;
  g_autofree char *lookup = NULL;

  g_option_context_set_summary (context, _("Run Mail Relay’s local test server on 127.0.0.1 until interrupted."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (port_text != NULL && !relay_validate_port (port_text, &port, &error))
    {
      relay_cli_printerr ("--port: %s", error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  server = relay_sandbox_server_new ();
  if (!relay_sandbox_server_start (server, port, 0, &error))
    {
      relay_cli_printerr (_("the test server could not start: %s"), error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  /* one keyring item per running server, named after its port */
  item = g_strdup_printf ("sandbox-%u", relay_sandbox_server_get_starttls_port (server));
  lookup = g_strdup_printf ("secret-tool lookup xdg:schema io.github.mailrelay.MailRelay account %s kind password",
                            item);
  relay_secrets_store_sync (item, RELAY_SECRET_PASSWORD, _("the local test server"),
                            relay_sandbox_server_get_password (server), NULL, &keyring_error);

  sha256 = relay_sandbox_server_get_certificate_sha256 (server);

  g_print (_("Mail Relay’s local test server, reachable from this computer only (127.0.0.1)\n"));
  g_print ("  %-12s %u\n", "STARTTLS", relay_sandbox_server_get_starttls_port (server));
  g_print ("  %-12s %u\n", "SSL/TLS", relay_sandbox_server_get_tls_port (server));
  g_print ("  %-12s %s\n", _("User name"), relay_sandbox_server_get_username (server));
  if (keyring_error == NULL)
    {
      g_print ("  %-12s %s\n", _("Password"), _("kept in the keyring while the server runs:"));
      g_print ("  %-12s %s\n", "", lookup);
    }
  else
    relay_cli_printerr ("%s", keyring_error->message);
  g_print ("  %-12s %s\n", "SHA-256", sha256);
  g_print ("\n%s\n  %s |\n"
           "    mail-relay-cli test --provider local --port %u --username sandbox --password-stdin \\\n"
           "      --pin %s --from you@example.org --send-to you@example.org\n\n",
           _("Try it:"), lookup, relay_sandbox_server_get_starttls_port (server), sha256);
  g_print ("%s\n", _("Press Ctrl+C to stop."));

  g_signal_connect (server, "message-received", G_CALLBACK (message_received_cb), NULL);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  relay_sandbox_server_stop (server);
  /* the password dies with the server */
  if (keyring_error == NULL)
    relay_secrets_clear_sync (item, NULL, NULL);

  return RELAY_CLI_EXIT_OK;
}
