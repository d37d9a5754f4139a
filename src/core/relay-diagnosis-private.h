/* relay-diagnosis-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the error side of the diagnosis (relay-diagnosis.c) takes from
 * its reply side (relay-diagnosis-reply.c). */

#pragma once

#include "relay-diagnosis.h"

G_BEGIN_DECLS

gboolean relay_diagnosis_parse_reply (const char  *message,
                                      guint       *code,
                                      char       **enhanced,
                                      const char **text);

G_END_DECLS
