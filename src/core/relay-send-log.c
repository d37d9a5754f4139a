/* relay-send-log.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-send-log"

/* memrchr, memmem */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#if defined (__SSE2__) && !defined (RELAY_SEND_LOG_NO_SSE2)
#include <emmintrin.h>
#endif
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-file-private.h"
#include "relay-send-log-private.h"

/* Lines are our own output; anything longer is not one of them. A
 * fuzzing build makes both limits small, so that inputs of a few KiB
 * reach the overlong-line paths and lines that cross a chunk. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define MAX_LINE     1024
#define CHUNK_SIZE   256
#else
#define MAX_LINE     (64 * 1024)
#define CHUNK_SIZE   (64 * 1024)
#endif
#define CACHE_SLOTS  512
#define LINE_PREFIX  "{\"time\":\""
/* nesting that a line may have: json-glib recurses once a level */
#define MAX_DEPTH    128

static const char * const status_names[] = {
  [RELAY_SEND_STATUS_QUEUED] = "queued",
  [RELAY_SEND_STATUS_SENT] = "sent",
  [RELAY_SEND_STATUS_THROTTLED] = "throttled",
  [RELAY_SEND_STATUS_DEFERRED] = "deferred",
  [RELAY_SEND_STATUS_FAILED] = "failed",
  [RELAY_SEND_STATUS_UNKNOWN] = "unknown",
};

const char *
relay_send_status_to_string (RelaySendStatus status)
{
  g_return_val_if_fail (status <= RELAY_SEND_STATUS_UNKNOWN, NULL);

  return status_names[status];
}

gboolean
relay_send_status_from_string (const char      *text,
                               RelaySendStatus *status)
{
  g_return_val_if_fail (status != NULL, FALSE);

  if (text == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++)
    {
      if (g_str_equal (text, status_names[i]))
        {
          *status = i;
          return TRUE;
        }
    }

  return FALSE;
}

/* RelaySendLogEntry */

struct _RelaySendLogEntry
{
  GObject          parent_instance;

  GDateTime       *time;
  char            *message_id;
  GStrv            recipients;
  char            *subject;
  char            *reply;
  char            *account;
  char            *detail;
  GDateTime       *next_attempt;
  RelaySendStatus  status;
  guint            attempt;
};

G_DEFINE_FINAL_TYPE (RelaySendLogEntry, relay_send_log_entry, G_TYPE_OBJECT)

static void
relay_send_log_entry_finalize (GObject *object)
{
  RelaySendLogEntry *self = (RelaySendLogEntry *)object;

  g_clear_pointer (&self->time, g_date_time_unref);
  g_clear_pointer (&self->message_id, g_free);
  g_clear_pointer (&self->recipients, g_strfreev);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->reply, g_free);
  g_clear_pointer (&self->account, g_free);
  g_clear_pointer (&self->detail, g_free);
  g_clear_pointer (&self->next_attempt, g_date_time_unref);

  G_OBJECT_CLASS (relay_send_log_entry_parent_class)->finalize (object);
}

static void
relay_send_log_entry_class_init (RelaySendLogEntryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relay_send_log_entry_finalize;
}

static void
relay_send_log_entry_init (RelaySendLogEntry *self)
{
}

/* The log keeps milliseconds; dropping the rest here makes an entry
 * equal to what a reader of its line gets. */
static GDateTime *
to_milliseconds (GDateTime *time)
{
  return g_date_time_add (time, -(g_date_time_get_microsecond (time) % 1000));
}

/**
 * relay_send_log_entry_new:
 * @recipients: (nullable): the envelope recipients
 *
 * Returns: (transfer full): an event at the current time (UTC, to the
 *   millisecond); %NULL strings are stored as empty ones
 */
RelaySendLogEntry *
relay_send_log_entry_new (RelaySendStatus     status,
                          const char         *message_id,
                          const char * const *recipients,
                          const char         *subject,
                          guint               attempt,
                          const char         *reply)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  RelaySendLogEntry *self;

  g_return_val_if_fail (status <= RELAY_SEND_STATUS_UNKNOWN, NULL);

  self = g_object_new (RELAY_TYPE_SEND_LOG_ENTRY, NULL);
  self->status = status;
  self->time = to_milliseconds (now);
  self->message_id = g_strdup (message_id ? message_id : "");
  self->recipients = recipients ? g_strdupv ((char **)recipients) : g_new0 (char *, 1);
  self->subject = g_strdup (subject ? subject : "");
  self->attempt = attempt;
  self->reply = g_strdup (reply ? reply : "");

  return self;
}

static char *
format_time (GDateTime *time)
{
  g_autofree char *seconds = g_date_time_format (time, "%Y-%m-%dT%H:%M:%S");
  g_autofree char *offset = g_date_time_format (time, "%:z");

  return g_strdup_printf ("%s.%03d%s", seconds, g_date_time_get_microsecond (time) / 1000, offset);
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_string_value (builder, value);
}

/**
 * relay_send_log_entry_to_line:
 *
 * Returns: (transfer full): the entry as one compact JSON object, without
 *   a newline: keys in the order of relay-send-log.h, the optional ones
 *   left out when unset
 */
char *
relay_send_log_entry_to_line (RelaySendLogEntry *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *time = NULL;

  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  time = format_time (self->time);

  json_builder_begin_object (builder);
  add_string_member (builder, "time", time);
  add_string_member (builder, "message_id", self->message_id);
  add_string_member (builder, "status", status_names[self->status]);
  json_builder_set_member_name (builder, "recipients");
  json_builder_begin_array (builder);
  for (guint i = 0; self->recipients[i] != NULL; i++)
    json_builder_add_string_value (builder, self->recipients[i]);
  json_builder_end_array (builder);
  add_string_member (builder, "subject", self->subject);
  json_builder_set_member_name (builder, "attempt");
  json_builder_add_int_value (builder, self->attempt);
  add_string_member (builder, "reply", self->reply);
  if (self->account != NULL)
    add_string_member (builder, "account", self->account);
  if (self->detail != NULL)
    add_string_member (builder, "detail", self->detail);
  if (self->next_attempt != NULL)
    {
      g_autofree char *next = format_time (self->next_attempt);

      add_string_member (builder, "next_attempt", next);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

static gboolean
invalid (GError     **error,
         const char  *member,
         const char  *problem)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "“%s” %s", member, problem);
  return FALSE;
}

static gboolean
get_string (JsonObject  *object,
            const char  *member,
            gboolean     required,
            const char **value,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *value = NULL;
  if (node == NULL)
    return required ? invalid (error, member, "is missing") : TRUE;

  if (json_node_get_value_type (node) != G_TYPE_STRING)
    return invalid (error, member, "is not a string");

  *value = json_node_get_string (node);
  return TRUE;
}

