/* relay-send-log-line.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What every reader of the send log makes of one line: blank, an entry
 * (with its status, and its time when asked) or not an entry. The
 * writer's own form is recognized on a fast path without parsing it; any
 * other line is first checked to be strict JSON, then parsed as an entry.
 */

#define G_LOG_DOMAIN "relay-send-log"

#include "config.h"

#if defined (__SSE2__) && !defined (RELAY_SEND_LOG_NO_SSE2)
#include <emmintrin.h>
#endif
#include <string.h>

#include "relay-send-log-private.h"

/* nesting that a line may have: json-glib recurses once a level */
#define MAX_DEPTH    128

/* Whether @line is strict JSON (RFC 8259) whose value is an object,
 * checked without recursion and with a bound on nesting: json-glib
 * parses recursively, so a line of 100,000 “[” would exhaust its stack,
 * and it accepts comments and other extensions that no other reader of
 * a JSON Lines file does. */
static const char *
skip_space (const char *p,
            const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    p++;
  return p;
}

/* @p is at the opening quote; returns what follows the closing one */
static const char *
skip_string (const char *p,
             const char *end)
{
  for (p++; p < end; p++)
    {
      guchar c = *p;

      if (c == '"')
        return p + 1;
      if (c < 0x20)
        return NULL;
      if (c != '\\')
        continue;

      if (++p >= end)
        return NULL;
      if (*p == 'u')
        {
          if (end - p < 5 || !g_ascii_isxdigit (p[1]) || !g_ascii_isxdigit (p[2]) ||
              !g_ascii_isxdigit (p[3]) || !g_ascii_isxdigit (p[4]))
            return NULL;
          p += 4;
        }
      else if (strchr ("\"\\/bfnrt", *p) == NULL || *p == '\0')
        return NULL;
    }

  return NULL;
}

static const char *
skip_digits (const char *p,
             const char *end)
{
  if (p >= end || !g_ascii_isdigit (*p))
    return NULL;
  while (p < end && g_ascii_isdigit (*p))
    p++;
  return p;
}

static const char *
skip_number (const char *p,
             const char *end)
{
  if (p < end && *p == '-')
    p++;
  if (p < end && *p == '0')
    p++;
  else if (p >= end || *p < '1' || *p > '9' || (p = skip_digits (p, end)) == NULL)
    return NULL;

  if (p < end && *p == '.' && (p = skip_digits (p + 1, end)) == NULL)
    return NULL;
  if (p < end && (*p == 'e' || *p == 'E'))
    {
      p++;
      if (p < end && (*p == '+' || *p == '-'))
        p++;
      p = skip_digits (p, end);
    }

  return p;
}

static const char *
skip_word (const char *p,
           const char *end,
           const char *word)
{
  gsize n = strlen (word);

  return (gsize)(end - p) >= n && memcmp (p, word, n) == 0 ? p + n : NULL;
}

gboolean
relay_send_log_line_is_object (const char *line,
                               gsize       length)
{
  const char *p = line, *end = line + length;
  char open[MAX_DEPTH];
  guint depth = 0;

  p = skip_space (p, end);
  if (p >= end || *p != '{')
    return FALSE;

  for (;;)
    {
      /* a value */
      p = skip_space (p, end);
      if (p >= end)
        return FALSE;

      if (*p == '{' || *p == '[')
        {
          if (depth == MAX_DEPTH)
            return FALSE;
          open[depth++] = *p;
          p = skip_space (p + 1, end);
          if (p < end && (*p == '}' || *p == ']') && *p == open[depth - 1] + 2)
            {
              depth--;
              p++;
            }
          else if (open[depth - 1] == '{')
            goto member;
          else
            continue;
        }
      else if (*p == '"')
        p = skip_string (p, end);
      else if (*p == 't')
        p = skip_word (p, end, "true");
      else if (*p == 'f')
        p = skip_word (p, end, "false");
      else if (*p == 'n')
        p = skip_word (p, end, "null");
      else
        p = skip_number (p, end);
      if (p == NULL)
        return FALSE;

      /* after a value: the next one, or the ends of its containers */
      for (;;)
        {
          p = skip_space (p, end);
          if (depth == 0)
            return p == end;
          if (p >= end)
            return FALSE;
          if (*p == ',')
            {
              p++;
              break;
            }
          if (*p != open[depth - 1] + 2)
            return FALSE;
          depth--;
          p++;
        }

      if (open[depth - 1] == '[')
        continue;

    member:
      p = skip_space (p, end);
      if (p >= end || *p != '"' || (p = skip_string (p, end)) == NULL)
        return FALSE;
      p = skip_space (p, end);
      if (p >= end || *p != ':')
        return FALSE;
      p++;
    }
}

/* The fast path: the writer's own form, exactly (relay-send-log.h), read
 * without building anything. It accepts only what the full parse accepts;
 * anything it is not sure of (another order or spacing, an escape \u, a
 * time it does not check itself) goes to the full parse. */
