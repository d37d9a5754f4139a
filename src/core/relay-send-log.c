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
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/**
 * relay_send_log_entry_new_from_line:
 * @length: the length of @line, or -1 when it is nul-terminated
 *
 * Reads one line of the log strictly: every field of relay-send-log.h
 * with its type, a known status, at most 64 KiB. Members it does not
 * know are ignored, so that a newer version's lines still read.
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

/* A cheap test that a line is one of ours, without parsing it: our
 * writer's object starts with the time, ends with “}”, and “{"time":"”
 * cannot occur inside a JSON string (its quote would be escaped), so a
 * second one means a torn write that a later append ran into. Nor does
 * it write a nul byte (json-glib escapes it): read_tail() would cut the
 * line there while scan() printed it whole. */
static gboolean
line_looks_whole (const char *line,
                  gsize       length)
{
  const char *p, *end = line + length;

  if (length < sizeof LINE_PREFIX || length > MAX_LINE ||
      memcmp (line, LINE_PREFIX, sizeof LINE_PREFIX - 1) != 0 || line[length - 1] != '}' ||
      memchr (line, '\0', length) != NULL)
    return FALSE;

  for (p = line + 1; (p = memchr (p, '{', end - p)) != NULL; p++)
    if ((gsize)(end - p) >= sizeof LINE_PREFIX - 1 &&
        memcmp (p, LINE_PREFIX, sizeof LINE_PREFIX - 1) == 0)
      return FALSE;

  return TRUE;
}

/* The writer's own spelling of the member, as it appears in every line of
 * that status and, being outside any string, in no other line */
