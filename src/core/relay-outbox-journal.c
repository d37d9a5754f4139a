/* relay-outbox-journal.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The outbox's journal (outbox/.journal): the "sending" marks. Before a
 * message's envelope goes to the server, one line saying so is appended,
 * and made durable with one fdatasync() before its data goes, instead of
 * its ID.json being rewritten through a temporary file. A mark holds
 * while the envelope it names (by the SHA-256 of its ID.json) is
 * unchanged: any later rewrite of the item, or its removal, ends it; so
 * does a release line, when its data never went (docs/outbox.md). Read back as
 * strictly as the items: never through a symbolic link, lines of bounded
 * length, each one checked; a torn last line (a crash in the middle of
 * the append, before the fdatasync returned and so before the end of
 * data was sent) and a damaged line are skipped. Removed when a drain
 * ends with no mark in force.
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-file-private.h"
#include "relay-json-private.h"
#include "relay-outbox.h"
#include "relay-outbox-private.h"

/* a mark lists the recipients of an envelope, itself at most 1 MiB */
#define MAX_MARK_LINE (RELAY_OUTBOX_MAX_ITEM_SIZE + 4096)
#define MAX_MARK_DEPTH 3     /* an object holding lists of strings */
#define MAX_ATTEMPT 1000
/* the room made for marks: 16 KiB (a few dozen) at first, doubled as
 * it fills, up to 1 MiB at a time */
#define JOURNAL_FIRST_ROOM (16 * 1024)
#define JOURNAL_MAX_ROOM (1024 * 1024)

typedef struct
{
  char   *envelope;      /* SHA-256 of ID.json, in hex, when marked */
  guint   attempt;
  GStrv   recipients;
  GStrv   later;
  gint64  next_attempt;
  gboolean released;     /* a line that ends the mark before it */
} Mark;

static void
mark_free (Mark *mark)
{
  g_free (mark->envelope);
  g_strfreev (mark->recipients);
  g_strfreev (mark->later);
  g_free (mark);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Mark, mark_free)

char *
relay_outbox_journal_path (RelayOutbox *self)
{
  return g_build_filename (relay_outbox_get_path (self), ".journal", NULL);
}

/**
 * relay_outbox_is_item_id:
 *
 * Returns: whether @id can name an item (its ID.json and ID.eml) in the
 *   outbox and in a journal's mark: one line of UTF-8 text, never a path
 */
gboolean
relay_outbox_is_item_id (const char *id)
{
  return id != NULL && id[0] != '\0' && id[0] != '.' && strlen (id) <= 200 &&
         strpbrk (id, "/\\\r\n") == NULL && g_utf8_validate (id, -1, NULL);
}

static gboolean
is_digest (const char *text)
{
  if (text == NULL || strlen (text) != 64)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;

  return TRUE;
}

/* A line that ends the mark before it: "released": true */
static gboolean
is_release (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "released");

  return node != NULL && json_node_get_value_type (node) == G_TYPE_BOOLEAN && json_node_get_boolean (node);
}

/* One line of the journal, checked as strictly as an envelope: the mark
 * and its item's id, or NULL when it is not a mark */
static Mark *
parse_mark (const char  *line,
            gsize        length,
            char       **id)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(Mark) mark = NULL;
  JsonObject *object;
  JsonNode *later;
  const char *name;
  gint64 attempt;

  if (length > MAX_MARK_LINE ||
      !relay_json_check_depth (line, length, MAX_MARK_DEPTH, NULL) ||
      !json_parser_load_from_data (parser, line, length, NULL) ||
      json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;

  object = json_node_get_object (json_parser_get_root (parser));
  name = relay_json_get_string (object, "id", NULL);
  attempt = relay_json_get_int (object, "attempt", 0);
  if (!relay_outbox_is_item_id (name) ||
      ((attempt < 1 || attempt > MAX_ATTEMPT) && !is_release (object)))
    return NULL;

  mark = g_new0 (Mark, 1);
  mark->envelope = g_strdup (relay_json_get_string (object, "envelope", NULL));
  if (is_release (object))
    {
      /* the release of the mark before it of the same envelope */
      if (!is_digest (mark->envelope))
        return NULL;
      mark->released = TRUE;
      *id = g_strdup (name);
      return g_steal_pointer (&mark);
    }
  mark->attempt = attempt;
  mark->next_attempt = relay_json_get_int (object, "next_attempt", 0);
  mark->recipients = relay_json_node_get_strv (json_object_get_member (object, "recipients"));
  later = json_object_get_member (object, "later");
  if (later != NULL && !JSON_NODE_HOLDS_NULL (later))
    {
      mark->later = relay_json_node_get_strv (later);
      if (mark->later == NULL)
        return NULL;
      if (mark->later[0] == NULL)
        g_clear_pointer (&mark->later, g_strfreev);
    }

  if (!is_digest (mark->envelope) || mark->next_attempt < 0 ||
      mark->recipients == NULL || mark->recipients[0] == NULL ||
      !relay_outbox_check_addresses ((const char * const *)mark->recipients, "recipients", NULL) ||
      !relay_outbox_check_addresses ((const char * const *)mark->later, "later", NULL))
    return NULL;

  *id = g_strdup (name);
  return g_steal_pointer (&mark);
}

