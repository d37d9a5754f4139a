/* relay-smtp-reply.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-smtp-reply"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-smtp-error.h"
#include "relay-smtp-reply.h"

struct _RelaySmtpReplyParser
{
  guint      code;
  GPtrArray *lines;
};

G_DEFINE_BOXED_TYPE (RelaySmtpReply, relay_smtp_reply, relay_smtp_reply_copy, relay_smtp_reply_free)

RelaySmtpReply *
relay_smtp_reply_copy (const RelaySmtpReply *reply)
{
  RelaySmtpReply *copy;

  g_return_val_if_fail (reply != NULL, NULL);

  copy = g_new0 (RelaySmtpReply, 1);
  copy->code = reply->code;
  copy->enhanced = g_strdup (reply->enhanced);
  copy->lines = g_strdupv (reply->lines);

  return copy;
}

void
relay_smtp_reply_free (RelaySmtpReply *reply)
{
  if (reply == NULL)
    return;

  g_free (reply->enhanced);
  g_strfreev (reply->lines);
  g_free (reply);
}

/**
 * relay_smtp_reply_to_string:
 *
 * Returns: (transfer full): the reply as the server sent it, one
 *   "NNN text" per line, joined by newlines
 */
char *
relay_smtp_reply_to_string (const RelaySmtpReply *reply)
{
  g_autoptr(GString) text = g_string_new (NULL);

  g_return_val_if_fail (reply != NULL, NULL);

  for (guint i = 0; reply->lines[i]; i++)
    g_string_append_printf (text, "%s%u %s", i ? "\n" : "", reply->code, reply->lines[i]);

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/**
 * relay_smtp_reply_get_text:
 *
 * Returns: the text of the last line, which carries the outcome
 */
const char *
relay_smtp_reply_get_text (const RelaySmtpReply *reply)
{
  guint n;

  g_return_val_if_fail (reply != NULL, NULL);

  n = g_strv_length (reply->lines);
  return n ? reply->lines[n - 1] : "";
}

gboolean
relay_smtp_reply_is_positive (const RelaySmtpReply *reply)
{
  g_return_val_if_fail (reply != NULL, FALSE);

  return reply->code >= 200 && reply->code < 400;
}

RelaySmtpReplyParser *
relay_smtp_reply_parser_new (void)
{
  RelaySmtpReplyParser *parser = g_new0 (RelaySmtpReplyParser, 1);

  parser->lines = g_ptr_array_new_with_free_func (g_free);

  return parser;
}

void
relay_smtp_reply_parser_free (RelaySmtpReplyParser *parser)
{
  if (parser == NULL)
    return;

  g_ptr_array_unref (parser->lines);
  g_free (parser);
}

/* RFC 3463: class.subject.detail, class matching the reply's first digit */
static char *
parse_enhanced (guint       code,
                const char *text)
{
  const char *p = text;
  guint parts = 0;

  if (text[0] != '0' + code / 100 || text[1] != '.')
    return g_strdup ("");

  while (parts < 3)
    {
      const char *start = p;

      while (g_ascii_isdigit (*p) && p - start < 3)
        p++;
      if (p == start)
        return g_strdup ("");

      parts++;
      if (parts < 3)
        {
          if (*p != '.')
            return g_strdup ("");
          p++;
        }
    }

  if (*p != '\0' && *p != ' ')
    return g_strdup ("");

  return g_strndup (text, p - text);
}

static void
fail (RelaySmtpReplyParser  *parser,
      GError               **error,
      int                    code,
      const char            *message)
{
  g_ptr_array_set_size (parser->lines, 0);
  parser->code = 0;
  g_set_error_literal (error, RELAY_SMTP_ERROR, code, message);
}

/**
 * relay_smtp_reply_parser_feed:
 * @line: one reply line, without its CRLF; it need not be NUL-terminated
 *
 * Returns: (transfer full) (nullable): the reply once its last line has
 *   come, %NULL while more lines are due or on error
 *
 * Used error codes: %RELAY_SMTP_ERROR_PROTOCOL (not an SMTP reply line, or the code changed within
 *   a reply), %RELAY_SMTP_ERROR_LINE_TOO_LONG (a line or a reply over its bound).
 */
RelaySmtpReply *
relay_smtp_reply_parser_feed (RelaySmtpReplyParser  *parser,
                              const char            *line,
                              gsize                  length,
                              GError               **error)
{
  RelaySmtpReply *reply;
  gboolean last;
  guint code;

  g_return_val_if_fail (parser != NULL, NULL);
  g_return_val_if_fail (line != NULL || length == 0, NULL);

  if (length > RELAY_SMTP_MAX_LINE)
    {
      fail (parser, error, RELAY_SMTP_ERROR_LINE_TOO_LONG, _("The server sent a reply line that is too long"));
      return NULL;
    }

  if (length < 3 || !g_ascii_isdigit (line[0]) || !g_ascii_isdigit (line[1]) ||
      !g_ascii_isdigit (line[2]) || line[0] < '2' || line[0] > '5' ||
      (length > 3 && line[3] != ' ' && line[3] != '-') ||
      memchr (line, '\0', length) != NULL)
    {
      fail (parser, error, RELAY_SMTP_ERROR_PROTOCOL, _("The server sent something that is not an SMTP reply"));
      return NULL;
    }

  code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (parser->lines->len > 0 && code != parser->code)
    {
      fail (parser, error, RELAY_SMTP_ERROR_PROTOCOL, _("The server changed the reply code within a multi-line reply"));
      return NULL;
    }

  if (parser->lines->len >= RELAY_SMTP_MAX_LINES)
    {
      fail (parser, error, RELAY_SMTP_ERROR_LINE_TOO_LONG, _("The server sent a reply with too many lines"));
      return NULL;
    }

  parser->code = code;
  last = length == 3 || line[3] == ' ';
  g_ptr_array_add (parser->lines, length > 4 ? g_strndup (line + 4, length - 4) : g_strdup (""));

  if (!last)
    return NULL;

  g_ptr_array_add (parser->lines, NULL);

  reply = g_new0 (RelaySmtpReply, 1);
  reply->code = code;
  reply->lines = (GStrv)g_ptr_array_steal (parser->lines, NULL);
  reply->enhanced = parse_enhanced (code, reply->lines[0]);

  parser->code = 0;

  return reply;
}
