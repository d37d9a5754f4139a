/* relay-provider-group.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-provider.h"

G_BEGIN_DECLS

#define RELAY_TYPE_PROVIDER_GROUP (relay_provider_group_get_type ())

G_DECLARE_FINAL_TYPE (RelayProviderGroup, relay_provider_group, RELAY, PROVIDER_GROUP, AdwPreferencesGroup)

void relay_provider_group_set_provider (RelayProviderGroup *self,
                                        RelayProvider      *provider);

G_END_DECLS
