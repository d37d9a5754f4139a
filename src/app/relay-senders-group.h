/* relay-senders-group.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account-store.h"

G_BEGIN_DECLS

#define RELAY_TYPE_SENDERS_GROUP (relay_senders_group_get_type ())

G_DECLARE_FINAL_TYPE (RelaySendersGroup, relay_senders_group, RELAY, SENDERS_GROUP, AdwPreferencesGroup)

void relay_senders_group_set_account (RelaySendersGroup *self,
                                      RelayAccountStore *store,
                                      const char        *id);

G_END_DECLS
