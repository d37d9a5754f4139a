/* relay-send-log-entry.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RelaySendLogEntry, one event of the send log, and its JSON line:
 * written in the writer's own form (relay-send-log.h), read strictly.
 */

#define G_LOG_DOMAIN "relay-send-log"

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "relay-send-log-private.h"

const char * const relay_send_status_names[] = {
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

  return relay_send_status_names[status];
}

gboolean
relay_send_status_from_string (const char      *text,
                               RelaySendStatus *status)
{
  g_return_val_if_fail (status != NULL, FALSE);

  if (text == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (relay_send_status_names); i++)
    {
      if (g_str_equal (text, relay_send_status_names[i]))
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
  char            *source;
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
  g_clear_pointer (&self->source, g_free);

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
  add_string_member (builder, "status", relay_send_status_names[self->status]);
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
  if (self->source != NULL)
    add_string_member (builder, "source", self->source);
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
  const char *message_id, *status, *subject, *reply, *account, *detail, *source;
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
  if (!relay_send_log_line_is_object (line, size))
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
      !get_string (object, "detail", FALSE, &detail, error) ||
      !get_string (object, "source", FALSE, &source, error))
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
  self->source = g_strdup (source);

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
 * relay_send_log_entry_get_source:
 *
 * Returns: (nullable): what sent the message: `cli`, `relay`, `sendmail`
 *   or `app` (a line written by another version may name another)
 */
const char *
relay_send_log_entry_get_source (RelaySendLogEntry *self)
{
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (self), NULL);

  return self->source;
}

/**
 * relay_send_log_entry_set_source:
 * @source: (nullable): `cli`, `relay`, `sendmail` or `app`
 */
void
relay_send_log_entry_set_source (RelaySendLogEntry *self,
                                 const char        *source)
{
  g_return_if_fail (RELAY_IS_SEND_LOG_ENTRY (self));

  g_free (self->source);
  self->source = g_strdup (source);
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
      relay_send_log_line_is_time (start, TIME_LENGTH))
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
