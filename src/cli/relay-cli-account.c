/* relay-cli-account.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "relay-account-store.h"
#include "relay-cli.h"
#include "relay-cli-options.h"
#include "relay-enum-types.h"
#include "relay-oauth-account.h"
#include "relay-secrets.h"
#include "relay-validate.h"


/* --oauth-client-id and --oauth-client-secret-stdin: the account's own
 * OAuth client, for a copy built without one. Applied after the preset,
 * whose sign-in the id must belong to. */
static gboolean
apply_oauth_client (RelayAccount  *account,
                    const char    *client_id,
                    gboolean       secret_stdin,
                    char         **secret,
                    GError       **error)
{
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
  const char *service = provider ? relay_provider_get_oauth_service (provider) : NULL;
  g_autofree char *checked = NULL;

  if (client_id != NULL && client_id[0] != '\0')
    {
      if (service == NULL)
        {
          g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID,
                       /* Translators: %s is a provider, e.g. “SendGrid” */
                       _("Client ID: %s does not offer a sign-in that uses one"),
                       provider ? relay_provider_get_name (provider) : relay_account_get_provider (account));
          return FALSE;
        }
      if (!(checked = relay_validate_oauth_client_id (service, client_id, error)))
        return FALSE;
      relay_account_set_oauth_client_id (account, checked);
    }
  else if (client_id != NULL)
    relay_account_set_oauth_client_id (account, NULL);

  if (!secret_stdin)
    return TRUE;

  if (relay_account_get_oauth_client_id (account)[0] == '\0')
    {
      g_set_error_literal (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET,
                           _("Client secret: it belongs to a client ID: give --oauth-client-id too"));
      return FALSE;
    }

  if (!(*secret = relay_cli_read_secret (RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET, error)))
    return FALSE;

  if (!relay_validate_oauth_client_secret (service, *secret, error))
    {
      memset (*secret, 0, strlen (*secret));
      g_clear_pointer (secret, g_free);
      return FALSE;
    }

  return TRUE;
}

