/* relay-log-subset.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RelayLogSubset: the rows of the send log that match the page's filter,
 * by position, as a GListModel. The positions are found from the stored
 * lines without parsing them; the rows are the log's own.
 */

#define G_LOG_DOMAIN "relay-log-subset"

#include "config.h"

#include "relay-log-subset.h"
#include "relay-send-log.h"

struct _RelayLogSubset
{
  GObject     parent_instance;
  GListModel *log;
  GArray     *positions;  /* guint; NULL: every row */
};

static GType
relay_log_subset_get_item_type (GListModel *model)
{
  return RELAY_TYPE_SEND_LOG_ENTRY;
}

static guint
relay_log_subset_get_n_items (GListModel *model)
{
  RelayLogSubset *self = (RelayLogSubset *)model;

  return self->positions ? self->positions->len : g_list_model_get_n_items (self->log);
}

static gpointer
relay_log_subset_get_item (GListModel *model,
                           guint       position)
{
  RelayLogSubset *self = (RelayLogSubset *)model;

  if (self->positions == NULL)
    return g_list_model_get_item (self->log, position);
  if (position >= self->positions->len)
    return NULL;

  return g_list_model_get_item (self->log, g_array_index (self->positions, guint, position));
}

static void
relay_log_subset_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = relay_log_subset_get_item_type;
  iface->get_n_items = relay_log_subset_get_n_items;
  iface->get_item = relay_log_subset_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (RelayLogSubset, relay_log_subset, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, relay_log_subset_list_model_init))

static void
log_items_changed_cb (RelayLogSubset *self,
                      guint           position,
                      guint           removed,
                      guint           added,
                      GListModel     *log)
{
  if (self->positions == NULL)
    g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
}

static void
relay_log_subset_finalize (GObject *object)
{
  RelayLogSubset *self = (RelayLogSubset *)object;

  g_clear_object (&self->log);
  g_clear_pointer (&self->positions, g_array_unref);

  G_OBJECT_CLASS (relay_log_subset_parent_class)->finalize (object);
}

static void
relay_log_subset_class_init (RelayLogSubsetClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relay_log_subset_finalize;
}

static void
relay_log_subset_init (RelayLogSubset *self)
{
}

RelayLogSubset *
relay_log_subset_new (GListModel *log)
{
  RelayLogSubset *self = g_object_new (RELAY_TYPE_LOG_SUBSET, NULL);

  self->log = g_object_ref (log);
  g_signal_connect_object (log, "items-changed", G_CALLBACK (log_items_changed_cb), self, G_CONNECT_SWAPPED);

  return self;
}

/* @positions: (transfer full) (nullable) */
void
relay_log_subset_set_positions (RelayLogSubset *self,
                                GArray         *positions)
{
  guint removed = relay_log_subset_get_n_items (G_LIST_MODEL (self));

  g_clear_pointer (&self->positions, g_array_unref);
  self->positions = positions;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, relay_log_subset_get_n_items (G_LIST_MODEL (self)));
}

/* @positions: (transfer full): the matches among the rows from @first on,
 * which replace those the subset had there */
void
relay_log_subset_update_from (RelayLogSubset *self,
                              guint           first,
                              GArray         *positions)
{
  guint kept, removed;

  g_return_if_fail (self->positions != NULL);

  for (kept = self->positions->len; kept > 0; kept--)
    if (g_array_index (self->positions, guint, kept - 1) < first)
      break;

  removed = self->positions->len - kept;
  g_array_set_size (self->positions, kept);
  g_array_append_vals (self->positions, positions->data, positions->len);
  if (removed > 0 || positions->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), kept, removed, positions->len);
  g_array_unref (positions);
}

/**
 * relay_log_subset_get_positions:
 *
 * Returns: (transfer none) (nullable): the positions in the log of the
 *   rows of the subset (guint); %NULL when it has every row
 */
GArray *
relay_log_subset_get_positions (RelayLogSubset *self)
{
  g_return_val_if_fail (RELAY_IS_LOG_SUBSET (self), NULL);

  return self->positions;
}