static GHashTable *
marks_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify)mark_free);
}

/* The marks in the journal, the last one of each item: what a drain
 * wrote before it stopped (or is writing now) */
static GHashTable *
read_marks (RelayOutbox  *self,
            GError      **error)
{
  g_autofree char *path = relay_outbox_journal_path (self);
  RelayFileMapping mapping = RELAY_FILE_MAPPING_INIT;
  GHashTable *marks = marks_new ();
  gsize start = 0;

  if (!relay_file_map (path, &mapping, error))
    {
      /* an outbox whose journal cannot be read sends nothing: a drain
       * stops with @error, and the counts take it as empty */
      relay_file_mapping_clear (&mapping);
      return marks;
    }

  while (start < mapping.size)
    {
      const char *line = mapping.contents + start;
      const char *nl = memchr (line, '\n', mapping.size - start);
      g_autofree char *id = NULL;
      Mark *mark;

      /* torn: the append never finished, so its end of data never went */
      if (nl == NULL)
        break;

      mark = parse_mark (line, nl - line, &id);
      if (mark != NULL && mark->released)
        {
          Mark *earlier = g_hash_table_lookup (marks, id);

          /* a message marked whose data never went */
          if (earlier != NULL && g_str_equal (earlier->envelope, mark->envelope))
            g_hash_table_remove (marks, id);
          mark_free (mark);
        }
      else if (mark != NULL)
        g_hash_table_replace (marks, g_steal_pointer (&id), mark);
      else if (nl > line)
        g_debug ("%s: a line that is not a mark, at byte %" G_GSIZE_FORMAT, path, start);
      start = nl - mapping.contents + 1;
    }

  relay_file_mapping_clear (&mapping);
  return marks;
}

void
relay_outbox_journal_init (RelayOutboxJournal *journal,
                           RelayOutbox        *self)
{
  journal->outbox = self;
  journal->error = NULL;
  journal->marks = read_marks (self, &journal->error);
  journal->fd = -1;
  journal->torn = FALSE;
  journal->end = journal->size = 0;
  journal->unsynced_start = 0;
  journal->unsynced = 0;
}

/* @item as its envelope (ID.json) says, with its mark when one holds:
 * marked “sending” then, with the recipients that took the message and
 * those put off, as that attempt left it */
void
relay_outbox_journal_apply (RelayOutboxJournal *journal,
                            Item               *item)
{
  Mark *mark = g_hash_table_lookup (journal->marks, item->id);

  if (mark == NULL || item->digest == NULL || !g_str_equal (mark->envelope, item->digest))
    return;

  g_free (item->state);
  item->state = g_strdup ("sending");
  item->attempt = mark->attempt;
  g_strfreev (item->recipients);
  item->recipients = g_strdupv (mark->recipients);
  g_strfreev (item->later);
  item->later = g_strdupv (mark->later);
  item->next_attempt = mark->next_attempt;
}

/* pwrite () all of it */
static gboolean
write_at (int         fd,
          const char *data,
          gsize       length,
          off_t       offset)
{
  while (length > 0)
    {
      gssize n = pwrite (fd, data, length, offset);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      length -= n;
      offset += n;
    }

  return TRUE;
}

/* Room for marks, in zeros really written (not a hole, not fallocate ()'s
 * unwritten extents) and synced with the file's size: a mark then fills
 * a part of it, and its fdatasync () has no metadata to commit, only
 * the line. At least @needed more bytes after journal->end. */
static gboolean
journal_grow (RelayOutboxJournal *journal,
              gsize               needed)
{
  gsize grow = CLAMP ((gsize)journal->size, JOURNAL_FIRST_ROOM, JOURNAL_MAX_ROOM);
  g_autofree char *zeros = NULL;

  while ((gsize)(journal->size + grow - journal->end) < needed)
    grow *= 2;

  zeros = g_malloc0 (grow);
  if (!write_at (journal->fd, zeros, grow, journal->size) || fsync (journal->fd) != 0)
    return FALSE;

  journal->size += grow;
  return TRUE;
}

/* Lines that must not hold: zeros written over them, or else what is
 * left of them is a torn line */
static void
unwrite (RelayOutboxJournal *journal,
         off_t               start,
         gsize               length)
{
  g_autofree char *zeros = g_malloc0 (length);

  if (start + (off_t)length > journal->size || !write_at (journal->fd, zeros, length, start))
    journal->torn = TRUE;
}

