/* relay-channel-profile.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "relay-account.h"
#include "relay-account-store.h"

G_BEGIN_DECLS

#define RELAY_CHANNEL_PROFILE_FORMAT "io.github.mailrelay.ChannelProfile"
#define RELAY_CHANNEL_PROFILE_VERSION 1
/* PBKDF2-HMAC-SHA256 iterations a profile's secret is written with */
#define RELAY_CHANNEL_PROFILE_ITERATIONS 600000
/* the shortest passphrase an export takes, in characters */
#define RELAY_CHANNEL_PROFILE_MIN_PASSPHRASE 12
/* the largest profile read, in bytes */
#define RELAY_CHANNEL_PROFILE_MAX_SIZE (256 * 1024)

#define RELAY_CHANNEL_PROFILE_ERROR (relay_channel_profile_error_quark ())

/**
 * RelayChannelProfileError:
 * @RELAY_CHANNEL_PROFILE_ERROR_INVALID: not a channel profile, or a member
 *   of the wrong type or with a bad value (the message names the member)
 * @RELAY_CHANNEL_PROFILE_ERROR_NEWER: written by a newer Mail Relay
 *   (a version this one does not know)
 * @RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE: the passphrase does not open
 *   the secret (wrong, or the secret or the server it is bound to changed)
 * @RELAY_CHANNEL_PROFILE_ERROR_NOT_SHAREABLE: the provider's credentials
 *   belong to one person: no secret goes into a profile
 * @RELAY_CHANNEL_PROFILE_ERROR_WEAK_PASSPHRASE: shorter than
 *   %RELAY_CHANNEL_PROFILE_MIN_PASSPHRASE characters
 * @RELAY_CHANNEL_PROFILE_ERROR_CA_FILE: the account's CA file cannot be
 *   read, or holds no certificate
 * @RELAY_CHANNEL_PROFILE_ERROR_NO_DOMAIN: no sender address names a
 *   domain to publish an autoconfig file for
 */
typedef enum
{
  RELAY_CHANNEL_PROFILE_ERROR_INVALID,
  RELAY_CHANNEL_PROFILE_ERROR_NEWER,
  RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE,
  RELAY_CHANNEL_PROFILE_ERROR_NOT_SHAREABLE,
  RELAY_CHANNEL_PROFILE_ERROR_WEAK_PASSPHRASE,
  RELAY_CHANNEL_PROFILE_ERROR_CA_FILE,
  RELAY_CHANNEL_PROFILE_ERROR_NO_DOMAIN,
} RelayChannelProfileError;

#define RELAY_TYPE_CHANNEL_PROFILE (relay_channel_profile_get_type ())

G_DECLARE_FINAL_TYPE (RelayChannelProfile, relay_channel_profile, RELAY, CHANNEL_PROFILE, GObject)

GQuark               relay_channel_profile_error_quark      (void);

RelayChannelProfile *relay_channel_profile_new_from_account (RelayAccount         *account,
                                                             GError              **error);
RelayChannelProfile *relay_channel_profile_new_from_data    (const char           *data,
                                                             gsize                 length,
                                                             GError              **error);
char                *relay_channel_profile_to_data          (RelayChannelProfile  *self);
char                *relay_channel_profile_to_autoconfig    (RelayChannelProfile  *self,
                                                             GError              **error);
gboolean             relay_channel_profile_is_shareable     (RelayChannelProfile  *self);
gboolean             relay_channel_profile_set_secret       (RelayChannelProfile  *self,
                                                             const char           *secret,
                                                             const char           *passphrase,
                                                             GError              **error);
gboolean             relay_channel_profile_has_secret       (RelayChannelProfile  *self);
char                *relay_channel_profile_open_secret      (RelayChannelProfile  *self,
                                                             const char           *passphrase,
                                                             GError              **error);
RelayAccount        *relay_channel_profile_create_account   (RelayChannelProfile  *self);
char                *relay_channel_profile_write_ca_file    (RelayChannelProfile  *self,
                                                             const char           *account_id,
                                                             GError              **error);
gboolean             relay_channel_profile_save_account     (RelayChannelProfile  *self,
                                                             RelayAccountStore    *store,
                                                             RelayAccount         *account,
                                                             const char           *secret,
                                                             char                **ca_file,
                                                             GError              **error);
void                 relay_channel_profile_save_account_async (RelayChannelProfile *self,
                                                             RelayAccountStore    *store,
                                                             RelayAccount         *account,
                                                             const char           *secret,
                                                             GCancellable         *cancellable,
                                                             GAsyncReadyCallback   callback,
                                                             gpointer              user_data);
gboolean             relay_channel_profile_save_account_finish (RelayChannelProfile *self,
                                                             GAsyncResult         *result,
                                                             char                **ca_file,
                                                             GError              **error);

const char          *relay_channel_profile_get_name         (RelayChannelProfile  *self);
const char          *relay_channel_profile_get_provider     (RelayChannelProfile  *self);
const char          *relay_channel_profile_get_host         (RelayChannelProfile  *self);
guint                relay_channel_profile_get_port         (RelayChannelProfile  *self);
const char          *relay_channel_profile_get_username     (RelayChannelProfile  *self);
const char * const  *relay_channel_profile_get_senders      (RelayChannelProfile  *self);
const char * const  *relay_channel_profile_get_pins         (RelayChannelProfile  *self);
const char          *relay_channel_profile_get_ca_pem       (RelayChannelProfile  *self);

G_END_DECLS
