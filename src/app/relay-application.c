/* relay-application.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-application"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-application.h"
#include "relay-window.h"

struct _RelayApplication
{
  AdwApplication     parent_instance;

  RelayAccountStore  *store;
  GError             *load_error;
  RelaySandboxServer *sandbox;
};

G_DEFINE_FINAL_TYPE (RelayApplication, relay_application, ADW_TYPE_APPLICATION)

RelayApplication *
relay_application_new (void)
{
  return g_object_new (RELAY_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", RESOURCE_PREFIX,
                       NULL);
}

static void
relay_application_startup (GApplication *app)
{
  RelayApplication *self = (RelayApplication *)app;

  G_APPLICATION_CLASS (relay_application_parent_class)->startup (app);

  g_set_application_name (_("Mail Relay"));
  gtk_window_set_default_icon_name (APP_ID);

  self->store = relay_account_store_new (NULL);
  relay_account_store_load (self->store, &self->load_error);
}

static void
relay_application_activate (GApplication *app)
{
  RelayApplication *self = (RelayApplication *)app;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      window = GTK_WINDOW (relay_window_new (self));
      if (self->load_error != NULL)
        relay_window_show_error (RELAY_WINDOW (window), self->load_error->message);
    }

  gtk_window_present (window);
}

static void
relay_application_finalize (GObject *object)
{
  RelayApplication *self = (RelayApplication *)object;

  g_clear_object (&self->store);
  g_clear_error (&self->load_error);
  if (self->sandbox != NULL)
    relay_sandbox_server_stop (self->sandbox);
  g_clear_object (&self->sandbox);

  G_OBJECT_CLASS (relay_application_parent_class)->finalize (object);
}

static void
relay_application_class_init (RelayApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = relay_application_finalize;
  app_class->startup = relay_application_startup;
  app_class->activate = relay_application_activate;
}

static void
relay_application_about_action (GSimpleAction *action,
                                GVariant      *parameter,
                                gpointer       user_data)
{
  RelayApplication *self = user_data;
  static const char *developers[] = { "The Mail Relay developers", NULL };
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", window,
                        "application-name", _("Mail Relay"),
                        "application-icon", APP_ID,
                        "developer-name", _("The Mail Relay developers"),
                        "version", PACKAGE_VERSION,
                        "website", "https://github.com/mailrelay/MailRelay",
                        "issue-url", "https://github.com/mailrelay/MailRelay/issues",
                        "developers", developers,
                        "copyright", "© 2026 The Mail Relay developers",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: replace with your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
relay_application_quit_action (GSimpleAction *action,
                               GVariant      *parameter,
                               gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

/* app.import-channel('/path/to/profile.json'): the import preview of a
 * file, for scripts (through org.gtk.Actions on D-Bus) and screenshots;
 * nothing is saved until Import is pressed, as through the menu */
static void
relay_application_import_channel_action (GSimpleAction *action,
                                         GVariant      *parameter,
                                         gpointer       user_data)
{
  RelayApplication *self = user_data;
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (parameter, NULL));

  g_application_activate (G_APPLICATION (self));
  /* the main window, not a dialog that may have the focus */
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      if (RELAY_IS_WINDOW (l->data))
        {
          relay_window_import_channel (RELAY_WINDOW (l->data), file);
          return;
        }
    }
}

static const GActionEntry app_actions[] = {
  { "quit", relay_application_quit_action },
  { "about", relay_application_about_action },
  { "import-channel", relay_application_import_channel_action, "s" },
};

static void
relay_application_init (RelayApplication *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", (const char *[]) { "<primary>q", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", (const char *[]) { "<primary>w", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-setup", (const char *[]) { "<alt>1", NULL });
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-log", (const char *[]) { "<primary>l", "<alt>2", NULL });
}

/**
 * relay_application_get_sandbox:
 *
 * The local test server, started on first use: on the ports of
 * `mail-relay-cli sandbox` when they are free, else on any.
 *
 * Returns: (transfer none) (nullable): the running server, or %NULL when
 *   it could not start
 */
RelaySandboxServer *
relay_application_get_sandbox (RelayApplication *self)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (RELAY_IS_APPLICATION (self), NULL);

  if (self->sandbox != NULL)
    return self->sandbox;

  self->sandbox = relay_sandbox_server_new ();
  if (!relay_sandbox_server_start (self->sandbox, 2525, 2465, NULL) &&
      !relay_sandbox_server_start (self->sandbox, 0, 0, &error))
    {
      g_message ("The local test server could not start: %s", error->message);
      g_clear_object (&self->sandbox);
    }

  return self->sandbox;
}

/**
 * relay_application_get_account_store:
 *
 * Returns: (transfer none): the accounts, loaded at start-up
 */
RelayAccountStore *
relay_application_get_account_store (RelayApplication *self)
{
  g_return_val_if_fail (RELAY_IS_APPLICATION (self), NULL);

  return self->store;
}
