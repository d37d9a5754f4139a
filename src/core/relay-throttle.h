/* relay-throttle.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

#include "relay-account.h"

G_BEGIN_DECLS

#define RELAY_TYPE_THROTTLE (relay_throttle_get_type ())

G_DECLARE_FINAL_TYPE (RelayThrottle, relay_throttle, RELAY, THROTTLE, GObject)

/* Sliding windows over the attempts made, in microseconds of wall-clock
 * time (g_get_real_time): an attempt at A counts in [A, A + window). */
RelayThrottle *relay_throttle_new               (guint          max_messages,
                                                 guint          message_window,
                                                 guint          max_recipients,
                                                 guint          recipient_window);
RelayThrottle *relay_throttle_new_for_account   (RelayAccount  *account);
void           relay_throttle_record            (RelayThrottle *self,
                                                 gint64         when,
                                                 guint          n_recipients);
gint64         relay_throttle_next_allowed      (RelayThrottle *self,
                                                 gint64         now,
                                                 guint          n_recipients);
void           relay_throttle_record_log        (RelayThrottle *self,
                                                 const char    *log_path);
guint          relay_throttle_count_messages    (RelayThrottle *self,
                                                 gint64         now);
guint          relay_throttle_count_recipients  (RelayThrottle *self,
                                                 gint64         now);
guint          relay_throttle_get_max_messages  (RelayThrottle *self);
guint          relay_throttle_get_max_recipients (RelayThrottle *self);

G_END_DECLS
