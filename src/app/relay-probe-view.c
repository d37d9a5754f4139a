/* relay-probe-view.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The “Test Connection” dialog: runs a RelayProbe and shows each step as
 * it happens, then the outcome, the server's certificate and a way to
 * trust (pin) a certificate the system does not accept.
 */

#define G_LOG_DOMAIN "relay-probe-view"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-accessible.h"
#include "relay-format.h"
#include "relay-message-dialog.h"
#include "relay-probe-view.h"
#include "relay-probe.h"
#include "relay-sasl.h"
#include "relay-text.h"

struct _RelayProbeView
{
  AdwWindow            parent_instance;

  RelayAccount        *account;
  char                *secret;
  char                *send_to;
  char                *sign_in_note;

  RelayProbe          *probe;
  GCancellable        *cancellable;
  GPtrArray           *step_rows;
  AdwActionRow        *current_row;
  GtkWidget           *current_spinner;
  guint                running : 1;

  AdwWindowTitle      *window_title;
  GtkButton           *cancel_button;
  GtkButton           *again_button;
  AdwPreferencesPage  *page;
  AdwPreferencesGroup *result_group;
  GtkImage            *result_icon;
  GtkLabel            *result_title;
  GtkLabel            *result_description;
  AdwPreferencesGroup *reply_group;
  GtkLabel            *reply_label;
  AdwPreferencesGroup *steps_group;
  AdwPreferencesGroup *certificate_group;
  AdwActionRow        *subject_row;
  AdwActionRow        *issuer_row;
  AdwActionRow        *valid_row;
  GtkLabel            *fingerprint_label;
  AdwActionRow        *problems_row;
  GtkButton           *trust_button;
};

G_DEFINE_FINAL_TYPE (RelayProbeView, relay_probe_view, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

enum {
  TRUST_CERTIFICATE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char *
step_label (const char *name)
{
  static const struct {
    const char *name;
    const char *label;
  } labels[] = {
    { "resolve", N_("Look up the server") },
    { "connect", N_("Connect") },
    { "greeting", N_("Server greeting") },
    { "ehlo", N_("Say hello (EHLO)") },
    { "starttls", N_("Ask for encryption (STARTTLS)") },
    { "tls", N_("Encrypt (TLS)") },
    { "auth", N_("Sign in") },
    { "mail", N_("Sender") },
    { "rcpt", N_("Recipient") },
    { "data", N_("Send the test message") },
    { "quit", N_("Say goodbye") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (name, labels[i].name) == 0)
      return _(labels[i].label);

  /* a step added to the probe later still shows, by its name */
  return name;
}

typedef enum
{
  OUTCOME_PASSED,
  OUTCOME_FAILED,
  OUTCOME_STOPPED,
  OUTCOME_NOT_TESTED,  /* it stopped where it would have signed in */
} Outcome;

/* Labels of their own rather than the group's title, which never wraps.
 * A diagnosis or an error may carry the server's or the sign-in server's
 * words: they are shown without their control and format characters. */
static void
show_outcome (RelayProbeView *self,
              Outcome         outcome,
              const char     *title,
              const char     *description)
{
  static const char * const icons[] = {
    "emblem-ok-symbolic", "dialog-error-symbolic", "process-stop-symbolic", "dialog-warning-symbolic",
  };
  static const char * const classes[] = { "success", "error", "dim-label", "warning" };
  GtkWidget *icon = GTK_WIDGET (self->result_icon);
  g_autofree char *shown_title = relay_text_for_display_lines (title, -1);
  g_autofree char *shown_description = relay_text_for_display_lines (description, -1);

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    gtk_widget_remove_css_class (icon, classes[i]);
  gtk_widget_add_css_class (icon, classes[outcome]);
  gtk_image_set_from_icon_name (self->result_icon, icons[outcome]);

  gtk_label_set_text (self->result_title, shown_title);
  gtk_label_set_text (self->result_description, shown_description);
  gtk_widget_set_visible (GTK_WIDGET (self->result_description), shown_description[0] != '\0');
  gtk_widget_set_visible (GTK_WIDGET (self->result_group), TRUE);
}

static void
set_running (RelayProbeView *self,
             gboolean        running)
{
  self->running = !!running;

  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), running);
  gtk_widget_set_visible (GTK_WIDGET (self->again_button), !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "probe-view.cancel", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "probe-view.run", !running);
  /* the transcript is complete, and safe to read, only once the test ended */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "probe-view.copy-transcript",
                                 !running && self->probe != NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
stop_current_spinner (RelayProbeView *self)
{
  if (self->current_spinner != NULL)
    adw_action_row_remove (self->current_row, self->current_spinner);

  self->current_spinner = NULL;
}

static void
step_started_cb (RelayProbe     *probe,
                 const char     *name,
                 RelayProbeView *self)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spinner = gtk_spinner_new ();
  const char *title = step_label (name);

  stop_current_spinner (self);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  /* read, not used: no Tab stop */
  gtk_widget_set_focusable (row, FALSE);
  /* its accessible name is the title, through the title label */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);

  gtk_spinner_start (GTK_SPINNER (spinner));
  gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spinner),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Running"),
                                  -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spinner);

  adw_preferences_group_add (self->steps_group, row);
  g_ptr_array_add (self->step_rows, row);
  self->current_row = ADW_ACTION_ROW (row);
  self->current_spinner = spinner;
}

