/* relay-smtp-session-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the parts of RelaySmtpSession share: the object's fields and the
 * line I/O and command/reply exchange of relay-smtp-session.c, used by the
 * TLS handshake (relay-smtp-session-tls.c), the SASL exchange
 * (relay-smtp-session-auth.c) and the mail transaction
 * (relay-smtp-session-mail.c). */

#pragma once

#include "relay-smtp-session.h"

G_BEGIN_DECLS

struct _RelaySmtpSession
{
  GObject                parent_instance;

  char                  *host;
  guint                  port;
  RelaySecurity          security;
  guint                  timeout;
  gint64                 deadline;  /* monotonic µs: nothing goes on after it; 0: none */
  char                  *ca_file;
  GStrv                  pins;
  gboolean               allow_insecure;

  GList                 *addresses;
  char                  *address;
  GSocketConnection     *tcp;
  GTlsConnection        *tls;
  GBufferedInputStream  *input;
  GOutputStream         *output;

  char                  *greeting;
  GStrv                  capabilities;
  GStrv                  auth_mechanisms;
  guint64                size_limit;
  RelayAuthMethod        auth_used;
  RelaySmtpReply        *last_reply;

  /* a message begun with its envelope (relay_smtp_session_begin_message()) */
  gboolean               data_open;     /* DATA got 354: the message is due */
  gboolean               data_chunked;  /* the message went as BDAT LAST */
  RelaySmtpReply        *data_reply;    /* DATA's refusal, or BDAT's reply */
  /* begun (relay_smtp_session_begin_message_write()), replies not yet read */
  gboolean               begun;
  guint                  begun_recipients;
  gboolean               begun_data;
  gboolean               begun_chunked;
  gboolean               chunk_verdict_due;  /* BDAT's reply not read yet */
  GPtrArray             *begun_answers;  /* the replies read so far */

  /* a message whose data went (relay_smtp_session_send_data()): its bytes
   * not yet written, its verdict (the reply to its end of data) not yet
   * read, or read and not yet taken (relay_smtp_session_finish_data()) */
  GBytes                *pending;
  gboolean               verdict_due;
  gboolean               verdict_accepts;  /* FALSE: DATA's own refusal */
  RelaySmtpReply        *verdict;
  GError                *verdict_error;
  gboolean               unsent;  /* the last write failed before a byte went */

  GTlsCertificate       *peer_certificate;
  GTlsCertificateFlags   peer_errors;
  char                  *peer_sha256;
  gboolean               pinned;
  gboolean               pin_refused;
  char                  *tls_version;

  GMutex                 transcript_lock;
  GPtrArray             *transcript;
};

gboolean        _relay_smtp_session_arm               (RelaySmtpSession      *self,
                                                       GError               **error);
gboolean        _relay_smtp_session_write_all         (RelaySmtpSession      *self,
                                                       const char            *data,
                                                       gsize                  length,
                                                       GCancellable          *cancellable,
                                                       GError               **error);
void            _relay_smtp_session_transcript_add    (RelaySmtpSession      *self,
                                                       const char            *prefix,
                                                       const char            *line);
void            _relay_smtp_session_use_stream        (RelaySmtpSession      *self,
                                                       GIOStream             *stream);
RelaySmtpReply *_relay_smtp_session_read_reply        (RelaySmtpSession      *self,
                                                       GCancellable          *cancellable,
                                                       GError               **error);
gboolean        _relay_smtp_session_collect_verdict   (RelaySmtpSession      *self,
                                                       GCancellable          *cancellable,
                                                       GError               **error);
gboolean        _relay_smtp_session_before_command    (RelaySmtpSession      *self,
                                                       GCancellable          *cancellable,
                                                       GError               **error);
void            _relay_smtp_session_clear_message     (RelaySmtpSession      *self);
gboolean        _relay_smtp_session_check_unsolicited (RelaySmtpSession      *self,
                                                       GError               **error);
gboolean        _relay_smtp_session_send_line         (RelaySmtpSession      *self,
                                                       const char            *line,
                                                       const char            *shown,
                                                       GCancellable          *cancellable,
                                                       GError               **error);
gboolean        _relay_smtp_session_reply_error       (RelaySmtpSession      *self,
                                                       const RelaySmtpReply  *reply,
                                                       GError               **error);
RelaySmtpReply *_relay_smtp_session_command           (RelaySmtpSession      *self,
                                                       const char            *line,
                                                       const char            *shown,
                                                       guint                  expected,
                                                       GCancellable          *cancellable,
                                                       GError               **error);

G_END_DECLS
