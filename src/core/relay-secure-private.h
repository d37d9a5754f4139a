/* relay-secure-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void      relay_secure_random           (void       *buffer,
                                         gsize       length);
gboolean  relay_secure_equal            (const void *given,
                                         gsize       given_length,
                                         const void *expected,
                                         gsize       expected_length);
void      relay_secure_wipe             (void       *data,
                                         gsize       length);
void      relay_secure_wipe_string      (char       *text);
gboolean  relay_secure_is_loopback_host (const char *host);

G_END_DECLS
