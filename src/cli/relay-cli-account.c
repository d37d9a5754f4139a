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
#include "relay-json-private.h"
#include "relay-oauth-account.h"
#include "relay-outbox.h"
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

/* `account set` (@add FALSE) and `account add` (@add TRUE) */
static int
edit_account (int       argc,
              char    **argv,
              gboolean  add)
{
  g_auto(RelayCliAccountOptions) options = { 0 };
  g_autofree char *oauth_client_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *chosen = NULL;
  gboolean oauth_client_secret_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name,
      N_("The account’s name, which no other account has"), "NAME" },
    { "oauth-client-id", 0, 0, G_OPTION_ARG_STRING, &oauth_client_id,
      N_("Sign in with your own OAuth client (Gmail, Microsoft 365); \"\" for the built-in one"), "ID" },
    { "oauth-client-secret-stdin", 0, 0, G_OPTION_ARG_NONE, &oauth_client_secret_stdin,
      N_("Read your OAuth client’s secret from standard input"), NULL },
    { NULL }
  };
  const GOptionEntry account_entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen,
      N_("The account to update, by name or id (the default one without it)"), "NAME|ID" },
    { NULL }
  };
  int status;
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

  g_option_context_set_summary (context, add ? _("Add an account: another delivery channel.")
                                             : _("Create or update an account: the default one, or the one --account names."));
  relay_cli_account_options_add (context, &options);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!add)
    g_option_context_add_main_entries (context, account_entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options_only (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (add && name == NULL)
    {
      relay_cli_printerr (_("--name: give the new account a name"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (options.password_stdin && oauth_client_secret_stdin)
    {
      relay_cli_printerr (_("--password-stdin and --oauth-client-secret-stdin both read standard input: "
                            "give one at a time"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;

  /* a reference: putting the new account into the store drops the old one */
  if (chosen != NULL)
    {
      RelayAccount *found = relay_cli_choose_account (store, chosen, NULL, &status);

      if (found == NULL)
        return status;
      saved = g_object_ref (found);
    }
  else if (!add && relay_account_store_get_default (store) != NULL)
    saved = g_object_ref (relay_account_store_get_default (store));
  created = saved == NULL;
  account = created ? relay_account_new () : relay_account_copy (saved);

  if (name != NULL)
    {
      g_autofree char *checked = relay_account_store_check_name (store, name, account, &error);

      if (checked == NULL)
        return relay_cli_usage_error (error);
      relay_account_set_name (account, checked);
    }

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
  if (relay_account_store_get_default (store) == relay_account_store_lookup (store, relay_account_get_id (account)))
    /* Translators: an account's name */
    g_print (_("Its name is “%s”; it is the default account\n"), relay_account_get_name (account));
  else
    /* Translators: an account's name */
    g_print (_("Its name is “%s”\n"), relay_account_get_name (account));
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
  g_autofree char *chosen = NULL;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the account as a JSON object"), NULL },
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen, N_("The account to show, by name or id (the default one without it)"), "NAME|ID" },
    { NULL }
  };
  int status;
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) keyring_error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autofree char *secret = NULL;
  RelayAccount *account;
  const char *password_state;

  g_option_context_set_summary (context, _("Show an account: the default one, or the one --account names."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (!(account = relay_cli_load_chosen_account (&store, chosen, NULL, &status)))
    return status;

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
      json_object_set_boolean_member (json_node_get_object (node), "default",
                                      account == relay_account_store_get_default (store));
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

      g_autofree char *senders = g_strjoinv (", ", (char **)relay_account_get_senders (account));

      print_field (_("Name"), relay_account_get_name (account));
      print_field (_("Account"), relay_account_get_id (account));
      print_field (_("Default"), account == relay_account_store_get_default (store) ? _("yes") : _("no"));
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
      if (senders[0] != '\0')
        print_field (_("Also sends as"), senders);
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

/* How many messages wait in the outbox to go through @account */
static guint
count_queued (RelayAccountStore *store,
              RelayAccount      *account)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);
  g_autoptr(RelayOutbox) own = relay_outbox_new_for_account (outbox, account,
                                                             relay_account_store_get_default (store),
                                                             relay_account_store_get_accounts (store));

  return relay_outbox_get_n_items (own);
}

static int
account_list (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the accounts as a JSON array"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  GListModel *accounts;
  guint n_items;

  g_option_context_set_summary (context, _("List the accounts, the default one marked."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;

  accounts = relay_account_store_get_accounts (store);
  n_items = g_list_model_get_n_items (accounts);
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (accounts, i);
      gboolean is_default = account == relay_account_store_get_default (store);
      guint window = MAX (relay_account_get_message_window (account), relay_account_get_recipient_window (account));

      if (!json)
        {
          RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
          g_autofree char *senders = g_strjoinv (", ", (char **)relay_account_get_senders (account));

          /* Translators: a line of `account list`: “*” for the default account, its name,
           * its provider, its server and port, its sender address */
          g_print (_("%s %s — %s, %s port %u, from %s\n"), is_default ? "*" : " ",
                   relay_account_get_name (account),
                   provider ? relay_provider_get_name (provider) : relay_account_get_provider (account),
                   relay_account_get_host (account), relay_account_get_port (account),
                   relay_account_get_from (account));
          if (senders[0] != '\0')
            g_print (_("    also sends as %s\n"), senders);
          continue;
        }

      json_builder_begin_object (builder);
      relay_json_add_string_member (builder, "id", relay_account_get_id (account));
      relay_json_add_string_member (builder, "name", relay_account_get_name (account));
      json_builder_set_member_name (builder, "default");
      json_builder_add_boolean_value (builder, is_default);
      relay_json_add_string_member (builder, "provider", relay_account_get_provider (account));
      relay_json_add_string_member (builder, "host", relay_account_get_host (account));
      relay_json_add_int_member (builder, "port", relay_account_get_port (account));
      relay_json_add_string_member (builder, "security",
                                    enum_nick (RELAY_TYPE_SECURITY, relay_account_get_security (account)));
      relay_json_add_string_member (builder, "username", relay_account_get_username (account));
      relay_json_add_string_member (builder, "from", relay_account_get_from (account));
      relay_json_add_strv_member (builder, "senders", relay_account_get_senders (account));
      /* one window for both, as --per sets it; 0: no limit */
      json_builder_set_member_name (builder, "limits");
      json_builder_begin_object (builder);
      relay_json_add_int_member (builder, "max_messages", relay_account_get_max_messages (account));
      relay_json_add_int_member (builder, "max_recipients", relay_account_get_max_recipients (account));
      relay_json_add_int_member (builder, "per", window);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;

      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      g_print ("%s\n", text);
    }
  else if (n_items == 0)
    g_print (_("No account is set up yet; create one with “mail-relay-cli account add”\n"));

  return RELAY_CLI_EXIT_OK;
}

static int
account_default (int    argc,
                 char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (_("NAME|ID"));
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(GError) error = NULL;
  RelayAccount *account;
  int status;

  g_option_context_set_summary (context, _("Make an account the default one: mail from an address no account claims goes through it."));
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (argc > 2)
    {
      relay_cli_printerr (_("unexpected argument “%s”"), argv[2]);
      return RELAY_CLI_EXIT_USAGE;
    }
  if (argc != 2)
    {
      relay_cli_printerr (_("usage: mail-relay-cli account default NAME|ID"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;
  if (!(account = relay_cli_choose_account (store, argv[1], NULL, &status)))
    return status;

  relay_account_store_set_default (store, relay_account_get_id (account));
  if (!relay_account_store_save (store, &error))
    {
      relay_cli_printerr (_("could not save the accounts: %s"), error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  g_print (_("“%s” is now the default account\n"), relay_account_get_name (account));
  return RELAY_CLI_EXIT_OK;
}

static int
account_set (int    argc,
             char **argv)
{
  return edit_account (argc, argv, FALSE);
}

static int
account_add (int    argc,
             char **argv)
{
  return edit_account (argc, argv, TRUE);
}

static int
account_delete (int    argc,
                char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autofree char *id = NULL;
  g_autofree char *chosen = NULL;
  g_autofree char *name = NULL;
  RelayAccount *account = NULL;
  RelayAccount *now_default;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen,
      N_("The account to delete, by name or id (the default one without it)"), "NAME|ID" },
    { "id", 0, 0, G_OPTION_ARG_STRING, &id,
      N_("Delete the account with this id, or the secrets the keyring keeps for it when no account has it (after its file was damaged and moved aside)"),
      "ID" },
    { NULL }
  };
  gboolean was_default;
  guint queued;
  int status;

  g_option_context_set_summary (context, _("Delete the account and the secrets kept for it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (id != NULL && !g_uuid_string_is_valid (id))
    {
      relay_cli_printerr (_("--id: “%s” is not an account id"), id);
      return RELAY_CLI_EXIT_USAGE;
    }
  if (id != NULL && chosen != NULL)
    {
      relay_cli_printerr (_("--id: cannot be used with --account"));
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

  if (id == NULL && !(account = relay_cli_choose_account (store, chosen, _("there is no account to delete"), &status)))
    return status;

  if (id == NULL)
    id = g_strdup (relay_account_get_id (account));
  account = relay_account_store_lookup (store, id);
  name = g_strdup (relay_account_get_name (account));
  was_default = account == relay_account_store_get_default (store);
  queued = count_queued (store, account);

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

  /* Translators: an account's name and its id */
  g_print (_("Deleted account “%s” (%s)\n"), name, id);
  now_default = relay_account_store_get_default (store);
  if (was_default && now_default != NULL)
    g_print (_("“%s” is now the default account\n"), relay_account_get_name (now_default));
  else if (was_default)
    g_print (_("No account is left: create one with “mail-relay-cli account add”\n"));
  if (queued > 0 && now_default != NULL)
    /* Translators: a count, and the default account's name */
    g_print (ngettext ("%u message queued for it goes through “%s”, the default account\n",
                       "%u messages queued for it go through “%s”, the default account\n", queued),
             queued, relay_account_get_name (now_default));
  else if (queued > 0)
    g_print (ngettext ("%u message queued for it stays in the outbox until an account is set up\n",
                       "%u messages queued for it stay in the outbox until an account is set up\n", queued),
             queued);
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
    { "add", "mail-relay-cli account add", account_add },
    { "show", "mail-relay-cli account show", account_show },
    { "list", "mail-relay-cli account list", account_list },
    { "default", "mail-relay-cli account default", account_default },
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

  relay_cli_printerr (_("usage: mail-relay-cli account set|add|show|list|default|delete|export|import [OPTIONS]"));
  return RELAY_CLI_EXIT_USAGE;
}
