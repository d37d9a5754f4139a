/* relay-outbox-store.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The outbox's item store: each message waits in the outbox's folder as
 * ID.eml (the message) and ID.json (its envelope and state), both written
 * durably before anything is sent. Reading an envelope as strictly as
 * typed values are checked, listing the items oldest first, writing and
 * removing them, the lock; and what is done to items while nobody drains:
 * enqueue, retry, cancel, the counts.
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

#include "relay-file-private.h"
#include "relay-json-private.h"
#include "relay-message.h"
#include "relay-outbox.h"
#include "relay-outbox-private.h"
#include "relay-validate.h"

void
relay_outbox_item_free (Item *item)
{
  g_free (item->id);
  g_free (item->message_id);
  g_free (item->from);
  g_strfreev (item->recipients);
  g_free (item->subject);
  g_free (item->state);
  g_strfreev (item->later);
  g_free (item->reply);
  g_free (item->digest);
  g_free (item->account);
  g_free (item->source);
  g_free (item);
}


/* The data folder and the outbox in it: private, or not used */
gboolean
relay_outbox_ensure_dir (RelayOutbox  *self,
                         GError      **error)
{
  g_autofree char *data = g_path_get_dirname (relay_outbox_get_path (self));
  const char *dir = relay_outbox_get_path (self);

  return relay_file_ensure_private_dir (data, error) &&
         relay_file_ensure_private_dir (dir, error);
}

/* Whoever holds it drains, retries or cancels; the others wait or refuse */
char *
relay_outbox_lock_path (RelayOutbox *self)
{
  return g_build_filename (relay_outbox_get_path (self), ".lock", NULL);
}

char *
relay_outbox_item_path (RelayOutbox *self,
                        const char  *id,
                        const char  *suffix)
{
  g_autofree char *name = g_strconcat (id, suffix, NULL);

  return g_build_filename (relay_outbox_get_path (self), name, NULL);
}

/* Beside the outbox, in the data folder: where damaged items go */
char *
relay_outbox_get_damaged_dir (RelayOutbox *self)
{
  g_autofree char *data = g_path_get_dirname (relay_outbox_get_path (self));

  return g_build_filename (data, "damaged", NULL);
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
  relay_json_add_string_member (builder, "message_id", item->message_id);
  relay_json_add_string_member (builder, "from", item->from);
  relay_json_add_strv_member (builder, "recipients", (const char * const *)item->recipients);
  relay_json_add_string_member (builder, "subject", item->subject);
  relay_json_add_int_member (builder, "attempt", item->attempt);
  relay_json_add_string_member (builder, "state", item->state);
  relay_json_add_int_member (builder, "next_attempt", item->next_attempt);
  if (item->reply != NULL)
    relay_json_add_string_member (builder, "reply", item->reply);
  if (item->later != NULL)
    relay_json_add_strv_member (builder, "later", (const char * const *)item->later);
  if (item->account != NULL)
    relay_json_add_string_member (builder, "account", item->account);
  if (item->source != NULL)
    relay_json_add_string_member (builder, "source", item->source);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, length);
}

/* What names an envelope in the journal's marks */
static char *
envelope_digest (const char *contents,
                 gsize       length)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *)contents, length);
}

/* Also makes @item's digest that of what is now on disk: unknown (NULL)
 * when the write fails, so that a drain reads it again */
gboolean
relay_outbox_write_item (RelayOutbox  *self,
                         Item         *item,
                         GError      **error)
{
  g_autofree char *path = relay_outbox_item_path (self, item->id, ".json");
  gsize length;
  g_autofree char *text = item_to_json (item, &length);

  g_clear_pointer (&item->digest, g_free);
  if (!g_file_set_contents_full (path, text, length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, error))
    return FALSE;

  item->digest = envelope_digest (text, length);
  return TRUE;
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

  /* read (), not a mapping: these files are small, and a mapping of each
   * costs two system calls more */
  *contents = g_malloc ((gsize)st.st_size + 1);
  if (!relay_file_pread_all (fd, *contents, st.st_size, 0))
    {
      int saved_errno = errno;

      close (fd);
      g_clear_pointer (contents, g_free);
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   _("Could not read %s: %s"), path, g_strerror (saved_errno));
      return FALSE;
    }
  close (fd);
  *length = st.st_size;
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

