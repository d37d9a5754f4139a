/* relay-outbox-record.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What a drain writes down, and when: every outcome goes to the send log
 * before the outbox changes (record ()), the “sent” events in batches
 * with one fsync for many messages (flush_sent ()), after which a
 * cleanup thread removes their files, and recovery after a
 * crash: a message caught at its end of data is reported unknown, never
 * sent again, and a damaged item leaves the outbox (quarantine ()).
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "relay-file-private.h"
#include "relay-outbox.h"
#include "relay-outbox-private.h"


/* A message's attempt, as the send log's events name it */
static char *
attempt_key (const char *message_id,
             guint       attempt)
{
  return g_strdup_printf ("%u %s", attempt, message_id);
}

/* Which of the attempts sought (keys of @user_data) the log has a “sent”
 * event of: their value becomes non-NULL */
static gboolean
find_sent_cb (const char *line,
              gsize       length,
              gpointer    user_data)
{
  GHashTable *sought = user_data;
  g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new_from_line (line, length, NULL);
  g_autofree char *key = NULL;

  if (entry == NULL)
    return TRUE;

  /* the attempt too: an earlier attempt may have gone to other recipients */
  key = attempt_key (relay_send_log_entry_get_message_id (entry), relay_send_log_entry_get_attempt (entry));
  if (g_hash_table_contains (sought, key))
    g_hash_table_replace (sought, g_steal_pointer (&key), GINT_TO_POINTER (TRUE));

  return TRUE;
}

/* After @item's attempt has ended (sent, or its result unknown): the
 * recipients it put off wait for their own retry, else it is done */
gboolean
relay_outbox_finish_item (RelayOutbox  *self,
                          Item         *item,
                          GError      **error)
{
  if (item->later == NULL)
    {
      relay_outbox_remove_item (self, item);
      return TRUE;
    }

  g_strfreev (item->recipients);
  item->recipients = g_steal_pointer (&item->later);
  g_free (item->state);
  item->state = g_strdup ("deferred");

  return relay_outbox_write_item (self, item, error);
}

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

/* Removes ID.json, then ID.eml (@data: the outbox's path to ID) */
static void
remove_files (gpointer data,
              gpointer user_data)
{
  g_autofree char *base = data;
  g_autofree char *meta = g_strconcat (base, ".json", NULL);
  g_autofree char *eml = g_strconcat (base, ".eml", NULL);

  /* the envelope first, as relay_outbox_remove_item () */
  g_unlink (meta);
  g_unlink (eml);
}

/* A sent message whose “sent” event is in the log: done, or on to those
 * put off. Its files are removed beside the sending, in the drain's
 * cleanup thread; until they are, its mark holds (it is never read as
 * due, and the next drain, after a crash, finds its “sent” event). */
static void
finish_sent (Drain *drain,
             Item  *item)
{
  g_autofree char *base = relay_outbox_item_path (drain->outbox, item->id, "");

  if (item->later != NULL)
    {
      relay_outbox_finish_item (drain->outbox, item, NULL);
      return;
    }

  if (drain->cleanup == NULL)
    drain->cleanup = g_thread_pool_new (remove_files, NULL, 1, TRUE, NULL);
  if (drain->cleanup == NULL || !g_thread_pool_push (drain->cleanup, base, NULL))
    relay_outbox_remove_item (drain->outbox, item);
  else
    g_steal_pointer (&base);
}

/* Waits until the files of sent messages are removed */
void
relay_outbox_finish_cleanup (Drain *drain)
{
  if (drain->cleanup != NULL)
    g_thread_pool_free (g_steal_pointer (&drain->cleanup), FALSE, TRUE);
}

void
relay_outbox_flush_sent (Drain *drain)
{
  g_autoptr(GError) error = NULL;

  if (drain->pending_entries == NULL || drain->pending_entries->len == 0)
    return;

  if (relay_send_log_append (drain->log, (RelaySendLogEntry **)drain->pending_entries->pdata,
                             drain->pending_entries->len, &error))
    for (guint i = 0; i < drain->pending_items->len; i++)
      finish_sent (drain, g_ptr_array_index (drain->pending_items, i));
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
          relay_outbox_write_item (drain->outbox, item, NULL);
        }
      halt (drain, error);
    }

  g_ptr_array_set_size (drain->pending_entries, 0);
  g_ptr_array_set_size (drain->pending_items, 0);
}

/* Every outcome but “sent” is written here, before the outbox changes:
 * FALSE (and the drain halted) when the send log cannot take @entries, and
 * the caller then leaves the item as it was, to be tried again */
gboolean
relay_outbox_record (Drain              *drain,
                     RelaySendLogEntry **entries,
                     guint               n_entries)
{
  g_autoptr(GError) error = NULL;

  relay_outbox_flush_sent (drain);
  if (drain->halted)
    return FALSE;

  if (!relay_send_log_append (drain->log, entries, n_entries, &error))
    {
      halt (drain, error);
      return FALSE;
    }

  return TRUE;
}

