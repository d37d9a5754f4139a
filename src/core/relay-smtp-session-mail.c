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

/* Writes whatever a message sent before left to write (its data, which
 * relay_smtp_session_send_data() keeps), then @batch: in one write, so
 * that the end of that data, this message's envelope and its DATA go in
 * one segment (RFC 2920 3.1: the transfer of message content may be the
 * first "command" in a group) */
static gboolean
write_after_pending (RelaySmtpSession  *self,
                     GString           *batch,
                     GCancellable      *cancellable,
                     GError           **error)
{
  g_autoptr(GBytes) pending = NULL;
  g_autoptr(GError) local_error = NULL;

  /* Nothing goes to a conversation out of step (a reply nobody asked
   * for, unless it may be the verdict on a BDAT chunk that went), once
   * cancelled, or past its deadline: then not one byte of this write went
   * (nor of the data kept), and relay_smtp_session_has_unsent_data ()
   * says so */
  self->unsent = TRUE;
  if ((!(self->verdict_due && self->pending == NULL) && !_relay_smtp_session_check_unsolicited (self, error)) ||
      g_cancellable_set_error_if_cancelled (cancellable, error) ||
      !_relay_smtp_session_arm (self, error))
    return FALSE;
  self->unsent = FALSE;

  pending = g_steal_pointer (&self->pending);
  if (pending != NULL)
    g_string_prepend_len (batch, g_bytes_get_data (pending, NULL), g_bytes_get_size (pending));

  /* once the kept data starts to go, it goes whole (within the
   * deadline): a cancellation then ends what follows, not it */
  if (_relay_smtp_session_write_all (self, batch->str, batch->len, pending != NULL ? NULL : cancellable,
                                     &local_error))
    return TRUE;

  /* the end of the earlier message's data may or may not have gone */
  if (pending != NULL)
    {
      self->verdict_due = FALSE;
      self->verdict_error = g_error_copy (local_error);
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/**
 * relay_smtp_session_has_unsent_data:
 *
 * Returns: whether the last write failed before one byte of it went
 *   (cancelled, past the deadline, a reply nobody asked for waiting): what
 *   it carried — a message begun (with BDAT, the message itself) or the
 *   data of one sent with relay_smtp_session_send_data () — never reached
 *   the server, which cannot have taken it
 */
gboolean
relay_smtp_session_has_unsent_data (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return self->unsent;
}

/* MAIL and every RCPT in one write (RFC 2920), and with @message DATA,
 * which closes the group (RFC 2920 3.1), or where the server offers
 * CHUNKING the message itself as BDAT LAST (RFC 3030: no dot doubled, no
 * end of data), so that the message costs one round trip. Its replies are
 * read by pipelined_read(). */
static gboolean
pipelined_write (RelaySmtpSession    *self,
                 const char          *from,
                 const char * const  *recipients,
                 gsize                size,
                 gboolean             utf8,
                 GBytes              *message,
                 GCancellable        *cancellable,
                 GError             **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) batch = g_string_new (NULL);
  g_autoptr(GBytes) chunk = NULL;
  gboolean chunked = message != NULL && relay_smtp_session_sends_with_envelope (self);
  /* a verdict on an earlier message is due before any reply to this one */
  gboolean earlier_due = self->pending != NULL || self->verdict_due;
  guint n_recipients = 0;
  char *line;

  if (!(line = mail_command (self, from, size, utf8, error)))
    return FALSE;
  g_ptr_array_add (lines, line);

  for (; recipients[n_recipients]; n_recipients++)
    {
      if (!check_address (recipients[n_recipients], error))
        return FALSE;
      g_ptr_array_add (lines, g_strdup_printf ("RCPT TO:<%s>", recipients[n_recipients]));
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

  if (!write_after_pending (self, batch, cancellable, error))
    {
      g_autoptr(RelaySmtpReply) early = NULL;

      /* a server that refused MAIL (421) may close while a long chunk is
       * still on its way: then its reply, not the broken write, decides */
      if (chunked && !earlier_due && !self->unsent &&
          (early = _relay_smtp_session_read_reply (self, cancellable, NULL)) != NULL &&
          early->code != 250)
        {
          g_clear_error (error);
          return mail_refused (self, early, error);
        }
      return FALSE;
    }

  self->begun = TRUE;
  self->begun_recipients = n_recipients;
  self->begun_data = message != NULL;
  self->begun_chunked = chunked;
  return TRUE;
}

/* The replies to what pipelined_write() sent: first the verdict on the
 * message whose data went before it, then one per command, so that the
 * conversation stays in step */
static gboolean
pipelined_read (RelaySmtpSession  *self,
                GPtrArray         *answers,
                GCancellable      *cancellable,
                GError           **error)
{
  g_autoptr(RelaySmtpReply) mail_reply = NULL;
  g_autoptr(RelaySmtpReply) data_reply = NULL;
  guint n_recipients = self->begun_recipients;
  gboolean with_data = self->begun_data;
  gboolean chunked = self->begun_chunked;
  gboolean taken = FALSE;

  if (!_relay_smtp_session_collect_verdict (self, cancellable, error))
    return FALSE;

  if (!(mail_reply = _relay_smtp_session_read_reply (self, cancellable, error)))
    return FALSE;

  for (guint i = 0; i < n_recipients || (with_data && data_reply == NULL); i++)
    {
      /* BDAT's reply, when MAIL was taken and someone took the message:
       * the verdict, read later (relay_smtp_session_send_data ()), so
       * that the caller can use the time the server takes with it */
      if (i == n_recipients && chunked && mail_reply->code == 250 && taken)
        {
          self->chunk_verdict_due = TRUE;
          break;
        }

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

      if (i == n_recipients)
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
      /* what relay_smtp_session_send_data() takes as the verdict */
      self->data_reply = g_steal_pointer (&data_reply);
      self->data_chunked = chunked;
    }

  if (mail_reply->code != 250)
    return mail_refused (self, mail_reply, error);

  return TRUE;
}

/* Without PIPELINING each command waits for its reply: MAIL and the
 * RCPTs go one by one here, and transaction_read() hands out the replies
 * they got */
static gboolean
transaction_write (RelaySmtpSession    *self,
                   const char          *from,
                   const char * const  *recipients,
                   gsize                size,
                   GBytes              *message,
                   GCancellable        *cancellable,
                   GError             **error)
{
  gboolean utf8 = relay_address_needs_smtputf8 (from);

  self->data_open = FALSE;
  self->begun = FALSE;
  g_clear_pointer (&self->data_reply, relay_smtp_reply_free);
  g_clear_pointer (&self->begun_answers, g_ptr_array_unref);
  self->begun_answers = g_ptr_array_new_with_free_func ((GDestroyNotify)relay_smtp_reply_free);

  for (guint i = 0; recipients[i]; i++)
    utf8 = utf8 || relay_address_needs_smtputf8 (recipients[i]);

  if (relay_smtp_session_has_capability (self, "PIPELINING"))
    return pipelined_write (self, from, recipients, size, utf8, message, cancellable, error);

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
      g_ptr_array_add (self->begun_answers, relay_smtp_reply_copy (self->last_reply));
    }

  self->begun = TRUE;
  return TRUE;
}

static gboolean
transaction_read (RelaySmtpSession  *self,
                  GPtrArray        **replies,
                  GCancellable      *cancellable,
                  GError           **error)
{
  g_autoptr(GPtrArray) answers = g_steal_pointer (&self->begun_answers);

  self->begun = FALSE;
  if (relay_smtp_session_has_capability (self, "PIPELINING") &&
      !pipelined_read (self, answers, cancellable, error))
    return FALSE;

  if (replies != NULL)
    *replies = g_steal_pointer (&answers);

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
  return transaction_write (self, from, recipients, size, message, cancellable, error) &&
         transaction_read (self, replies, cancellable, error);
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
 * It is relay_smtp_session_begin_message_write() followed by
 * relay_smtp_session_begin_message_read().
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
  return relay_smtp_session_begin_message_write (self, from, recipients, message, cancellable, error) &&
         relay_smtp_session_begin_message_read (self, replies, cancellable, error);
}

/**
 * relay_smtp_session_begin_message_write:
 *
 * The first half of relay_smtp_session_begin_message(): with PIPELINING,
 * its commands written (after the data of a message sent before with
 * relay_smtp_session_send_data(), in the same write), none of their
 * replies read yet, so that the caller can use the time the server takes
 * to answer (to make a mark durable, say). Without PIPELINING each
 * command still waits for its reply here. Must be followed by
 * relay_smtp_session_begin_message_read().
 *
 * Used error codes: as relay_smtp_session_envelope().
 */
gboolean
relay_smtp_session_begin_message_write (RelaySmtpSession    *self,
                                        const char          *from,
                                        const char * const  *recipients,
                                        GBytes              *message,
                                        GCancellable        *cancellable,
                                        GError             **error)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  return transaction_write (self, from, recipients, g_bytes_get_size (message), message, cancellable, error);
}