gboolean
relay_outbox_check_addresses (const char * const  *addresses,
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

#define MAX_ITEM_DEPTH 4                 /* an object holding lists of strings */

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

  if (length > RELAY_OUTBOX_MAX_ITEM_SIZE)
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
  if (!(recipients = relay_json_node_get_strv (json_object_get_member (object, "recipients"))) ||
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
  item->later = relay_json_node_get_strv (later);
  item->reply = g_strdup (relay_json_get_string (object, "reply", NULL));
  item->account = g_strdup (relay_json_get_string (object, "account", NULL));
  item->source = g_strdup (relay_json_get_string (object, "source", NULL));

  if (item->message_id == NULL || item->message_id[0] == '\0' ||
      strpbrk (item->message_id, "<> \t\r\n") != NULL || !g_utf8_validate (item->message_id, -1, NULL))
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("message_id: not a message id"));
      return NULL;
    }

  if (!relay_outbox_check_addresses ((const char * const *)item->recipients, "recipients", error) ||
      !check_address_field (item->from, "from", error) ||
      !check_line (item->subject, "subject", error) ||
      (item->reply != NULL && !check_line (item->reply, "reply", error)))
    return NULL;

  if (later != NULL && !JSON_NODE_HOLDS_NULL (later) &&
      (item->later == NULL || !relay_outbox_check_addresses ((const char * const *)item->later, "later", error)))
    {
      if (error == NULL || *error == NULL)
        g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("later: not a list of addresses"));
      return NULL;
    }
  if (item->later != NULL && item->later[0] == NULL)
    g_clear_pointer (&item->later, g_strfreev);

  if (item->account != NULL && !g_uuid_string_is_valid (item->account))
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("account: not an account id"));
      return NULL;
    }

  if (json_object_has_member (object, "source") && !relay_outbox_is_source (item->source))
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("source: not where a message comes from"));
      return NULL;
    }

  if (item->state == NULL || !g_strv_contains (item_states, item->state) ||
      item->attempt > 1000 || item->next_attempt < 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("state: not a state of a queued message"));
      return NULL;
    }

  return g_steal_pointer (&item);
}

Item *
relay_outbox_read_item (RelayOutbox  *self,
                        const char   *id,
                        GError      **error)
{
  g_autofree char *path = relay_outbox_item_path (self, id, ".json");
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;
  Item *item;

  if (!read_own_file (path, RELAY_OUTBOX_MAX_ITEM_SIZE, &contents, &length, &local_error))
    {
      if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  /* a name a mark could not hold: moved aside, never sent unmarked */
  if (!relay_outbox_is_item_id (id))
    {
      /* Translators: why an outbox file is damaged, shown inside “The
       * outbox file %s.json is damaged (%s); …” */
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, _("its name is not that of an outbox file"));
      return NULL;
    }

  item = parse_item (id, contents, length, error);
  if (item != NULL)
    item->digest = envelope_digest (contents, length);

  return item;
}

/* The digest of ID.json as it is now (what a journal's mark names), or
 * @error (G_FILE_ERROR_NOENT when it is gone) */
gboolean
relay_outbox_read_envelope_digest (RelayOutbox  *self,
                                   const char   *id,
                                   char        **digest,
                                   GError      **error)
{
  g_autofree char *path = relay_outbox_item_path (self, id, ".json");
  g_autofree char *contents = NULL;
  gsize length;

  if (!read_own_file (path, RELAY_OUTBOX_MAX_ITEM_SIZE, &contents, &length, error))
    return FALSE;

  *digest = envelope_digest (contents, length);
  return TRUE;
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

void
relay_outbox_remove_item (RelayOutbox *self,
                          Item        *item)
{
  g_autofree char *meta = relay_outbox_item_path (self, item->id, ".json");
  g_autofree char *eml = relay_outbox_item_path (self, item->id, ".eml");

  /* the envelope first: without it, the message is no longer queued;
   * when it stays, a drain reads it again */
  if (g_unlink (meta) != 0 && errno != ENOENT)
    g_clear_pointer (&item->digest, g_free);
  g_unlink (eml);
}

/* ID.eml, at most as large as a message may be */
gboolean
relay_outbox_read_message (RelayOutbox  *self,
                           Item         *item,
                           char        **contents,
                           gsize        *length,
                           GError      **error)
{
  g_autofree char *eml = relay_outbox_item_path (self, item->id, ".eml");

  return read_own_file (eml, RELAY_OUTBOX_MAX_MESSAGE_SIZE, contents, length, error);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  /* g_ptr_array_sort passes pointers to the elements */
  return strcmp (*(const char * const *)a, *(const char * const *)b);
}

/* Queued messages, oldest first (ids start with the time) */
GPtrArray *
relay_outbox_list_ids (RelayOutbox *self)
{
  const char *dir = relay_outbox_get_path (self);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (ids, g_strndup (name, strlen (name) - 5));

  g_ptr_array_sort (ids, compare_ids);
  return ids;
}

/* Every item (of the account, on an account's outbox), each as its
 * envelope and the journal's marks say (a message marked “sending”
 * there is “sending”) */
GPtrArray *
relay_outbox_list_items (RelayOutbox *self)
{
  g_autoptr(GPtrArray) ids = relay_outbox_list_ids (self);
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify)relay_outbox_item_free);
  RelayOutboxJournal journal;

  relay_outbox_journal_init (&journal, self);
  for (guint i = 0; i < ids->len; i++)
    {
      /* a damaged one is moved aside by the next drain (quarantine ()) */
      Item *item = relay_outbox_read_item (self, g_ptr_array_index (ids, i), NULL);

      if (item == NULL)
        continue;
      if (!relay_outbox_owns_item (self, item))
        {
          relay_outbox_item_free (item);
          continue;
        }
      relay_outbox_journal_apply (&journal, item);
      g_ptr_array_add (items, item);
    }
  g_clear_pointer (&journal.marks, g_hash_table_unref);
  g_clear_error (&journal.error);

  return items;
}

