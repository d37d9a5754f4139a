/* test-account-store.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-account-store.h"
#include "relay-validate.h"

static char *
accounts_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
}

static RelayAccount *
make_account (void)
{
  RelayAccount *account = relay_account_new ();
  const char *pins[] = { "4fa10b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8", NULL };

  relay_account_apply_provider (account, relay_provider_lookup ("sparkpost"));
  relay_account_set_host (account, "smtp.eu.sparkpostmail.com");
  relay_account_set_port (account, 2525);
  relay_account_set_auth (account, RELAY_AUTH_METHOD_LOGIN);
  relay_account_set_from (account, "news@example.org");
  relay_account_set_pins (account, pins);
  relay_account_set_max_messages (account, 12);
  relay_account_set_message_window (account, 90);
  relay_account_set_allow_insecure (account, TRUE);

  return account;
}

static void
assert_same_account (RelayAccount *a,
                     RelayAccount *b)
{
  g_assert_cmpstr (relay_account_get_id (a), ==, relay_account_get_id (b));
  g_assert_cmpstr (relay_account_get_provider (a), ==, relay_account_get_provider (b));
  g_assert_cmpstr (relay_account_get_host (a), ==, relay_account_get_host (b));
  g_assert_cmpuint (relay_account_get_port (a), ==, relay_account_get_port (b));
  g_assert_cmpint (relay_account_get_security (a), ==, relay_account_get_security (b));
  g_assert_cmpint (relay_account_get_auth (a), ==, relay_account_get_auth (b));
  g_assert_cmpstr (relay_account_get_username (a), ==, relay_account_get_username (b));
  g_assert_cmpstr (relay_account_get_from (a), ==, relay_account_get_from (b));
  g_assert_true (g_strv_equal (relay_account_get_pins (a), relay_account_get_pins (b)));
  g_assert_cmpuint (relay_account_get_max_messages (a), ==, relay_account_get_max_messages (b));
  g_assert_cmpuint (relay_account_get_message_window (a), ==, relay_account_get_message_window (b));
  g_assert_cmpuint (relay_account_get_max_recipients (a), ==, relay_account_get_max_recipients (b));
  g_assert_cmpuint (relay_account_get_recipient_window (a), ==, relay_account_get_recipient_window (b));
  g_assert_cmpint (relay_account_get_allow_insecure (a), ==, relay_account_get_allow_insecure (b));
}

static void
test_round_trip (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccountStore) reloaded = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) account = make_account ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = accounts_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat st;

  g_assert_cmpstr (relay_account_store_get_path (store), ==, path);

  /* no file: an empty store, no warning */
  g_assert_true (relay_account_store_load (store, &error));
  g_assert_no_error (error);
  g_assert_null (relay_account_store_get_default (store));
  g_assert_null (relay_account_store_get_corrupt_path (store));

  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);

  /* only the user can read it, and nothing is left behind */
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0077, ==, 0);
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    guint n = 0;

    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_assert_cmpstr (name, ==, "accounts.json");
        n++;
      }
    g_assert_cmpuint (n, ==, 1);
  }

  g_assert_true (relay_account_store_load (reloaded, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (relay_account_store_get_accounts (reloaded)), ==, 1);
  assert_same_account (account, relay_account_store_get_default (reloaded));
  assert_same_account (account, relay_account_store_lookup (reloaded, relay_account_get_id (account)));
}

static void
test_replace_and_remove (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) first = make_account ();
  g_autoptr(RelayAccount) second = make_account ();
  g_autoptr(RelayAccount) changed = NULL;
  g_autoptr(GError) error = NULL;

  relay_account_store_put (store, first);
  relay_account_store_put (store, second);
  g_assert_cmpuint (g_list_model_get_n_items (relay_account_store_get_accounts (store)), ==, 2);

  changed = relay_account_copy (first);
  relay_account_set_host (changed, "smtp.sparkpostmail.com");
  relay_account_store_put (store, changed);

  /* replaced in place: still two, and the first stays the default */
  g_assert_cmpuint (g_list_model_get_n_items (relay_account_store_get_accounts (store)), ==, 2);
  g_assert_true (relay_account_store_get_default (store) == changed);

  g_assert_true (relay_account_store_remove (store, relay_account_get_id (first)));
  g_assert_false (relay_account_store_remove (store, relay_account_get_id (first)));
  g_assert_true (relay_account_store_get_default (store) == second);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);
}

static void
assert_moved_aside (const char *contents)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = accounts_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *kept = NULL;
  g_autofree char *basename = NULL;
  const char *corrupt;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, -1, NULL));

  g_assert_true (relay_account_store_load (store, &error));
  g_assert_no_error (error);
  g_assert_null (relay_account_store_get_default (store));

  corrupt = relay_account_store_get_corrupt_path (store);
  g_assert_nonnull (corrupt);
  g_assert_nonnull (relay_account_store_get_corrupt_reason (store));
  basename = g_path_get_basename (corrupt);
  g_assert_true (g_str_has_prefix (basename, "accounts.json.corrupt-"));

  /* nothing is lost: the bytes are kept, and the name is free again */
  g_assert_true (g_file_get_contents (corrupt, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, contents);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_cmpint (g_unlink (corrupt), ==, 0);
}

