/* relay-cli-options.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "relay-cli.h"
#include "relay-cli-options.h"
#include "relay-enum-types.h"
#include "relay-validate.h"

#define MAX_PASSWORD_INPUT 4096

/* The accounts from accounts.json, or %NULL after saying why they
 * cannot be read */
RelayAccountStore *
relay_cli_load_store (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(GError) error = NULL;

  if (!relay_account_store_load (store, &error))
    {
      relay_cli_printerr ("%s", error->message);
      return NULL;
    }

  if (relay_account_store_get_corrupt_path (store) != NULL)
    {
      const char * const *ids = relay_account_store_get_corrupt_ids (store);

      relay_cli_printerr (_("warning: %s could not be read (%s); it was moved to %s and a new file is started"),
                          relay_account_store_get_path (store),
                          relay_account_store_get_corrupt_reason (store),
                          relay_account_store_get_corrupt_path (store));
      for (guint i = 0; ids != NULL && ids[i] != NULL; i++)
        relay_cli_printerr (_("warning: the keyring still keeps the password or sign-in of account %s from that file: put the file back to use it again, or remove it with “mail-relay-cli account delete --id %s”"),
                            ids[i], ids[i]);
    }

  return g_steal_pointer (&store);
}

/* The account mail is sent through, or %NULL after saying that there is
 * none: @missing, or that one is made with `account set` */
RelayAccount *
relay_cli_get_account (RelayAccountStore *store,
                       const char        *missing)
{
  RelayAccount *account = relay_account_store_get_default (store);

  if (account == NULL)
    relay_cli_printerr ("%s", missing ? missing
                                      : _("no account is set up yet; create one with “mail-relay-cli account set”"));

  return account;
}

/* The store, into @store, and the account mail is sent through; %NULL
 * after saying why there is none (@missing, as relay_cli_get_account()) */
RelayAccount *
relay_cli_load_account (RelayAccountStore **store,
                        const char         *missing)
{
  g_assert (store != NULL && *store == NULL);

  if (!(*store = relay_cli_load_store ()))
    return NULL;

  return relay_cli_get_account (*store, missing);
}

/* “a”, “b” and “c”: the names of the store's accounts, for a message */
static char *
known_names (RelayAccountStore *store)
{
  GListModel *accounts = relay_account_store_get_accounts (store);
  g_autoptr(GString) names = g_string_new (NULL);
  guint n_items = g_list_model_get_n_items (accounts);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (accounts, i);

      if (i > 0)
        g_string_append (names, ", ");
      g_string_append_printf (names, "“%s”", relay_account_get_name (account));
    }

  return g_string_free (g_steal_pointer (&names), FALSE);
}

/**
 * relay_cli_choose_account:
 * @name: (nullable): what `--account` gave, an account's name or id; %NULL
 *   for the default account
 * @missing: (nullable): what to say when there is no account at all
 * @status: (out): the exit status when %NULL is returned: 2 for a name no
 *   account has, 1 when there is no account
 *
 * The account a command works on, or %NULL after saying why there is
 * none: an unknown name lists the known ones.
 */
RelayAccount *
relay_cli_choose_account (RelayAccountStore *store,
                          const char        *name,
                          const char        *missing,
                          int               *status)
{
  RelayAccount *account;
  g_autofree char *names = NULL;

  *status = RELAY_CLI_EXIT_FAILED;
  if (name == NULL)
    return relay_cli_get_account (store, missing);

  if ((account = relay_account_store_find (store, name)) != NULL)
    return account;

  *status = RELAY_CLI_EXIT_USAGE;
  if (g_list_model_get_n_items (relay_account_store_get_accounts (store)) == 0)
    {
      relay_cli_printerr (_("--account: there is no account “%s”, nor any other; create one with “mail-relay-cli account add”"),
                          name);
      return NULL;
    }

  names = known_names (store);
  /* Translators: the second %s lists the accounts' names, each in quotes */
  relay_cli_printerr (_("--account: there is no account “%s”; the accounts are %s"), name, names);
  return NULL;
}

/* The store, into @store, and the account @name names (the default one
 * when %NULL), as relay_cli_choose_account() */
RelayAccount *
relay_cli_load_chosen_account (RelayAccountStore **store,
                               const char         *name,
                               const char         *missing,
                               int                *status)
{
  g_assert (store != NULL && *store == NULL);

  *status = RELAY_CLI_EXIT_FAILED;
  if (!(*store = relay_cli_load_store ()))
    return NULL;

  return relay_cli_choose_account (*store, name, missing, status);
}

int
relay_cli_usage_error (const GError *error)
{
  if (error->domain == RELAY_ACCOUNT_ERROR)
    relay_cli_printerr ("%s: %s", relay_account_error_get_option (error->code), error->message);
  else
    relay_cli_printerr ("%s", error->message);

  return RELAY_CLI_EXIT_USAGE;
}

