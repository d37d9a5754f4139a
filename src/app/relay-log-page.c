/* relay-log-page.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The send log: every event of every message, oldest first. Rows are
 * parsed only when shown, and filtering reads the stored lines without
 * parsing them, so a million events stay quick. What other processes
 * write (mail-relay-cli send) shows as they write it: the file is watched,
 * only its new lines are indexed and filtered, and the newest row stays
 * in view while it is in view. The page's outbox (meters, sending) is in
 * relay-log-page-outbox.c, its CSV export in relay-log-page-export.c, an
 * event's window in relay-log-event-window.c.
 */

#define G_LOG_DOMAIN "relay-log-page"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-accessible.h"
#include "relay-format.h"
#include "relay-log-event-window.h"
#include "relay-log-page-private.h"
#include "relay-outbox.h"
#include "relay-send-log.h"
#include "relay-text.h"

typedef enum
{
  COLUMN_TIME,
  COLUMN_STATUS,
  COLUMN_RECIPIENTS,
  COLUMN_SUBJECT,
  COLUMN_REPLY,
} Column;

G_DEFINE_FINAL_TYPE (RelayLogPage, relay_log_page, ADW_TYPE_BIN)

#define METERS_INTERVAL_SECONDS 5

/* The drop-down's rows after “All statuses” */
static const RelaySendStatus dropdown_statuses[] = {
  RELAY_SEND_STATUS_SENT,
  RELAY_SEND_STATUS_THROTTLED,
  RELAY_SEND_STATUS_DEFERRED,
  RELAY_SEND_STATUS_FAILED,
  RELAY_SEND_STATUS_UNKNOWN,
  RELAY_SEND_STATUS_QUEUED,
};

const char *
_relay_log_page_status_label (RelaySendStatus status)
{
  switch (status)
    {
    case RELAY_SEND_STATUS_QUEUED:    return _("Queued");
    case RELAY_SEND_STATUS_SENT:      return _("Sent");
    case RELAY_SEND_STATUS_THROTTLED: return _("Throttled");
    case RELAY_SEND_STATUS_DEFERRED:  return _("Deferred");
    case RELAY_SEND_STATUS_FAILED:    return _("Failed");
    case RELAY_SEND_STATUS_UNKNOWN:   return _("Unknown");
    default:
      return "";
    }
}

static void
update_count (RelayLogPage *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->log));
  g_autofree char *shown_text = relay_format_count (shown);
  g_autofree char *total_text = relay_format_count (total);
  g_autofree char *text = NULL;

  if (shown == total)
    /* Translators: %s is a number such as 10,000 */
    text = g_strdup_printf (ngettext ("%s event", "%s events", total), total_text);
  else
    /* Translators: events shown of all events */
    text = g_strdup_printf (ngettext ("%s of %s event", "%s of %s events", total), shown_text, total_text);

  gtk_label_set_text (self->count_label, text);
}

RelayLogPageCall *
_relay_log_page_call_new (RelayLogPage *self)
{
  RelayLogPageCall *call = g_new0 (RelayLogPageCall, 1);

  call->self = g_object_ref (self);
  return call;
}

void
_relay_log_page_call_free (RelayLogPageCall *call)
{
  g_object_unref (call->self);
  g_free (call);
}

/* The newest events are at the end, and while they are in view they stay
 * in view as events come, as in a terminal. The list learns its height as
 * rows are measured, so the view is pinned again at each change of it,
 * after the frame that laid the list out: a value set while the list
 * configures its adjustment would not move it, and one set before the
 * list has caught up with its model points at rows it does not have. */
static void
pin_after_paint_cb (GdkFrameClock *frame_clock,
                    RelayLogPage  *self)
{
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);

  g_clear_signal_handler (&self->pin_handler, frame_clock);
  g_clear_object (&self->pin_clock);
  if (!self->stick_to_end)
    return;

  self->pinning = TRUE;
  gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) -
                                        gtk_adjustment_get_page_size (adjustment));
  self->pinned_upper = gtk_adjustment_get_upper (adjustment);
  self->pinning = FALSE;
}

