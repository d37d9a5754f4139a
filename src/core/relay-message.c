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

#include "relay-message-private.h"
#include "relay-message.h"
#include "relay-smtp-error.h"

/**
 * relay_message_check_header_value:
 *
 * A CR or LF in a header value or an address would let it smuggle in
 * headers or SMTP commands: such values are refused before anything is
 * sent.
 *
 * Used error codes: %RELAY_SMTP_ERROR_BAD_INPUT.
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

/* RFC 5322 2.1.1: a line MUST NOT be longer than 998 octets and SHOULD
 * NOT be longer than 78; RFC 2047 2: an encoded-word is at most 75
 * characters; RFC 2045 6.7 and 6.8: encoded body lines at most 76. */
#define MAX_LINE         998
#define FOLD_WIDTH       78
#define MAX_ENCODED_WORD 75
#define ENCODED_LINE     76

/* “=?UTF-8?B?” and “?=” */
#define ENCODED_WORD_OVERHEAD 12
/* The longest UTF-8 character in Q: four =XX */
#define MAX_Q_CHARACTER 12

static gboolean
is_wsp (char c)
{
  return c == ' ' || c == '\t';
}

/* The characters that RFC 2047 5 (3) lets stand for themselves in a Q
 * encoded-word wherever it is; everything else is =XX, a space “_”. */
static gboolean
is_q_literal (guchar c)
{
  return g_ascii_isalnum (c) || strchr ("!*+-/", c) != NULL;
}

static gsize
q_length (const char *text,
          gsize       length)
{
  gsize n = 0;

  for (gsize i = 0; i < length; i++)
    n += (text[i] == ' ' || is_q_literal (text[i])) ? 1 : 3;

  return n;
}

static gsize
b_length (gsize length)
{
  return (length + 2) / 3 * 4;
}

