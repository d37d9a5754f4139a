/* relay-cli-test.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "relay-cli.h"
#include "relay-cli-options.h"
#include "relay-enum-types.h"
#include "relay-oauth-account.h"
#include "relay-probe.h"
#include "relay-sasl.h"
#include "relay-secrets.h"
#include "relay-text.h"
#include "relay-validate.h"

typedef struct
{
  GMainLoop *loop;
  gboolean   json;
  gboolean   tty;
  GError    *error;
} TestRun;

static void
step_started_cb (RelayProbe *probe,
                 const char *name,
                 TestRun    *run)
{
  if (!run->json && run->tty)
    g_printerr ("  … %s\r", name);
}

static void
step_finished_cb (RelayProbe     *probe,
                  RelayProbeStep *step,
                  TestRun        *run)
{
  g_autofree char *detail = NULL;

  if (run->json)
    return;

  /* the server's words: no escape sequence reaches the terminal */
  detail = relay_text_for_display (step->detail, -1);
  g_print ("%s %-9s %6u ms  %s\n", step->skipped ? "–" : step->ok ? "✓" : "✗",
           step->name, step->ms, detail);
}

static void
probe_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  TestRun *run = user_data;

  relay_probe_run_finish (RELAY_PROBE (object), result, &run->error);
  g_main_loop_quit (run->loop);
}

static void
print_json (JsonNode *node)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *text = NULL;

  json_generator_set_root (generator, node);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  g_print ("%s\n", text);
}

static const char *
security_nick (RelaySecurity security)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (RELAY_TYPE_SECURITY);

  return g_enum_get_value (klass, security)->value_nick;
}

/* For a failure before any conversation: bad settings, no keyring */
static int
print_early_error (gboolean        json,
                   RelayAccount   *account,
                   RelayErrorKind  kind,
                   const char     *message,
                   const char     *hint)
{
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "ok");
      json_builder_add_boolean_value (builder, FALSE);
      json_builder_set_member_name (builder, "host");
      json_builder_add_string_value (builder, relay_account_get_host (account));
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, relay_account_get_port (account));
      json_builder_set_member_name (builder, "security");
      json_builder_add_string_value (builder, security_nick (relay_account_get_security (account)));
      json_builder_set_member_name (builder, "steps");
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
      /* nothing was asked of the server */
      json_builder_set_member_name (builder, "server");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "greeting");
      json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "capabilities");
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "auth_mechanisms");
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "size_limit");
      json_builder_add_int_value (builder, 0);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "tls");
      json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, relay_error_kind_to_string (kind));
      json_builder_set_member_name (builder, "reply");
      json_builder_add_string_value (builder, "");
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, message);
      json_builder_set_member_name (builder, "hint");
      json_builder_add_string_value (builder, hint);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "transcript");
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
      json_builder_end_object (builder);

      root = json_builder_get_root (builder);
      print_json (root);
    }

  relay_cli_printerr ("%s", message);
  if (hint != NULL && hint[0] != '\0')
    g_printerr ("%s\n", hint);

  return RELAY_CLI_EXIT_FAILED;
}

static char *
refresh_token_cb (gpointer       user_data,
                  GCancellable  *cancellable,
                  GError       **error)
{
  return relay_oauth_account_get_access_token (user_data, TRUE, cancellable, error);
}

/* A provider that refused the stored sign-in: say so in the account */
static void
mark_sign_in_again (RelayAccountStore *store,
                    RelayAccount      *account)
{
  g_autoptr(RelayAccount) marked = relay_account_copy (account);

  relay_account_set_sign_in_again (marked, TRUE);
  relay_account_store_put (store, marked);
  relay_account_store_save (store, NULL);
}

/**
 * relay_cli_test:
 *
 * `mail-relay-cli test`: the saved account, or one described by ACCOUNT
 * OPTIONS (then nothing is saved).
 */
