/* relay-smtp-session-mail.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The mail transaction of a RelaySmtpSession: MAIL and RCPT (pipelined
 * when the server offers it, each recipient with its own reply, DATA or
 * BDAT closing the group), DATA and RSET. */

#define G_LOG_DOMAIN "relay-smtp-session"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-message.h"
#include "relay-smtp-session-private.h"
#include "relay-validate.h"

static gboolean
check_address (const char  *address,
               GError     **error)
{
  if (!relay_message_check_header_value (address, error))
    return FALSE;

  if (strpbrk (address, "<> ") != NULL || address[0] == '\0')
    {
      g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT,
                   _("“%s” cannot be used as an address"), address);
      return FALSE;
    }

  return TRUE;
}

static char *
mail_command (RelaySmtpSession  *self,
              const char        *from,
              gsize              size,
              gboolean           utf8,
              GError           **error)
{
  if (!check_address (from, error))
    return NULL;

  if (self->size_limit > 0 && size > self->size_limit)
    {
      g_autofree char *have = g_strdup_printf ("%" G_GSIZE_FORMAT, size);
      g_autofree char *limit = g_strdup_printf ("%" G_GUINT64_FORMAT, self->size_limit);

      g_set_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_TOO_BIG,
                   _("The message (%s bytes) is larger than the server accepts (%s bytes)"),
                   have, limit);
      return NULL;
    }

  /* RFC 6531: international addresses in the envelope need the server's
   * SMTPUTF8, and say so */
  utf8 = utf8 && relay_smtp_session_has_capability (self, "SMTPUTF8");

  if (relay_smtp_session_has_capability (self, "SIZE") && size > 0)
    return g_strdup_printf ("MAIL FROM:<%s> SIZE=%" G_GSIZE_FORMAT "%s", from, size, utf8 ? " SMTPUTF8" : "");

  return g_strdup_printf ("MAIL FROM:<%s>%s", from, utf8 ? " SMTPUTF8" : "");
}

static gboolean
mail (RelaySmtpSession  *self,
      const char        *from,
      gsize              size,
      gboolean           utf8,
      GCancellable      *cancellable,
      GError           **error)
{
  g_autofree char *line = NULL;
  g_autoptr(RelaySmtpReply) reply = NULL;

  if (!(line = mail_command (self, from, size, utf8, error)))
    return FALSE;

  reply = _relay_smtp_session_command (self, line, NULL, 250, cancellable, error);
  return reply != NULL;
}

/**
 * relay_smtp_session_mail:
 *
 * MAIL FROM, with SIZE and SMTPUTF8 when the server offers them and they apply.
 *
 * Used error codes: %RELAY_SMTP_ERROR_BAD_INPUT (@from cannot be an address),
 *   %RELAY_SMTP_ERROR_TOO_BIG (@size over the server's SIZE), %RELAY_SMTP_ERROR_REPLY (MAIL
 *   refused), %RELAY_SMTP_ERROR_PROTOCOL (a malformed reply, or one nothing asked for),
 *   %RELAY_SMTP_ERROR_LINE_TOO_LONG, %RELAY_SMTP_ERROR_CLOSED; %G_IO_ERROR from the network
 *   (%G_IO_ERROR_TIMED_OUT past the timeout or the deadline, %G_IO_ERROR_CANCELLED), %G_TLS_ERROR
 *   over TLS.
 */
gboolean
relay_smtp_session_mail (RelaySmtpSession  *self,
                         const char        *from,
                         gsize              size,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return mail (self, from, size, relay_address_needs_smtputf8 (from), cancellable, error);
}

/**
 * relay_smtp_session_rcpt:
 *
 * RCPT TO for one recipient.
 *
 * Used error codes: %RELAY_SMTP_ERROR_BAD_INPUT (@recipient cannot be an address),
 *   %RELAY_SMTP_ERROR_REPLY (the recipient refused), %RELAY_SMTP_ERROR_PROTOCOL (a malformed reply,
 *   or one nothing asked for), %RELAY_SMTP_ERROR_LINE_TOO_LONG, %RELAY_SMTP_ERROR_CLOSED;
 *   %G_IO_ERROR from the network (%G_IO_ERROR_TIMED_OUT past the timeout or the deadline,
 *   %G_IO_ERROR_CANCELLED), %G_TLS_ERROR over TLS.
 */
gboolean
relay_smtp_session_rcpt (RelaySmtpSession  *self,
                         const char        *recipient,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autofree char *line = NULL;
  g_autoptr(RelaySmtpReply) reply = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  if (!check_address (recipient, error))
    return FALSE;

  line = g_strdup_printf ("RCPT TO:<%s>", recipient);
  reply = _relay_smtp_session_command (self, line, NULL, 0, cancellable, error);
  return reply != NULL;
}

