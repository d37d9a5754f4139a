/* relay-smtp-server-session.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The server side of one SMTP connection: EHLO, STARTTLS or implicit
 * TLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, with bounded lines,
 * recipients and message size and an idle timer. What is decided about
 * users and mail is the owner's, through RelaySmtpServerSessionCallbacks;
 * accepting connections is the owner's too. Reference counted; every
 * pending operation holds a reference, and the session runs on the main
 * context given to relay_smtp_server_session_new(). */
typedef struct _RelaySmtpServerSession RelaySmtpServerSession;

typedef struct
{
  /* "localhost": in the greeting, the EHLO reply and the 421 replies */
  const char      *host_name;
  /* the rest of the 220 greeting after the host name */
  const char      *greeting;
  /* offered by STARTTLS and used for implicit TLS; when set, AUTH, MAIL,
   * RCPT and DATA need TLS first. NULL: no STARTTLS, no TLS required */
  GTlsCertificate *certificate;
  /* announced by SIZE; a larger message gets 552 */
  guint64          size_limit;
  guint            max_recipients;
  /* the connection closes after this many failed AUTH attempts */
  guint            max_auth_failures;
  /* seconds of silence before 421, once signed in and before */
  guint            idle_timeout;
  guint            idle_timeout_anonymous;
} RelaySmtpServerConfig;

typedef struct
{
  /* Whether @username and @password (as the client sent them, not
   * NUL-terminated, possibly containing NUL) sign in. Called for every
   * attempt that decoded, so a wrong user name costs the same time as
   * a wrong password. Required. */
  gboolean (*authenticate)     (RelaySmtpServerSession  *session,
                                const char              *username,
                                gsize                    username_length,
                                const char              *password,
                                gsize                    password_length,
                                gpointer                 owner);
  /* Whether MAIL FROM:<@address> is accepted; when not, sets @reply to
   * the whole reply line (e.g. "550 5.7.1 …"). NULL accepts every sender. */
  gboolean (*accept_sender)    (RelaySmtpServerSession  *session,
                                const char              *address,
                                char                   **reply,
                                gpointer                 owner);
  /* The same for RCPT TO:<@address>. NULL accepts every recipient. */
  gboolean (*accept_recipient) (RelaySmtpServerSession  *session,
                                const char              *address,
                                char                   **reply,
                                gpointer                 owner);
  /* Takes a complete message (dot-stuffing undone, without the final "."
   * line) and returns the reply line for it, "250 …" once the message is
   * the owner's. The owner may stop the session from here. Required. */
  char    *(*take_message)     (RelaySmtpServerSession  *session,
                                const char              *from,
                                const char * const      *recipients,
                                GBytes                  *message,
                                gpointer                 owner);
  /* The session is closing: it calls nothing of the owner's after this
   * one. May be NULL. */
  void     (*closed)           (RelaySmtpServerSession  *session,
                                gpointer                 owner);
} RelaySmtpServerSessionCallbacks;

RelaySmtpServerSession *
relay_smtp_server_session_new (GSocketConnection                     *connection,
                               GMainContext                          *context,
                               gboolean                               implicit_tls,
                               const RelaySmtpServerConfig           *config,
                               const RelaySmtpServerSessionCallbacks *callbacks,
                               gpointer                               owner);

RelaySmtpServerSession *
relay_smtp_server_session_ref (RelaySmtpServerSession *session);

void                   relay_smtp_server_session_unref            (RelaySmtpServerSession *session);

void                   relay_smtp_server_session_start            (RelaySmtpServerSession *session);
void                   relay_smtp_server_session_refuse           (RelaySmtpServerSession *session);
void                   relay_smtp_server_session_close            (RelaySmtpServerSession *session);

gboolean               relay_smtp_server_session_is_authenticated (RelaySmtpServerSession *session);
gboolean               relay_smtp_server_session_is_closing       (RelaySmtpServerSession *session);
gint64                 relay_smtp_server_session_get_last_active  (RelaySmtpServerSession *session);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelaySmtpServerSession, relay_smtp_server_session_unref)

G_END_DECLS
