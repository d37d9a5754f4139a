/* relay-application.h
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

#define RELAY_TYPE_APPLICATION (relay_application_get_type ())

G_DECLARE_FINAL_TYPE (RelayApplication, relay_application, RELAY, APPLICATION, AdwApplication)

RelayApplication  *relay_application_new               (void);
RelayAccountStore  *relay_application_get_account_store (RelayApplication *self);
RelaySandboxServer *relay_application_get_sandbox       (RelayApplication *self);

G_END_DECLS