static GDateTime *
get_time (JsonObject  *object,
          const char  *member,
          gboolean     required,
          GError     **error)
{
  const char *text;
  GDateTime *time;

  if (!get_string (object, member, required, &text, error) || text == NULL)
    return NULL;

  /* without a default zone, a time without an offset is refused */
  time = g_date_time_new_from_iso8601 (text, NULL);
  if (time == NULL)
    invalid (error, member, "is not an ISO 8601 time with an offset");

  return time;
}

static gboolean is_json_object (const char *line,
                                gsize       length);

/**
 * relay_send_log_entry_new_from_line:
 * @length: the length of @line, or -1 when it is nul-terminated
 *
 * Reads one line of the log strictly: a JSON object (RFC 8259, in any
 * spacing and member order, nested at most 128 deep) with every required
 * member of relay-send-log.h of its type, a known status, at most 64 KiB.
 * Members it does not know are ignored, so that a newer version's lines
 * still read. What it refuses is not an entry (docs/send-log.md).
 *
 * Returns: (transfer full) (nullable): the entry, or %NULL with
 *   %G_IO_ERROR_INVALID_DATA
 */
RelaySendLogEntry *
relay_send_log_entry_new_from_line (const char  *line,
                                    gssize       length,
                                    GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(RelaySendLogEntry) self = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *message_id, *status, *subject, *reply, *account, *detail;
  JsonObject *object;
  JsonNode *node;
  JsonArray *array;
  gint64 attempt;
  gsize size;

  g_return_val_if_fail (line != NULL, NULL);

  size = length < 0 ? strlen (line) : (gsize)length;
  if (size > MAX_LINE)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "the line is longer than %d bytes", MAX_LINE);
      return NULL;
    }

  if (!g_utf8_validate_len (line, size, NULL))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the line is not UTF-8");
      return NULL;
    }

  /* strict JSON, and nested no deeper than json-glib's recursion can go */
  if (!is_json_object (line, size))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the line is not a JSON object (or is nested too deeply)");
      return NULL;
    }

  if (!json_parser_load_from_data (parser, line, size, &local_error))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, local_error->message);
      return NULL;
    }

  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "the line is not a JSON object");
      return NULL;
    }
  object = json_node_get_object (node);

  self = g_object_new (RELAY_TYPE_SEND_LOG_ENTRY, NULL);

  self->time = get_time (object, "time", TRUE, error);
  if (self->time == NULL)
    return NULL;

  if (!get_string (object, "message_id", TRUE, &message_id, error) ||
      !get_string (object, "status", TRUE, &status, error) ||
      !get_string (object, "subject", TRUE, &subject, error) ||
      !get_string (object, "reply", TRUE, &reply, error) ||
      !get_string (object, "account", FALSE, &account, error) ||
      !get_string (object, "detail", FALSE, &detail, error))
    return NULL;

  if (!relay_send_status_from_string (status, &self->status))
    {
      invalid (error, "status", "is not a known status");
      return NULL;
    }

  node = json_object_get_member (object, "recipients");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      invalid (error, "recipients", "is not a list");
      return NULL;
    }
  array = json_node_get_array (node);
  self->recipients = g_new0 (char *, json_array_get_length (array) + 1);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (json_node_get_value_type (element) != G_TYPE_STRING)
        {
          invalid (error, "recipients", "holds something that is not a string");
          return NULL;
        }
      self->recipients[i] = g_strdup (json_node_get_string (element));
    }

  node = json_object_get_member (object, "attempt");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      invalid (error, "attempt", "is not a whole number");
      return NULL;
    }
  attempt = json_node_get_int (node);
  if (attempt < 0 || attempt > G_MAXUINT)
    {
      invalid (error, "attempt", "is out of range");
      return NULL;
    }
  self->attempt = attempt;

  if (json_object_has_member (object, "next_attempt"))
    {
      self->next_attempt = get_time (object, "next_attempt", FALSE, error);
      if (self->next_attempt == NULL)
        return NULL;
    }

  self->message_id = g_strdup (message_id);
  self->subject = g_strdup (subject);
  self->reply = g_strdup (reply);
  self->account = g_strdup (account);
  self->detail = g_strdup (detail);

  return g_steal_pointer (&self);
}

GDateTime *
relay_send_log_entry_get_time (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return self->time;
}

/**
 * relay_send_log_entry_set_time:
 *
 * Sets when the event happened, to the millisecond (the log keeps no more).
 */
void
relay_send_log_entry_set_time (RelaySendLogEntry *self,
                               GDateTime         *time)
{
  g_return_if_fail (RELAY_IS_SEND_LOG_ENTRY (self));
  g_return_if_fail (time != NULL);

  g_clear_pointer (&self->time, g_date_time_unref);
  self->time = to_milliseconds (time);
}

RelaySendStatus
relay_send_log_entry_get_status (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), RELAY_SEND_STATUS_UNKNOWN);

  return self->status;
}

const char *
relay_send_log_entry_get_message_id (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return self->message_id;
}

const char * const *
relay_send_log_entry_get_recipients (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return (const char * const *)self->recipients;
}

const char *
relay_send_log_entry_get_subject (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return self->subject;
}

guint
relay_send_log_entry_get_attempt (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), 0);

  return self->attempt;
}

const char *
relay_send_log_entry_get_reply (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return self->reply;
}

/**
 * relay_send_log_entry_get_account:
 *
 * Returns: (nullable): the id of the account the message went through
 */
const char *
relay_send_log_entry_get_account (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return self->account;
}

void
relay_send_log_entry_set_account (RelaySendLogEntry *self,
                                  const char        *account_id)
{
  g_return_if_fail (RELAY_IS_SEND_LOG_ENTRY (self));

  g_free (self->account);
  self->account = g_strdup (account_id);
}

/**
 * relay_send_log_entry_get_detail:
 *
 * Returns: (nullable): more about the event, such as the diagnosis
 */
const char *
relay_send_log_entry_get_detail (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return self->detail;
}

void
relay_send_log_entry_set_detail (RelaySendLogEntry *self,
                                 const char        *detail)
{
  g_return_if_fail (RELAY_IS_SEND_LOG_ENTRY (self));

  g_free (self->detail);
  self->detail = g_strdup (detail);
}

/**
 * relay_send_log_entry_get_next_attempt:
 *
 * Returns: (nullable): when a deferred message is tried again
 */
GDateTime *
relay_send_log_entry_get_next_attempt (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return self->next_attempt;
}

void
relay_send_log_entry_set_next_attempt (RelaySendLogEntry *self,
                                       GDateTime         *time)
{
  g_return_if_fail (RELAY_IS_SEND_LOG_ENTRY (self));

  g_clear_pointer (&self->next_attempt, g_date_time_unref);
  if (time != NULL)
    self->next_attempt = to_milliseconds (time);
}