int
relay_cli_test (int    argc,
                char **argv)
{
  g_auto(RelayCliAccountOptions) options = { 0 };
  g_autofree char *send_to = NULL;
  g_autofree char *timeout = NULL;
  g_autofree char *chosen = NULL;
  gboolean json = FALSE;
  int status;
  const GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen, N_("The account to test, by name or id (the default one without it)"), "NAME|ID" },
    { "send-to", 0, 0, G_OPTION_ARG_STRING, &send_to, N_("Also send a test message to ADDR"), "ADDR" },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &timeout, N_("Give up on a step after SECONDS (default 20)"), "SECONDS" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as a JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(RelayProbe) probe = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *send_to_ascii = NULL;
  char *secret = NULL;
  guint seconds = 20;
  TestRun run = { 0 };
  const RelayDiagnosis *diagnosis;

  g_option_context_set_summary (context, _("Test the SMTP server step by step: name lookup, connection, "
                                           "TLS, greeting, authentication and an optional test message."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  relay_cli_account_options_add (context, &options);
  if (!relay_cli_parse_options_only (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (timeout != NULL &&
      !relay_validate_count (timeout, RELAY_ACCOUNT_ERROR_LIMITS, "--timeout", 1, &seconds, &error))
    {
      relay_cli_printerr ("--timeout: %s", error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (send_to != NULL && !(send_to_ascii = relay_validate_address (send_to, &error)))
    {
      relay_cli_printerr ("--send-to: %s", error->message);
      return RELAY_CLI_EXIT_USAGE;
    }

  if (chosen != NULL && relay_cli_account_options_given (&options))
    {
      relay_cli_printerr (_("--account: tests a saved account as it is; give either --account or ACCOUNT OPTIONS"));
      return RELAY_CLI_EXIT_USAGE;
    }

  if (relay_cli_account_options_given (&options))
    {
      account = relay_account_new ();
      if (!relay_cli_account_options_apply (&options, account, &error))
        return relay_cli_usage_error (error);

      if (relay_account_get_host (account)[0] == '\0')
        {
          relay_cli_printerr (_("--host: enter the SMTP server to test"));
          return RELAY_CLI_EXIT_USAGE;
        }
      if (send_to != NULL && relay_account_get_from (account)[0] == '\0')
        {
          relay_cli_printerr (_("--from: a test message needs a sender address"));
          return RELAY_CLI_EXIT_USAGE;
        }

      if (options.password_stdin && relay_account_get_username (account)[0] == '\0')
        {
          relay_cli_printerr (_("--username: a password needs a user name"));
          return RELAY_CLI_EXIT_USAGE;
        }

      if (options.password_stdin && !(secret = relay_cli_read_password (&error)))
        {
          if (error->domain == RELAY_ACCOUNT_ERROR)
            return relay_cli_usage_error (error);
          relay_cli_printerr ("%s", error->message);
          return RELAY_CLI_EXIT_FAILED;
        }
    }
  else
    {
      RelayAccount *saved;

      if (!(store = relay_cli_load_store ()))
        return RELAY_CLI_EXIT_FAILED;

      if (!(saved = relay_cli_choose_account (store, chosen,
                                              _("no account is set up yet; create one with "
                                                "“mail-relay-cli account set”, or give the server "
                                                "with --host"), &status)))
        return status;

      account = relay_account_copy (saved);

      if (relay_account_uses_token (account))
        {
          g_autoptr(GAsyncResult) got = NULL;

          /* refreshed first when it has expired */
          relay_oauth_account_get_access_token_async (account, FALSE, NULL, relay_cli_async_done, &got);
          secret = relay_oauth_account_get_access_token_finish (relay_cli_async_wait (&got), &error);
          if (secret == NULL)
            {
              if (g_error_matches (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_INVALID_GRANT))
                mark_sign_in_again (store, account);
              /* the sign-in still holds: signing in again would not help */
              if (g_error_matches (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_TIMEOUT))
                return print_early_error (json, account, RELAY_ERROR_KIND_TIMEOUT, error->message,
                                          _("Try again later: the sign-in server may be busy or out of reach."));
              return print_early_error (json, account,
                                        error->domain == RELAY_OAUTH_ERROR ? RELAY_ERROR_KIND_AUTH
                                                                           : RELAY_ERROR_KIND_KEYRING,
                                        error->message,
                                        _("Sign in again: in Mail Relay’s setup page, or with “mail-relay-cli link-gmail”."));
            }
        }
      else if (relay_account_get_username (account)[0] != '\0')
        {
          secret = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD,
                                              NULL, &error);
          if (error != NULL)
            return print_early_error (json, account, RELAY_ERROR_KIND_KEYRING, error->message,
                                      _("Mail Relay reads the saved password from the keyring."));
          /* never a silent pass that skipped the sign-in */
          if (secret == NULL)
            return print_early_error (json, account, RELAY_ERROR_KIND_CONFIG,
                                      _("No password is stored for this account."),
                                      _("Store it with “mail-relay-cli account set --password-stdin”, "
                                        "or remove the user name if the server takes mail without signing in."));
        }
    }

  probe = relay_probe_new (account);
  relay_probe_set_secret (probe, secret);
  relay_probe_set_send_to (probe, send_to_ascii);
  relay_probe_set_timeout (probe, seconds);
  if (store != NULL && relay_account_uses_token (account))
    relay_probe_set_token_refresher (probe, refresh_token_cb, g_object_ref (account), g_object_unref);
  if (secret != NULL)
    relay_sasl_wipe (secret);

  loop = g_main_loop_new (NULL, FALSE);
  run.loop = loop;
  run.json = json;
  run.tty = isatty (STDERR_FILENO);
  g_signal_connect (probe, "step-started", G_CALLBACK (step_started_cb), &run);
  g_signal_connect (probe, "step-finished", G_CALLBACK (step_finished_cb), &run);

  relay_probe_run_async (probe, NULL, probe_done_cb, &run);
  g_main_loop_run (loop);

  if (run.error != NULL)
    {
      relay_cli_printerr ("%s", run.error->message);
      g_clear_error (&run.error);
      return RELAY_CLI_EXIT_FAILED;
    }

  /* a refresh the provider refused deleted the tokens */
  if (store != NULL && relay_account_uses_token (account) && !relay_probe_get_ok (probe))
    {
      g_autoptr(GAsyncResult) linked = NULL;

      relay_oauth_account_is_linked_async (account, NULL, relay_cli_async_done, &linked);
      if (!relay_oauth_account_is_linked_finish (relay_cli_async_wait (&linked), NULL))
        mark_sign_in_again (store, account);
    }

  diagnosis = relay_probe_get_diagnosis (probe);

  if (json)
    {
      g_autoptr(JsonNode) node = relay_probe_to_json (probe);

      print_json (node);
    }
  else if (relay_probe_get_ok (probe))
    g_print ("%s\n", send_to ? _("The server works: it accepted the test message.")
                             : _("The server works."));
  else if (diagnosis != NULL)
    {
      const char *sha256 = relay_probe_get_certificate_sha256 (probe);

      g_print ("\n%s\n", diagnosis->message);
      if (relay_probe_get_error_reply (probe) != NULL)
        {
          g_autofree char *reply = relay_text_for_display (relay_probe_get_error_reply (probe), -1);

          g_print (_("The server said: %s\n"), reply);
        }
      if (diagnosis->kind == RELAY_ERROR_KIND_TLS && sha256 != NULL)
        g_print (_("Certificate SHA-256: %s\n"), sha256);
      if (relay_probe_get_auth_skipped (probe))
        g_print ("%s\n", _("Give the password with --password-stdin, or leave out --username to test "
                           "the connection without signing in."));
      else
        g_print ("%s\n", diagnosis->hint);
    }

  return relay_probe_get_ok (probe) ? RELAY_CLI_EXIT_OK : RELAY_CLI_EXIT_FAILED;
}