/* How many messages the outbox holds (returned), and from the same
 * reading how many may be sent at @now (@due) and when the next of the
 * others is due (@next, or %G_MAXINT64) */
guint
relay_outbox_count_items (RelayOutbox *self,
                          gint64       now,
                          guint       *due,
                          gint64      *next)
{
  g_autoptr(GPtrArray) items = relay_outbox_list_items (self);
  gint64 earliest = G_MAXINT64;
  guint n_due = 0;

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);

      if (item_handed_over (item))
        continue;
      if (item->next_attempt <= now)
        n_due++;
      else
        earliest = MIN (earliest, item->next_attempt);
    }

  if (due != NULL)
    *due = n_due;
  if (next != NULL)
    *next = earliest;

  return items->len;
}

/**
 * relay_outbox_get_n_items:
 *
 * Returns: how many messages the outbox holds (a damaged one is not
 *   counted; the next drain moves it aside)
 */
guint
relay_outbox_get_n_items (RelayOutbox *self)
{
  return relay_outbox_count_items (self, 0, NULL, NULL);
}

/* An event of @item's for @recipients, or all of its recipients when NULL */
/**
 * relay_outbox_get_n_due:
 * @now: µs of real time
 * @next: (out) (optional): when the next of the others is due (µs of real
 *   time), or %G_MAXINT64 when none waits for a time
 *
 * Returns: how many messages may be sent at @now, limits allowing
 */
guint
relay_outbox_get_n_due (RelayOutbox *self,
                        gint64       now,
                        gint64      *next)
{
  guint due;

  relay_outbox_count_items (self, now, &due, next);
  return due;
}

RelaySendLogEntry *
relay_outbox_make_entry_for (RelayAccount       *account,
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
  relay_send_log_entry_set_source (entry, item->source);
  if (detail != NULL)
    relay_send_log_entry_set_detail (entry, detail);
  if (item->next_attempt > 0 && (status == RELAY_SEND_STATUS_DEFERRED || status == RELAY_SEND_STATUS_THROTTLED))
    {
      g_autoptr(GDateTime) next = g_date_time_new_from_unix_local (item->next_attempt / G_USEC_PER_SEC);

      relay_send_log_entry_set_next_attempt (entry, next);
    }

  return entry;
}

RelaySendLogEntry *
relay_outbox_make_entry (RelayAccount     *account,
                         Item             *item,
                         RelaySendStatus   status,
                         const char       *reply,
                         const char       *detail)
{
  return relay_outbox_make_entry_for (account, item, NULL, status, reply, detail);
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
  g_autoptr(RelaySendLogEntry) entry = relay_outbox_make_entry (account, item, status, reply, detail);

  return relay_send_log_append (log, &entry, 1, error);
}

static GBytes *
build_message (const char         *from,
               const char * const *recipients,
               const char         *subject,
               const char         *message_id,
               GBytes             *body)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  return relay_message_compose (from, recipients, subject, now, message_id, body);
}

