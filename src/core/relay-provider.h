/* relay-provider.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "relay-enums.h"

G_BEGIN_DECLS

#define RELAY_TYPE_PROVIDER (relay_provider_get_type ())

G_DECLARE_FINAL_TYPE (RelayProvider, relay_provider, RELAY, PROVIDER, GObject)

GListModel          *relay_provider_get_all                     (void);
RelayProvider       *relay_provider_lookup                      (const char    *id);
guint                relay_provider_get_position                (const char    *id);

const char          *relay_provider_get_id                      (RelayProvider *self);
const char          *relay_provider_get_name                    (RelayProvider *self);
const char          *relay_provider_get_host                    (RelayProvider *self);
guint                relay_provider_get_port                    (RelayProvider *self);
RelaySecurity        relay_provider_get_security                (RelayProvider *self);
RelayAuthMethod      relay_provider_get_auth                    (RelayProvider *self);
const char          *relay_provider_get_username                (RelayProvider *self);
const char          *relay_provider_get_username_hint           (RelayProvider *self);
guint                relay_provider_get_max_messages            (RelayProvider *self);
guint                relay_provider_get_message_window          (RelayProvider *self);
guint                relay_provider_get_max_recipients          (RelayProvider *self);
guint                relay_provider_get_recipient_window        (RelayProvider *self);
guint                relay_provider_get_max_connections         (RelayProvider *self);
guint                relay_provider_get_messages_per_connection (RelayProvider *self);
RelaySharing         relay_provider_get_sharing                 (RelayProvider *self);
gboolean             relay_provider_uses_sign_in                (RelayProvider *self);
const char          *relay_provider_get_summary                 (RelayProvider *self);
const char * const  *relay_provider_get_pros                    (RelayProvider *self);
const char * const  *relay_provider_get_cons                    (RelayProvider *self);
const char          *relay_provider_get_sharing_text            (RelayProvider *self);
const char          *relay_provider_get_oauth_service           (RelayProvider *self);
const char          *relay_provider_get_oauth_auth_url          (RelayProvider *self);
const char          *relay_provider_get_oauth_token_url         (RelayProvider *self);
const char          *relay_provider_get_oauth_scope             (RelayProvider *self);
const char          *relay_provider_get_oauth_userinfo_url      (RelayProvider *self);

char                *relay_format_limit                         (guint          max,
                                                                 guint          per_seconds,
                                                                 gboolean       recipients);

G_END_DECLS