static void
step_finished_cb (RelayProbe           *probe,
                  const RelayProbeStep *step,
                  RelayProbeView       *self)
{
  g_autofree char *duration = NULL;
  const char *outcome = step->skipped ? _("Not tested") : step->ok ? _("Passed") : _("Failed");
  const char *icon_name = step->skipped ? "dialog-warning-symbolic"
                          : step->ok ? "emblem-ok-symbolic" : "dialog-error-symbolic";
  GtkWidget *icon;
  GtkWidget *took;

  /* every finished step was started first */
  if (self->current_row == NULL ||
      g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (self->current_row)),
                 step_label (step->name)) != 0)
    step_started_cb (probe, step->name, self);

  stop_current_spinner (self);

  /* the greeting, the extensions, a refusal: the server's words */
  if (step->detail != NULL && step->detail[0] != '\0')
    {
      g_autofree char *detail = relay_text_for_display_lines (step->detail, -1);

      adw_action_row_set_subtitle (self->current_row, detail);
    }

  /* Translators: how long a step of the test took, in milliseconds */
  duration = g_strdup_printf (_("%u ms"), step->ms);
  took = gtk_label_new (duration);
  gtk_widget_add_css_class (took, "dim-label");
  gtk_widget_add_css_class (took, "numeric");
  adw_action_row_add_suffix (self->current_row, took);

  icon = gtk_image_new_from_icon_name (icon_name);
  gtk_widget_add_css_class (icon, step->skipped ? "warning" : step->ok ? "success" : "error");
  gtk_widget_set_tooltip_text (icon, outcome);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, outcome,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, outcome,
                                  -1);
  adw_action_row_add_suffix (self->current_row, icon);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self->current_row),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, outcome,
                                  -1);
}

static void
clear_results (RelayProbeView *self)
{
  for (guint i = 0; i < self->step_rows->len; i++)
    adw_preferences_group_remove (self->steps_group, g_ptr_array_index (self->step_rows, i));
  g_ptr_array_set_size (self->step_rows, 0);
  self->current_row = NULL;
  self->current_spinner = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->result_group), FALSE);
  gtk_label_set_text (self->result_title, "");
  gtk_label_set_text (self->result_description, "");
  gtk_widget_set_visible (GTK_WIDGET (self->reply_group), FALSE);
  gtk_label_set_text (self->reply_label, "");

  gtk_widget_set_visible (GTK_WIDGET (self->certificate_group), FALSE);
  gtk_label_set_text (self->fingerprint_label, "");
}

