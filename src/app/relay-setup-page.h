/* relay-setup-page.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account-store.h"
#include "relay-sandbox-server.h"

G_BEGIN_DECLS

#define RELAY_TYPE_SETUP_PAGE (relay_setup_page_get_type ())

G_DECLARE_FINAL_TYPE (RelaySetupPage, relay_setup_page, RELAY, SETUP_PAGE, AdwBin)

RelayAccountStore *relay_setup_page_get_store    (RelaySetupPage    *self);
void               relay_setup_page_set_store    (RelaySetupPage    *self,
                                                  RelayAccountStore *store);
void               relay_setup_page_show_problem (RelaySetupPage    *self,
                                                  const char        *message);
void               relay_setup_page_set_sandbox  (RelaySetupPage    *self,
                                                  RelaySandboxServer *sandbox);
void               relay_setup_page_set_account  (RelaySetupPage    *self,
                                                  const char        *id,
                                                  const char        *new_name);
gboolean           relay_setup_page_has_changes  (RelaySetupPage    *self);

G_END_DECLS