static void
pin_to_end (RelayLogPage *self)
{
  GdkFrameClock *frame_clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->column_view));

  /* not shown yet: its first layout changes the adjustment, and comes here */
  if (frame_clock == NULL || self->pin_handler != 0)
    return;

  self->pin_clock = g_object_ref (frame_clock);
  self->pin_handler = g_signal_connect (frame_clock, "after-paint", G_CALLBACK (pin_after_paint_cb), self);
  gtk_widget_queue_draw (GTK_WIDGET (self->column_view));
}

static void
adjustment_changed_cb (RelayLogPage  *self,
                       GtkAdjustment *adjustment)
{
  if (self->stick_to_end)
    pin_to_end (self);
}

/* a move the layout did not cause: the person scrolled */
static void
adjustment_value_changed_cb (RelayLogPage  *self,
                             GtkAdjustment *adjustment)
{
  if (!self->pinning && self->pin_handler == 0 && gtk_adjustment_get_upper (adjustment) == self->pinned_upper)
    self->stick_to_end = gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
                         gtk_adjustment_get_upper (adjustment) - 1.0;
}

static void
scroll_to_end (RelayLogPage *self)
{
  self->stick_to_end = TRUE;
  pin_to_end (self);
}

static void
filtered_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(RelayLogPageCall) call = user_data;
  RelayLogPage *self = call->self;
  /* NULL when a newer filter cancelled this one */
  GArray *positions = relay_send_log_filter_finish (RELAY_SEND_LOG (object), result, NULL);

  self->readers--;

  if (positions == NULL)
    {
      /* a newer filter, or a reload that waited for this one */
      if (!self->loading && self->reload_pending)
        relay_log_page_reload (self);
      return;
    }

  if (call->first == 0)
    relay_log_subset_set_positions (self->filtered, positions);
  else
    relay_log_subset_update_from (self->filtered, call->first, positions);

  if (self->reload_pending)
    relay_log_page_reload (self);
}

static gboolean
filter_active (RelayLogPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->status_dropdown);
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  return (selected > 0 && selected <= G_N_ELEMENTS (dropdown_statuses)) || search[0] != '\0' ||
         self->filter_account != NULL;
}

/* Filters the rows from @first on, off the main thread */
static void
refilter_from (RelayLogPage *self,
               guint         first)
{
  guint selected = gtk_drop_down_get_selected (self->status_dropdown);
  const char *search = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  RelayLogPageCall *call;
  RelaySendStatus status = RELAY_SEND_STATUS_ANY;

  /* the load ends by filtering */
  if (self->loading)
    {
      if (first == 0)
        self->filter_stale = TRUE;
      return;
    }

  if (self->filtering != NULL)
    g_cancellable_cancel (self->filtering);
  g_clear_object (&self->filtering);
  self->dirty_from = G_MAXUINT;
  /* from the start, unless the rows before @first are filtered already */
  if (self->filter_stale || relay_log_subset_get_positions (self->filtered) == NULL)
    first = 0;
  self->filter_stale = FALSE;

  /* every row: the log's own changes pass through */
  if (!filter_active (self))
    {
      if (relay_log_subset_get_positions (self->filtered) != NULL)
        relay_log_subset_set_positions (self->filtered, NULL);
      return;
    }

  if (selected > 0 && selected <= G_N_ELEMENTS (dropdown_statuses))
    status = dropdown_statuses[selected - 1];

  self->filtering = g_cancellable_new ();
  self->readers++;
  call = _relay_log_page_call_new (self);
  call->first = first;
  relay_send_log_filter_async (self->log, first, status, search,
                               self->filter_account ? relay_account_get_id (self->filter_account) : NULL,
                               self->filtering, filtered_cb, call);
}

/* GTK 4.8 names the drop-down's button “GtkToggleButton”; the focus is
 * on that button, so it carries the name, with the choice made */
