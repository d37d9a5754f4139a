/* relay-account-store.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "relay-account.h"

G_BEGIN_DECLS

#define RELAY_TYPE_ACCOUNT_STORE (relay_account_store_get_type ())
#define RELAY_ACCOUNT_STORE_ERROR (relay_account_store_error_quark ())

/**
 * RelayAccountStoreError:
 * @RELAY_ACCOUNT_STORE_ERROR_NEWER: the file is from a newer Mail Relay
 *   and was left as it is
 * @RELAY_ACCOUNT_STORE_ERROR_NO_ACCOUNT: there is no account to send through
 * @RELAY_ACCOUNT_STORE_ERROR_SENDER_REFUSED: the account chosen for a
 *   sender would send as an address its provider does not accept
 */
typedef enum
{
  RELAY_ACCOUNT_STORE_ERROR_NEWER,
  RELAY_ACCOUNT_STORE_ERROR_NO_ACCOUNT,
  RELAY_ACCOUNT_STORE_ERROR_SENDER_REFUSED,
} RelayAccountStoreError;

GQuark relay_account_store_error_quark (void);

G_DECLARE_FINAL_TYPE (RelayAccountStore, relay_account_store, RELAY, ACCOUNT_STORE, GObject)

RelayAccountStore *relay_account_store_new               (const char         *path);
const char        *relay_account_store_get_path          (RelayAccountStore  *self);
gboolean           relay_account_store_load              (RelayAccountStore  *self,
                                                          GError            **error);
gboolean           relay_account_store_save              (RelayAccountStore  *self,
                                                          GError            **error);
GListModel        *relay_account_store_get_accounts      (RelayAccountStore  *self);
RelayAccount      *relay_account_store_get_default       (RelayAccountStore  *self);
gboolean           relay_account_store_set_default       (RelayAccountStore  *self,
                                                          const char         *id);
RelayAccount      *relay_account_store_lookup            (RelayAccountStore  *self,
                                                          const char         *id);
RelayAccount      *relay_account_store_find              (RelayAccountStore  *self,
                                                          const char         *name_or_id);
char              *relay_account_store_check_name        (RelayAccountStore  *self,
                                                          const char         *name,
                                                          RelayAccount       *account,
                                                          GError            **error);
RelayAccount      *relay_account_store_route             (RelayAccountStore  *self,
                                                          const char         *sender,
                                                          GError            **error);
gboolean           relay_account_accepts_sender          (RelayAccount       *account,
                                                          const char         *sender);
char              *relay_account_store_suggest_name      (RelayAccountStore  *self,
                                                          RelayAccount       *account);
void               relay_account_store_put               (RelayAccountStore  *self,
                                                          RelayAccount       *account);
gboolean           relay_account_store_remove            (RelayAccountStore  *self,
                                                          const char         *id);
const char        *relay_account_store_get_corrupt_path  (RelayAccountStore  *self);
const char        *relay_account_store_get_corrupt_reason (RelayAccountStore *self);
const char * const *relay_account_store_get_corrupt_ids  (RelayAccountStore  *self);

G_END_DECLS
