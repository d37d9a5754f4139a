/* relay-outbox.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Messages wait in $XDG_DATA_HOME/mail-relay/outbox/ until they are sent:
 * ID.eml holds the message, ID.json its envelope and state. Both are
 * written durably before anything is sent, so that a crash loses nothing;
 * a message whose end of data may have reached the server is marked
 * “sending” first, and after a crash it is reported as unknown and never
 * sent again.
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-diagnosis.h"
#include "relay-file-private.h"
#include "relay-json-private.h"
#include "relay-message.h"
#include "relay-oauth-account.h"
#include "relay-outbox.h"
#include "relay-outbox-private.h"
#include "relay-secrets.h"
#include "relay-secure-private.h"
#include "relay-smtp-session.h"
#include "relay-throttle.h"
#include "relay-validate.h"

#define MAX_ATTEMPTS 6
#define SESSION_TIMEOUT 30    /* s, for each read */
#define EXCHANGE_DEADLINE 60  /* s, for the whole of opening a session, or of one message */
#define SLOWEST_RATE 32768    /* bytes/s a message's deadline allows for its size */
#define POLL_INTERVAL (G_USEC_PER_SEC / 5)

G_DEFINE_QUARK (relay-outbox-error-quark, relay_outbox_error)

typedef struct
{
  char   *id;
  char   *message_id;
  char   *from;
  GStrv   recipients;
  char   *subject;
  guint   attempt;
  char   *state;         /* queued, deferred, throttled, sending, sent */
  gint64  next_attempt;  /* µs of real time; 0: now */
  /* while “sending”: the recipients a 4xx to their RCPT put off, which
   * the message goes to later (at next_attempt), or NULL */
  GStrv   later;
  /* when “sent”: the server's reply, for the event the log could not take */
  char   *reply;
} Item;

static void
item_free (Item *item)
{
  g_free (item->id);
  g_free (item->message_id);
  g_free (item->from);
  g_strfreev (item->recipients);
  g_free (item->subject);
  g_free (item->state);
  g_strfreev (item->later);
  g_free (item->reply);
  g_free (item);
}

/* The server may have it, or has it: never sent again */
static gboolean
item_handed_over (const Item *item)
{
  return g_str_equal (item->state, "sending") || g_str_equal (item->state, "sent");
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Item, item_free)

char *
relay_outbox_get_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "mail-relay", "outbox", NULL);
}

/* The data folder and the outbox in it: private, or not used */
static gboolean
ensure_outbox_dir (GError **error)
{
  g_autofree char *data = g_build_filename (g_get_user_data_dir (), "mail-relay", NULL);
  g_autofree char *dir = relay_outbox_get_dir ();

  return relay_file_ensure_private_dir (data, error) &&
         relay_file_ensure_private_dir (dir, error);
}

static char *
item_path (const char *id,
           const char *suffix)
{
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autofree char *name = g_strconcat (id, suffix, NULL);

  return g_build_filename (dir, name, NULL);
}

/* ID.json's text */
static char *
item_to_json (Item  *item,
              gsize *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message_id");
  json_builder_add_string_value (builder, item->message_id);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, item->from);
  json_builder_set_member_name (builder, "recipients");
  json_builder_begin_array (builder);
  for (guint i = 0; item->recipients[i]; i++)
    json_builder_add_string_value (builder, item->recipients[i]);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "subject");
  json_builder_add_string_value (builder, item->subject);
  json_builder_set_member_name (builder, "attempt");
  json_builder_add_int_value (builder, item->attempt);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, item->state);
  json_builder_set_member_name (builder, "next_attempt");
  json_builder_add_int_value (builder, item->next_attempt);
  if (item->reply != NULL)
    {
      json_builder_set_member_name (builder, "reply");
      json_builder_add_string_value (builder, item->reply);
    }
  if (item->later != NULL)
    {
      json_builder_set_member_name (builder, "later");
      json_builder_begin_array (builder);
      for (guint i = 0; item->later[i]; i++)
        json_builder_add_string_value (builder, item->later[i]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, length);
}

static gboolean
write_item (Item    *item,
            GError **error)
{
  g_autofree char *path = item_path (item->id, ".json");
  gsize length;
  g_autofree char *text = item_to_json (item, &length);

  return g_file_set_contents_full (path, text, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

/* A list of strings, or NULL when @node is anything else */
static GStrv
read_strings (JsonNode *node)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (json_node_get_value_type (element) != G_TYPE_STRING)
        return NULL;
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  return g_strv_builder_end (builder);
}

/* Reads a file of the outbox's own (relay_file_open_own(): never through
 * a symbolic link that someone planted, only a regular file of this
 * user's, closed to others first), at most @max bytes */
static gboolean
read_own_file (const char  *path,
               gsize        max,
               char       **contents,
               gsize       *length,
               GError     **error)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  struct stat st;
  int fd;

  fd = relay_file_open_own (path, O_RDONLY, 0, error);
  if (fd < 0)
    return FALSE;

  if (fstat (fd, &st) != 0)
    {
      int saved_errno = errno;

      close (fd);
      g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                           g_strerror (saved_errno));
      return FALSE;
    }
  if ((guint64)st.st_size > max)
    {
      close (fd);
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("it is too large"));
      return FALSE;
    }

  mapped = g_mapped_file_new_from_fd (fd, FALSE, error);
  close (fd);
  if (mapped == NULL)
    return FALSE;

  bytes = g_mapped_file_get_bytes (mapped);
  *length = MIN (g_bytes_get_size (bytes), max);
  *contents = g_malloc (*length + 1);
  if (*length > 0)  /* an empty file maps to no data at all */
    memcpy (*contents, g_bytes_get_data (bytes, NULL), *length);
  (*contents)[*length] = '\0';

  return TRUE;
}

/* @text, as strictly as a typed address: or @error naming @field */
static gboolean
check_address_field (const char  *text,
                     const char  *field,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *address = NULL;

  if (text == NULL)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("%s: not an address"), field);
      return FALSE;
    }

  address = relay_validate_address_field (text, field, &local_error);
  if (address == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_addresses (const char * const  *addresses,
                 const char          *field,
                 GError             **error)
{
  for (guint i = 0; addresses != NULL && addresses[i]; i++)
    if (!check_address_field (addresses[i], field, error))
      return FALSE;

  return TRUE;
}

/* One line of text, as typed text must be */
static gboolean
check_line (const char  *text,
            const char  *field,
            GError     **error)
{
  if (text == NULL || strpbrk (text, "\r\n") != NULL || !g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("%s: not one line of text"), field);
      return FALSE;
    }

  return TRUE;
}

#define MAX_ITEM_SIZE (1024 * 1024)      /* an envelope: a few KB, or many recipients */
#define MAX_ITEM_DEPTH 4                 /* an object holding lists of strings */
#define MAX_MESSAGE_SIZE (64 * 1024 * 1024)

static const char * const item_states[] = { "queued", "deferred", "throttled", "sending", "sent", NULL };

/* Reads ID.json as strictly as the values were checked when typed.
 * Returns NULL with @error set when it is damaged, with @error NULL when
 * it is simply not there (any more). */