/* Stops listening to the current probe and cancels it if it still runs */
static void
drop_probe (RelayProbeView *self)
{
  if (self->probe != NULL)
    g_signal_handlers_disconnect_by_data (self->probe, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->probe);
  g_clear_object (&self->cancellable);
}

static char *
format_date (GDateTime *time)
{
  if (time == NULL)
    return g_strdup (_("Unknown"));

  return relay_format_date (time);
}

static char *
describe_certificate_errors (GTlsCertificateFlags errors)
{
  static const struct {
    GTlsCertificateFlags  flag;
    const char           *text;
  } problems[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, N_("Issued by an authority this computer does not trust") },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, N_("Issued for a different server name") },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, N_("Not valid yet") },
    { G_TLS_CERTIFICATE_EXPIRED, N_("Expired") },
    { G_TLS_CERTIFICATE_REVOKED, N_("Revoked by its issuer") },
    { G_TLS_CERTIFICATE_INSECURE, N_("Uses insecure cryptography") },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, N_("Could not be checked") },
  };
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (problems); i++)
    if (errors & problems[i].flag)
      g_string_append_printf (text, "%s%s", text->len ? "\n" : "", _(problems[i].text));

  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Takes @name; NULL stays NULL */
static char *
shown_name (char *name)
{
  g_autofree char *taken = name;

  return taken != NULL ? relay_text_for_display_lines (taken, -1) : NULL;
}

/* What the certificate says of itself: whom it is for, who issued it, when */
static void
show_certificate_names (RelayProbeView  *self,
                        GTlsCertificate *certificate)
{
  /* the names are the server's to choose */
  g_autofree char *subject = shown_name (g_tls_certificate_get_subject_name (certificate));
  g_autofree char *issuer = shown_name (g_tls_certificate_get_issuer_name (certificate));
  g_autoptr(GDateTime) before = g_tls_certificate_get_not_valid_before (certificate);
  g_autoptr(GDateTime) after = g_tls_certificate_get_not_valid_after (certificate);
  g_autofree char *not_before = format_date (before);
  g_autofree char *not_after = format_date (after);
  g_autofree char *valid = NULL;

  /* Translators: the dates from which and until which a certificate is valid */
  valid = g_strdup_printf (_("%s – %s"), not_before, not_after);

  adw_action_row_set_subtitle (self->subject_row, subject ? subject : _("Unknown"));
  adw_action_row_set_subtitle (self->issuer_row, issuer ? issuer : _("Unknown"));
  adw_action_row_set_subtitle (self->valid_row, valid);
}

static void
show_certificate (RelayProbeView *self)
{
  GTlsCertificate *certificate = relay_probe_get_certificate (self->probe);
  GTlsCertificateFlags errors = relay_probe_get_certificate_errors (self->probe);
  const char *sha256 = relay_probe_get_certificate_sha256 (self->probe);
  g_autofree char *fingerprint = NULL;
  g_autofree char *problems = NULL;
  g_autofree char *description = NULL;
  const char *host = relay_account_get_host (self->account);
  guint port = relay_account_get_port (self->account);
  gboolean pinned;
  gboolean changed;

  if (certificate == NULL)
    return;

  fingerprint = relay_format_fingerprint (sha256 ? sha256 : "", 8);
  problems = describe_certificate_errors (errors);
  pinned = relay_probe_get_certificate_pinned (self->probe);
  changed = relay_probe_get_certificate_changed (self->probe);

  show_certificate_names (self, certificate);
  gtk_label_set_text (self->fingerprint_label, fingerprint);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->fingerprint_label),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, sha256 ? sha256 : "",
                                  -1);
  adw_action_row_set_subtitle (self->problems_row, problems);
  gtk_widget_set_visible (GTK_WIDGET (self->problems_row), problems[0] != '\0');

  /* the built-in test server's pin comes with it, not from the user */
  if (pinned && g_strcmp0 (relay_account_get_provider (self->account), "local") == 0)
    description = g_strdup (_("Mail Relay’s own test server made this certificate for "
                              "itself; it is trusted for the test server only."));
  else if (pinned)
    /* Translators: %s is a server name, %u its port */
    description = g_strdup_printf (_("You chose to trust this certificate: only this certificate is "
                                     "accepted for %s, port %u."), host, port);
  else if (changed)
    /* Translators: %s is a server name, %u its port */
    description = g_strdup_printf (_("This is not the certificate you trusted for %s, port %u: only "
                                     "that one is accepted there."), host, port);
  adw_preferences_group_set_description (self->certificate_group, description);

  /* a renewed certificate is offered in place of the trusted one */
  gtk_button_set_label (self->trust_button, changed ? _("Trust the _New Certificate")
                                                    : _("T_rust This Certificate"));
  /* named by its label alone (GTK 4.8 would say the text twice) */
  relay_accessible_name_buttons_by_label (GTK_WIDGET (self->trust_button));
  gtk_widget_set_visible (GTK_WIDGET (self->trust_button),
                          sha256 != NULL && !pinned && (errors != 0 || changed));
  gtk_widget_set_visible (GTK_WIDGET (self->certificate_group), TRUE);
}