/* Each recipient held to what a typed one is, or @error naming it */
static GStrv
check_recipients (const char * const  *recipients,
                  GError             **error)
{
  g_autoptr(GStrvBuilder) checked = g_strv_builder_new ();

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

  return g_strv_builder_end (checked);
}

static gboolean
check_subject (const char  *subject,
               GError     **error)
{
  if (strpbrk (subject, "\r\n") != NULL || !g_utf8_validate (subject, -1, NULL))
    {
      g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE,
                           _("Subject: it must be one line of text"));
      return FALSE;
    }

  return TRUE;
}

/* Writes @item and its @message durably, then logs it queued; what is
 * reported is what was done: when any of it fails, nothing stays queued */
static char *
store_new_item (RelayOutbox   *self,
                RelayAccount  *account,
                Item          *item,
                GBytes        *message,
                RelaySendLog  *log,
                GError       **error)
{
  g_autofree char *eml = relay_outbox_item_path (self, item->id, ".eml");

  /* ID.eml synced, then ID.json synced, renamed into place and the folder
   * synced once for both: nothing lists ID.eml before ID.json names it */
  if (!relay_file_write_new (eml, g_bytes_get_data (message, NULL), g_bytes_get_size (message), error) ||
      !relay_outbox_write_item (self, item, error) ||
      !log_event (log, account, item, RELAY_SEND_STATUS_QUEUED, NULL, NULL, error))
    {
      relay_outbox_remove_item (self, item);
      return NULL;
    }

  return g_strdup (item->message_id);
}

/* The item's file name: when it was queued, then a random part */
static char *
new_item_id (const char *uuid)
{
  return g_strdup_printf ("%016" G_GINT64_MODIFIER "x-%.8s", g_get_real_time (), uuid);
}

/**
 * relay_outbox_add:
 * @self: the outbox
 * @body: the text of the message (UTF-8)
 *
 * Writes the message to the outbox durably and logs it as queued: from
 * the account's sender address, through @account.
 *
 * Returns: (transfer full) (nullable): its message id
 */
char *
relay_outbox_add (RelayOutbox         *self,
                  RelayAccount        *account,
                  const char * const  *recipients,
                  const char          *subject,
                  GBytes              *body,
                  RelaySendLog        *log,
                  GError             **error)
{
  return relay_outbox_add_from (self, account, NULL, recipients, subject, body, log, error);
}

/**
 * relay_outbox_add_from:
 * @self: the outbox
 * @account: the account it goes through (relay_account_store_route()
 *   chooses it for @sender), whose id the envelope keeps
 * @sender: (nullable): the sender (From and envelope sender), as
 *   relay_validate_address() gives it; %NULL for the account's own
 * @body: the text of the message (UTF-8)
 *
 * Writes the message to the outbox durably and logs it as queued.
 *
 * Returns: (transfer full) (nullable): its message id
 */
char *
relay_outbox_add_from (RelayOutbox         *self,
                       RelayAccount        *account,
                       const char          *sender,
                       const char * const  *recipients,
                       const char          *subject,
                       GBytes              *body,
                       RelaySendLog        *log,
                       GError             **error)
{
  g_auto(GStrv) checked = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autoptr(GBytes) message = NULL;
  g_autoptr(Item) item = g_new0 (Item, 1);
  g_autofree char *checked_sender = NULL;
  const char *from;
  const char *at;

  g_return_val_if_fail (RELAY_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, NULL);

  if (sender != NULL && sender[0] != '\0')
    {
      g_autoptr(GError) local_error = NULL;

      if (!(checked_sender = relay_validate_address (sender, &local_error)))
        {
          g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE, local_error->message);
          return NULL;
        }
    }

  from = checked_sender ? checked_sender : relay_account_get_from (account);
  at = strrchr (from, '@');

  if (!(checked = check_recipients (recipients, error)) || !check_subject (subject, error))
    return NULL;

  if (!g_utf8_validate (g_bytes_get_data (body, NULL), g_bytes_get_size (body), NULL))
    {
      g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE,
                           _("Body: it is not UTF-8 text"));
      return NULL;
    }

  if (!relay_outbox_ensure_dir (self, error))
    return NULL;

  item->id = new_item_id (uuid);
  item->message_id = g_strdup_printf ("%s@%s", uuid, at ? at + 1 : "localhost");
  item->from = g_strdup (from);
  item->recipients = g_steal_pointer (&checked);
  item->subject = g_strdup (subject);
  item->state = g_strdup ("queued");
  item->account = g_strdup (relay_account_get_id (account));
  item->source = g_strdup (relay_outbox_get_source (self));

  message = build_message (from, (const char * const *)item->recipients, subject, item->message_id, body);

  return store_new_item (self, account, item, message, log, error);
}