/* A refused MAIL is what the message's fate is judged by, not the “503
 * need MAIL” that the pipelined RCPTs got after it: it is the last reply
 * the caller sees. */
static gboolean
mail_refused (RelaySmtpSession     *self,
              const RelaySmtpReply *mail_reply,
              GError              **error)
{
  g_clear_pointer (&self->last_reply, relay_smtp_reply_free);
  self->last_reply = relay_smtp_reply_copy (mail_reply);

  return _relay_smtp_session_reply_error (self, mail_reply, error);
}

/* DATA got 354 but nobody takes the message (MAIL or every RCPT was
 * refused): a lone "." ends the data phase (RFC 2920 3.1), and its reply,
 * a refusal as a rule, is read to stay in step */
static gboolean
end_empty_data (RelaySmtpSession  *self,
                GCancellable      *cancellable,
                GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  _relay_smtp_session_transcript_add (self, "C", ".");
  if (!_relay_smtp_session_write_all (self, ".\r\n", 3, cancellable, error) ||
      !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  return TRUE;
}

/* MAIL and every RCPT in one write (RFC 2920), and with @message DATA,
 * which closes the group (RFC 2920 3.1), or where the server offers
 * CHUNKING the message itself as BDAT LAST (RFC 3030: no dot doubled, no
 * end of data), so that the message costs one round trip. Every reply is
 * read, one per command, so that the conversation stays in step. */
static gboolean
pipelined (RelaySmtpSession    *self,
           const char          *from,
           const char * const  *recipients,
           gsize                size,
           gboolean             utf8,
           GBytes              *message,
           GPtrArray           *answers,
           GCancellable        *cancellable,
           GError             **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) batch = g_string_new (NULL);
  g_autoptr(RelaySmtpReply) mail_reply = NULL;
  g_autoptr(RelaySmtpReply) data_reply = NULL;
  g_autoptr(GBytes) chunk = NULL;
  gboolean chunked = message != NULL && relay_smtp_session_sends_with_envelope (self);
  gboolean taken = FALSE;
  char *line;

  if (!(line = mail_command (self, from, size, utf8, error)))
    return FALSE;
  g_ptr_array_add (lines, line);

  for (guint i = 0; recipients[i]; i++)
    {
      if (!check_address (recipients[i], error))
        return FALSE;
      g_ptr_array_add (lines, g_strdup_printf ("RCPT TO:<%s>", recipients[i]));
    }

  if (chunked)
    {
      chunk = relay_message_encode_chunk (message);
      g_ptr_array_add (lines, g_strdup_printf ("BDAT %" G_GSIZE_FORMAT " LAST", g_bytes_get_size (chunk)));
    }
  else if (message != NULL)
    g_ptr_array_add (lines, g_strdup ("DATA"));

  for (guint i = 0; i < lines->len; i++)
    {
      _relay_smtp_session_transcript_add (self, "C", g_ptr_array_index (lines, i));
      g_string_append_printf (batch, "%s\r\n", (char *)g_ptr_array_index (lines, i));
    }

  /* one write, so that no segment waits for the acknowledgement of another */
  if (chunked)
    {
      g_autofree char *shown = g_strdup_printf ("[%" G_GSIZE_FORMAT " bytes of message]", g_bytes_get_size (message));

      _relay_smtp_session_transcript_add (self, "C", shown);
      g_string_append_len (batch, g_bytes_get_data (chunk, NULL), g_bytes_get_size (chunk));
    }

  if (!_relay_smtp_session_check_unsolicited (self, error))
    return FALSE;

  if (!_relay_smtp_session_write_all (self, batch->str, batch->len, cancellable, error))
    {
      g_autoptr(RelaySmtpReply) early = NULL;

      /* a server that refused MAIL (421) may close while a long chunk is
       * still on its way: then its reply, not the broken write, decides */
      if (chunked && (early = _relay_smtp_session_read_reply (self, cancellable, NULL)) != NULL &&
          early->code != 250)
        {
          g_clear_error (error);
          return mail_refused (self, early, error);
        }
      return FALSE;
    }

  if (!(mail_reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  /* every reply is read, so that the conversation stays in step */
  for (guint i = 0; recipients[i] || (message != NULL && data_reply == NULL); i++)
    {
      g_autoptr(GError) local_error = NULL;
      RelaySmtpReply *reply = _relay_smtp_session_read_reply (self, cancellable, &local_error);

      if (reply == NULL)
        {
          /* a server that refused MAIL with 421 may close at once */
          if (mail_reply->code != 250)
            return mail_refused (self, mail_reply, error);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }

      if (recipients[i] == NULL)
        {
          data_reply = reply;
          break;
        }
      taken = taken || relay_smtp_reply_is_positive (reply);
      g_ptr_array_add (answers, reply);
    }

  if (data_reply != NULL && !chunked && data_reply->code == 354)
    {
      if (mail_reply->code != 250 || !taken)
        {
          if (!end_empty_data (self, cancellable, error))
            return FALSE;
        }
      else
        self->data_open = TRUE;
    }
  else if (data_reply != NULL && mail_reply->code == 250)
    {
      /* what relay_smtp_session_data() reports */
      self->data_reply = g_steal_pointer (&data_reply);
      self->data_chunked = chunked;
    }

  if (mail_reply->code != 250)
    return mail_refused (self, mail_reply, error);

  return TRUE;
}

static gboolean
transaction (RelaySmtpSession    *self,
             const char          *from,
             const char * const  *recipients,
             gsize                size,
             GBytes              *message,
             GPtrArray          **replies,
             GCancellable        *cancellable,
             GError             **error)
{
  g_autoptr(GPtrArray) answers = g_ptr_array_new_with_free_func ((GDestroyNotify)relay_smtp_reply_free);
  gboolean utf8 = relay_address_needs_smtputf8 (from);

  self->data_open = FALSE;
  g_clear_pointer (&self->data_reply, relay_smtp_reply_free);

  for (guint i = 0; recipients[i]; i++)
    utf8 = utf8 || relay_address_needs_smtputf8 (recipients[i]);

  if (!relay_smtp_session_has_capability (self, "PIPELINING"))
    {
      if (!mail (self, from, size, utf8, cancellable, error))
        return FALSE;

      for (guint i = 0; recipients[i]; i++)
        {
          g_autoptr(GError) local_error = NULL;

          if (!relay_smtp_session_rcpt (self, recipients[i], cancellable, &local_error) &&
              !g_error_matches (local_error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          g_ptr_array_add (answers, relay_smtp_reply_copy (self->last_reply));
        }
    }
  else if (!pipelined (self, from, recipients, size, utf8, message, answers, cancellable, error))
    return FALSE;

  if (replies != NULL)
    *replies = g_steal_pointer (&answers);

  return TRUE;
}

/**
 * relay_smtp_session_envelope:
 * @replies: (out) (optional) (element-type RelaySmtpReply): the reply to
 *   each RCPT, in the order of @recipients
 *
 * MAIL and every RCPT, in one write when the server offers PIPELINING
 * (RFC 2920). Fails when MAIL is refused (the error and the last reply
 * are MAIL's, whatever the RCPTs got after it) or the connection is
 * lost; a refused recipient is not a failure: @replies says which
 * recipients the server took, each with its own reply.
 *
 * Used error codes: %RELAY_SMTP_ERROR_BAD_INPUT (@from or a recipient cannot be an address),
 *   %RELAY_SMTP_ERROR_TOO_BIG (@size over the server's SIZE), %RELAY_SMTP_ERROR_REPLY (MAIL
 *   refused; a refused recipient is not an error), %RELAY_SMTP_ERROR_PROTOCOL (a malformed reply,
 *   or one nothing asked for), %RELAY_SMTP_ERROR_LINE_TOO_LONG, %RELAY_SMTP_ERROR_CLOSED;
 *   %G_IO_ERROR from the network (%G_IO_ERROR_TIMED_OUT past the timeout or the deadline,
 *   %G_IO_ERROR_CANCELLED), %G_TLS_ERROR over TLS.
 */
gboolean
relay_smtp_session_envelope (RelaySmtpSession    *self,
                             const char          *from,
                             const char * const  *recipients,
                             gsize                size,
                             GPtrArray          **replies,
                             GCancellable        *cancellable,
                             GError             **error)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, FALSE);

  return transaction (self, from, recipients, size, NULL, replies, cancellable, error);
}

/**
 * relay_smtp_session_sends_with_envelope:
 *
 * Whether relay_smtp_session_begin_message() sends the message itself
 * with the envelope (the server offers PIPELINING and CHUNKING): the
 * server may take it before any reply is read, so a caller that must
 * never send a message twice marks it as being sent before.
 *
 * Returns: %TRUE when the message goes with the envelope
 */
gboolean
relay_smtp_session_sends_with_envelope (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return relay_smtp_session_has_capability (self, "PIPELINING") &&
         relay_smtp_session_has_capability (self, "CHUNKING");
}

/**
 * relay_smtp_session_begin_message:
 * @message: the message, headers and body, as for relay_smtp_session_data()
 * @replies: (out) (optional) (element-type RelaySmtpReply): the reply to
 *   each RCPT, in the order of @recipients
 *
 * As relay_smtp_session_envelope(), and where the server offers
 * PIPELINING the start of the message in the same write: DATA, which
 * closes the group (RFC 2920 3.1), or where it also offers CHUNKING the
 * whole message as “BDAT size LAST” (RFC 3030; see
 * relay_smtp_session_sends_with_envelope()). Each command's reply is
 * read. When nobody takes the message and DATA got 354 anyway, a lone
 * “.” ends it here. relay_smtp_session_data() then sends the rest of the
 * message and reports the server's verdict on it (DATA's refusal,
 * BDAT's reply or the reply to the end of data);
 * relay_smtp_session_rset() abandons it instead (after a 354 by closing
 * the connection, the one way to end the data phase without sending).
 *
 * Used error codes: as relay_smtp_session_envelope().
 */
gboolean
relay_smtp_session_begin_message (RelaySmtpSession    *self,
                                  const char          *from,
                                  const char * const  *recipients,
                                  GBytes              *message,
                                  GPtrArray          **replies,
                                  GCancellable        *cancellable,
                                  GError             **error)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  return transaction (self, from, recipients, g_bytes_get_size (message), message, replies, cancellable, error);
}

/**
 * relay_smtp_session_data:
 * @message: the message, headers and body; line ends are normalised and
 *   leading dots doubled here
 *
 * DATA and the message; after relay_smtp_session_begin_message() only
 * what it left to do (the message after DATA's 354, or nothing when the
 * server has already answered DATA or BDAT: its reply is reported).
 *
 * Used error codes: %RELAY_SMTP_ERROR_REPLY (DATA or the message refused),
 *   %RELAY_SMTP_ERROR_PROTOCOL (a malformed reply, or one nothing asked for),
 *   %RELAY_SMTP_ERROR_LINE_TOO_LONG, %RELAY_SMTP_ERROR_CLOSED; %G_IO_ERROR from the network
 *   (%G_IO_ERROR_TIMED_OUT past the timeout or the deadline, %G_IO_ERROR_CANCELLED), %G_TLS_ERROR
 *   over TLS.
 */
gboolean
relay_smtp_session_data (RelaySmtpSession  *self,
                         GBytes            *message,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (self->data_reply != NULL)
    {
      reply = g_steal_pointer (&self->data_reply);
      g_clear_pointer (&self->last_reply, relay_smtp_reply_free);
      self->last_reply = relay_smtp_reply_copy (reply);

      if (self->data_chunked && reply->code == 250)
        return TRUE;
      return _relay_smtp_session_reply_error (self, reply, error);
    }

  if (!self->data_open)
    {
      if (!(reply = _relay_smtp_session_command (self, "DATA", NULL, 354, cancellable, error)))
        return FALSE;
      g_clear_pointer (&reply, relay_smtp_reply_free);
    }
  self->data_open = FALSE;

  encoded = relay_message_encode_data (message);
  shown = g_strdup_printf ("[%" G_GSIZE_FORMAT " bytes of message]", g_bytes_get_size (message));
  _relay_smtp_session_transcript_add (self, "C", shown);
  _relay_smtp_session_transcript_add (self, "C", ".");

  if (!_relay_smtp_session_write_all (self, g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), cancellable, error) ||
      !(reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  if (reply->code != 250)
    return _relay_smtp_session_reply_error (self, reply, error);

  return TRUE;
}

/**
 * relay_smtp_session_rset:
 *
 * Ends the mail transaction in progress (RSET); one that DATA's 354 has
 * opened by closing the connection instead (%RELAY_SMTP_ERROR_CLOSED).
 *
 * Used error codes: %RELAY_SMTP_ERROR_REPLY (RSET refused), %RELAY_SMTP_ERROR_PROTOCOL (a malformed
 *   reply, or one nothing asked for), %RELAY_SMTP_ERROR_LINE_TOO_LONG, %RELAY_SMTP_ERROR_CLOSED;
 *   %G_IO_ERROR from the network (%G_IO_ERROR_TIMED_OUT past the timeout or the deadline,
 *   %G_IO_ERROR_CANCELLED), %G_TLS_ERROR over TLS.
 */
gboolean
relay_smtp_session_rset (RelaySmtpSession  *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  g_clear_pointer (&self->data_reply, relay_smtp_reply_free);
  if (self->data_open)
    {
      /* after 354 every byte is the message's: closing the connection is
       * the one way to end the transaction without sending it */
      relay_smtp_session_close (self);
      g_set_error_literal (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CLOSED,
                           _("The connection to the server is closed"));
      return FALSE;
    }

  reply = _relay_smtp_session_command (self, "RSET", NULL, 250, cancellable, error);
  return reply != NULL;
}
