/* relay-text.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Text that came from a server or a token, made fit to show: a greeting
 * with escape sequences could otherwise retitle a terminal, move its
 * cursor and overwrite a “✗ auth” line with a forged “✓”, and
 * bidirectional controls could show a reply in another order than it was
 * sent (docs/security.md).
 */

#include "config.h"

#include <string.h>

#include "relay-text.h"

/**
 * relay_text_for_display:
 * @text: (nullable): text from outside, not necessarily UTF-8
 * @length: its length in bytes, or -1 when nul-terminated
 *
 * Replaces every C0 and C1 control character (escape, backspace, bell
 * among them) and every Unicode format character (the bidirectional
 * embeddings, overrides and isolates U+202A–202E and U+2066–2069, the
 * zero-width U+200B–200F, U+FEFF) with U+FFFD, and invalid UTF-8
 * likewise; a tab, a carriage return and the line breaks become spaces.
 *
 * Returns: (transfer full): one line of text, safe to print or show
 */
char *
relay_text_for_display (const char *text,
                        gssize      length)
{
  g_autofree char *valid = NULL;
  GString *out;

  if (text == NULL)
    return g_strdup ("");

  valid = g_utf8_make_valid (text, length);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      /* a line break or a tab cannot move the cursor back over what was
       * printed when it is a space; the rest is shown as what it is */
      if (c == '\t' || c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029)
        g_string_append_c (out, ' ');
      else if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
        g_string_append_unichar (out, 0xFFFD);
      else
        g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}

/**
 * relay_text_for_display_lines:
 * @text: (nullable): text from outside, not necessarily UTF-8
 * @length: its length in bytes, or -1 when nul-terminated
 *
 * Like relay_text_for_display(), but keeps the lines of @text apart: each
 * line (ended by a line feed, or a carriage return and a line feed) is made
 * fit to show on its own, and the lines are joined by line feeds. A
 * carriage return anywhere else becomes a space, as in one line. For a
 * widget that shows a reply of several lines; never for a terminal.
 *
 * Returns: (transfer full): the lines, safe to show
 */
char *
relay_text_for_display_lines (const char *text,
                              gssize      length)
{
  g_autofree char *copy = NULL;
  g_auto(GStrv) lines = NULL;
  GString *out;

  if (text == NULL)
    return g_strdup ("");

  /* a nul inside @length ends the text, as for relay_text_for_display() */
  copy = length < 0 ? g_strdup (text) : g_strndup (text, length);
  lines = g_strsplit (copy, "\n", -1);
  out = g_string_sized_new (strlen (copy));

  for (guint i = 0; lines[i] != NULL; i++)
    {
      gsize n = strlen (lines[i]);
      g_autofree char *line = NULL;

      if (n > 0 && lines[i][n - 1] == '\r')
        n--;
      line = relay_text_for_display (lines[i], n);
      g_string_append_printf (out, "%s%s", i ? "\n" : "", line);
    }

  return g_string_free (out, FALSE);
}
