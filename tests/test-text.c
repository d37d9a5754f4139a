/* test-text.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Text from a server or a token, made fit to show: on one line for a
 * terminal, line by line for a window.
 */

#include "config.h"

#include "relay-text.h"

static void
test_one_line (void)
{
  struct {
    const char *text;
    gssize      length;
    const char *shown;
  } cases[] = {
    { "250 ok", -1, "250 ok" },
    { "\x1b]0;owned\x07" "ESMTP", -1, "\uFFFD]0;owned\uFFFDESMTP" },
    { "a\x1b[2K\r\u2713 ok", -1, "a\uFFFD[2K \u2713 ok" },
    { "\u202etxt.exe \u2066x\u2069 z\u200bw\u200e\u200f", -1,
      "\uFFFDtxt.exe \uFFFDx\uFFFD z\uFFFDw\uFFFD\uFFFD" },
    { "c1 \xc2\x9b" "2J del \x7f", -1, "c1 \uFFFD2J del \uFFFD" },
    { "one\ntwo\r\nthree", -1, "one two  three" },
    { "bad \xff utf-8", -1, "bad \uFFFD utf-8" },
    { "cut here", 3, "cut" },
    { NULL, -1, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = relay_text_for_display (cases[i].text, cases[i].length);

      g_assert_cmpstr (shown, ==, cases[i].shown);
    }
}

static void
test_lines (void)
{
  struct {
    const char *text;
    gssize      length;
    const char *shown;
  } cases[] = {
    { "554-5.7.1 first\r\n554 5.7.1 second", -1, "554-5.7.1 first\n554 5.7.1 second" },
    { "550 \x1b[31mno\x1b[0m such\ruser\b\n\u202eevil\u200b", -1,
      "550 \uFFFD[31mno\uFFFD[0m such user\uFFFD\n\uFFFDevil\uFFFD" },
    { "a\n\nb\n", -1, "a\n\nb\n" },
    { "\r\n", -1, "\n" },
    { "a\rb\r\r\nc", -1, "a b \nc" },
    { "keep\nthis\ncut", 9, "keep\nthis" },
    { "", -1, "" },
    { NULL, -1, "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = relay_text_for_display_lines (cases[i].text, cases[i].length);

      g_assert_cmpstr (shown, ==, cases[i].shown);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/text/one-line", test_one_line);
  g_test_add_func ("/text/lines", test_lines);

  return g_test_run ();
}