static void
append_encoded_word (GString    *out,
                     gboolean    use_b,
                     const char *text,
                     gsize       length)
{
  g_string_append (out, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?");

  if (use_b)
    {
      g_autofree char *b = g_base64_encode ((const guchar *) text, length);

      g_string_append (out, b);
    }
  else
    {
      for (gsize i = 0; i < length; i++)
        {
          guchar c = text[i];

          if (c == ' ')
            g_string_append_c (out, '_');
          else if (is_q_literal (c))
            g_string_append_c (out, c);
          else
            g_string_append_printf (out, "=%02X", c);
        }
    }

  g_string_append (out, "?=");
}

/* Whether unstructured @value can go out as it is: printable US-ASCII,
 * nothing a decoder would take for an encoded-word, and no word too long
 * to fit on a line of its own after @indent characters. */
static gboolean
is_plain_text (const char *value,
               gsize       indent)
{
  gsize segment = 0;

  if (strstr (value, "=?") != NULL)
    return FALSE;

  /* a segment is whitespace and the word after it: what a line holds */
  for (const char *p = value; *p != '\0'; p++)
    {
      guchar c = *p;

      if (is_wsp (c) && p > value && !is_wsp (p[-1]))
        segment = 0;
      if ((!is_wsp (c) && (c < 0x20 || c > 0x7e)) || indent + ++segment > MAX_LINE)
        return FALSE;
    }

  return TRUE;
}

/**
 * relay_message_append_text_header:
 * @out: the header block being built
 * @name: a field name, such as “Subject”
 * @value: unstructured UTF-8 text, any length
 *
 * Appends “@name: @value” CRLF, folded so that no line is over 78
 * characters where whitespace allows and none ever over 998. Text that
 * is not printable ASCII (or looks like an encoded-word) becomes RFC 2047
 * encoded-words, B or Q whichever is shorter, each at most 75 characters
 * and each holding whole UTF-8 characters.
 */
void
relay_message_append_text_header (GString    *out,
                                  const char *name,
                                  const char *value)
{
  gsize col;

  g_return_if_fail (out != NULL && name != NULL && value != NULL);
  g_return_if_fail (g_utf8_validate (value, -1, NULL));

  g_string_append_printf (out, "%s:", name);
  col = strlen (name) + 1;

  if (is_plain_text (value, col + 1))
    {
      const char *p = value;

      if (*p != '\0')
        {
          g_string_append_c (out, ' ');
          col++;
        }

      /* Fold before the whitespace in front of a word, never leaving a
       * line of whitespace only */
      while (*p != '\0')
        {
          const char *segment = p;
          gsize length;

          while (is_wsp (*p))
            p++;
          while (*p != '\0' && !is_wsp (*p))
            p++;
          length = p - segment;

          if (col + length > FOLD_WIDTH && is_wsp (segment[0]) && !is_wsp (p[-1]))
            {
              g_string_append (out, "\r\n");
              col = 0;
            }
          g_string_append_len (out, segment, length);
          col += length;
        }
    }
  else
    {
      gsize length = strlen (value);
      gboolean use_b = b_length (length) < q_length (value, length);
      const char *p = value;

      while (*p != '\0')
        {
          gsize room = MIN (MAX_ENCODED_WORD, FOLD_WIDTH - MIN (col + 1, FOLD_WIDTH));
          gsize taken = 0;
          gsize encoded = 0;

          if (room < ENCODED_WORD_OVERHEAD + MAX_Q_CHARACTER)
            {
              g_string_append (out, "\r\n");
              col = 0;
              room = MAX_ENCODED_WORD;
            }

          /* whole characters, as many as fit */
          while (p[taken] != '\0')
            {
              gsize next = g_utf8_next_char (p + taken) - p;
              gsize size = use_b ? b_length (next)
                                 : encoded + q_length (p + taken, next - taken);

              if (ENCODED_WORD_OVERHEAD + size > room)
                break;
              encoded = size;
              taken = next;
            }
          g_assert (taken > 0);

          g_string_append_c (out, ' ');
          append_encoded_word (out, use_b, p, taken);
          col += 1 + ENCODED_WORD_OVERHEAD + encoded;
          p += taken;
        }
    }

  g_string_append (out, "\r\n");
}

/**
 * relay_message_append_address_header:
 * @out: the header block being built
 * @name: a field name, such as “To”
 * @addresses: addresses checked by relay_validate_address()
 *
 * Appends “@name: <a>, <b>” CRLF, folded after a comma where a line
 * would be over 78 characters.
 */
void
relay_message_append_address_header (GString            *out,
                                     const char         *name,
                                     const char * const *addresses)
{
  gsize col;

  g_return_if_fail (out != NULL && name != NULL && addresses != NULL);

  g_string_append_printf (out, "%s:", name);
  col = strlen (name) + 1;

  for (guint i = 0; addresses[i] != NULL; i++)
    {
      gsize length = strlen (addresses[i]) + 2;

      g_return_if_fail (strpbrk (addresses[i], "\r\n") == NULL);

      if (i > 0)
        {
          g_string_append_c (out, ',');
          col++;
          if (col + 1 + length > FOLD_WIDTH)
            {
              g_string_append (out, "\r\n");
              col = 0;
            }
        }
      g_string_append_printf (out, " <%s>", addresses[i]);
      col += 1 + length;
    }

  g_string_append (out, "\r\n");
}

/* @text with every line end (CRLF, LF or a lone CR, as
 * relay_message_encode_data() reads them) made CRLF; whether it needs no
 * transfer encoding goes in @is_7bit */
static GString *
canonical_text (const char *text,
                gsize       length,
                gboolean   *is_7bit)
{
  GString *out = g_string_sized_new (length + length / 32 + 2);
  gsize line = 0;

  *is_7bit = TRUE;

  for (gsize i = 0; i < length; i++)
    {
      guchar c = text[i];

      if (c == '\r' || c == '\n')
        {
          if (c == '\r' && i + 1 < length && text[i + 1] == '\n')
            i++;
          g_string_append (out, "\r\n");
          line = 0;
          continue;
        }

      if (c == '\0' || c > 0x7f || ++line > MAX_LINE)
        *is_7bit = FALSE;
      g_string_append_c (out, c);
    }

  return out;
}

/**
 * relay_message_encode_quoted_printable:
 * @text: text with CRLF line ends
 *
 * Returns: (transfer full): @text in quoted-printable (RFC 2045 6.7): lines
 *   of at most 76 characters, soft breaks, whitespace before a line end and
 *   a “.” or “From ” at the start of a line encoded, CRLF line ends. When
 *   @text does not end in CRLF, neither does what it decodes to (it ends
 *   in a soft break).
 */
GString *
relay_message_encode_quoted_printable (const char *text,
                                       gsize       length)
{
  GString *out = g_string_sized_new (length + length / 8 + 8);
  gsize col = 0;

  g_return_val_if_fail (text != NULL || length == 0, out);

  for (gsize i = 0; i < length; i++)
    {
      guchar c = text[i];
      gboolean at_end;
      gboolean literal;

      if (c == '\r' && i + 1 < length && text[i + 1] == '\n')
        {
          g_string_append (out, "\r\n");
          col = 0;
          i++;
          continue;
        }

      /* the last character before a hard line break */
      at_end = i + 1 == length || (text[i + 1] == '\r' && i + 2 < length && text[i + 2] == '\n');

      for (;;)
        {
          literal = (c >= 33 && c <= 126 && c != '=') || (is_wsp (c) && !at_end);
          if (col == 0 && (c == '.' || (length - i >= 5 && memcmp (text + i, "From ", 5) == 0)))
            literal = FALSE;

          /* room for the “=” of a soft break, unless the line ends here */
          if (col + (literal ? 1 : 3) <= ENCODED_LINE - ((at_end && i + 1 < length) ? 0 : 1))
            break;
          g_string_append (out, "=\r\n");
          col = 0;
        }

      if (literal)
        g_string_append_c (out, c);
      else
        g_string_append_printf (out, "=%02X", c);
      col += literal ? 1 : 3;
    }

  if (col > 0)
    g_string_append (out, "=\r\n");

  return out;
}

static GString *
encode_base64_lines (const char *text,
                     gsize       length)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) text, length);
  gsize encoded_length = strlen (encoded);
  GString *out = g_string_sized_new (encoded_length + encoded_length / ENCODED_LINE * 2 + 2);

  for (gsize i = 0; i < encoded_length; i += ENCODED_LINE)
    {
      g_string_append_len (out, encoded + i, MIN (ENCODED_LINE, encoded_length - i));
      g_string_append (out, "\r\n");
    }

  return out;
}