/* Line helpers shared by the model, scan and read_tail */

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

static gboolean
is_json_object (const char *line,
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

/* “2026-11-28T02:50:00.123+00:00”, as format_time() writes it, with
 * values that g_date_time_new_from_iso8601() surely takes */
#define TIME_LENGTH 29

static gboolean
fast_time (const char *t,
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
      !fast_time (text, n))
    return FALSE;
  *time = text;

  if (!FAST_LITERAL (&p, end, ",\"message_id\":") || !fast_string (&p, end, NULL, NULL) ||
      !FAST_LITERAL (&p, end, ",\"status\":") || !fast_string (&p, end, &text, &n))
    return FALSE;

  *status = G_N_ELEMENTS (status_names);
  for (guint i = 0; i < G_N_ELEMENTS (status_names); i++)
    if (strlen (status_names[i]) == n && memcmp (status_names[i], text, n) == 0)
      *status = i;
  if (*status == G_N_ELEMENTS (status_names))
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
      (!fast_string (&p, end, &text, &n) || !fast_time (text, n)))
    return FALSE;

  return FAST_LITERAL (&p, end, "}") && p == end;
}

typedef enum
{
  LINE_BLANK,
  LINE_ENTRY,
  LINE_NOT_ENTRY,
} LineKind;

/* What every reader makes of a line: nothing (a blank line), an entry
 * (any JSON object that relay_send_log_entry_new_from_line() takes: the
 * writer's own form quickly, any other by parsing it) with its status
 * and, when @time is not %NULL, its time; or a line that is not an
 * entry, which readers count. */
static LineKind
classify_line (const char      *line,
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

  *status = entry->status;
  if (time != NULL)
    *time = g_date_time_ref (entry->time);
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

  return classify_line (line, length, status, NULL) == LINE_ENTRY;
}

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *what,
                 const char  *path)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "Could not %s “%s”: %s", what, path, g_strerror (saved_errno));
  return FALSE;
}

/* Mail Relay's data folder is made private (or refused); a folder that
 * a caller named (a test's, a tool's) is only made when missing, never
 * changed: it may be a shared one */
static gboolean
ensure_dir (const char  *path,
            const char  *dir,
            GError     **error)
{
  g_autofree char *default_path = relay_send_log_get_default_path ();

  if (g_str_equal (path, default_path))
    return relay_file_ensure_private_dir (dir, error);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    return set_errno_error (error, errno, "create", dir);

  return TRUE;
}

/* Before reading: Mail Relay's data folder, when it is there, is closed
 * to others or refused (a caller's own folder is left as it is) */
static gboolean
check_dir (const char  *path,
           GError     **error)
{
  g_autofree char *default_path = relay_send_log_get_default_path ();
  g_autofree char *dir = NULL;

  if (!g_str_equal (path, default_path))
    return TRUE;

  dir = g_path_get_dirname (path);
  return relay_file_check_private_dir (dir, error);
}

static gboolean
write_all (int          fd,
           const char  *data,
           gsize        length)
{
  while (length > 0)
    {
      gssize written = write (fd, data, length);

      if (written < 0)
        {
          if (errno == EINTR)
            continue;
          return FALSE;
        }

      data += written;
      length -= written;
    }

  return TRUE;
}

static gboolean
pread_all (int    fd,
           char  *buffer,
           gsize  length,
           off_t  offset)
{
  while (length > 0)
    {
      gssize n = pread (fd, buffer, length, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          if (n == 0)
            errno = EIO;
          return FALSE;
        }

      buffer += n;
      length -= n;
      offset += n;
    }

  return TRUE;
}

/* Where the complete lines of the file end: after its last newline */
static gboolean
find_complete_end (int     fd,
                   off_t   size,
                   off_t  *end)
{
  g_autofree char *buffer = g_malloc (CHUNK_SIZE);
  off_t pos = size;

  while (pos > 0)
    {
      gsize n = MIN (pos, CHUNK_SIZE);
      const char *nl;

      if (!pread_all (fd, buffer, n, pos - n))
        return FALSE;

      nl = memrchr (buffer, '\n', n);
      if (nl != NULL)
        {
          *end = pos - n + (nl - buffer) + 1;
          return TRUE;
        }

      pos -= n;
    }

  *end = 0;
  return TRUE;
}

/* Keeps the torn fragment in a new file beside the log, durably, before
 * the log loses it */