/* Opened for writing, made if need be (and then its folder entry made
 * durable, once). The marks end at the last byte that is not zero; a
 * last line without its newline there is not run on from. */
static gboolean
journal_open (RelayOutboxJournal  *journal,
              GError             **error)
{
  g_autofree char *path = relay_outbox_journal_path (journal->outbox);
  char block[4096];
  struct stat st;
  off_t end;
  int fd;

  /* O_EXCL: a planted symbolic link is there, not made through */
  fd = relay_file_open_own (path, O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
  if (fd >= 0)
    {
      if (!relay_file_sync_directory (relay_outbox_get_path (journal->outbox), error))
        {
          close (fd);
          return FALSE;
        }
      journal->fd = fd;
      journal->size = journal->end = 0;
      return TRUE;
    }

  fd = relay_file_open_own (path, O_RDWR, 0, error);
  if (fd < 0)
    return FALSE;

  if (fstat (fd, &st) != 0)
    {
      relay_file_set_errno_error (error, errno, "read", path);
      close (fd);
      return FALSE;
    }

  /* back from the end, over the room left */
  for (end = st.st_size; end > 0;)
    {
      gsize n = MIN ((gsize)end, sizeof block);
      gsize i;

      if (!relay_file_pread_all (fd, block, n, end - n))
        {
          relay_file_set_errno_error (error, errno, "read", path);
          close (fd);
          return FALSE;
        }
      for (i = n; i > 0 && block[i - 1] == '\0'; i--)
        ;
      end -= n - i;
      if (i > 0)
        {
          journal->torn = block[i - 1] != '\n';
          break;
        }
    }

  journal->fd = fd;
  journal->size = st.st_size;
  journal->end = end;
  return TRUE;
}

/* @item's mark, or with @released the line that ends it */
static char *
mark_to_line (Item     *item,
              gboolean  released,
              gsize    *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  relay_json_add_string_member (builder, "id", item->id);
  relay_json_add_string_member (builder, "envelope", item->digest);
  if (released)
    {
      json_builder_set_member_name (builder, "released");
      json_builder_add_boolean_value (builder, TRUE);
    }
  else
    {
      relay_json_add_int_member (builder, "attempt", item->attempt);
      relay_json_add_strv_member (builder, "recipients", (const char * const *)item->recipients);
      if (item->later != NULL)
        relay_json_add_strv_member (builder, "later", (const char * const *)item->later);
      relay_json_add_int_member (builder, "next_attempt", item->next_attempt);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);

  return json_generator_to_data (generator, length);
}

/* One line appended into the room made for it, not yet durable */
static gboolean
append_line (RelayOutboxJournal  *journal,
             const char          *line,
             gsize                length,
             GError             **error)
{
  g_autoptr(GString) buffer = g_string_new (NULL);

  if (length > MAX_MARK_LINE)
    {
      g_autofree char *path = relay_outbox_journal_path (journal->outbox);

      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: a mark is too long", path);
      return FALSE;
    }

  if (journal->torn)
    g_string_append_c (buffer, '\n');
  g_string_append_len (buffer, line, length);
  g_string_append_c (buffer, '\n');

  if ((journal->end + (off_t)buffer->len > journal->size && !journal_grow (journal, buffer->len)) ||
      !write_at (journal->fd, buffer->str, buffer->len, journal->end))
    {
      int saved_errno = errno;
      g_autofree char *path = relay_outbox_journal_path (journal->outbox);

      unwrite (journal, journal->end, buffer->len);
      return relay_file_set_errno_error (error, saved_errno, "write", path);
    }

  journal->torn = FALSE;
  if (journal->unsynced == 0)
    journal->unsynced_start = journal->end;
  journal->end += buffer->len;
  journal->unsynced += buffer->len;
  return TRUE;
}

/**
 * relay_outbox_journal_append:
 * @item: about to be sent: its recipients those who may take it, its
 *   later those put off, its attempt this one; its digest that of its
 *   ID.json
 *
 * Marks @item “sending”: one line written into the room made for it, not
 * yet durable. relay_outbox_journal_sync() makes it so; the end of the
 * message's data must not go before. Until then a crash leaves it torn or
 * in force (the message then unknown, never sent twice).
 *
 * Returns: whether the line was written; the message must not be sent
 *   when it was not
 */
gboolean
relay_outbox_journal_append (RelayOutboxJournal  *journal,
                             Item                *item,
                             GError             **error)
{
  g_autofree char *line = NULL;
  Mark *earlier;
  Mark *mark;
  gsize length;

  g_return_val_if_fail (item->digest != NULL, FALSE);

  if (journal->fd < 0 && !journal_open (journal, error))
    return FALSE;

  /* The last mark of an item is the one read back: before it replaces one
   * that named another envelope, the rename that wrote this envelope must
   * be durable, or a crash could leave the old envelope on disk under a
   * mark that no longer names it, and the message would read as queued */
  earlier = g_hash_table_lookup (journal->marks, item->id);
  if (earlier != NULL && !g_str_equal (earlier->envelope, item->digest) &&
      !relay_file_sync_directory (relay_outbox_get_path (journal->outbox), error))
    return FALSE;

  line = mark_to_line (item, FALSE, &length);
  if (!append_line (journal, line, length, error))
    return FALSE;

  mark = g_new0 (Mark, 1);
  mark->envelope = g_strdup (item->digest);
  mark->attempt = item->attempt;
  mark->recipients = g_strdupv (item->recipients);
  mark->later = g_strdupv (item->later);
  mark->next_attempt = item->next_attempt;
  g_hash_table_replace (journal->marks, g_strdup (item->id), mark);

  return TRUE;
}

/**
 * relay_outbox_journal_sync:
 *
 * Makes the marks appended since the last sync durable with one
 * fdatasync() (which, the file's size unchanged, has only those lines to
 * write). When it fails they are undone as far as they can be: their
 * messages must not be sent.
 *
 * Returns: whether every mark appended is on disk
 */
gboolean
relay_outbox_journal_sync (RelayOutboxJournal  *journal,
                           GError             **error)
{
  g_autofree char *path = NULL;
  int saved_errno;

  if (journal->unsynced == 0)
    return TRUE;

  if (fdatasync (journal->fd) == 0)
    {
      journal->unsynced = 0;
      return TRUE;
    }

  saved_errno = errno;
  path = relay_outbox_journal_path (journal->outbox);
  /* the messages are not sent: the marks go again, as far as they can
   * (one that stays only makes its message unknown, never sent twice) */
  unwrite (journal, journal->unsynced_start, journal->unsynced);
  journal->end = journal->unsynced_start;
  journal->unsynced = 0;
  return relay_file_set_errno_error (error, saved_errno, "write", path);
}

/**
 * relay_outbox_journal_release:
 * @item: marked with relay_outbox_journal_append(), its data never sent
 *
 * Ends @item's mark: one line saying so, made durable with the next
 * sync (or when the journal ends). Before that a crash leaves the
 * message unknown, never sent twice.
 */
void
relay_outbox_journal_release (RelayOutboxJournal *journal,
                              Item               *item)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  Mark *mark = g_hash_table_lookup (journal->marks, item->id);
  gsize length;

  if (mark == NULL || item->digest == NULL || !g_str_equal (mark->envelope, item->digest) || journal->fd < 0)
    return;

  line = mark_to_line (item, TRUE, &length);
  if (!append_line (journal, line, length, &error))
    {
      /* the mark stays: unknown, as after a crash */
      g_debug ("%s", error->message);
      return;
    }
  g_hash_table_remove (journal->marks, item->id);
}

