/* test-message.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The message composer, read back by decoders written here from the RFCs
 * (tests/test-message-cli.py reads what the outbox sends with Python's
 * strict email parser).
 */

#include "config.h"

#include <string.h>

#include "relay-message-private.h"
#include "relay-message.h"

/* The header block's lines (without CRLF); every line must end in CRLF */
static GStrv
split_lines (const char *text)
{
  g_auto(GStrv) lines = NULL;
  guint n;

  g_assert_true (g_str_has_suffix (text, "\r\n"));
  lines = g_strsplit (text, "\r\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpstr (lines[n - 1], ==, "");
  g_clear_pointer (&lines[n - 1], g_free);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_null (strpbrk (lines[i], "\r\n"));

  return g_steal_pointer (&lines);
}

static int
hex_value (char c)
{
  g_assert_true (g_ascii_isxdigit (c));
  g_assert_false (g_ascii_islower (c));  /* RFC 2045 6.7 (1): uppercase */
  return g_ascii_xdigit_value (c);
}

/* RFC 2047 4.1 and 4.2, for the UTF-8 words the composer writes */
static void
decode_word (GString    *out,
             const char *word)
{
  gsize length = strlen (word);
  g_autofree char *text = NULL;

  g_assert_cmpuint (length, <=, 75);
  g_assert_true (g_str_has_suffix (word, "?="));
  if (g_str_has_prefix (word, "=?UTF-8?B?"))
    {
      gsize size;
      g_autofree guchar *bytes = NULL;

      text = g_strndup (word + 10, length - 12);
      bytes = g_base64_decode (text, &size);
      /* each word holds whole characters */
      g_assert_true (g_utf8_validate ((const char *) bytes, size, NULL));
      g_string_append_len (out, (const char *) bytes, size);
    }
  else
    {
      GString *bytes = g_string_new (NULL);

      g_assert_true (g_str_has_prefix (word, "=?UTF-8?Q?"));
      text = g_strndup (word + 10, length - 12);
      for (const char *p = text; *p != '\0'; p++)
        {
          if (*p == '=')
            {
              g_string_append_c (bytes, hex_value (p[1]) << 4 | hex_value (p[2]));
              p += 2;
            }
          else if (*p == '_')
            g_string_append_c (bytes, ' ');
          else
            {
              g_assert_true (g_ascii_isalnum (*p) || strchr ("!*+-/", *p) != NULL);
              g_string_append_c (bytes, *p);
            }
        }
      g_assert_true (g_utf8_validate (bytes->str, bytes->len, NULL));
      g_string_append_len (out, bytes->str, bytes->len);
      g_string_free (bytes, TRUE);
    }
}

/* Checks @header's lines and returns its value, unfolded and decoded */
static char *
read_header (const char *header,
             const char *name,
             gsize       max_line)
{
  g_auto(GStrv) lines = split_lines (header);
  g_autofree char *prefix = g_strdup_printf ("%s:", name);
  g_autofree char *unfolded = NULL;
  g_auto(GStrv) words = NULL;
  GString *out = g_string_new (NULL);
  GString *joined = g_string_new (NULL);

  g_assert_true (g_str_has_prefix (lines[0], prefix));
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_assert_cmpuint (strlen (lines[i]), <=, max_line);
      for (const char *p = lines[i]; *p != '\0'; p++)
        g_assert_true ((*p >= 0x20 && *p <= 0x7e) || *p == '\t');
      /* a continuation starts with whitespace and is not all whitespace */
      if (i > 0)
        {
          g_assert_true (lines[i][0] == ' ' || lines[i][0] == '\t');
          g_assert_cmpuint (strspn (lines[i], " \t"), <, strlen (lines[i]));
        }
      g_string_append (joined, lines[i]);
    }
  unfolded = g_string_free (joined, FALSE);

  if (strstr (unfolded, "=?") == NULL)
    {
      g_string_free (out, TRUE);
      return g_strdup (unfolded[strlen (prefix)] == ' ' ? unfolded + strlen (prefix) + 1
                                                        : unfolded + strlen (prefix));
    }

  /* whitespace between encoded-words is not part of the text */
  words = g_strsplit (unfolded + strlen (prefix), " ", -1);
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      decode_word (out, words[i]);

  return g_string_free (out, FALSE);
}