/* One event about @item, for all its recipients */
gboolean
relay_outbox_record_event (Drain           *drain,
                           Item            *item,
                           RelaySendStatus  status,
                           const char      *reply,
                           const char      *detail)
{
  g_autoptr(RelaySendLogEntry) entry = relay_outbox_make_entry (drain->account, item, status, reply, detail);

  return relay_outbox_record (drain, &entry, 1);
}

/* Moves a damaged item (@id) out of the outbox into the data folder's
 * damaged/, where a person can look at it, and logs it failed, saying why */
static void
quarantine (Drain        *drain,
            const char   *id,
            const GError *damage)
{
  g_autofree char *dir = relay_outbox_get_damaged_dir (drain->outbox);
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autofree char *detail = NULL;

  detail = g_strdup_printf (_("The outbox file %s.json is damaged (%s); it was moved to %s and is not sent."),
                            id, damage->message, dir);
  entry = relay_send_log_entry_new (RELAY_SEND_STATUS_FAILED, id, NULL, "", 0, "");
  relay_send_log_entry_set_account (entry, relay_account_get_id (drain->account));
  relay_send_log_entry_set_detail (entry, detail);
  if (!relay_outbox_record (drain, &entry, 1))
    return;

  relay_file_ensure_private_dir (dir, NULL);
  for (guint i = 0; i < 2; i++)
    {
      const char *suffix = i == 0 ? ".json" : ".eml";
      g_autofree char *from = relay_outbox_item_path (drain->outbox, id, suffix);
      g_autofree char *name = g_strconcat (id, suffix, NULL);
      g_autofree char *to = g_build_filename (dir, name, NULL);

      /* rename() moves a symbolic link itself, never what it points to */
      if (g_rename (from, to) != 0 && errno != ENOENT)
        g_unlink (from);
    }
  drain->report->failed++;
}

/**
 * relay_outbox_drain_takes:
 *
 * Whether this drain sends @item: on an account's outbox
 * (relay_outbox_new_for_account()), the items that outbox holds; on the
 * whole outbox, those queued for the drain's account and those that name
 * none (an older version's), never another account's.
 */
gboolean
relay_outbox_drain_takes (Drain      *drain,
                          const Item *item)
{
  if (!relay_outbox_owns_item (drain->outbox, item))
    return FALSE;

  return relay_outbox_is_account_outbox (drain->outbox) || item->account == NULL ||
         g_ascii_strcasecmp (item->account, relay_account_get_id (drain->account)) == 0;
}

/* After a crash: a message caught at its end of data (marked “sending”
 * in the journal, or in its envelope by an earlier version) may have
 * arrived; and what is damaged leaves the outbox. This is where a drain
 * reads the outbox: each item goes into its cache. */
void
relay_outbox_recover (Drain *drain)
{
  g_autoptr(GPtrArray) ids = relay_outbox_list_ids (drain->outbox);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  g_autoptr(GHashTable) sought = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) damage = NULL;
      Item *item = relay_outbox_read_item (drain->outbox, g_ptr_array_index (ids, i), &damage);

      /* another account's is recovered by its own drain, logged as its */
      if (item != NULL && !relay_outbox_drain_takes (drain, item))
        g_clear_pointer (&item, relay_outbox_item_free);
      else if (item != NULL)
        {
          relay_outbox_journal_apply (&drain->journal, item);
          g_hash_table_replace (drain->cache, item->id, item);
          g_ptr_array_add (items, item);
          if (g_str_equal (item->state, "sending"))
            g_hash_table_insert (sought, attempt_key (item->message_id, item->attempt), NULL);
        }
      else if (damage != NULL)
        quarantine (drain, g_ptr_array_index (ids, i), damage);
    }

  /* one reading of the log for all of them */
  if (g_hash_table_size (sought) > 0)
    relay_send_log_scan (relay_send_log_get_path (drain->log), RELAY_SEND_STATUS_SENT,
                         find_sent_cb, sought, NULL);

  for (guint i = 0; i < items->len; i++)
    {
      Item *item = g_ptr_array_index (items, i);
      g_autofree char *key = NULL;

      /* accepted by the server while the log could not be written */
      if (g_str_equal (item->state, "sent"))
        {
          if (!relay_outbox_record_event (drain, item, RELAY_SEND_STATUS_SENT, item->reply, NULL))
            return;
          g_clear_pointer (&item->reply, g_free);
          relay_outbox_finish_item (drain->outbox, item, NULL);
          drain->report->sent++;
          continue;
        }

      if (!g_str_equal (item->state, "sending"))
        continue;

      key = attempt_key (item->message_id, item->attempt);
      if (g_hash_table_lookup (sought, key) == NULL)
        {
          if (!relay_outbox_record_event (drain, item, RELAY_SEND_STATUS_UNKNOWN, NULL,
                             _("Mail Relay stopped while the server was receiving this message; it may or may not have been delivered, and it is not sent again.")))
            return;
          drain->report->unknown++;
        }
      relay_outbox_finish_item (drain->outbox, item, NULL);
    }
}
