/* relay-log-event-window.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-log-page.h"
#include "relay-send-log.h"

G_BEGIN_DECLS

#define RELAY_TYPE_LOG_EVENT_WINDOW (relay_log_event_window_get_type ())

G_DECLARE_FINAL_TYPE (RelayLogEventWindow, relay_log_event_window, RELAY, LOG_EVENT_WINDOW, AdwWindow)

RelayLogEventWindow *relay_log_event_window_new (RelayLogPage      *page,
                                                 RelaySendLogEntry *entry,
                                                 gboolean           waiting);

G_END_DECLS