static char *
save_fragment (const char  *path,
               int          fd,
               off_t        start,
               off_t        size,
               GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  g_autofree char *buffer = g_malloc (CHUNK_SIZE);
  g_autofree char *target = NULL;
  int out = -1;

  for (guint n = 0; n < 1000 && out < 0; n++)
    {
      g_free (target);
      target = n == 0 ? g_strdup_printf ("%s.torn-%s", path, stamp)
                      : g_strdup_printf ("%s.torn-%s-%u", path, stamp, n);
      out = open (target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (out < 0 && errno != EEXIST)
        {
          set_errno_error (error, errno, "create", target);
          return NULL;
        }
    }

  if (out < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Could not name a file beside “%s”", path);
      return NULL;
    }

  for (off_t pos = start; pos < size;)
    {
      gsize n = MIN (size - pos, CHUNK_SIZE);

      if (!pread_all (fd, buffer, n, pos) || !write_all (out, buffer, n))
        {
          set_errno_error (error, errno, "write", target);
          close (out);
          return NULL;
        }
      pos += n;
    }

  if (fsync (out) != 0)
    {
      set_errno_error (error, errno, "write", target);
      close (out);
      return NULL;
    }

  close (out);
  return g_steal_pointer (&target);
}

/* A crash in the middle of an append leaves a last line without its
 * newline: move it aside, then cut the log back to its last newline. */
static gboolean
repair_torn_tail (const char  *path,
                  int          fd,
                  char       **torn_path,
                  GError     **error)
{
  g_autofree char *moved = NULL;
  struct stat st;
  off_t end;
  char last;

  if (fstat (fd, &st) != 0)
    return set_errno_error (error, errno, "read", path);

  if (st.st_size == 0)
    return TRUE;

  if (!pread_all (fd, &last, 1, st.st_size - 1))
    return set_errno_error (error, errno, "read", path);

  if (last == '\n')
    return TRUE;

  if (!find_complete_end (fd, st.st_size, &end))
    return set_errno_error (error, errno, "read", path);

  moved = save_fragment (path, fd, end, st.st_size, error);
  if (moved == NULL)
    return FALSE;

  if (ftruncate (fd, end) != 0 || fsync (fd) != 0)
    return set_errno_error (error, errno, "repair", path);

  g_debug ("%s ended with a torn line, now in %s", path, moved);
  *torn_path = g_steal_pointer (&moved);
  return TRUE;
}

/* RelaySendLog */

/* What a load knew before: when the file has only grown since, its lines
 * keep their rows and only the new ones are indexed */
typedef struct
{
  GArray      *starts;
  guint        n_skipped;
  dev_t        dev;
  ino_t        ino;
  /* a copy: a mapping would show the file as it is now */
  GBytes      *last_line;
} Previous;

typedef struct
{
  Previous     previous;
  GMappedFile *map;
  GArray      *starts;
  char        *torn_path;
  guint        n_skipped;
  dev_t        dev;
  ino_t        ino;
  GBytes      *last_line;
  /* the previous rows are still the first rows */
  gboolean     grown;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_clear_pointer (&data->previous.starts, g_array_unref);
  g_clear_pointer (&data->previous.last_line, g_bytes_unref);
  g_clear_pointer (&data->last_line, g_bytes_unref);
  g_clear_pointer (&data->map, g_mapped_file_unref);
  g_clear_pointer (&data->starts, g_array_unref);
  g_clear_pointer (&data->torn_path, g_free);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LoadData, load_data_free)

typedef struct
{
  guint              position;
  RelaySendLogEntry *entry;
} CacheSlot;

struct _RelaySendLog
{
  GObject      parent_instance;

  char        *path;
  char        *torn_path;

  /* the file as loaded: its mapping and the offset of each whole line */
  GMappedFile *map;
  GArray      *starts;
  guint        n_skipped;
  dev_t        dev;
  ino_t        ino;
  GBytes      *last_line;

  /* what was appended through this object since */
  GPtrArray   *appended;
  GPtrArray   *appended_lines;

  CacheSlot    cache[CACHE_SLOTS];
  guint        loaded : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (RelaySendLog, relay_send_log, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_PATH,
  PROP_TORN_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_cache (RelaySendLog *self)
{
  for (guint i = 0; i < CACHE_SLOTS; i++)
    {
      self->cache[i].position = G_MAXUINT;
      g_clear_object (&self->cache[i].entry);
    }
}

static guint
n_file_items (RelaySendLog *self)
{
  return self->starts != NULL ? self->starts->len : 0;
}

static GType
relay_send_log_get_item_type (GListModel *model)
{
  return RELAY_TYPE_SEND_LOG_ENTRY;
}

static guint
relay_send_log_get_n_items (GListModel *model)
{
  RelaySendLog *self = RELAY_SEND_LOG (model);

  return n_file_items (self) + self->appended->len;
}

/* A row whose line no longer reads (the file changed under its mapping)
 * still takes its row: shown as an unknown event that says why. */
RelaySendLogEntry *
relay_send_log_entry_new_unreadable (const char *line,
                                     gsize       length,
                                     guint       position,
                                     GError     *error)
{
  RelaySendLogEntry *entry;
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *detail = NULL;
  const char *start;

  g_return_val_if_fail (line != NULL || length == 0, NULL);
  g_return_val_if_fail (error != NULL, NULL);

  entry = relay_send_log_entry_new (RELAY_SEND_STATUS_UNKNOWN, NULL, NULL, NULL, 0, NULL);

  /* the time, when the line starts as the writer's lines do */
  start = line + sizeof LINE_PREFIX - 1;
  if (length >= sizeof LINE_PREFIX - 1 + TIME_LENGTH + 1 &&
      memcmp (line, LINE_PREFIX, sizeof LINE_PREFIX - 1) == 0 && start[TIME_LENGTH] == '"' &&
      fast_time (start, TIME_LENGTH))
    {
      g_autofree char *text = g_strndup (start, TIME_LENGTH);

      time = g_date_time_new_from_iso8601 (text, NULL);
    }
  if (time == NULL)
    time = g_date_time_new_from_unix_utc (0);
  relay_send_log_entry_set_time (entry, time);

  detail = g_strdup_printf ("Line %u of the send log could not be read: %s",
                            position + 1, error->message);
  relay_send_log_entry_set_detail (entry, detail);

  return entry;
}

static gpointer
relay_send_log_get_item (GListModel *model,
                         guint       position)
{
  RelaySendLog *self = RELAY_SEND_LOG (model);
  g_autoptr(GError) error = NULL;
  CacheSlot *slot;
  const char *line;
  gsize length;

  if (position >= n_file_items (self))
    {
      position -= n_file_items (self);
      if (position >= self->appended->len)
        return NULL;

      return g_object_ref (g_ptr_array_index (self->appended, position));
    }

  slot = &self->cache[position % CACHE_SLOTS];
  if (slot->position == position)
    return g_object_ref (slot->entry);

  line = relay_send_log_get_line (self, position, &length);
  g_clear_object (&slot->entry);
  slot->entry = relay_send_log_entry_new_from_line (line, length, &error);
  if (slot->entry == NULL)
    slot->entry = relay_send_log_entry_new_unreadable (line, length, position, error);
  slot->position = position;

  return g_object_ref (slot->entry);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = relay_send_log_get_item_type;
  iface->get_n_items = relay_send_log_get_n_items;
  iface->get_item = relay_send_log_get_item;
}

static void
relay_send_log_finalize (GObject *object)
{
  RelaySendLog *self = (RelaySendLog *)object;

  clear_cache (self);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->torn_path, g_free);
  g_clear_pointer (&self->starts, g_array_unref);
  g_clear_pointer (&self->map, g_mapped_file_unref);
  g_clear_pointer (&self->last_line, g_bytes_unref);
  g_clear_pointer (&self->appended, g_ptr_array_unref);
  g_clear_pointer (&self->appended_lines, g_ptr_array_unref);

  G_OBJECT_CLASS (relay_send_log_parent_class)->finalize (object);
}

static void
relay_send_log_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  RelaySendLog *self = RELAY_SEND_LOG (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_TORN_PATH:
      g_value_set_string (value, self->torn_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_send_log_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  RelaySendLog *self = RELAY_SEND_LOG (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      if (self->path == NULL)
        self->path = relay_send_log_get_default_path ();
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_send_log_class_init (RelaySendLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = relay_send_log_finalize;
  object_class->get_property = relay_send_log_get_property;
  object_class->set_property = relay_send_log_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TORN_PATH] =
    g_param_spec_string ("torn-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
relay_send_log_init (RelaySendLog *self)
{
  self->appended = g_ptr_array_new_with_free_func (g_object_unref);
  self->appended_lines = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < CACHE_SLOTS; i++)
    self->cache[i].position = G_MAXUINT;
}

/**
 * relay_send_log_get_default_path:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/mail-relay/send-log.jsonl`
 */
char *
relay_send_log_get_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "mail-relay", "send-log.jsonl", NULL);
}

/**
 * relay_send_log_new:
 * @path: (nullable): the file, or %NULL for
 *   `$XDG_DATA_HOME/mail-relay/send-log.jsonl`
 *
 * Returns: (transfer full): an empty model until loaded
 */
RelaySendLog *
relay_send_log_new (const char *path)
{
  return g_object_new (RELAY_TYPE_SEND_LOG, "path", path, NULL);
}

const char *
relay_send_log_get_path (RelaySendLog *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), NULL);

  return self->path;
}

/**
 * relay_send_log_index_lines:
 * @starts: (element-type guint64): where the offset of each whole line is added
 * @n_skipped: (inout): incremented for each line that is not an entry
 *
 * Indexes the entries of a loaded log (see classify_line()); a last line
 * without its newline (a torn tail that could not be repaired) is left
 * out, and so are blank lines.
 */
gboolean
relay_send_log_index_lines (const char    *contents,
                            gsize          size,
                            GArray        *starts,
                            guint         *n_skipped,
                            GCancellable  *cancellable,
                            GError       **error)
{
  const char *p, *end;

  end = size > 0 ? memrchr (contents, '\n', size) : NULL;
  end = end ? end + 1 : contents;

  for (p = contents; p < end;)
    {
      const char *nl = memchr (p, '\n', end - p);
      guint64 start = p - contents;

      RelaySendStatus status;

      switch (classify_line (p, nl - p, &status, NULL))
        {
        case LINE_ENTRY:
          g_array_append_val (starts, start);
          break;
        case LINE_NOT_ENTRY:
          (*n_skipped)++;
          break;
        case LINE_BLANK:
        default:
          break;
        }

      p = nl + 1;

      if ((starts->len & 0xffff) == 0 && g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }

  return TRUE;
}


/* Whether the file at @contents is the previous one grown: the same file,
 * and its last indexed line still in place */
static gboolean
has_grown (const Previous    *previous,
           const struct stat *st,
           const char        *contents,
           gsize              size)
{
  guint64 last;
  gsize length;
  const char *line;

  if (previous->last_line == NULL || previous->starts == NULL || previous->starts->len == 0)
    return FALSE;
  if (st->st_dev != previous->dev || st->st_ino != previous->ino)
    return FALSE;

  last = g_array_index (previous->starts, guint64, previous->starts->len - 1);
  line = g_bytes_get_data (previous->last_line, &length);

  return size >= last + length && memcmp (contents + last, line, length) == 0;
}

/* Runs in a worker thread: touches nothing but its arguments, and
 * data->previous, which it owns */
static LoadData *
load_file (const char    *path,
           LoadData      *data,
           GCancellable  *cancellable,
           GError       **error)
{
  g_autoptr(GError) repair_error = NULL;
  g_autoptr(GError) open_error = NULL;
  gboolean writable = TRUE;
  const char *contents;
  struct stat st;
  gsize size;
  int fd;

  data->starts = g_array_new (FALSE, FALSE, sizeof (guint64));

  if (!check_dir (path, error))
    return NULL;

  fd = relay_file_open_own (path, O_RDWR, 0, &open_error);
  if (fd < 0 && (errno == EACCES || errno == EROFS))
    {
      writable = FALSE;
      g_clear_error (&open_error);
      fd = relay_file_open_own (path, O_RDONLY, 0, &open_error);
    }
  if (fd < 0)
    {
      if (errno == ENOENT)
        return data;

      g_propagate_error (error, g_steal_pointer (&open_error));
      return NULL;
    }

  /* appends take the same lock: a line being written is not torn */
  if (writable)
    {
      while (flock (fd, LOCK_EX) != 0 && errno == EINTR)
        ;
      if (!repair_torn_tail (path, fd, &data->torn_path, &repair_error))
        g_warning ("Could not repair %s: %s", path, repair_error->message);
    }

  if (fstat (fd, &st) != 0)
    {
      set_errno_error (error, errno, "read", path);
      close (fd);
      return NULL;
    }
  data->dev = st.st_dev;
  data->ino = st.st_ino;

  if (st.st_size > 0)
    data->map = g_mapped_file_new_from_fd (fd, FALSE, error);

  /* the mapping holds the open file, and with it the lock */
  if (writable)
    flock (fd, LOCK_UN);
  close (fd);

  if (st.st_size > 0 && data->map == NULL)
    return NULL;

  if (data->map == NULL)
    return data;

  contents = g_mapped_file_get_contents (data->map);
  size = g_mapped_file_get_length (data->map);

  data->grown = has_grown (&data->previous, &st, contents, size);
  if (data->grown)
    {
      const Previous *previous = &data->previous;
      gsize from = g_array_index (previous->starts, guint64, previous->starts->len - 1) +
                   g_bytes_get_size (previous->last_line);
      g_autoptr(GArray) added = g_array_new (FALSE, FALSE, sizeof (guint64));

      /* the lines before stay where they were: only the new ones are read */
      g_array_append_vals (data->starts, previous->starts->data, previous->starts->len);
      data->n_skipped = previous->n_skipped;
      if (!relay_send_log_index_lines (contents + from, size - from, added, &data->n_skipped,
                                       cancellable, error))
        return NULL;
      for (guint i = 0; i < added->len; i++)
        {
          guint64 start = g_array_index (added, guint64, i) + from;

          g_array_append_val (data->starts, start);
        }
    }
  else
    {
      madvise ((void *)contents, size, MADV_SEQUENTIAL);
      if (!relay_send_log_index_lines (contents, size, data->starts, &data->n_skipped,
                                       cancellable, error))
        return NULL;
    }

  if (data->n_skipped > 0)
    g_debug ("%s: %u lines that are not entries skipped", path, data->n_skipped);

  /* the pages read for the index stay in the page cache, not in this
   * process: rows read again are faulted back in from the file */
  madvise ((void *)contents, size, MADV_DONTNEED);

  /* with its newline, to know the file again at the next load */
  if (data->starts->len > 0)
    {
      guint64 last = g_array_index (data->starts, guint64, data->starts->len - 1);
      const char *nl = memchr (contents + last, '\n', size - last);

      data->last_line = g_bytes_new (contents + last, nl - (contents + last) + 1);
    }

  return data;
}

/* (transfer full): what a load of @self starts from */
static LoadData *
load_data_new (RelaySendLog *self)
{
  LoadData *data = g_new0 (LoadData, 1);

  if (self->last_line != NULL)
    data->previous.last_line = g_bytes_ref (self->last_line);
  if (self->starts != NULL)
    data->previous.starts = g_array_ref (self->starts);
  data->previous.n_skipped = self->n_skipped;
  data->previous.dev = self->dev;
  data->previous.ino = self->ino;

  return data;
}

static void
apply_load (RelaySendLog *self,
            LoadData     *data)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self));
  guint position = 0;
  gboolean torn_changed;

  /* rows the file kept, unless another load came in between */
  if (data->grown && data->previous.starts == self->starts)
    position = n_file_items (self);
  else
    clear_cache (self);

  g_clear_pointer (&self->map, g_mapped_file_unref);
  g_clear_pointer (&self->starts, g_array_unref);
  self->map = g_steal_pointer (&data->map);
  self->starts = g_steal_pointer (&data->starts);
  self->n_skipped = data->n_skipped;
  self->dev = data->dev;
  self->ino = data->ino;
  g_clear_pointer (&self->last_line, g_bytes_unref);
  self->last_line = g_steal_pointer (&data->last_line);
  g_ptr_array_set_size (self->appended, 0);
  g_ptr_array_set_size (self->appended_lines, 0);
  self->loaded = TRUE;

  torn_changed = data->torn_path != NULL;
  if (torn_changed)
    {
      g_free (self->torn_path);
      self->torn_path = g_steal_pointer (&data->torn_path);
    }

  if (n_items != position || n_file_items (self) != position)
    g_list_model_items_changed (G_LIST_MODEL (self), position, n_items - position,
                                n_file_items (self) - position);
  if (torn_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TORN_PATH]);
}

