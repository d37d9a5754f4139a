/* relay-message-submit.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading a message someone else composed (the sendmail entry's): its
 * header fields, the address lists of To, Cc, Bcc and From (RFC 5322
 * 3.4: display names, quoted strings, groups, comments), and the fields
 * removed (Bcc) or added (From, Date, Message-ID) before it is queued.
 */

#define G_LOG_DOMAIN "relay-message"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-message.h"
#include "relay-smtp-error.h"

/* RFC 5322 2.1.1: a line is at most 998 characters, without its CRLF */
#define MAX_LINE 998

/* One header field: its name, and its text as it came (every line, with
 * the CRLFs) */
typedef struct
{
  char    *name;
  GString *raw;
} Field;

static void
field_free (Field *field)
{
  g_free (field->name);
  g_string_free (field->raw, TRUE);
  g_free (field);
}

struct _RelaySubmission
{
  GPtrArray *fields;   /* (element-type Field) */
  GBytes    *body;     /* after the empty line, CRLF line ends */
  char      *from;     /* the From field's first address, or NULL */
  GStrv      recipients;
  char      *message_id;
  char      *subject;
};

void
relay_submission_free (RelaySubmission *self)
{
  if (self == NULL)
    return;

  g_ptr_array_unref (self->fields);
  g_bytes_unref (self->body);
  g_free (self->from);
  g_strfreev (self->recipients);
  g_free (self->message_id);
  g_free (self->subject);
  g_free (self);
}

static gboolean
is_wsp (char c)
{
  return c == ' ' || c == '\t';
}

/* RFC 5322 3.2.3 atext, and UTF-8 (RFC 6532) */
static gboolean
is_atext (guchar c)
{
  return g_ascii_isalnum (c) || c >= 0x80 || (c != '\0' && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static gboolean
parse_failed (const char  *field,
              const char  *at,
              GError     **error)
{
  g_autofree char *shown = g_utf8_make_valid (at, MIN (strlen (at), 40));

  if (*at == '\0')
    /* Translators: a header field's name (“To”) */
    g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT,
                 _("%s: the address list ends too early"), field);
  else
    /* Translators: a header field's name (“To”), then the text where its
     * address list could not be read further */
    g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT,
                 _("%s: cannot read the address list at “%s”"), field, shown);
  return FALSE;
}

/* Folding white space and comments, nested, with quoted pairs */
static gboolean
skip_cfws (const char **p)
{
  const char *s = *p;

  for (;;)
    {
      while (is_wsp (*s) || *s == '\r' || *s == '\n')
        s++;
      if (*s != '(')
        break;

      for (int depth = 0;; s++)
        {
          if (*s == '\0')
            {
              *p = s;
              return FALSE;
            }
          if (*s == '\\' && s[1] != '\0')
            s++;
          else if (*s == '(')
            depth++;
          else if (*s == ')' && --depth == 0)
            {
              s++;
              break;
            }
        }
    }

  *p = s;
  return TRUE;
}

/* A quoted string, into @out with its quotes (when @out is not NULL) */
static gboolean
read_quoted (const char **p,
             GString     *out)
{
  const char *s = *p;

  if (*s != '"')
    return FALSE;
  for (s++; *s != '"'; s++)
    {
      if (*s == '\0')
        return FALSE;
      if (*s == '\\' && s[1] != '\0')
        s++;
    }
  s++;

  if (out != NULL)
    g_string_append_len (out, *p, s - *p);
  *p = s;
  return TRUE;
}

static gboolean
read_atom (const char **p,
           GString     *out)
{
  const char *s = *p;

  while (is_atext (*s))
    s++;
  if (s == *p)
    return FALSE;

  if (out != NULL)
    g_string_append_len (out, *p, s - *p);
  *p = s;
  return TRUE;
}

static gboolean
read_word (const char **p,
           GString     *out)
{
  return read_atom (p, out) || read_quoted (p, out);
}

/* A display name: words (and, obsolete, dots) with CFWS between them */
static guint
skip_phrase (const char **p)
{
  guint n = 0;

  for (;;)
    {
      const char *s = *p;

      if (!skip_cfws (&s))
        return n;
      if (read_word (&s, NULL) || (n > 0 && *s == '.' && s++))
        {
          *p = s;
          n++;
        }
      else
        return n;
    }
}

