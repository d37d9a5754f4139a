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
#include "relay-enum-types.h"
#include "relay-secrets.h"
#include "relay-validate.h"

#define MAX_PASSWORD_INPUT 4096

static RelayAccountStore *
load_store (GError **error)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);

  if (!relay_account_store_load (store, error))
    return NULL;

  if (relay_account_store_get_corrupt_path (store) != NULL)
    relay_cli_printerr (_("warning: %s could not be read (%s); it was moved to %s and a new file is started"),
                        relay_account_store_get_path (store),
                        relay_account_store_get_corrupt_reason (store),
                        relay_account_store_get_corrupt_path (store));

  return g_steal_pointer (&store);
}

static int
usage_error (const GError *error)
{
  if (error->domain == RELAY_ACCOUNT_ERROR)
    relay_cli_printerr ("%s: %s", relay_account_error_get_option (error->code), error->message);
  else
    relay_cli_printerr ("%s", error->message);

  return RELAY_CLI_EXIT_USAGE;
}

/* Reads one line, without keeping a copy beyond the returned string */
static char *
read_password (GError **error)
{
  g_autoptr(GInputStream) input = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  char buffer[MAX_PASSWORD_INPUT + 1];
  gsize length = 0;
  char *end;

  if (isatty (STDIN_FILENO))
    g_printerr ("%s", _("Password (input is not hidden; end with Enter): "));

  if (!g_input_stream_read_all (input, buffer, MAX_PASSWORD_INPUT, &length, NULL, error))
    return NULL;
  buffer[length] = '\0';

  if ((end = strchr (buffer, '\n')) != NULL)
    {
      if (end > buffer && end[-1] == '\r')
        end--;
      *end = '\0';
    }

  if (strlen (buffer) != length && end == NULL)
    {
      memset (buffer, 0, sizeof buffer);
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PASSWORD,
                   _("Password: it contains a NUL byte"));
      return NULL;
    }

  if (buffer[0] == '\0')
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PASSWORD,
                   _("Password: nothing was read from standard input"));
      return NULL;
    }

  {
    char *password = g_strdup (buffer);

    memset (buffer, 0, sizeof buffer);
    if (!relay_validate_password (password, error))
      {
        memset (password, 0, strlen (password));
        g_free (password);
        return NULL;
      }

    return password;
  }
}

static gboolean
parse_enum (GType              type,
            const char        *text,
            RelayAccountError  code,
            const char        *choices,
            guint             *value,
            GError           **error)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value_by_nick (klass, text);

  if (enum_value == NULL)
    {
      /* Translators: the second %s is a list of choices */
      g_set_error (error, RELAY_ACCOUNT_ERROR, code,
                   _("“%s” is not one of %s"), text, choices);
      return FALSE;
    }

  *value = enum_value->value;
  return TRUE;
}

static char *
provider_ids (void)
{
  GListModel *providers = relay_provider_get_all ();
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (providers); i++)
    {
      g_autoptr(RelayProvider) provider = g_list_model_get_item (providers, i);

      if (ids->len > 0)
        g_string_append (ids, ", ");
      g_string_append (ids, relay_provider_get_id (provider));
    }

  return g_string_free (g_steal_pointer (&ids), FALSE);
}

typedef struct
{
  char     *provider;
  char     *host;
  char     *port;
  char     *security;
  char     *auth;
  char     *username;
  char     *from;
  char     *ca_file;
  char    **pins;
  char     *max_messages;
  char     *max_recipients;
  char     *per;
  gboolean  password_stdin;
  gboolean  allow_insecure;
} AccountOptions;

static void
account_options_clear (AccountOptions *options)
{
  g_free (options->provider);
  g_free (options->host);
  g_free (options->port);
  g_free (options->security);
  g_free (options->auth);
  g_free (options->username);
  g_free (options->from);
  g_free (options->ca_file);
  g_strfreev (options->pins);
  g_free (options->max_messages);
  g_free (options->max_recipients);
  g_free (options->per);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (AccountOptions, account_options_clear)

/* Applies what was given on the command line, in the order a person
 * reads it: the preset first, then each field that overrides it. */
static gboolean
apply_options (RelayAccount    *account,
               AccountOptions  *options,
               GError         **error)
{
  guint value;

  if (options->provider != NULL)
    {
      RelayProvider *provider = relay_provider_lookup (options->provider);

      if (provider == NULL)
        {
          g_autofree char *ids = provider_ids ();

          g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PROVIDER,
                       _("“%s” is not one of %s"), options->provider, ids);
          return FALSE;
        }

      relay_account_apply_provider (account, provider);
    }

  if (options->host != NULL)
    {
      g_autofree char *host = relay_validate_host (options->host, error);

      if (host == NULL)
        return FALSE;
      relay_account_set_host (account, host);
    }

  if (options->port != NULL)
    {
      if (!relay_validate_port (options->port, &value, error))
        return FALSE;
      relay_account_set_port (account, value);
    }

  if (options->security != NULL)
    {
      if (!parse_enum (RELAY_TYPE_SECURITY, options->security, RELAY_ACCOUNT_ERROR_SECURITY,
                       "tls, starttls, none", &value, error))
        return FALSE;
      relay_account_set_security (account, value);
    }

  if (options->auth != NULL)
    {
      if (!parse_enum (RELAY_TYPE_AUTH_METHOD, options->auth, RELAY_ACCOUNT_ERROR_AUTH,
                       "auto, plain, login, xoauth2, oauthbearer", &value, error))
        return FALSE;
      relay_account_set_auth (account, value);
    }

  if (options->username != NULL)
    {
      if (!relay_validate_username (options->username, error))
        return FALSE;
      relay_account_set_username (account, options->username);
    }

  if (options->from != NULL)
    {
      g_autofree char *from = relay_validate_address (options->from, error);

      if (from == NULL)
        return FALSE;
      relay_account_set_from (account, from);
    }

  if (options->ca_file != NULL)
    {
      g_autofree char *path = g_canonicalize_filename (options->ca_file, NULL);

      if (options->ca_file[0] != '\0' && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_CA_FILE,
                       _("CA file: “%s” is not a readable file"), options->ca_file);
          return FALSE;
        }
      relay_account_set_ca_file (account, options->ca_file[0] ? path : "");
    }

  if (options->pins != NULL)
    {
      g_autoptr(GStrvBuilder) pins = g_strv_builder_new ();
      g_auto(GStrv) result = NULL;

      for (guint i = 0; options->pins[i]; i++)
        {
          g_autofree char *pin = relay_validate_pin (options->pins[i], error);

          if (pin == NULL)
            return FALSE;
          g_strv_builder_add (pins, pin);
        }

      result = g_strv_builder_end (pins);
      relay_account_set_pins (account, (const char * const *)result);
    }

  if (options->per != NULL)
    {
      if (!relay_validate_count (options->per, RELAY_ACCOUNT_ERROR_LIMITS, "--per", 1, &value, error))
        return FALSE;
      relay_account_set_message_window (account, value);
      relay_account_set_recipient_window (account, value);
    }

  if (options->max_messages != NULL)
    {
      if (!relay_validate_count (options->max_messages, RELAY_ACCOUNT_ERROR_LIMITS,
                                 "--max-messages", 0, &value, error))
        return FALSE;
      relay_account_set_max_messages (account, value);
      if (value == 0)
        relay_account_set_message_window (account, 0);
    }

  if (options->max_recipients != NULL)
    {
      if (!relay_validate_count (options->max_recipients, RELAY_ACCOUNT_ERROR_LIMITS,
                                 "--max-recipients", 0, &value, error))
        return FALSE;
      relay_account_set_max_recipients (account, value);
      if (value == 0)
        relay_account_set_recipient_window (account, 0);
    }

  if (options->allow_insecure)
    relay_account_set_allow_insecure (account, TRUE);

  return relay_account_validate (account, error);
}