static void
test_corrupt (void)
{
  assert_moved_aside ("{ \"version\": 1, \"accounts\": [ { \"id\": ");
  assert_moved_aside ("not json at all");
  assert_moved_aside ("[]");
  assert_moved_aside ("{ \"version\": 0, \"accounts\": [] }");
  assert_moved_aside ("{ \"version\": 1, \"accounts\": {} }");
  assert_moved_aside ("{ \"version\": 1, \"accounts\": [ { \"id\": \"not-a-uuid\" } ] }");
  assert_moved_aside ("{ \"version\": 1, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"port\": 70000 } ] }");
  assert_moved_aside ("{ \"version\": 1, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"security\": \"maybe\" } ] }");
  assert_moved_aside ("{ \"version\": 1, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"pins\": [ \"xyz\" ] } ] }");

  /* found by fuzz/fuzz-accounts: a list or an object where a number or a
   * boolean belongs was a critical warning (fatal under G_DEBUG) */
  assert_moved_aside ("{ \"version\": [], \"accounts\": [] }");
  assert_moved_aside ("{ \"version\": { \"major\": 1 }, \"accounts\": [] }");
  assert_moved_aside ("{ \"version\": \"1\", \"accounts\": [] }");
  assert_moved_aside ("{ \"version\": 1, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"allow_insecure\": [ true ] } ] }");
  assert_moved_aside ("{ \"version\": 1, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"sign_in_again\": {} } ] }");
  assert_moved_aside ("{ \"version\": 1, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"allow_insecure\": 1 } ] }");
}

static void
test_corrupt_twice (void)
{
  g_autoptr(RelayAccountStore) one = relay_account_store_new (NULL);
  g_autoptr(RelayAccountStore) two = relay_account_store_new (NULL);
  g_autofree char *path = accounts_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  /* two bad files within the same second are both kept */
  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, "first", -1, NULL));
  g_assert_true (relay_account_store_load (one, NULL));
  g_assert_true (g_file_set_contents (path, "second", -1, NULL));
  g_assert_true (relay_account_store_load (two, NULL));

  g_assert_cmpstr (relay_account_store_get_corrupt_path (one), !=,
                   relay_account_store_get_corrupt_path (two));
  g_assert_true (g_file_test (relay_account_store_get_corrupt_path (one), G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (relay_account_store_get_corrupt_path (two), G_FILE_TEST_EXISTS));
}

static void
test_unreadable (void)
{
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = accounts_path ();

  /* a directory where the file should be: an error, and nothing moved */
  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
  store = relay_account_store_new (NULL);
  g_assert_false (relay_account_store_load (store, &error));
  g_assert_nonnull (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  g_assert_null (relay_account_store_get_corrupt_path (store));
}

/* Moved aside like assert_moved_aside(), with a reason that says @why */
static void
assert_moved_aside_because (const char *contents,
                            gssize      length,
                            const char *why)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = accounts_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *kept = NULL;
  gsize kept_length;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, length, NULL));

  g_assert_true (relay_account_store_load (store, &error));
  g_assert_no_error (error);
  g_assert_null (relay_account_store_get_default (store));
  g_assert_nonnull (relay_account_store_get_corrupt_path (store));
  if (strstr (relay_account_store_get_corrupt_reason (store), why) == NULL)
    g_error ("the reason “%s” does not say “%s”", relay_account_store_get_corrupt_reason (store), why);

  g_assert_true (g_file_get_contents (relay_account_store_get_corrupt_path (store), &kept, &kept_length, NULL));
  g_assert_cmpmem (kept, kept_length, contents, length < 0 ? strlen (contents) : (gsize)length);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_unlink (relay_account_store_get_corrupt_path (store)), ==, 0);
}

/* 100,000 nested brackets overflowed json-glib's recursive parser
 * (SIGSEGV in every command); and a file far larger than accounts are */