/* local-part "@" domain, with CFWS around the dots (obsolete forms) */
static gboolean
read_addr_spec (const char **p,
                GString     *out)
{
  const char *s = *p;

  if (!skip_cfws (&s) || !read_word (&s, out))
    return FALSE;
  for (;;)
    {
      if (!skip_cfws (&s))
        return FALSE;
      if (*s != '.')
        break;
      g_string_append_c (out, *s++);
      if (!skip_cfws (&s) || !read_word (&s, out))
        return FALSE;
    }

  if (*s != '@')
    return FALSE;
  g_string_append_c (out, *s++);
  if (!skip_cfws (&s))
    return FALSE;

  if (*s == '[')
    {
      const char *start = s;

      for (s++; *s != ']'; s++)
        if (*s == '\0' || *s == '[' || *s == '\\')
          return FALSE;
      s++;
      g_string_append_len (out, start, s - start);
    }
  else
    {
      if (!read_atom (&s, out))
        return FALSE;
      for (;;)
        {
          const char *dot = s;

          if (!skip_cfws (&dot) || *dot != '.')
            break;
          dot++;
          if (!skip_cfws (&dot))
            return FALSE;
          g_string_append_c (out, '.');
          s = dot;
          if (!read_atom (&s, out))
            return FALSE;
        }
    }

  *p = s;
  return TRUE;
}

/* name-addr or addr-spec */
static gboolean
read_mailbox (const char **p,
              GString     *out)
{
  const char *s = *p;

  skip_phrase (&s);
  if (!skip_cfws (&s))
    return FALSE;

  if (*s != '<')
    return read_addr_spec (p, out);

  s++;
  if (!skip_cfws (&s))
    return FALSE;
  /* an obsolete source route, "@a,@b:", is dropped */
  if (*s == '@')
    {
      while (*s != ':' && *s != '>' && *s != '\0')
        s++;
      if (*s != ':')
        return FALSE;
      s++;
    }
  if (!read_addr_spec (&s, out) || !skip_cfws (&s) || *s != '>')
    return FALSE;

  *p = s + 1;
  return TRUE;
}

static gboolean
add_mailbox (const char **p,
             GPtrArray   *addresses)
{
  GString *address = g_string_new (NULL);

  if (!read_mailbox (p, address))
    {
      g_string_free (address, TRUE);
      return FALSE;
    }

  g_ptr_array_add (addresses, g_string_free (address, FALSE));
  return TRUE;
}

/**
 * relay_message_parse_address_list:
 * @field: the field's name, for the error (“To”)
 * @value: its value, unfolded or not
 *
 * Reads an address list (RFC 5322 3.4, with the obsolete forms of 4.4:
 * empty members, source routes, CFWS around dots): display names, quoted
 * strings, comments and groups (whose members it lists) are read, and
 * only each mailbox's address is kept, as written. An empty list (or
 * an empty group) gives no address.
 *
 * Returns: (transfer full) (nullable): the addresses, or %NULL with
 *   @error naming @field and where it could not be read
 *
 * Used error codes: %RELAY_SMTP_ERROR_BAD_INPUT.
 */
