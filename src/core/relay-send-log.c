/* relay-send-log.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RelaySendLog, the send log as a GListModel: loading and indexing the
 * file (again only its new lines when it has grown), rows parsed when
 * shown, appending durably under a lock, and moving a torn last line
 * aside.
 */

#define G_LOG_DOMAIN "relay-send-log"

/* memrchr */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-file-private.h"
#include "relay-send-log-private.h"

#define CACHE_SLOTS  512

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
    return relay_file_set_errno_error (error, errno, "create", dir);

  return TRUE;
}

/* Before reading: Mail Relay's data folder, when it is there, is closed
 * to others or refused (a caller's own folder is left as it is) */
gboolean
relay_send_log_check_dir (const char  *path,
                          GError     **error)
{
  g_autofree char *default_path = relay_send_log_get_default_path ();
  g_autofree char *dir = NULL;

  if (!g_str_equal (path, default_path))
    return TRUE;

  dir = g_path_get_dirname (path);
  return relay_file_check_private_dir (dir, error);
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

      if (!relay_file_pread_all (fd, buffer, n, pos - n))
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
          relay_file_set_errno_error (error, errno, "create", target);
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

      if (!relay_file_pread_all (fd, buffer, n, pos) || !relay_file_write_all (out, buffer, n))
        {
          relay_file_set_errno_error (error, errno, "write", target);
          close (out);
          return NULL;
        }
      pos += n;
    }

  if (fsync (out) != 0)
    {
      relay_file_set_errno_error (error, errno, "write", target);
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
    return relay_file_set_errno_error (error, errno, "read", path);

  if (st.st_size == 0)
    return TRUE;

  if (!relay_file_pread_all (fd, &last, 1, st.st_size - 1))
    return relay_file_set_errno_error (error, errno, "read", path);

  if (last == '\n')
    return TRUE;

  if (!find_complete_end (fd, st.st_size, &end))
    return relay_file_set_errno_error (error, errno, "read", path);

  moved = save_fragment (path, fd, end, st.st_size, error);
  if (moved == NULL)
    return FALSE;

  if (ftruncate (fd, end) != 0 || fsync (fd) != 0)
    return relay_file_set_errno_error (error, errno, "repair", path);

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
 * Indexes the entries of a loaded log (see
 * relay_send_log_classify_line()); a last line without its newline (a
 * torn tail that could not be repaired) is left out, and so are blank
 * lines.
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

      switch (relay_send_log_classify_line (p, nl - p, &status, NULL))
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

  if (!relay_send_log_check_dir (path, error))
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
      relay_file_set_errno_error (error, errno, "read", path);
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

  if (!relay_file_write_all (fd, buffer->str, buffer->len) || fsync (fd) != 0)
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
    return relay_file_set_errno_error (error, saved_errno, "write", self->path);

  if (created && !relay_file_sync_directory (dir, error))
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
