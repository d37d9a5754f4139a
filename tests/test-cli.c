/* test-cli.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * mail-relay-cli as scripts see it: exit statuses, messages, JSON.
 */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "test-helpers.h"

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
run_cli_full (Run                *run,
              const char * const *envp,
              const char         *input,
              const char         *first,
              va_list             args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (char *)g_getenv ("MAIL_RELAY_CLI"));
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *)arg);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  if (envp != NULL)
    g_subprocess_launcher_set_environ (launcher, (char **)envp);

  /* G_TEST_OPTION_ISOLATE_DIRS moves the directories inside GLib only */
  g_subprocess_launcher_setenv (launcher, "HOME", g_get_home_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", g_get_user_config_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", g_get_user_data_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", g_get_user_cache_dir (), TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", g_get_user_state_dir (), TRUE);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input ? input : "", NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  /* a sanitizer's report, when a check stopped it */
  if (!g_subprocess_get_if_exited (process))
    g_printerr ("%s", run->err);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
}

static void G_GNUC_NULL_TERMINATED
run_cli (Run        *run,
         const char *input,
         const char *first,
         ...)
{
  va_list args;

  va_start (args, first);
  run_cli_full (run, NULL, input, first, args);
  va_end (args);
}

static void G_GNUC_NULL_TERMINATED
run_cli_env (Run                *run,
             const char * const *envp,
             const char         *input,
             const char         *first,
             ...)
{
  va_list args;

  va_start (args, first);
  run_cli_full (run, envp, input, first, args);
  va_end (args);
}

