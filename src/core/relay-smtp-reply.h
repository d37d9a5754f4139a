/* relay-smtp-reply.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Bounds from RFC 5321 4.5.3.1, with room for servers that exceed them */
#define RELAY_SMTP_MAX_LINE   2048
#define RELAY_SMTP_MAX_LINES  128

typedef struct
{
  guint   code;      /* 200 to 599 */
  char   *enhanced;  /* RFC 3463 code such as "5.7.139", or "" */
  GStrv   lines;     /* the text of each line, after "NNN-" / "NNN " */
} RelaySmtpReply;

typedef struct _RelaySmtpReplyParser RelaySmtpReplyParser;

#define RELAY_TYPE_SMTP_REPLY (relay_smtp_reply_get_type ())

GType                 relay_smtp_reply_get_type      (void) G_GNUC_CONST;
RelaySmtpReply       *relay_smtp_reply_copy          (const RelaySmtpReply *reply);
void                  relay_smtp_reply_free          (RelaySmtpReply       *reply);
char                 *relay_smtp_reply_to_string     (const RelaySmtpReply *reply);
const char           *relay_smtp_reply_get_text      (const RelaySmtpReply *reply);
gboolean              relay_smtp_reply_is_positive   (const RelaySmtpReply *reply);

RelaySmtpReplyParser *relay_smtp_reply_parser_new    (void);
void                  relay_smtp_reply_parser_free   (RelaySmtpReplyParser *parser);
RelaySmtpReply       *relay_smtp_reply_parser_feed   (RelaySmtpReplyParser *parser,
                                                      const char           *line,
                                                      gsize                 length,
                                                      GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelaySmtpReply, relay_smtp_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelaySmtpReplyParser, relay_smtp_reply_parser_free)

G_END_DECLS