static char *
text_header (const char *name,
             const char *value)
{
  GString *out = g_string_new (NULL);

  relay_message_append_text_header (out, name, value);
  return g_string_free (out, FALSE);
}

static void
test_chinese_subject (void)
{
  static const char *pieces[] = { "关于", "下周", "会议", "的安排", "，", "请", "查收附件", "并回复", "。" };
  GString *subject = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autofree char *header = NULL;
  g_autofree char *decoded = NULL;
  g_auto(GStrv) lines = NULL;

  for (guint i = 0; g_utf8_strlen (subject->str, -1) < 400; i++)
    g_string_append (subject, pieces[i % G_N_ELEMENTS (pieces)]);
  text = g_utf8_substring (subject->str, 0, 400);
  g_string_free (subject, TRUE);
  g_assert_cmpint (g_utf8_strlen (text, -1), ==, 400);

  header = text_header ("Subject", text);
  lines = split_lines (header);
  g_assert_cmpuint (g_strv_length (lines), >, 20);
  /* B is shorter than Q for Chinese */
  g_assert_nonnull (strstr (header, "=?UTF-8?B?"));
  g_assert_null (strstr (header, "=?UTF-8?Q?"));
  decoded = read_header (header, "Subject", 78);
  g_assert_cmpstr (decoded, ==, text);
}

