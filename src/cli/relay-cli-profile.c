/* relay-cli-profile.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* `account export` and `account import`: an account as a channel profile
 * (or Thunderbird's autoconfig file) and a new account made from one,
 * with its secret in the keyring (docs/channel-profiles.md). */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "relay-channel-profile.h"
#include "relay-cli.h"
#include "relay-cli-options.h"
#include "relay-secrets.h"
#include "relay-secure-private.h"
#include "relay-validate.h"

/* An error of the profile: a CA file that cannot be read is a failure
 * (1); anything else is bad input (2), named by @option when given */
static int
profile_error (const char   *option,
               const GError *error)
{
  if (option != NULL)
    relay_cli_printerr ("%s: %s", option, error->message);
  else
    relay_cli_printerr ("%s", error->message);

  return g_error_matches (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_CA_FILE)
         ? RELAY_CLI_EXIT_FAILED : RELAY_CLI_EXIT_USAGE;
}

/* the account's password, for --include-secret; %NULL after saying why
 * there is none */
static char *
lookup_password (RelayAccount *account)
{
  g_autoptr(GError) error = NULL;
  char *password = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD, NULL, &error);

  if (error != NULL)
    relay_cli_printerr ("%s", error->message);
  else if (password == NULL)
    relay_cli_printerr (_("--include-secret: the keyring keeps no password for account %s: there is none to include"),
                        relay_account_get_id (account));

  return password;
}

