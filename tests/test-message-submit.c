/* test-message-submit.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Reading a message composed elsewhere (src/core/relay-message-submit.c):
 * RFC 5322's address lists, with the examples of its appendix A, and
 * the header fields the sendmail entry removes and adds.
 */

#include "config.h"

#include <string.h>

#include "relay-message.h"

static void
assert_list (const char         *value,
             const char * const *expected)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) addresses = relay_message_parse_address_list ("To", value, &error);

  g_assert_no_error (error);
  g_assert_nonnull (addresses);
  if (!g_strv_equal ((const char * const *)addresses, expected))
    {
      g_autofree char *got = g_strjoinv ("|", addresses);
      g_autofree char *want = g_strjoinv ("|", (GStrv)expected);

      g_error ("“%s”: got %s, expected %s", value, got, want);
    }
}

static void
assert_refused (const char *value)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) addresses = relay_message_parse_address_list ("Cc", value, &error);

  if (addresses != NULL)
    g_error ("“%s” was read as an address list", value);
  g_assert_nonnull (error);
  /* the message names the field */
  g_assert_true (g_str_has_prefix (error->message, "Cc: "));
}

static void
test_address_lists (void)
{
  /* RFC 5322 appendix A.1.1, A.1.2, A.1.3 */
  assert_list ("John Doe <jdoe@machine.example>", (const char *[]){ "jdoe@machine.example", NULL });
  assert_list ("Mary Smith <mary@example.net>", (const char *[]){ "mary@example.net", NULL });
  assert_list ("\"Joe Q. Public\" <john.q.public@example.com>",
               (const char *[]){ "john.q.public@example.com", NULL });
  assert_list ("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
               (const char *[]){ "mary@x.test", "jdoe@example.org", "one@y.test", NULL });
  assert_list ("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
               (const char *[]){ "boss@nil.test", "sysservices@example.net", NULL });
  assert_list ("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
               (const char *[]){ "c@a.test", "joe@where.test", "jdoe@one.test", NULL });
  assert_list ("Undisclosed recipients:;", (const char *[]){ NULL });
  /* A.5: comments and folding white space everywhere */
  assert_list ("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
               (const char *[]){ "pete@silly.test", NULL });
  assert_list ("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
               "         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend); (the end of the group)",
               (const char *[]){ "c@public.example", "joe@example.org", "jdoe@one.test", NULL });
  assert_list ("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;", (const char *[]){ NULL });
  /* A.6: obsolete forms: a source route, CFWS around dots, empty members */
  assert_list ("Joe Q. Public <john.q.public@example.com>", (const char *[]){ "john.q.public@example.com", NULL });
  assert_list ("<@machine.tld:mary@example.net>, , jdoe@test  . example",
               (const char *[]){ "mary@example.net", "jdoe@test.example", NULL });
  /* a display name with a comma, a quoted local part, a domain literal */
  assert_list ("\"Doe, Jane\" <jane@example.org>, \"john doe\"@example.org, x@[192.0.2.1]",
               (const char *[]){ "jane@example.org", "\"john doe\"@example.org", "x@[192.0.2.1]", NULL });
  /* encoded words and UTF-8 (RFC 6532) in names and addresses */
  assert_list ("=?UTF-8?Q?Zo=C3=AB?= <zoe@example.org>, Zoë <zoë@exämple.org>",
               (const char *[]){ "zoe@example.org", "zoë@exämple.org", NULL });
  assert_list ("", (const char *[]){ NULL });
}

static void
test_address_lists_refused (void)
{
  assert_refused ("\"unterminated <a@example.org>");
  assert_refused ("<a@example.org");
  assert_refused ("Name a@example.org");
  assert_refused ("a@example.org b@example.org");
  assert_refused ("(unterminated comment a@example.org");
  assert_refused ("Group: a@example.org");
  assert_refused ("<>");
  assert_refused ("a@");
  assert_refused ("@example.org");
  assert_refused ("a@[1.2.3.4");
  assert_refused ("G1: G2: a@example.org;;");
}

static RelaySubmission *
parse (const char  *text,
       GError     **error)
{
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return relay_submission_parse (bytes, error);
}