GStrv
relay_message_parse_address_list (const char  *field,
                                  const char  *value,
                                  GError     **error)
{
  g_autoptr(GPtrArray) addresses = g_ptr_array_new_with_free_func (g_free);
  const char *p = value;

  g_return_val_if_fail (field != NULL && value != NULL, NULL);

  for (;;)
    {
      const char *s;

      if (!skip_cfws (&p))
        return parse_failed (field, p, error), NULL;
      if (*p == '\0')
        break;
      if (*p == ',')
        {
          p++;
          continue;
        }

      /* a group: display-name ":" [mailbox-list] ";" */
      s = p;
      if (skip_phrase (&s) > 0 && skip_cfws (&s) && *s == ':')
        {
          p = s + 1;
          for (;;)
            {
              if (!skip_cfws (&p))
                return parse_failed (field, p, error), NULL;
              if (*p == ';')
                {
                  p++;
                  break;
                }
              if (*p == ',')
                {
                  p++;
                  continue;
                }
              if (!add_mailbox (&p, addresses))
                return parse_failed (field, p, error), NULL;
              if (!skip_cfws (&p) || (*p != ',' && *p != ';'))
                return parse_failed (field, p, error), NULL;
            }
        }
      else if (!add_mailbox (&p, addresses))
        return parse_failed (field, p, error), NULL;

      if (!skip_cfws (&p) || (*p != ',' && *p != '\0'))
        return parse_failed (field, p, error), NULL;
    }

  g_ptr_array_add (addresses, NULL);
  return (GStrv)g_ptr_array_free (g_steal_pointer (&addresses), FALSE);
}

/* A field's value: after the colon, its lines unfolded */
static char *
field_value (Field *field)
{
  const char *colon = strchr (field->raw->str, ':');
  GString *value = g_string_new (NULL);

  for (const char *s = colon + 1; *s; s++)
    if (*s != '\r' && *s != '\n')
      g_string_append_c (value, *s);

  return g_strstrip (g_string_free (value, FALSE));
}

static Field *
find_field (RelaySubmission *self,
            const char      *name)
{
  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (g_ascii_strcasecmp (field->name, name) == 0)
        return field;
    }

  return NULL;
}

/* ftext (RFC 5322 3.6.8): printable ASCII but the colon */
static gsize
field_name_length (const char *line,
                   gsize       length)
{
  gsize n = 0;

  while (n < length && line[n] >= 33 && line[n] <= 126 && line[n] != ':')
    n++;

  return n;
}

static gboolean
fail (GError     **error,
      const char  *message)
{
  g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT, message);
  return FALSE;
}

/* Splits @text (CRLF line ends) into header fields and body */
static gboolean
split_message (RelaySubmission  *self,
               const char       *text,
               gsize             length,
               GError          **error)
{
  gsize i = 0;
  Field *field = NULL;

  /* an mbox "From " line some programs put first is not a field */
  if (length >= 5 && memcmp (text, "From ", 5) == 0)
    {
      const char *end = memchr (text, '\n', length);

      i = end ? (gsize)(end - text) + 1 : length;
    }

  while (i < length)
    {
      const char *line = text + i;
      const char *end = memchr (line, '\n', length - i);
      gsize line_length = end ? (gsize)(end - line) + 1 : length - i;
      gsize content = line_length - 2;  /* every line ends in CRLF */
      gsize name;

      i += line_length;
      if (content == 0)
        break;

      if (content > MAX_LINE)
        /* Translators: RFC 5322's limit, in characters */
        return fail (error, _("a header line is longer than 998 characters"));

      if (is_wsp (line[0]))
        {
          if (field == NULL)
            return fail (error, _("the message starts with a folded line instead of a header field"));
          g_string_append_len (field->raw, line, line_length);
          continue;
        }

      name = field_name_length (line, content);
      /* obsolete: white space between the name and the colon */
      {
        gsize colon = name;

        while (colon < content && is_wsp (line[colon]))
          colon++;
        if (name == 0 || colon >= content || line[colon] != ':')
          {
            g_autofree char *shown = g_utf8_make_valid (line, MIN (content, 40));

            return g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT,
                                /* Translators: the start of the line */
                                _("the header has a line that is not a header field: “%s”"), shown), FALSE;
          }
      }

      field = g_new0 (Field, 1);
      field->name = g_strndup (line, name);
      field->raw = g_string_new_len (line, line_length);
      g_ptr_array_add (self->fields, field);
    }

  if (self->fields->len == 0)
    return fail (error, _("the message has no header fields"));

  self->body = g_bytes_new (text + i, length - i);
  return TRUE;
}