/**
 * relay_message_encode_body:
 * @body: the text of a message
 * @transfer_encoding: (out): its Content-Transfer-Encoding
 *
 * Text in US-ASCII with no line over 998 octets goes as it is (“7bit”);
 * any other is quoted-printable, or base64 when that is a quarter
 * shorter, so that the message is 7-bit clean whatever the server offers.
 *
 * Returns: (transfer full): the encoded body, CRLF line ends
 */
GBytes *
relay_message_encode_body (GBytes      *body,
                           const char **transfer_encoding)
{
  gsize length;
  const char *data;
  gboolean is_7bit;
  g_autoptr(GString) text = NULL;
  g_autoptr(GString) qp = NULL;

  g_return_val_if_fail (body != NULL && transfer_encoding != NULL, NULL);

  data = g_bytes_get_data (body, &length);
  text = canonical_text (data, length, &is_7bit);

  if (is_7bit)
    {
      if (text->len > 0 && !g_str_has_suffix (text->str, "\r\n"))
        g_string_append (text, "\r\n");
      *transfer_encoding = "7bit";
      return g_string_free_to_bytes (g_steal_pointer (&text));
    }

  /* quoted-printable stays readable; base64 only when it saves a quarter
   * (text mostly in a non-Latin script, up to three times the size in
   * quoted-printable) */
  qp = relay_message_encode_quoted_printable (text->str, text->len);
  if (b_length (text->len) * (ENCODED_LINE + 2) / ENCODED_LINE < qp->len * 3 / 4)
    {
      *transfer_encoding = "base64";
      return g_string_free_to_bytes (encode_base64_lines (text->str, text->len));
    }

  *transfer_encoding = "quoted-printable";
  return g_string_free_to_bytes (g_steal_pointer (&qp));
}

/**
 * relay_message_compose:
 * @from: the sender's address
 * @to: (array zero-terminated=1): the recipients' addresses
 * @subject: the subject, one line of UTF-8
 * @date: when the message was written
 * @message_id: its Message-ID, without the angle brackets
 * @body: UTF-8 text, any line ends
 *
 * Composes a text/plain message that is 7-bit clean (see
 * docs/message-format.md): non-ASCII header text in encoded-words,
 * headers folded, the body 7bit, quoted-printable or base64.
 *
 * Returns: (transfer full): the message, CRLF line ends
 */
