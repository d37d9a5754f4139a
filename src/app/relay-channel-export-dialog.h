/* relay-channel-export-dialog.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account.h"

G_BEGIN_DECLS

#define RELAY_TYPE_CHANNEL_EXPORT_DIALOG (relay_channel_export_dialog_get_type ())

G_DECLARE_FINAL_TYPE (RelayChannelExportDialog, relay_channel_export_dialog, RELAY, CHANNEL_EXPORT_DIALOG, AdwWindow)

RelayChannelExportDialog *relay_channel_export_dialog_new       (GtkWindow                *parent,
                                                                 RelayAccount             *account);
gboolean                  relay_channel_export_dialog_export_to (RelayChannelExportDialog *self,
                                                                 GFile                    *file);

G_END_DECLS