static Item *
parse_item (const char  *id,
            const char  *contents,
            gsize        length,
            GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Item) item = NULL;
  g_auto(GStrv) recipients = NULL;
  JsonObject *object;
  JsonNode *later;

  if (length > MAX_ITEM_SIZE)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("it is too large"));
      return NULL;
    }

  if (!relay_json_check_depth (contents, length, MAX_ITEM_DEPTH, error))
    return NULL;

  if (!json_parser_load_from_data (parser, contents, length, error))
    return NULL;

  /* an empty file parses, to no root at all */
  if (json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("it is not a JSON object"));
      return NULL;
    }

  object = json_node_get_object (json_parser_get_root (parser));
  /* a message to nobody is nothing to send */
  if (!(recipients = read_strings (json_object_get_member (object, "recipients"))) ||
      recipients[0] == NULL)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("recipients: not a list of addresses"));
      return NULL;
    }

  item = g_new0 (Item, 1);
  item->id = g_strdup (id);
  item->message_id = g_strdup (relay_json_get_string (object, "message_id", NULL));
  item->from = g_strdup (relay_json_get_string (object, "from", NULL));
  item->subject = g_strdup (relay_json_get_string (object, "subject", ""));
  item->attempt = relay_json_get_int (object, "attempt", 0);
  item->state = g_strdup (relay_json_get_string (object, "state", "queued"));
  item->next_attempt = relay_json_get_int (object, "next_attempt", 0);
  item->recipients = g_steal_pointer (&recipients);
  later = json_object_get_member (object, "later");
  item->later = read_strings (later);
  item->reply = g_strdup (relay_json_get_string (object, "reply", NULL));

  if (item->message_id == NULL || item->message_id[0] == '\0' ||
      strpbrk (item->message_id, "<> \t\r\n") != NULL || !g_utf8_validate (item->message_id, -1, NULL))
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("message_id: not a message id"));
      return NULL;
    }

  if (!check_addresses ((const char * const *)item->recipients, "recipients", error) ||
      !check_address_field (item->from, "from", error) ||
      !check_line (item->subject, "subject", error) ||
      (item->reply != NULL && !check_line (item->reply, "reply", error)))
    return NULL;

  if (later != NULL && !JSON_NODE_HOLDS_NULL (later) &&
      (item->later == NULL || !check_addresses ((const char * const *)item->later, "later", error)))
    {
      if (error == NULL || *error == NULL)
        g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("later: not a list of addresses"));
      return NULL;
    }
  if (item->later != NULL && item->later[0] == NULL)
    g_clear_pointer (&item->later, g_strfreev);

  if (item->state == NULL || !g_strv_contains (item_states, item->state) ||
      item->attempt > 1000 || item->next_attempt < 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("state: not a state of a queued message"));
      return NULL;
    }

  return g_steal_pointer (&item);
}

static Item *
read_item (const char  *id,
           GError     **error)
{
  g_autofree char *path = item_path (id, ".json");
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  if (!read_own_file (path, MAX_ITEM_SIZE, &contents, &length, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return parse_item (id, contents, length, error);
}

/**
 * relay_outbox_item_check:
 * @data: what an outbox envelope (ID.json) holds
 * @normalized: (out) (optional): the envelope as the outbox would write
 *   it back
 *
 * The outbox's own reading of an envelope, without the file (for the
 * fuzzer, fuzz/fuzz-outbox-item.c).
 *
 * Returns: whether the outbox would take it, else @error says why
 */
gboolean
relay_outbox_item_check (const char  *data,
                         gsize        length,
                         char       **normalized,
                         GError     **error)
{
  g_autoptr(Item) item = parse_item ("0000000000000000-fuzz", data, length, error);

  if (item == NULL)
    return FALSE;

  if (normalized != NULL)
    *normalized = item_to_json (item, NULL);

  return TRUE;
}

static void
remove_item (Item *item)
{
  g_autofree char *meta = item_path (item->id, ".json");
  g_autofree char *eml = item_path (item->id, ".eml");

  /* the envelope first: without it, the message is no longer queued */
  g_unlink (meta);
  g_unlink (eml);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  /* g_ptr_array_sort passes pointers to the elements */
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

/* Queued messages, oldest first (ids start with the time) */
static GPtrArray *
list_ids (void)
{
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (ids, g_strndup (name, strlen (name) - 5));

  g_ptr_array_sort (ids, compare_ids);
  return ids;
}

static GPtrArray *
list_items (void)
{
  g_autoptr(GPtrArray) ids = list_ids ();
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify)item_free);

  for (guint i = 0; i < ids->len; i++)
    {
      /* a damaged one is moved aside by the next drain (quarantine ()) */
      Item *item = read_item (g_ptr_array_index (ids, i), NULL);

      if (item != NULL)
        g_ptr_array_add (items, item);
    }

  return items;
}

guint
relay_outbox_count (void)
{
  g_autoptr(GPtrArray) items = list_items ();

  return items->len;
}

/* An event of @item's for @recipients, or all of its recipients when NULL */
/**
 * relay_outbox_count_due:
 * @now: µs of real time
 * @next: (out) (optional): when the next of the others is due (µs of real
 *   time), or %G_MAXINT64 when none waits for a time
 *
 * Returns: how many messages may be sent at @now, limits allowing
 */
guint
relay_outbox_count_due (gint64  now,
                        gint64 *next)
{
  g_autoptr(GPtrArray) items = list_items ();
  gint64 earliest = G_MAXINT64;
  guint due = 0;

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);

      if (item_handed_over (item))
        continue;
      if (item->next_attempt <= now)
        due++;
      else
        earliest = MIN (earliest, item->next_attempt);
    }

  if (next != NULL)
    *next = earliest;

  return due;
}

static RelaySendLogEntry *
make_entry_for (RelayAccount       *account,
                Item               *item,
                const char * const *recipients,
                RelaySendStatus     status,
                const char         *reply,
                const char         *detail)
{
  RelaySendLogEntry *entry;

  if (recipients == NULL)
    recipients = (const char * const *)item->recipients;

  entry = relay_send_log_entry_new (status, item->message_id, recipients,
                                    item->subject, item->attempt, reply ? reply : "");
  relay_send_log_entry_set_account (entry, relay_account_get_id (account));
  if (detail != NULL)
    relay_send_log_entry_set_detail (entry, detail);
  if (item->next_attempt > 0 && (status == RELAY_SEND_STATUS_DEFERRED || status == RELAY_SEND_STATUS_THROTTLED))
    {
      g_autoptr(GDateTime) next = g_date_time_new_from_unix_local (item->next_attempt / G_USEC_PER_SEC);

      relay_send_log_entry_set_next_attempt (entry, next);
    }

  return entry;
}

static RelaySendLogEntry *
make_entry (RelayAccount     *account,
            Item             *item,
            RelaySendStatus   status,
            const char       *reply,
            const char       *detail)
{
  return make_entry_for (account, item, NULL, status, reply, detail);
}

static gboolean
log_event (RelaySendLog     *log,
           RelayAccount     *account,
           Item             *item,
           RelaySendStatus   status,
           const char       *reply,
           const char       *detail,
           GError          **error)
{
  g_autoptr(RelaySendLogEntry) entry = make_entry (account, item, status, reply, detail);

  return relay_send_log_append (log, &entry, 1, error);
}

static GBytes *
build_message (RelayAccount       *account,
               const char * const *recipients,
               const char         *subject,
               const char         *message_id,
               GBytes             *body)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return relay_message_compose (relay_account_get_from (account), recipients, subject, now,
                                message_id, body);
}

/**
 * relay_outbox_enqueue:
 * @body: the text of the message (UTF-8)
 *
 * Writes the message to the outbox durably and logs it as queued.
 *
 * Returns: (transfer full) (nullable): its message id
 */
