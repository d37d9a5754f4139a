/* relay-sandbox-server.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define RELAY_TYPE_SANDBOX_SERVER (relay_sandbox_server_get_type ())

G_DECLARE_FINAL_TYPE (RelaySandboxServer, relay_sandbox_server, RELAY, SANDBOX_SERVER, GObject)

/* A local SMTP server to try the app against: 127.0.0.1 only, STARTTLS on
 * one port and implicit TLS on another, a self-signed certificate made at
 * start, one account "sandbox" with a random password. It runs on the main
 * context of the thread that called relay_sandbox_server_start() and never
 * blocks it; every message is handed over by "message-received" and kept
 * nowhere. */
RelaySandboxServer *relay_sandbox_server_new                     (void);
gboolean            relay_sandbox_server_start                   (RelaySandboxServer  *self,
                                                                  guint                starttls_port,
                                                                  guint                tls_port,
                                                                  GError             **error);
void                relay_sandbox_server_stop                    (RelaySandboxServer  *self);

gboolean            relay_sandbox_server_is_running              (RelaySandboxServer  *self);
guint               relay_sandbox_server_get_starttls_port       (RelaySandboxServer  *self);
guint               relay_sandbox_server_get_tls_port            (RelaySandboxServer  *self);
const char         *relay_sandbox_server_get_username            (RelaySandboxServer  *self);
const char         *relay_sandbox_server_get_password            (RelaySandboxServer  *self);
const char         *relay_sandbox_server_get_certificate_sha256  (RelaySandboxServer  *self);
GTlsCertificate    *relay_sandbox_server_get_certificate         (RelaySandboxServer  *self);
guint               relay_sandbox_server_get_n_received          (RelaySandboxServer  *self);

G_END_DECLS
