/* relay-log-event-window.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The detail of one send-log event, in a window of its own, with Send Now
 * and Cancel Message (the actions event-window.send-now and
 * event-window.cancel, whose parameter is the message's Message-ID) while
 * the message still waits in the outbox. What they do is the page's.
 */

#define G_LOG_DOMAIN "relay-log-page"

#include "config.h"

#include "relay-accessible.h"
#include "relay-format.h"
#include "relay-log-event-window.h"
#include "relay-log-page-private.h"
#include "relay-text.h"

struct _RelayLogEventWindow
{
  AdwWindow             parent_instance;

  /* weak: the page's outbox does what the actions ask */
  RelayLogPage         *page;

  AdwPreferencesPage   *preferences_page;
  AdwPreferencesGroup  *details_group;
  AdwActionRow         *time_row;
  AdwActionRow         *recipients_row;
  AdwActionRow         *subject_row;
  AdwActionRow         *attempt_row;
  AdwActionRow         *reply_row;
  AdwActionRow         *happened_row;
  AdwActionRow         *next_attempt_row;
  AdwActionRow         *message_id_row;
  AdwPreferencesGroup  *actions_group;
  GtkWidget            *buttons;
  GtkButton            *send_button;
  GtkButton            *cancel_button;
};

G_DEFINE_FINAL_TYPE (RelayLogEventWindow, relay_log_event_window, ADW_TYPE_WINDOW)

/* @value, from the log, is shown line by line as
 * _relay_log_page_shown_text() shows one */
static void
set_detail (AdwActionRow *row,
            const char   *value)
{
  g_autofree char *shown = relay_text_for_display_lines (value, -1);

  adw_action_row_set_subtitle (row, shown[0] ? shown : "—");
}

/* event-window.send-now and event-window.cancel, @parameter the
 * Message-ID: the page's outbox does it and the window closes, or what the
 * page could not do is said above the buttons and the window stays */
static void
outbox_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  RelayLogEventWindow *self = RELAY_LOG_EVENT_WINDOW (widget);
  const char *message_id = g_variant_get_string (parameter, NULL);
  g_autoptr(GError) error = NULL;
  gboolean done;

  if (self->page == NULL)
    return;

  if (g_str_equal (action_name, "event-window.send-now"))
    done = _relay_log_page_send_now (self->page, message_id, &error);
  else
    done = _relay_log_page_cancel_message (self->page, message_id, &error);

  if (!done)
    {
      g_autofree char *markup = _relay_log_page_shown_markup (error->message);

      adw_preferences_group_set_description (self->actions_group, markup);
      return;
    }

  gtk_window_destroy (GTK_WINDOW (self));
}

static void
relay_log_event_window_dispose (GObject *object)
{
  RelayLogEventWindow *self = (RelayLogEventWindow *)object;

  g_clear_weak_pointer (&self->page);

  G_OBJECT_CLASS (relay_log_event_window_parent_class)->dispose (object);
}

static void
relay_log_event_window_class_init (RelayLogEventWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = relay_log_event_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-log-event-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, preferences_page);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, details_group);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, time_row);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, recipients_row);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, subject_row);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, attempt_row);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, reply_row);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, happened_row);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, next_attempt_row);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, message_id_row);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, actions_group);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, buttons);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, send_button);
  gtk_widget_class_bind_template_child (widget_class, RelayLogEventWindow, cancel_button);

  /* the parameter: the Message-ID of the message in the outbox */
  gtk_widget_class_install_action (widget_class, "event-window.send-now", "s", outbox_action);
  gtk_widget_class_install_action (widget_class, "event-window.cancel", "s", outbox_action);
}

static void
relay_log_event_window_init (RelayLogEventWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  relay_accessible_name_buttons_by_label (self->buttons);
}

/**
 * relay_log_event_window_new:
 * @page: the page whose outbox Send Now and Cancel Message use
 * @entry: the event shown
 * @waiting: whether the message still waits in the outbox, with the
 *   account to send it: Send Now and Cancel Message are shown
 *
 * Returns: (transfer none): the window, not yet shown
 */
RelayLogEventWindow *
relay_log_event_window_new (RelayLogPage      *page,
                            RelaySendLogEntry *entry,
                            gboolean           waiting)
{
  RelayLogEventWindow *self;
  g_autofree char *time = NULL;
  g_autofree char *recipients = NULL;
  g_autofree char *attempt = NULL;
  const char *message_id;

  g_return_val_if_fail (RELAY_IS_LOG_PAGE (page), NULL);
  g_return_val_if_fail (RELAY_IS_SEND_LOG_ENTRY (entry), NULL);

  self = g_object_new (RELAY_TYPE_LOG_EVENT_WINDOW, NULL);
  g_set_weak_pointer (&self->page, page);

  time = relay_format_time (relay_send_log_entry_get_time (entry));
  recipients = g_strjoinv (", ", (char **)relay_send_log_entry_get_recipients (entry));
  attempt = g_strdup_printf ("%u", relay_send_log_entry_get_attempt (entry));
  message_id = relay_send_log_entry_get_message_id (entry);

  adw_preferences_group_set_title (self->details_group,
                                   _relay_log_page_status_label (relay_send_log_entry_get_status (entry)));
  set_detail (self->time_row, time);
  set_detail (self->recipients_row, recipients);
  set_detail (self->subject_row, relay_send_log_entry_get_subject (entry));
  set_detail (self->attempt_row, attempt);
  set_detail (self->reply_row, relay_send_log_entry_get_reply (entry));
  set_detail (self->happened_row, relay_send_log_entry_get_detail (entry));
  if (relay_send_log_entry_get_next_attempt (entry) != NULL)
    {
      g_autofree char *text = relay_format_time (relay_send_log_entry_get_next_attempt (entry));

      set_detail (self->next_attempt_row, text);
    }
  else
    {
      adw_preferences_group_remove (self->details_group, GTK_WIDGET (self->next_attempt_row));
      self->next_attempt_row = NULL;
    }
  set_detail (self->message_id_row, message_id);

  if (waiting)
    {
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->send_button), "s", message_id);
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->cancel_button), "s", message_id);
    }
  else
    {
      adw_preferences_page_remove (self->preferences_page, self->actions_group);
      self->actions_group = NULL;
      self->buttons = NULL;
      self->send_button = NULL;
      self->cancel_button = NULL;
    }

  return self;
}
