/* relay-account.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

#include "relay-enums.h"
#include "relay-provider.h"

G_BEGIN_DECLS

#define RELAY_ACCOUNT_ERROR (relay_account_error_quark ())

/* The errors of an account's fields (relay_account_validate() and the
 * relay_validate_*() checks): one code per field, so that a form can mark
 * the row and the CLI can name the option. */
typedef enum
{
  RELAY_ACCOUNT_ERROR_PROVIDER,
  RELAY_ACCOUNT_ERROR_HOST,
  RELAY_ACCOUNT_ERROR_PORT,
  RELAY_ACCOUNT_ERROR_SECURITY,
  RELAY_ACCOUNT_ERROR_AUTH,
  RELAY_ACCOUNT_ERROR_USERNAME,
  RELAY_ACCOUNT_ERROR_PASSWORD,
  RELAY_ACCOUNT_ERROR_FROM,
  RELAY_ACCOUNT_ERROR_CA_FILE,
  RELAY_ACCOUNT_ERROR_PIN,
  RELAY_ACCOUNT_ERROR_LIMITS,
  RELAY_ACCOUNT_ERROR_INSECURE,
  RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID,
  RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET,
  RELAY_ACCOUNT_ERROR_NAME,
  RELAY_ACCOUNT_ERROR_SENDERS,
} RelayAccountError;

#define RELAY_TYPE_ACCOUNT (relay_account_get_type ())

G_DECLARE_FINAL_TYPE (RelayAccount, relay_account, RELAY, ACCOUNT, GObject)

GQuark               relay_account_error_quark          (void);
const char          *relay_account_error_get_option     (RelayAccountError code);

RelayAccount        *relay_account_new                  (void);
RelayAccount        *relay_account_new_from_json        (JsonObject      *object,
                                                         GError         **error);
JsonNode            *relay_account_to_json              (RelayAccount    *self);
RelayAccount        *relay_account_copy                 (RelayAccount    *self);
gboolean             relay_account_validate             (RelayAccount    *self,
                                                         GError         **error);
gboolean             relay_account_uses_token           (RelayAccount    *self);
void                 relay_account_apply_provider       (RelayAccount    *self,
                                                         RelayProvider   *provider);
RelayAccountTrust    relay_account_forget_old_trust     (RelayAccount    *self,
                                                         RelayAccount    *before,
                                                         RelayAccountTrust keep);

const char          *relay_account_get_id               (RelayAccount    *self);
const char          *relay_account_get_name             (RelayAccount    *self);
void                 relay_account_set_name             (RelayAccount    *self,
                                                         const char      *name);
const char * const  *relay_account_get_senders          (RelayAccount    *self);
void                 relay_account_set_senders          (RelayAccount    *self,
                                                         const char * const *senders);
const char          *relay_account_get_provider         (RelayAccount    *self);
void                 relay_account_set_provider         (RelayAccount    *self,
                                                         const char      *provider);
const char          *relay_account_get_host             (RelayAccount    *self);
void                 relay_account_set_host             (RelayAccount    *self,
                                                         const char      *host);
guint                relay_account_get_port             (RelayAccount    *self);
void                 relay_account_set_port             (RelayAccount    *self,
                                                         guint            port);
RelaySecurity        relay_account_get_security         (RelayAccount    *self);
void                 relay_account_set_security         (RelayAccount    *self,
                                                         RelaySecurity    security);
RelayAuthMethod      relay_account_get_auth             (RelayAccount    *self);
void                 relay_account_set_auth             (RelayAccount    *self,
                                                         RelayAuthMethod  auth);
const char          *relay_account_get_username         (RelayAccount    *self);
void                 relay_account_set_username         (RelayAccount    *self,
                                                         const char      *username);
const char          *relay_account_get_from             (RelayAccount    *self);
void                 relay_account_set_from             (RelayAccount    *self,
                                                         const char      *from);
const char          *relay_account_get_ca_file          (RelayAccount    *self);
void                 relay_account_set_ca_file          (RelayAccount    *self,
                                                         const char      *ca_file);
const char * const  *relay_account_get_pins             (RelayAccount    *self);
void                 relay_account_set_pins             (RelayAccount    *self,
                                                         const char * const *pins);
guint                relay_account_get_max_messages     (RelayAccount    *self);
void                 relay_account_set_max_messages     (RelayAccount    *self,
                                                         guint            max_messages);
guint                relay_account_get_message_window   (RelayAccount    *self);
void                 relay_account_set_message_window   (RelayAccount    *self,
                                                         guint            seconds);
guint                relay_account_get_max_recipients   (RelayAccount    *self);
void                 relay_account_set_max_recipients   (RelayAccount    *self,
                                                         guint            max_recipients);
guint                relay_account_get_recipient_window (RelayAccount    *self);
void                 relay_account_set_recipient_window (RelayAccount    *self,
                                                         guint            seconds);
gboolean             relay_account_get_sign_in_again    (RelayAccount    *self);
void                 relay_account_set_sign_in_again    (RelayAccount    *self,
                                                         gboolean         sign_in_again);
const char          *relay_account_get_oauth_client_id  (RelayAccount    *self);
void                 relay_account_set_oauth_client_id  (RelayAccount    *self,
                                                         const char      *client_id);
gboolean             relay_account_get_allow_insecure   (RelayAccount    *self);
void                 relay_account_set_allow_insecure   (RelayAccount    *self,
                                                         gboolean         allow_insecure);

G_END_DECLS
