/* relay-message.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-message"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-message.h"
#include "relay-smtp-error.h"

/**
 * relay_message_check_header_value:
 *
 * A CR or LF in a header value or an address would let it smuggle in
 * headers or SMTP commands: such values are refused before anything is
 * sent.
 */
gboolean
relay_message_check_header_value (const char  *value,
                                  GError     **error)
{
  g_return_val_if_fail (value != NULL, FALSE);

  if (strpbrk (value, "\r\n") != NULL)
    {
      g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT,
                           _("A line break in an address or header was refused; nothing was sent"));
      return FALSE;
    }

  return TRUE;
}

static const char *
domain_of (const char *address)
{
  const char *at = strrchr (address, '@');

  return at ? at + 1 : "localhost";
}

/**
 * relay_message_format_date:
 *
 * Returns: (transfer full): @time as an RFC 5322 Date: value; the names
 *   are English whatever the locale
 */
char *
relay_message_format_date (GDateTime *time)
{
  static const char *days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autofree char *clock = g_date_time_format (time, "%H:%M:%S %z");

  return g_strdup_printf ("%s, %d %s %d %s",
                          days[g_date_time_get_day_of_week (time) - 1],
                          g_date_time_get_day_of_month (time),
                          months[g_date_time_get_month (time) - 1],
                          g_date_time_get_year (time),
                          clock);
}

/**
 * relay_message_new_test:
 *
 * Returns: (transfer full) (nullable): the test message that Test
 *   connection sends, with CRLF line ends
 */
GBytes *
relay_message_new_test (const char  *from,
                        const char  *to,
                        GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  GString *text;

  g_return_val_if_fail (from != NULL && to != NULL, NULL);

  if (!relay_message_check_header_value (from, error) ||
      !relay_message_check_header_value (to, error))
    return NULL;

  date = relay_message_format_date (now);

  text = g_string_new (NULL);
  g_string_append_printf (text, "From: <%s>\r\n", from);
  g_string_append_printf (text, "To: <%s>\r\n", to);
  g_string_append (text, "Subject: Mail Relay test message\r\n");
  g_string_append_printf (text, "Date: %s\r\n", date);
  g_string_append_printf (text, "Message-ID: <%s@%s>\r\n", uuid, domain_of (from));
  g_string_append (text, "MIME-Version: 1.0\r\n");
  g_string_append (text, "Content-Type: text/plain; charset=UTF-8\r\n");
  g_string_append (text, "Content-Transfer-Encoding: 7bit\r\n");
  g_string_append (text, "X-Mailer: Mail Relay " PACKAGE_VERSION "\r\n");
  g_string_append (text, "\r\n");
  g_string_append (text, "This message was sent by Mail Relay to test the SMTP server\r\n");
  g_string_append (text, "that your outgoing mail goes through. It arrived, so the\r\n");
  g_string_append (text, "server works.\r\n");

  return g_string_free_to_bytes (text);
}

/**
 * relay_message_encode_data:
 *
 * Returns: (transfer full): @message as sent after DATA: every line end
 *   a CRLF, a leading dot doubled (RFC 5321 4.5.2), ending in CRLF . CRLF
 */
GBytes *
relay_message_encode_data (GBytes *message)
{
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  GString *out = g_string_sized_new (length + length / 32 + 8);
  gboolean line_start = TRUE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (line_start && c == '.')
        g_string_append_c (out, '.');
      line_start = FALSE;

      if (c == '\r')
        {
          /* CR LF, or a bare CR: both end a line */
          if (i + 1 < length && data[i + 1] == '\n')
            i++;
          g_string_append (out, "\r\n");
          line_start = TRUE;
        }
      else if (c == '\n')
        {
          g_string_append (out, "\r\n");
          line_start = TRUE;
        }
      else
        g_string_append_c (out, c);
    }

  if (!line_start)
    g_string_append (out, "\r\n");
  g_string_append (out, ".\r\n");

  return g_string_free_to_bytes (out);
}