int
relay_cli_account_export (int    argc,
                          char **argv)
{
  g_autofree char *wanted = NULL;
  g_autofree char *output = NULL;
  g_autofree char *format = NULL;
  gboolean include_secret = FALSE;
  gboolean passphrase_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &wanted, N_("The account to export (its name or id); without it, the default"), "A" },
    { "output", 0, 0, G_OPTION_ARG_FILENAME, &output, N_("Write to FILE instead of standard output"), "FILE" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format,
      N_("profile (a channel profile, the default) or autoconfig (Thunderbird’s config-v1.1.xml)"), "FORMAT" },
    { "include-secret", 0, 0, G_OPTION_ARG_NONE, &include_secret,
      N_("Include the password, encrypted with a passphrase (only for credentials a team may share)"), NULL },
    { "passphrase-stdin", 0, 0, G_OPTION_ARG_NONE, &passphrase_stdin,
      N_("Read the passphrase that encrypts the password from standard input"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean autoconfig;
  RelayAccount *account;
  int status;

  g_option_context_set_summary (context, _("Write an account as a channel profile that a team can import, "
                                           "or as Thunderbird’s autoconfig file."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options_only (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (format != NULL && !g_str_equal (format, "profile") && !g_str_equal (format, "autoconfig"))
    {
      relay_cli_printerr (_("--format: “%s” is neither profile nor autoconfig"), format);
      return RELAY_CLI_EXIT_USAGE;
    }
  autoconfig = format != NULL && g_str_equal (format, "autoconfig");

  if (include_secret && autoconfig)
    {
      relay_cli_printerr (_("--include-secret: an autoconfig file is published, and never carries a password"));
      return RELAY_CLI_EXIT_USAGE;
    }
  if (include_secret != passphrase_stdin)
    {
      relay_cli_printerr ("%s", include_secret
                          ? _("--include-secret: the password is encrypted with a passphrase: give it with --passphrase-stdin")
                          : _("--passphrase-stdin: it encrypts the password, which only --include-secret includes"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;
  if (!(account = relay_cli_choose_account (store, wanted, NULL, &status)))
    return status;

  if (!(profile = relay_channel_profile_new_from_account (account, &error)))
    return profile_error (NULL, error);

  if (include_secret)
    {
      g_autofree char *password = NULL;
      g_autofree char *passphrase = NULL;
      gboolean added;

      /* refused before the keyring or the passphrase are read */
      if (!relay_channel_profile_is_shareable (profile))
        {
          relay_channel_profile_set_secret (profile, "-", "-", &error);
          return profile_error ("--include-secret", error);
        }

      if (!(password = lookup_password (account)))
        return RELAY_CLI_EXIT_FAILED;

      if (!(passphrase = relay_cli_read_passphrase (&error)))
        {
          relay_secure_wipe_string (g_steal_pointer (&password));
          return profile_error ("--passphrase-stdin", error);
        }

      added = relay_channel_profile_set_secret (profile, password, passphrase, &error);
      relay_secure_wipe_string (g_steal_pointer (&password));
      relay_secure_wipe_string (g_steal_pointer (&passphrase));
      if (!added)
        return profile_error ("--passphrase-stdin", error);
    }

  if (autoconfig && !(text = relay_channel_profile_to_autoconfig (profile, &error)))
    return profile_error ("--from", error);
  if (!autoconfig)
    text = relay_channel_profile_to_data (profile);

  if (output == NULL)
    {
      g_print ("%s", text);
      return RELAY_CLI_EXIT_OK;
    }

  if (!g_file_set_contents_full (output, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    {
      relay_cli_printerr (_("could not write %s: %s"), output, error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  if (autoconfig)
    g_print (_("Wrote the autoconfig file of account %s to %s\n"), relay_account_get_id (account), output);
  else if (include_secret)
    g_print (_("Wrote the channel profile of account %s to %s, with its password encrypted with the passphrase\n"),
             relay_account_get_id (account), output);
  else
    g_print (_("Wrote the channel profile of account %s to %s (no password)\n"), relay_account_get_id (account), output);

  return RELAY_CLI_EXIT_OK;
}

/* The file, at most a profile's size; "-" is standard input */
static char *
read_profile (const char  *path,
              gsize       *length,
              GError     **error)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  int fd = g_str_equal (path, "-") ? STDIN_FILENO : g_open (path, O_RDONLY | O_CLOEXEC, 0);
  guint8 buffer[8192];

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), _("could not open %s: %s"), path,
                   g_strerror (saved_errno));
      return NULL;
    }

  while (data->len <= RELAY_CHANNEL_PROFILE_MAX_SIZE)
    {
      gssize n = read (fd, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          if (fd != STDIN_FILENO)
            close (fd);
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno), _("could not read %s: %s"),
                       path, g_strerror (saved_errno));
          return NULL;
        }
      if (n == 0)
        break;
      g_byte_array_append (data, buffer, n);
    }

  if (fd != STDIN_FILENO)
    close (fd);
  *length = data->len;
  g_byte_array_append (data, (const guint8 *)"", 1);
  return (char *)g_byte_array_free (g_steal_pointer (&data), FALSE);
}

/* What the person still has to do before the account can send, when the
 * profile brought no password: sign in, or give their own */
static void
print_missing_secret (RelayAccount *account)
{
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
  const char *service = provider ? relay_provider_get_oauth_service (provider) : NULL;

  if (relay_account_uses_token (account) && g_strcmp0 (service, "google") == 0)
    g_print (_("Sign in with Google to send through it: mail-relay-cli link-gmail\n"));
  else if (relay_account_uses_token (account))
    g_print (_("Sign in with Microsoft to send through it: in Mail Relay’s window, Sign in with Microsoft\n"));
  else
    g_print (_("The profile carries no password: give yours with "
               "“mail-relay-cli account set --account %s --password-stdin”\n"),
             relay_account_get_id (account));
}

/* The secret the new account gets: the profile's, opened with the
 * passphrase, or the person's own; %NULL in *@secret when there is none.
 * Returns the exit status on failure, else -1. */
static int
read_import_secret (RelayChannelProfile  *profile,
                    RelayAccount         *account,
                    gboolean              password_stdin,
                    gboolean              passphrase_stdin,
                    char                **secret)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *passphrase = NULL;
  gboolean tty = isatty (STDIN_FILENO);

  if (passphrase_stdin && !relay_channel_profile_has_secret (profile))
    {
      relay_cli_printerr (_("--passphrase-stdin: the profile carries no password to open: give your own with "
                            "--password-stdin"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (relay_channel_profile_has_secret (profile) && !password_stdin && !passphrase_stdin && !tty)
    {
      relay_cli_printerr (_("--passphrase-stdin: the profile carries the team’s password, encrypted: give its "
                            "passphrase with --passphrase-stdin, or your own password with --password-stdin"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (relay_channel_profile_has_secret (profile) && !password_stdin)
    {
      if (!(passphrase = relay_cli_read_passphrase (&error)))
        return profile_error ("--passphrase-stdin", error);
      *secret = relay_channel_profile_open_secret (profile, passphrase, &error);
      relay_secure_wipe_string (g_steal_pointer (&passphrase));
      return *secret ? -1 : profile_error ("--passphrase-stdin", error);
    }

  /* none in the profile: the person's own, asked for on a terminal */
  if (password_stdin || (tty && !relay_account_uses_token (account)))
    {
      if (!(*secret = relay_cli_read_password (&error)))
        return relay_cli_usage_error (error);
    }

  return -1;
}

int
relay_cli_account_import (int    argc,
                          char **argv)
{
  g_autofree char *name = NULL;
  g_autofree char *username = NULL;
  gboolean password_stdin = FALSE;
  gboolean passphrase_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("The new account’s name, instead of the profile’s"), "NAME" },
    { "username", 0, 0, G_OPTION_ARG_STRING, &username,
      N_("Your user name, where the profile leaves it to you (a mailbox’s own credentials)"), "NAME" },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      N_("Read your own password from standard input"), NULL },
    { "passphrase-stdin", 0, 0, G_OPTION_ARG_NONE, &passphrase_stdin,
      N_("Read the passphrase that opens the profile’s password from standard input"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (_("FILE"));
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *ca_file = NULL;
  RelayProvider *provider;
  gboolean saved, opened, own;
  gsize length = 0;
  int status;

  g_option_context_set_summary (context, _("Create an account from a channel profile. The whole file is "
                                           "checked first: nothing is saved from a damaged one."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (argc < 2)
    {
      relay_cli_printerr (_("give the channel profile’s file"));
      return RELAY_CLI_EXIT_USAGE;
    }
  if (argc > 2)
    {
      relay_cli_printerr (_("unexpected argument “%s”"), argv[2]);
      return RELAY_CLI_EXIT_USAGE;
    }
  if (password_stdin && passphrase_stdin)
    {
      relay_cli_printerr (_("--password-stdin and --passphrase-stdin both read standard input: give one at a time"));
      return RELAY_CLI_EXIT_USAGE;
    }
  if (g_str_equal (argv[1], "-") && (password_stdin || passphrase_stdin))
    {
      relay_cli_printerr (_("the profile cannot come from standard input when a password or passphrase does"));
      return RELAY_CLI_EXIT_USAGE;
    }
  if (username != NULL && !relay_validate_username (username, &error))
    return relay_cli_usage_error (error);

  /* the whole file checked before anything is asked or saved */
  if (!(data = read_profile (argv[1], &length, &error)))
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }
  if (!(profile = relay_channel_profile_new_from_data (data, length, &error)))
    {
      relay_cli_printerr ("%s: %s", argv[1], error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EXIT_FAILED;

  account = relay_channel_profile_create_account (profile);
  provider = relay_provider_lookup (relay_account_get_provider (account));
  if (username != NULL)
    relay_account_set_username (account, username);
  if (relay_account_get_username (account)[0] == '\0' && !relay_account_uses_token (account) &&
      relay_provider_get_sharing (provider) == RELAY_SHARING_PER_MAILBOX)
    {
      relay_cli_printerr (_("--username: %s credentials belong to one person, so the profile leaves the user "
                            "name to you: give yours with --username"),
                          relay_provider_get_name (provider));
      return RELAY_CLI_EXIT_USAGE;
    }
  if (name != NULL)
    {
      g_autofree char *checked = relay_account_store_check_name (store, name, NULL, &error);

      if (checked == NULL)
        return relay_cli_usage_error (error);
      relay_account_set_name (account, checked);
    }
  if (!relay_account_validate (account, &error))
    return relay_cli_usage_error (error);

  if ((status = read_import_secret (profile, account, password_stdin, passphrase_stdin, &secret)) >= 0)
    return status;

  /* the profile's own, or the person's */
  opened = secret != NULL && relay_channel_profile_has_secret (profile) && !password_stdin;
  own = secret != NULL && !opened;
  saved = relay_channel_profile_save_account (profile, store, account, secret, &ca_file, &error);
  relay_secure_wipe_string (g_steal_pointer (&secret));
  if (!saved)
    {
      relay_cli_printerr ("%s", error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  g_print (_("Created account “%s” (%s, port %u) from %s\n"), relay_account_get_name (account),
           relay_account_get_host (account), relay_account_get_port (account), argv[1]);
  if (relay_account_store_get_default (store) != account)
    g_print (_("The default account is still “%s”\n"),
             relay_account_get_name (relay_account_store_get_default (store)));
  if (relay_account_get_allow_insecure (account) && !relay_host_is_loopback (relay_account_get_host (account)))
    relay_cli_printerr (_("warning: the profile allows sending the password unencrypted to %s (allow_insecure)"),
                        relay_account_get_host (account));
  if (ca_file != NULL)
    g_print (_("Its CA certificate is kept in %s\n"), ca_file);
  if (relay_account_get_pins (account)[0] != NULL)
    g_print (_("It accepts only the pinned certificates (%u): the first test checks them (mail-relay-cli test)\n"),
             g_strv_length ((char **)relay_account_get_pins (account)));
  if (own)
    g_print (_("Your password is in the keyring\n"));
  else if (opened)
    g_print (_("The profile’s password is in the keyring\n"));
  else
    print_missing_secret (account);

  return RELAY_CLI_EXIT_OK;
}
