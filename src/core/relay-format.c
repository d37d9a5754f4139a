/* relay-format.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * How times and counts read everywhere, in the app and in the CLI: one
 * date form with the year first, the same in every language, so that
 * 03/12 and 12/03 are never confused; counts grouped by thousands.
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
