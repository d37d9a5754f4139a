/* fuzz-accounts.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* accounts.json as the store loads it, without the file or the keyring;
 * whatever it accepts must survive a save and a reload unchanged, each
 * account it reads has a name no other has, and nothing nested deeper than the store allows reaches json-glib's
 * recursive parser (corpus/accounts/deep-*: 100,000 brackets overflowed
 * its stack). */

#include "config.h"

#include <json-glib/json-glib.h>

#include "relay-account-store-private.h"
#include "relay-json-private.h"

#include "fuzz-common.h"

static void
check_account (RelayAccount *account)
{
  g_autoptr(JsonNode) saved = relay_account_to_json (account);
  g_autoptr(RelayAccount) reloaded = NULL;
  g_autoptr(JsonNode) saved_again = NULL;
  g_autoptr(GError) error = NULL;

  reloaded = relay_account_new_from_json (json_node_get_object (saved), &error);
  g_assert_no_error (error);
  saved_again = relay_account_to_json (reloaded);
  g_assert (json_node_equal (saved, saved_again));

  /* what the setup page does with a loaded account */
  if (!relay_account_validate (account, &error))
    g_assert (error != NULL && error->message[0] != '\0');
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *default_id = NULL;

  fuzz_init ();

  if (!relay_account_store_parse ((const char *)data, size, accounts, &default_id, &error))
    {
      g_assert (error != NULL && error->message != NULL);
      return 0;
    }

  /* too deep is refused before json-glib parses it */
  g_assert (relay_json_check_depth ((const char *)data, size, RELAY_ACCOUNT_STORE_MAX_DEPTH, NULL));

  g_assert_no_error (error);
  g_assert (default_id == NULL || g_uuid_string_is_valid (default_id));
  for (guint i = 0; i < accounts->len; i++)
    {
      RelayAccount *account = g_ptr_array_index (accounts, i);

      check_account (account);
      /* every account has a name of its own, whatever the case */
      g_assert (relay_account_get_name (account)[0] != '\0');
      g_assert (g_hash_table_add (names, g_utf8_casefold (relay_account_get_name (account), -1)));
    }

  return 0;
}
