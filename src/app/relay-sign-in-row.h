/* relay-sign-in-row.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account.h"
#include "relay-provider.h"

G_BEGIN_DECLS

typedef enum
{
  RELAY_SIGN_IN_UNAVAILABLE,  /* no client id configured (nor given by the user) */
  RELAY_SIGN_IN_SIGNED_OUT,
  RELAY_SIGN_IN_CHECKING,
  RELAY_SIGN_IN_WAITING,      /* for the browser */
  RELAY_SIGN_IN_LINKED,
} RelaySignInState;

#define RELAY_TYPE_SIGN_IN_ROW (relay_sign_in_row_get_type ())

G_DECLARE_FINAL_TYPE (RelaySignInRow, relay_sign_in_row, RELAY, SIGN_IN_ROW, AdwActionRow)

RelaySignInState relay_sign_in_row_get_state             (RelaySignInRow   *self);
void             relay_sign_in_row_set_state             (RelaySignInRow   *self,
                                                          RelaySignInState  state,
                                                          const char       *note);
void             relay_sign_in_row_refresh               (RelaySignInRow   *self,
                                                          RelayProvider    *provider,
                                                          RelayAccount     *saved);
gboolean         relay_sign_in_row_start                 (RelaySignInRow   *self,
                                                          RelayProvider    *provider,
                                                          GError          **error);
const char      *relay_sign_in_row_get_own_client        (RelaySignInRow   *self,
                                                          const char      **client_secret);
void             relay_sign_in_row_cancel                (RelaySignInRow   *self);
const char      *relay_sign_in_row_get_authorization_uri (RelaySignInRow   *self);
void             relay_sign_in_row_stop                  (RelaySignInRow   *self);

G_END_DECLS