static void
show_result (RelayProbeView *self)
{
  const RelayDiagnosis *diagnosis = relay_probe_get_diagnosis (self->probe);
  const char *reply = relay_probe_get_error_reply (self->probe);

  if (relay_probe_get_ok (self->probe))
    {
      g_autofree char *accepted = NULL;

      /* what the Send Log could not keep is said with it */
      if (self->send_to != NULL)
        accepted = g_strjoin (" ", _("It accepted the test message."),
                              relay_probe_get_log_error (self->probe), NULL);
      show_outcome (self, OUTCOME_PASSED, _("The server works"), accepted);
      return;
    }

  /* the probe failed without saying why: claim nothing */
  if (diagnosis == NULL)
    return;

  /* not a failure of the server, and not a pass either */
  if (relay_probe_get_auth_skipped (self->probe))
    {
      show_outcome (self, OUTCOME_NOT_TESTED, _("Sign-in was not tested"),
                    self->sign_in_note ? self->sign_in_note : diagnosis->hint);
      return;
    }

  show_outcome (self, OUTCOME_FAILED, diagnosis->message, diagnosis->hint);

  if (reply != NULL && reply[0] != '\0')
    {
      g_autofree char *shown = relay_text_for_display_lines (reply, -1);

      gtk_label_set_text (self->reply_label, shown);
      gtk_widget_set_visible (GTK_WIDGET (self->reply_group), TRUE);
    }
}

/* The probe holds only a weak reference on the view: closing the window
 * then disposes of it at once, which cancels the probe. */
static void
run_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  GWeakRef *weak = user_data;
  g_autoptr(RelayProbeView) self = g_weak_ref_get (weak);
  g_autoptr(GError) error = NULL;
  RelayProbe *probe = RELAY_PROBE (object);

  g_weak_ref_clear (weak);
  g_free (weak);

  relay_probe_run_finish (probe, result, &error);

  /* a probe that was replaced, or whose view is gone, says nothing here */
  if (self == NULL || probe != self->probe)
    return;

  stop_current_spinner (self);
  set_running (self, FALSE);

  /* stopped before its end: no verdict on the server */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      show_outcome (self, OUTCOME_STOPPED, _("The test was cancelled"), NULL);
      return;
    }
  else if (error != NULL)
    {
      show_outcome (self, OUTCOME_FAILED, error->message, NULL);
      return;
    }

  show_result (self);
  show_certificate (self);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  RelayProbeView *self = RELAY_PROBE_VIEW (widget);

  g_cancellable_cancel (self->cancellable);
}

static void
run_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  relay_probe_view_run (RELAY_PROBE_VIEW (widget));
}

static void
copy_transcript_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  RelayProbeView *self = RELAY_PROBE_VIEW (widget);
  g_autofree char *joined = NULL;
  g_autofree char *text = NULL;

  if (self->probe == NULL || self->running)
    return;

  /* pasted into a terminal or a chat, the server's lines carry no escape
   * sequence and no bidirectional override along */
  joined = g_strjoinv ("\n", (char **)relay_probe_get_transcript (self->probe));
  text = relay_text_for_display_lines (joined, -1);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
}