static void
name_status_button (RelayLogPage *self)
{
  GtkWidget *button = gtk_widget_get_first_child (GTK_WIDGET (self->status_dropdown));
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->status_dropdown);
  g_autofree char *name = NULL;

  if (!GTK_IS_TOGGLE_BUTTON (button))
    return;

  /* Translators: the status filter as a screen reader says it, e.g. “Status: Failed” */
  name = g_strdup_printf (_("Status: %s"), item ? gtk_string_object_get_string (item) : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

static void
filter_changed_cb (RelayLogPage *self)
{
  name_status_button (self);
  refilter_from (self, 0);
}

static void
name_account_button (RelayLogPage *self)
{
  GtkWidget *button = gtk_widget_get_first_child (GTK_WIDGET (self->account_dropdown));
  GtkStringObject *item = gtk_drop_down_get_selected_item (self->account_dropdown);
  g_autofree char *name = NULL;

  if (!GTK_IS_TOGGLE_BUTTON (button))
    return;

  /* Translators: the channel filter as a screen reader says it, e.g. “Channel: Work” */
  name = g_strdup_printf (_("Channel: %s"), item ? gtk_string_object_get_string (item) : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

/* The rows and the meters of one account, or of all */
static void
account_changed_cb (RelayLogPage *self)
{
  guint selected = gtk_drop_down_get_selected (self->account_dropdown);
  RelayAccount *account = NULL;

  if (self->listing_accounts)
    return;

  if (self->store != NULL && self->account_ids != NULL && selected > 0 &&
      selected <= g_strv_length (self->account_ids))
    account = relay_account_store_lookup (self->store, self->account_ids[selected - 1]);

  name_account_button (self);
  g_set_object (&self->filter_account, account);
  refilter_from (self, 0);
  _relay_log_page_update_meters (self);
}

/**
 * relay_log_page_set_store:
 * @store: the accounts the log may be filtered by
 *
 * Lists @store's accounts in the page's channel filter, as they are now,
 * keeping the one chosen when it is still there. The filter shows when
 * there is more than one.
 */
void
relay_log_page_set_store (RelayLogPage      *self,
                          RelayAccountStore *store)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *chosen = NULL;
  GListModel *accounts;
  guint n_items;
  guint selected = 0;

  g_return_if_fail (RELAY_IS_LOG_PAGE (self));
  g_return_if_fail (RELAY_IS_ACCOUNT_STORE (store));

  chosen = self->filter_account ? g_strdup (relay_account_get_id (self->filter_account)) : NULL;
  g_set_object (&self->store, store);
  g_clear_pointer (&self->account_ids, g_strfreev);

  accounts = relay_account_store_get_accounts (store);
  n_items = g_list_model_get_n_items (accounts);
  self->account_ids = g_new0 (char *, n_items + 1);
  gtk_string_list_append (names, _("All channels"));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (accounts, i);
      g_autofree char *name = relay_text_for_display (relay_account_get_name (account), -1);

      self->account_ids[i] = g_strdup (relay_account_get_id (account));
      gtk_string_list_append (names, name);
      if (g_strcmp0 (chosen, self->account_ids[i]) == 0)
        selected = i + 1;
    }

  self->listing_accounts = TRUE;
  gtk_drop_down_set_model (self->account_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->account_dropdown, selected);
  self->listing_accounts = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->account_dropdown), n_items > 1);
  account_changed_cb (self);
}

static void
setup_cb (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  /* the time and status are short: whole, at any text size; the other
   * columns share what is left */
  if (GPOINTER_TO_INT (user_data))
    gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (list_item, label);
}

/* The nearest ancestor of @widget, at most @levels up, with @role */
static GtkWidget *
ancestor_with_role (GtkWidget         *widget,
                    GtkAccessibleRole  role,
                    guint              levels)
{
  for (GtkWidget *parent = gtk_widget_get_parent (widget);
       parent != NULL && levels > 0;
       parent = gtk_widget_get_parent (parent), levels--)
    if (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (parent)) == role)
      return parent;

  return NULL;
}

/* The log's text came from elsewhere: a server's reply, a message's
 * subject, another program's lines. Shown without control and format
 * characters (escape sequences, CR, U+202E, U+200B), on one line. */
char *
_relay_log_page_shown_text (const char *text)
{
  return relay_text_for_display (text, -1);
}

static char *
shown_recipients (RelaySendLogEntry *entry)
{
  g_autofree char *joined = g_strjoinv (", ", (char **)relay_send_log_entry_get_recipients (entry));

  return _relay_log_page_shown_text (joined);
}