static void
test_deep_and_large (void)
{
  g_autoptr(GString) deep = g_string_new ("{ \"version\": 1, \"accounts\": ");
  g_autoptr(GString) objects = g_string_new (NULL);
  g_autofree char *large = NULL;
  const gsize large_length = 2 * 1024 * 1024;

  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  assert_moved_aside_because (deep->str, deep->len, "nest");

  for (guint i = 0; i < 50000; i++)
    g_string_append (objects, "{\"a\":");
  assert_moved_aside_because (objects->str, objects->len, "nest");

  /* json-glib also reads single-quoted strings and comments: a '"' in
   * one must not hide the brackets after it from the depth check
   * (SIGSEGV before) */
  {
    g_autoptr(GString) quoted = g_string_new ("['\"', ");
    g_autoptr(GString) commented = g_string_new ("[/* \" */ ");

    for (guint i = 0; i < 200000; i++)
      {
        g_string_append_c (quoted, '[');
        g_string_append_c (commented, '[');
      }
    assert_moved_aside_because (quoted->str, quoted->len, "single-quoted");
    assert_moved_aside_because (commented->str, commented->len, "comment");
  }

  /* brackets inside strings are text, not nesting */
  assert_moved_aside_because ("{ \"version\": 1, \"accounts\": [ { \"id\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\" } ] }", -1,
                              "id");

  large = g_malloc (large_length);
  memset (large, ' ', large_length);
  large[0] = '{';
  large[large_length - 1] = '}';
  assert_moved_aside_because (large, large_length, "larger than");
}

/* What is read back is held to what a typed value is held to */
static void
test_fields_checked (void)
{
#define ACCOUNT(fields) "{ \"version\": 1, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", " fields " } ] }"
  assert_moved_aside_because (ACCOUNT ("\"host\": \"smtp.example.org\\r\\nRCPT TO:<evil@example.net>\""), -1, "“host”");
  assert_moved_aside_because (ACCOUNT ("\"host\": \"smtp example org\""), -1, "“host”");
  assert_moved_aside_because (ACCOUNT ("\"username\": \"me\\r\\nAUTH PLAIN\""), -1, "“username”");
  assert_moved_aside_because (ACCOUNT ("\"from\": \"me@example.org\\r\\nBcc: evil@example.net\""), -1, "“from”");
  assert_moved_aside_because (ACCOUNT ("\"from\": \"me\\u202e@example.org\""), -1, "“from”");
  assert_moved_aside_because (ACCOUNT ("\"from\": \"not an address\""), -1, "“from”");
  assert_moved_aside_because (ACCOUNT ("\"provider\": \"evil\""), -1, "“provider”");
  assert_moved_aside_because (ACCOUNT ("\"ca_file\": \"relative.pem\""), -1, "“ca_file”");
  assert_moved_aside_because (ACCOUNT ("\"ca_file\": \"/etc/ca.pem\\nx\""), -1, "“ca_file”");
#undef ACCOUNT

  /* the ids in a damaged file are told, for the secrets the keyring keeps */
  {
    g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
    g_autofree char *path = accounts_path ();
    const char *text = "{ \"version\": 1, \"accounts\": [ { \"id\": \"9B2F6F8E-2a9e-4d55-9d5c-3c1f0a9e4b11\", "
                       "\"from\": \"x\\r\\n\" }, { \"id\": \"0f3c1c3e-7d1a-4c5e-8f7e-1a2b3c4d5e6f\" ";
    const char * const *ids;

    g_assert_true (g_file_set_contents (path, text, -1, NULL));
    g_assert_true (relay_account_store_load (store, NULL));
    ids = relay_account_store_get_corrupt_ids (store);
    g_assert_nonnull (ids);
    g_assert_cmpuint (g_strv_length ((GStrv)ids), ==, 2);
    g_assert_cmpstr (ids[0], ==, "9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11");
    g_assert_cmpstr (ids[1], ==, "0f3c1c3e-7d1a-4c5e-8f7e-1a2b3c4d5e6f");
  }
}

/* A file from a newer Mail Relay is not damaged: it is left where it is,
 * and the load says why it stops */
static void
test_newer_version (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) account = make_account ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = accounts_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *kept = NULL;
  const char *text = "{ \"version\": 2, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"new\": {} } ] }";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  g_assert_false (relay_account_store_load (store, &error));
  g_assert_error (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_NEWER);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_null (relay_account_store_get_corrupt_path (store));
  g_clear_error (&error);

  /* nor is it saved over (the app's form stays open after the error) */
  relay_account_store_put (store, account);
  g_assert_false (relay_account_store_save (store, &error));
  g_assert_error (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_NEWER);
  g_assert_true (g_file_get_contents (path, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, text);
  g_clear_error (&error);

  /* once the user has moved it away, as the message says, saving works
   * again without a restart */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_true (relay_account_store_load (store, &error));
  g_assert_no_error (error);
  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);
}