/**
 * relay_send_log_load:
 *
 * Maps the log and indexes its lines; entries are parsed when asked for
 * (a million lines index in a fraction of a second). A torn last line is
 * moved to `send-log.jsonl.torn-TIMESTAMP` and cut off; see
 * relay_send_log_get_torn_path(). Every line that is an entry is an
 * item, whatever its spacing or member order; a line that is not (not
 * JSON, or a JSON object without the members of an entry) is skipped and
 * counted: relay_send_log_get_n_skipped(). A missing file is an empty log.
 */
gboolean
relay_send_log_load (RelaySendLog  *self,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(LoadData) data = NULL;

  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), FALSE);
  g_return_val_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable), FALSE);

  data = load_data_new (self);
  if (load_file (self->path, data, cancellable, error) == NULL)
    return FALSE;

  apply_load (self, data);
  return TRUE;
}

typedef struct
{
  char     *path;
  LoadData *data;
} LoadTask;

static void
load_task_free (LoadTask *load)
{
  g_free (load->path);
  g_clear_pointer (&load->data, load_data_free);
  g_free (load);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  g_autoptr(LoadData) data = g_steal_pointer (&((LoadTask *)task_data)->data);
  GError *error = NULL;

  if (load_file (((LoadTask *)task_data)->path, data, cancellable, &error) == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&data), (GDestroyNotify)load_data_free);
}