static int
account_set (int    argc,
             char **argv)
{
  g_auto(AccountOptions) options = { 0 };
  const GOptionEntry entries[] = {
    { "provider", 0, 0, G_OPTION_ARG_STRING, &options.provider, N_("Provider preset"), "ID" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &options.host, N_("SMTP server"), "NAME" },
    { "port", 0, 0, G_OPTION_ARG_STRING, &options.port, N_("Port, 1 to 65535"), "N" },
    { "security", 0, 0, G_OPTION_ARG_STRING, &options.security, N_("Connection security"), "tls|starttls|none" },
    { "username", 0, 0, G_OPTION_ARG_STRING, &options.username, N_("User name"), "NAME" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &options.password_stdin, N_("Read the password from standard input"), NULL },
    { "from", 0, 0, G_OPTION_ARG_STRING, &options.from, N_("Sender address"), "ADDR" },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &options.auth, N_("Authentication method"), "auto|plain|login|xoauth2|oauthbearer" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &options.ca_file, N_("Trust the certificate authorities in FILE"), "FILE" },
    { "pin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options.pins, N_("Accept the certificate with this SHA-256 fingerprint"), "SHA256" },
    { "max-messages", 0, 0, G_OPTION_ARG_STRING, &options.max_messages, N_("Send at most N messages per window"), "N" },
    { "max-recipients", 0, 0, G_OPTION_ARG_STRING, &options.max_recipients, N_("Send to at most N recipients per window"), "N" },
    { "per", 0, 0, G_OPTION_ARG_STRING, &options.per, N_("Length of the limits’ window"), "SECONDS" },
    { "allow-insecure", 0, 0, G_OPTION_ARG_NONE, &options.allow_insecure, N_("Allow a password over an unencrypted connection"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelayAccount) account = NULL;
  g_autofree char *password = NULL;
  RelayAccount *saved;
  gboolean created;

  g_option_context_set_summary (context, _("Create or update the account that mail is sent through."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (argc > 1)
    {
      relay_cli_printerr (_("unexpected argument “%s”"), argv[1]);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = load_store (&error)))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  saved = relay_account_store_get_default (store);
  created = saved == NULL;
  account = created ? relay_account_new () : relay_account_copy (saved);

  if (!apply_options (account, &options, &error))
    return usage_error (error);

  if (options.password_stdin && !(password = read_password (&error)))
    {
      if (error->domain == RELAY_ACCOUNT_ERROR)
        return usage_error (error);
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
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
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) keyring_error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autofree char *secret = NULL;
  RelayAccount *account;
  const char *password_state;

  g_option_context_set_summary (context, _("Show the account that mail is sent through."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = load_store (&error)))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  account = relay_account_store_get_default (store);
  if (account == NULL)
    {
      relay_cli_printerr (_("no account is set up yet; create one with “mail-relay-cli account set”"));
      return RELAY_CLI_EXIT_FAILED;
    }

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
  RelayAccount *account;

  g_option_context_set_summary (context, _("Delete the account and the secrets kept for it."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = load_store (&error)))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  account = relay_account_store_get_default (store);
  if (account == NULL)
    {
      relay_cli_printerr (_("there is no account to delete"));
      return RELAY_CLI_EXIT_FAILED;
    }

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
  if (argc >= 2 && g_str_equal (argv[1], "set"))
    return account_set (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "show"))
    return account_show (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "delete"))
    return account_delete (argc - 1, argv + 1);

  relay_cli_printerr (_("usage: mail-relay-cli account set|show|delete [OPTIONS]"));
  return RELAY_CLI_EXIT_USAGE;
}