static guint
file_mode (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_lstat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* accounts.json planted as a link by another local user: refused, named,
 * not followed, and nothing moved */
static void
test_planted_link (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) account = make_account ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = accounts_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *target = g_build_filename (g_get_user_config_dir (), "theirs.json", NULL);
  g_autofree char *kept = NULL;
  const char *text = "{ \"version\": 1, \"accounts\": [ { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", "
                     "\"host\": \"smtp.attacker.example\" } ] }";

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (target, text, -1, NULL));
  g_assert_cmpint (symlink (target, path), ==, 0);

  g_assert_false (relay_account_store_load (store, &error));
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "symbolic link"));
  g_assert_null (relay_account_store_get_default (store));
  g_assert_null (relay_account_store_get_corrupt_path (store));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_SYMLINK));

  /* a save replaces the link with a file of the user's, never writes
   * through it */
  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, NULL));
  g_assert_false (g_file_test (path, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (target, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, text);
}

/* A config folder left 0755 and an accounts.json left 0644 are closed to
 * others; a folder or file of another user's is refused, saying so */
static void
test_modes_and_owner (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccountStore) again = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) account = make_account ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = accounts_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  relay_account_store_put (store, account);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (path, 0644), ==, 0);
  g_assert_true (relay_account_store_load (again, &error));
  g_assert_no_error (error);
  g_assert_nonnull (relay_account_store_get_default (again));
  g_assert_cmpuint (file_mode (dir), ==, 0700);
  g_assert_cmpuint (file_mode (path), ==, 0600);

  g_assert_cmpint (g_chmod (dir, 0777), ==, 0);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (dir), ==, 0700);

  if (getuid () != 0)
    {
      g_test_skip ("giving a file to another user needs root (the suite runs as root)");
      return;
    }

  g_assert_cmpint (chown (path, 65534, 65534), ==, 0);
  g_assert_false (relay_account_store_load (again, &error));
  g_assert_nonnull (strstr (error->message, "belongs to another user"));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_assert_cmpint (chown (path, 0, 0), ==, 0);

  g_assert_cmpint (chown (dir, 65534, 65534), ==, 0);
  g_assert_false (relay_account_store_load (again, &error));
  g_assert_nonnull (strstr (error->message, dir));
  g_assert_nonnull (strstr (error->message, "belongs to another user"));
  g_clear_error (&error);
  g_assert_false (relay_account_store_save (store, &error));
  g_assert_nonnull (strstr (error->message, "belongs to another user"));
  g_assert_cmpint (chown (dir, 0, 0), ==, 0);
}

#define PIN_A "abababababababababababababababababababababababababababababababab"
#define PIN_B "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

static RelayAccount *
trusting_account (void)
{
  const char *pins[] = { "abababababababababababababababababababababababababababababababab", NULL };
  RelayAccount *account = relay_account_new ();

  relay_account_set_host (account, "mail.example.org");
  relay_account_set_port (account, 587);
  relay_account_set_ca_file (account, "/etc/mail-ca.pem");
  relay_account_set_pins (account, pins);
  relay_account_set_allow_insecure (account, TRUE);
  return account;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* Trust given for one server is not carried to another */
static void
test_forget_old_trust (void)
{
  g_autoptr(RelayAccount) before = trusting_account ();
  const RelayAccountTrust all = RELAY_ACCOUNT_TRUST_CA_FILE | RELAY_ACCOUNT_TRUST_PINS |
                                RELAY_ACCOUNT_TRUST_ALLOW_INSECURE;

  /* the same server (the host in another case): everything stays */
  {
    g_autoptr(RelayAccount) same = relay_account_copy (before);
    guint notified = 0;

    relay_account_set_host (same, "MAIL.Example.org");
    relay_account_set_username (same, "someone@example.org");
    g_signal_connect (same, "notify", G_CALLBACK (count_notify), &notified);
    g_assert_cmpint (relay_account_forget_old_trust (same, before, RELAY_ACCOUNT_TRUST_NONE), ==,
                     RELAY_ACCOUNT_TRUST_NONE);
    g_assert_cmpuint (notified, ==, 0);
    g_assert_cmpstr (relay_account_get_ca_file (same), ==, "/etc/mail-ca.pem");
    g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (same)), ==, 1);
    g_assert_true (relay_account_get_allow_insecure (same));
  }

  /* a new account has nothing of an old server */
  {
    g_autoptr(RelayAccount) fresh = trusting_account ();

    g_assert_cmpint (relay_account_forget_old_trust (fresh, NULL, RELAY_ACCOUNT_TRUST_NONE), ==,
                     RELAY_ACCOUNT_TRUST_NONE);
    g_assert_cmpstr (relay_account_get_ca_file (fresh), ==, "/etc/mail-ca.pem");
  }

  /* another provider, host or port: all goes, save what was given anew */
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(RelayAccount) moved = relay_account_copy (before);
      RelayAccountTrust keep = i == 3 ? RELAY_ACCOUNT_TRUST_PINS : RELAY_ACCOUNT_TRUST_NONE;
      RelayAccountTrust cleared;

      if (i == 0)
        relay_account_apply_provider (moved, relay_provider_lookup ("office365"));
      else if (i == 1)
        relay_account_set_host (moved, "other.example.org");
      else if (i == 3)
        {
          /* as `account set --host … --pin …`: the pin given for the new host */
          const char *pins[] = { PIN_B, NULL };

          relay_account_set_host (moved, "other.example.org");
          relay_account_set_pins (moved, pins);
        }
      else
        relay_account_set_port (moved, 465);

      cleared = relay_account_forget_old_trust (moved, before, keep);
      g_assert_cmpint (cleared, ==, all & ~keep);
      g_assert_cmpstr (relay_account_get_ca_file (moved), ==, "");
      g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (moved)), ==, i == 3 ? 1 : 0);
      g_assert_false (relay_account_get_allow_insecure (moved));
      /* nothing left to clear the second time */
      g_assert_cmpint (relay_account_forget_old_trust (moved, before, keep), ==, RELAY_ACCOUNT_TRUST_NONE);
    }
}

