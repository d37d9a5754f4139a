/* fuzz-smtp-reply.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What a server sends, split into lines the way the session reads them,
 * through the reply parser and on to everything that reads a reply. */

#include "config.h"

#include <string.h>

#include "relay-diagnosis.h"
#include "relay-smtp-error.h"
#include "relay-smtp-reply.h"

#include "fuzz-common.h"

static void
check_reply (const RelaySmtpReply *reply)
{
  g_autoptr(RelaySmtpReply) copy = relay_smtp_reply_copy (reply);
  g_autofree char *text = relay_smtp_reply_to_string (copy);
  g_autofree char *code = g_strdup_printf ("%u ", reply->code);

  g_assert (g_str_has_prefix (text, code));
  g_assert (reply->code >= 200 && reply->code <= 599);
  g_assert (reply->lines != NULL && reply->lines[0] != NULL);
  g_assert (reply->enhanced != NULL);
  g_assert (relay_smtp_reply_is_positive (copy) == (reply->code < 400));
  g_assert (g_str_equal (relay_smtp_reply_get_text (copy),
                         copy->lines[g_strv_length (copy->lines) - 1]));
}

/* The diagnosis walks a table of rules: for the last reply only, which is
 * as much coverage for a fraction of the time */
static void
diagnose_reply (const RelaySmtpReply *reply)
{
  g_autofree char *text = relay_smtp_reply_to_string (reply);
  g_autoptr(RelayDiagnosis) by_reply = NULL;
  g_autoptr(RelayDiagnosis) by_error = NULL;
  g_autoptr(GError) error = NULL;

  by_reply = relay_diagnose_reply ("rcpt", reply->code,
                                   reply->enhanced[0] ? reply->enhanced : NULL,
                                   relay_smtp_reply_get_text (reply));
  /* the session turns a refused reply into an error whose message is the reply */
  error = g_error_new_literal (RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY, text);
  by_error = relay_diagnose_error ("mail", error);
  g_assert (by_reply->message != NULL && by_error->message != NULL);
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(RelaySmtpReplyParser) parser = relay_smtp_reply_parser_new ();
  g_autoptr(RelaySmtpReply) last = NULL;
  const char *p = (const char *)data;
  const char *end = p + size;

  fuzz_init ();

  while (p < end)
    {
      gsize available = end - p;
      const char *newline = memchr (p, '\n', MIN (available, RELAY_SMTP_MAX_LINE + 2));
      RelaySmtpReply *reply;
      g_autoptr(GError) error = NULL;
      g_autofree char *line = NULL;
      gsize length;

      /* as read_line() in relay-smtp-session.c: no newline is a closed
       * connection or a line too long, both the end of the session */
      if (newline == NULL)
        break;

      length = newline - p;
      if (length > 0 && p[length - 1] == '\r')
        length--;
      /* exactly the line's bytes, with no nul after them */
      line = g_memdup2 (p, length);
      p = newline + 1;

      reply = relay_smtp_reply_parser_feed (parser, line, length, &error);
      g_assert (reply == NULL || error == NULL);
      if (reply != NULL)
        {
          check_reply (reply);
          g_clear_pointer (&last, relay_smtp_reply_free);
          last = reply;
        }
      else if (error != NULL)
        g_assert (error->domain == RELAY_SMTP_ERROR && error->message[0] != '\0');
    }

  if (last != NULL)
    diagnose_reply (last);

  return 0;
}
