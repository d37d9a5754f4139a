/* relay-probe-view.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account.h"

G_BEGIN_DECLS

#define RELAY_TYPE_PROBE_VIEW (relay_probe_view_get_type ())

G_DECLARE_FINAL_TYPE (RelayProbeView, relay_probe_view, RELAY, PROBE_VIEW, AdwWindow)

RelayProbeView *relay_probe_view_new         (GtkWindow      *parent,
                                              RelayAccount   *account,
                                              const char     *secret,
                                              const char     *send_to);
void            relay_probe_view_run         (RelayProbeView *self);
void            relay_probe_view_set_sign_in_note (RelayProbeView *self,
                                                   const char     *note);
gboolean        relay_probe_view_get_running (RelayProbeView *self);

G_END_DECLS
