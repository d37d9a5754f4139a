/* fuzz-outbox-item.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* An outbox envelope (ID.json) as the outbox reads it back, without the
 * file: whatever it takes must come back the same when written and read
 * again, and whatever it refuses must say why (docs/outbox.md). */

#include "config.h"

#include <string.h>

#include "relay-outbox-private.h"

#include "fuzz-common.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *again = NULL;

  fuzz_init ();

  if (!relay_outbox_item_check ((const char *)data, size, &normalized, &error))
    {
      g_assert (error != NULL && error->message != NULL && error->message[0] != '\0');
      return 0;
    }

  g_assert_no_error (error);
  g_assert (relay_outbox_item_check (normalized, strlen (normalized), &again, &error));
  g_assert_no_error (error);
  g_assert (g_str_equal (normalized, again));

  return 0;
}