/**
 * relay_outbox_add_message:
 * @self: the outbox
 * @account: the account it goes through, whose id the envelope keeps
 * @sender: the envelope sender, as relay_validate_address() gives it
 * @recipients: the envelope's recipients
 * @message_id: the message's `Message-ID`, without its brackets
 * @subject: one line of text, for the send log
 * @message: the message as it is sent, header and body (a message
 *   composed elsewhere: the sendmail entry's), at most
 *   %RELAY_OUTBOX_MAX_MESSAGE_SIZE bytes
 *
 * Writes a message composed elsewhere to the outbox durably and logs it
 * as queued, as relay_outbox_add_from() does a message it composes.
 *
 * Returns: (transfer full) (nullable): @message_id
 */
char *
relay_outbox_add_message (RelayOutbox         *self,
                          RelayAccount        *account,
                          const char          *sender,
                          const char * const  *recipients,
                          const char          *message_id,
                          const char          *subject,
                          GBytes              *message,
                          RelaySendLog        *log,
                          GError             **error)
{
  g_auto(GStrv) checked = NULL;
  g_autofree char *uuid = g_uuid_string_random ();
  g_autoptr(Item) item = g_new0 (Item, 1);
  g_autofree char *checked_sender = NULL;

  g_return_val_if_fail (RELAY_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (sender != NULL && message_id != NULL && subject != NULL && message != NULL, NULL);
  g_return_val_if_fail (recipients != NULL && recipients[0] != NULL, NULL);

  /* held to what the outbox reads back from ID.json */
  {
    g_autoptr(GError) local_error = NULL;

    if (!(checked_sender = relay_validate_address_field (sender, _("Sender address"), &local_error)))
      {
        g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE, local_error->message);
        return NULL;
      }
  }
  if (!(checked = check_recipients (recipients, error)))
    return NULL;
  if (message_id[0] == '\0' || strpbrk (message_id, "<> \t\r\n") != NULL || !g_utf8_validate (message_id, -1, NULL))
    {
      g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE,
                           _("Message-ID: not a message id"));
      return NULL;
    }
  if (!check_subject (subject, error))
    return NULL;
  if (g_bytes_get_size (message) > RELAY_OUTBOX_MAX_MESSAGE_SIZE)
    {
      g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE,
                           _("the message is larger than 64 MiB"));
      return NULL;
    }

  if (!relay_outbox_ensure_dir (self, error))
    return NULL;

  item->id = new_item_id (uuid);
  item->message_id = g_strdup (message_id);
  item->from = g_steal_pointer (&checked_sender);
  item->recipients = g_steal_pointer (&checked);
  item->subject = g_strdup (subject);
  item->state = g_strdup ("queued");
  item->account = g_strdup (relay_account_get_id (account));
  item->source = g_strdup (relay_outbox_get_source (self));

  return store_new_item (self, account, item, message, log, error);
}

/* Retry and cancel only while nobody drains: returns the held lock, or -1 */
static int
try_lock (RelayOutbox  *self,
          GError      **error)
{
  g_autofree char *path = relay_outbox_lock_path (self);
  int fd;

  if (!relay_outbox_ensure_dir (self, error))
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
find_item (RelayOutbox *self,
           const char  *message_id)
{
  g_autoptr(GPtrArray) items = relay_outbox_list_items (self);

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);

      if (g_strcmp0 (item->message_id, message_id) == 0)
        return g_ptr_array_steal_index (items, i);
    }

  return NULL;
}

/**
 * relay_outbox_has:
 * @self: the outbox
 *
 * Returns: whether the message still waits in the outbox
 */
gboolean
relay_outbox_has (RelayOutbox *self,
                  const char  *message_id)
{
  g_autoptr(Item) item = NULL;

  g_return_val_if_fail (RELAY_IS_OUTBOX (self), FALSE);
  g_return_val_if_fail (message_id != NULL, FALSE);

  item = find_item (self, message_id);
  return item != NULL;
}

/* What Send Now and Cancel do to a waiting message, under the lock */
typedef gboolean (*WaitingItemFunc) (RelayOutbox  *self,
                                     Item         *item,
                                     gpointer      data,
                                     GError      **error);

