/* relay-log-page.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account-store.h"
#include "relay-send-log.h"

G_BEGIN_DECLS

#define RELAY_TYPE_LOG_PAGE (relay_log_page_get_type ())

G_DECLARE_FINAL_TYPE (RelayLogPage, relay_log_page, RELAY, LOG_PAGE, AdwBin)

void        relay_log_page_reload    (RelayLogPage *self);
GListModel *relay_log_page_get_model (RelayLogPage *self);
void        relay_log_page_set_account (RelayLogPage *self,
                                        RelayAccount *account);
void        relay_log_page_set_store   (RelayLogPage      *self,
                                        RelayAccountStore *store);
void        relay_log_page_export_async  (RelayLogPage        *self,
                                          GFile               *file,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
void        relay_log_page_show_event    (RelayLogPage        *self,
                                          RelaySendLogEntry   *entry);
gboolean    relay_log_page_export_finish (RelayLogPage        *self,
                                          GAsyncResult        *result,
                                          GError             **error);

G_END_DECLS