/* Reads one line, without keeping a copy beyond the returned string */
char *
relay_cli_read_password (GError **error)
{
  return relay_cli_read_secret (RELAY_ACCOUNT_ERROR_PASSWORD, error);
}

/* One line from standard input, without echo on a terminal, where
 * @prompt is shown; @nul and @empty are the errors (code @field) for a
 * line with a NUL byte and for nothing read */
static char *
read_secret_line (const char         *prompt,
                  RelayAccountError   field,
                  const char         *nul,
                  const char         *empty,
                  GError            **error)
{
  g_autoptr(GInputStream) input = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  char buffer[MAX_PASSWORD_INPUT + 1];
  gboolean tty = isatty (STDIN_FILENO);
  struct termios saved, quiet;
  gboolean echo_off = FALSE;
  gsize length = 0;
  char *password;

  /* on a terminal: prompt, and do not echo */
  if (tty)
    {
      g_printerr ("%s", prompt);
      if (tcgetattr (STDIN_FILENO, &saved) == 0)
        {
          quiet = saved;
          quiet.c_lflag &= ~ECHO;
          echo_off = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
    }

  /* one line: stop at the newline, byte by byte, reading nothing after it */
  while (length < MAX_PASSWORD_INPUT)
    {
      gssize n = g_input_stream_read (input, buffer + length, 1, NULL, error);

      if (n < 0)
        {
          memset (buffer, 0, sizeof buffer);
          if (echo_off)
            tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
          return NULL;
        }
      if (n == 0 || buffer[length] == '\n')
        break;
      length++;
    }

  if (echo_off)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      g_printerr ("\n");
    }

  if (length > 0 && buffer[length - 1] == '\r')
    length--;
  buffer[length] = '\0';

  if (memchr (buffer, '\0', length) != NULL)
    {
      memset (buffer, 0, sizeof buffer);
      g_set_error_literal (error, RELAY_ACCOUNT_ERROR, field, nul);
      return NULL;
    }

  if (length == 0)
    {
      g_set_error_literal (error, RELAY_ACCOUNT_ERROR, field, empty);
      return NULL;
    }

  password = g_strndup (buffer, length);
  memset (buffer, 0, sizeof buffer);

  return password;
}

/**
 * relay_cli_read_secret:
 * @field: %RELAY_ACCOUNT_ERROR_PASSWORD or
 *   %RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET: what is read, for the prompt
 *   and the errors
 *
 * Reads one line from standard input, without echo on a terminal. A
 * password is checked here; a client secret by the caller, who knows
 * the sign-in it is for.
 */
char *
relay_cli_read_secret (RelayAccountError   field,
                       GError            **error)
{
  gboolean client_secret = field == RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET;
  char *password;

  if (client_secret)
    return read_secret_line (_("Client secret: "), field, _("Client secret: it contains a NUL byte"),
                             _("Client secret: nothing was read from standard input"), error);

  password = read_secret_line (_("Password: "), field, _("Password: it contains a NUL byte"),
                               _("Password: nothing was read from standard input"), error);
  if (password != NULL && !relay_validate_password (password, error))
    {
      memset (password, 0, strlen (password));
      g_free (password);
      return NULL;
    }

  return password;
}

/**
 * relay_cli_read_passphrase:
 *
 * Reads a channel profile's passphrase as relay_cli_read_secret() reads
 * a password (the errors have the code %RELAY_ACCOUNT_ERROR_PASSWORD);
 * the profile checks it.
 */
char *
relay_cli_read_passphrase (GError **error)
{
  return read_secret_line (_("Passphrase: "), RELAY_ACCOUNT_ERROR_PASSWORD,
                           _("Passphrase: it contains a NUL byte"),
                           _("Passphrase: nothing was read from standard input"), error);
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


void
relay_cli_account_options_clear (RelayCliAccountOptions *options)
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
  g_strfreev (options->senders);
}


/* Applies what was given on the command line, in the order a person
 * reads it: the preset first, then each field that overrides it. */
