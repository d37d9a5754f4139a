/* relay-message-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The parts of the message composer, for its tests.
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

void      relay_message_append_text_header      (GString            *out,
                                                 const char         *name,
                                                 const char         *value);
void      relay_message_append_address_header   (GString            *out,
                                                 const char         *name,
                                                 const char * const *addresses);
GString  *relay_message_encode_quoted_printable (const char         *text,
                                                 gsize               length);
GBytes   *relay_message_encode_body             (GBytes             *body,
                                                 const char        **transfer_encoding);

G_END_DECLS