char *
relay_outbox_enqueue (RelayAccount        *account,
                      const char * const  *recipients,
                      const char          *subject,
                      GBytes              *body,
                      RelaySendLog        *log,
                      GError             **error)
{
  g_autoptr(GStrvBuilder) checked = g_strv_builder_new ();
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *eml = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(Item) item = g_new0 (Item, 1);
  const char *from = relay_account_get_from (account);
  const char *at = strrchr (from, '@');

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, NULL);

  for (guint i = 0; recipients[i]; i++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *address = relay_validate_address_field (recipients[i], _("Recipient"), &local_error);

      if (address == NULL)
        {
          g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE, local_error->message);
          return NULL;
        }
      g_strv_builder_add (checked, address);
    }

  if (strpbrk (subject, "\r\n") != NULL || !g_utf8_validate (subject, -1, NULL))
    {
      g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE,
                           _("Subject: it must be one line of text"));
      return NULL;
    }

  if (!g_utf8_validate (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
    {
      g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE,
                           _("Body: it is not UTF-8 text"));
      return NULL;
    }

  if (!ensure_outbox_dir (error))
    return NULL;

  item->id = g_strdup_printf ("%016" G_GINT64_MODIFIER "x-%.8s", g_get_real_time (), uuid);
  item->message_id = g_strdup_printf ("%s@%s", uuid, at ? at + 1 : "localhost");
  item->from = g_strdup (from);
  item->recipients = g_strv_builder_end (checked);
  item->subject = g_strdup (subject);
  item->state = g_strdup ("queued");

  message = build_message (account, (const char * const *)item->recipients, subject, item->message_id, body);
  eml = item_path (item->id, ".eml");
  if (!g_file_set_contents_full (eml, g_bytes_get_data (message, NULL), g_bytes_get_size (message),
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error) ||
      !write_item (item, error) ||
      !log_event (log, account, item, RELAY_SEND_STATUS_QUEUED, NULL, NULL, error))
    {
      /* what is reported is what was done: not queued, so not in the outbox */
      remove_item (item);
      return NULL;
    }

  return g_strdup (item->message_id);
}

void
relay_outbox_report_free (RelayOutboxReport *report)
{
  if (report == NULL)
    return;

  g_free (report->stopped_by);
  g_clear_pointer (&report->waiting, g_ptr_array_unref);
  g_free (report);
}

typedef struct
{
  RelayAccount            *account;
  RelaySendLog            *log;
  RelayThrottle           *throttle;
  RelaySmtpSession        *session;
  const char              *step;    /* of the session being opened */
  guint                    on_connection;
  guint                    per_connection;
  char                    *secret;
  /* the sign-in server did not answer in time: each message due waits
   * for its retry, as when the mail server does not answer */
  GError                  *no_token;
  RelayOutboxReport       *report;
  /* “sent” events not yet in the log, and their messages, still marked
   * “sending” in the outbox: written with one fsync for many messages. A
   * crash before that write leaves them “sending”, reported unknown and
   * never sent again. */
  GPtrArray               *pending_entries;
  GPtrArray               *pending_items;
  /* the send log could not be written: nothing more is sent */
  gboolean                 halted;
  RelayOutboxProgressFunc  progress;
  gpointer                 progress_data;
  GCancellable            *cancellable;
} Drain;

static void
say (Drain      *drain,
     const char *format,
     ...) G_GNUC_PRINTF (2, 3);

static void
say (Drain      *drain,
     const char *format,
     ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (drain->progress == NULL)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  drain->progress (text, drain->progress_data);
}

/* Waits until @until (µs of real time), or cancellation */
static gboolean
sleep_until (Drain  *drain,
             gint64  until)
{
  while (g_get_real_time () < until)
    {
      if (g_cancellable_is_cancelled (drain->cancellable))
        return FALSE;
      g_usleep (MIN (POLL_INTERVAL, until - g_get_real_time ()));
    }

  return !g_cancellable_is_cancelled (drain->cancellable);
}

typedef struct
{
  const char *message_id;
  guint       attempt;
  gboolean    found;
} FindSent;

static gboolean
find_sent_cb (const char *line,
              gsize       length,
              gpointer    user_data)
{
  FindSent *find = user_data;
  g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new_from_line (line, length, NULL);

  /* the attempt too: an earlier attempt may have gone to other recipients */
  if (entry != NULL &&
      g_strcmp0 (relay_send_log_entry_get_message_id (entry), find->message_id) == 0 &&
      relay_send_log_entry_get_attempt (entry) == find->attempt)
    find->found = TRUE;

  return !find->found;
}

/* After @item's attempt has ended (sent, or its result unknown): the
 * recipients it put off wait for their own retry, else it is done */
static gboolean
finish_item (Item    *item,
             GError **error)
{
  if (item->later == NULL)
    {
      remove_item (item);
      return TRUE;
    }

  g_strfreev (item->recipients);
  item->recipients = g_steal_pointer (&item->later);
  g_free (item->state);
  item->state = g_strdup ("deferred");

  return write_item (item, error);
}

#define MAX_PENDING 32

/* The send log cannot be written: nothing more goes */
static void
halt (Drain        *drain,
      const GError *error)
{
  if (drain->halted)
    return;

  drain->halted = TRUE;
  g_free (drain->report->stopped_by);
  drain->report->stopped_by = g_strdup_printf (_("Sending stopped: the send log could not be written (%s)"),
                                               error->message);
}

static void
flush_sent (Drain *drain)
{
  g_autoptr(GError) error = NULL;

  if (drain->pending_entries == NULL || drain->pending_entries->len == 0)
    return;

  if (relay_send_log_append (drain->log, (RelaySendLogEntry **)drain->pending_entries->pdata,
                             drain->pending_entries->len, &error))
    for (guint i = 0; i < drain->pending_items->len; i++)
      finish_item (g_ptr_array_index (drain->pending_items, i), NULL);
  else
    {
      /* the messages are marked “sent” in the outbox, logged as sent at
       * the next drain (or, when even that cannot be written, stay
       * “sending”: unknown then); never sent again */
      for (guint i = 0; i < drain->pending_items->len; i++)
        {
          Item *item = g_ptr_array_index (drain->pending_items, i);
          RelaySendLogEntry *entry = g_ptr_array_index (drain->pending_entries, i);

          g_free (item->state);
          item->state = g_strdup ("sent");
          g_free (item->reply);
          item->reply = g_strdup (relay_send_log_entry_get_reply (entry));
          write_item (item, NULL);
        }
      halt (drain, error);
    }

  g_ptr_array_set_size (drain->pending_entries, 0);
  g_ptr_array_set_size (drain->pending_items, 0);
}

/* Every outcome but “sent” is written here, before the outbox changes:
 * FALSE (and the drain halted) when the send log cannot take @entries, and
 * the caller then leaves the item as it was, to be tried again */
static gboolean
record (Drain              *drain,
        RelaySendLogEntry **entries,
        guint               n_entries)
{
  g_autoptr(GError) error = NULL;

  flush_sent (drain);
  if (drain->halted)
    return FALSE;

  if (!relay_send_log_append (drain->log, entries, n_entries, &error))
    {
      halt (drain, error);
      return FALSE;
    }

  return TRUE;
}

/* One event about @item for @recipients (all of its own when NULL) */
static gboolean
record_event (Drain              *drain,
              Item               *item,
              const char * const *recipients,
              RelaySendStatus     status,
              const char         *reply,
              const char         *detail)
{
  g_autoptr(RelaySendLogEntry) entry = make_entry_for (drain->account, item, recipients,
                                                       status, reply, detail);

  return record (drain, &entry, 1);
}

/* Moves a damaged item (@id) out of the outbox into the data folder's
 * damaged/, where a person can look at it, and logs it failed, saying why */
static void
quarantine (Drain        *drain,
            const char   *id,
            const GError *damage)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "mail-relay", "damaged", NULL);
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autofree char *detail = NULL;

  detail = g_strdup_printf (_("The outbox file %s.json is damaged (%s); it was moved to %s and is not sent."),
                            id, damage->message, dir);
  entry = relay_send_log_entry_new (RELAY_SEND_STATUS_FAILED, id, NULL, "", 0, "");
  relay_send_log_entry_set_account (entry, relay_account_get_id (drain->account));
  relay_send_log_entry_set_detail (entry, detail);
  if (!record (drain, &entry, 1))
    return;

  relay_file_ensure_private_dir (dir, NULL);
  for (guint i = 0; i < 2; i++)
    {
      const char *suffix = i == 0 ? ".json" : ".eml";
      g_autofree char *from = item_path (id, suffix);
      g_autofree char *name = g_strconcat (id, suffix, NULL);
      g_autofree char *to = g_build_filename (dir, name, NULL);

      /* rename() moves a symbolic link itself, never what it points to */
      if (g_rename (from, to) != 0 && errno != ENOENT)
        g_unlink (from);
    }
  drain->report->failed++;
}