/* Back on the caller's thread: the model changes before its callback */
static void
load_thread_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RelaySendLog *self = g_task_get_source_object (task);
  g_autoptr(LoadData) data = NULL;
  GError *error = NULL;

  data = g_task_propagate_pointer (G_TASK (result), &error);
  if (data == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  apply_load (self, data);
  g_task_return_boolean (task, TRUE);
}

/**
 * relay_send_log_load_async:
 *
 * relay_send_log_load() in a worker thread; the model changes on the
 * calling thread, just before @callback. The thread holds no reference
 * to @self: a GTask run in a thread drops its last reference in the
 * worker, possibly after its callback has run, so only the task that
 * completes on the calling thread holds the log. When @callback has
 * returned, the log is referenced only by those who hold it.
 */
void
relay_send_log_load_async (RelaySendLog        *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  LoadTask *load;

  g_return_if_fail (RELAY_IS_SEND_LOG (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_send_log_load_async);

  worker = g_task_new (NULL, cancellable, load_thread_done, g_steal_pointer (&task));
  g_task_set_source_tag (worker, load_thread);
  load = g_new0 (LoadTask, 1);
  load->path = g_strdup (self->path);
  load->data = load_data_new (self);
  g_task_set_task_data (worker, load, (GDestroyNotify)load_task_free);
  g_task_run_in_thread (worker, load_thread);
}

gboolean
relay_send_log_load_finish (RelaySendLog  *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_send_log_load_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * relay_send_log_get_torn_path:
 *
 * Returns: (nullable): where a load put the torn last line it cut off
 */
const char *
relay_send_log_get_torn_path (RelaySendLog *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), NULL);

  return self->torn_path;
}

/**
 * relay_send_log_get_n_skipped:
 *
 * Returns: how many lines of the file, as of the last load, are not
 *   entries (blank lines aside): every reader skips them, and says so
 */
guint
relay_send_log_get_n_skipped (RelaySendLog *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), 0);

  return self->n_skipped;
}

/**
 * relay_send_log_get_line:
 * @length: (out): the line's length in bytes
 *
 * The stored line of an item, without parsing it: for filters and
 * searches over every item. It is the line as stored, in whatever
 * spacing and member order it was written: relay_send_log_line_get_status()
 * tells its status.
 *
 * Returns: (nullable): the line, not nul-terminated and without its
 *   newline, valid until the next load
 */
const char *
relay_send_log_get_line (RelaySendLog *self,
                         guint         position,
                         gsize        *length)
{
  const char *contents, *line, *nl;
  gsize size;
  guint64 start;

  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), NULL);
  g_return_val_if_fail (length != NULL, NULL);

  if (position >= n_file_items (self))
    {
      const char *appended;

      position -= n_file_items (self);
      if (position >= self->appended_lines->len)
        return NULL;

      appended = g_ptr_array_index (self->appended_lines, position);
      *length = strlen (appended);
      return appended;
    }

  contents = g_mapped_file_get_contents (self->map);
  size = g_mapped_file_get_length (self->map);
  start = g_array_index (self->starts, guint64, position);
  line = contents + start;
  nl = memchr (line, '\n', size - start);
  g_assert (nl != NULL);

  *length = nl - line;
  return line;
}

static gboolean
sync_directory (const char  *dir,
                GError     **error)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || fsync (fd) != 0)
    {
      set_errno_error (error, errno, "sync", dir);
      if (fd >= 0)
        close (fd);
      return FALSE;
    }

  close (fd);
  return TRUE;
}


/**
 * relay_send_log_append:
 * @entries: (array length=n_entries): the events, oldest first
 *
 * Appends the entries' lines in one write and makes them durable with one
 * fsync, so that a caller groups syncs by passing several entries. If the
 * file ends with a torn line (a crash, and no load since), that piece is
 * first moved aside as relay_send_log_load() moves it (see
 * relay_send_log_get_torn_path()): the file stays JSON Lines. Only the
 * last byte is read when the file is whole. A loaded model grows by the
 * entries.
 *
 * Returns: %TRUE when the entries are on disk
 */