static gboolean
fast_literal (const char **p,
              const char  *end,
              const char  *text,
              gsize        n)
{
  if ((gsize)(end - *p) < n || memcmp (*p, text, n) != 0)
    return FALSE;

  *p += n;
  return TRUE;
}

#define FAST_LITERAL(p, end, text) fast_literal (p, end, text, sizeof text - 1)

/* How many bytes from @p on (of at least PLAIN_BLOCK) are not a quote,
 * a backslash, a control character or a byte that is not ASCII: sixteen
 * at a time with SSE2, else eight (each test exact about whether there is
 * one; RELAY_SEND_LOG_NO_SSE2 tests the second on x86) */
#if defined (__SSE2__) && !defined (RELAY_SEND_LOG_NO_SSE2)
#define PLAIN_BLOCK 16

static inline gsize
plain_prefix (const char *p)
{
  __m128i v, special;
  int mask;

  /* an unaligned load */
  memcpy (&v, p, sizeof v);
  /* signed: the bytes from 0x80 are below 0x20 too */
  special = _mm_or_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (v, _mm_set1_epi8 ('"')),
                                        _mm_cmpeq_epi8 (v, _mm_set1_epi8 ('\\'))),
                          _mm_cmplt_epi8 (v, _mm_set1_epi8 (0x20)));
  mask = _mm_movemask_epi8 (special);

  return mask == 0 ? PLAIN_BLOCK : (gsize)__builtin_ctz (mask);
}
#else
#define PLAIN_BLOCK 8
#define ONES  G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)

static inline gsize
plain_prefix (const char *p)
{
  guint64 w, quote, backslash;

  memcpy (&w, p, sizeof w);
  quote = w ^ (ONES * '"');
  backslash = w ^ (ONES * '\\');

  return (((quote - ONES) & ~quote) | ((backslash - ONES) & ~backslash) |
          ((w - ONES * 0x20) & ~w) | w) & HIGHS ? 0 : PLAIN_BLOCK;
}
#endif

/* A string without \u escapes, in UTF-8 (outside its strings, a line of
 * the writer's form is ASCII) */
static gboolean
fast_string (const char **p,
             const char  *end,
             const char **text,
             gsize       *length)
{
  const char *q = *p;
  gboolean non_ascii = FALSE;

  if (q >= end || *q != '"')
    return FALSE;

  for (q++; q < end; q++)
    {
      guchar c;

      while (end - q >= PLAIN_BLOCK)
        {
          gsize n = plain_prefix (q);

          q += n;
          if (n < PLAIN_BLOCK)
            break;
        }
      if (q >= end)
        break;

      c = *q;
      if (c == '"')
        break;
      if (c < 0x20)
        return FALSE;
      if (c >= 0x80)
        non_ascii = TRUE;
      else if (c == '\\')
        {
          if (++q >= end || *q == 'u' || *q == '\0' || strchr ("\"\\/bfnrt", *q) == NULL)
            return FALSE;
        }
    }
  if (q >= end || (non_ascii && !g_utf8_validate_len (*p + 1, q - (*p + 1), NULL)))
    return FALSE;

  if (text != NULL)
    {
      *text = *p + 1;
      *length = q - (*p + 1);
    }
  *p = q + 1;
  return TRUE;
}

static gboolean
fast_digits (const char *p,
             guint       n,
             guint       min,
             guint       max)
{
  guint value = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit (p[i]))
        return FALSE;
      value = value * 10 + (p[i] - '0');
    }

  return value >= min && value <= max;
}

/* “2026-11-28T02:50:00.123+00:00”, as relay_send_log_entry_to_line()
 * writes it, with values that g_date_time_new_from_iso8601() surely
 * takes */
gboolean
relay_send_log_line_is_time (const char *t,
                             gsize       length)
{
  guint year, month;

  if (length != TIME_LENGTH ||
      t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != '.' ||
      (t[23] != '+' && t[23] != '-') || t[26] != ':' ||
      !fast_digits (t, 4, 1970, 9998) || !fast_digits (t + 5, 2, 1, 12) ||
      !fast_digits (t + 11, 2, 0, 23) || !fast_digits (t + 14, 2, 0, 59) ||
      !fast_digits (t + 17, 2, 0, 59) || !fast_digits (t + 20, 3, 0, 999) ||
      !fast_digits (t + 24, 2, 0, 14) || !fast_digits (t + 27, 2, 0, 59))
    return FALSE;

  year = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
  month = (t[5] - '0') * 10 + (t[6] - '0');

  return fast_digits (t + 8, 2, 1, g_date_get_days_in_month (month, year));
}