static RelayAccount *
account_from_json (const char  *json,
                   GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  return relay_account_new_from_json (json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                                                     "account"),
                                      error);
}

/* A pin is for the host and port it was made for, and for no other */
static void
test_pins_tied_to_server (void)
{
  const char *pins[] = { PIN_A, NULL };
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autoptr(GError) error = NULL;

  /* pins of an account without a server yet (a hand-edited file) read
   * back as they were saved (found by fuzz-accounts) */
  {
    g_autoptr(RelayAccount) hostless = relay_account_new ();
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(RelayAccount) reloaded = NULL;

    relay_account_set_pins (hostless, pins);
    node = relay_account_to_json (hostless);
    reloaded = relay_account_new_from_json (json_node_get_object (node), &error);
    g_assert_no_error (error);
    g_assert_true (g_strv_equal (relay_account_get_pins (reloaded), pins));
  }

  relay_account_set_host (account, "lan-relay.example.org");
  relay_account_set_port (account, 465);
  relay_account_set_pins (account, pins);
  g_assert_true (g_strv_equal (relay_account_get_pins (account), pins));

  /* another host, another port: not used, not saved */
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(RelayAccount) moved = relay_account_copy (account);
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(RelayAccount) reloaded = NULL;
      JsonObject *object;

      if (i == 0)
        relay_account_set_host (moved, "smtp.office365.com");
      else
        relay_account_set_port (moved, 587);
      g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (moved)), ==, 0);

      node = relay_account_to_json (moved);
      object = json_node_get_object (node);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "pins")), ==, 0);
      g_assert_false (json_object_has_member (object, "pins_for"));
      reloaded = relay_account_new_from_json (object, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (reloaded)), ==, 0);
    }

  /* the same server, the host in another case: still its pins, saved
   * with the server they are for */
  {
    g_autoptr(RelayAccount) same = relay_account_copy (account);
    g_autoptr(JsonNode) node = NULL;
    JsonObject *pins_for;

    relay_account_set_host (same, "LAN-relay.example.org");
    g_assert_true (g_strv_equal (relay_account_get_pins (same), pins));
    node = relay_account_to_json (same);
    pins_for = json_object_get_object_member (json_node_get_object (node), "pins_for");
    g_assert_nonnull (pins_for);
    g_assert_cmpstr (json_object_get_string_member (pins_for, "host"), ==, "LAN-relay.example.org");
    g_assert_cmpint (json_object_get_int_member (pins_for, "port"), ==, 465);
  }

  /* a file of an older version: a plain list, for the server saved with it */
  {
    g_autoptr(RelayAccount) old = account_from_json (
      "{ \"account\": { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"host\": \"lan-relay.example.org\", "
      "\"port\": 465, \"pins\": [ \"" PIN_A "\", \"" PIN_B "\" ] } }", &error);

    g_assert_no_error (error);
    g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (old)), ==, 2);
  }

  /* pins written for another server (a host changed by hand or by
   * another program) are not used, and go with the next save */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{ \"account\": { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"host\": \"smtp.office365.com\", "
        "\"port\": 587, \"pins\": [ \"" PIN_A "\" ], \"pins_for\": { \"host\": \"%s\", \"port\": %u } } }",
        i == 0 ? "lan-relay.example.org" : "smtp.office365.com", i == 0 ? 587 : 465);
      g_autoptr(RelayAccount) moved = account_from_json (json, &error);
      g_autoptr(JsonNode) node = NULL;

      g_assert_no_error (error);
      g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (moved)), ==, 0);
      node = relay_account_to_json (moved);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (node),
                                                                             "pins")), ==, 0);
    }

  /* and they match: used */
  {
    g_autoptr(RelayAccount) kept = account_from_json (
      "{ \"account\": { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"host\": \"lan-relay.example.org\", "
      "\"port\": 465, \"pins\": [ \"" PIN_A "\" ], \"pins_for\": { \"host\": \"lan-relay.example.org\", "
      "\"port\": 465 } } }", &error);

    g_assert_no_error (error);
    g_assert_true (g_strv_equal (relay_account_get_pins (kept), pins));
  }

  /* a damaged "pins_for" is named */
  {
    const char * const bad[] = { "[]", "{ \"host\": 1, \"port\": 25 }", "{ \"host\": \"a b\", \"port\": 25 }",
                                 "{ \"host\": \"x.example\", \"port\": 0 }", "{ \"port\": 25 }" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *json = g_strdup_printf (
          "{ \"account\": { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"pins\": [], \"pins_for\": %s } }",
          bad[i]);
        g_autoptr(RelayAccount) none = account_from_json (json, &error);

        g_assert_null (none);
        g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA);
        g_assert_nonnull (strstr (error->message, "“pins_for”"));
        g_clear_error (&error);
      }
  }
}

