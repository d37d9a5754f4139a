/* relay-account-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the two halves of RelayAccount share: the object's fields, for
 * the object (relay-account.c) and its JSON form (relay-account-json.c). */

#pragma once

#include "relay-account.h"

G_BEGIN_DECLS

struct _RelayAccount
{
  GObject          parent_instance;

  char            *id;
  /* the user's own, unique in the store; "" until the store gives one */
  char            *name;
  /* addresses and “*@domain” patterns it sends as (relay_validate_sender ()) */
  GStrv            senders;
  char            *provider;
  char            *host;
  char            *username;
  char            *from;
  char            *ca_file;
  GStrv            pins;
  /* the user's own OAuth client for the provider's sign-in; "" for the built-in one */
  char            *oauth_client_id;
  /* the server the pins were made for */
  char            *pins_host;
  guint            pins_port;
  guint            port;
  RelaySecurity    security;
  RelayAuthMethod  auth;
  guint            max_messages;
  guint            message_window;
  guint            max_recipients;
  guint            recipient_window;
  guint            allow_insecure : 1;
  guint            sign_in_again : 1;
};

G_END_DECLS