/* After a crash: a message caught at its end of data may have arrived;
 * and what is damaged leaves the outbox */
static void
recover (Drain *drain)
{
  g_autoptr(GPtrArray) ids = list_ids ();
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify)item_free);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) damage = NULL;
      Item *item = read_item (g_ptr_array_index (ids, i), &damage);

      if (item != NULL)
        g_ptr_array_add (items, item);
      else if (damage != NULL)
        quarantine (drain, g_ptr_array_index (ids, i), damage);
    }

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);
      FindSent find = { item->message_id, item->attempt, FALSE };

      /* accepted by the server while the log could not be written */
      if (g_str_equal (item->state, "sent"))
        {
          if (!record_event (drain, item, NULL, RELAY_SEND_STATUS_SENT, item->reply, NULL))
            return;
          g_clear_pointer (&item->reply, g_free);
          finish_item (item, NULL);
          drain->report->sent++;
          continue;
        }

      if (!g_str_equal (item->state, "sending"))
        continue;

      relay_send_log_scan (relay_send_log_get_path (drain->log), RELAY_SEND_STATUS_SENT,
                           find_sent_cb, &find, NULL);
      if (!find.found)
        {
          if (!record_event (drain, item, NULL, RELAY_SEND_STATUS_UNKNOWN, NULL,
                             _("Mail Relay stopped while the server was receiving this message; it may or may not have been delivered, and it is not sent again.")))
            return;
          drain->report->unknown++;
        }
      finish_item (item, NULL);
    }
}

static Item *
item_copy (const Item *item)
{
  Item *copy = g_new0 (Item, 1);

  copy->id = g_strdup (item->id);
  copy->message_id = g_strdup (item->message_id);
  copy->from = g_strdup (item->from);
  copy->recipients = g_strdupv (item->recipients);
  copy->subject = g_strdup (item->subject);
  copy->attempt = item->attempt;
  copy->state = g_strdup (item->state);
  copy->next_attempt = item->next_attempt;
  copy->later = g_strdupv (item->later);

  return copy;
}

/* When an exchange with the server that starts now must be over
 * (monotonic µs): a server that trickles its replies a byte at a time
 * holds the outbox, its lock and the app's Send Now no longer than this.
 * MAIL_RELAY_SEND_DEADLINE_SECONDS changes the base (tests). */
static gint64
exchange_deadline (gsize size)
{
  const char *env = g_getenv ("MAIL_RELAY_SEND_DEADLINE_SECONDS");
  double base = env ? g_ascii_strtod (env, NULL) : EXCHANGE_DEADLINE;

  if (base <= 0)
    base = EXCHANGE_DEADLINE;

  return g_get_monotonic_time () + (gint64)((base + (double)size / SLOWEST_RATE) * G_USEC_PER_SEC);
}

static gint64
retry_delay (guint attempt)
{
  const char *env = g_getenv ("MAIL_RELAY_RETRY_BASE_SECONDS");
  double base = env ? g_ascii_strtod (env, NULL) : 60;
  double jitter = 0.8 + 0.4 * g_random_double ();  /* not a secret: spreads retries */

  if (base <= 0)
    base = 60;

  return (gint64)(base * (1 << MIN (attempt - 1, 10)) * jitter * G_USEC_PER_SEC);
}

static void
close_session (Drain    *drain,
               gboolean  polite)
{
  if (drain->session == NULL)
    return;

  if (polite)
    {
      relay_smtp_session_set_deadline (drain->session, exchange_deadline (0));
      relay_smtp_session_quit (drain->session, drain->cancellable, NULL);
    }
  relay_smtp_session_close (drain->session);
  g_clear_object (&drain->session);
  drain->on_connection = 0;
}

/* On failure the session stays in @drain, with the reply that ended it,
 * for classify(); drain->step names the step that failed */
static gboolean
open_session (Drain   *drain,
              GError **error)
{
  RelayAccount *account = drain->account;
  RelaySecurity security = relay_account_get_security (account);
  const char *username = relay_account_get_username (account);
  RelaySmtpSession *session;

  session = drain->session = relay_smtp_session_new (relay_account_get_host (account),
                                                     relay_account_get_port (account), security);
  drain->on_connection = 0;
  relay_smtp_session_set_timeout (session, SESSION_TIMEOUT);
  relay_smtp_session_set_deadline (session, exchange_deadline (0));
  relay_smtp_session_set_ca_file (session, relay_account_get_ca_file (account));
  relay_smtp_session_set_pins (session, relay_account_get_pins (account));
  relay_smtp_session_set_allow_insecure (session, relay_account_get_allow_insecure (account));

  drain->step = "resolve";
  if (!relay_smtp_session_resolve (session, drain->cancellable, error))
    return FALSE;
  drain->step = "connect";
  if (!relay_smtp_session_connect (session, drain->cancellable, error))
    return FALSE;
  drain->step = "tls";
  if (security == RELAY_SECURITY_TLS && !relay_smtp_session_handshake (session, drain->cancellable, error))
    return FALSE;
  drain->step = "greeting";
  if (!relay_smtp_session_read_greeting (session, drain->cancellable, error))
    return FALSE;
  drain->step = "ehlo";
  if (!relay_smtp_session_ehlo (session, drain->cancellable, error))
    return FALSE;

  if (security == RELAY_SECURITY_STARTTLS)
    {
      drain->step = "starttls";
      if (!relay_smtp_session_starttls (session, drain->cancellable, error))
        return FALSE;
      drain->step = "tls";
      if (!relay_smtp_session_handshake (session, drain->cancellable, error))
        return FALSE;
      drain->step = "ehlo";
      if (!relay_smtp_session_ehlo (session, drain->cancellable, error))
        return FALSE;
    }

  drain->step = "auth";
  if (username[0] != '\0' && drain->secret != NULL &&
      !relay_smtp_session_authenticate (session, relay_account_get_auth (account), username,
                                        drain->secret, drain->cancellable, error))
    return FALSE;

  return TRUE;
}

/* The reply a failed step got (into @reply, whenever the server said
 * something), what it means for the message (returned) and in words
 * (@detail) */
static RelayDisposition
classify (Drain        *drain,
          const char   *step,
          const GError *error,
          char        **reply,
          char        **detail)
{
  const RelaySmtpReply *last = drain->session ? relay_smtp_session_get_last_reply (drain->session) : NULL;
  g_autoptr(RelayDiagnosis) diagnosis = NULL;

  if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY) && last != NULL)
    {
      diagnosis = relay_diagnose_reply (step, last->code, last->enhanced, relay_smtp_reply_get_text (last));
      *reply = relay_smtp_reply_to_string (last);
    }
  else
    diagnosis = relay_diagnose_error (step, error);

  *detail = g_strdup (diagnosis->message);
  return diagnosis->disposition;
}

static void
fail (Drain      *drain,
      Item       *item,
      const char *reply,
      const char *detail)
{
  if (!record_event (drain, item, NULL, RELAY_SEND_STATUS_FAILED, reply, detail))
    return;
  remove_item (item);
  drain->report->failed++;
}

static void
defer (Drain      *drain,
       Item       *item,
       const char *reply,
       const char *detail)
{
  if (item->attempt >= MAX_ATTEMPTS)
    {
      g_autofree char *gave_up = g_strdup_printf (_("Gave up after %u attempts: %s"), item->attempt, detail);

      fail (drain, item, reply, gave_up);
      return;
    }

  item->next_attempt = g_get_real_time () + retry_delay (item->attempt);
  if (!record_event (drain, item, NULL, RELAY_SEND_STATUS_DEFERRED, reply, detail))
    return;
  g_free (item->state);
  item->state = g_strdup ("deferred");
  write_item (item, NULL);
}