gboolean
relay_cli_account_options_apply (RelayCliAccountOptions  *options,
                                 RelayAccount            *account,
                                 GError                 **error)
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
      g_autofree char *path = NULL;

      if (options->ca_file[0] != '\0' && !(path = relay_validate_ca_file (options->ca_file, error)))
        return FALSE;
      relay_account_set_ca_file (account, path);
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

  /* the window of whichever limits are set */
  if (options->per != NULL)
    {
      if (!relay_validate_count (options->per, RELAY_ACCOUNT_ERROR_LIMITS, "--per", 1, &value, error))
        return FALSE;
      if (relay_account_get_max_messages (account) == 0 && relay_account_get_max_recipients (account) == 0)
        {
          g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_LIMITS,
                       _("Limits: --per needs --max-messages or --max-recipients"));
          return FALSE;
        }
      if (relay_account_get_max_messages (account) > 0)
        relay_account_set_message_window (account, value);
      if (relay_account_get_max_recipients (account) > 0)
        relay_account_set_recipient_window (account, value);
    }

  /* the whole list; one empty --sender empties it */
  if (options->senders != NULL)
    {
      g_autoptr(GPtrArray) senders = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; options->senders[i]; i++)
        {
          char *sender;

          if (options->senders[i][0] == '\0' && options->senders[1] == NULL)
            break;
          if (!(sender = relay_validate_sender (options->senders[i], error)))
            return FALSE;
          if (g_ptr_array_find_with_equal_func (senders, sender, g_str_equal, NULL))
            g_free (sender);
          else
            g_ptr_array_add (senders, sender);
        }

      g_ptr_array_add (senders, NULL);
      relay_account_set_senders (account, (const char * const *)senders->pdata);
    }

  if (options->allow_insecure)
    relay_account_set_allow_insecure (account, TRUE);

  return TRUE;
}

/**
 * relay_cli_print_trust_cleared:
 * @cleared: what relay_account_forget_old_trust() returned
 * @before: the account as it was saved
 *
 * Says which trust settings of the old server were dropped.
 */
void
relay_cli_print_trust_cleared (RelayAccountTrust  cleared,
                               RelayAccount      *before)
{
  const char *host;
  guint port;

  if (cleared == RELAY_ACCOUNT_TRUST_NONE || before == NULL)
    return;

  host = relay_account_get_host (before);
  port = relay_account_get_port (before);
  if (cleared & RELAY_ACCOUNT_TRUST_CA_FILE)
    /* Translators: %s is the previous server, %u its port */
    g_print (_("Removed the CA file that was set for %s, port %u\n"), host, port);
  if (cleared & RELAY_ACCOUNT_TRUST_PINS)
    /* Translators: %s is the previous server, %u its port */
    g_print (_("Removed the pinned certificates that were set for %s, port %u\n"), host, port);
  if (cleared & RELAY_ACCOUNT_TRUST_ALLOW_INSECURE)
    /* Translators: %s is the previous server, %u its port */
    g_print (_("Withdrew the permission to send the password unencrypted that was given for %s, "
               "port %u\n"), host, port);
}

/**
 * relay_cli_account_options_add:
 *
 * Adds the ACCOUNT OPTIONS (docs/cli.md) to @context, parsed into @options.
 */
void
relay_cli_account_options_add (GOptionContext         *context,
                               RelayCliAccountOptions *options)
{
  const GOptionEntry entries[] = {
    { "provider", 0, 0, G_OPTION_ARG_STRING, &options->provider, N_("Provider preset"), "ID" },
    { "host", 0, 0, G_OPTION_ARG_STRING, &options->host, N_("SMTP server"), "NAME" },
    { "port", 0, 0, G_OPTION_ARG_STRING, &options->port, N_("Port, 1 to 65535"), "N" },
    { "security", 0, 0, G_OPTION_ARG_STRING, &options->security, N_("Connection security"), "tls|starttls|none" },
    { "username", 0, 0, G_OPTION_ARG_STRING, &options->username, N_("User name"), "NAME" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &options->password_stdin, N_("Read the password from standard input"), NULL },
    { "from", 0, 0, G_OPTION_ARG_STRING, &options->from, N_("Sender address"), "ADDR" },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &options->auth, N_("Authentication method"), "auto|plain|login|xoauth2|oauthbearer" },
    { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &options->ca_file, N_("Trust the certificate authorities in FILE"), "FILE" },
    { "pin", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->pins, N_("Accept the certificate with this SHA-256 fingerprint"), "SHA256" },
    { "max-messages", 0, 0, G_OPTION_ARG_STRING, &options->max_messages, N_("Send at most N messages per window"), "N" },
    { "max-recipients", 0, 0, G_OPTION_ARG_STRING, &options->max_recipients, N_("Send to at most N recipients per window"), "N" },
    { "per", 0, 0, G_OPTION_ARG_STRING, &options->per, N_("Length of the limits’ window"), "SECONDS" },
    { "allow-insecure", 0, 0, G_OPTION_ARG_NONE, &options->allow_insecure, N_("Allow a password over an unencrypted connection"), NULL },
    { "sender", 0, 0, G_OPTION_ARG_STRING_ARRAY, &options->senders, N_("Another address, or every address of a domain (*@DOMAIN), that the account sends as (repeat for more; \"\" for none)"), "ADDR" },
    { NULL }
  };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

/**
 * relay_cli_account_options_given:
 *
 * Returns: whether any option that describes an account was given
 */
gboolean
relay_cli_account_options_given (RelayCliAccountOptions *options)
{
  return options->provider || options->host || options->port || options->security ||
         options->username || options->password_stdin || options->from || options->auth ||
         options->ca_file || options->pins || options->max_messages || options->max_recipients ||
         options->per || options->allow_insecure || options->senders;
}