gboolean
relay_send_log_append (RelaySendLog       *self,
                       RelaySendLogEntry **entries,
                       guint               n_entries,
                       GError            **error)
{
  g_autoptr(GString) buffer = g_string_new (NULL);
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = NULL;
  g_autofree char *torn_path = NULL;
  gboolean created = FALSE;
  gboolean ok = TRUE;
  int saved_errno = 0;
  guint position;
  int fd;

  g_return_val_if_fail (RELAY_IS_SEND_LOG (self), FALSE);
  g_return_val_if_fail (entries != NULL || n_entries == 0, FALSE);

  if (n_entries == 0)
    return TRUE;

  for (guint i = 0; i < n_entries; i++)
    {
      char *line;

      g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (entries[i]), FALSE);

      line = relay_send_log_entry_to_line (entries[i]);
      if (strlen (line) > MAX_LINE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "A send log entry is longer than %d bytes", MAX_LINE);
          g_free (line);
          return FALSE;
        }
      g_string_append (buffer, line);
      g_string_append_c (buffer, '\n');
      g_ptr_array_add (lines, line);
    }

  dir = g_path_get_dirname (self->path);
  if (!ensure_dir (self->path, dir, error))
    return FALSE;

  /* O_EXCL: a planted symbolic link is there, not made through */
  fd = relay_file_open_own (self->path, O_RDWR | O_APPEND | O_CREAT | O_EXCL, 0600, NULL);
  created = fd >= 0;
  if (fd < 0)
    fd = relay_file_open_own (self->path, O_RDWR | O_APPEND, 0, error);
  if (fd < 0)
    return FALSE;

  while (flock (fd, LOCK_EX) != 0 && errno == EINTR)
    ;

  /* never run on from a torn line: under the lock that loads take too,
   * a last byte that is not a newline is a crash's torn tail, moved aside
   * as a load moves it */
  if (!repair_torn_tail (self->path, fd, &torn_path, error))
    {
      close (fd);
      return FALSE;
    }

  if (!write_all (fd, buffer->str, buffer->len) || fsync (fd) != 0)
    {
      saved_errno = errno;
      ok = FALSE;
    }

  close (fd);

  if (torn_path != NULL)
    {
      g_free (self->torn_path);
      self->torn_path = g_steal_pointer (&torn_path);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TORN_PATH]);
    }

  if (!ok)
    return set_errno_error (error, saved_errno, "write", self->path);

  if (created && !sync_directory (dir, error))
    return FALSE;

  if (!self->loaded)
    return TRUE;

  position = g_list_model_get_n_items (G_LIST_MODEL (self));
  for (guint i = 0; i < n_entries; i++)
    {
      g_ptr_array_add (self->appended, g_object_ref (entries[i]));
      g_ptr_array_add (self->appended_lines, g_ptr_array_steal_index (lines, 0));
    }
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, n_entries);

  return TRUE;
}

/* Read-only access for the CLI */

typedef struct
{
  int         fd;
  const char *contents;
  gsize       size;
} Mapping;

static void
mapping_clear (Mapping *mapping)
{
  if (mapping->contents != NULL)
    munmap ((void *)mapping->contents, mapping->size);
  if (mapping->fd >= 0)
    close (mapping->fd);
}

/* A missing or empty file maps to nothing, without an error */
static gboolean
map_file (const char  *path,
          Mapping     *mapping,
          GError     **error)
{
  g_autoptr(GError) open_error = NULL;
  struct stat st;
  void *contents;

  if (!check_dir (path, error))
    return FALSE;

  mapping->fd = relay_file_open_own (path, O_RDONLY, 0, &open_error);
  if (mapping->fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;

      g_propagate_error (error, g_steal_pointer (&open_error));
      return FALSE;
    }

  if (fstat (mapping->fd, &st) != 0)
    return set_errno_error (error, errno, "read", path);

  if (st.st_size == 0)
    return TRUE;

  contents = mmap (NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, mapping->fd, 0);
  if (contents == MAP_FAILED)
    return set_errno_error (error, errno, "map", path);

  mapping->contents = contents;
  mapping->size = st.st_size;
  madvise (contents, st.st_size, MADV_SEQUENTIAL);

  return TRUE;
}

/**
 * relay_send_log_scan_full:
 * @status: a #RelaySendStatus, or -1 for every status
 * @func: called with each entry's line (no newline, not nul-terminated),
 *   oldest first; returns %FALSE to stop
 * @n_skipped: (out) (optional): how many lines were not entries
 *
 * Walks the log's entries: what `log --json` prints. Every reader agrees
 * on what an entry is (relay_send_log_line_get_status()): the writer's own
 * lines are recognized without parsing them, any other line is parsed.
 * Lines that are not entries are skipped and counted, blank lines are
 * skipped, and the piece after the last newline (a line being written,
 * or a torn tail that the next load or append moves aside) is not a line
 * yet. A missing file is an empty log.
 */