static gint64
hold_until (Drain *drain)
{
  guint window = MAX (relay_account_get_recipient_window (drain->account),
                      relay_account_get_message_window (drain->account));

  return g_get_real_time () + (window ? (gint64)window * G_USEC_PER_SEC : retry_delay (1));
}

/* Holds every message until the provider's window allows */
static void
hold (Drain      *drain,
      Item       *item,
      const char *reply,
      const char *detail)
{
  item->next_attempt = hold_until (drain);
  if (!record_event (drain, item, NULL, RELAY_SEND_STATUS_THROTTLED, reply, detail))
    return;
  g_free (item->state);
  item->state = g_strdup ("throttled");
  write_item (item, NULL);
  drain->report->held_until = item->next_attempt;
}

/* What a refused message becomes: deferred, held with the outbox, or
 * failed. FALSE when the drain must stop. */
static gboolean
settle (Drain            *drain,
        Item             *item,
        RelayDisposition  disposition,
        const char       *reply,
        const char       *detail)
{
  switch (disposition)
    {
    case RELAY_DISPOSITION_TEMPORARY:
      defer (drain, item, reply, detail);
      return TRUE;
    case RELAY_DISPOSITION_QUOTA:
      hold (drain, item, reply, detail);
      return FALSE;
    case RELAY_DISPOSITION_PERMANENT:
    case RELAY_DISPOSITION_OK:
    default:
      fail (drain, item, reply, detail);
      return TRUE;
    }
}

/* What the server said to each RCPT of @item: who takes the message now
 * (@accepted), who never will (logged failed, one event each with its own
 * reply) and who may later (@later, logged deferred or held, one event
 * each). The outbox itself is not changed here. FALSE when a recipient's
 * reply holds the whole outbox (a quota). */
static gboolean
sort_recipients (Drain      *drain,
                 Item       *item,
                 GPtrArray  *replies,
                 GStrv      *accepted,
                 GStrv      *later)
{
  g_autoptr(GStrvBuilder) taken = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) waiting = g_strv_builder_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean quota = FALSE;
  gint64 next = g_get_real_time () + retry_delay (item->attempt);

  for (guint i = 0; item->recipients[i]; i++)
    {
      const RelaySmtpReply *reply = g_ptr_array_index (replies, i);
      const char *one[] = { item->recipients[i], NULL };
      g_autoptr(RelayDiagnosis) diagnosis = NULL;
      g_autofree char *text = NULL;
      RelaySendStatus status;
      RelaySendLogEntry *entry;

      if (relay_smtp_reply_is_positive (reply))
        {
          g_strv_builder_add (taken, item->recipients[i]);
          continue;
        }

      diagnosis = relay_diagnose_reply ("rcpt", reply->code, reply->enhanced, relay_smtp_reply_get_text (reply));
      text = relay_smtp_reply_to_string (reply);

      if (diagnosis->disposition == RELAY_DISPOSITION_PERMANENT ||
          diagnosis->disposition == RELAY_DISPOSITION_OK ||
          item->attempt >= MAX_ATTEMPTS)
        {
          g_autofree char *detail = item->attempt >= MAX_ATTEMPTS && diagnosis->disposition != RELAY_DISPOSITION_PERMANENT
            ? g_strdup_printf (_("Gave up after %u attempts: %s"), item->attempt, diagnosis->message)
            : g_strdup (diagnosis->message);

          status = RELAY_SEND_STATUS_FAILED;
          entry = make_entry_for (drain->account, item, one, status, text, detail);
          drain->report->failed++;
        }
      else
        {
          if (diagnosis->disposition == RELAY_DISPOSITION_QUOTA && !quota)
            {
              quota = TRUE;
              next = hold_until (drain);
              drain->report->held_until = next;
            }
          status = quota ? RELAY_SEND_STATUS_THROTTLED : RELAY_SEND_STATUS_DEFERRED;
          g_strv_builder_add (waiting, item->recipients[i]);
          entry = make_entry_for (drain->account, item, one, status, text, diagnosis->message);
        }

      g_ptr_array_add (events, entry);
    }

  /* one retry time for all who wait */
  for (guint i = 0; i < events->len; i++)
    {
      RelaySendLogEntry *entry = g_ptr_array_index (events, i);

      if (relay_send_log_entry_get_status (entry) != RELAY_SEND_STATUS_FAILED)
        {
          g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (next / G_USEC_PER_SEC);

          relay_send_log_entry_set_next_attempt (entry, when);
        }
    }

  if (events->len > 0)
    record (drain, (RelaySendLogEntry **)events->pdata, events->len);

  *accepted = g_strv_builder_end (taken);
  *later = g_strv_builder_end (waiting);
  if ((*later)[0] == NULL)
    g_clear_pointer (later, g_strfreev);
  item->next_attempt = next;

  return !quota;
}

/* The server does not offer SMTPUTF8 (RFC 6531): an international address
 * cannot go through it, ever. Those recipients fail (the message, when
 * the sender is one); FALSE when nobody is left to send to. */
static gboolean
drop_international (Drain *drain,
                    Item  *item)
{
  g_autoptr(GStrvBuilder) rest = g_strv_builder_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) left = NULL;

  if (relay_address_needs_smtputf8 (item->from))
    {
      g_autofree char *why = g_strdup_printf (_("The server does not take international addresses (it does not offer SMTPUTF8), and the sender address %s is one."),
                                              item->from);

      fail (drain, item, NULL, why);
      return FALSE;
    }

  for (guint i = 0; item->recipients[i]; i++)
    {
      const char *one[] = { item->recipients[i], NULL };
      g_autofree char *why = NULL;

      if (!relay_address_needs_smtputf8 (item->recipients[i]))
        {
          g_strv_builder_add (rest, item->recipients[i]);
          continue;
        }

      why = g_strdup_printf (_("The server does not take international addresses (it does not offer SMTPUTF8), so it cannot send to %s."),
                             item->recipients[i]);
      g_ptr_array_add (events, make_entry_for (drain->account, item, one, RELAY_SEND_STATUS_FAILED, NULL, why));
    }

  /* all of them or none: not recorded, the item stays as it was and the
   * drain stops */
  if (events->len > 0 && !record (drain, (RelaySendLogEntry **)events->pdata, events->len))
    return FALSE;
  drain->report->failed += events->len;

  left = g_strv_builder_end (rest);
  if (left[0] == NULL)
    {
      remove_item (item);
      return FALSE;
    }

  if (g_strv_length (left) != g_strv_length (item->recipients))
    {
      g_strfreev (item->recipients);
      item->recipients = g_steal_pointer (&left);
      write_item (item, NULL);
    }

  return TRUE;
}

