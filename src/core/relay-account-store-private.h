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

gboolean relay_account_store_parse (const char  *contents,
                                    gsize        length,
                                    GPtrArray   *accounts,
                                    GError     **error);

G_END_DECLS