gboolean
relay_send_log_scan_full (const char            *path,
                          int                    status,
                          RelaySendLogLineFunc   func,
                          gpointer               user_data,
                          guint                 *n_skipped,
                          GError               **error)
{
  Mapping mapping = { -1, NULL, 0 };
  const char *p, *end;
  guint skipped = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (status >= -1 && status <= RELAY_SEND_STATUS_UNKNOWN, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  if (n_skipped != NULL)
    *n_skipped = 0;

  if (!map_file (path, &mapping, error))
    {
      mapping_clear (&mapping);
      return FALSE;
    }

  if (mapping.contents == NULL)
    {
      mapping_clear (&mapping);
      return TRUE;
    }

  end = memrchr (mapping.contents, '\n', mapping.size);
  end = end ? end + 1 : mapping.contents;

  for (p = mapping.contents; p < end;)
    {
      const char *line = p;
      const char *nl = memchr (p, '\n', end - p);
      RelaySendStatus line_status;
      LineKind kind;

      p = nl + 1;
      kind = classify_line (line, nl - line, &line_status, NULL);
      if (kind == LINE_NOT_ENTRY)
        skipped++;
      else if (kind == LINE_ENTRY && (status < 0 || (int)line_status == status) &&
               !func (line, nl - line, user_data))
        break;
    }

  if (n_skipped != NULL)
    *n_skipped = skipped;

  mapping_clear (&mapping);
  return TRUE;
}

/**
 * relay_send_log_scan:
 *
 * relay_send_log_scan_full() without the count of lines skipped.
 */
gboolean
relay_send_log_scan (const char            *path,
                     int                    status,
                     RelaySendLogLineFunc   func,
                     gpointer               user_data,
                     GError               **error)
{
  return relay_send_log_scan_full (path, status, func, user_data, NULL, error);
}

/* An entry's line, its status and (when asked for) its time */
typedef gboolean (*EntryFunc) (const char      *line,
                               gsize            length,
                               RelaySendStatus  status,
                               GDateTime       *time,
                               gpointer         user_data);

typedef struct
{
  EntryFunc  func;
  gpointer   user_data;
  gboolean   want_time;
  guint      n_skipped;
} Backwards;

static gboolean
backwards_line (Backwards  *backwards,
                const char *line,
                gsize       length)
{
  g_autoptr(GDateTime) time = NULL;
  RelaySendStatus status;

  switch (classify_line (line, length, &status, backwards->want_time ? &time : NULL))
    {
    case LINE_ENTRY:
      return backwards->func (line, length, status, time, backwards->user_data);
    case LINE_NOT_ENTRY:
      backwards->n_skipped++;
      return TRUE;
    case LINE_BLANK:
    default:
      return TRUE;
    }
}

/* Calls @backwards->func on each entry of @path, newest first, reading
 * the file backwards 64 KiB at a time, until it returns %FALSE. Skips and
 * counts what relay_send_log_scan_full() skips and counts, up to where
 * it stops. A missing file has no lines. */
static gboolean
scan_backwards (const char  *path,
                Backwards   *backwards,
                GError     **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  g_autoptr(GError) open_error = NULL;
  gboolean have_end = FALSE;
  gboolean overlong = FALSE;
  gboolean more = TRUE;
  struct stat st;
  off_t pos;
  int fd;

  if (!check_dir (path, error))
    return FALSE;

  fd = relay_file_open_own (path, O_RDONLY, 0, &open_error);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;

      g_propagate_error (error, g_steal_pointer (&open_error));
      return FALSE;
    }

  if (fstat (fd, &st) != 0)
    {
      int saved_errno = errno;

      close (fd);
      return set_errno_error (error, saved_errno, "read", path);
    }

  /* @buffer holds the start of the file's unread part followed by the
   * partial line that the previous chunk began in the middle of */
  for (pos = st.st_size; pos > 0 && more;)
    {
      gsize n = MIN (pos, CHUNK_SIZE);
      gsize carry = buffer->len;
      const char *data;
      gsize line_end;

      g_byte_array_set_size (buffer, n + carry);
      memmove (buffer->data + n, buffer->data, carry);
      if (!pread_all (fd, (char *)buffer->data, n, pos - n))
        {
          int saved_errno = errno;

          close (fd);
          return set_errno_error (error, saved_errno, "read", path);
        }
      pos -= n;

      data = (const char *)buffer->data;
      line_end = buffer->len;
      while (more)
        {
          const char *nl = memrchr (data, '\n', line_end);
          gsize line_start;

          if (nl == NULL)
            break;

          line_start = nl - data + 1;
          /* the first newline from the end: after it, a line not yet whole */
          if (have_end && overlong)
            backwards->n_skipped++;
          else if (have_end)
            more = backwards_line (backwards, data + line_start, line_end - line_start);
          have_end = TRUE;
          overlong = FALSE;
          line_end = nl - data;
        }

      /* keep the partial line for the next chunk, unless it is already
       * longer than any entry */
      g_byte_array_set_size (buffer, line_end);
      if (buffer->len > MAX_LINE)
        {
          overlong = TRUE;
          g_byte_array_set_size (buffer, 0);
        }
    }

  /* the file's first line */
  if (pos == 0 && more && have_end)
    {
      if (overlong)
        backwards->n_skipped++;
      else
        backwards_line (backwards, (const char *)buffer->data, buffer->len);
    }

  close (fd);
  return TRUE;
}

typedef struct
{
  GPtrArray  *lines;
  guint       n_lines;
  int         status;
} Tail;

static gboolean
tail_line_cb (const char      *line,
              gsize            length,
              RelaySendStatus  status,
              GDateTime       *time,
              gpointer         user_data)
{
  Tail *tail = user_data;

  if (tail->status < 0 || (int)status == tail->status)
    g_ptr_array_add (tail->lines, g_strndup (line, length));

  return tail->lines->len < tail->n_lines;
}

/**
 * relay_send_log_read_tail_full:
 * @n_lines: how many entries at most
 * @status: a #RelaySendStatus, or -1 for every status
 * @n_skipped: (out) (optional): how many lines that are not entries it
 *   passed on its way back
 *
 * The lines of the last @n_lines entries (of @status), reading only the
 * end of the file: backwards, 64 KiB at a time. Skips what
 * relay_send_log_scan_full() skips. A missing file is an empty log.
 *
 * Returns: (transfer container) (element-type utf8): the lines, each
 *   without its newline, oldest first; %NULL on error
 */
GPtrArray *
relay_send_log_read_tail_full (const char  *path,
                               guint        n_lines,
                               int          status,
                               guint       *n_skipped,
                               GError     **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  Tail tail = { lines, n_lines, status };
  Backwards backwards = { tail_line_cb, &tail, FALSE, 0 };

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (status >= -1 && status <= RELAY_SEND_STATUS_UNKNOWN, NULL);

  if (n_skipped != NULL)
    *n_skipped = 0;

  if (n_lines == 0)
    return g_steal_pointer (&lines);

  if (!scan_backwards (path, &backwards, error))
    return NULL;

  /* found newest first */
  for (guint i = 0, j = lines->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = lines->pdata[i];

      lines->pdata[i] = lines->pdata[j - 1];
      lines->pdata[j - 1] = tmp;
    }

  if (n_skipped != NULL)
    *n_skipped = backwards.n_skipped;

  return g_steal_pointer (&lines);
}

/**
 * relay_send_log_read_tail:
 *
 * relay_send_log_read_tail_full() without the count of lines skipped.
 */
GPtrArray *
relay_send_log_read_tail (const char  *path,
                          guint        n_lines,
                          int          status,
                          GError     **error)
{
  return relay_send_log_read_tail_full (path, n_lines, status, NULL, error);
}

typedef struct
{
  gint64                since;
  RelaySendLogLineFunc  func;
  gpointer              user_data;
} Since;

static gboolean
since_line_cb (const char      *line,
               gsize            length,
               RelaySendStatus  status,
               GDateTime       *time,
               gpointer         user_data)
{
  Since *since = user_data;

  if (g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time) < since->since)
    return FALSE;

  return since->func (line, length, since->user_data);
}

/**
 * relay_send_log_scan_since:
 * @since: microseconds since the epoch
 *
 * Calls @func on each entry's line from the end of the file back to the
 * first entry older than @since, newest first, reading only that part of
 * the file; what is not an entry is skipped as relay_send_log_scan_full()
 * skips it. Lines are appended in the order they happen, give or take
 * the moments between taking the time and writing: pass @since with
 * room to spare.
 */
gboolean
relay_send_log_scan_since (const char            *path,
                           gint64                 since,
                           RelaySendLogLineFunc   func,
                           gpointer               user_data,
                           GError               **error)
{
  Since data = { since, func, user_data };
  Backwards backwards = { since_line_cb, &data, TRUE, 0 };

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return scan_backwards (path, &backwards, error);
}