static void
test_encoded_words (void)
{
  static const struct {
    const char *text;
    gboolean    encoded;
  } subjects[] = {
    { "Café crème brûlée — déjà vu", TRUE },
    { "Grüße", TRUE },
    { "_=?=_ question? under_score", TRUE },
    { "=?UTF-8?B?aGVsbG8=?=", TRUE },  /* looks like an encoded-word */
    { "tab\there and a\x01 control", TRUE },
    { "😀🎉👍🚀 four-byte characters 😀🎉👍🚀😀🎉👍🚀😀🎉👍🚀😀🎉👍🚀😀🎉👍🚀😀🎉👍🚀", TRUE },
    { "Ελληνικά και русский и 日本語 mixed with English words for a long line", TRUE },
    { "tab\there, no control", FALSE },
    { "  leading and trailing spaces  ", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (subjects); i++)
    {
      g_autofree char *header = text_header ("Subject", subjects[i].text);
      g_autofree char *decoded = read_header (header, "Subject", 78);

      g_test_message ("%s", header);
      g_assert_true ((strstr (header, "=?UTF-8?") != NULL) == subjects[i].encoded);
      g_assert_cmpstr (decoded, ==, subjects[i].text);
    }

  /* B or Q, whichever is shorter: Q for mostly ASCII, B for the rest */
  {
    g_autofree char *q = text_header ("Subject", "Re: meeting notes for Tuesday – final");
    g_autofree char *b = text_header ("Subject", "Grüße");

    g_assert_cmpstr (q, ==,
                     "Subject: =?UTF-8?Q?Re=3A_meeting_notes_for_Tuesday_=E2=80=93_final?=\r\n");
    g_assert_cmpstr (b, ==, "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n");
  }

  /* a long field name still leaves room for whole characters */
  {
    g_autofree char *name = g_strnfill (70, 'X');
    g_autofree char *header = text_header (name, "日本語のテキスト");
    g_autofree char *decoded = read_header (header, name, 78);

    g_assert_cmpstr (decoded, ==, "日本語のテキスト");
  }
}

static void
test_header_folding (void)
{
  g_autofree char *header = NULL;
  g_autofree char *decoded = NULL;
  g_autofree char *word = NULL;
  g_autofree char *expected = NULL;
  g_auto(GStrv) lines = NULL;
  GString *text = g_string_new (NULL);
  g_autofree char *long_text = NULL;

  /* short ASCII: one line, as it is */
  header = text_header ("Subject", "Quarterly report");
  g_assert_cmpstr (header, ==, "Subject: Quarterly report\r\n");
  g_clear_pointer (&header, g_free);
  header = text_header ("Subject", "");
  g_assert_cmpstr (header, ==, "Subject:\r\n");
  g_clear_pointer (&header, g_free);

  /* long ASCII: folded at whitespace, no line over 78, unfolds exactly */
  for (guint i = 0; i < 60; i++)
    g_string_append_printf (text, "word%u %s", i, i % 7 == 0 ? " " : "");
  long_text = g_string_free (text, FALSE);
  header = text_header ("Subject", long_text);
  g_assert_null (strstr (header, "=?"));
  lines = split_lines (header);
  g_assert_cmpuint (g_strv_length (lines), >, 5);
  decoded = read_header (header, "Subject", 78);
  g_assert_cmpstr (decoded, ==, long_text);
  g_clear_pointer (&header, g_free);
  g_clear_pointer (&decoded, g_free);

  /* a word that fits in 998 but not 78 stays whole on its own line */
  word = g_strnfill (200, 'a');
  g_free (long_text);
  long_text = g_strdup_printf ("short %s end", word);
  header = text_header ("Subject", long_text);
  expected = g_strdup_printf ("Subject: short\r\n %s\r\n end\r\n", word);
  g_assert_cmpstr (header, ==, expected);
  g_clear_pointer (&header, g_free);
  g_clear_pointer (&word, g_free);

  /* a word longer than a line may be: encoded-words, each line ≤ 78 */
  word = g_strnfill (2000, 'b');
  header = text_header ("Subject", word);
  decoded = read_header (header, "Subject", 78);
  g_assert_cmpstr (decoded, ==, word);
  g_clear_pointer (&header, g_free);
  g_clear_pointer (&decoded, g_free);

  /* many recipients: folded after commas */
  {
    g_autoptr(GPtrArray) to = g_ptr_array_new_with_free_func (g_free);
    g_auto(GStrv) list_lines = NULL;
    GString *out = g_string_new (NULL);
    g_autofree char *list = NULL;
    GString *unfolded = g_string_new (NULL);

    for (guint i = 0; i < 100; i++)
      g_ptr_array_add (to, g_strdup_printf ("recipient-%u@example.org", i));
    g_ptr_array_add (to, NULL);
    relay_message_append_address_header (out, "To", (const char * const *) to->pdata);
    list = g_string_free (out, FALSE);
    list_lines = split_lines (list);
    for (guint i = 0; list_lines[i] != NULL; i++)
      {
        g_assert_cmpuint (strlen (list_lines[i]), <=, 78);
        g_string_append (unfolded, list_lines[i]);
      }
    g_assert_cmpuint (g_strv_length (list_lines), >, 20);
    g_assert_true (g_str_has_prefix (unfolded->str,
                                     "To: <recipient-0@example.org>, <recipient-1@example.org>,"));
    g_assert_true (g_str_has_suffix (unfolded->str, ", <recipient-99@example.org>"));
    /* ten one-digit numbers, no comma after the last */
    g_assert_cmpuint (unfolded->len, ==,
                      strlen ("To:") + 100 * strlen (" <recipient-NN@example.org>,") - 10 - 1);
    g_string_free (unfolded, TRUE);
  }
}

/* RFC 2045 6.7, strictly: checks the encoding rules and decodes */
static GString *
decode_qp (const char *text)
{
  g_auto(GStrv) lines = split_lines (text);
  GString *out = g_string_new (NULL);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      gsize length = strlen (line);
      gboolean soft = length > 0 && line[length - 1] == '=';

      g_assert_cmpuint (length, <=, 76);
      /* no literal whitespace before a hard break; nothing a transport or
       * SMTP could alter at the start of a line */
      if (!soft && length > 0)
        g_assert_false (line[length - 1] == ' ' || line[length - 1] == '\t');
      g_assert_false (line[0] == '.');
      g_assert_false (g_str_has_prefix (line, "From "));

      for (gsize j = 0; j < length - soft; j++)
        {
          guchar c = line[j];

          if (c == '=')
            {
              g_assert_cmpuint (j + 2, <, length - soft);
              g_string_append_c (out, hex_value (line[j + 1]) << 4 | hex_value (line[j + 2]));
              j += 2;
            }
          else
            {
              g_assert_true ((c >= 33 && c <= 126) || c == ' ' || c == '\t');
              g_string_append_c (out, c);
            }
        }
      if (!soft)
        g_string_append (out, "\r\n");
    }

  return out;
}