static void
trust_response_cb (AdwMessageDialog *dialog,
                   const char       *response,
                   RelayProbeView   *self)
{
  const char *sha256 = g_object_get_data (G_OBJECT (dialog), "sha256");

  if (g_strcmp0 (response, "trust") != 0 || sha256 == NULL || self->running)
    return;

  g_signal_emit (self, signals[TRUST_CERTIFICATE], 0, sha256);

  /* in place of any certificate trusted for this server before */
  relay_account_set_pins (self->account, (const char * const[]) { sha256, NULL });

  relay_probe_view_run (self);
}

static void
trust_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  RelayProbeView *self = RELAY_PROBE_VIEW (widget);
  const char *sha256;
  const char *heading;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (self->probe == NULL || self->running)
    return;

  /* the fingerprint the user sees now, not whatever a later run brings */
  sha256 = relay_probe_get_certificate_sha256 (self->probe);
  if (sha256 == NULL)
    return;

  if (relay_probe_get_certificate_changed (self->probe))
    {
      heading = _("Trust the New Certificate?");
      /* Translators: %s is a server name, %u its port, the last %s a SHA-256 fingerprint */
      body = g_strdup_printf (_("From now on only the new certificate is accepted for %s, port %u, and "
                                "the one you trusted before is refused. Do this only if the server’s "
                                "administrator confirms that its certificate was renewed and gives you "
                                "this SHA-256 fingerprint: %s"),
                              relay_account_get_host (self->account), relay_account_get_port (self->account),
                              sha256);
    }
  else
    {
      heading = _("Trust This Certificate?");
      body = g_strdup (_("Do this only if you recognise this server, for example your "
                         "own with a self-signed certificate. First compare the SHA-256 "
                         "fingerprint shown here with the one your administrator gives "
                         "you. Never trust a certificate for a public provider such as "
                         "Gmail or Office 365: their certificates are always valid, so "
                         "a problem there means the connection is being intercepted."));
    }

  dialog = relay_message_dialog_new (GTK_WIDGET (self), heading, body,
                                     "cancel",
                                     "cancel", _("_Cancel"), ADW_RESPONSE_DEFAULT,
                                     "trust", _("_Trust"), ADW_RESPONSE_DESTRUCTIVE,
                                     NULL);
  g_object_set_data_full (G_OBJECT (dialog), "sha256", g_strdup (sha256), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (trust_response_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
}

static void
relay_probe_view_dispose (GObject *object)
{
  RelayProbeView *self = (RelayProbeView *)object;

  drop_probe (self);
  g_clear_pointer (&self->step_rows, g_ptr_array_unref);
  self->current_row = NULL;
  self->current_spinner = NULL;

  gtk_widget_dispose_template (GTK_WIDGET (self), RELAY_TYPE_PROBE_VIEW);

  g_clear_object (&self->account);
  g_clear_pointer (&self->secret, relay_sasl_wipe);
  g_clear_pointer (&self->send_to, g_free);
  g_clear_pointer (&self->sign_in_note, g_free);

  G_OBJECT_CLASS (relay_probe_view_parent_class)->dispose (object);
}

static void
relay_probe_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  RelayProbeView *self = RELAY_PROBE_VIEW (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_probe_view_class_init (RelayProbeViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = relay_probe_view_dispose;
  object_class->get_property = relay_probe_view_get_property;

  /**
   * RelayProbeView:running:
   *
   * Whether a test is under way.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * RelayProbeView::trust-certificate:
   * @sha256: the fingerprint of the certificate, 64 lower-case hex digits
   *
   * The user chose to trust (pin) the server's certificate for this
   * account's host and port, in place of any trusted there before.
   */
  signals[TRUST_CERTIFICATE] =
    g_signal_new ("trust-certificate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/relay-probe-view.ui");
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, window_title);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, again_button);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, page);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, result_group);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, result_icon);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, result_title);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, result_description);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, reply_group);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, reply_label);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, steps_group);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, certificate_group);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, subject_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, issuer_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, valid_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, fingerprint_label);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, problems_row);
  gtk_widget_class_bind_template_child (widget_class, RelayProbeView, trust_button);

  gtk_widget_class_install_action (widget_class, "probe-view.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "probe-view.run", NULL, run_action);
  gtk_widget_class_install_action (widget_class, "probe-view.copy-transcript", NULL,
                                   copy_transcript_action);
  gtk_widget_class_install_action (widget_class, "probe-view.trust", NULL, trust_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "probe-view.copy-transcript", NULL);
}

