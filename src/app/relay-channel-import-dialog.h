/* relay-channel-import-dialog.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account-store.h"

G_BEGIN_DECLS

#define RELAY_TYPE_CHANNEL_IMPORT_DIALOG (relay_channel_import_dialog_get_type ())

G_DECLARE_FINAL_TYPE (RelayChannelImportDialog, relay_channel_import_dialog, RELAY, CHANNEL_IMPORT_DIALOG, AdwWindow)

RelayChannelImportDialog *relay_channel_import_dialog_new        (GtkWindow                *parent,
                                                                  RelayAccountStore        *store);
void                      relay_channel_import_dialog_load_file  (RelayChannelImportDialog *self,
                                                                  GFile                    *file);
void                      relay_channel_import_dialog_choose_file (RelayChannelImportDialog *self);

G_END_DECLS
