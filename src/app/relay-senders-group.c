/* relay-senders-group.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A channel's extra sender addresses (its `senders`: addresses and
 * *@domain patterns that route mail through it): listed, added and
 * removed, each change saved through the account store at once. */

#define G_LOG_DOMAIN "relay-senders-group"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-senders-group.h"
#include "relay-text.h"
#include "relay-validate.h"

struct _RelaySendersGroup
{
  AdwPreferencesGroup  parent_instance;

  RelayAccountStore   *store;
  char                *account_id;
  /* the rows of the senders, before the entry */
  GPtrArray           *rows;
  AdwEntryRow         *entry_row;
  GtkLabel            *error_label;
};

G_DEFINE_FINAL_TYPE (RelaySendersGroup, relay_senders_group, ADW_TYPE_PREFERENCES_GROUP)

enum {
  CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static RelayAccount *
account (RelaySendersGroup *self)
{
  return self->store && self->account_id ? relay_account_store_lookup (self->store, self->account_id) : NULL;
}

static void
show_error (RelaySendersGroup *self,
            const char        *message)
{
  gtk_label_set_text (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
  if (message != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->entry_row), "error");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry_row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      message, -1);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->entry_row), "error");
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self->entry_row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
}

static void rebuild (RelaySendersGroup *self);

/* Saves @senders as the account's; on failure the account keeps its own */
static gboolean
save_senders (RelaySendersGroup  *self,
              const char * const *senders)
{
  RelayAccount *chosen = account (self);
  g_auto(GStrv) before = NULL;
  g_autoptr(GError) error = NULL;

  if (chosen == NULL)
    return FALSE;

  before = g_strdupv ((char **)relay_account_get_senders (chosen));
  relay_account_set_senders (chosen, senders);
  if (!relay_account_store_save (self->store, &error))
    {
      g_autofree char *message = g_strdup_printf (_("The sender addresses could not be saved: %s"), error->message);

      relay_account_set_senders (chosen, (const char * const *)before);
      show_error (self, message);
      return FALSE;
    }

  rebuild (self);
  g_signal_emit (self, signals[CHANGED], 0);
  return TRUE;
}

static void
remove_clicked_cb (GtkButton         *button,
                   RelaySendersGroup *self)
{
  const char *sender = g_object_get_data (G_OBJECT (button), "sender");
  RelayAccount *chosen = account (self);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) senders = NULL;

  if (chosen == NULL)
    return;

  for (const char * const *s = relay_account_get_senders (chosen); *s != NULL; s++)
    if (g_strcmp0 (*s, sender) != 0)
      g_strv_builder_add (builder, *s);
  senders = g_strv_builder_end (builder);

  show_error (self, NULL);
  save_senders (self, (const char * const *)senders);
}

static void
add_sender (RelaySendersGroup *self)
{
  RelayAccount *chosen = account (self);
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) senders = NULL;
  g_autofree char *sender = NULL;

  if (chosen == NULL)
    return;

  sender = relay_validate_sender (gtk_editable_get_text (GTK_EDITABLE (self->entry_row)), &error);
  if (sender == NULL)
    {
      show_error (self, error->message);
      return;
    }

  for (const char * const *s = relay_account_get_senders (chosen); *s != NULL; s++)
    if (g_ascii_strcasecmp (*s, sender) == 0)
      {
        /* Translators: an address, or a pattern *@DOMAIN */
        g_autofree char *message = g_strdup_printf (_("Sender: “%s” is listed already"), sender);

        show_error (self, message);
        return;
      }

  builder = g_strv_builder_new ();
  g_strv_builder_addv (builder, (const char **)relay_account_get_senders (chosen));
  g_strv_builder_add (builder, sender);
  senders = g_strv_builder_end (builder);

  show_error (self, NULL);
  if (save_senders (self, (const char * const *)senders))
    gtk_editable_set_text (GTK_EDITABLE (self->entry_row), "");
}

static void
entry_changed_cb (RelaySendersGroup *self)
{
  /* the error was about what was typed before */
  show_error (self, NULL);
}

static void
rebuild (RelaySendersGroup *self)
{
  RelayAccount *chosen = account (self);

  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);

  gtk_widget_set_sensitive (GTK_WIDGET (self->entry_row), chosen != NULL);
  if (chosen == NULL)
    {
      adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
                                             _("Save the channel first; then add the addresses it sends as."));
      return;
    }
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self),
                                         _("Mail from these addresses, or from any address of a domain "
                                           "(*@example.org), goes through this channel."));

  for (const char * const *s = relay_account_get_senders (chosen); *s != NULL; s++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *button = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *shown = relay_text_for_display (*s, -1);
      /* Translators: an address, or a pattern *@DOMAIN */
      g_autofree char *name = g_strdup_printf (_("Remove “%s”"), shown);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), shown);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_tooltip_text (button, name);
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
      g_object_set_data_full (G_OBJECT (button), "sender", g_strdup (*s), g_free);
      g_signal_connect_object (button, "clicked", G_CALLBACK (remove_clicked_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
      g_ptr_array_add (self->rows, row);
    }

  /* the entry and its error stay last */
  g_object_ref (self->entry_row);
  g_object_ref (self->error_label);
  adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (self->entry_row));
  adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (self->error_label));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (self->entry_row));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (self->error_label));
  g_object_unref (self->entry_row);
  g_object_unref (self->error_label);
}

static void
relay_senders_group_dispose (GObject *object)
{
  RelaySendersGroup *self = (RelaySendersGroup *)object;

  g_clear_object (&self->store);
  g_clear_pointer (&self->account_id, g_free);
  g_clear_pointer (&self->rows, g_ptr_array_unref);

  G_OBJECT_CLASS (relay_senders_group_parent_class)->dispose (object);
}

static void
relay_senders_group_class_init (RelaySendersGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = relay_senders_group_dispose;

  /**
   * RelaySendersGroup::changed:
   *
   * The account's senders were saved.
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
relay_senders_group_init (RelaySendersGroup *self)
{
  self->rows = g_ptr_array_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self), _("Extra Sender Addresses"));

  self->entry_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->entry_row), _("Sender"));
  adw_entry_row_set_show_apply_button (self->entry_row, TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->entry_row), _("An address, or *@domain for every address of a domain"));
  g_signal_connect_object (self->entry_row, "apply", G_CALLBACK (add_sender), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->entry_row, "changed", G_CALLBACK (entry_changed_cb), self, G_CONNECT_SWAPPED);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (self->entry_row));

  self->error_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->error_label, TRUE);
  gtk_label_set_xalign (self->error_label, 0);
  gtk_widget_set_margin_top (GTK_WIDGET (self->error_label), 6);
  gtk_widget_add_css_class (GTK_WIDGET (self->error_label), "error");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), GTK_WIDGET (self->error_label));

  rebuild (self);
}

/**
 * relay_senders_group_set_account:
 * @store: (nullable): the store the account is saved in
 * @id: (nullable): the account's id, or %NULL for one not saved yet
 *
 * Shows the senders of the account with @id, as @store has them now.
 */
void
relay_senders_group_set_account (RelaySendersGroup *self,
                                 RelayAccountStore *store,
                                 const char        *id)
{
  g_return_if_fail (RELAY_IS_SENDERS_GROUP (self));
  g_return_if_fail (!store || RELAY_IS_ACCOUNT_STORE (store));

  g_set_object (&self->store, store);
  g_free (self->account_id);
  self->account_id = g_strdup (id);
  show_error (self, NULL);
  rebuild (self);
}
