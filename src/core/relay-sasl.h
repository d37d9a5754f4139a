/* relay-sasl.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

#include "relay-enums.h"

G_BEGIN_DECLS

const char *relay_sasl_mechanism_name  (RelayAuthMethod  method);
char       *relay_sasl_plain           (const char      *username,
                                        const char      *password);
char       *relay_sasl_xoauth2         (const char      *username,
                                        const char      *token);
char       *relay_sasl_oauthbearer     (const char      *username,
                                        const char      *host,
                                        guint            port,
                                        const char      *token);
void        relay_sasl_wipe            (char            *text);

G_END_DECLS
