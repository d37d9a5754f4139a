/* test-account-route.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Routing by sender (relay_account_store_route()): which account a
 * message from an address goes through, and what a provider refuses. */

#include "config.h"

#include <string.h>

#include "relay-account-store.h"

static RelayAccount *
add_account (RelayAccountStore  *store,
             const char         *name,
             const char         *provider,
             const char         *from,
             const char * const *senders)
{
  g_autoptr(RelayAccount) account = relay_account_new ();

  relay_account_apply_provider (account, relay_provider_lookup (provider));
  relay_account_set_name (account, name);
  relay_account_set_from (account, from);
  if (g_str_equal (provider, "office365") || g_str_equal (provider, "gmail"))
    relay_account_set_username (account, from);
  relay_account_set_senders (account, senders);
  relay_account_store_put (store, account);

  return account;  /* the store's reference */
}

/* The name of the account @sender goes through, or the error's code */
static void
assert_route (RelayAccountStore *store,
              const char        *sender,
              const char        *expected)
{
  g_autoptr(GError) error = NULL;
  RelayAccount *account = relay_account_store_route (store, sender, &error);

  g_assert_no_error (error);
  g_assert_nonnull (account);
  if (!g_str_equal (relay_account_get_name (account), expected))
    g_error ("%s went through “%s”, not “%s”", sender ? sender : "(none)",
             relay_account_get_name (account), expected);
}

static void
assert_refused (RelayAccountStore *store,
                const char        *sender,
                const char        *account_name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *quoted = g_strdup_printf ("“%s”", account_name);

  g_assert_null (relay_account_store_route (store, sender, &error));
  g_assert_error (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_SENDER_REFUSED);
  /* the message names the account and the sender */
  g_assert_nonnull (strstr (error->message, quoted));
  g_assert_nonnull (strstr (error->message, sender));
}

static void
test_no_account (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  g_autoptr(GError) error = NULL;

  g_assert_null (relay_account_store_route (store, "a@example.org", &error));
  g_assert_error (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_NO_ACCOUNT);
  g_clear_error (&error);
  g_assert_null (relay_account_store_route (store, NULL, &error));
  g_assert_error (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_NO_ACCOUNT);
}

/* Exact senders before patterns, patterns before the accounts' own
 * addresses, and those before the default; the first in order wins */
static void
test_precedence (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  const char *team[] = { "*@example.com", NULL };
  const char *sales[] = { "sales@example.com", "*@shop.example", NULL };
  const char *news[] = { "*@example.com", "NEWS@Example.com", NULL };

  add_account (store, "Default", "sparkpost", "noreply@example.net", NULL);
  add_account (store, "Team", "sparkpost", "team@example.com", team);
  add_account (store, "Sales", "sendgrid", "bob@example.org", sales);
  add_account (store, "News", "mailgun", "info@example.com", news);
  add_account (store, "Own", "custom", "own@example.org", NULL);

  /* an exact sender beats a pattern that stands earlier */
  assert_route (store, "sales@example.com", "Sales");
  assert_route (store, "NEWS@example.com", "News");
  /* a pattern beats another account's own address (Own is not asked) */
  assert_route (store, "info@example.com", "Team");
  assert_route (store, "anyone@example.com", "Team");
  assert_route (store, "x@shop.example", "Sales");
  /* the account whose sender address it is */
  assert_route (store, "own@example.org", "Own");
  assert_route (store, "bob@example.org", "Sales");
  /* everything else: the default */
  assert_route (store, "someone@example.net", "Default");
  assert_route (store, "a@sub.example.com", "Default");
  assert_route (store, NULL, "Default");
  assert_route (store, "", "Default");

  /* a new default is where the rest goes */
  g_assert_true (relay_account_store_set_default (store, relay_account_get_id (relay_account_store_find (store, "Own"))));
  assert_route (store, "someone@example.net", "Own");
  assert_route (store, "anyone@example.com", "Team");
}

