/* relay-account-store-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-account-store.h"

G_BEGIN_DECLS

/* the file nests four deep (the root, “accounts”, an account, “limits”);
 * json-glib's recursive parser never sees a deeper one */
#define RELAY_ACCOUNT_STORE_MAX_DEPTH 16

/* a name made from an account's sender or provider is cut to this many
 * characters, leaving room for the number that makes it unique */
#define RELAY_ACCOUNT_STORE_NAME_BASE 56

gboolean relay_account_store_parse (const char  *contents,
                                    gsize        length,
                                    GPtrArray   *accounts,
                                    char       **default_id,
                                    GError     **error);

G_END_DECLS