/* What a screen reader says for the row of @entry */
static char *
describe_entry (RelaySendLogEntry *entry)
{
  g_autofree char *recipients = NULL;
  g_autofree char *time = NULL;
  g_autofree char *subject = NULL;

  recipients = shown_recipients (entry);
  time = relay_format_time (relay_send_log_entry_get_time (entry));
  subject = _relay_log_page_shown_text (relay_send_log_entry_get_subject (entry));

  /* Translators: a row of the send log as a screen reader says it:
   * status, subject, recipients, time */
  return g_strdup_printf (_("%s: “%s” to %s, %s"),
                          _relay_log_page_status_label (relay_send_log_entry_get_status (entry)),
                          subject[0] ? subject : _("No subject"), recipients, time);
}

/* GTK 4.8 names a row and its cells after their classes
 * (“GtkListItemWidget”, “GtkColumnViewCell”): the row gets the whole
 * event as one phrase, each cell its text */
static void
name_cell (GtkWidget         *child,
           RelaySendLogEntry *entry,
           Column             column,
           const char        *text)
{
  GtkWidget *row = ancestor_with_role (child, GTK_ACCESSIBLE_ROLE_ROW, 3);
  GtkWidget *cell = gtk_widget_get_parent (child);

  if (cell != NULL && cell != row)
    gtk_accessible_update_property (GTK_ACCESSIBLE (cell),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, text[0] ? text : _("None"),
                                    -1);

  if (row != NULL && column == COLUMN_STATUS)
    {
      g_autofree char *description = describe_entry (entry);

      gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                      -1);
    }
}

static void
bind_cb (GtkSignalListItemFactory *factory,
         GtkListItem              *list_item,
         gpointer                  user_data)
{
  RelaySendLogEntry *entry = gtk_list_item_get_item (list_item);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (list_item));
  Column column = GPOINTER_TO_UINT (user_data);
  g_autofree char *text = NULL;

  gtk_widget_remove_css_class (GTK_WIDGET (label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (label), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (label), "success");

  switch (column)
    {
    case COLUMN_TIME:
      text = relay_format_time (relay_send_log_entry_get_time (entry));
      break;
    case COLUMN_STATUS:
      {
        RelaySendStatus status = relay_send_log_entry_get_status (entry);

        text = g_strdup (_relay_log_page_status_label (status));
        if (status == RELAY_SEND_STATUS_FAILED || status == RELAY_SEND_STATUS_UNKNOWN)
          gtk_widget_add_css_class (GTK_WIDGET (label), "error");
        else if (status == RELAY_SEND_STATUS_DEFERRED || status == RELAY_SEND_STATUS_THROTTLED)
          gtk_widget_add_css_class (GTK_WIDGET (label), "warning");
        else if (status == RELAY_SEND_STATUS_SENT)
          gtk_widget_add_css_class (GTK_WIDGET (label), "success");
      }
      break;
    case COLUMN_RECIPIENTS:
      text = shown_recipients (entry);
      break;
    case COLUMN_SUBJECT:
      text = _relay_log_page_shown_text (relay_send_log_entry_get_subject (entry));
      break;
    case COLUMN_REPLY:
      text = _relay_log_page_shown_text (relay_send_log_entry_get_reply (entry));
      break;
    default:
      g_assert_not_reached ();
    }

  gtk_label_set_text (label, text);
  /* the whole text, for a reader or a hover, when the column cuts it */
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), column >= COLUMN_RECIPIENTS && text[0] ? text : NULL);
  name_cell (GTK_WIDGET (label), entry, column, text);
}

static void
add_column (RelayLogPage *self,
            const char   *title,
            Column        column,
            gboolean      expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *view_column;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cb), GINT_TO_POINTER (expand));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cb), GUINT_TO_POINTER (column));

  view_column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_expand (view_column, expand);
  gtk_column_view_column_set_resizable (view_column, TRUE);
  gtk_column_view_append_column (self->column_view, view_column);
  g_object_unref (view_column);
}

/* A label whose text is markup (a toast's title, a group's or a status
 * page's description) shows @text, which may be a server's words, as it is */
char *
_relay_log_page_shown_markup (const char *text)
{
  g_autofree char *shown = relay_text_for_display_lines (text, -1);

  return g_markup_escape_text (shown, -1);
}

