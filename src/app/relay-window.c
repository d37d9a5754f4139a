/* relay-window.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-window"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-channel-list.h"
#include "relay-channel-export-dialog.h"
#include "relay-channel-import-dialog.h"
#include "relay-log-page.h"
#include "relay-message-dialog.h"
#include "relay-setup-page.h"
#include "relay-window.h"

struct _RelayWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;

  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *stack;
  AdwLeaflet           *leaflet;
  RelayChannelList     *channel_list;
  GtkWidget            *leaflet_separator;
  GtkWidget            *form_box;
  GtkLabel             *channel_title;
  RelaySetupPage       *setup_page;
  RelayLogPage         *log_page;

  guint                 channels_source;
  /* the channel the form shows: its id, or a new channel's name */
  char                 *shown_id;
  char                 *shown_new_name;
};

G_DEFINE_FINAL_TYPE (RelayWindow, relay_window, ADW_TYPE_APPLICATION_WINDOW)

static void
relay_window_dispose (GObject *object)
{
  RelayWindow *self = (RelayWindow *)object;

  g_clear_handle_id (&self->channels_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), RELAY_TYPE_WINDOW);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->shown_id, g_free);
  g_clear_pointer (&self->shown_new_name, g_free);

  G_OBJECT_CLASS (relay_window_parent_class)->dispose (object);
}

static void
show_log_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  RelayWindow *self = RELAY_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->stack, "log");
  /* the focus was on the page that just went away */
  gtk_widget_child_focus (GTK_WIDGET (self->log_page), GTK_DIR_TAB_FORWARD);
}

/* The form, or on a narrow window the list shown in its place */
static gboolean
focus_setup (RelayWindow *self)
{
  return gtk_widget_child_focus (adw_leaflet_get_folded (self->leaflet)
                                 ? adw_leaflet_get_visible_child (self->leaflet)
                                 : GTK_WIDGET (self->setup_page),
                                 GTK_DIR_TAB_FORWARD);
}

static gboolean
focus_setup_cb (GtkWidget     *leaflet,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  /* until the leaflet is laid out */
  if (!focus_setup (RELAY_WINDOW (user_data)) && gtk_widget_get_width (leaflet) == 0)
    return G_SOURCE_CONTINUE;

  return G_SOURCE_REMOVE;
}

static void
show_setup_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  RelayWindow *self = RELAY_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->stack, "setup");
  /* the leaflet shows its panes once it is laid out again */
  if (!focus_setup (self))
    gtk_widget_add_tick_callback (GTK_WIDGET (self->leaflet), focus_setup_cb, self, NULL);
}

static void
show_channels_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  RelayWindow *self = RELAY_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  gtk_widget_child_focus (GTK_WIDGET (self->channel_list), GTK_DIR_TAB_FORWARD);
}

static void channel_exported_cb (RelayWindow *self,
                                 GFile       *file);

static void
export_channel_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  RelayWindow *self = RELAY_WINDOW (widget);
  RelayAccount *account = relay_window_get_current_account (self);
  RelayChannelExportDialog *dialog;

  if (account == NULL)
    {
      relay_window_show_error (self, _("There is no saved channel to export: save the setup first."));
      return;
    }

  dialog = relay_channel_export_dialog_new (GTK_WINDOW (self), account);
  g_signal_connect_object (dialog, "exported", G_CALLBACK (channel_exported_cb), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
import_channel_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  relay_window_import_channel (RELAY_WINDOW (widget), NULL);
}

static void
relay_window_class_init (RelayWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = relay_window_dispose;

  g_type_ensure (RELAY_TYPE_SETUP_PAGE);
  g_type_ensure (RELAY_TYPE_CHANNEL_LIST);
  g_type_ensure (RELAY_TYPE_LOG_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, channel_list);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, leaflet_separator);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, form_box);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, channel_title);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, setup_page);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, log_page);

  gtk_widget_class_install_action (widget_class, "win.show-setup", NULL, show_setup_action);
  gtk_widget_class_install_action (widget_class, "win.show-log", NULL, show_log_action);
  gtk_widget_class_install_action (widget_class, "win.show-channels", NULL, show_channels_action);
  gtk_widget_class_install_action (widget_class, "win.export-channel", NULL, export_channel_action);
  gtk_widget_class_install_action (widget_class, "win.import-channel", NULL, import_channel_action);
}

/* libadwaita 1.2 names its page switchers after their class */
static void
name_view_switchers (GtkWidget *root)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      if (ADW_IS_VIEW_SWITCHER (child))
        gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Pages"), -1);
      name_view_switchers (child);
    }
}