/**
 * relay_smtp_session_begin_message_read:
 * @replies: (out) (optional) (element-type RelaySmtpReply): the reply to
 *   each RCPT, in the order of the recipients
 *
 * The second half of relay_smtp_session_begin_message(): the replies. The
 * verdict on a message whose data went before is read first and kept for
 * relay_smtp_session_finish_data(), whether this succeeds or not.
 *
 * Used error codes: as relay_smtp_session_envelope().
 */
gboolean
relay_smtp_session_begin_message_read (RelaySmtpSession  *self,
                                       GPtrArray        **replies,
                                       GCancellable      *cancellable,
                                       GError           **error)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (self->begun, FALSE);

  return transaction_read (self, replies, cancellable, error);
}

/**
 * relay_smtp_session_send_data:
 * @message: the message, headers and body; line ends are normalised and
 *   leading dots doubled here
 *
 * DATA and the message, as relay_smtp_session_data(), but without waiting
 * for the server's verdict: after DATA's 354 the message and its end of
 * data are kept, to go with the next message's envelope in one write
 * (relay_smtp_session_begin_message_write()) or with whatever is sent
 * next, and the verdict is read then;
 * relay_smtp_session_finish_data() reports it. A DATA refused, or BDAT's
 * reply, is the verdict already. From here the message is the server's
 * to take.
 *
 * Returns: %FALSE when DATA, sent here, was not answered with 354
 *
 * Used error codes: as relay_smtp_session_data().
 */
