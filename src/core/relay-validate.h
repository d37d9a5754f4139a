/* relay-validate.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-account.h"

G_BEGIN_DECLS

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
char        *relay_validate_sender            (const char        *text,
                                               GError           **error);
char        *relay_validate_account_name      (const char        *text,
                                               GError           **error);
gboolean     relay_address_needs_smtputf8     (const char        *address);
gboolean     relay_validate_username          (const char        *text,
                                               GError           **error);
gboolean     relay_validate_password          (const char        *text,
                                               GError           **error);
char        *relay_validate_pin               (const char        *text,
                                               GError           **error);
char        *relay_validate_ca_file           (const char        *text,
                                               GError           **error);
gboolean     relay_validate_count             (const char        *text,
                                               RelayAccountError  code,
                                               const char        *label,
                                               guint              min,
                                               guint             *value,
                                               GError           **error);
char        *relay_validate_oauth_client_id   (const char        *service,
                                               const char        *text,
                                               GError           **error);
gboolean     relay_validate_oauth_client_secret (const char      *service,
                                               const char        *text,
                                               GError           **error);
gboolean     relay_host_is_loopback           (const char        *host);

G_END_DECLS
