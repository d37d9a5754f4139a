/* relay-account-route.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Routing by sender: which account of the store a message from an
 * address goes through, and whether that account's provider accepts
 * that address as the sender. */

#define G_LOG_DOMAIN "relay-account-store"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-account-store.h"
#include "relay-provider.h"

/* Addresses compare with their domains in any case; a local part is
 * compared exactly, as RFC 5321 leaves it to the receiving server */
static gboolean
same_address (const char *a,
              const char *b)
{
  const char *at_a = strrchr (a, '@');
  const char *at_b = strrchr (b, '@');

  if (at_a == NULL || at_b == NULL || at_a - a != at_b - b)
    return FALSE;

  return strncmp (a, b, at_a - a) == 0 && g_ascii_strcasecmp (at_a, at_b) == 0;
}

/* “*@example.com” matches every address of example.com (not of its
 * subdomains) */
static gboolean
pattern_matches (const char *pattern,
                 const char *address)
{
  const char *at = strrchr (address, '@');

  return g_str_has_prefix (pattern, "*@") && at != NULL && g_ascii_strcasecmp (pattern + 1, at) == 0;
}

static gboolean
senders_match (RelayAccount *account,
               const char   *sender,
               gboolean      patterns)
{
  const char * const *senders = relay_account_get_senders (account);

  for (guint i = 0; senders[i] != NULL; i++)
    if (patterns ? pattern_matches (senders[i], sender) : same_address (senders[i], sender))
      return TRUE;

  return FALSE;
}

/**
 * relay_account_accepts_sender:
 * @sender: an envelope sender, as relay_validate_address() gives it
 *
 * Office 365 and Gmail (providers whose credentials are one mailbox's,
 * %RELAY_SHARING_PER_MAILBOX) send only as the signed-in mailbox: its
 * sender address or its user name, or an alias the user listed in the
 * account's `senders`. Any other provider takes any sender; whether it
 * delivers is its own check.
 *
 * Returns: whether the provider of @account sends as @sender
 */
gboolean
relay_account_accepts_sender (RelayAccount *account,
                              const char   *sender)
{
  RelayProvider *provider;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (sender != NULL, FALSE);

  provider = relay_provider_lookup (relay_account_get_provider (account));
  if (provider == NULL || relay_provider_get_sharing (provider) != RELAY_SHARING_PER_MAILBOX)
    return TRUE;

  return same_address (relay_account_get_from (account), sender) ||
         same_address (relay_account_get_username (account), sender) ||
         senders_match (account, sender, FALSE) || senders_match (account, sender, TRUE);
}

/* The first account that @match picks for @sender */
static RelayAccount *
first_account (GListModel   *accounts,
               const char   *sender,
               gboolean    (*match) (RelayAccount *, const char *))
{
  guint n_items = g_list_model_get_n_items (accounts);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (accounts, i);

      if (match (account, sender))
        return account;  /* the store keeps its own reference */
    }

  return NULL;
}

static gboolean
match_exact (RelayAccount *account,
             const char   *sender)
{
  return senders_match (account, sender, FALSE);
}

static gboolean
match_pattern (RelayAccount *account,
               const char   *sender)
{
  return senders_match (account, sender, TRUE);
}

static gboolean
match_from (RelayAccount *account,
            const char   *sender)
{
  return same_address (relay_account_get_from (account), sender);
}

/**
 * relay_account_store_route:
 * @sender: (nullable): the envelope sender, as relay_validate_address()
 *   gives it; %NULL or "" for the default account's own address
 *
 * The account a message from @sender goes through: the one whose
 * `senders` list @sender itself, else the one with a `*@DOMAIN` pattern
 * of its domain, else the one whose sender address it is, else the
 * default account; the first such in the store's order. Every program's
 * mail is routed here, so that each goes through one and the same rule.
 *
 * Returns: (transfer none) (nullable): the account, or %NULL when there
 *   is none, or when its provider will not send as @sender (the message
 *   names the account and the sender)
 *
 * Used error codes: %RELAY_ACCOUNT_STORE_ERROR_NO_ACCOUNT,
 *   %RELAY_ACCOUNT_STORE_ERROR_SENDER_REFUSED.
 */
RelayAccount *
relay_account_store_route (RelayAccountStore  *self,
                           const char         *sender,
                           GError            **error)
{
  GListModel *accounts;
  RelayAccount *account = NULL;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);

  accounts = relay_account_store_get_accounts (self);
  if (sender != NULL && sender[0] != '\0' &&
      (account = first_account (accounts, sender, match_exact)) == NULL &&
      (account = first_account (accounts, sender, match_pattern)) == NULL)
    account = first_account (accounts, sender, match_from);

  if (account == NULL && (account = relay_account_store_get_default (self)) == NULL)
    {
      g_set_error_literal (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_NO_ACCOUNT,
                           _("No account is set up to send mail through"));
      return NULL;
    }

  if (sender != NULL && sender[0] != '\0' && !relay_account_accepts_sender (account, sender))
    {
      RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));

      g_set_error (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_SENDER_REFUSED,
                   /* Translators: the account's name, its provider (“Office 365”), an address,
                    * the address it sends as */
                   _("Account “%s” cannot send as %s: %s sends only as the signed-in mailbox (%s). "
                     "Add %s to the account’s senders if it is an alias of that mailbox, or set up an account for it."),
                   relay_account_get_name (account), sender, relay_provider_get_name (provider),
                   relay_account_get_from (account)[0] ? relay_account_get_from (account)
                                                       : relay_account_get_username (account),
                   sender);
      return NULL;
    }

  return account;
}