static void
test_submission (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelaySubmission) submission = parse ("From Ann Mon Jan  1 00:00:00 2026\n"
                                                 "From: Ann <ann@example.org>\n"
                                                 "To: b@example.org,\n"
                                                 " c@example.org\n"
                                                 "bcc: hidden@example.org\n"
                                                 "Resent-Bcc: other@example.org\n"
                                                 "Subject: a folded\n"
                                                 "\tsubject\n"
                                                 "\n"
                                                 "Bcc: in the body stays\n", &error);
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 12, 3, 9, 41, 5);
  g_autoptr(GBytes) message = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (relay_submission_get_from (submission), ==, "ann@example.org");
  g_assert_cmpstr (relay_submission_get_subject (submission), ==, "a folded subject");
  g_assert_true (g_strv_equal (relay_submission_get_recipients (submission),
                               (const char *[]){ "b@example.org", "c@example.org", "hidden@example.org", NULL }));

  message = relay_submission_finish (submission, "ann@example.org", "Not Used", now, &message_id);
  text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  g_assert_true (g_str_has_suffix (message_id, "@example.org"));
  g_assert_true (g_str_has_prefix (text, "From: Ann <ann@example.org>\r\nTo: b@example.org,\r\n c@example.org\r\n"
                                         "Subject: a folded\r\n\tsubject\r\nDate: Thu, 3 Dec 2026 09:41:05 +0000\r\n"));
  g_assert_nonnull (strstr (text, "\r\nMessage-ID: <"));
  g_assert_true (g_str_has_suffix (text, ">\r\n\r\nBcc: in the body stays\r\n"));
  g_assert_null (strstr (text, "hidden@"));
  g_assert_null (strstr (text, "other@"));
  g_assert_null (strstr (text, "From Ann"));
}

static void
test_submission_adds_from (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RelaySubmission) submission = parse ("Message-ID: <own@example.org>\r\n"
                                                 "Date: Mon, 1 Jan 2026 00:00:00 +0000\r\n"
                                                 "\r\nbody", &error);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  struct { const char *name, *from; } cases[] = {
    { NULL, "From: ann@example.org\r\n" },
    { "Ann Example", "From: Ann Example <ann@example.org>\r\n" },
    { "Example, Ann \"A\"", "From: \"Example, Ann \\\"A\\\"\" <ann@example.org>\r\n" },
    { "Zoë", "From: =?UTF-8?B?Wm/Dqw==?= <ann@example.org>\r\n" },
  };

  g_assert_no_error (error);
  g_assert_null (relay_submission_get_from (submission));
  g_assert_cmpstr (relay_submission_get_subject (submission), ==, "");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *message_id = NULL;
      g_autoptr(GBytes) message = relay_submission_finish (submission, "ann@example.org", cases[i].name, now,
                                                           &message_id);
      g_autofree char *text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
      g_autofree char *expected = g_strconcat ("Message-ID: <own@example.org>\r\n"
                                               "Date: Mon, 1 Jan 2026 00:00:00 +0000\r\n",
                                               cases[i].from, "\r\nbody\r\n", NULL);

      g_assert_cmpstr (message_id, ==, "own@example.org");
      g_assert_cmpstr (text, ==, expected);
    }
}

static void
test_submission_refused (void)
{
  const char *messages[] = {
    "",
    "no header here\n\nbody\n",
    " folded first\nSubject: s\n\n",
    "\nbody without a header\n",
    "Subject: a\0b\n\n",
    "From: <broken\n\n",
    "From: Team:;\n\n",
    "To: a@example.org b@example.org\n\n",
    "Message-ID: <a b@example.org>\n\n",
    "Message-ID: <no-at-sign>\n\n",
    "Message-ID: id@example.org\n\n",
    ": no name\n\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(GError) error = NULL;
      /* the NUL one is given with its length: "Subject: a", NUL, "b\n\n" */
      gsize length = i == 4 ? 14 : strlen (messages[i]);
      g_autoptr(GBytes) bytes = g_bytes_new (messages[i], length);
      g_autoptr(RelaySubmission) submission = relay_submission_parse (bytes, &error);

      if (submission != NULL)
        g_error ("message %u was read", i);
      g_assert_nonnull (error);
    }
}

static void
test_long_header_line (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fill = g_strnfill (998 - 9, 'x');
  /* 998 characters, and one more */
  g_autofree char *ok_line = g_strdup_printf ("Subject: %s\n\n", fill);
  g_autofree char *long_line = g_strdup_printf ("Subject: %sx\n\n", fill);
  g_autoptr(RelaySubmission) ok = parse (ok_line, &error);
  g_autoptr(RelaySubmission) refused = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (ok);
  refused = parse (long_line, &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/message-submit/address-lists", test_address_lists);
  g_test_add_func ("/message-submit/address-lists-refused", test_address_lists_refused);
  g_test_add_func ("/message-submit/submission", test_submission);
  g_test_add_func ("/message-submit/adds-from", test_submission_adds_from);
  g_test_add_func ("/message-submit/refused", test_submission_refused);
  g_test_add_func ("/message-submit/long-header-line", test_long_header_line);

  return g_test_run ();
}
