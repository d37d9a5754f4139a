/* relay-window.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-application.h"

G_BEGIN_DECLS

#define RELAY_TYPE_WINDOW (relay_window_get_type ())

G_DECLARE_FINAL_TYPE (RelayWindow, relay_window, RELAY, WINDOW, AdwApplicationWindow)

RelayWindow  *relay_window_new                 (RelayApplication *application);
void          relay_window_show_error          (RelayWindow      *self,
                                                const char       *message);
RelayAccount *relay_window_get_current_account (RelayWindow      *self);
void          relay_window_import_channel      (RelayWindow      *self,
                                                GFile            *file);

G_END_DECLS
