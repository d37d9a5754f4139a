/* relay-window.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-window"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-channel-export-dialog.h"
#include "relay-channel-import-dialog.h"
#include "relay-log-page.h"
#include "relay-setup-page.h"
#include "relay-window.h"

struct _RelayWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;

  AdwToastOverlay      *toast_overlay;
  AdwViewStack         *stack;
  RelaySetupPage       *setup_page;
  RelayLogPage         *log_page;
};

G_DEFINE_FINAL_TYPE (RelayWindow, relay_window, ADW_TYPE_APPLICATION_WINDOW)

static void
relay_window_dispose (GObject *object)
{
  RelayWindow *self = (RelayWindow *)object;

  gtk_widget_dispose_template (GTK_WIDGET (self), RELAY_TYPE_WINDOW);
  g_clear_object (&self->settings);

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

static void
show_setup_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  RelayWindow *self = RELAY_WINDOW (widget);

  adw_view_stack_set_visible_child_name (self->stack, "setup");
  gtk_widget_child_focus (GTK_WIDGET (self->setup_page), GTK_DIR_TAB_FORWARD);
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
  g_type_ensure (RELAY_TYPE_LOG_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, setup_page);
  gtk_widget_class_bind_template_child (widget_class, RelayWindow, log_page);

  gtk_widget_class_install_action (widget_class, "win.show-setup", NULL, show_setup_action);
  gtk_widget_class_install_action (widget_class, "win.show-log", NULL, show_log_action);
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

  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "last-page", self->stack, "visible-child-name", G_SETTINGS_BIND_DEFAULT);
}

static void
setup_saved_cb (RelayWindow *self)
{
  RelayAccountStore *store = relay_setup_page_get_store (self->setup_page);

  relay_log_page_set_account (self->log_page, relay_account_store_get_default (store));
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
  /* saved limits show in the meters at once */
  g_signal_connect_object (self->setup_page, "saved", G_CALLBACK (setup_saved_cb), self, G_CONNECT_SWAPPED);

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
 * The channel the window works on (the setup page's: today the default
 * account), for the actions that act on one channel such as
 * win.export-channel.
 *
 * Returns: (transfer none) (nullable): the account, %NULL when none is saved
 */
RelayAccount *
relay_window_get_current_account (RelayWindow *self)
{
  RelayAccountStore *store;

  g_return_val_if_fail (RELAY_IS_WINDOW (self), NULL);

  store = relay_setup_page_get_store (self->setup_page);
  return store ? relay_account_store_get_default (store) : NULL;
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