static char *
status_needle (int status)
{
  return g_strdup_printf ("\"status\":\"%s\"", status_names[status]);
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

/* A line that passed the cheap test at load but does not parse still
 * takes its row: shown as an unknown event that says why. */
RelaySendLogEntry *
relay_send_log_entry_new_unreadable (const char *line,
                                     gsize       length,
                                     guint       position,
                                     GError     *error)
{
  RelaySendLogEntry *entry;
  g_autofree char *time_text = NULL;
  g_autoptr(GDateTime) time = NULL;
  const char *start;
  const char *quote;
  g_autofree char *detail = NULL;

  g_return_val_if_fail (line_looks_whole (line, length), NULL);
  g_return_val_if_fail (error != NULL, NULL);

  entry = relay_send_log_entry_new (RELAY_SEND_STATUS_UNKNOWN, NULL, NULL, NULL, 0, NULL);
  start = line + sizeof LINE_PREFIX - 1;
  quote = memchr (start, '"', length - (sizeof LINE_PREFIX - 1));

  if (quote != NULL)
    {
      time_text = g_strndup (start, quote - start);
      time = g_date_time_new_from_iso8601 (time_text, NULL);
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
 * @n_skipped: (inout): incremented for each line that is not one of ours
 *
 * Indexes the lines of a loaded log; a last line without its newline
 * (a torn tail that could not be repaired) is left out.
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

      if (line_looks_whole (p, nl - p))
        g_array_append_val (starts, start);
      else if (nl > p)
        (*n_skipped)++;

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
  gboolean writable = TRUE;
  const char *contents;
  struct stat st;
  gsize size;
  int fd;

  data->starts = g_array_new (FALSE, FALSE, sizeof (guint64));

  fd = open (path, O_RDWR | O_CLOEXEC);
  if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EPERM))
    {
      writable = FALSE;
      fd = open (path, O_RDONLY | O_CLOEXEC);
    }
  if (fd < 0)
    {
      if (errno == ENOENT)
        return data;

      set_errno_error (error, errno, "open", path);
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
    g_debug ("%s: %u unreadable lines skipped", path, data->n_skipped);

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
 * relay_send_log_get_torn_path(). A line in the middle that is not one
 * of ours (not a whole object starting with the time, such as a torn
 * write that a later append ran into) is skipped: it is not an item. A
 * line that looks whole but does not parse is an item with status
 * unknown whose detail says why. A missing file is an empty log.
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
 * Returns: how many lines the last load skipped as unreadable
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
 * searches over every item. It holds canonical JSON, so the status of a
 * line is known from whether it contains `"status":"failed"` (say).
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
 * file ends with a torn line (a crash, and no load since), the new lines
 * start on a line of their own and the torn one stays, skipped by readers.
 * A loaded model grows by the entries.
 *
 * Returns: %TRUE when the entries are on disk
 */
gboolean
relay_send_log_append (RelaySendLog       *self,
                       RelaySendLogEntry **entries,
                       guint               n_entries,
                       GError            **error)
{
  g_autoptr(GString) buffer = g_string_new ("\n");
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = NULL;
  gboolean created = FALSE;
  gboolean ok = TRUE;
  int saved_errno = 0;
  struct stat st;
  gsize skip = 1;
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
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return set_errno_error (error, errno, "create", dir);

  fd = open (self->path, O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    {
      fd = open (self->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
      created = TRUE;
    }
  if (fd < 0)
    return set_errno_error (error, errno, "open", self->path);

  while (flock (fd, LOCK_EX) != 0 && errno == EINTR)
    ;

  /* never run on from a torn line */
  if (fstat (fd, &st) == 0 && st.st_size > 0)
    {
      char last;

      if (pread_all (fd, &last, 1, st.st_size - 1) && last != '\n')
        skip = 0;
    }

  if (!write_all (fd, buffer->str + skip, buffer->len - skip) || fsync (fd) != 0)
    {
      saved_errno = errno;
      ok = FALSE;
    }

  close (fd);

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
  struct stat st;
  void *contents;

  mapping->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (mapping->fd < 0)
    return errno == ENOENT ? TRUE : set_errno_error (error, errno, "open", path);

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
 * relay_send_log_scan:
 * @status: a #RelaySendStatus, or -1 for every status
 * @func: called with each line (no newline, not nul-terminated), oldest
 *   first; returns %FALSE to stop
 *
 * Walks the log's stored lines without parsing them: what `log --json`
 * prints. A status is matched by the writer's own spelling,
 * `"status":"failed"`, which occurs in no other line. Lines that are not
 * whole entries and a torn last line are skipped, as the model skips
 * them. A missing file is an empty log.
 */
gboolean
relay_send_log_scan (const char            *path,
                     int                    status,
                     RelaySendLogLineFunc   func,
                     gpointer               user_data,
                     GError               **error)
{
  Mapping mapping = { -1, NULL, 0 };
  g_autofree char *needle = NULL;
  const char *p, *end;
  gsize needle_length = 0;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (status >= -1 && status <= RELAY_SEND_STATUS_UNKNOWN, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

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

  if (status >= 0)
    {
      needle = status_needle (status);
      needle_length = strlen (needle);
    }

  for (p = mapping.contents; p < end;)
    {
      const char *line = p, *nl;

      /* with a status, jump from match to match instead of line to line */
      if (needle != NULL)
        {
          const char *hit = memmem (p, end - p, needle, needle_length);

          if (hit == NULL)
            break;

          line = memrchr (p, '\n', hit - p);
          line = line ? line + 1 : p;
          p = hit;
        }

      nl = memchr (p, '\n', end - p);
      p = nl + 1;

      if (line_looks_whole (line, nl - line) && !func (line, nl - line, user_data))
        break;
    }

  mapping_clear (&mapping);
  return TRUE;
}

/* Calls @func on each whole line of @path, newest first, reading the
 * file backwards 64 KiB at a time, until @func returns %FALSE. Skips what
 * relay_send_log_scan() skips. A missing file has no lines. */
static gboolean
scan_backwards (const char           *path,
                RelaySendLogLineFunc  func,
                gpointer              user_data,
                GError              **error)
{
  g_autoptr(GByteArray) buffer = g_byte_array_new ();
  gboolean have_end = FALSE;
  gboolean overlong = FALSE;
  gboolean more = TRUE;
  struct stat st;
  off_t pos;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;

      return set_errno_error (error, errno, "open", path);
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
          /* the first newline from the end: after it, a torn line */
          if (have_end && !overlong && line_looks_whole (data + line_start, line_end - line_start))
            more = func (data + line_start, line_end - line_start, user_data);
          have_end = TRUE;
          overlong = FALSE;
          line_end = nl - data;
        }

      /* keep the partial line for the next chunk, unless it is already
       * longer than any line of ours */
      g_byte_array_set_size (buffer, line_end);
      if (buffer->len > MAX_LINE)
        {
          overlong = TRUE;
          g_byte_array_set_size (buffer, 0);
        }
    }

  /* the file's first line */
  if (pos == 0 && more && have_end && !overlong && buffer->len > 0 &&
      memchr (buffer->data, '\n', buffer->len) == NULL &&
      line_looks_whole ((const char *)buffer->data, buffer->len))
    func ((const char *)buffer->data, buffer->len, user_data);

  close (fd);
  return TRUE;
}

typedef struct
{
  GPtrArray  *lines;
  guint       n_lines;
  const char *needle;
} Tail;

static gboolean
tail_line_cb (const char *line,
              gsize       length,
              gpointer    user_data)
{
  Tail *tail = user_data;

  if (tail->needle == NULL || memmem (line, length, tail->needle, strlen (tail->needle)) != NULL)
    g_ptr_array_add (tail->lines, g_strndup (line, length));

  return tail->lines->len < tail->n_lines;
}

/**
 * relay_send_log_read_tail:
 * @n_lines: how many lines at most
 * @status: a #RelaySendStatus, or -1 for every status
 *
 * The last @n_lines stored lines (of @status), reading only the end of
 * the file: backwards, 64 KiB at a time. Skips what relay_send_log_scan()
 * skips. A missing file is an empty log.
 *
 * Returns: (transfer container) (element-type utf8): the lines, each
 *   without its newline, oldest first; %NULL on error
 */
GPtrArray *
relay_send_log_read_tail (const char  *path,
                          guint        n_lines,
                          int          status,
                          GError     **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *needle = NULL;
  Tail tail;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (status >= -1 && status <= RELAY_SEND_STATUS_UNKNOWN, NULL);

  if (n_lines == 0)
    return g_steal_pointer (&lines);

  if (status >= 0)
    needle = status_needle (status);

  tail = (Tail) { lines, n_lines, needle };
  if (!scan_backwards (path, tail_line_cb, &tail, error))
    return NULL;

  /* found newest first */
  for (guint i = 0, j = lines->len; i + 1 < j; i++, j--)
    {
      gpointer tmp = lines->pdata[i];

      lines->pdata[i] = lines->pdata[j - 1];
      lines->pdata[j - 1] = tmp;
    }

  return g_steal_pointer (&lines);
}

typedef struct
{
  gint64                since;
  RelaySendLogLineFunc  func;
  gpointer              user_data;
} Since;

/* The time is the first field: read without parsing the rest */
static gboolean
since_line_cb (const char *line,
               gsize       length,
               gpointer    user_data)
{
  Since *since = user_data;
  const char *start = line + sizeof LINE_PREFIX - 1;
  const char *quote = memchr (start, '"', length - (sizeof LINE_PREFIX - 1));
  g_autoptr(GDateTime) time = NULL;
  char text[64];

  if (quote != NULL && (gsize)(quote - start) < sizeof text)
    {
      memcpy (text, start, quote - start);
      text[quote - start] = '\0';
      time = g_date_time_new_from_iso8601 (text, NULL);
    }

  if (time != NULL && g_date_time_to_unix (time) * G_USEC_PER_SEC + g_date_time_get_microsecond (time) < since->since)
    return FALSE;

  return since->func (line, length, since->user_data);
}

/**
 * relay_send_log_scan_since:
 * @since: microseconds since the epoch
 *
 * Calls @func on each stored line from the end of the file back to the
 * first line older than @since, newest first, reading only that part of
 * the file. Lines are appended in the order they happen, give or take
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

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  return scan_backwards (path, since_line_cb, &data, error);
}