static int
account_set (int    argc,
             char **argv)
{
  g_auto(RelayCliAccountOptions) options = { 0 };
  g_autofree char *oauth_client_id = NULL;
  gboolean oauth_client_secret_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "oauth-client-id", 0, 0, G_OPTION_ARG_STRING, &oauth_client_id,
      N_("Sign in with your own OAuth client (Gmail, Microsoft 365); \"\" for the built-in one"), "ID" },
    { "oauth-client-secret-stdin", 0, 0, G_OPTION_ARG_NONE, &oauth_client_secret_stdin,
      N_("Read your OAuth client’s secret from standard input"), NULL },
    { NULL }
  };
  g_autofree char *client_secret = NULL;
  gboolean client_changed;

  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelayAccount) account = NULL;
  g_autofree char *password = NULL;
  g_autoptr(RelayAccount) saved = NULL;
  RelayAccountTrust keep = RELAY_ACCOUNT_TRUST_NONE;
  RelayAccountTrust cleared;
  gboolean created;
  gboolean new_server;

  g_option_context_set_summary (context, _("Create or update the account that mail is sent through."));
  relay_cli_account_options_add (context, &options);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options_only (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (options.password_stdin && oauth_client_secret_stdin)
    {
      relay_cli_printerr (_("--password-stdin and --oauth-client-secret-stdin both read standard input: "
                            "give one at a time"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;

  /* a reference: putting the new account into the store drops the old one */
  if (relay_account_store_get_default (store) != NULL)
    saved = g_object_ref (relay_account_store_get_default (store));
  created = saved == NULL;
  account = created ? relay_account_new () : relay_account_copy (saved);

  if (!relay_cli_account_options_apply (&options, account, &error))
    return relay_cli_usage_error (error);

  /* trust given in this command is for the server it names */
  if (options.ca_file != NULL)
    keep |= RELAY_ACCOUNT_TRUST_CA_FILE;
  if (options.pins != NULL)
    keep |= RELAY_ACCOUNT_TRUST_PINS;
  if (options.allow_insecure)
    keep |= RELAY_ACCOUNT_TRUST_ALLOW_INSECURE;
  cleared = relay_account_forget_old_trust (account, saved, keep);
  /* a saved password is for the host it was saved with (another port of
   * the same host is the same mailbox's server) */
  new_server = saved != NULL &&
               (g_strcmp0 (relay_account_get_provider (saved), relay_account_get_provider (account)) != 0 ||
                g_ascii_strcasecmp (relay_account_get_host (saved), relay_account_get_host (account)) != 0);

  if (!relay_account_validate (account, &error))
    return relay_cli_usage_error (error);

  if (!apply_oauth_client (account, oauth_client_id, oauth_client_secret_stdin, &client_secret, &error))
    {
      if (error->domain == RELAY_ACCOUNT_ERROR)
        return relay_cli_usage_error (error);
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }
  client_changed = g_strcmp0 (relay_account_get_oauth_client_id (account),
                              saved ? relay_account_get_oauth_client_id (saved) : "") != 0;

  /* A Google client cannot sign in without its secret */
  if (client_changed && client_secret == NULL && relay_account_get_oauth_client_id (account)[0] != '\0')
    {
      RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));

      if (!relay_validate_oauth_client_secret (relay_provider_get_oauth_service (provider), "", &error))
        return relay_cli_usage_error (error);
    }

  if (options.password_stdin && !(password = relay_cli_read_password (&error)))
    {
      if (error->domain == RELAY_ACCOUNT_ERROR)
        return relay_cli_usage_error (error);
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  /* The keyring first, for the client's secret as for the password */
  if (client_secret != NULL)
    {
      gboolean stored = relay_oauth_account_store_client_secret (account, client_secret, NULL, &error);

      memset (client_secret, 0, strlen (client_secret));
      if (!stored)
        {
          relay_cli_printerr ("%s", error->message);
          return RELAY_CLI_EXIT_FAILED;
        }
    }

  /* The keyring first: when it cannot keep the password nothing is
   * saved, so that no account waits for a password it never got. */
  if (password != NULL)
    {
      const char *description = relay_account_get_username (account)[0]
                                ? relay_account_get_username (account)
                                : relay_account_get_host (account);
      gboolean stored;

      stored = relay_secrets_store_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD,
                                         description, password, NULL, &error);
      memset (password, 0, strlen (password));
      if (!stored)
        {
          relay_cli_printerr ("%s", error->message);
          return RELAY_CLI_EXIT_FAILED;
        }
    }

  relay_account_store_put (store, account);
  if (!relay_account_store_save (store, &error))
    {
      relay_cli_printerr (_("could not save the account: %s"), error->message);
      if (created && password != NULL)
        relay_secrets_clear_sync (relay_account_get_id (account), NULL, NULL);
      return RELAY_CLI_EXIT_FAILED;
    }

  g_print (created ? _("Created account %s (%s, port %u)\n") : _("Updated account %s (%s, port %u)\n"),
           relay_account_get_id (account),
           relay_account_get_host (account),
           relay_account_get_port (account));
  relay_cli_print_trust_cleared (cleared, saved);

  /* an own client that is gone or replaced takes its secret along: a new
   * client given without one is never paired with the old one's */
  if (client_changed && client_secret == NULL &&
      !relay_oauth_account_store_client_secret (account, NULL, NULL, &error))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  /* never sent to a server it was not saved for: the old server's
   * password goes, unless this command gave a new one (a sign-in's tokens
   * are the provider's, and stay with a password-less account) */
  if (new_server && password == NULL && !relay_account_uses_token (account))
    {
      g_autofree char *secret = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD,
                                                           NULL, NULL);

      if (secret != NULL)
        {
          memset (secret, 0, strlen (secret));
          if (!relay_secrets_clear_sync (relay_account_get_id (account), NULL, &error))
            {
              relay_cli_printerr ("%s", error->message);
              return RELAY_CLI_EXIT_FAILED;
            }
          g_print (_("Removed the password saved for %s: it is not sent to %s. Give this server’s password with --password-stdin.\n"),
                   relay_account_get_host (saved), relay_account_get_host (account));
        }
    }

  return RELAY_CLI_EXIT_OK;
}

static const char *
security_label (RelaySecurity security)
{
  switch (security)
    {
    case RELAY_SECURITY_TLS:      return _("SSL/TLS");
    case RELAY_SECURITY_STARTTLS: return _("STARTTLS");
    case RELAY_SECURITY_NONE:     return _("None");
    default:
      g_return_val_if_reached ("");
    }
}

static const char *
enum_nick (GType type,
           int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);

  return g_enum_get_value (klass, value)->value_nick;
}

/* Pads by display width, so that Chinese labels line up too */
static void
print_field (const char *label,
             const char *value)
{
  int width = 0;

  for (const char *p = label; *p; p = g_utf8_next_char (p))
    width += g_unichar_iswide (g_utf8_get_char (p)) ? 2 : 1;

  g_print ("%s%*s%s\n", label, MAX (16 - width, 1), "", value);
}