/* Sends one message; FALSE when the drain must stop */
static gboolean
send_item (Drain *drain,
           Item  *item)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GPtrArray) replies = NULL;
  g_auto(GStrv) accepted = NULL;
  g_auto(GStrv) later = NULL;
  g_autofree char *eml = item_path (item->id, ".eml");
  g_autofree char *contents = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *detail = NULL;
  gsize length;
  RelayDisposition disposition;
  gboolean go_on;

  /* a message that may have reached the server is never sent again */
  if (drain->halted)
    return FALSE;
  if (item_handed_over (item))
    return TRUE;

  if (!read_own_file (eml, MAX_MESSAGE_SIZE, &contents, &length, &error))
    {
      g_autofree char *why = g_strdup_printf (_("The message’s file %s.eml cannot be sent: %s"), item->id, error->message);

      fail (drain, item, NULL, why);
      return TRUE;
    }
  message = g_bytes_new_take (g_steal_pointer (&contents), length);

  item->attempt++;

  if (drain->session == NULL || drain->on_connection >= drain->per_connection)
    {
      close_session (drain, TRUE);
      if (drain->no_token != NULL)
        {
          defer (drain, item, NULL, drain->no_token->message);
          return TRUE;
        }
      if (!open_session (drain, &error))
        {
          disposition = classify (drain, drain->step, error, &reply, &detail);
          close_session (drain, FALSE);

          /* no server, or no credentials: nothing else can go either */
          if (disposition == RELAY_DISPOSITION_TEMPORARY)
            {
              defer (drain, item, reply, detail);
              return TRUE;
            }

          item->attempt--;
          write_item (item, NULL);
          drain->report->stopped_by = g_strdup (detail);
          return FALSE;
        }
    }

  if (!relay_smtp_session_has_capability (drain->session, "SMTPUTF8") && !drop_international (drain, item))
    return !drain->halted;

  relay_smtp_session_set_deadline (drain->session, exchange_deadline (g_bytes_get_size (message)));
  if (!relay_smtp_session_envelope (drain->session, item->from, (const char * const *)item->recipients,
                                    g_bytes_get_size (message), &replies, drain->cancellable, &error))
    {
      gboolean closed = !g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY);

      /* the reply to MAIL, not what the RCPTs got after it */
      disposition = classify (drain, "mail", error, &reply, &detail);
      if (closed || (reply != NULL && g_str_has_prefix (reply, "421")))
        close_session (drain, FALSE);
      else
        relay_smtp_session_rset (drain->session, drain->cancellable, NULL);

      return settle (drain, item, disposition, reply, detail);
    }

  go_on = sort_recipients (drain, item, replies, &accepted, &later);
  if (drain->halted)
    {
      /* the refusals could not be recorded: the message stays as it was */
      relay_smtp_session_rset (drain->session, drain->cancellable, NULL);
      return FALSE;
    }

  if (accepted[0] == NULL)
    {
      /* nobody takes it now: no DATA */
      relay_smtp_session_rset (drain->session, drain->cancellable, NULL);
      if (later == NULL)
        {
          remove_item (item);
          return go_on;
        }

      g_strfreev (item->recipients);
      item->recipients = g_steal_pointer (&later);
      g_free (item->state);
      item->state = g_strdup (go_on ? "deferred" : "throttled");
      write_item (item, NULL);
      return go_on;
    }

  /* From here the server may take the message: a crash means unknown for
   * those who took it; those put off still wait for their retry */
  g_strfreev (item->recipients);
  item->recipients = g_steal_pointer (&accepted);
  g_strfreev (item->later);
  item->later = g_steal_pointer (&later);
  g_free (item->state);
  item->state = g_strdup ("sending");
  if (!write_item (item, &error))
    {
      close_session (drain, FALSE);
      drain->report->stopped_by = g_strdup (error->message);
      return FALSE;
    }

  relay_throttle_record (drain->throttle, g_get_real_time (), g_strv_length (item->recipients));

  if (!relay_smtp_session_data (drain->session, message, drain->cancellable, &error))
    {
      if (!g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY))
        {
          /* the answer to the end of data never came */
          close_session (drain, FALSE);
          /* not recorded: it stays “sending”, and the next run says unknown */
          if (!record_event (drain, item, NULL, RELAY_SEND_STATUS_UNKNOWN, NULL, error->message))
            return FALSE;
          finish_item (item, NULL);
          drain->report->unknown++;
          return go_on;
        }

      disposition = classify (drain, "data", error, &reply, &detail);
      if (reply != NULL && g_str_has_prefix (reply, "421"))
        close_session (drain, FALSE);

      /* the message itself was refused: for everyone it still goes to */
      if (item->later != NULL)
        {
          g_autoptr(GStrvBuilder) all = g_strv_builder_new ();

          g_strv_builder_addv (all, (const char **)item->recipients);
          g_strv_builder_addv (all, (const char **)item->later);
          g_strfreev (item->recipients);
          item->recipients = g_strv_builder_end (all);
          g_clear_pointer (&item->later, g_strfreev);
        }

      return settle (drain, item, disposition, reply, detail) && go_on;
    }

  reply = relay_smtp_reply_to_string (relay_smtp_session_get_last_reply (drain->session));
  g_ptr_array_add (drain->pending_entries,
                   make_entry (drain->account, item, RELAY_SEND_STATUS_SENT, reply, NULL));
  g_ptr_array_add (drain->pending_items, item_copy (item));
  if (drain->pending_entries->len >= MAX_PENDING)
    flush_sent (drain);
  drain->on_connection++;
  drain->report->sent++;

  return go_on;
}

static int
take_lock (Drain   *drain,
           GError **error)
{
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autofree char *path = g_build_filename (dir, ".lock", NULL);
  int fd;

  if (!ensure_outbox_dir (error))
    return -1;
  fd = g_open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", path, g_strerror (saved_errno));
      return -1;
    }

  /* one drainer at a time; the others wait their turn */
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno != EWOULDBLOCK && errno != EINTR)
        {
          int saved_errno = errno;

          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", path, g_strerror (saved_errno));
          return -1;
        }
      if (g_cancellable_set_error_if_cancelled (drain->cancellable, error))
        {
          close (fd);
          return -1;
        }
      say (drain, "%s", _("Waiting for another Mail Relay to finish sending…"));
      g_usleep (POLL_INTERVAL);
    }

  return fd;
}

static char *
get_secret (RelayAccount  *account,
            GCancellable  *cancellable,
            GError       **error)
{
  char *secret;

  if (relay_account_get_username (account)[0] == '\0')
    return NULL;

  if (relay_account_uses_token (account))
    return relay_oauth_account_get_access_token (account, FALSE, cancellable, error);

  secret = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD, cancellable, error);
  if (secret == NULL && (error == NULL || *error == NULL))
    g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_CREDENTIALS,
                         _("No password is stored for this account."));
  if (secret != NULL)
    {
      char *copy = g_strdup (secret);

      secret_password_free (secret);
      return copy;
    }

  return NULL;
}

/* The credentials for the drain. A sign-in server that does not answer in
 * time (its token request has a deadline of its own) stops nothing: the
 * messages due are deferred. FALSE when nothing can be sent. */