static void
relay_window_init (RelayWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  name_view_switchers (GTK_WIDGET (self));
  adw_leaflet_page_set_navigatable (adw_leaflet_get_page (self->leaflet, self->leaflet_separator), FALSE);

  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "last-page", self->stack, "visible-child-name", G_SETTINGS_BIND_DEFAULT);
}

/* The channel the form shows, by name, above the form on a narrow window */
static void
update_channel_title (RelayWindow *self)
{
  RelayAccountStore *store = relay_setup_page_get_store (self->setup_page);
  const char *id = relay_channel_list_get_selected_id (self->channel_list);
  RelayAccount *account = id ? relay_account_store_lookup (store, id) : NULL;
  const char *name = account ? relay_account_get_name (account) : relay_channel_list_get_new_name (self->channel_list);

  gtk_label_set_text (self->channel_title, name ? name : "");
}

/* The form shows the channel the list has chosen */
static void
sync_shown (RelayWindow *self)
{
  g_free (self->shown_id);
  self->shown_id = g_strdup (relay_channel_list_get_selected_id (self->channel_list));
  g_free (self->shown_new_name);
  self->shown_new_name = g_strdup (relay_channel_list_get_new_name (self->channel_list));
}

static void
setup_saved_cb (RelayWindow *self)
{
  RelayAccountStore *store = relay_setup_page_get_store (self->setup_page);

  relay_log_page_set_account (self->log_page, relay_account_store_get_default (store));
  relay_log_page_set_store (self->log_page, store);
  relay_channel_list_refresh (self->channel_list);
  /* a new channel, saved, is chosen by its id */
  sync_shown (self);
  update_channel_title (self);
}

static void
show_channel (RelayWindow *self)
{
  sync_shown (self);
  relay_setup_page_set_account (self->setup_page, self->shown_id, self->shown_new_name);
  update_channel_title (self);
}

static void
discard_response_cb (AdwMessageDialog *dialog,
                     const char       *response,
                     RelayWindow      *self)
{
  if (g_strcmp0 (response, "discard") == 0)
    show_channel (self);
  else
    relay_channel_list_select (self->channel_list, self->shown_id, self->shown_new_name);
}