static void
test_quoted_printable (void)
{
  GString *text = g_string_new (NULL);
  GString *canonical = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autofree char *encoded_text = NULL;
  const char *transfer_encoding = NULL;
  GString *decoded = NULL;

  g_string_append (text, "Caf\xc3\xa9 = 1 + 1 == 2, a=b\r\n");
  g_string_append (text, "trailing spaces   \n");
  g_string_append (text, "trailing tab\t\r\n");
  g_string_append (text, ".\n");
  g_string_append (text, "..two dots\n");
  g_string_append (text, "From here on\r\n");
  g_string_append (text, "\n");
  for (guint i = 0; i < 2000; i++)
    g_string_append_c (text, "0123456789 = x"[i % 14]);
  g_string_append (text, "\r\n");
  for (guint i = 0; i < 60; i++)
    g_string_append (text, "\xe4\xb8\xad");  /* 中: a line of escapes */
  g_string_append (text, "\r");                /* a lone CR ends a line */
  g_string_append (text, "last line, no line end");

  body = g_bytes_new (text->str, text->len);
  encoded = relay_message_encode_body (body, &transfer_encoding);
  g_assert_cmpstr (transfer_encoding, ==, "quoted-printable");
  encoded_text = g_strndup (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded));
  g_assert_cmpuint (strlen (encoded_text), ==, g_bytes_get_size (encoded));
  g_assert_true (g_str_has_prefix (encoded_text, "Caf=C3=A9 =3D 1 + 1 =3D=3D 2, a=3Db\r\n"
                                                 "trailing spaces  =20\r\n"
                                                 "trailing tab=09\r\n"
                                                 "=2E\r\n"
                                                 "=2E.two dots\r\n"
                                                 "=46rom here on\r\n"
                                                 "\r\n"));

  /* every line ends in CRLF; decoding gives the text with CRLF line ends */
  decoded = decode_qp (encoded_text);
  canonical = g_string_new (NULL);
  for (gsize i = 0; i < text->len; i++)
    {
      if (text->str[i] == '\r' && text->str[i + 1] == '\n')
        i++;
      if (text->str[i] == '\r' || text->str[i] == '\n')
        g_string_append (canonical, "\r\n");
      else
        g_string_append_c (canonical, text->str[i]);
    }
  g_assert_cmpuint (decoded->len, ==, canonical->len);
  g_assert_cmpstr (decoded->str, ==, canonical->str);

  /* text that ends in a line end decodes to one */
  {
    g_autoptr(GString) qp = relay_message_encode_quoted_printable ("x \r\n", 4);

    g_assert_cmpstr (qp->str, ==, "x=20\r\n");
  }

  /* a line of exactly 76 encoded characters needs no soft break; 77 does */
  {
    g_autofree char *a76 = g_strnfill (76, 'a');
    g_autofree char *a77 = g_strnfill (77, 'a');
    g_autofree char *line76 = g_strdup_printf ("%s\r\n", a76);
    g_autofree char *line77 = g_strdup_printf ("%s\r\n", a77);
    g_autoptr(GString) qp76 = relay_message_encode_quoted_printable (line76, strlen (line76));
    g_autoptr(GString) qp77 = relay_message_encode_quoted_printable (line77, strlen (line77));

    g_assert_cmpstr (qp76->str, ==, line76);
    g_assert_cmpuint (qp77->len, ==, 75 + 3 + 2 + 2);
    g_assert_true (g_str_has_prefix (qp77->str + 75, "=\r\naa\r\n"));
  }

  g_string_free (text, TRUE);
  g_string_free (canonical, TRUE);
  g_string_free (decoded, TRUE);
}