/* in the window's toast overlay, when the page is in one */
void
_relay_log_page_show_toast (RelayLogPage *self,
                            const char   *title)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *markup = NULL;

  if (overlay == NULL)
    return;

  markup = _relay_log_page_shown_markup (title);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (markup));
}

/**
 * relay_log_page_show_event:
 *
 * Opens the detail of @entry.
 */
void
relay_log_page_show_event (RelayLogPage      *self,
                           RelaySendLogEntry *entry)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const char *message_id = relay_send_log_entry_get_message_id (entry);
  RelayLogEventWindow *window;

  /* Send Now and Cancel only while the message still waits, and with the
   * account to send it */
  window = relay_log_event_window_new (self, entry,
                                       self->account != NULL && relay_outbox_contains (message_id));
  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (root));

  gtk_window_present (GTK_WINDOW (window));
}

static void
row_activated_cb (GtkColumnView *view,
                  guint          position,
                  RelayLogPage  *self)
{
  g_autoptr(RelaySendLogEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (entry != NULL)
    relay_log_page_show_event (self, entry);
}

/* Lines of the file that are not events are never dropped in silence */
static void
update_skipped (RelayLogPage *self)
{
  guint n_skipped = relay_send_log_get_n_skipped (self->log);
  g_autofree char *text = NULL;

  if (n_skipped > 0)
    {
      text = g_strdup_printf (ngettext ("%'u line of %s is not an event (not JSON, or without the members of an event) and is not shown.",
                                        "%'u lines of %s are not events (not JSON, or without the members of an event) and are not shown.",
                                        n_skipped),
                              n_skipped, relay_send_log_get_path (self->log));
      gtk_label_set_text (self->skipped_label, text);
    }
  gtk_revealer_set_reveal_child (self->skipped_revealer, n_skipped > 0);
}

static void
show_loaded (RelayLogPage *self,
             GObject      *object,
             GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  gboolean first_time;

  if (!relay_send_log_load_finish (RELAY_SEND_LOG (object), result, &error))
    {
      g_autofree char *markup = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      markup = _relay_log_page_shown_markup (error->message);
      adw_status_page_set_icon_name (self->empty_page, "dialog-warning-symbolic");
      adw_status_page_set_title (self->empty_page, _("The Send Log Could Not Be Read"));
      adw_status_page_set_description (self->empty_page, markup);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  update_skipped (self);

  /* the icon is set when shown: loading it is not part of the start; a
   * file of lines that are not events is not an empty log */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->log)) == 0 &&
      relay_send_log_get_n_skipped (self->log) == 0)
    {
      adw_status_page_set_icon_name (self->empty_page, "mail-send-symbolic");
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  /* the whole log the first time, afterwards what it gained */
  first_time = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "log") != 0;
  if (first_time || self->filter_stale || self->dirty_from != G_MAXUINT)
    refilter_from (self, first_time ? 0 : self->dirty_from);
  update_count (self);
  _relay_log_page_update_meters (self);
  gtk_stack_set_visible_child_name (self->stack, "log");
  if (first_time)
    scroll_to_end (self);
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(RelayLogPage) self = user_data;

  self->loading = FALSE;
  gtk_spinner_stop (self->spinner);
  show_loaded (self, object, result);

  /* the log changed while it was read */
  if (self->reload_pending && self->readers == 0 && !g_cancellable_is_cancelled (self->cancellable))
    relay_log_page_reload (self);
}

/**
 * relay_log_page_reload:
 *
 * Reads the send log again, off the main thread.
 */
void
relay_log_page_reload (RelayLogPage *self)
{
  g_return_if_fail (RELAY_IS_LOG_PAGE (self));

  /* once the load or the filter under way is done: what changed meanwhile
   * may not be in it */
  if (self->loading || self->readers > 0)
    {
      self->reload_pending = TRUE;
      return;
    }

  self->reload_pending = FALSE;
  self->loading = TRUE;
  /* the spinner only while nothing is shown yet: a log of lines that are
   * not events is shown (its banner), not replaced by a spinner each time */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->log)) == 0 &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "log") != 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "loading");
      gtk_spinner_start (self->spinner);
    }

  relay_send_log_load_async (self->log, self->cancellable, loaded_cb, g_object_ref (self));
}