static JsonObject *
show_json (void)
{
  g_auto(Run) run = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  run_cli (&run, NULL, "account", "show", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, run.out, -1, &error));
  g_assert_no_error (error);

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static void
test_round_trip (void)
{
  g_auto(Run) set = { 0 };
  g_auto(Run) again = { 0 };
  g_autoptr(JsonObject) account = NULL;
  g_autoptr(JsonObject) updated = NULL;
  g_autofree char *stored = NULL;
  const char *password = "Vq8-cli-secret-93b1";
  JsonObject *limits;
  const char *id;

  run_cli (&set, password, "account", "set", "--provider", "office365",
           "--username", "a@example.com", "--password-stdin", "--from", "a@example.com", NULL);
  g_assert_cmpstr (set.err, ==, "");
  g_assert_cmpint (set.status, ==, 0);

  account = show_json ();
  id = json_object_get_string_member (account, "id");
  g_assert_true (g_uuid_string_is_valid (id));
  g_assert_cmpstr (json_object_get_string_member (account, "provider"), ==, "office365");
  g_assert_cmpstr (json_object_get_string_member (account, "host"), ==, "smtp.office365.com");
  g_assert_cmpint (json_object_get_int_member (account, "port"), ==, 587);
  g_assert_cmpstr (json_object_get_string_member (account, "security"), ==, "starttls");
  g_assert_cmpstr (json_object_get_string_member (account, "username"), ==, "a@example.com");
  g_assert_cmpstr (json_object_get_string_member (account, "from"), ==, "a@example.com");
  g_assert_cmpstr (json_object_get_string_member (account, "password"), ==, "stored");
  limits = json_object_get_object_member (account, "limits");
  g_assert_cmpint (json_object_get_int_member (limits, "max_messages"), ==, 30);
  g_assert_cmpint (json_object_get_int_member (limits, "message_window"), ==, 60);
  g_assert_cmpint (json_object_get_int_member (limits, "max_recipients"), ==, 10000);
  g_assert_cmpint (json_object_get_int_member (limits, "recipient_window"), ==, 86400);

  /* the password is in the keyring under the documented attributes ... */
  stored = run_secret_tool_lookup (id, "password");
  g_assert_cmpstr (stored, ==, password);
  /* ... and nowhere on disk, nor in anything printed */
  assert_no_file_contains (password);
  g_assert_null (strstr (set.out, password));

  /* an update keeps the id and changes only what was given */
  run_cli (&again, NULL, "account", "set", "--port", "465", "--security", "tls",
           "--max-messages", "20", "--per", "60", NULL);
  g_assert_cmpint (again.status, ==, 0);
  updated = show_json ();
  g_assert_cmpstr (json_object_get_string_member (updated, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (updated, "port"), ==, 465);
  g_assert_cmpstr (json_object_get_string_member (updated, "security"), ==, "tls");
  g_assert_cmpstr (json_object_get_string_member (updated, "username"), ==, "a@example.com");
  limits = json_object_get_object_member (updated, "limits");
  g_assert_cmpint (json_object_get_int_member (limits, "max_messages"), ==, 20);
  g_assert_cmpint (json_object_get_int_member (limits, "recipient_window"), ==, 60);
  g_assert_cmpstr (json_object_get_string_member (updated, "password"), ==, "stored");
}

static void
assert_refused (const char *option,
                const char *first,
                ...)
{
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
  g_auto(Run) run = { 0 };
  va_list args;

  g_file_get_contents (path, &before, NULL, NULL);

  va_start (args, first);
  run_cli_full (&run, NULL, NULL, first, args);
  va_end (args);

  g_assert_cmpint (run.status, ==, 2);
  /* the message names the field */
  g_assert_true (g_str_has_prefix (run.err, "mail-relay-cli: "));
  g_assert_nonnull (strstr (run.err, option));
  g_assert_cmpstr (run.out, ==, "");

  /* nothing saved is lost */
  g_file_get_contents (path, &after, NULL, NULL);
  g_assert_cmpstr (before, ==, after);
}

static void
test_invalid_input (void)
{
  g_auto(Run) setup = { 0 };

  assert_refused ("--port", "account", "set", "--provider", "office365", "--from", "a@example.com",
                  "--port", "70000", NULL);
  assert_refused ("--host", "account", "set", "--provider", "office365", "--from", "a@example.com",
                  "--host", "bad host", NULL);

  run_cli (&setup, NULL, "account", "set", "--provider", "custom", "--host", "smtp.example.org",
           "--from", "me@example.org", NULL);
  g_assert_cmpint (setup.status, ==, 0);

  assert_refused ("--port", "account", "set", "--port", "70000", NULL);
  assert_refused ("--port", "account", "set", "--port", "abc", NULL);
  assert_refused ("--port", "account", "set", "--port", "0", NULL);
  assert_refused ("--host", "account", "set", "--host", "bad host", NULL);
  assert_refused ("--host", "account", "set", "--host", "", NULL);
  assert_refused ("--host", "account", "set", "--host", "smtp.example.org\r\nQUIT", NULL);
  assert_refused ("--from", "account", "set", "--from", "not-an-address", NULL);
  assert_refused ("--provider", "account", "set", "--provider", "aol", NULL);
  assert_refused ("--security", "account", "set", "--security", "ssl3", NULL);
  assert_refused ("--auth", "account", "set", "--auth", "cram-md5", NULL);
  assert_refused ("--pin", "account", "set", "--pin", "1234", NULL);
  assert_refused ("--ca-file", "account", "set", "--ca-file", "/nonexistent/ca.pem", NULL);
  assert_refused ("--max-messages", "account", "set", "--max-messages", "-5", NULL);
  assert_refused ("--max-messages", "account", "set", "--max-messages", "10", NULL);
  assert_refused ("--password-stdin", "account", "set", "--password-stdin", NULL);
  assert_refused ("--unknown", "account", "set", "--unknown", NULL);
  assert_refused ("frobnicate", "frobnicate", NULL);
  assert_refused ("usage", "account", NULL);
}

/* Every command that needs the account fails, saying how to make one or
 * what was not there, and writes nothing */
static void
test_missing_account (void)
{
  const struct {
    const char *args[6];
    const char *says;
  } commands[] = {
    { { "account", "show" }, "create one with “mail-relay-cli account set”" },
    { { "account", "delete" }, "there is no account to delete" },
    { { "unlink" }, "there is no account to sign out of" },
    { { "flush" }, "create one with “mail-relay-cli account set”" },
    { { "send", "--no-wait", "--to", "someone@example.org", "--subject", "Hello" },
      "create one with “mail-relay-cli account set”" },
    { { "test" }, "or give the server with --host" },
  };
  g_autofree char *accounts = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
  g_autofree char *outbox = g_build_filename (g_get_user_data_dir (), "mail-relay", "outbox", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(Run) run = { 0 };
      const char * const *a = commands[i].args;

      run_cli (&run, "body\n", a[0], a[1], a[2], a[3], a[4], a[5], NULL);
      g_assert_cmpint (run.status, ==, 1);
      g_assert_true (g_str_has_prefix (run.err, "mail-relay-cli: "));
      g_assert_nonnull (strstr (run.err, commands[i].says));
      g_assert_cmpstr (run.out, ==, "");
    }

  g_assert_false (g_file_test (accounts, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (outbox, G_FILE_TEST_EXISTS));
}

/* An option that is not one is refused before anything is read */
static void
test_unknown_option (void)
{
  const char *commands[][2] = {
    { "account", "show" }, { "log", NULL }, { "flush", NULL }, { "sandbox", NULL }, { "unlink", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(Run) run = { 0 };

      if (commands[i][1] != NULL)
        run_cli (&run, NULL, commands[i][0], commands[i][1], "--no-such-option", NULL);
      else
        run_cli (&run, NULL, commands[i][0], "--no-such-option", NULL);
      g_assert_cmpint (run.status, ==, 2);
      g_assert_true (g_str_has_prefix (run.err, "mail-relay-cli: "));
      g_assert_nonnull (strstr (run.err, "--no-such-option"));
    }
}

/* The commands that take only options name an argument left over, and do
 * nothing else: account set saves no account */
static void
test_unexpected_argument (void)
{
  const char *commands[][2] = { { "account", "set" }, { "test", NULL }, { "log", NULL } };
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(Run) run = { 0 };

      if (commands[i][1] != NULL)
        run_cli (&run, NULL, commands[i][0], commands[i][1], "--host", "smtp.example.org", "extra", NULL);
      else
        run_cli (&run, NULL, commands[i][0], "extra", NULL);
      g_assert_cmpint (run.status, ==, 2);
      g_assert_cmpstr (run.err, ==, "mail-relay-cli: unexpected argument “extra”\n");
      g_assert_cmpstr (run.out, ==, "");
    }

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_delete (void)
{
  g_auto(Run) set = { 0 };
  g_auto(Run) del = { 0 };
  g_auto(Run) show = { 0 };
  g_autoptr(JsonObject) account = NULL;
  g_autofree char *id = NULL;
  g_autofree char *stored = NULL;

  run_cli (&set, "delete-me-7c1", "account", "set", "--provider", "sendgrid",
           "--password-stdin", "--from", "ops@example.org", NULL);
  g_assert_cmpint (set.status, ==, 0);
  account = show_json ();
  id = g_strdup (json_object_get_string_member (account, "id"));
  g_assert_cmpstr (json_object_get_string_member (account, "username"), ==, "apikey");

  run_cli (&del, NULL, "account", "delete", NULL);
  g_assert_cmpint (del.status, ==, 0);

  stored = run_secret_tool_lookup (id, "password");
  g_assert_null (stored);

  run_cli (&show, NULL, "account", "show", NULL);
  g_assert_cmpint (show.status, ==, 1);
}

static void
test_no_keyring (void)
{
  g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
  g_auto(GStrv) envp = NULL;
  g_auto(Run) run = { 0 };
  g_autofree char *session_bus = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));

  g_test_dbus_up (bus);
  envp = g_environ_setenv (g_get_environ (), "DBUS_SESSION_BUS_ADDRESS",
                           g_test_dbus_get_bus_address (bus), TRUE);

  run_cli_env (&run, (const char * const *)envp, "no-keyring-pass-41d", "account", "set",
               "--provider", "office365", "--username", "a@example.com",
               "--password-stdin", "--from", "a@example.com", NULL);

  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "keyring"));
  g_assert_null (strstr (run.err, "no-keyring-pass-41d"));
  /* never a plaintext fallback, and no account waiting for a password */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_test_dbus_down (bus);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", session_bus, TRUE);
}

