/* test-smtp-protocol.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The pieces of the SMTP engine that need no server: the reply parser,
 * DATA encoding, SASL initial responses and the test message.
 */

#include "config.h"

#include <string.h>

#include "relay-message.h"
#include "relay-sasl.h"
#include "relay-smtp-error.h"
#include "relay-smtp-reply.h"

static RelaySmtpReply *
feed_all (const char * const  *lines,
          GError             **error)
{
  g_autoptr(RelaySmtpReplyParser) parser = relay_smtp_reply_parser_new ();

  for (guint i = 0; lines[i]; i++)
    {
      RelaySmtpReply *reply = relay_smtp_reply_parser_feed (parser, lines[i], strlen (lines[i]), error);

      if (reply != NULL)
        {
          g_assert_null (lines[i + 1]);
          return reply;
        }
      if (error && *error)
        return NULL;
    }

  return NULL;
}

static void
test_reply_multiline (void)
{
  const char *lines[] = { "250-smtp.example.org Hello", "250-PIPELINING", "250-SIZE 35882577",
                          "250 AUTH LOGIN PLAIN XOAUTH2", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(RelaySmtpReply) reply = feed_all (lines, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_cmpuint (reply->code, ==, 250);
  g_assert_cmpuint (g_strv_length (reply->lines), ==, 4);
  g_assert_cmpstr (reply->lines[3], ==, "AUTH LOGIN PLAIN XOAUTH2");
  g_assert_cmpstr (relay_smtp_reply_get_text (reply), ==, "AUTH LOGIN PLAIN XOAUTH2");
  g_assert_cmpstr (reply->enhanced, ==, "");
  g_assert_true (relay_smtp_reply_is_positive (reply));

  text = relay_smtp_reply_to_string (reply);
  g_assert_cmpstr (text, ==, "250 smtp.example.org Hello\n250 PIPELINING\n250 SIZE 35882577\n250 AUTH LOGIN PLAIN XOAUTH2");
}

static void
test_reply_enhanced (void)
{
  static const struct { const char *line; guint code; const char *enhanced; } cases[] = {
    { "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled", 535, "5.7.139" },
    { "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException", 554, "5.2.0" },
    { "454 Throttling failure: Maximum sending rate exceeded.", 454, "" },
    { "432 4.3.2 Concurrent connections limit exceeded", 432, "4.3.2" },
    { "550 4.5.4 class mismatch", 550, "" },
    { "250 2.0.0", 250, "2.0.0" },
    { "220", 220, "" },
    { "550 5.7.1234 too long a detail", 550, "" },
    { "550 5.7.1x no", 550, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *lines[] = { cases[i].line, NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(RelaySmtpReply) reply = feed_all (lines, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (reply->code, ==, cases[i].code);
      g_assert_cmpstr (reply->enhanced, ==, cases[i].enhanced);
    }
}

static void
test_reply_malformed (void)
{
  static const char *bad[] = { "", "25", "abc hello", "250x", "150 informational", "650 no",
                               "2500 four digits", "250\tTAB" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      const char *lines[] = { bad[i], NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(RelaySmtpReply) reply = feed_all (lines, &error);

      g_assert_null (reply);
      g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_PROTOCOL);
    }

  /* a code that changes within a multi-line reply */
  {
    const char *lines[] = { "250-first", "251 second", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(RelaySmtpReply) reply = feed_all (lines, &error);

    g_assert_null (reply);
    g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_PROTOCOL);
  }

  /* a NUL byte inside a line */
  {
    g_autoptr(RelaySmtpReplyParser) parser = relay_smtp_reply_parser_new ();
    g_autoptr(GError) error = NULL;

    g_assert_null (relay_smtp_reply_parser_feed (parser, "250 a\0b", 7, &error));
    g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_PROTOCOL);
  }
}

static void
test_reply_bounds (void)
{
  g_autoptr(RelaySmtpReplyParser) parser = relay_smtp_reply_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *long_line = g_strnfill (RELAY_SMTP_MAX_LINE + 1, 'x');
  guint i;

  memcpy (long_line, "250 ", 4);
  g_assert_null (relay_smtp_reply_parser_feed (parser, long_line, strlen (long_line), &error));
  g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_LINE_TOO_LONG);
  g_clear_error (&error);

  /* an endless multi-line reply stops at the bound */
  for (i = 0; i < RELAY_SMTP_MAX_LINES + 10; i++)
    if (relay_smtp_reply_parser_feed (parser, "250-more", 8, &error) == NULL && error != NULL)
      break;
  g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_LINE_TOO_LONG);
  g_assert_cmpuint (i, ==, RELAY_SMTP_MAX_LINES);
  g_clear_error (&error);

  /* the parser starts afresh after an error */
  {
    g_autoptr(RelaySmtpReply) reply = relay_smtp_reply_parser_feed (parser, "221 bye", 7, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (reply->code, ==, 221);
  }
}

static void
assert_encoded (const char *input,
                const char *expected)
{
  g_autoptr(GBytes) message = g_bytes_new (input, strlen (input));
  g_autoptr(GBytes) encoded = relay_message_encode_data (message);
  g_autofree char *text = g_strndup (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded));

  g_assert_cmpstr (text, ==, expected);
}

static void
test_data_encoding (void)
{
  assert_encoded ("a\r\nb\r\n", "a\r\nb\r\n.\r\n");
  assert_encoded ("a\nb", "a\r\nb\r\n.\r\n");
  assert_encoded ("a\rb\r\n", "a\r\nb\r\n.\r\n");
  assert_encoded (".hidden\r\n", "..hidden\r\n.\r\n");
  assert_encoded ("x\n.\ny\n", "x\r\n..\r\ny\r\n.\r\n");
  assert_encoded ("x\r\n..two\r\n", "x\r\n...two\r\n.\r\n");
  assert_encoded ("not.at.start\r\n", "not.at.start\r\n.\r\n");
  assert_encoded ("", ".\r\n");
}

static void
assert_chunk (const char *input,
              const char *expected)
{
  g_autoptr(GBytes) message = g_bytes_new (input, strlen (input));
  g_autoptr(GBytes) encoded = relay_message_encode_chunk (message);
  g_autofree char *text = g_strndup (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded));

  g_assert_cmpstr (text, ==, expected);
}

/* BDAT (RFC 3030): line ends made CRLF, and nothing else: no dot doubled,
 * no end of data */
static void
test_chunk_encoding (void)
{
  assert_chunk ("a\r\nb\r\n", "a\r\nb\r\n");
  assert_chunk ("a\nb", "a\r\nb\r\n");
  assert_chunk ("a\rb\r\n", "a\r\nb\r\n");
  assert_chunk (".hidden\r\n", ".hidden\r\n");
  assert_chunk ("x\n.\ny\n", "x\r\n.\r\ny\r\n");
  assert_chunk ("8 bit: \xc3\xa9t\xc3\xa9\n", "8 bit: \xc3\xa9t\xc3\xa9\r\n");
  assert_chunk ("", "");
}

static void
test_sasl (void)
{
  char *plain = relay_sasl_plain ("user@example.org", "secret");
  char *xoauth2 = relay_sasl_xoauth2 ("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
  char *bearer = relay_sasl_oauthbearer ("user@example.com", "server.example.com", 587, "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==");
  gsize length;
  g_autofree guchar *decoded = g_base64_decode (plain, &length);

  g_assert_cmpuint (length, ==, 1 + 16 + 1 + 6);
  g_assert_cmpmem (decoded, length, "\0user@example.org\0secret", length);

  /* Google's documented example */
  g_assert_cmpstr (xoauth2, ==,
                   "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");

  /* RFC 7628 section 4.1, with port 587 */
  {
    g_autofree guchar *raw = g_base64_decode (bearer, &length);
    g_autofree char *text = g_strndup ((char *)raw, length);

    g_assert_cmpstr (text, ==, "n,a=user@example.com,\001host=server.example.com\001port=587\001"
                               "auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\001\001");
  }

  g_assert_cmpstr (relay_sasl_mechanism_name (RELAY_AUTH_METHOD_LOGIN), ==, "LOGIN");
  g_assert_null (relay_sasl_mechanism_name (RELAY_AUTH_METHOD_AUTO));

  relay_sasl_wipe (plain);
  relay_sasl_wipe (xoauth2);
  relay_sasl_wipe (bearer);
}

static void
test_test_message (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = relay_message_new_test ("a@example.org", "b@example.org", NULL, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  g_assert_true (g_str_has_prefix (text, "From: <a@example.org>\r\nTo: <b@example.org>\r\n"));
  g_assert_nonnull (strstr (text, "\r\nSubject: Mail Relay test message\r\n"));
  g_assert_nonnull (strstr (text, "@example.org>\r\n"));
  g_assert_nonnull (strstr (text, "\r\n\r\n"));
  g_assert_null (strstr (text, "\n\n"));

  /* CR or LF in a header value: refused before anything is built */
  g_assert_null (relay_message_new_test ("a@example.org\r\nBcc: x@y.z", "b@example.org", NULL, &error));
  g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT);
  g_clear_error (&error);
  g_assert_null (relay_message_new_test ("a@example.org", "b@example.org\nRCPT TO:<c@d.e>", NULL, &error));
  g_assert_error (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/smtp/reply/multiline", test_reply_multiline);
  g_test_add_func ("/smtp/reply/enhanced", test_reply_enhanced);
  g_test_add_func ("/smtp/reply/malformed", test_reply_malformed);
  g_test_add_func ("/smtp/reply/bounds", test_reply_bounds);
  g_test_add_func ("/smtp/data-encoding", test_data_encoding);
  g_test_add_func ("/smtp/chunk-encoding", test_chunk_encoding);
  g_test_add_func ("/smtp/sasl", test_sasl);
  g_test_add_func ("/smtp/test-message", test_test_message);

  return g_test_run ();
}