static int
account_show (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the account as a JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) keyring_error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autofree char *secret = NULL;
  RelayAccount *account;
  const char *password_state;

  g_option_context_set_summary (context, _("Show the account that mail is sent through."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (!(account = relay_cli_load_account (&store, NULL)))
    return RELAY_CLI_EXIT_FAILED;

  /* Only whether a password is stored is shown, never the password */
  secret = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD,
                                      NULL, &keyring_error);
  password_state = keyring_error ? "unavailable" : secret ? "stored" : "none";
  if (secret != NULL)
    memset (secret, 0, strlen (secret));

  if (json)
    {
      g_autoptr(JsonNode) node = relay_account_to_json (account);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;

      json_object_set_string_member (json_node_get_object (node), "password", password_state);
      json_generator_set_root (generator, node);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      g_print ("%s\n", text);
    }
  else
    {
      RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
      g_autofree char *port = g_strdup_printf ("%u", relay_account_get_port (account));
      g_autofree char *messages = NULL;
      g_autofree char *recipients = NULL;

      if (relay_account_get_max_messages (account) > 0)
        messages = relay_format_limit (relay_account_get_max_messages (account),
                                       relay_account_get_message_window (account), FALSE);
      if (relay_account_get_max_recipients (account) > 0)
        recipients = relay_format_limit (relay_account_get_max_recipients (account),
                                         relay_account_get_recipient_window (account), TRUE);

      print_field (_("Account"), relay_account_get_id (account));
      print_field (_("Provider"),
                   provider ? relay_provider_get_name (provider) : relay_account_get_provider (account));
      print_field (_("Server"), relay_account_get_host (account));
      print_field (_("Port"), port);
      print_field (_("Security"), security_label (relay_account_get_security (account)));
      print_field (_("Authentication"),
                   enum_nick (RELAY_TYPE_AUTH_METHOD, relay_account_get_auth (account)));
      print_field (_("User name"), relay_account_get_username (account));
      if (relay_account_get_oauth_client_id (account)[0] != '\0')
        print_field (_("Sign-in client"), relay_account_get_oauth_client_id (account));
      print_field (_("Password"),
                   g_str_equal (password_state, "stored") ? _("stored in the keyring")
                   : g_str_equal (password_state, "none") ? _("none stored")
                   : _("unknown: the keyring is not available"));
      print_field (_("Sender"), relay_account_get_from (account));
      if (messages == NULL && recipients == NULL)
        print_field (_("Limits"), _("none"));
      if (messages != NULL)
        print_field (_("Limits"), messages);
      if (recipients != NULL)
        print_field (messages ? "" : _("Limits"), recipients);
    }

  if (keyring_error != NULL)
    relay_cli_printerr ("%s", keyring_error->message);

  return RELAY_CLI_EXIT_OK;
}

static int
account_delete (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autofree char *id = NULL;
  RelayAccount *account = NULL;
  const GOptionEntry entries[] = {
    { "id", 0, 0, G_OPTION_ARG_STRING, &id,
      N_("Delete the account with this id, or the secrets the keyring keeps for it when no account has it (after its file was damaged and moved aside)"),
      "ID" },
    { NULL }
  };

  g_option_context_set_summary (context, _("Delete the account and the secrets kept for it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (id != NULL && !g_uuid_string_is_valid (id))
    {
      relay_cli_printerr (_("--id: “%s” is not an account id"), id);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;

  if (id != NULL && relay_account_store_lookup (store, id) == NULL)
    {
      /* an account no file names any more: only its secrets are left */
      if (!relay_secrets_clear_sync (id, NULL, &error))
        {
          relay_cli_printerr ("%s", error->message);
          return RELAY_CLI_EXIT_FAILED;
        }
      g_print (_("Removed what the keyring kept for account %s\n"), id);
      return RELAY_CLI_EXIT_OK;
    }

  if (id == NULL && !(account = relay_cli_get_account (store, _("there is no account to delete"))))
    return RELAY_CLI_EXIT_FAILED;

  if (id == NULL)
    id = g_strdup (relay_account_get_id (account));

  /* Secrets first: an account whose password could not be removed stays,
   * so that it can be deleted again once the keyring is back. */
  if (!relay_secrets_clear_sync (id, NULL, &error))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  relay_account_store_remove (store, id);
  if (!relay_account_store_save (store, &error))
    {
      relay_cli_printerr (_("could not save the accounts: %s"), error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  g_print (_("Deleted account %s\n"), id);
  return RELAY_CLI_EXIT_OK;
}

int
relay_cli_account (int    argc,
                   char **argv)
{
  static const struct {
    const char *name;
    const char *program;
    int       (*run) (int argc, char **argv);
  } commands[] = {
    { "set", "mail-relay-cli account set", account_set },
    { "show", "mail-relay-cli account show", account_show },
    { "delete", "mail-relay-cli account delete", account_delete },
    { "export", "mail-relay-cli account export", relay_cli_account_export },
    { "import", "mail-relay-cli account import", relay_cli_account_import },
  };

  for (guint i = 0; argc >= 2 && i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        /* GOption's usage line names the program after argv[0] */
        argv[1] = (char *)commands[i].program;
        return commands[i].run (argc - 1, argv + 1);
      }

  relay_cli_printerr (_("usage: mail-relay-cli account set|show|delete|export|import [OPTIONS]"));
  return RELAY_CLI_EXIT_USAGE;
}
