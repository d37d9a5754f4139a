/* relay-smtp-error.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The SMTP engine's error domain (relay-smtp-error.h) */

#define G_LOG_DOMAIN "relay-smtp-session"

#include "config.h"

#include "relay-smtp-error.h"

G_DEFINE_QUARK (relay-smtp-error-quark, relay_smtp_error)