static gboolean
fetch_secret (Drain   *drain,
              GError **error)
{
  g_autoptr(GError) local_error = NULL;

  g_clear_error (&drain->no_token);
  g_clear_pointer (&drain->secret, relay_secure_wipe_string);

  drain->secret = get_secret (drain->account, drain->cancellable, &local_error);
  if (drain->secret != NULL || relay_account_get_username (drain->account)[0] == '\0')
    return TRUE;

  if (g_error_matches (local_error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_TIMEOUT))
    {
      drain->no_token = g_steal_pointer (&local_error);
      return TRUE;
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static void
waiting_free (RelayOutboxWaiting *waiting)
{
  g_free (waiting->message_id);
  g_free (waiting->subject);
  g_strfreev (waiting->recipients);
  g_free (waiting);
}

/**
 * relay_outbox_drain:
 * @wait: what to wait for: %RELAY_OUTBOX_WAIT_THROTTLE for the account's
 *   windows to open, %RELAY_OUTBOX_WAIT_RETRY for deferred messages'
 *   next attempts too; without either, stop at the first message that
 *   cannot go now
 *
 * Sends what the outbox holds, one process at a time, over as few
 * connections as the provider allows, never faster than the account's
 * limits (counted from the send log, so across restarts too). Blocks:
 * the app and the CLI call relay_outbox_drain_async(), which runs it in a
 * worker thread of its own.
 *
 * Returns: (transfer full): what happened, or %NULL when the outbox
 *   could not be read or the credentials not found
 */
RelayOutboxReport *
relay_outbox_drain (RelayAccount            *account,
                    RelaySendLog            *log,
                    RelayOutboxWait          wait,
                    RelayOutboxProgressFunc  progress,
                    gpointer                 user_data,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  g_autoptr(RelayThrottle) throttle = relay_throttle_new_for_account (account);
  g_autoptr(RelayOutboxReport) report = g_new0 (RelayOutboxReport, 1);
  g_autoptr(GPtrArray) left = NULL;
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
  Drain drain = { 0 };
  int lock;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (RELAY_IS_SEND_LOG (log), NULL);

  report->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify)waiting_free);
  drain.account = account;
  drain.log = log;
  drain.throttle = throttle;
  drain.report = report;
  drain.progress = progress;
  drain.progress_data = user_data;
  drain.cancellable = cancellable;
  drain.per_connection = provider && relay_provider_get_messages_per_connection (provider)
                         ? relay_provider_get_messages_per_connection (provider) : G_MAXUINT;

  if ((lock = take_lock (&drain, error)) < 0)
    return NULL;

  recover (&drain);

  if (relay_outbox_count () == 0)
    {
      close (lock);
      return g_steal_pointer (&report);
    }

  /* the log holds every attempt: the windows survive restarts */
  relay_throttle_record_log (throttle, relay_send_log_get_path (log));

  if (!fetch_secret (&drain, error))
    {
      close (lock);
      return NULL;
    }

  drain.pending_entries = g_ptr_array_new_with_free_func (g_object_unref);
  drain.pending_items = g_ptr_array_new_with_free_func ((GDestroyNotify)item_free);

  for (gboolean stop = FALSE; !stop;)
    {
      /* one listing per pass: the outbox is read once, not per message;
       * what was sent is logged (and leaves the outbox) before it */
      g_autoptr(GPtrArray) items = (flush_sent (&drain), list_items ());
      gint64 earliest = G_MAXINT64;
      gboolean progressed = FALSE;

      if (items->len == 0 || g_cancellable_is_cancelled (cancellable) || drain.halted)
        break;

      for (guint i = 0; i < items->len && !stop && !drain.halted; i++)
        {
          Item *next = g_ptr_array_index (items, i);
          gint64 now = g_get_real_time ();
          gint64 allowed;

          if (g_cancellable_is_cancelled (cancellable))
            {
              stop = TRUE;
              break;
            }

          /* the server may have it: never again (unknown at the next run) */
          if (item_handed_over (next))
            continue;

          if (next->next_attempt > now)
            {
              earliest = MIN (earliest, next->next_attempt);
              continue;
            }

          allowed = relay_throttle_next_allowed (throttle, now, g_strv_length (next->recipients));
          if (allowed == G_MAXINT64)
            {
              fail (&drain, next, NULL, _("The message has more recipients than the account may send to in one window."));
              progressed = TRUE;
              continue;
            }

          if (allowed > now)
            {
              g_autoptr(GDateTime) resume = g_date_time_new_from_unix_local (allowed / G_USEC_PER_SEC);
              g_autofree char *at = g_date_time_format (resume, "%X");

              if (!g_str_equal (next->state, "throttled"))
                {
                  next->next_attempt = 0;
                  if (!record_event (&drain, next, NULL, RELAY_SEND_STATUS_THROTTLED, NULL,
                                     _("Held back to stay within the provider’s sending limits")))
                    {
                      stop = TRUE;
                      break;
                    }
                  g_free (next->state);
                  next->state = g_strdup ("throttled");
                  write_item (next, NULL);
                }

              if (!(wait & RELAY_OUTBOX_WAIT_THROTTLE))
                {
                  stop = TRUE;
                  break;
                }

              flush_sent (&drain);

              /* a server would drop an idle connection during a long wait */
              if (allowed - now > 10 * G_USEC_PER_SEC)
                close_session (&drain, TRUE);

              say (&drain, _("Throttled: sending resumes at %s (in %.1f s)"), at,
                   (allowed - now) / (double)G_USEC_PER_SEC);
              if (!sleep_until (&drain, allowed))
                {
                  stop = TRUE;
                  break;
                }
            }

          say (&drain, _("Sending “%s”…"), next->subject);
          progressed = TRUE;
          if (!send_item (&drain, next) || drain.halted)
            stop = TRUE;
        }

      if (stop || progressed)
        continue;

      /* nothing was due: wait for the earliest retry, when asked to */
      if (!(wait & RELAY_OUTBOX_WAIT_RETRY) || report->held_until > g_get_real_time () ||
          earliest == G_MAXINT64)
        break;
      close_session (&drain, TRUE);
      say (&drain, _("Waiting to retry…"));
      if (!sleep_until (&drain, earliest))
        break;

      /* the sign-in server may answer now */
      if (drain.no_token != NULL)
        {
          g_autoptr(GError) token_error = NULL;

          if (!fetch_secret (&drain, &token_error))
            {
              report->stopped_by = g_strdup (token_error ? token_error->message : "");
              break;
            }
        }
    }

  close_session (&drain, TRUE);
  flush_sent (&drain);
  g_ptr_array_unref (drain.pending_entries);
  g_ptr_array_unref (drain.pending_items);
  relay_secure_wipe_string (drain.secret);
  g_clear_error (&drain.no_token);

  /* what still waits, and until when */
  left = list_items ();
  report->deferred = left->len;
  for (guint i = 0; i < left->len; i++)
    {
      Item *item = g_ptr_array_index (left, i);
      RelayOutboxWaiting *waiting = g_new0 (RelayOutboxWaiting, 1);

      waiting->message_id = g_strdup (item->message_id);
      waiting->subject = g_strdup (item->subject);
      waiting->recipients = g_strdupv (item->recipients);
      waiting->next_attempt = item->next_attempt;
      waiting->sending = g_str_equal (item->state, "sending");
      waiting->sent = g_str_equal (item->state, "sent");
      g_ptr_array_add (report->waiting, waiting);
    }
  close (lock);

  return g_steal_pointer (&report);
}

/* Progress is said in the caller's main context, queued above the task's
 * own completion so that every line comes before the result; never
 * g_main_context_invoke (), which would run the caller's function in the
 * worker whenever the context is free to acquire. */
typedef struct
{
  RelayAccount            *account;  /* a copy: the caller may change its own */
  RelaySendLog            *log;
  RelayOutboxWait          wait;
  RelayOutboxProgressFunc  progress;
  gpointer                 progress_data;
  GMainContext            *context;
} DrainTask;

static void
drain_task_free (DrainTask *state)
{
  g_clear_object (&state->account);
  g_clear_object (&state->log);
  g_clear_pointer (&state->context, g_main_context_unref);
  g_free (state);
}

typedef struct
{
  RelayOutboxProgressFunc  progress;
  gpointer                 progress_data;
  char                    *text;
} ProgressEvent;

static void
progress_event_free (gpointer user_data)
{
  ProgressEvent *event = user_data;

  g_free (event->text);
  g_free (event);
}

static gboolean
emit_progress (gpointer user_data)
{
  ProgressEvent *event = user_data;

  event->progress (event->text, event->progress_data);

  return G_SOURCE_REMOVE;
}

/* In the worker: each line goes to the caller's context */
static void
post_progress (const char *text,
               gpointer    user_data)
{
  DrainTask *state = user_data;
  ProgressEvent *event = g_new0 (ProgressEvent, 1);
  g_autoptr(GSource) source = g_idle_source_new ();

  event->progress = state->progress;
  event->progress_data = state->progress_data;
  event->text = g_strdup (text);
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, emit_progress, event, progress_event_free);
  g_source_set_static_name (source, "[relay-outbox] drain progress");
  g_source_attach (source, state->context);
}

static void
drain_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  DrainTask *state = task_data;
  RelayOutboxReport *report;
  GError *error = NULL;

  report = relay_outbox_drain (state->account, state->log, state->wait,
                               state->progress ? post_progress : NULL, state,
                               cancellable, &error);
  if (report == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, report, (GDestroyNotify)relay_outbox_report_free);
}

