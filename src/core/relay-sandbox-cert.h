/* relay-sandbox-cert.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define RELAY_SANDBOX_CERT_SERIAL_BYTES 16

GTlsCertificate *relay_sandbox_cert_generate (const guint8  serial[RELAY_SANDBOX_CERT_SERIAL_BYTES],
                                              GError      **error);

G_END_DECLS