static void
test_seven_bit (void)
{
  static const char plain[] = "Hello,\nplain ASCII.\r\n.\nlast";
  const char *transfer_encoding = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static (plain, sizeof plain - 1);
  g_autoptr(GBytes) encoded = relay_message_encode_body (body, &transfer_encoding);
  g_autofree char *line998 = g_strnfill (998, 'x');
  g_autofree char *line999 = g_strnfill (999, 'x');
  g_autoptr(GBytes) body998 = g_bytes_new (line998, 998);
  g_autoptr(GBytes) body999 = g_bytes_new (line999, 999);
  g_autoptr(GBytes) encoded998 = NULL;
  g_autoptr(GBytes) encoded999 = NULL;
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) encoded_empty = NULL;

  g_assert_cmpstr (transfer_encoding, ==, "7bit");
  g_assert_cmpmem (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded),
                   "Hello,\r\nplain ASCII.\r\n.\r\nlast\r\n", 31);

  /* the longest line that 7bit allows (RFC 5322 2.1.1), and one more */
  encoded998 = relay_message_encode_body (body998, &transfer_encoding);
  g_assert_cmpstr (transfer_encoding, ==, "7bit");
  g_assert_cmpuint (g_bytes_get_size (encoded998), ==, 1000);
  encoded999 = relay_message_encode_body (body999, &transfer_encoding);
  g_assert_cmpstr (transfer_encoding, ==, "quoted-printable");

  encoded_empty = relay_message_encode_body (empty, &transfer_encoding);
  g_assert_cmpstr (transfer_encoding, ==, "7bit");
  g_assert_cmpuint (g_bytes_get_size (encoded_empty), ==, 0);
}

static void
test_base64 (void)
{
  static const char chinese[] = "这是一封用中文写的信。\n第二行也是中文，没有一个英文字母。\n";
  const char *transfer_encoding = NULL;
  g_autoptr(GBytes) body = g_bytes_new_static (chinese, sizeof chinese - 1);
  g_autoptr(GBytes) encoded = relay_message_encode_body (body, &transfer_encoding);
  g_autofree char *text = g_strndup (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded));
  g_auto(GStrv) lines = split_lines (text);
  g_autofree char *joined = g_strjoinv ("", lines);
  g_auto(GStrv) chinese_lines = g_strsplit (chinese, "\n", -1);
  g_autofree char *expected = g_strjoinv ("\r\n", chinese_lines);
  g_autofree guchar *decoded = NULL;
  gsize size;

  /* three times the size in quoted-printable, four thirds in base64 */
  g_assert_cmpstr (transfer_encoding, ==, "base64");
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_cmpuint (strlen (lines[i]), <=, 76);
  decoded = g_base64_decode (joined, &size);
  g_assert_cmpmem (decoded, size, expected, strlen (expected));
}