/* The Message-ID's id: "<" id-left "@" id-right ">", with CFWS around it */
static char *
read_message_id (const char  *value,
                 GError     **error)
{
  const char *p = value;
  const char *start, *end;

  if (skip_cfws (&p) && *p == '<')
    {
      start = ++p;
      end = strchr (start, '>');
      if (end != NULL && end > start)
        {
          g_autofree char *id = g_strndup (start, end - start);

          p = end + 1;
          if (strpbrk (id, "< \t\r\n\"") == NULL && strchr (id, '@') != NULL &&
              g_utf8_validate (id, -1, NULL) && skip_cfws (&p) && *p == '\0')
            return g_steal_pointer (&id);
        }
    }

  fail (error, _("Message-ID: not a message id (“<id@domain>”)"));
  return NULL;
}

/**
 * relay_submission_parse:
 * @message: a whole message (RFC 5322), with CRLF or bare LF line ends,
 *   at most %RELAY_OUTBOX_MAX_MESSAGE_SIZE bytes
 *
 * Reads the header fields of a message composed elsewhere: From's first
 * address, the addresses of To, Cc and Bcc, the Message-ID and the
 * Subject. A leading mbox “From ” line is dropped.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 *   saying what cannot be read
 *
 * Used error codes: %RELAY_SMTP_ERROR_BAD_INPUT.
 */
RelaySubmission *
relay_submission_parse (GBytes  *message,
                        GError **error)
{
  g_autoptr(RelaySubmission) self = g_new0 (RelaySubmission, 1);
  g_autoptr(GBytes) lines = NULL;
  g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func (g_free);
  static const char * const recipient_fields[] = { "To", "Cc", "Bcc", NULL };
  const char *text;
  gsize length;
  Field *field;

  self->fields = g_ptr_array_new_with_free_func ((GDestroyNotify)field_free);

  text = g_bytes_get_data (message, &length);
  if (length == 0)
    return fail (error, _("the message is empty")), NULL;
  if (memchr (text, '\0', length) != NULL)
    return fail (error, _("the message contains a NUL byte")), NULL;

  lines = relay_message_encode_chunk (message);
  text = g_bytes_get_data (lines, &length);
  if (!split_message (self, text, length, error))
    return NULL;

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *f = g_ptr_array_index (self->fields, i);
      g_autofree char *value = NULL;
      g_auto(GStrv) addresses = NULL;

      for (guint k = 0; recipient_fields[k]; k++)
        if (g_ascii_strcasecmp (f->name, recipient_fields[k]) == 0)
          {
            value = field_value (f);
            if (!(addresses = relay_message_parse_address_list (recipient_fields[k], value, error)))
              return NULL;
            for (guint j = 0; addresses[j]; j++)
              g_ptr_array_add (recipients, g_strdup (addresses[j]));
          }
    }
  g_ptr_array_add (recipients, NULL);
  self->recipients = (GStrv)g_ptr_array_free (g_steal_pointer (&recipients), FALSE);

  if ((field = find_field (self, "From")))
    {
      g_autofree char *value = field_value (field);
      g_auto(GStrv) from = relay_message_parse_address_list ("From", value, error);

      if (from == NULL)
        return NULL;
      if (from[0] == NULL)
        return fail (error, _("From: it holds no address")), NULL;
      self->from = g_strdup (from[0]);
    }

  if ((field = find_field (self, "Message-ID")))
    {
      g_autofree char *value = field_value (field);

      if (!(self->message_id = read_message_id (value, error)))
        return NULL;
    }

  if ((field = find_field (self, "Subject")))
    {
      g_autofree char *value = field_value (field);

      for (char *s = value; *s; s++)
        if ((guchar)*s < 0x20 || *s == 0x7f)
          *s = ' ';
      self->subject = g_utf8_make_valid (value, -1);
    }
  else
    self->subject = g_strdup ("");

  return g_steal_pointer (&self);
}

/**
 * relay_submission_get_from:
 *
 * Returns: (nullable): the first address of the From field, as written
 */
const char *
relay_submission_get_from (RelaySubmission *self)
{
  return self->from;
}

/**
 * relay_submission_get_recipients:
 *
 * Returns: the addresses of the To, Cc and Bcc fields, in their order
 */
const char * const *
relay_submission_get_recipients (RelaySubmission *self)
{
  return (const char * const *)self->recipients;
}