gboolean
relay_smtp_session_send_data (RelaySmtpSession  *self,
                              GBytes            *message,
                              GCancellable      *cancellable,
                              GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (!relay_smtp_session_has_verdict_due (self), FALSE);

  if (self->chunk_verdict_due)
    {
      /* BDAT: the message went with its envelope, its verdict is due */
      self->chunk_verdict_due = FALSE;
      self->verdict_due = TRUE;
      self->verdict_accepts = TRUE;
      return TRUE;
    }

  if (self->data_reply != NULL)
    {
      self->verdict = g_steal_pointer (&self->data_reply);
      self->verdict_accepts = self->data_chunked;
      return TRUE;
    }

  if (!self->data_open)
    {
      if (!(reply = _relay_smtp_session_command (self, "DATA", NULL, 354, cancellable, error)))
        return FALSE;
    }
  self->data_open = FALSE;

  shown = g_strdup_printf ("[%" G_GSIZE_FORMAT " bytes of message]", g_bytes_get_size (message));
  _relay_smtp_session_transcript_add (self, "C", shown);
  _relay_smtp_session_transcript_add (self, "C", ".");
  self->pending = relay_message_encode_data (message);
  self->verdict_due = TRUE;
  self->verdict_accepts = TRUE;

  return TRUE;
}

/**
 * relay_smtp_session_has_verdict_due:
 *
 * Returns: whether a message sent with relay_smtp_session_send_data()
 *   still waits for relay_smtp_session_finish_data()
 */
gboolean
relay_smtp_session_has_verdict_due (RelaySmtpSession *self)
{
  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);

  return self->pending != NULL || self->verdict_due || self->verdict != NULL || self->verdict_error != NULL;
}

/* What relay_smtp_session_send_data() left: its data written, and the
 * verdict read and kept (or why it could not be). FALSE with @error when
 * it could not: the conversation cannot go on then. */