static gboolean
fast_entry (const char       *line,
            gsize             length,
            RelaySendStatus  *status,
            const char      **time)
{
  const char *p = line, *end = line + length;
  const char *text;
  gsize n;
  guint64 attempt = 0;
  guint digits = 0;

  if (!FAST_LITERAL (&p, end, "{\"time\":") || !fast_string (&p, end, &text, &n) ||
      !relay_send_log_line_is_time (text, n))
    return FALSE;
  *time = text;

  if (!FAST_LITERAL (&p, end, ",\"message_id\":") || !fast_string (&p, end, NULL, NULL) ||
      !FAST_LITERAL (&p, end, ",\"status\":") || !fast_string (&p, end, &text, &n))
    return FALSE;

  *status = G_N_ELEMENTS (relay_send_status_names);
  for (guint i = 0; i < G_N_ELEMENTS (relay_send_status_names); i++)
    if (strlen (relay_send_status_names[i]) == n &&
        memcmp (relay_send_status_names[i], text, n) == 0)
      *status = i;
  if (*status == G_N_ELEMENTS (relay_send_status_names))
    return FALSE;

  if (!FAST_LITERAL (&p, end, ",\"recipients\":["))
    return FALSE;
  if (p < end && *p == '"')
    {
      do
        if (!fast_string (&p, end, NULL, NULL))
          return FALSE;
      while (FAST_LITERAL (&p, end, ","));
    }
  if (!FAST_LITERAL (&p, end, "]") ||
      !FAST_LITERAL (&p, end, ",\"subject\":") || !fast_string (&p, end, NULL, NULL) ||
      !FAST_LITERAL (&p, end, ",\"attempt\":"))
    return FALSE;

  /* a whole number without a leading zero, within a guint */
  for (; p < end && g_ascii_isdigit (*p) && digits < 11; p++, digits++)
    attempt = attempt * 10 + (*p - '0');
  if (digits == 0 || attempt > G_MAXUINT || (digits > 1 && *(p - digits) == '0'))
    return FALSE;

  if (!FAST_LITERAL (&p, end, ",\"reply\":") || !fast_string (&p, end, NULL, NULL))
    return FALSE;
  if (FAST_LITERAL (&p, end, ",\"account\":") && !fast_string (&p, end, NULL, NULL))
    return FALSE;
  if (FAST_LITERAL (&p, end, ",\"detail\":") && !fast_string (&p, end, NULL, NULL))
    return FALSE;
  if (FAST_LITERAL (&p, end, ",\"next_attempt\":") &&
      (!fast_string (&p, end, &text, &n) || !relay_send_log_line_is_time (text, n)))
    return FALSE;
  if (FAST_LITERAL (&p, end, ",\"source\":") && !fast_string (&p, end, NULL, NULL))
    return FALSE;

  return FAST_LITERAL (&p, end, "}") && p == end;
}

/* What every reader makes of a line: nothing (a blank line), an entry
 * (any JSON object that relay_send_log_entry_new_from_line() takes: the
 * writer's own form quickly, any other by parsing it) with its status
 * and, when @time is not %NULL, its time; or a line that is not an
 * entry, which readers count. */
LineKind
relay_send_log_classify_line (const char      *line,
                              gsize            length,
                              RelaySendStatus *status,
                              GDateTime      **time)
{
  g_autoptr(RelaySendLogEntry) entry = NULL;
  const char *time_text;

  if (skip_space (line, line + length) == line + length)
    return LINE_BLANK;

  if (length <= MAX_LINE && fast_entry (line, length, status, &time_text))
    {
      if (time != NULL)
        {
          char text[TIME_LENGTH + 1];

          memcpy (text, time_text, TIME_LENGTH);
          text[TIME_LENGTH] = '\0';
          *time = g_date_time_new_from_iso8601 (text, NULL);
          g_assert (*time != NULL);
        }
      return LINE_ENTRY;
    }

  entry = relay_send_log_entry_new_from_line (line, length, NULL);
  if (entry == NULL)
    return LINE_NOT_ENTRY;

  *status = relay_send_log_entry_get_status (entry);
  if (time != NULL)
    *time = g_date_time_ref (relay_send_log_entry_get_time (entry));
  return LINE_ENTRY;
}

/**
 * relay_send_log_line_get_status:
 * @line: one line of the log, without its newline
 * @status: (out): the entry's status
 *
 * Whether @line is an entry of the log, as every reader of the log
 * decides it (docs/send-log.md): any JSON object with the members of
 * relay-send-log.h, in any order and spacing. The writer's own form is
 * recognized without parsing it.
 *
 * Returns: %TRUE when @line is an entry, with @status set
 */
gboolean
relay_send_log_line_get_status (const char      *line,
                                gsize            length,
                                RelaySendStatus *status)
{
  g_return_val_if_fail (line != NULL || length == 0, FALSE);
  g_return_val_if_fail (status != NULL, FALSE);

  return relay_send_log_classify_line (line, length, status, NULL) == LINE_ENTRY;
}