/* A member of the wrong type is named, each kind of member in its words;
 * "accounts" must be there, "pins" may be missing */
static void
test_members_named (void)
{
  const struct {
    const char *member;
    const char *message;
  } bad[] = {
    { "\"host\": 5", "“host” is not a string" },
    { "\"from\": []", "“from” is not a string" },
    { "\"username\": null", "“username” is not a string" },
    { "\"allow_insecure\": \"yes\"", "“allow_insecure” is not true or false" },
    { "\"sign_in_again\": null", "“sign_in_again” is not true or false" },
    { "\"pins\": \"" PIN_A "\"", "“pins” is not a list" },
    { "\"pins\": {}", "“pins” is not a list" },
    { "\"pins\": null", "“pins” is not a list" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayAccount) plain = account_from_json (
    "{ \"account\": { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"host\": \"smtp.example.org\", "
    "\"allow_insecure\": true } }", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (relay_account_get_host (plain), ==, "smtp.example.org");
  g_assert_true (relay_account_get_allow_insecure (plain));
  g_assert_false (relay_account_get_sign_in_again (plain));
  g_assert_cmpuint (g_strv_length ((char **)relay_account_get_pins (plain)), ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *json = g_strdup_printf (
        "{ \"account\": { \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", %s } }", bad[i].member);
      g_autoptr(RelayAccount) none = account_from_json (json, &error);

      g_assert_null (none);
      g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA);
      g_assert_cmpstr (error->message, ==, bad[i].message);
      g_clear_error (&error);
    }

  assert_moved_aside_because ("{ \"version\": 1 }", -1, "“accounts” is not a list");
  assert_moved_aside_because ("{ \"version\": 1, \"accounts\": \"none\" }", -1, "“accounts” is not a list");
}

static RelayAccountStore *
store_from_text (const char *text)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autofree char *path = accounts_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  g_assert_true (relay_account_store_load (store, &error));
  g_assert_no_error (error);
  g_assert_null (relay_account_store_get_corrupt_path (store));

  return g_steal_pointer (&store);
}

static RelayAccount *
nth_account (RelayAccountStore *store,
             guint              n)
{
  g_autoptr(RelayAccount) account = g_list_model_get_item (relay_account_store_get_accounts (store), n);

  g_assert_nonnull (account);
  return account;
}

/* Today's file: no names, no "default", no "senders". Each account gets
 * a name of its own, the first is the default, and saving keeps every
 * field and writes which one is the default. */
static void
test_older_file (void)
{
  g_autoptr(RelayAccountStore) store = store_from_text (
    "{ \"version\": 1, \"accounts\": ["
    "  { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"provider\": \"office365\", "
    "    \"host\": \"smtp.office365.com\", \"port\": 587, \"security\": \"starttls\", "
    "    \"username\": \"ann@example.org\", \"from\": \"ann@example.org\", "
    "    \"limits\": { \"max_messages\": 30, \"message_window\": 60 } },"
    "  { \"id\": \"22222222-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"provider\": \"sparkpost\", "
    "    \"host\": \"smtp.sparkpostmail.com\", \"from\": \"ann@example.org\" },"
    "  { \"id\": \"33333333-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"provider\": \"gmail\", "
    "    \"host\": \"smtp.gmail.com\" } ] }");
  g_autoptr(RelayAccountStore) reloaded = relay_account_store_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = accounts_path ();
  g_autofree char *saved = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (relay_account_store_get_accounts (store)), ==, 3);
  g_assert_cmpstr (relay_account_get_id (relay_account_store_get_default (store)), ==,
                   "11111111-2a9e-4d55-9d5c-3c1f0a9e4b11");
  /* named after the sender address, made unique, or the provider */
  g_assert_cmpstr (relay_account_get_name (nth_account (store, 0)), ==, "ann@example.org");
  g_assert_cmpstr (relay_account_get_name (nth_account (store, 1)), ==, "ann@example.org 2");
  g_assert_cmpstr (relay_account_get_name (nth_account (store, 2)), ==, "Gmail");
  g_assert_cmpuint (g_strv_length ((char **)relay_account_get_senders (nth_account (store, 0))), ==, 0);
  g_assert_cmpuint (relay_account_get_max_messages (nth_account (store, 0)), ==, 30);

  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &saved, NULL, NULL));
  g_assert_nonnull (strstr (saved, "\"default\" : \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\""));

  g_assert_true (relay_account_store_load (reloaded, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      assert_same_account (nth_account (store, i), nth_account (reloaded, i));
      g_assert_cmpstr (relay_account_get_name (nth_account (store, i)), ==,
                       relay_account_get_name (nth_account (reloaded, i)));
    }
  g_assert_true (relay_account_store_get_default (reloaded) == nth_account (reloaded, 0));
}

