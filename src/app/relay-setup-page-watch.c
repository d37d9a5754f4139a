/* relay-setup-page-watch.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The setup page's watch on accounts.json: another program (such as
 * mail-relay-cli) saved it, and the form shows what it saved. */

#define G_LOG_DOMAIN "relay-setup-page"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-setup-page-private.h"

static gboolean
same_account (RelayAccount *a,
              RelayAccount *b)
{
  g_autoptr(JsonNode) a_node = NULL;
  g_autoptr(JsonNode) b_node = NULL;

  if (a == NULL || b == NULL)
    return a == b;

  a_node = relay_account_to_json (a);
  b_node = relay_account_to_json (b);
  return json_node_equal (a_node, b_node);
}

/* Another program saved accounts.json: the form shows what it saved,
 * unless the user has changes of their own there, which are kept */
static void
reload_accounts (RelaySetupPage *self)
{
  g_autoptr(GError) error = NULL;
  RelayAccount *account;

  if (self->store == NULL)
    return;

  if (!relay_account_store_load (self->store, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The settings changed by another program could not be read: %s"),
                                                  error->message);

      relay_setup_page_show_problem (self, message);
      return;
    }

  /* the account the form shows; a new one's form stays as it is */
  if (self->saved != NULL)
    account = relay_account_store_lookup (self->store, relay_account_get_id (self->saved));
  else
    account = self->new_name == NULL ? relay_account_store_get_default (self->store) : NULL;
  /* our own save, seen coming back */
  if (same_account (account, self->saved))
    return;

  if (_relay_setup_page_is_dirty (self))
    {
      /* Save now applies the form to what the other program saved, and
       * Revert shows it */
      g_clear_object (&self->saved);
      if (account != NULL)
        self->saved = relay_account_copy (account);
      _relay_setup_page_update_actions (self);
      relay_setup_page_show_problem (self, _("The settings were changed outside Mail Relay, for example with "
                                             "mail-relay-cli. Your changes in the form are kept: press Revert to "
                                             "see the new settings instead, or Save to keep yours."));
      _relay_setup_page_emit_saved (self);
      return;
    }

  g_clear_object (&self->saved);
  if (account != NULL)
    self->saved = relay_account_copy (account);
  _relay_setup_page_load_form (self);
  _relay_setup_page_add_toast (self, _("Settings changed outside Mail Relay are shown"));
  _relay_setup_page_emit_saved (self);
}

static gboolean
reload_accounts_cb (gpointer user_data)
{
  RelaySetupPage *self = user_data;

  /* after our own save, which may be what changed the file */
  if (self->busy)
    return G_SOURCE_CONTINUE;

  self->accounts_source = 0;
  reload_accounts (self);
  return G_SOURCE_REMOVE;
}

/* The file is replaced by a rename: its folder is watched, and a burst
 * of events read once */
static void
accounts_changed_cb (GFileMonitor      *monitor,
                     GFile             *file,
                     GFile             *other_file,
                     GFileMonitorEvent  event,
                     RelaySetupPage    *self)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *other_name = other_file ? g_file_get_basename (other_file) : NULL;
  g_autofree char *wanted = g_path_get_basename (relay_account_store_get_path (self->store));

  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED ||
      (g_strcmp0 (name, wanted) != 0 && g_strcmp0 (other_name, wanted) != 0) ||
      self->accounts_source != 0)
    return;

  self->accounts_source = g_timeout_add (150, reload_accounts_cb, self);
}

void
_relay_setup_page_watch_accounts (RelaySetupPage *self)
{
  g_autofree char *dir = NULL;
  g_autoptr(GFile) folder = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->accounts_source, g_source_remove);
  if (self->accounts_monitor != NULL)
    g_file_monitor_cancel (self->accounts_monitor);
  g_clear_object (&self->accounts_monitor);

  if (self->store == NULL)
    return;

  /* the folder the file will be in, so that its creation is seen */
  dir = g_path_get_dirname (relay_account_store_get_path (self->store));
  g_mkdir_with_parents (dir, 0700);
  folder = g_file_new_for_path (dir);
  self->accounts_monitor = g_file_monitor_directory (folder, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->accounts_monitor == NULL)
    {
      g_debug ("Changes to the accounts by other programs are not watched: %s", error->message);
      return;
    }

  g_signal_connect_object (self->accounts_monitor, "changed", G_CALLBACK (accounts_changed_cb), self, 0);
}
