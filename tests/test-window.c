/* test-window.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The main window's keyboard shortcuts under Xvfb: every accelerator the
 * shortcuts window lists is really bound to its action, and Ctrl+L shows
 * the send log.
 */

#include "config.h"

#include <adwaita.h>

#include "relay-application.h"
#include "relay-setup-page.h"
#include "relay-window.h"
#include "test-helpers.h"
#include "widget-helpers.h"

typedef struct
{
  RelayApplication *app;
  RelayWindow      *window;
} Fixture;

/* one for the whole program: a registered GApplication is never
 * finalized, its actions stay exported on the bus */
static RelayApplication *application;

static gboolean
laid_out (gpointer data)
{
  return gtk_widget_get_width (GTK_WIDGET (data)) > 0;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->app = application;
  fixture->window = relay_window_new (fixture->app);
  gtk_window_present (GTK_WINDOW (fixture->window));
  /* the channel list and the form are laid out side by side, or one in
   * place of the other, once the window has its size: as a person sees it */
  wait_for (laid_out, fixture->window);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_object_add_weak_pointer (G_OBJECT (fixture->window), (gpointer *)&fixture->window);
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_null (fixture->window);
}

static void
collect_accelerators (GtkWidget *root,
                      GPtrArray *accelerators)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_SHORTCUTS_SHORTCUT (child))
        {
          g_autofree char *accelerator = NULL;
          g_auto(GStrv) each = NULL;

          /* one shortcut may list several accelerators, and the search
           * page of the window lists each shortcut again */
          g_object_get (child, "accelerator", &accelerator, NULL);
          each = g_strsplit (accelerator, " ", -1);
          for (guint i = 0; each[i] != NULL; i++)
            if (!g_ptr_array_find_with_equal_func (accelerators, each[i], g_str_equal, NULL))
              g_ptr_array_add (accelerators, g_strdup (each[i]));
        }
      collect_accelerators (child, accelerators);
    }
}

static gboolean
strv_has (const char * const *strv,
          const char         *needle)
{
  return strv != NULL && g_strv_contains (strv, needle);
}

/* the action a class key binding of @widget runs for @accelerator */
static char *
bound_action (GtkWidget  *widget,
              const char *accelerator)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  g_autoptr(GtkShortcutTrigger) wanted = gtk_shortcut_trigger_parse_string (accelerator);

  g_assert_nonnull (wanted);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;

      for (guint j = 0; j < g_list_model_get_n_items (G_LIST_MODEL (controller)); j++)
        {
          g_autoptr(GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), j);
          GtkShortcutAction *action = gtk_shortcut_get_action (shortcut);

          if (gtk_shortcut_trigger_equal (gtk_shortcut_get_trigger (shortcut), wanted) &&
              GTK_IS_NAMED_ACTION (action))
            return g_strdup (gtk_named_action_get_action_name (GTK_NAMED_ACTION (action)));
        }
    }

  return NULL;
}

/* Whatever the shortcuts window lists does what it says */
static void
test_shortcuts_window (Fixture       *fixture,
                       gconstpointer  data)
{
  GtkApplication *app = GTK_APPLICATION (fixture->app);
  GtkWidget *setup_page = find_type (GTK_WIDGET (fixture->window), RELAY_TYPE_SETUP_PAGE);
  GtkShortcutsWindow *overlay;
  g_autoptr(GPtrArray) listed = g_ptr_array_new_with_free_func (g_free);
  struct {
    const char *accelerator;
    const char *action;   /* an application accelerator */
    const char *binding;  /* or a key binding of the setup page */
  } expected[] = {
    { "<Control>s",        NULL,                     "setup.save" },
    { "<Control>t",        NULL,                     "setup.test" },
    { "<Alt>1",            "win.show-setup",         NULL },
    { "<Control>l",        "win.show-log",           NULL },
    { "<Alt>2",            "win.show-log",           NULL },
    { "<Control>question", "win.show-help-overlay",  NULL },
    { "<Control>w",        "window.close",           NULL },
    { "<Control>q",        "app.quit",               NULL },
  };

  g_assert_nonnull (setup_page);
  overlay = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (fixture->window));
  g_assert_nonnull (overlay);
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (fixture->window), "show-help-overlay"));
  collect_accelerators (GTK_WIDGET (overlay), listed);
  g_assert_cmpuint (listed->len, ==, G_N_ELEMENTS (expected));

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autofree char *parsed = NULL;
      guint key;
      GdkModifierType mods;

      g_test_message ("%s", expected[i].accelerator);
      g_assert_true (gtk_accelerator_parse (expected[i].accelerator, &key, &mods));
      parsed = gtk_accelerator_name (key, mods);
      g_assert_true (g_ptr_array_find_with_equal_func (listed, expected[i].accelerator, g_str_equal, NULL));

      if (expected[i].action != NULL)
        {
          g_auto(GStrv) accels = gtk_application_get_accels_for_action (app, expected[i].action);
          g_auto(GStrv) actions = gtk_application_get_actions_for_accel (app, expected[i].accelerator);

          g_assert_true (strv_has ((const char * const *)accels, parsed) ||
                         strv_has ((const char * const *)accels, expected[i].accelerator));
          g_assert_true (strv_has ((const char * const *)actions, expected[i].action));
        }
      else
        {
          g_autofree char *action = bound_action (setup_page, expected[i].accelerator);

          g_assert_cmpstr (action, ==, expected[i].binding);
        }
    }
}

static void
test_show_log (Fixture       *fixture,
               gconstpointer  data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (find_type (GTK_WIDGET (fixture->window), ADW_TYPE_VIEW_STACK));

  adw_view_stack_set_visible_child_name (stack, "setup");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-log", NULL));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "log");
}

static gboolean
focus_in_setup_page (gpointer data)
{
  return focus_is_in (data);
}

/* Back to Server Setup from the keyboard, as to the Send Log */
static void
test_show_setup (Fixture       *fixture,
                 gconstpointer  data)
{
  AdwViewStack *stack = ADW_VIEW_STACK (find_type (GTK_WIDGET (fixture->window), ADW_TYPE_VIEW_STACK));
  GtkWidget *setup_page = find_type (GTK_WIDGET (fixture->window), RELAY_TYPE_SETUP_PAGE);

  adw_view_stack_set_visible_child_name (stack, "log");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->window), "win.show-setup", NULL));
  g_assert_cmpstr (adw_view_stack_get_visible_child_name (stack), ==, "setup");
  wait_for (focus_in_setup_page, setup_page);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  isolate_user_dirs ();
  g_test_init (&argc, &argv, NULL);

  application = relay_application_new ();
  /* beside a running Mail Relay */
  g_application_set_flags (G_APPLICATION (application), G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (application), NULL, &error));
  g_assert_no_error (error);

  g_test_add ("/window/shortcuts-window", Fixture, NULL,
              fixture_set_up, test_shortcuts_window, fixture_tear_down);
  g_test_add ("/window/show-log", Fixture, NULL,
              fixture_set_up, test_show_log, fixture_tear_down);
  g_test_add ("/window/show-setup", Fixture, NULL,
              fixture_set_up, test_show_setup, fixture_tear_down);

  status = g_test_run ();
  g_object_unref (application);

  return status;
}
