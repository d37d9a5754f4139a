/* relay-oauth-client-dialog.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define RELAY_TYPE_OAUTH_CLIENT_DIALOG (relay_oauth_client_dialog_get_type ())

G_DECLARE_FINAL_TYPE (RelayOAuthClientDialog, relay_oauth_client_dialog, RELAY, OAUTH_CLIENT_DIALOG, AdwMessageDialog)

RelayOAuthClientDialog *relay_oauth_client_dialog_new               (GtkWindow              *parent,
                                                                     const char             *service,
                                                                     const char             *client_id);
const char             *relay_oauth_client_dialog_get_service       (RelayOAuthClientDialog *self);
char                   *relay_oauth_client_dialog_get_client_id     (RelayOAuthClientDialog *self);
const char             *relay_oauth_client_dialog_get_client_secret (RelayOAuthClientDialog *self);

G_END_DECLS