static gboolean
refresh_cb (gpointer user_data)
{
  RelayLogPage *self = user_data;

  self->refresh_source = 0;
  relay_log_page_reload (self);
  return G_SOURCE_REMOVE;
}

/* Another process (mail-relay-cli send, say) wrote to the log: shown
 * within moments, a burst of writes read once */
static void
log_file_changed_cb (GFileMonitor      *monitor,
                     GFile             *file,
                     GFile             *other_file,
                     GFileMonitorEvent  event,
                     RelayLogPage      *self)
{
  if (event == G_FILE_MONITOR_EVENT_ATTRIBUTE_CHANGED ||
      event == G_FILE_MONITOR_EVENT_PRE_UNMOUNT ||
      event == G_FILE_MONITOR_EVENT_UNMOUNTED)
    return;

  /* a hidden page reads the log when it is shown */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) || self->refresh_source != 0)
    return;

  self->refresh_source = g_timeout_add (100, refresh_cb, self);
}

static void
log_changed_cb (RelayLogPage *self,
                guint         position,
                guint         removed,
                guint         added,
                GListModel   *log)
{
  self->dirty_from = MIN (self->dirty_from, position);
}

/* The windows slide with time even when nothing is sent; and while the
 * app runs, what is due in the outbox is sent (page shown or not) */
static gboolean
meters_tick_cb (gpointer user_data)
{
  RelayLogPage *self = user_data;

  _relay_log_page_update_meters (self);
  return G_SOURCE_CONTINUE;
}

static void
relay_log_page_map (GtkWidget *widget)
{
  RelayLogPage *self = RELAY_LOG_PAGE (widget);

  GTK_WIDGET_CLASS (relay_log_page_parent_class)->map (widget);

  /* what was sent meanwhile, each time the page is shown */
  relay_log_page_reload (self);
}

static void
relay_log_page_unmap (GtkWidget *widget)
{
  RelayLogPage *self = RELAY_LOG_PAGE (widget);

  g_clear_handle_id (&self->refresh_source, g_source_remove);

  GTK_WIDGET_CLASS (relay_log_page_parent_class)->unmap (widget);
}

static void
relay_log_page_dispose (GObject *object)
{
  RelayLogPage *self = (RelayLogPage *)object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->meters_source, g_source_remove);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  /* a window destroyed before its next frame drops the clock's handlers */
  if (self->pin_clock != NULL && g_signal_handler_is_connected (self->pin_clock, self->pin_handler))
    g_clear_signal_handler (&self->pin_handler, self->pin_clock);
  self->pin_handler = 0;
  g_clear_object (&self->pin_clock);
  if (self->monitor != NULL)
    g_file_monitor_cancel (self->monitor);
  g_clear_object (&self->monitor);
  if (self->filtering != NULL)
    g_cancellable_cancel (self->filtering);
  g_clear_object (&self->filtering);
  /* the stack is both the bin's child and a template child */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), RELAY_TYPE_LOG_PAGE);
  g_clear_object (&self->filtered);
  g_clear_object (&self->log);
  g_clear_object (&self->account);
  g_clear_object (&self->filter_account);
  g_clear_object (&self->store);
  g_clear_pointer (&self->account_ids, g_strfreev);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->status_needle, g_free);
  g_clear_pointer (&self->search_needle, g_free);
  g_clear_pointer (&self->auto_error, g_free);

  G_OBJECT_CLASS (relay_log_page_parent_class)->dispose (object);
}

/* The table is one Tab stop: Tab and Shift+Tab leave it, the arrow
 * keys move between its rows. GTK 4.8 stops at every row. */
static gboolean
relay_log_page_focus (GtkWidget        *widget,
                      GtkDirectionType  direction)
{
  RelayLogPage *self = RELAY_LOG_PAGE (widget);
  GtkWidget *table = GTK_WIDGET (self->column_view);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *focus = root ? gtk_root_get_focus (root) : NULL;
  gboolean moved;

  if ((direction != GTK_DIR_TAB_FORWARD && direction != GTK_DIR_TAB_BACKWARD) ||
      focus == NULL || (focus != table && !gtk_widget_is_ancestor (focus, table)))
    return GTK_WIDGET_CLASS (relay_log_page_parent_class)->focus (widget, direction);

  /* what comes before or after the table, as if it were not there */
  gtk_widget_set_can_focus (table, FALSE);
  moved = GTK_WIDGET_CLASS (relay_log_page_parent_class)->focus (widget, direction);
  gtk_widget_set_can_focus (table, TRUE);

  return moved;
}