/* Domains in any case; local parts as they are */
static void
test_case (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  const char *team[] = { "*@example.com", NULL };
  const char *sales[] = { "Sales@example.org", NULL };

  add_account (store, "Default", "sparkpost", "noreply@example.net", NULL);
  add_account (store, "Team", "sparkpost", "team@example.com", team);
  add_account (store, "Sales", "sendgrid", "desk@example.org", sales);

  assert_route (store, "anyone@EXAMPLE.Com", "Team");
  assert_route (store, "Sales@EXAMPLE.ORG", "Sales");
  assert_route (store, "desk@Example.Org", "Sales");
  /* another local part is another mailbox */
  assert_route (store, "sales@example.org", "Default");
  assert_route (store, "DESK@example.org", "Default");
}

/* Office 365 and Gmail send only as the signed-in mailbox, or an alias
 * the user listed; other providers send as anyone */
static void
test_mailbox_providers (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  const char *aliases[] = { "ann.lee@example.org", "*@lee.example", NULL };
  g_autoptr(GError) error = NULL;
  RelayAccount *gmail;

  add_account (store, "Ann (Office 365)", "office365", "ann@example.org", aliases);
  gmail = add_account (store, "Bob (Gmail)", "gmail", "bob@gmail.com", NULL);
  add_account (store, "Team", "sparkpost", "team@example.com", NULL);

  /* the default is Office 365: its own mailbox, in any case of domain */
  assert_route (store, NULL, "Ann (Office 365)");
  assert_route (store, "ann@EXAMPLE.org", "Ann (Office 365)");
  /* its aliases, exact and by pattern */
  assert_route (store, "ann.lee@example.org", "Ann (Office 365)");
  assert_route (store, "anything@lee.example", "Ann (Office 365)");
  /* the others' own addresses */
  assert_route (store, "bob@gmail.com", "Bob (Gmail)");
  assert_route (store, "team@example.com", "Team");

  /* someone else falls to the default, which will not send as them */
  assert_refused (store, "someone-else@example.org", "Ann (Office 365)");
  assert_refused (store, "ann@example.org.evil.example", "Ann (Office 365)");

  /* with a shareable default, anyone goes */
  g_assert_true (relay_account_store_set_default (store, relay_account_get_id (relay_account_store_find (store, "Team"))));
  assert_route (store, "someone-else@example.org", "Team");

  /* Gmail: the user name is the mailbox too */
  g_assert_true (relay_account_store_set_default (store, relay_account_get_id (gmail)));
  assert_refused (store, "someone-else@example.org", "Bob (Gmail)");
  relay_account_set_from (gmail, "");
  assert_route (store, "bob@gmail.com", "Bob (Gmail)");
  assert_route (store, NULL, "Bob (Gmail)");

  g_assert_true (relay_account_accepts_sender (relay_account_store_find (store, "Team"), "x@y.example"));
  g_assert_false (relay_account_accepts_sender (gmail, "x@y.example"));
  g_assert_true (relay_account_accepts_sender (gmail, "bob@GMAIL.COM"));
  g_assert_null (error);
}

/* Listing an address of another's as an alias takes it over */
static void
test_alias_allowed (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);
  const char *shared[] = { "support@example.org", NULL };

  add_account (store, "Team", "sparkpost", "support@example.org", NULL);
  add_account (store, "Ann (Office 365)", "office365", "ann@example.org", shared);

  /* the alias (a “senders” entry) comes before Team's own address */
  assert_route (store, "support@example.org", "Ann (Office 365)");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/account-route/no-account", test_no_account);
  g_test_add_func ("/account-route/precedence", test_precedence);
  g_test_add_func ("/account-route/case", test_case);
  g_test_add_func ("/account-route/mailbox-providers", test_mailbox_providers);
  g_test_add_func ("/account-route/alias-allowed", test_alias_allowed);

  return g_test_run ();
}