/**
 * relay_submission_get_subject:
 *
 * Returns: the Subject field's text on one line (as written: encoded
 *   words are not decoded), or ""
 */
const char *
relay_submission_get_subject (RelaySubmission *self)
{
  return self->subject;
}

/* A display name as a phrase: as it is when it is atoms, else a quoted
 * string when it is ASCII, else encoded words (RFC 2047, B) */
static void
append_phrase (GString    *out,
               const char *name)
{
  gboolean atoms = TRUE, ascii = TRUE;
  gsize length = strlen (name);

  for (const char *s = name; *s; s++)
    {
      if ((guchar)*s >= 0x80)
        ascii = FALSE;
      if (!is_atext (*s) && *s != ' ')
        atoms = FALSE;
    }

  if (ascii && atoms)
    g_string_append (out, name);
  else if (ascii)
    {
      g_string_append_c (out, '"');
      for (const char *s = name; *s; s++)
        {
          if (*s == '"' || *s == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, *s);
        }
      g_string_append_c (out, '"');
    }
  else
    {
      /* at most 45 bytes a word (60 in base64), never inside a character */
      for (gsize i = 0; i < length;)
        {
          gsize n = MIN (45, length - i);
          g_autofree char *encoded = NULL;

          if (i + n < length)
            {
              const char *cut = g_utf8_find_prev_char (name + i, name + i + n + 1);

              n = cut - (name + i);
            }
          encoded = g_base64_encode ((const guchar *)name + i, n);
          g_string_append_printf (out, "%s=?UTF-8?B?%s?=", i > 0 ? "\r\n " : "", encoded);
          i += n;
        }
    }
}

/**
 * relay_submission_finish:
 * @sender: the envelope sender, for a From field when there is none (and
 *   its domain for a Message-ID)
 * @full_name: (nullable): the display name of the From field added
 * @now: the Date added when there is none
 * @message_id: (out): the message's Message-ID, without brackets: its
 *   own, or the one added
 *
 * The message as it is queued: the Bcc and Resent-Bcc fields removed,
 * From, Date and Message-ID added when it has none, every line end CRLF.
 *
 * Returns: (transfer full): the message
 */
GBytes *
relay_submission_finish (RelaySubmission  *self,
                         const char       *sender,
                         const char       *full_name,
                         GDateTime        *now,
                         char            **message_id)
{
  GString *out = g_string_sized_new (g_bytes_get_size (self->body) + 4096);
  g_autofree char *id = g_strdup (self->message_id);

  g_return_val_if_fail (sender != NULL && strpbrk (sender, "\r\n<>") == NULL, NULL);
  g_return_val_if_fail (full_name == NULL || strpbrk (full_name, "\r\n") == NULL, NULL);

  for (guint i = 0; i < self->fields->len; i++)
    {
      Field *field = g_ptr_array_index (self->fields, i);

      if (g_ascii_strcasecmp (field->name, "Bcc") != 0 && g_ascii_strcasecmp (field->name, "Resent-Bcc") != 0)
        g_string_append_len (out, field->raw->str, field->raw->len);
    }

  if (find_field (self, "From") == NULL)
    {
      g_string_append (out, "From: ");
      if (full_name != NULL && full_name[0] != '\0')
        {
          append_phrase (out, full_name);
          g_string_append_printf (out, " <%s>\r\n", sender);
        }
      else
        g_string_append_printf (out, "%s\r\n", sender);
    }
  if (find_field (self, "Date") == NULL)
    {
      g_autofree char *date = relay_message_format_date (now);

      g_string_append_printf (out, "Date: %s\r\n", date);
    }
  if (id == NULL)
    {
      g_autofree char *uuid = g_uuid_string_random ();
      const char *at = strrchr (sender, '@');

      id = g_strdup_printf ("%s@%s", uuid, at ? at + 1 : "localhost");
      g_string_append_printf (out, "Message-ID: <%s>\r\n", id);
    }

  g_string_append (out, "\r\n");
  g_string_append_len (out, g_bytes_get_data (self->body, NULL), g_bytes_get_size (self->body));

  *message_id = g_steal_pointer (&id);
  return g_string_free_to_bytes (out);
}
