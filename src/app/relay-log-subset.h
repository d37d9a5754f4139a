/* relay-log-subset.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The rows of the log that match, by position: found from the stored
 * lines without parsing them */
#define RELAY_TYPE_LOG_SUBSET (relay_log_subset_get_type ())
G_DECLARE_FINAL_TYPE (RelayLogSubset, relay_log_subset, RELAY, LOG_SUBSET, GObject)

RelayLogSubset *relay_log_subset_new           (GListModel     *log);
void            relay_log_subset_set_positions (RelayLogSubset *self,
                                                GArray         *positions);
void            relay_log_subset_update_from   (RelayLogSubset *self,
                                                guint           first,
                                                GArray         *positions);
GArray         *relay_log_subset_get_positions (RelayLogSubset *self);

G_END_DECLS
