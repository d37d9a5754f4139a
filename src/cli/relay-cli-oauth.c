/* relay-cli-oauth.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "relay-cli.h"
#include "relay-cli-options.h"
#include "relay-oauth-account.h"
#include "relay-validate.h"

typedef struct
{
  GMainLoop        *loop;
  RelayOAuthTokens *tokens;
  GError           *error;
} LinkRun;

static void
wait_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  LinkRun *run = user_data;

  run->tokens = relay_oauth_flow_wait_finish (RELAY_OAUTH_FLOW (object), result, &run->error);
  g_main_loop_quit (run->loop);
}

/**
 * relay_cli_link_gmail:
 *
 * `mail-relay-cli link-gmail [--no-browser] [--timeout S]`: signs in with
 * Google through the browser and keeps the tokens in the keyring. The
 * authorization URL is printed alone on one line first.
 */
int
relay_cli_link_gmail (int    argc,
                      char **argv)
{
  gboolean no_browser = FALSE;
  g_autofree char *timeout_text = NULL;
  g_autofree char *chosen = NULL;
  RelayAccount *target = NULL;
  int status;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen, N_("The account to link, by name or id (the default one without it)"), "NAME|ID" },
    { "no-browser", 0, 0, G_OPTION_ARG_NONE, &no_browser, N_("Only print the link to open"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout_text, N_("Give up after SECONDS (default 300)"), "SECONDS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayOAuthConfig) config = NULL;
  g_autoptr(RelayOAuthFlow) flow = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GAsyncResult) stored = NULL;
  g_autofree char *email = NULL;
  RelayProvider *gmail = relay_provider_lookup ("gmail");
  g_autoptr(RelayAccount) saved = NULL;
  RelayAccountTrust cleared;
  LinkRun run = { 0 };
  guint timeout = 300;

  g_option_context_set_summary (context, _("Link a Gmail account: sign in with Google in the browser; "
                                           "Mail Relay keeps the access it grants in the keyring."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (timeout_text != NULL &&
      !relay_validate_count (timeout_text, RELAY_ACCOUNT_ERROR_LIMITS, "--timeout", 1, &timeout, &error))
    {
      relay_cli_printerr ("--timeout: %s", error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  /* Read first: a broken accounts file is reported before the browser */
  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;
  if (chosen != NULL && !(target = relay_cli_choose_account (store, chosen, NULL, &status)))
    return status;
  if (target == NULL)
    target = relay_account_store_get_default (store);

  /* the account's own client, if it has one for Google, with its secret
   * from the keyring; else the built-in one */
  if (target != NULL)
    {
      g_autoptr(GAsyncResult) got = NULL;

      relay_oauth_account_get_config_async (target, gmail, NULL,
                                            relay_cli_async_done, &got);
      config = relay_oauth_account_get_config_finish (relay_cli_async_wait (&got), &error);
    }
  else
    config = relay_oauth_config_new_for_provider (gmail, &error);

  if (config == NULL)
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  flow = relay_oauth_flow_new (config);
  if (!relay_oauth_flow_start (flow, &error))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  g_print ("%s\n", relay_oauth_flow_get_authorization_uri (flow));
  fflush (stdout);

  if (!no_browser &&
      !g_app_info_launch_default_for_uri (relay_oauth_flow_get_authorization_uri (flow), NULL, &error))
    {
      relay_cli_printerr (_("could not open the browser (%s): open the link above yourself"), error->message);
      g_clear_error (&error);
    }

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  relay_oauth_flow_wait_async (flow, timeout, NULL, wait_cb, &run);
  g_main_loop_run (loop);

  if (run.tokens == NULL)
    {
      if (g_error_matches (run.error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_ACCESS_DENIED))
        relay_cli_printerr (_("you declined the sign-in; nothing was linked"));
      else
        relay_cli_printerr ("%s", run.error->message);
      g_clear_error (&run.error);
      return RELAY_CLI_EXIT_FAILED;
    }

  /* a sign-in always names the address (or fails with RELAY_OAUTH_ERROR_NO_ADDRESS) */
  g_assert (run.tokens->email != NULL);
  email = g_strdup (run.tokens->email);
  /* a reference: putting the new account into the store drops the old one */
  if (target != NULL)
    saved = g_object_ref (target);
  account = saved ? relay_account_copy (saved) : relay_account_new ();
  relay_account_apply_provider (account, gmail);
  /* Google's server: a CA or pin for the old one must not come along */
  cleared = relay_account_forget_old_trust (account, saved, RELAY_ACCOUNT_TRUST_NONE);
  relay_account_set_username (account, email);
  if (relay_account_get_from (account)[0] == '\0')
    relay_account_set_from (account, email);
  relay_account_set_sign_in_again (account, FALSE);

  /* the keyring first: without it nothing is saved */
  relay_oauth_account_store_tokens_async (account, run.tokens, NULL, relay_cli_async_done, &stored);
  relay_oauth_tokens_free (run.tokens);
  if (!relay_oauth_account_store_tokens_finish (relay_cli_async_wait (&stored), &error))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  relay_account_store_put (store, account);
  if (!relay_account_store_save (store, &error))
    {
      relay_cli_printerr (_("could not save the account: %s"), error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  g_print (_("Linked %s\n"), email);
  relay_cli_print_trust_cleared (cleared, saved);
  return RELAY_CLI_EXIT_OK;
}

/**
 * relay_cli_unlink:
 *
 * `mail-relay-cli unlink`: forgets the tokens of the account.
 */
int
relay_cli_unlink (int    argc,
                  char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(GAsyncResult) signed_out = NULL;
  g_autofree char *chosen = NULL;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen, N_("The account to sign out of, by name or id (the default one without it)"), "NAME|ID" },
    { NULL }
  };
  RelayAccount *account;
  int status;

  g_option_context_set_summary (context, _("Sign out: forget the account’s sign-in tokens."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (!(account = relay_cli_load_chosen_account (&store, chosen, _("there is no account to sign out of"), &status)))
    return status;

  relay_oauth_account_sign_out_async (account, NULL, relay_cli_async_done, &signed_out);
  if (!relay_oauth_account_sign_out_finish (relay_cli_async_wait (&signed_out), &error))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  g_print (_("Signed out of %s\n"), relay_account_get_username (account));
  return RELAY_CLI_EXIT_OK;
}
