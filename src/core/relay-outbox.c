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
#include <unistd.h>

#include "relay-diagnosis.h"
#include "relay-json-private.h"
#include "relay-message.h"
#include "relay-oauth-account.h"
#include "relay-outbox.h"
#include "relay-sasl.h"
#include "relay-secrets.h"
#include "relay-smtp-session.h"
#include "relay-throttle.h"
#include "relay-validate.h"

#define MAX_ATTEMPTS 6
#define SESSION_TIMEOUT 30
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
  char   *state;         /* queued, deferred, throttled, sending */
  gint64  next_attempt;  /* µs of real time; 0: now */
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
  g_free (item);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Item, item_free)

char *
relay_outbox_get_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "mail-relay", "outbox", NULL);
}

static char *
item_path (const char *id,
           const char *suffix)
{
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autofree char *name = g_strconcat (id, suffix, NULL);

  return g_build_filename (dir, name, NULL);
}

static gboolean
write_item (Item    *item,
            GError **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = item_path (item->id, ".json");
  g_autofree char *text = NULL;
  gsize length;

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
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);

  return g_file_set_contents_full (path, text, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

static Item *
read_item (const char *id)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *path = item_path (id, ".json");
  JsonObject *object;
  JsonArray *recipients;
  JsonNode *node;
  Item *item;

  if (!json_parser_load_from_file (parser, path, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  object = json_node_get_object (json_parser_get_root (parser));
  node = json_object_get_member (object, "recipients");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  recipients = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (recipients); i++)
    if (json_node_get_value_type (json_array_get_element (recipients, i)) != G_TYPE_STRING)
      return NULL;

  item = g_new0 (Item, 1);
  item->id = g_strdup (id);
  item->message_id = g_strdup (relay_json_get_string (object, "message_id", id));
  item->from = g_strdup (relay_json_get_string (object, "from", ""));
  item->subject = g_strdup (relay_json_get_string (object, "subject", ""));
  item->attempt = relay_json_get_int (object, "attempt", 0);
  item->state = g_strdup (relay_json_get_string (object, "state", "queued"));
  item->next_attempt = relay_json_get_int (object, "next_attempt", 0);

  item->recipients = g_new0 (char *, json_array_get_length (recipients) + 1);
  for (guint i = 0; i < json_array_get_length (recipients); i++)
    item->recipients[i] = g_strdup (json_array_get_string_element (recipients, i));

  return item;
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
list_items (void)
{
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify)item_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (ids, g_strndup (name, strlen (name) - 5));

  g_ptr_array_sort (ids, compare_ids);
  for (guint i = 0; i < ids->len; i++)
    {
      Item *item = read_item (g_ptr_array_index (ids, i));

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

static RelaySendLogEntry *
make_entry (RelayAccount     *account,
            Item             *item,
            RelaySendStatus   status,
            const char       *reply,
            const char       *detail)
{
  RelaySendLogEntry *entry;

  entry = relay_send_log_entry_new (status, item->message_id, (const char * const *)item->recipients,
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
  g_autofree char *dir = relay_outbox_get_dir ();
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
      g_autofree char *address = relay_validate_address (recipients[i], &local_error);

      if (address == NULL)
        {
          g_set_error (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE,
                       _("Recipient: %s"), local_error->message);
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

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "%s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }

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
    return NULL;

  return g_strdup (item->message_id);
}

void
relay_outbox_report_free (RelayOutboxReport *report)
{
  if (report == NULL)
    return;

  g_free (report->stopped_by);
  g_free (report);
}

typedef struct
{
  RelayAccount            *account;
  RelaySendLog            *log;
  RelayThrottle           *throttle;
  RelaySmtpSession        *session;
  guint                    on_connection;
  guint                    per_connection;
  char                    *secret;
  RelayOutboxReport       *report;
  /* “sent” events not yet in the log, and their messages, still marked
   * “sending” in the outbox: written with one fsync for many messages. A
   * crash before that write leaves them “sending”, reported unknown and
   * never sent again. */
  GPtrArray               *pending_entries;
  GPtrArray               *pending_items;
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
  gboolean    found;
} FindSent;

static gboolean
find_sent_cb (const char *line,
              gsize       length,
              gpointer    user_data)
{
  FindSent *find = user_data;
  g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new_from_line (line, length, NULL);

  if (entry != NULL && g_strcmp0 (relay_send_log_entry_get_message_id (entry), find->message_id) == 0)
    find->found = TRUE;

  return !find->found;
}

/* After a crash: a message caught at its end of data may have arrived */
static void
recover (Drain *drain)
{
  g_autoptr(GPtrArray) items = list_items ();

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);
      FindSent find = { item->message_id, FALSE };

      if (!g_str_equal (item->state, "sending"))
        continue;

      relay_send_log_scan (relay_send_log_get_path (drain->log), RELAY_SEND_STATUS_SENT,
                           find_sent_cb, &find, NULL);
      if (!find.found)
        {
          log_event (drain->log, drain->account, item, RELAY_SEND_STATUS_UNKNOWN, NULL,
                     _("Mail Relay stopped while the server was receiving this message; it may or may not have been delivered, and it is not sent again."),
                     NULL);
          drain->report->unknown++;
        }
      remove_item (item);
    }
}

#define MAX_PENDING 32

static void
flush_sent (Drain *drain)
{
  g_autoptr(GError) error = NULL;

  if (drain->pending_entries == NULL || drain->pending_entries->len == 0)
    return;

  if (relay_send_log_append (drain->log, (RelaySendLogEntry **)drain->pending_entries->pdata,
                             drain->pending_entries->len, &error))
    for (guint i = 0; i < drain->pending_items->len; i++)
      remove_item (g_ptr_array_index (drain->pending_items, i));
  /* else the messages stay marked “sending”: unknown at the next drain */

  g_ptr_array_set_size (drain->pending_entries, 0);
  g_ptr_array_set_size (drain->pending_items, 0);
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

  return copy;
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
    relay_smtp_session_quit (drain->session, drain->cancellable, NULL);
  relay_smtp_session_close (drain->session);
  g_clear_object (&drain->session);
  drain->on_connection = 0;
}

static gboolean
open_session (Drain   *drain,
              GError **error)
{
  RelayAccount *account = drain->account;
  RelaySecurity security = relay_account_get_security (account);
  const char *username = relay_account_get_username (account);
  g_autoptr(RelaySmtpSession) session = NULL;

  session = relay_smtp_session_new (relay_account_get_host (account), relay_account_get_port (account), security);
  relay_smtp_session_set_timeout (session, SESSION_TIMEOUT);
  relay_smtp_session_set_ca_file (session, relay_account_get_ca_file (account));
  relay_smtp_session_set_pins (session, relay_account_get_pins (account));
  relay_smtp_session_set_allow_insecure (session, relay_account_get_allow_insecure (account));

  if (!relay_smtp_session_resolve (session, drain->cancellable, error) ||
      !relay_smtp_session_connect (session, drain->cancellable, error) ||
      (security == RELAY_SECURITY_TLS && !relay_smtp_session_handshake (session, drain->cancellable, error)) ||
      !relay_smtp_session_read_greeting (session, drain->cancellable, error) ||
      !relay_smtp_session_ehlo (session, drain->cancellable, error))
    return FALSE;

  if (security == RELAY_SECURITY_STARTTLS &&
      (!relay_smtp_session_starttls (session, drain->cancellable, error) ||
       !relay_smtp_session_handshake (session, drain->cancellable, error) ||
       !relay_smtp_session_ehlo (session, drain->cancellable, error)))
    return FALSE;

  if (username[0] != '\0' && drain->secret != NULL &&
      !relay_smtp_session_authenticate (session, relay_account_get_auth (account), username,
                                        drain->secret, drain->cancellable, error))
    return FALSE;

  drain->session = g_steal_pointer (&session);
  drain->on_connection = 0;
  return TRUE;
}

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
defer (Drain      *drain,
       Item       *item,
       const char *reply,
       const char *detail)
{
  flush_sent (drain);

  if (item->attempt >= MAX_ATTEMPTS)
    {
      g_autofree char *gave_up = g_strdup_printf (_("Gave up after %u attempts: %s"), item->attempt, detail);

      log_event (drain->log, drain->account, item, RELAY_SEND_STATUS_FAILED, reply, gave_up, NULL);
      remove_item (item);
      drain->report->failed++;
      return;
    }

  g_free (item->state);
  item->state = g_strdup ("deferred");
  item->next_attempt = g_get_real_time () + retry_delay (item->attempt);
  write_item (item, NULL);
  log_event (drain->log, drain->account, item, RELAY_SEND_STATUS_DEFERRED, reply, detail, NULL);
}

static void
fail (Drain      *drain,
      Item       *item,
      const char *reply,
      const char *detail)
{
  flush_sent (drain);

  log_event (drain->log, drain->account, item, RELAY_SEND_STATUS_FAILED, reply, detail, NULL);
  remove_item (item);
  drain->report->failed++;
}

/* Holds every message until the provider's window allows */
static void
hold (Drain      *drain,
      Item       *item,
      const char *reply,
      const char *detail)
{
  guint window = MAX (relay_account_get_recipient_window (drain->account),
                      relay_account_get_message_window (drain->account));

  flush_sent (drain);

  g_free (item->state);
  item->state = g_strdup ("throttled");
  item->next_attempt = g_get_real_time () + (window ? (gint64)window * G_USEC_PER_SEC : retry_delay (1));
  write_item (item, NULL);
  log_event (drain->log, drain->account, item, RELAY_SEND_STATUS_THROTTLED, reply, detail, NULL);
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

/* Sends one message; FALSE when the drain must stop */
static gboolean
send_item (Drain *drain,
           Item  *item)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GPtrArray) accepted = NULL;
  g_autofree char *eml = item_path (item->id, ".eml");
  g_autofree char *contents = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *detail = NULL;
  gsize length;
  RelayDisposition disposition;

  if (!g_file_get_contents (eml, &contents, &length, &error))
    {
      fail (drain, item, NULL, error->message);
      return TRUE;
    }
  message = g_bytes_new_take (g_steal_pointer (&contents), length);

  item->attempt++;

  if (drain->session == NULL || drain->on_connection >= drain->per_connection)
    {
      close_session (drain, TRUE);
      if (!open_session (drain, &error))
        {
          disposition = classify (drain, "connect", error, &reply, &detail);
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

  if (!relay_smtp_session_envelope (drain->session, item->from, (const char * const *)item->recipients,
                                    g_bytes_get_size (message), &accepted, drain->cancellable, &error))
    {
      gboolean closed = !g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY);

      disposition = classify (drain, "rcpt", error, &reply, &detail);
      if (closed || (reply != NULL && g_str_has_prefix (reply, "421")))
        close_session (drain, FALSE);
      else
        relay_smtp_session_rset (drain->session, drain->cancellable, NULL);

      return settle (drain, item, disposition, reply, detail);
    }

  /* From here the server may take the message: a crash means unknown */
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
          flush_sent (drain);
          log_event (drain->log, drain->account, item, RELAY_SEND_STATUS_UNKNOWN, NULL, error->message, NULL);
          remove_item (item);
          drain->report->unknown++;
          return TRUE;
        }

      disposition = classify (drain, "data", error, &reply, &detail);
      if (reply != NULL && g_str_has_prefix (reply, "421"))
        close_session (drain, FALSE);

      return settle (drain, item, disposition, reply, detail);
    }

  reply = relay_smtp_reply_to_string (relay_smtp_session_get_last_reply (drain->session));
  g_ptr_array_add (drain->pending_entries,
                   make_entry (drain->account, item, RELAY_SEND_STATUS_SENT, reply, NULL));
  g_ptr_array_add (drain->pending_items, item_copy (item));
  if (drain->pending_entries->len >= MAX_PENDING)
    flush_sent (drain);
  drain->on_connection++;
  drain->report->sent++;

  return TRUE;
}

static int
take_lock (Drain   *drain,
           GError **error)
{
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autofree char *path = g_build_filename (dir, ".lock", NULL);
  int fd;

  g_mkdir_with_parents (dir, 0700);
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
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

/**
 * relay_outbox_drain:
 * @wait: wait for throttling windows and retries; else stop at the first
 *   message that cannot go now
 *
 * Sends what the outbox holds, one process at a time, over as few
 * connections as the provider allows, never faster than the account's
 * limits (counted from the send log, so across restarts too). Blocks:
 * run it in a worker thread in the app.
 *
 * Returns: (transfer full): what happened, or %NULL when the outbox
 *   could not be read or the credentials not found
 */
RelayOutboxReport *
relay_outbox_drain (RelayAccount            *account,
                    RelaySendLog            *log,
                    gboolean                 wait,
                    RelayOutboxProgressFunc  progress,
                    gpointer                 user_data,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  g_autoptr(RelayThrottle) throttle = relay_throttle_new_for_account (account);
  g_autoptr(RelayOutboxReport) report = g_new0 (RelayOutboxReport, 1);
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
  Drain drain = { 0 };
  int lock;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (RELAY_IS_SEND_LOG (log), NULL);

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

  drain.secret = get_secret (account, cancellable, error);
  if (drain.secret == NULL && relay_account_get_username (account)[0] != '\0')
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

      if (items->len == 0 || g_cancellable_is_cancelled (cancellable))
        break;

      for (guint i = 0; i < items->len && !stop; i++)
        {
          Item *next = g_ptr_array_index (items, i);
          gint64 now = g_get_real_time ();
          gint64 allowed;

          if (g_cancellable_is_cancelled (cancellable))
            {
              stop = TRUE;
              break;
            }

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
              if (!g_str_equal (next->state, "throttled"))
                {
                  g_free (next->state);
                  next->state = g_strdup ("throttled");
                  next->next_attempt = 0;
                  write_item (next, NULL);
                  flush_sent (&drain);
                  log_event (log, account, next, RELAY_SEND_STATUS_THROTTLED, NULL,
                             _("Held back to stay within the provider’s sending limits"), NULL);
                }

              if (!wait)
                {
                  stop = TRUE;
                  break;
                }

              flush_sent (&drain);

              /* a server would drop an idle connection during a long wait */
              if (allowed - now > 10 * G_USEC_PER_SEC)
                close_session (&drain, TRUE);

              say (&drain, _("Throttled: the next message may go in %.1f s"), (allowed - now) / (double)G_USEC_PER_SEC);
              if (!sleep_until (&drain, allowed))
                {
                  stop = TRUE;
                  break;
                }
            }

          say (&drain, _("Sending “%s”…"), next->subject);
          progressed = TRUE;
          if (!send_item (&drain, next))
            stop = TRUE;
        }

      if (stop || progressed)
        continue;

      /* nothing was due: wait for the earliest retry */
      if (!wait || report->held_until > g_get_real_time () || earliest == G_MAXINT64)
        break;
      close_session (&drain, TRUE);
      say (&drain, _("Waiting to retry…"));
      if (!sleep_until (&drain, earliest))
        break;
    }

  report->deferred = 0;
  close_session (&drain, TRUE);
  flush_sent (&drain);
  g_ptr_array_unref (drain.pending_entries);
  g_ptr_array_unref (drain.pending_items);
  relay_sasl_wipe (drain.secret);
  close (lock);

  if (report->deferred == 0)
    {
      g_autoptr(GPtrArray) left = list_items ();

      report->deferred = left->len;
    }

  return g_steal_pointer (&report);
}

/* Retry and cancel only while nobody drains: returns the held lock, or -1 */
static int
try_lock (GError **error)
{
  g_autofree char *dir = relay_outbox_get_dir ();
  g_autofree char *path = g_build_filename (dir, ".lock", NULL);
  int fd;

  g_mkdir_with_parents (dir, 0700);
  fd = g_open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
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
  if (item == NULL || g_str_equal (item->state, "sending"))
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
  if (item == NULL || g_str_equal (item->state, "sending"))
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