/* Another channel chosen: the form's unsaved changes are not lost unasked */
static void
channel_selected_cb (RelayWindow *self)
{
  RelayAccountStore *store = relay_setup_page_get_store (self->setup_page);
  const char *id = relay_channel_list_get_selected_id (self->channel_list);
  const char *new_name = relay_channel_list_get_new_name (self->channel_list);
  g_autofree char *body = NULL;
  GtkWidget *dialog;
  gboolean same = self->shown_new_name != NULL ? id == NULL && g_strcmp0 (new_name, self->shown_new_name) == 0
                                               : g_strcmp0 (id, self->shown_id) == 0;

  /* the same one (renamed, say), or one removed: nothing to keep */
  if (same || !relay_setup_page_has_changes (self->setup_page) ||
      (self->shown_id != NULL && relay_account_store_lookup (store, self->shown_id) == NULL))
    {
      show_channel (self);
      return;
    }

  /* Translators: a channel's name */
  body = g_strdup_printf (_("The changes to “%s” are not saved. Showing another channel discards them."),
                          gtk_label_get_text (self->channel_title));
  dialog = relay_message_dialog_new (GTK_WIDGET (self), _("Discard the Changes?"), body,
                                     "keep",
                                     "keep", _("_Keep Editing"), ADW_RESPONSE_DEFAULT,
                                     "discard", _("_Discard"), ADW_RESPONSE_DESTRUCTIVE,
                                     NULL);
  g_signal_connect_object (dialog, "response", G_CALLBACK (discard_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
channel_activated_cb (RelayWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->form_box);
}

/* renamed, removed or made the default */
static void
channels_changed_cb (RelayWindow *self)
{
  RelayAccountStore *store = relay_setup_page_get_store (self->setup_page);

  channel_selected_cb (self);
  relay_log_page_set_account (self->log_page, relay_account_store_get_default (store));
  relay_log_page_set_store (self->log_page, store);
}

static gboolean
refresh_channels_cb (gpointer user_data)
{
  RelayWindow *self = user_data;
  RelayAccountStore *store = relay_setup_page_get_store (self->setup_page);

  self->channels_source = 0;
  relay_channel_list_refresh (self->channel_list);
  sync_shown (self);
  relay_log_page_set_store (self->log_page, store);
  update_channel_title (self);
  return G_SOURCE_REMOVE;
}

/* The store's accounts changed, by a save here or a change another
 * program made (read again by the setup page): shown once the change is
 * whole, a reload being a removal and an addition */
static void
accounts_changed_cb (RelayWindow *self)
{
  if (self->channels_source == 0)
    self->channels_source = g_idle_add (refresh_channels_cb, self);
}

RelayWindow *
relay_window_new (RelayApplication *application)
{
  RelayWindow *self;

  g_return_val_if_fail (RELAY_IS_APPLICATION (application), NULL);

  self = g_object_new (RELAY_TYPE_WINDOW,
                       "application", application,
                       NULL);
  relay_setup_page_set_sandbox (self->setup_page, relay_application_get_sandbox (application));
  relay_setup_page_set_store (self->setup_page,
                              relay_application_get_account_store (application));
  relay_log_page_set_account (self->log_page,
                              relay_account_store_get_default (relay_application_get_account_store (application)));
  relay_log_page_set_store (self->log_page, relay_application_get_account_store (application));
  relay_channel_list_set_store (self->channel_list, relay_application_get_account_store (application));
  sync_shown (self);
  update_channel_title (self);
  /* saved limits show in the meters at once */
  g_signal_connect_object (self->setup_page, "saved", G_CALLBACK (setup_saved_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->channel_list, "selected", G_CALLBACK (channel_selected_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->channel_list, "activated", G_CALLBACK (channel_activated_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->channel_list, "changed", G_CALLBACK (channels_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (relay_account_store_get_accounts (relay_application_get_account_store (application)),
                           "items-changed", G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);

  return self;
}

/**
 * relay_window_show_error:
 *
 * Shows a problem that stays until the user dismisses it.
 */
void
relay_window_show_error (RelayWindow *self,
                         const char  *message)
{
  g_return_if_fail (RELAY_IS_WINDOW (self));

  relay_setup_page_show_problem (self->setup_page, message);
}

/**
 * relay_window_get_current_account:
 *
 * The channel the window works on (the one chosen in the channel list,
 * whose form the setup page shows), for the actions that act on one
 * channel such as win.export-channel.
 *
 * Returns: (transfer none) (nullable): the account, %NULL when none is
 *   saved (a new channel not saved yet, or none at all)
 */
RelayAccount *
relay_window_get_current_account (RelayWindow *self)
{
  RelayAccountStore *store;
  const char *id;

  g_return_val_if_fail (RELAY_IS_WINDOW (self), NULL);

  store = relay_setup_page_get_store (self->setup_page);
  id = relay_channel_list_get_selected_id (self->channel_list);
  return store != NULL && id != NULL ? relay_account_store_lookup (store, id) : NULL;
}

static void
channel_exported_cb (RelayWindow *self,
                     GFile       *file)
{
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *title = g_strdup_printf (_("Channel exported to %s"), name);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (title));
}

static void
channel_imported_cb (RelayWindow  *self,
                     RelayAccount *account,
                     const char   *todo)
{
  g_autofree char *title = NULL;
  AdwToast *toast;

  /* the new channel, shown in the list and its form */
  relay_channel_list_refresh (self->channel_list);
  relay_channel_list_select (self->channel_list, relay_account_get_id (account), NULL);

  title = g_strdup_printf (_("Channel “%s” created. %s"), relay_account_get_name (account), todo);
  toast = adw_toast_new (title);
  /* it says what is left to do: it stays until dismissed */
  adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/**
 * relay_window_import_channel:
 * @file: (nullable): the channel profile, or %NULL to ask for it through
 *   the file chooser
 *
 * Shows the preview of the channel @file makes; nothing is saved until
 * the person presses Import, and the window then says what is left to do.
 */
void
relay_window_import_channel (RelayWindow *self,
                             GFile       *file)
{
  RelayChannelImportDialog *dialog;

  g_return_if_fail (RELAY_IS_WINDOW (self));
  g_return_if_fail (!file || G_IS_FILE (file));

  dialog = relay_channel_import_dialog_new (GTK_WINDOW (self), relay_setup_page_get_store (self->setup_page));
  g_signal_connect_object (dialog, "imported", G_CALLBACK (channel_imported_cb), self, G_CONNECT_SWAPPED);
  if (file == NULL)
    {
      relay_channel_import_dialog_choose_file (dialog);
      return;
    }

  relay_channel_import_dialog_load_file (dialog, file);
  gtk_window_present (GTK_WINDOW (dialog));
}
