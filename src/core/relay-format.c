/* relay-format.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How times and counts read everywhere, in the app and in the CLI: one
 * date form with the year first, the same in every language, so that
 * 03/12 and 12/03 are never confused; counts grouped by thousands;
 * certificate fingerprints in pairs of hex digits.
 */

#define G_LOG_DOMAIN "relay-format"

#include "config.h"

#include <langinfo.h>
#include <string.h>

#include "relay-format.h"

static char *
format_local (GDateTime  *time,
              const char *format)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (time);

  return g_date_time_format (local, format);
}

/**
 * relay_format_time:
 * @time: a moment, in any time zone
 *
 * Returns: (transfer full): @time in local time as `2026-12-03 09:41:05`
 */
char *
relay_format_time (GDateTime *time)
{
  g_return_val_if_fail (time != NULL, NULL);

  return format_local (time, "%Y-%m-%d %H:%M:%S");
}

/**
 * relay_format_date:
 * @time: a moment, in any time zone
 *
 * Returns: (transfer full): the local day of @time as `2026-12-03`
 */
char *
relay_format_date (GDateTime *time)
{
  g_return_val_if_fail (time != NULL, NULL);

  return format_local (time, "%Y-%m-%d");
}

/**
 * relay_format_count:
 * @count: a number of messages, recipients, events…
 *
 * Groups the digits by thousands with the separator of the numeric
 * locale, or with a comma where the locale has none (the C locale, which
 * is English without grouping): “10,000” in English as in Chinese.
 *
 * Returns: (transfer full): @count as text
 */
char *
relay_format_count (guint64 count)
{
  const char *separator = nl_langinfo (THOUSEP);
  char digits[24];
  GString *text;
  int length;

  if (separator == NULL || separator[0] == '\0')
    separator = ",";

  length = g_snprintf (digits, sizeof digits, "%" G_GUINT64_FORMAT, count);
  text = g_string_sized_new (length + (length / 3) * strlen (separator));
  for (int i = 0; i < length; i++)
    {
      if (i > 0 && (length - i) % 3 == 0)
        g_string_append (text, separator);
      g_string_append_c (text, digits[i]);
    }

  return g_string_free (text, FALSE);
}

/**
 * relay_format_fingerprint:
 * @sha256: a fingerprint in hex digits, such as relay_validate_pin() gives
 * @pairs_per_line: how many pairs go on one line; 0 for one line
 *
 * Returns: (transfer full): @sha256 as upper-case pairs joined by ':',
 *   `4F:A1:0B:…`, the form certificate viewers show
 */
char *
relay_format_fingerprint (const char *sha256,
                          guint       pairs_per_line)
{
  g_autoptr(GString) text = g_string_new (NULL);
  gsize length;

  g_return_val_if_fail (sha256 != NULL, NULL);

  length = strlen (sha256);
  for (gsize i = 0; i + 1 < length; i += 2)
    {
      if (i > 0)
        g_string_append_c (text, pairs_per_line > 0 && (i / 2) % pairs_per_line == 0 ? '\n' : ':');
      g_string_append_c (text, g_ascii_toupper (sha256[i]));
      g_string_append_c (text, g_ascii_toupper (sha256[i + 1]));
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}
