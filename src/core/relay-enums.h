/* relay-enums.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  RELAY_SECURITY_TLS,
  RELAY_SECURITY_STARTTLS,
  RELAY_SECURITY_NONE,
} RelaySecurity;

typedef enum
{
  RELAY_AUTH_METHOD_AUTO,
  RELAY_AUTH_METHOD_PLAIN,
  RELAY_AUTH_METHOD_LOGIN,
  RELAY_AUTH_METHOD_XOAUTH2,
  RELAY_AUTH_METHOD_OAUTHBEARER,
} RelayAuthMethod;

typedef enum
{
  RELAY_SHARING_SHAREABLE,
  RELAY_SHARING_PER_MAILBOX,
  RELAY_SHARING_DEPENDS,
} RelaySharing;

/* An account's settings that trust one particular server */
typedef enum /*< flags >*/
{
  RELAY_ACCOUNT_TRUST_NONE           = 0,
  RELAY_ACCOUNT_TRUST_CA_FILE        = 1 << 0,
  RELAY_ACCOUNT_TRUST_PINS           = 1 << 1,
  RELAY_ACCOUNT_TRUST_ALLOW_INSECURE = 1 << 2,
} RelayAccountTrust;

G_END_DECLS
