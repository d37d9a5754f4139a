/* relay-smtp-server-session-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the two halves of RelaySmtpServerSession share: the connection's
 * I/O and life (relay-smtp-server-session.c) and the SMTP commands
 * (relay-smtp-server-commands.c). */

#pragma once

#include "relay-smtp-server-session.h"

G_BEGIN_DECLS

typedef enum
{
  NEXT_CONTINUE,
  NEXT_CLOSE,
  NEXT_STARTTLS,
} NextStep;

typedef enum
{
  STATE_COMMAND,
  STATE_AUTH_PLAIN,
  STATE_AUTH_LOGIN_USER,
  STATE_AUTH_LOGIN_PASSWORD,
  STATE_DATA,
} ConnectionState;

/* One client, reference counted (g_rc_box): every pending operation holds
 * a reference, and so does the owner's list until the connection closes. */
struct _RelaySmtpServerSession
{
  const RelaySmtpServerSessionCallbacks *callbacks;
  gpointer            owner;           /* not a reference; NULL once closing */
  RelaySmtpServerConfig config;        /* a copy: its strings and certificate owned */

  GMainContext       *context;
  GSocketConnection  *tcp;
  GIOStream          *stream;          /* tcp, or the TLS connection over it */
  GCancellable       *cancellable;
  GSource            *idle;
  gint64              last_active;     /* monotonic µs */

  GByteArray         *input;
  gsize               input_pos;
  gsize               read_base;
  GString            *output;
  NextStep            next;

  gboolean            implicit_tls;
  gboolean            refused;
  gboolean            tls;
  gboolean            greeted;
  gboolean            authenticated;
  char               *login_user;      /* AUTH LOGIN's user name, until its password */
  gsize               login_user_length;
  gboolean            reading;
  gboolean            writing;
  gboolean            expiring;
  gboolean            closing;
  guint               auth_failures;
  ConnectionState     state;

  char               *from;
  GPtrArray          *recipients;
  GByteArray         *message;
  gboolean            data_line_start;
  gboolean            data_too_big;
};

void     _relay_smtp_server_reply             (RelaySmtpServerSession *conn,
                                               NextStep                next,
                                               const char             *format,
                                               ...) G_GNUC_PRINTF (3, 4);
void     _relay_smtp_server_touch             (RelaySmtpServerSession *conn);
void     _relay_smtp_server_reset_transaction (RelaySmtpServerSession *conn);

void     _relay_smtp_server_handle_line       (RelaySmtpServerSession *conn,
                                               char                   *line);
gboolean _relay_smtp_server_consume_data      (RelaySmtpServerSession *conn);
void     _relay_smtp_server_finish_data       (RelaySmtpServerSession *conn);

G_END_DECLS