gboolean
_relay_smtp_session_collect_verdict (RelaySmtpSession  *self,
                                     GCancellable      *cancellable,
                                     GError           **error)
{
  g_autoptr(GString) nothing = NULL;

  if (self->verdict_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->verdict_error));
      return FALSE;
    }

  if (self->pending != NULL)
    {
      nothing = g_string_new (NULL);
      if (!write_after_pending (self, nothing, cancellable, error))
        return FALSE;
    }

  /* not cancelled: the data went, and its verdict is what it became (the
   * deadline bounds the wait) */
  if (self->verdict_due)
    {
      self->verdict_due = FALSE;
      self->verdict = _relay_smtp_session_read_reply (self, NULL, &self->verdict_error);
      if (self->verdict == NULL)
        {
          g_propagate_error (error, g_error_copy (self->verdict_error));
          return FALSE;
        }
    }

  return TRUE;
}

/* Before another command goes: the verdict due collected, and the reply
 * to a BDAT message begun and then abandoned (the caller sends something
 * else instead of relay_smtp_session_send_data ()) read, to stay in step;
 * what the server did with that message is not known here */
gboolean
_relay_smtp_session_before_command (RelaySmtpSession  *self,
                                    GCancellable      *cancellable,
                                    GError           **error)
{
  g_autoptr(RelaySmtpReply) dropped = NULL;

  if (!_relay_smtp_session_collect_verdict (self, cancellable, error))
    return FALSE;

  if (!self->chunk_verdict_due)
    return TRUE;

  self->chunk_verdict_due = FALSE;
  dropped = _relay_smtp_session_read_reply (self, cancellable, error);
  return dropped != NULL;
}

/* The message begun or sent is forgotten (the connection closes) */
void
_relay_smtp_session_clear_message (RelaySmtpSession *self)
{
  self->data_open = FALSE;
  self->begun = FALSE;
  self->verdict_due = FALSE;
  self->chunk_verdict_due = FALSE;
  self->unsent = FALSE;
  g_clear_pointer (&self->data_reply, relay_smtp_reply_free);
  g_clear_pointer (&self->begun_answers, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_bytes_unref);
  g_clear_pointer (&self->verdict, relay_smtp_reply_free);
  g_clear_error (&self->verdict_error);
}

/**
 * relay_smtp_session_finish_data:
 *
 * The server's verdict on the message sent with
 * relay_smtp_session_send_data(): its data written first if it is still
 * waiting, then the reply to its end of data read (unless another command
 * has read it already), and made the last reply.
 *
 * Returns: whether the server took the message (250)
 *
 * Used error codes: as relay_smtp_session_data().
 */
gboolean
relay_smtp_session_finish_data (RelaySmtpSession  *self,
                                GCancellable      *cancellable,
                                GError           **error)
{
  g_autoptr(RelaySmtpReply) reply = NULL;
  gboolean accepts = self->verdict_accepts;

  g_return_val_if_fail (RELAY_IS_SMTP_SESSION (self), FALSE);
  g_return_val_if_fail (relay_smtp_session_has_verdict_due (self), FALSE);

  if (!_relay_smtp_session_collect_verdict (self, cancellable, error))
    {
      g_clear_error (&self->verdict_error);
      return FALSE;
    }

  reply = g_steal_pointer (&self->verdict);
  g_clear_pointer (&self->last_reply, relay_smtp_reply_free);
  self->last_reply = relay_smtp_reply_copy (reply);

  /* DATA's own refusal is never the message taken */
  if (!accepts || reply->code != 250)
    return _relay_smtp_session_reply_error (self, reply, error);

  return TRUE;
}

/**
 * relay_smtp_session_data:
 * @message: the message, headers and body; line ends are normalised and
 *   leading dots doubled here
 *
 * DATA and the message; after relay_smtp_session_begin_message() only
 * what it left to do (the message after DATA's 354, or nothing when the
 * server has already answered DATA or BDAT: its reply is reported).
 * relay_smtp_session_send_data() then relay_smtp_session_finish_data().
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
  return relay_smtp_session_send_data (self, message, cancellable, error) &&
         relay_smtp_session_finish_data (self, cancellable, error);
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