/* Random text from pieces that meet at the edges the encoders care about */
static char *
random_text (guint max_pieces)
{
  static const char *pieces[] = {
    " ", "  ", "\t", "a", "word", "=", "?", "_", ".", "From ", "=?", "?=", "é", "ß", "中文",
    "😀", "\xc2\xa0", "x", "0123456789", "\x01",
  };
  GString *text = g_string_new (NULL);
  guint n = g_test_rand_int_range (0, max_pieces);

  for (guint i = 0; i < n; i++)
    {
      if (g_test_rand_int_range (0, 50) == 0)
        {
          g_autofree char *run = g_strnfill (g_test_rand_int_range (70, 1200), 'w');

          g_string_append (text, run);
        }
      else
        g_string_append (text, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
    }

  return g_string_free (text, FALSE);
}

static void
test_random_round_trips (void)
{
  for (guint round = 0; round < 500; round++)
    {
      g_autofree char *subject = random_text (120);
      g_autofree char *header = text_header ("Subject", subject);
      g_autofree char *decoded = NULL;
      g_autofree char *body_text = random_text (300);
      g_autoptr(GBytes) body = NULL;
      g_autoptr(GBytes) encoded = NULL;
      g_autofree char *encoded_text = NULL;
      const char *transfer_encoding = NULL;

      decoded = read_header (header, "Subject", strstr (header, "=?") ? 78 : 998);
      g_assert_cmpstr (decoded, ==, subject);

      /* the body: QP decodes back to the text with CRLF line ends */
      for (char *p = body_text; *p != '\0'; p++)
        if (*p == '\t' && g_test_rand_bit ())
          *p = '\n';
      body = g_bytes_new (body_text, strlen (body_text));
      encoded = relay_message_encode_body (body, &transfer_encoding);
      encoded_text = g_strndup (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded));
      {
        g_auto(GStrv) body_lines = g_strsplit (body_text, "\n", -1);
        g_autofree char *expected = g_strjoinv ("\r\n", body_lines);

        if (g_str_equal (transfer_encoding, "quoted-printable"))
          {
            GString *qp_decoded = decode_qp (encoded_text);

            g_assert_cmpstr (qp_decoded->str, ==, expected);
            g_string_free (qp_decoded, TRUE);
          }
        else if (g_str_equal (transfer_encoding, "base64"))
          {
            g_auto(GStrv) lines = split_lines (encoded_text);
            g_autofree char *joined = g_strjoinv ("", lines);
            gsize size;
            g_autofree guchar *bytes = g_base64_decode (joined, &size);

            for (guint i = 0; lines[i] != NULL; i++)
              g_assert_cmpuint (strlen (lines[i]), <=, 76);
            g_assert_cmpmem (bytes, size, expected, strlen (expected));
          }
        else
          {
            gboolean open_end = expected[0] != '\0' && !g_str_has_suffix (expected, "\r\n");
            g_autofree char *with_end = g_strconcat (expected, open_end ? "\r\n" : "", NULL);

            g_assert_cmpstr (transfer_encoding, ==, "7bit");
            g_assert_cmpstr (encoded_text, ==, with_end);
          }
      }
    }
}

static void
test_compose (void)
{
  static const char *to[] = { "b@example.org", "c@example.org", NULL };
  g_autoptr(GDateTime) date = g_date_time_new_utc (2026, 12, 3, 9, 30, 0);
  static const char text_body[] = "Grüße\n.\n";
  g_autoptr(GBytes) body = g_bytes_new_static (text_body, sizeof text_body - 1);
  g_autoptr(GBytes) message = relay_message_compose ("a@example.org", to, "Grüße aus Köln", date,
                                                     "id-1@example.org", body);
  g_autofree char *text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));

  g_assert_cmpstr (text, ==,
                   "From: <a@example.org>\r\n"
                   "To: <b@example.org>, <c@example.org>\r\n"
                   "Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\r\n"
                   "Date: Thu, 3 Dec 2026 09:30:00 +0000\r\n"
                   "Message-ID: <id-1@example.org>\r\n"
                   "MIME-Version: 1.0\r\n"
                   "Content-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: quoted-printable\r\n"
                   "X-Mailer: Mail Relay " PACKAGE_VERSION "\r\n"
                   "\r\n"
                   "Gr=C3=BC=C3=9Fe\r\n"
                   "=2E\r\n");
}

static void
test_test_message (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = relay_message_new_test ("a@example.org", "b@example.org", NULL, &error);
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (message, NULL), g_bytes_get_size (message));
  g_assert_nonnull (strstr (text, "\r\nMIME-Version: 1.0\r\n"));
  g_assert_nonnull (strstr (text, "\r\nContent-Transfer-Encoding: 7bit\r\n"));
  g_assert_nonnull (strstr (text, "\r\n\r\nThis message was sent by Mail Relay"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/message/encoded-words/chinese-subject", test_chinese_subject);
  g_test_add_func ("/message/encoded-words/others", test_encoded_words);
  g_test_add_func ("/message/header-folding", test_header_folding);
  g_test_add_func ("/message/body/quoted-printable", test_quoted_printable);
  g_test_add_func ("/message/body/7bit", test_seven_bit);
  g_test_add_func ("/message/body/base64", test_base64);
  g_test_add_func ("/message/random-round-trips", test_random_round_trips);
  g_test_add_func ("/message/compose", test_compose);
  g_test_add_func ("/message/test-message", test_test_message);

  return g_test_run ();
}