static void
relay_log_page_class_init (RelayLogPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = relay_log_page_dispose;
  widget_class->map = relay_log_page_map;
  widget_class->unmap = relay_log_page_unmap;
  widget_class->focus = relay_log_page_focus;

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-log-page.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, stack);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, account_dropdown);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, meters_label);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, throttled_revealer);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, throttled_label);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, send_queued_button);
  gtk_widget_class_bind_template_callback_full (widget_class, "send_queued_cb",
                                                G_CALLBACK (_relay_log_page_send_queued));
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, skipped_revealer);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, skipped_label);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, RelayLogPage, column_view);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, account_changed_cb);

  gtk_widget_class_install_action (widget_class, "log.export", NULL, _relay_log_page_export_action);
}

static void
relay_log_page_init (RelayLogPage *self)
{
  g_autoptr(GtkNoSelection) selection = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_stack_set_visible_child_name (self->stack, "loading");

  self->cancellable = g_cancellable_new ();
  self->dirty_from = G_MAXUINT;
  self->log = relay_send_log_new (NULL);
  self->filtered = relay_log_subset_new (G_LIST_MODEL (self->log));
  g_signal_connect_object (self->log, "items-changed", G_CALLBACK (log_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "changed",
                           G_CALLBACK (adjustment_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "value-changed",
                           G_CALLBACK (adjustment_value_changed_cb), self, G_CONNECT_SWAPPED);

  /* the directory the log will be in, so that its creation is seen */
  dir = g_path_get_dirname (relay_send_log_get_path (self->log));
  g_mkdir_with_parents (dir, 0700);
  file = g_file_new_for_path (relay_send_log_get_path (self->log));
  self->monitor = g_file_monitor_file (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->monitor == NULL)
    g_debug ("The send log is read when shown, not watched: %s", error->message);
  else
    {
      g_file_monitor_set_rate_limit (self->monitor, 250);
      g_signal_connect_object (self->monitor, "changed", G_CALLBACK (log_file_changed_cb), self, 0);
    }
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (update_count), self, G_CONNECT_SWAPPED);
  self->meters_source = g_timeout_add_seconds (METERS_INTERVAL_SECONDS, meters_tick_cb, self);

  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));
  gtk_column_view_set_single_click_activate (self->column_view, FALSE);
  g_signal_connect_object (self->column_view, "activate", G_CALLBACK (row_activated_cb), self, 0);

  add_column (self, _("Time"), COLUMN_TIME, FALSE);
  add_column (self, _("Status"), COLUMN_STATUS, FALSE);
  add_column (self, _("Recipients"), COLUMN_RECIPIENTS, TRUE);
  add_column (self, _("Subject"), COLUMN_SUBJECT, TRUE);
  add_column (self, _("Reply"), COLUMN_REPLY, TRUE);

  /* GTK 4.8 names the header row and the list inside the table after
   * their classes */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->column_view));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkAccessibleRole role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (child));

      if (role == GTK_ACCESSIBLE_ROLE_ROW)
        gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, _("Column headers"),
                                        -1);
      else if (GTK_IS_LIST_VIEW (child))
        gtk_accessible_update_property (GTK_ACCESSIBLE (child),
                                        GTK_ACCESSIBLE_PROPERTY_LABEL, _("Events"),
                                        -1);
    }
  name_status_button (self);
  relay_accessible_name_buttons_by_label (GTK_WIDGET (self));
}

/**
 * relay_log_page_get_model:
 *
 * Returns: (transfer none): the rows shown, after filtering
 */
GListModel *
relay_log_page_get_model (RelayLogPage *self)
{
  g_return_val_if_fail (RELAY_IS_LOG_PAGE (self), NULL);

  return G_LIST_MODEL (self->filtered);
}
