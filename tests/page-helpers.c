/* page-helpers.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the tests of the setup page share: the page in a window on the
 * store of accounts.json, its rows found by title, Save waited for, and
 * the saved account read back through the store. */

#include "config.h"

#include <string.h>

#include "page-helpers.h"
#include "test-helpers.h"
#include "widget-helpers.h"

/* The page on the accounts.json there is now, in a window of its own */
void
page_fixture_open (PageFixture *fixture)
{
  fixture->store = relay_account_store_new (NULL);
  g_assert_true (relay_account_store_load (fixture->store, NULL));

  fixture->page = g_object_new (RELAY_TYPE_SETUP_PAGE, "store", fixture->store, NULL);
  fixture->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (fixture->window, 600, 900);
  gtk_window_set_child (fixture->window, GTK_WIDGET (fixture->page));
  gtk_window_present (fixture->window);
}

void
page_fixture_close (PageFixture *fixture)
{
  /* a keyring look-up still on its way holds the page until it returns;
   * the page goes on this thread, never in a worker that ran a task of it
   * (GLib drops a threaded task's last reference in its worker, possibly
   * after the callback has run) */
  g_object_ref (fixture->page);
  gtk_window_destroy (fixture->window);
  g_assert_true (await_finalize (g_steal_pointer (&fixture->page)) == g_thread_self ());
  g_assert_finalize_object (fixture->store);
}

GtkWidget *
row (PageFixture *fixture,
          const char  *title)
{
  GtkWidget *found = find_row (GTK_WIDGET (fixture->page), title);

  if (found == NULL)
    g_error ("no row titled “%s”", title);

  return found;
}

void
type (PageFixture *fixture,
           const char  *title,
           const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row (fixture, title)), text);
}

gboolean
action_enabled (PageFixture *fixture,
                     const char  *name)
{
  /* the buttons bound to the action follow its state */
  GtkWidget *button = find_actionable (GTK_WIDGET (fixture->page), name);

  g_assert_nonnull (button);
  return gtk_widget_get_sensitive (button);
}

static void
saved_cb (RelaySetupPage *page,
          gboolean       *saved)
{
  *saved = TRUE;
}

void
save_and_wait (PageFixture *fixture)
{
  gboolean saved = FALSE;
  gulong id = g_signal_connect (fixture->page, "saved", G_CALLBACK (saved_cb), &saved);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (fixture->page), "setup.save", NULL));
  while (!saved && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);

  g_signal_handler_disconnect (fixture->page, id);
  g_assert_true (saved);
}

static gboolean
is_error_label_with (GtkWidget     *widget,
                     gconstpointer  needle)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "error") &&
         gtk_widget_get_visible (widget) &&
         strstr (gtk_label_get_text (GTK_LABEL (widget)), needle) != NULL;
}

/* A field's error under its group that says @needle */
gboolean
error_label_shows (GtkWidget  *root,
                   const char *needle)
{
  return find_widget (root, is_error_label_with, needle) != NULL;
}

/* The default account as accounts.json has it now */
RelayAccount *
reload_default (void)
{
  g_autoptr(RelayAccountStore) store = relay_account_store_new (NULL);

  g_assert_true (relay_account_store_load (store, NULL));
  g_assert_nonnull (relay_account_store_get_default (store));

  return relay_account_copy (relay_account_store_get_default (store));
}