/* Takes the outbox's lock, finds the message @message_id among those
 * still waiting, runs @func on it and releases the lock; an error when
 * it is not there or may already be with the server */
/* Whether the journal's marks can be read (or there are none) */
static gboolean
journal_readable (RelayOutbox  *self,
                  GError      **error)
{
  RelayOutboxJournal journal;
  gboolean ok;

  relay_outbox_journal_init (&journal, self);
  ok = journal.error == NULL;
  if (!ok)
    g_propagate_error (error, g_steal_pointer (&journal.error));
  g_clear_pointer (&journal.marks, g_hash_table_unref);

  return ok;
}

static gboolean
change_waiting_item (RelayOutbox      *self,
                     const char       *message_id,
                     WaitingItemFunc   func,
                     gpointer          data,
                     GError          **error)
{
  g_autoptr(Item) item = NULL;
  gboolean ok;
  int lock;

  if ((lock = try_lock (self, error)) < 0)
    return FALSE;

  /* a journal that cannot be read may hold the mark of this message:
   * rewriting its envelope would end the mark, and the next drain would
   * send again what the server may already have */
  if (!journal_readable (self, error))
    {
      close (lock);
      return FALSE;
    }

  item = find_item (self, message_id);
  if (item == NULL || item_handed_over (item))
    {
      close (lock);
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                           _("The message no longer waits in the outbox"));
      return FALSE;
    }

  ok = func (self, item, data, error);
  close (lock);

  return ok;
}

/* Due now, limits allowing: written back */
static gboolean
make_due (RelayOutbox  *self,
          Item         *item,
          gpointer      data,
          GError      **error)
{
  g_free (item->state);
  item->state = g_strdup ("queued");
  item->next_attempt = 0;

  return relay_outbox_write_item (self, item, error);
}

/**
 * relay_outbox_retry_message:
 * @self: the outbox
 *
 * Makes a deferred message due now; the next drain sends it, limits
 * allowing. A message being sent is left alone.
 */
gboolean
relay_outbox_retry_message (RelayOutbox  *self,
                            const char   *message_id,
                            GError      **error)
{
  g_return_val_if_fail (RELAY_IS_OUTBOX (self), FALSE);
  g_return_val_if_fail (message_id != NULL, FALSE);

  return change_waiting_item (self, message_id, make_due, NULL, error);
}

/**
 * relay_outbox_retry_waiting:
 * @self: the outbox
 *
 * Makes every message that waits for a retry due now; the next drain
 * sends them, limits allowing. Messages being sent are left alone.
 *
 * Returns: how many were waiting for a retry, or -1 on error
 */
int
relay_outbox_retry_waiting (RelayOutbox  *self,
                            GError      **error)
{
  g_autoptr(GPtrArray) items = NULL;
  int count = 0;
  int lock;

  g_return_val_if_fail (RELAY_IS_OUTBOX (self), -1);

  if ((lock = try_lock (self, error)) < 0)
    return -1;

  items = relay_outbox_list_items (self);
  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);

      if (!g_str_equal (item->state, "deferred"))
        continue;

      if (!make_due (self, item, NULL, error))
        {
          close (lock);
          return -1;
        }
      count++;
    }
  close (lock);

  return count;
}

typedef struct
{
  RelayAccount *account;
  RelaySendLog *log;
} Cancel;

/* Out of the outbox, logged as failed */
static gboolean
cancel_item (RelayOutbox  *self,
             Item         *item,
             gpointer      data,
             GError      **error)
{
  Cancel *cancel = data;

  relay_outbox_remove_item (self, item);

  return log_event (cancel->log, cancel->account, item, RELAY_SEND_STATUS_FAILED, NULL,
                    _("Cancelled before it was sent"), error);
}

/**
 * relay_outbox_cancel_message:
 * @self: the outbox
 *
 * Takes a waiting message out of the outbox, logged as failed.
 */
gboolean
relay_outbox_cancel_message (RelayOutbox   *self,
                             RelayAccount  *account,
                             RelaySendLog  *log,
                             const char    *message_id,
                             GError       **error)
{
  Cancel cancel = { account, log };

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);
  g_return_val_if_fail (RELAY_IS_OUTBOX (self), FALSE);
  g_return_val_if_fail (message_id != NULL, FALSE);

  return change_waiting_item (self, message_id, cancel_item, &cancel, error);
}