GBytes *
relay_message_compose (const char         *from,
                       const char * const *to,
                       const char         *subject,
                       GDateTime          *date,
                       const char         *message_id,
                       GBytes             *body)
{
  const char *from_list[] = { from, NULL };
  const char *transfer_encoding = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autofree char *date_text = NULL;
  GString *out;

  g_return_val_if_fail (from != NULL && to != NULL && to[0] != NULL, NULL);
  g_return_val_if_fail (subject != NULL && date != NULL, NULL);
  g_return_val_if_fail (message_id != NULL && body != NULL, NULL);
  g_return_val_if_fail (strpbrk (message_id, "\r\n<> ") == NULL, NULL);

  date_text = relay_message_format_date (date);
  encoded = relay_message_encode_body (body, &transfer_encoding);

  out = g_string_sized_new (g_bytes_get_size (encoded) + 512);
  relay_message_append_address_header (out, "From", from_list);
  relay_message_append_address_header (out, "To", to);
  relay_message_append_text_header (out, "Subject", subject);
  g_string_append_printf (out, "Date: %s\r\n", date_text);
  g_string_append_printf (out, "Message-ID: <%s>\r\n", message_id);
  g_string_append (out, "MIME-Version: 1.0\r\n");
  g_string_append (out, "Content-Type: text/plain; charset=utf-8\r\n");
  g_string_append_printf (out, "Content-Transfer-Encoding: %s\r\n", transfer_encoding);
  g_string_append (out, "X-Mailer: Mail Relay " PACKAGE_VERSION "\r\n");
  g_string_append (out, "\r\n");
  g_string_append_len (out, g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded));

  return g_string_free_to_bytes (out);
}

/**
 * relay_message_new_test:
 * @message_id: (out) (optional): its Message-ID, without the angle brackets
 *
 * Returns: (transfer full) (nullable): the test message that Test
 *   connection sends, composed as relay_message_compose() does
 *
 * Used error codes: %RELAY_SMTP_ERROR_BAD_INPUT (a line break in @from or @to).
 */
GBytes *
relay_message_new_test (const char  *from,
                        const char  *to,
                        char       **message_id,
                        GError     **error)
{
  static const char text[] =
    "This message was sent by Mail Relay to test the SMTP server\n"
    "that your outgoing mail goes through. It arrived, so the\n"
    "server works.\n";
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GBytes) body = g_bytes_new_static (text, sizeof text - 1);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *id = NULL;
  const char *recipients[] = { to, NULL };
  GBytes *message;

  g_return_val_if_fail (from != NULL && to != NULL, NULL);

  if (!relay_message_check_header_value (from, error) ||
      !relay_message_check_header_value (to, error))
    return NULL;

  id = g_strdup_printf ("%s@%s", uuid, domain_of (from));
  message = relay_message_compose (from, recipients, RELAY_MESSAGE_TEST_SUBJECT, now, id, body);
  if (message_id != NULL)
    *message_id = g_steal_pointer (&id);

  return message;
}

/* Every line end a CRLF, the last line ended too; with @stuff_dots a
 * leading dot doubled and the end of data (CRLF . CRLF) added */
static GBytes *
encode_lines (GBytes   *message,
              gboolean  stuff_dots)
{
  gsize length;
  const char *data = g_bytes_get_data (message, &length);
  GString *out = g_string_sized_new (length + length / 32 + 8);
  gboolean line_start = TRUE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (stuff_dots && line_start && c == '.')
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
  if (stuff_dots)
    g_string_append (out, ".\r\n");

  return g_string_free_to_bytes (out);
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
  return encode_lines (message, TRUE);
}

/**
 * relay_message_encode_chunk:
 *
 * Returns: (transfer full): @message as sent in a BDAT chunk (RFC 3030):
 *   every line end a CRLF, the last line ended too, and nothing else
 *   changed (no dot is doubled, no end of data added)
 */
GBytes *
relay_message_encode_chunk (GBytes *message)
{
  return encode_lines (message, FALSE);
}
