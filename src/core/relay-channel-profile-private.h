/* relay-channel-profile-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the files of RelayChannelProfile share: the object's fields, for
 * the object and its JSON form (relay-channel-profile.c), its GnuTLS part
 * (relay-channel-profile-crypto.c: the secret, the CA certificate) and
 * its autoconfig form (relay-channel-profile-autoconfig.c). */

#pragma once

#include <json-glib/json-glib.h>

#include "relay-channel-profile.h"

G_BEGIN_DECLS

/* the fewest and the most PBKDF2 iterations a profile is read with; the
 * fuzzing build takes fewer, so that the fuzzer reaches the decryption */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define RELAY_CHANNEL_PROFILE_MIN_ITERATIONS 1
#else
#define RELAY_CHANNEL_PROFILE_MIN_ITERATIONS RELAY_CHANNEL_PROFILE_ITERATIONS
#endif
#define RELAY_CHANNEL_PROFILE_MAX_ITERATIONS 10000000

#define RELAY_CHANNEL_PROFILE_SALT_SIZE 16
#define RELAY_CHANNEL_PROFILE_NONCE_SIZE 12
#define RELAY_CHANNEL_PROFILE_TAG_SIZE 16
#define RELAY_CHANNEL_PROFILE_MAX_SENDERS 100
#define RELAY_CHANNEL_PROFILE_MAX_PINS 16
#define RELAY_CHANNEL_PROFILE_MAX_CERTIFICATES 16
#define RELAY_CHANNEL_PROFILE_MAX_PEM (128 * 1024)

struct _RelayChannelProfile
{
  GObject          parent_instance;

  char            *name;
  char            *provider;
  char            *host;
  char            *username;
  char            *from;
  GStrv            senders;
  /* for host and port */
  GStrv            pins;
  /* "" when there is none */
  char            *ca_pem;
  guint            port;
  RelaySecurity    security;
  RelayAuthMethod  auth;
  guint            max_messages;
  guint            message_window;
  guint            max_recipients;
  guint            recipient_window;
  gboolean         allow_insecure;

  /* the encrypted secret: NULL when there is none */
  GBytes          *salt;
  GBytes          *nonce;
  /* with the GCM tag at its end */
  GBytes          *ciphertext;
  guint            iterations;
};

char     *relay_channel_profile_normalize_pem   (const char           *text,
                                                 gsize                 length,
                                                 GError              **error);
gboolean  relay_channel_profile_read_secret     (RelayChannelProfile  *self,
                                                 JsonNode             *node,
                                                 GError              **error);
void      relay_channel_profile_write_secret    (RelayChannelProfile  *self,
                                                 JsonBuilder          *builder);
GBytes   *relay_channel_profile_get_bound_data  (RelayChannelProfile  *self);
gboolean  relay_channel_profile_check_members   (JsonObject           *object,
                                                 const char           *prefix,
                                                 const char * const   *known,
                                                 GError              **error);
gboolean  relay_channel_profile_read_string     (JsonObject           *object,
                                                 const char           *member,
                                                 const char           *name,
                                                 gboolean              required,
                                                 const char          **value,
                                                 GError              **error);
gboolean  relay_channel_profile_read_uint       (JsonObject           *object,
                                                 const char           *member,
                                                 const char           *name,
                                                 gboolean              required,
                                                 guint                 min,
                                                 guint                 max,
                                                 guint                *value,
                                                 GError              **error);
void      relay_channel_profile_set_field_error (GError              **error,
                                                 const char           *member,
                                                 const char           *format,
                                                 ...) G_GNUC_PRINTF (3, 4);

G_END_DECLS