/* Names, senders and the default survive a round trip; the default is
 * the one the file names, wherever it stands */
static void
test_several_round_trip (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccountStore) reloaded = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) first = make_account ();
  g_autoptr(RelayAccount) second = make_account ();
  const char *senders[] = { "sales@example.org", "*@example.net", NULL };
  g_autoptr(GError) error = NULL;

  relay_account_set_name (first, "Newsletters");
  relay_account_set_name (second, "Sales desk");
  relay_account_set_senders (second, senders);
  relay_account_store_put (store, first);
  relay_account_store_put (store, second);
  g_assert_true (relay_account_store_get_default (store) == first);
  g_assert_true (relay_account_store_set_default (store, relay_account_get_id (second)));
  g_assert_false (relay_account_store_set_default (store, "9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11"));
  g_assert_true (relay_account_store_get_default (store) == second);
  g_assert_true (relay_account_store_save (store, &error));
  g_assert_no_error (error);

  g_assert_true (relay_account_store_load (reloaded, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (relay_account_get_id (relay_account_store_get_default (reloaded)), ==,
                   relay_account_get_id (second));
  g_assert_cmpstr (relay_account_get_name (nth_account (reloaded, 0)), ==, "Newsletters");
  g_assert_cmpstr (relay_account_get_name (nth_account (reloaded, 1)), ==, "Sales desk");
  g_assert_true (g_strv_equal (relay_account_get_senders (nth_account (reloaded, 1)), senders));
  assert_same_account (second, nth_account (reloaded, 1));

  /* found by id or by name, whatever the case */
  g_assert_true (relay_account_store_find (reloaded, "sales DESK") == nth_account (reloaded, 1));
  g_assert_true (relay_account_store_find (reloaded, relay_account_get_id (first)) == nth_account (reloaded, 0));
  g_assert_null (relay_account_store_find (reloaded, "Sales"));

  /* deleting the default makes the first one left the default */
  g_assert_true (relay_account_store_remove (reloaded, relay_account_get_id (second)));
  g_assert_cmpstr (relay_account_get_id (relay_account_store_get_default (reloaded)), ==,
                   relay_account_get_id (first));
  g_assert_true (relay_account_store_remove (reloaded, relay_account_get_id (first)));
  g_assert_null (relay_account_store_get_default (reloaded));
}

/* A name another account has is refused when typed, and made unique when
 * an account is put without a check (a file edited by hand, a form) */
static void
test_names_unique (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(RelayAccount) first = make_account ();
  g_autoptr(RelayAccount) second = make_account ();
  g_autoptr(RelayAccount) unnamed = relay_account_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *checked = NULL;
  g_autofree char *long_name = g_strnfill (70, 'x');

  relay_account_set_name (first, "Team");
  relay_account_store_put (store, first);

  g_assert_null (relay_account_store_check_name (store, " team ", NULL, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME);
  g_assert_nonnull (strstr (error->message, "“team”"));
  g_clear_error (&error);
  /* its own name is no clash */
  checked = relay_account_store_check_name (store, " Team ", first, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (checked, ==, "Team");

  g_assert_null (relay_account_store_check_name (store, "  ", NULL, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME);
  g_clear_error (&error);
  g_assert_null (relay_account_store_check_name (store, "a\nb", NULL, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME);
  g_clear_error (&error);
  g_assert_null (relay_account_store_check_name (store, "a\u200Eb", NULL, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME);
  g_clear_error (&error);
  g_assert_null (relay_account_store_check_name (store, long_name, NULL, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME);
  g_clear_error (&error);

  relay_account_set_name (second, "TEAM");
  relay_account_store_put (store, second);
  g_assert_cmpstr (relay_account_get_name (second), ==, "TEAM 2");
  relay_account_store_put (store, unnamed);
  g_assert_cmpstr (relay_account_get_name (unnamed), ==, "Custom");

  /* what the file names twice is made unique when read, nothing lost */
  {
    g_autoptr(RelayAccountStore) twice = store_from_text (
      "{ \"version\": 1, \"accounts\": ["
      "  { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"name\": \"Team\", \"host\": \"a.example.org\" },"
      "  { \"id\": \"22222222-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"name\": \"team\", \"host\": \"b.example.org\" } ] }");

    g_autoptr(RelayAccountStore) made = store_from_text (
      "{ \"version\": 1, \"accounts\": ["
      "  { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"from\": \" ann@example.org\" },"
      "  { \"id\": \"22222222-2a9e-4d55-9d5c-3c1f0a9e4b11\", "
      "    \"from\": \"a-very-long-local-part-of-an-address-indeed@a-long-domain.example.org\" } ] }");

    /* a name made from a sender is one that reads back the same */
    g_assert_cmpstr (relay_account_get_name (nth_account (made, 0)), ==, "ann@example.org");
    g_assert_cmpstr (relay_account_get_name (nth_account (made, 1)), ==,
                     "a-very-long-local-part-of-an-address-indeed@a-long-domai");

    g_autoptr(RelayAccountStore) same_id = store_from_text (
      "{ \"version\": 1, \"accounts\": ["
      "  { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"name\": \"Team\" },"
      "  { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"name\": \"Team\" } ] }");

    /* even two entries with one id (a hand-edited file) get two names */
    g_assert_cmpstr (relay_account_get_name (nth_account (same_id, 1)), ==, "Team 2");

    g_assert_cmpstr (relay_account_get_name (nth_account (twice, 0)), ==, "Team");
    g_assert_cmpstr (relay_account_get_name (nth_account (twice, 1)), ==, "team 2");
    g_assert_cmpstr (relay_account_get_host (nth_account (twice, 1)), ==, "b.example.org");
  }
}

/* Senders are held to what a typed sender address is held to */
static void
test_senders_checked (void)
{
  const struct {
    const char *text;
    const char *kept;
  } good[] = {
    { "Sales@Example.ORG", "Sales@example.org" },
    { " *@Example.NET ", "*@example.net" },
    { "*@bücher.example", "*@xn--bcher-kva.example" },
  };
  const char *bad[] = {
    "", "*@", "*@localhost", "*@127.0.0.1", "*@exa mple.org", "a@b@", "sales",
    "*@*.example.org", "a\r\n@example.org", "a\u202E@example.org", "@example.org",
  };
  g_autoptr(RelayAccount) account = make_account ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autofree char *kept = relay_validate_sender (good[i].text, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (kept, ==, good[i].kept);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *kept = relay_validate_sender (bad[i], &error);
      const char *senders[] = { bad[i], NULL };
      g_autofree char *json = NULL;
      g_autoptr(RelayAccountStore) store = NULL;

      g_assert_null (kept);
      g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_SENDERS);
      g_assert_true (g_str_has_prefix (error->message, "Sender: "));
      g_clear_error (&error);

      relay_account_set_senders (account, senders);
      g_assert_false (relay_account_validate (account, &error));
      g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_SENDERS);
      g_clear_error (&error);
    }

  assert_moved_aside_because ("{ \"version\": 1, \"accounts\": [ { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", "
                              "\"senders\": [ \"*@localhost\" ] } ] }", -1,
                              "“senders” is not valid (Sender: “*@localhost” is not an address or a pattern *@DOMAIN with a valid mail domain)");
  assert_moved_aside_because ("{ \"version\": 1, \"accounts\": [ { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", "
                              "\"senders\": [ 5 ] } ] }", -1, "“senders” holds something that is not a string");
  assert_moved_aside_because ("{ \"version\": 1, \"accounts\": [ { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", "
                              "\"senders\": \"a@example.org\" } ] }", -1, "“senders” is not a list");
  assert_moved_aside_because ("{ \"version\": 1, \"accounts\": [ { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", "
                              "\"name\": \"a\\u0007b\" } ] }", -1, "“name” is not a name of an account");
  assert_moved_aside_because ("{ \"version\": 1, \"accounts\": [ { \"id\": \"11111111-2a9e-4d55-9d5c-3c1f0a9e4b11\", "
                              "\"name\": 3 } ] }", -1, "“name” is not a string");
  assert_moved_aside_because ("{ \"version\": 1, \"default\": \"first\", \"accounts\": [] }", -1,
                              "“default” is not an account id");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/account-store/round-trip", test_round_trip);
  g_test_add_func ("/account-store/replace-and-remove", test_replace_and_remove);
  g_test_add_func ("/account-store/corrupt", test_corrupt);
  g_test_add_func ("/account-store/corrupt-twice", test_corrupt_twice);
  g_test_add_func ("/account-store/unreadable", test_unreadable);
  g_test_add_func ("/account-store/deep-and-large", test_deep_and_large);
  g_test_add_func ("/account-store/fields-checked", test_fields_checked);
  g_test_add_func ("/account-store/newer-version", test_newer_version);
  g_test_add_func ("/account-store/planted-link", test_planted_link);
  g_test_add_func ("/account-store/modes-and-owner", test_modes_and_owner);
  g_test_add_func ("/account-store/older-file", test_older_file);
  g_test_add_func ("/account-store/several-round-trip", test_several_round_trip);
  g_test_add_func ("/account-store/names-unique", test_names_unique);
  g_test_add_func ("/account-store/senders-checked", test_senders_checked);
  g_test_add_func ("/account/forget-old-trust", test_forget_old_trust);
  g_test_add_func ("/account/pins-tied-to-server", test_pins_tied_to_server);
  g_test_add_func ("/account/members-named", test_members_named);

  return g_test_run ();
}