static void
relay_probe_view_init (RelayProbeView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  relay_accessible_name_buttons_by_label (GTK_WIDGET (self));

  self->step_rows = g_ptr_array_new ();
  set_running (self, FALSE);
}

/**
 * relay_probe_view_new:
 * @parent: (nullable): the window the dialog belongs to
 * @account: the account to test; the view keeps a copy of it
 * @secret: (nullable): the password or access token; without it the test
 *   stops before signing in
 * @send_to: (nullable): where to send a test message, or %NULL for none
 *
 * Opens the dialog and starts the test at once. Like any window, it is
 * owned by GTK until it is closed.
 *
 * Returns: (transfer none): the new view
 */
RelayProbeView *
relay_probe_view_new (GtkWindow    *parent,
                      RelayAccount *account,
                      const char   *secret,
                      const char   *send_to)
{
  RelayProbeView *self;
  g_autofree char *subtitle = NULL;

  g_return_val_if_fail (!parent || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);

  self = g_object_new (RELAY_TYPE_PROBE_VIEW,
                       "transient-for", parent,
                       NULL);
  self->account = relay_account_copy (account);
  self->secret = g_strdup (secret);
  self->send_to = send_to && send_to[0] ? g_strdup (send_to) : NULL;

  subtitle = g_strdup_printf ("%s:%u", relay_account_get_host (account),
                              relay_account_get_port (account));
  adw_window_title_set_subtitle (self->window_title, subtitle);

  relay_probe_view_run (self);

  return self;
}

/**
 * relay_probe_view_run:
 *
 * Tests the account again from the start, with a new probe; a test
 * still under way is cancelled first.
 */
void
relay_probe_view_run (RelayProbeView *self)
{
  GWeakRef *weak;

  g_return_if_fail (RELAY_IS_PROBE_VIEW (self));
  g_return_if_fail (self->account != NULL);

  drop_probe (self);
  clear_results (self);

  self->cancellable = g_cancellable_new ();
  self->probe = relay_probe_new (self->account);
  relay_probe_set_secret (self->probe, self->secret);
  relay_probe_set_send_to (self->probe, self->send_to);
  relay_probe_set_log_source (self->probe, "app");
  relay_probe_set_timeout (self->probe, 20);

  g_signal_connect (self->probe, "step-started", G_CALLBACK (step_started_cb), self);
  g_signal_connect (self->probe, "step-finished", G_CALLBACK (step_finished_cb), self);

  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, self);

  set_running (self, TRUE);
  relay_probe_run_async (self->probe, self->cancellable, run_cb, weak);
}

/**
 * relay_probe_view_set_sign_in_note:
 * @note: (nullable): why there is no password to sign in with, and what
 *   to do; %NULL for the probe's own words
 *
 * Shown when a test stops where it would have signed in, because the
 * view was given no secret for an account with a user name.
 */
void
relay_probe_view_set_sign_in_note (RelayProbeView *self,
                                   const char     *note)
{
  g_return_if_fail (RELAY_IS_PROBE_VIEW (self));

  g_free (self->sign_in_note);
  self->sign_in_note = g_strdup (note);
}

gboolean
relay_probe_view_get_running (RelayProbeView *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE_VIEW (self), FALSE);

  return self->running;
}
