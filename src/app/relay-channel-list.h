/* relay-channel-list.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account-store.h"

G_BEGIN_DECLS

#define RELAY_TYPE_CHANNEL_LIST (relay_channel_list_get_type ())

G_DECLARE_FINAL_TYPE (RelayChannelList, relay_channel_list, RELAY, CHANNEL_LIST, AdwBin)

void        relay_channel_list_set_store       (RelayChannelList  *self,
                                                RelayAccountStore *store);
void        relay_channel_list_refresh         (RelayChannelList  *self);
void        relay_channel_list_select          (RelayChannelList  *self,
                                                const char        *id,
                                                const char        *new_name);
const char *relay_channel_list_get_selected_id (RelayChannelList  *self);
const char *relay_channel_list_get_new_name    (RelayChannelList  *self);

G_END_DECLS
