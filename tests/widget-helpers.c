/* widget-helpers.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the widget tests share: finding a widget the way a person would
 * (by its row title, its button label, its action), and waiting on the
 * main loop for what the app does asynchronously. */

#include "config.h"

#include "test-helpers.h"
#include "widget-helpers.h"

/* The first descendant of @root, depth first, that @match accepts */
GtkWidget *
find_widget (GtkWidget     *root,
             WidgetMatch    match,
             gconstpointer  data)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (match (child, data))
        return child;
      if ((found = find_widget (child, match, data)) != NULL)
        return found;
    }

  return NULL;
}

static gboolean
is_type (GtkWidget     *widget,
         gconstpointer  data)
{
  return G_TYPE_CHECK_INSTANCE_TYPE (widget, GPOINTER_TO_SIZE (data));
}

GtkWidget *
find_type (GtkWidget *root,
           GType      type)
{
  return find_widget (root, is_type, GSIZE_TO_POINTER (type));
}

/* Titles and labels carry mnemonics: “_Server” is read “Server” */
char *
without_mnemonic (const char *text)
{
  GString *plain = g_string_new (text);

  g_string_replace (plain, "_", "", 0);
  return g_string_free (plain, FALSE);
}

static gboolean
is_row_titled (GtkWidget     *widget,
               gconstpointer  title)
{
  g_autofree char *plain = NULL;

  if (!ADW_IS_PREFERENCES_ROW (widget))
    return FALSE;

  plain = without_mnemonic (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)));
  return g_str_equal (plain, title);
}

/* The preferences row titled @title */
GtkWidget *
find_row (GtkWidget  *root,
          const char *title)
{
  return find_widget (root, is_row_titled, title);
}

static gboolean
is_button_labelled (GtkWidget     *widget,
                    gconstpointer  label)
{
  g_autofree char *plain = NULL;

  if (!GTK_IS_BUTTON (widget) || gtk_button_get_label (GTK_BUTTON (widget)) == NULL)
    return FALSE;

  plain = without_mnemonic (gtk_button_get_label (GTK_BUTTON (widget)));
  return g_str_equal (plain, label);
}

/* The button labelled @label */
GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  return find_widget (root, is_button_labelled, label);
}

static gboolean
is_actionable_for (GtkWidget     *widget,
                   gconstpointer  action)
{
  return GTK_IS_ACTIONABLE (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), action) == 0;
}

/* The button or row that activates @action */
GtkWidget *
find_actionable (GtkWidget  *root,
                 const char *action)
{
  return find_widget (root, is_actionable_for, action);
}

/* Runs the main loop until @done says so, for 30 s at the most; never
 * blocks for ever, because the deadline is checked between events */
void
wait_for (gboolean (*done) (gpointer),
          gpointer   data)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!done (data) && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  g_assert_true (done (data));
}

static void
collect_name_problems (GtkWidget *root,
                       GString   *problems)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      /* what is hidden is not in the way (libadwaita's own hidden apply buttons) */
      if (!gtk_widget_get_visible (child))
        continue;

      if (GTK_IS_BUTTON (child))
        {
          GtkAccessible *accessible = GTK_ACCESSIBLE (child);
          gboolean has_label = gtk_test_accessible_has_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL);
          gboolean labelled_by = gtk_test_accessible_has_relation (accessible, GTK_ACCESSIBLE_RELATION_LABELLED_BY);
          const char *text = gtk_button_get_label (GTK_BUTTON (child));
          g_autofree char *other_label = NULL;

          /* A button with text is labelled by the label widget that shows
           * it; an accessible label is said as well, before it: GTK 4.8
           * sets one, the text as written, and says “_Save Save” */
          if (text != NULL && has_label && labelled_by)
            {
              other_label = gtk_test_accessible_check_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL, "");
              g_string_append_printf (problems, "“%s” is named twice (“%s” and its label)\n", text, other_label);
            }
          else if (text == NULL && !has_label && !labelled_by)
            g_string_append_printf (problems, "a %s (%s) with no label has no accessible name\n",
                                    G_OBJECT_TYPE_NAME (child), gtk_widget_get_tooltip_text (child) ?: "no tooltip");
        }

      collect_name_problems (child, problems);
    }
}

/**
 * assert_buttons_named_once:
 *
 * Needs GTK_A11Y=test (see use_test_accessibility()). Every button under @root has a name a screen reader can say, from one
 * source only: its label, or for an icon an accessible label. GTK 4.8
 * otherwise says the class (“GtkImage”), or the name twice (“Save Save”).
 */
void
assert_buttons_named_once (GtkWidget *root)
{
  g_autoptr(GString) problems = g_string_new (NULL);

  collect_name_problems (root, problems);
  if (problems->len > 0)
    g_error ("Buttons without a good accessible name:\n%s", problems->str);
}

/**
 * focus_is_in:
 *
 * Whether the keyboard focus of @root's window is @widget or inside it
 */
gboolean
focus_is_in (GtkWidget *widget)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;

  return focus != NULL && (focus == widget || gtk_widget_is_ancestor (focus, widget));
}

/**
 * use_test_accessibility:
 *
 * Call before gtk_init(): widgets get GTK's test accessibility backend,
 * which keeps their accessible properties where gtk_test_accessible_*()
 * reads them, and talks to no accessibility bus
 */
void
use_test_accessibility (void)
{
  g_setenv ("GTK_A11Y", "test", TRUE);
}

/* The message dialog shown now, if any */
AdwMessageDialog *
find_message_dialog (void)
{
  return (AdwMessageDialog *)find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
}

/* A shown window of @type (or a subclass) */
GtkWindow *
find_toplevel (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      return l->data;

  return NULL;
}

static gboolean
is_visible_label_starting (GtkWidget     *widget,
                           gconstpointer  prefix)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) &&
         g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), prefix);
}

/* A shown label under @root whose text starts with @prefix */
GtkWidget *
find_visible_label (GtkWidget  *root,
                    const char *prefix)
{
  return find_widget (root, is_visible_label_starting, prefix);
}

/**
 * widget_test_init:
 *
 * What every widget test's main() does first: user folders of its own
 * (not G_TEST_OPTION_ISOLATE_DIRS: GTK needs the MIME data to load
 * icons), GTK's test accessibility backend, GLib's test framework, then
 * GTK and libadwaita
 */
void
widget_test_init (int    *argc,
                  char ***argv)
{
  isolate_user_dirs ();
  use_test_accessibility ();
  g_test_init (argc, argv, NULL);
  gtk_init ();
  adw_init ();
}