/* Whether @id's mark still holds: its envelope is there and unchanged */
static gboolean
mark_holds (RelayOutbox *self,
            const char  *id,
            Mark        *mark)
{
  g_autofree char *digest = NULL;
  g_autoptr(GError) error = NULL;

  if (relay_outbox_read_envelope_digest (self, id, &digest, &error))
    return g_str_equal (digest, mark->envelope);

  /* gone: sent, settled or moved aside; anything else: kept, to be safe */
  return !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/**
 * relay_outbox_journal_finish:
 *
 * Closes the journal. When no mark holds any more, the outbox's folder is
 * synced (the removals and rewrites that ended them are durable) and the
 * journal removed: it only ever grows during one drain.
 */
void
relay_outbox_journal_finish (RelayOutboxJournal *journal)
{
  g_autofree char *path = relay_outbox_journal_path (journal->outbox);
  const char *dir = relay_outbox_get_path (journal->outbox);
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer id, mark;
  gboolean holds = FALSE;

  if (journal->fd >= 0)
    {
      /* the releases: a mark that ends with one no longer holds */
      if (journal->unsynced > 0 && fdatasync (journal->fd) != 0)
        g_debug ("%s: %s", path, g_strerror (errno));
      close (journal->fd);
    }
  journal->fd = -1;

  if (!g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    goto out;

  /* first the removals: a mark ends with them, never before */
  if (!relay_file_sync_directory (dir, &error))
    {
      g_debug ("%s", error->message);
      goto out;
    }

  g_hash_table_iter_init (&iter, journal->marks);
  while (!holds && g_hash_table_iter_next (&iter, &id, &mark))
    holds = mark_holds (journal->outbox, id, mark);

  /* one that could not be read is left for a person to look at */
  if (!holds && journal->error == NULL)
    g_unlink (path);

out:
  g_clear_pointer (&journal->marks, g_hash_table_unref);
  g_clear_error (&journal->error);
}
