/* relay-cli.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>

#include "relay-cli.h"
#include "relay-cli-network.h"

/**
 * relay_cli_printerr:
 *
 * Prints “mail-relay-cli: MESSAGE” on stderr.
 */
void
relay_cli_printerr (const char *format,
                    ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_printerr ("mail-relay-cli: %s\n", message);
}

/* Parses a subcommand's options; says what is wrong with them if they
 * cannot be parsed */
gboolean
relay_cli_parse_options (GOptionContext   *context,
                         int              *argc,
                         char           ***argv)
{
  g_autoptr(GError) error = NULL;

  if (g_option_context_parse (context, argc, argv, &error))
    return TRUE;

  relay_cli_printerr ("%s", error->message);
  return FALSE;
}

/**
 * relay_cli_parse_options_only:
 *
 * relay_cli_parse_options() for a command that takes its options and
 * nothing else: an argument left over is a usage error that names it.
 *
 * Returns: %FALSE after saying what is wrong
 */
gboolean
relay_cli_parse_options_only (GOptionContext   *context,
                              int              *argc,
                              char           ***argv)
{
  if (!relay_cli_parse_options (context, argc, argv))
    return FALSE;

  if (*argc > 1)
    {
      relay_cli_printerr (_("unexpected argument “%s”"), (*argv)[1]);
      return FALSE;
    }

  return TRUE;
}

/**
 * relay_cli_async_done:
 * @user_data: a `GAsyncResult **` that is %NULL until the call completes
 *
 * The callback for a core `_async` call a command waits for with
 * relay_cli_async_wait(): it keeps the result.
 */
void
relay_cli_async_done (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert (*out == NULL);
  *out = g_object_ref (result);
}

/**
 * relay_cli_async_wait:
 * @result: where relay_cli_async_done() puts the result
 *
 * Runs the main context until the call whose callback is
 * relay_cli_async_done() has completed, so that a command calls the same
 * `_async` functions as the app, in order.
 *
 * Returns: (transfer none): *@result, for the call's `_finish`; the
 *   caller unrefs *@result
 */
GAsyncResult *
relay_cli_async_wait (GAsyncResult **result)
{
  g_return_val_if_fail (result != NULL, NULL);

  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

static void
print_usage (FILE *stream)
{
  fprintf (stream, "%s\n\n%s\n",
           _("Usage: mail-relay-cli COMMAND [OPTIONS]"),
           _("Commands:\n"
             "  account set [ACCOUNT OPTIONS]   create or update the account\n"
             "  account show [--json]           show the account\n"
             "  account delete                  delete the account and its password\n"
             "  account export [--account A] [--output FILE] [--format profile|autoconfig]\n"
             "                 [--include-secret --passphrase-stdin]\n"
             "                                  write the account as a channel profile\n"
             "  account import FILE [--name NAME] [--username NAME]\n"
             "                 [--password-stdin | --passphrase-stdin]\n"
             "                                  create an account from a channel profile\n"
             "  test [ACCOUNT OPTIONS] [--send-to ADDR] [--timeout SECONDS] [--json]\n"
             "                                  test the server step by step\n"
             "  link-gmail [--no-browser] [--timeout SECONDS]\n"
             "                                  sign in with Google for Gmail\n"
             "  unlink                          sign out: forget the sign-in tokens\n"
             "  send --to ADDR --subject TEXT [--body-file FILE|-] [--no-wait|--wait]\n"
             "                                  queue a message and send the outbox\n"
             "  sendmail [-t] [-i|-oi] [-f ADDR] [-F NAME] [--] [ADDR...]\n"
             "                                  queue the message on standard input, then send it\n"
             "  flush [--wait]                  send everything queued\n"
             "  log [--json] [--status STATUS] [--limit N]\n"
             "                                  show the send log, oldest first\n"
             "  sandbox [--port N]              run the local test server\n"
             "\n"
             "Run “mail-relay-cli account set --help” for the account options."));
}

int
main (int   argc,
      char *argv[])
{
  const char *localedir = g_getenv ("MAIL_RELAY_LOCALEDIR");
  g_autofree char *called = NULL;

  /* standard output is for results (link-gmail's URL alone on its line,
   * --json): GLib's own messages, G_MESSAGES_DEBUG's too, go to stderr */
  g_log_writer_default_set_use_stderr (TRUE);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  /* called as sendmail (a link /usr/sbin/sendmail → mail-relay-cli):
   * the sendmail entry, with sendmail's arguments */
  called = g_path_get_basename (argv[0]);
  if (g_str_equal (called, "sendmail"))
    return relay_cli_sendmail (argc, argv);

  if (argc < 2)
    {
      print_usage (stderr);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") || g_str_equal (argv[1], "help"))
    {
      print_usage (stdout);
      return RELAY_CLI_EXIT_OK;
    }

  if (g_str_equal (argv[1], "--version"))
    {
      g_print ("mail-relay-cli %s\n", PACKAGE_VERSION);
      return RELAY_CLI_EXIT_OK;
    }

  /* the commands that talk to a server or the keyring are in the network
   * module, loaded only for them */
  if (g_str_equal (argv[1], "account"))
    return relay_cli_network_run (G_STRUCT_OFFSET (RelayCliNetwork, account), argc - 1, argv + 1);

  /* GOption's usage line names the program after argv[0] */
  if (g_str_equal (argv[1], "link-gmail"))
    {
      argv[1] = (char *)"mail-relay-cli link-gmail";
      return relay_cli_network_run (G_STRUCT_OFFSET (RelayCliNetwork, link_gmail), argc - 1, argv + 1);
    }

  if (g_str_equal (argv[1], "unlink"))
    {
      argv[1] = (char *)"mail-relay-cli unlink";
      return relay_cli_network_run (G_STRUCT_OFFSET (RelayCliNetwork, unlink), argc - 1, argv + 1);
    }

  if (g_str_equal (argv[1], "send"))
    {
      argv[1] = (char *)"mail-relay-cli send";
      return relay_cli_send (argc - 1, argv + 1);
    }

  if (g_str_equal (argv[1], "sendmail"))
    return relay_cli_sendmail (argc - 1, argv + 1);

  if (g_str_equal (argv[1], "flush"))
    {
      argv[1] = (char *)"mail-relay-cli flush";
      return relay_cli_network_run (G_STRUCT_OFFSET (RelayCliNetwork, flush), argc - 1, argv + 1);
    }

  if (g_str_equal (argv[1], "sandbox"))
    {
      argv[1] = (char *)"mail-relay-cli sandbox";
      return relay_cli_network_run (G_STRUCT_OFFSET (RelayCliNetwork, sandbox), argc - 1, argv + 1);
    }

  if (g_str_equal (argv[1], "log"))
    {
      argv[1] = (char *)"mail-relay-cli log";
      return relay_cli_log (argc - 1, argv + 1);
    }

  if (g_str_equal (argv[1], "test"))
    {
      argv[1] = (char *)"mail-relay-cli test";
      return relay_cli_network_run (G_STRUCT_OFFSET (RelayCliNetwork, test), argc - 1, argv + 1);
    }

  relay_cli_printerr (_("“%s” is not a command"), argv[1]);
  print_usage (stderr);
  return RELAY_CLI_EXIT_USAGE;
}