/**
 * relay_outbox_drain_async:
 * @account: the account to send with; copied, so later changes to it do
 *   not reach this drain
 * @log: the send log the events go to
 * @wait: what to wait for, as for relay_outbox_drain()
 * @progress: (nullable) (scope notified): called with each line of
 *   progress, in the caller's thread-default main context, always before
 *   @callback
 * @progress_data: for @progress; it must stay valid until @callback has run
 * @cancellable: (nullable): stops the drain after the message being sent
 * @callback: called in the caller's thread-default main context when done
 * @user_data: for @callback
 *
 * Runs relay_outbox_drain() in a worker thread: the app and the command
 * line call this one, from a main loop.
 */
void
relay_outbox_drain_async (RelayAccount            *account,
                          RelaySendLog            *log,
                          RelayOutboxWait          wait,
                          RelayOutboxProgressFunc  progress,
                          gpointer                 progress_data,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 user_data)
{
  g_autoptr(GTask) task = NULL;
  DrainTask *state;

  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (RELAY_IS_SEND_LOG (log));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  state = g_new0 (DrainTask, 1);
  state->account = relay_account_copy (account);
  state->log = g_object_ref (log);
  state->wait = wait;
  state->progress = progress;
  state->progress_data = progress_data;
  state->context = g_main_context_ref_thread_default ();

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_outbox_drain_async);
  g_task_set_task_data (task, state, (GDestroyNotify)drain_task_free);
  g_task_run_in_thread (task, drain_thread);
}

/**
 * relay_outbox_drain_finish:
 *
 * Used error codes: %RELAY_OUTBOX_ERROR_CREDENTIALS (no password is
 * stored); %G_FILE_ERROR codes for a data or outbox folder that cannot
 * be made or is not the user's own (%G_FILE_ERROR_PERM), and %G_IO_ERROR
 * codes for an outbox lock that cannot be opened or taken; those of the
 * keyring (#SECRET_ERROR, %G_DBUS_ERROR)
 * and of a sign-in that is refused (%RELAY_OAUTH_ERROR); and
 * %G_IO_ERROR_CANCELLED when @cancellable was cancelled (what was sent
 * before is in the send log). A drain that stopped early on a message's
 * error is not an error: the report says why in its stopped_by.
 *
 * Returns: (transfer full): what happened, or %NULL with @error set
 */
RelayOutboxReport *
relay_outbox_drain_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_outbox_drain_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  RelayThrottle *throttle;  /* made on the caller's thread from the account */
  char          *log_path;
} CountsTask;

static void
counts_task_free (CountsTask *state)
{
  g_clear_object (&state->throttle);
  g_free (state->log_path);
  g_free (state);
}

/* The same count as the drain makes: sent and unknown attempts */
static void
counts_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CountsTask *state = task_data;
  RelayOutboxCounts *counts = g_new0 (RelayOutboxCounts, 1);

  relay_throttle_record_log (state->throttle, state->log_path);
  counts->throttle = g_steal_pointer (&state->throttle);
  /* what waits in the outbox, and what may go now */
  counts->queued = relay_outbox_count ();
  counts->due = relay_outbox_count_due (g_get_real_time (), &counts->next_retry);
  g_task_return_pointer (task, counts, (GDestroyNotify)relay_outbox_counts_free);
}

/**
 * relay_outbox_get_counts_async:
 * @account: whose limits are counted; read now, not kept
 * @log: the send log whose attempts fill the account's windows
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context when done
 * @user_data: for @callback
 *
 * Counts, in a worker thread, what the account's limits leave (its
 * throttle with the attempts of the send log, as a drain counts them) and
 * what waits in the outbox: what a view of the outbox shows.
 */
void
relay_outbox_get_counts_async (RelayAccount        *account,
                               RelaySendLog        *log,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CountsTask *state;

  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (RELAY_IS_SEND_LOG (log));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  state = g_new0 (CountsTask, 1);
  state->throttle = relay_throttle_new_for_account (account);
  state->log_path = g_strdup (relay_send_log_get_path (log));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_outbox_get_counts_async);
  g_task_set_task_data (task, state, (GDestroyNotify)counts_task_free);
  g_task_run_in_thread (task, counts_thread);
}

/**
 * relay_outbox_get_counts_finish:
 *
 * Used error codes: %G_IO_ERROR_CANCELLED. A log or an outbox that cannot
 * be read counts as empty, as it does for a drain.
 *
 * Returns: (transfer full): the counts, or %NULL with @error set
 */
RelayOutboxCounts *
relay_outbox_get_counts_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == relay_outbox_get_counts_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
relay_outbox_counts_free (RelayOutboxCounts *counts)
{
  if (counts == NULL)
    return;

  g_clear_object (&counts->throttle);
  g_free (counts);
}

/* Retry and cancel only while nobody drains: returns the held lock, or -1 */
static int
try_lock (GError **error)
{
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autofree char *path = g_build_filename (dir, ".lock", NULL);
  int fd;

  if (!ensure_outbox_dir (error))
    return -1;
  fd = g_open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0 && flock (fd, LOCK_EX | LOCK_NB) == 0)
    return fd;

  if (fd >= 0)
    close (fd);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                       _("Mail Relay is sending right now; try again when it has finished"));
  return -1;
}

static Item *
find_item (const char *message_id)
{
  g_autoptr(GPtrArray) items = list_items ();

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (item->message_id, message_id) == 0)
        return g_ptr_array_steal_index (items, i);
    }

  return NULL;
}

/**
 * relay_outbox_contains:
 *
 * Returns: whether the message still waits in the outbox
 */
gboolean
relay_outbox_contains (const char *message_id)
{
  g_autoptr(Item) item = NULL;

  g_return_val_if_fail (message_id != NULL, FALSE);

  item = find_item (message_id);
  return item != NULL;
}

/**
 * relay_outbox_retry:
 *
 * Makes a deferred message due now; the next drain sends it, limits
 * allowing. A message being sent is left alone.
 */
gboolean
relay_outbox_retry (const char  *message_id,
                    GError     **error)
{
  g_autoptr(Item) item = NULL;
  gboolean ok;
  int lock;

  g_return_val_if_fail (message_id != NULL, FALSE);

  if ((lock = try_lock (error)) < 0)
    return FALSE;

  item = find_item (message_id);
  if (item == NULL || item_handed_over (item))
    {
      close (lock);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The message no longer waits in the outbox"));
      return FALSE;
    }

  g_free (item->state);
  item->state = g_strdup ("queued");
  item->next_attempt = 0;
  ok = write_item (item, error);
  close (lock);

  return ok;
}

/**
 * relay_outbox_retry_all:
 *
 * Makes every message that waits for a retry due now; the next drain
 * sends them, limits allowing. Messages being sent are left alone.
 *
 * Returns: how many were waiting for a retry, or -1 on error
 */
int
relay_outbox_retry_all (GError **error)
{
  g_autoptr(GPtrArray) items = NULL;
  int count = 0;
  int lock;

  if ((lock = try_lock (error)) < 0)
    return -1;

  items = list_items ();
  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);

      if (!g_str_equal (item->state, "deferred"))
        continue;

      g_free (item->state);
      item->state = g_strdup ("queued");
      item->next_attempt = 0;
      if (!write_item (item, error))
        {
          close (lock);
          return -1;
        }
      count++;
    }
  close (lock);

  return count;
}

/**
 * relay_outbox_cancel:
 *
 * Takes a waiting message out of the outbox, logged as failed.
 */
gboolean
relay_outbox_cancel (RelayAccount  *account,
                     RelaySendLog  *log,
                     const char    *message_id,
                     GError       **error)
{
  g_autoptr(Item) item = NULL;
  gboolean ok;
  int lock;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (message_id != NULL, FALSE);

  if ((lock = try_lock (error)) < 0)
    return FALSE;

  item = find_item (message_id);
  if (item == NULL || item_handed_over (item))
    {
      close (lock);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The message no longer waits in the outbox"));
      return FALSE;
    }

  remove_item (item);
  ok = log_event (log, account, item, RELAY_SEND_STATUS_FAILED, NULL, _("Cancelled before it was sent"), error);
  close (lock);

  return ok;
}
