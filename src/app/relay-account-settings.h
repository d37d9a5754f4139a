/* relay-account-settings.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account.h"

G_BEGIN_DECLS

#define RELAY_TYPE_ACCOUNT_SETTINGS (relay_account_settings_get_type ())

G_DECLARE_FINAL_TYPE (RelayAccountSettings, relay_account_settings, RELAY, ACCOUNT_SETTINGS, AdwPreferencesGroup)

void        relay_account_settings_load          (RelayAccountSettings *self,
                                                  RelayAccount         *account,
                                                  RelayProvider        *provider);
void        relay_account_settings_set_provider  (RelayAccountSettings *self,
                                                  RelayProvider        *provider);
void        relay_account_settings_reset_limits  (RelayAccountSettings *self);
void        relay_account_settings_set_trust     (RelayAccountSettings *self,
                                                  RelayAccount         *base);
gboolean    relay_account_settings_is_changed    (RelayAccountSettings *self,
                                                  RelayAccount         *saved);
GtkWidget  *relay_account_settings_check         (RelayAccountSettings *self,
                                                  gboolean              show_all);
void        relay_account_settings_apply         (RelayAccountSettings *self,
                                                  RelayAccount         *account);

G_END_DECLS