static void
test_corrupt_file (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_config_dir (), "mail-relay", NULL);
  g_autofree char *path = g_build_filename (dir, "accounts.json", NULL);
  g_auto(Run) show = { 0 };
  g_auto(Run) set = { 0 };
  g_autoptr(GDir) d = NULL;
  const char *name;
  gboolean kept = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "{ broken", -1, NULL));

  run_cli (&show, NULL, "account", "show", NULL);
  g_assert_cmpint (show.status, ==, 1);
  g_assert_nonnull (strstr (show.err, "warning"));
  g_assert_nonnull (strstr (show.err, "accounts.json.corrupt-"));

  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "accounts.json.corrupt-"))
      {
        g_autofree char *moved = g_build_filename (dir, name, NULL);
        g_autofree char *contents = NULL;

        g_assert_true (g_file_get_contents (moved, &contents, NULL, NULL));
        g_assert_cmpstr (contents, ==, "{ broken");
        kept = TRUE;
      }
  g_assert_true (kept);

  /* a new account can be saved afterwards */
  run_cli (&set, NULL, "account", "set", "--provider", "mailgun", "--username", "postmaster@mg.example.org",
           "--from", "news@mg.example.org", NULL);
  g_assert_cmpint (set.status, ==, 0);
}

static void
test_help (void)
{
  g_auto(Run) help = { 0 };
  g_auto(Run) set_help = { 0 };

  run_cli (&help, NULL, "--help", NULL);
  g_assert_cmpint (help.status, ==, 0);
  g_assert_nonnull (strstr (help.out, "account set"));

  run_cli (&set_help, NULL, "account", "set", "--help", NULL);
  g_assert_cmpint (set_help.status, ==, 0);
  g_assert_nonnull (strstr (set_help.out, "--password-stdin"));
  g_assert_nonnull (strstr (set_help.out, "--allow-insecure"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/cli/round-trip", test_round_trip);
  g_test_add_func ("/cli/invalid-input", test_invalid_input);
  g_test_add_func ("/cli/missing-account", test_missing_account);
  g_test_add_func ("/cli/unknown-option", test_unknown_option);
  g_test_add_func ("/cli/unexpected-argument", test_unexpected_argument);
  g_test_add_func ("/cli/delete", test_delete);
  g_test_add_func ("/cli/no-keyring", test_no_keyring);
  g_test_add_func ("/cli/corrupt-file", test_corrupt_file);
  g_test_add_func ("/cli/help", test_help);

  return g_test_run ();
}
