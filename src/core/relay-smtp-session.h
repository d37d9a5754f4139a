/* relay-smtp-session.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "relay-enums.h"
#include "relay-smtp-error.h"
#include "relay-smtp-reply.h"

G_BEGIN_DECLS

#define RELAY_TYPE_SMTP_SESSION (relay_smtp_session_get_type ())

G_DECLARE_FINAL_TYPE (RelaySmtpSession, relay_smtp_session, RELAY, SMTP_SESSION, GObject)

/* One SMTP conversation. The steps block, with a timeout on each read and
 * write and a GCancellable, and are meant to run in a worker thread (see
 * RelayProbe); nothing here touches a main context. */
RelaySmtpSession     *relay_smtp_session_new                  (const char          *host,
                                                               guint                port,
                                                               RelaySecurity        security);
void                  relay_smtp_session_set_deadline         (RelaySmtpSession    *self,
                                                               gint64               deadline);
void                  relay_smtp_session_set_timeout          (RelaySmtpSession    *self,
                                                               guint                seconds);
void                  relay_smtp_session_set_ca_file          (RelaySmtpSession    *self,
                                                               const char          *ca_file);
void                  relay_smtp_session_set_pins             (RelaySmtpSession    *self,
                                                               const char * const  *pins);
void                  relay_smtp_session_set_allow_insecure   (RelaySmtpSession    *self,
                                                               gboolean             allow_insecure);

gboolean              relay_smtp_session_resolve              (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_connect              (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_handshake            (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_read_greeting        (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_ehlo                 (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_starttls             (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_authenticate         (RelaySmtpSession    *self,
                                                               RelayAuthMethod      method,
                                                               const char          *username,
                                                               const char          *secret,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_mail                 (RelaySmtpSession    *self,
                                                               const char          *from,
                                                               gsize                size,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_rcpt                 (RelaySmtpSession    *self,
                                                               const char          *recipient,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_envelope             (RelaySmtpSession    *self,
                                                               const char          *from,
                                                               const char * const  *recipients,
                                                               gsize                size,
                                                               GPtrArray          **replies,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_sends_with_envelope  (RelaySmtpSession    *self);
gboolean              relay_smtp_session_begin_message        (RelaySmtpSession    *self,
                                                               const char          *from,
                                                               const char * const  *recipients,
                                                               GBytes              *message,
                                                               GPtrArray          **replies,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_begin_message_write  (RelaySmtpSession    *self,
                                                               const char          *from,
                                                               const char * const  *recipients,
                                                               GBytes              *message,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_begin_message_read   (RelaySmtpSession    *self,
                                                               GPtrArray          **replies,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_send_data            (RelaySmtpSession    *self,
                                                               GBytes              *message,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_has_verdict_due      (RelaySmtpSession    *self);
gboolean              relay_smtp_session_has_unsent_data      (RelaySmtpSession    *self);
gboolean              relay_smtp_session_finish_data          (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_data                 (RelaySmtpSession    *self,
                                                               GBytes              *message,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_rset                 (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
gboolean              relay_smtp_session_quit                 (RelaySmtpSession    *self,
                                                               GCancellable        *cancellable,
                                                               GError             **error);
void                  relay_smtp_session_close                (RelaySmtpSession    *self);

gboolean              relay_smtp_session_is_connected         (RelaySmtpSession    *self);
gboolean              relay_smtp_session_is_encrypted         (RelaySmtpSession    *self);
gboolean              relay_smtp_session_has_capability       (RelaySmtpSession    *self,
                                                               const char          *keyword);
const char           *relay_smtp_session_get_address          (RelaySmtpSession    *self);
const char           *relay_smtp_session_get_greeting         (RelaySmtpSession    *self);
const char * const   *relay_smtp_session_get_capabilities     (RelaySmtpSession    *self);
const char * const   *relay_smtp_session_get_auth_mechanisms  (RelaySmtpSession    *self);
guint64               relay_smtp_session_get_size_limit       (RelaySmtpSession    *self);
RelayAuthMethod       relay_smtp_session_get_auth_used        (RelaySmtpSession    *self);
const RelaySmtpReply *relay_smtp_session_get_last_reply       (RelaySmtpSession    *self);
GTlsCertificate      *relay_smtp_session_get_peer_certificate (RelaySmtpSession    *self);
GTlsCertificateFlags  relay_smtp_session_get_peer_errors      (RelaySmtpSession    *self);
const char           *relay_smtp_session_get_peer_sha256      (RelaySmtpSession    *self);
gboolean              relay_smtp_session_get_pinned           (RelaySmtpSession    *self);
gboolean              relay_smtp_session_get_pin_refused      (RelaySmtpSession    *self);
const char           *relay_smtp_session_get_tls_version      (RelaySmtpSession    *self);
GStrv                 relay_smtp_session_dup_transcript       (RelaySmtpSession    *self);

char                 *relay_certificate_sha256                (GTlsCertificate     *certificate);

G_END_DECLS
