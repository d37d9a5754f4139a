/* relay-validate.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RELAY_ACCOUNT_ERROR (relay_account_error_quark ())

/* One code per field, so that a form can mark the row and the CLI can
 * name the option. */
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
} RelayAccountError;

GQuark       relay_account_error_quark        (void);
const char  *relay_account_error_get_option   (RelayAccountError  code);

char        *relay_validate_host              (const char        *text,
                                               GError           **error);
gboolean     relay_validate_port              (const char        *text,
                                               guint             *port,
                                               GError           **error);
char        *relay_validate_address           (const char        *text,
                                               GError           **error);
char        *relay_validate_address_field     (const char        *text,
                                               const char        *field,
                                               GError           **error);
gboolean     relay_address_needs_smtputf8     (const char        *address);
gboolean     relay_validate_username          (const char        *text,
                                               GError           **error);
gboolean     relay_validate_password          (const char        *text,
                                               GError           **error);
char        *relay_validate_pin               (const char        *text,
                                               GError           **error);
gboolean     relay_validate_count             (const char        *text,
                                               RelayAccountError  code,
                                               const char        *label,
                                               guint              min,
                                               guint             *value,
                                               GError           **error);
gboolean     relay_host_is_loopback           (const char        *host);

G_END_DECLS
