/* relay-probe.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The staged connection test behind “Test connection” and
 * `mail-relay-cli test`. The conversation runs in a worker thread; each
 * step is reported back in the caller's main context as it ends.
 */

#define G_LOG_DOMAIN "relay-probe"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-enum-types.h"
#include "relay-message.h"
#include "relay-oauth.h"
#include "relay-probe.h"
#include "relay-probe-private.h"
#include "relay-sasl.h"
#include "relay-secure-private.h"
#include "relay-send-log.h"
#include "relay-smtp-session.h"

G_DEFINE_FINAL_TYPE (RelayProbe, relay_probe, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (RelayProbeStep, relay_probe_step, relay_probe_step_copy, relay_probe_step_free)

enum {
  STEP_STARTED,
  STEP_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

RelayProbeStep *
relay_probe_step_copy (const RelayProbeStep *step)
{
  RelayProbeStep *copy = g_new0 (RelayProbeStep, 1);

  copy->name = g_strdup (step->name);
  copy->ok = step->ok;
  copy->ms = step->ms;
  copy->detail = g_strdup (step->detail);
  copy->skipped = step->skipped;

  return copy;
}

void
relay_probe_step_free (RelayProbeStep *step)
{
  if (step == NULL)
    return;

  g_free (step->name);
  g_free (step->detail);
  g_free (step);
}

static void
relay_probe_finalize (GObject *object)
{
  RelayProbe *self = (RelayProbe *)object;

  g_clear_object (&self->account);
  g_clear_pointer (&self->secret, relay_secure_wipe_string);
  g_clear_pointer (&self->send_to, g_free);
  g_clear_pointer (&self->log_source, g_free);
  g_clear_pointer (&self->message_id, g_free);
  g_clear_pointer (&self->log_error, g_free);
  g_clear_object (&self->session);
  g_clear_pointer (&self->diagnosis, relay_diagnosis_free);
  g_clear_pointer (&self->error_reply, g_free);
  g_clear_pointer (&self->transcript, g_strfreev);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  if (self->refresh_destroy != NULL)
    self->refresh_destroy (self->refresh_data);

  G_OBJECT_CLASS (relay_probe_parent_class)->finalize (object);
}

static void
relay_probe_class_init (RelayProbeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relay_probe_finalize;

  /**
   * RelayProbe::step-started:
   * @name: the step
   */
  signals[STEP_STARTED] =
    g_signal_new ("step-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  /**
   * RelayProbe::step-finished:
   * @step: the step, with its outcome
   */
  signals[STEP_FINISHED] =
    g_signal_new ("step-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  RELAY_TYPE_PROBE_STEP | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
relay_probe_init (RelayProbe *self)
{
  self->timeout = 20;
  self->steps = g_ptr_array_new_with_free_func ((GDestroyNotify)relay_probe_step_free);
  self->transcript = g_new0 (char *, 1);
}

/**
 * relay_probe_new:
 *
 * Tests @account's server as it is now (later changes are not seen).
 */
RelayProbe *
relay_probe_new (RelayAccount *account)
{
  RelayProbe *self;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);

  self = g_object_new (RELAY_TYPE_PROBE, NULL);
  self->account = relay_account_copy (account);

  return self;
}

/**
 * relay_probe_set_secret:
 * @secret: (nullable): the password (or access token for XOAUTH2 and
 *   OAUTHBEARER); without it the test stops before authentication
 */
void
relay_probe_set_secret (RelayProbe *self,
                        const char *secret)
{
  g_return_if_fail (RELAY_IS_PROBE (self));
  g_return_if_fail (!self->running);

  g_clear_pointer (&self->secret, relay_secure_wipe_string);
  self->secret = g_strdup (secret);
}

/**
 * relay_probe_set_send_to:
 * @address: (nullable): where to send a test message, or %NULL for none
 */
void
relay_probe_set_send_to (RelayProbe *self,
                         const char *address)
{
  g_return_if_fail (RELAY_IS_PROBE (self));
  g_return_if_fail (!self->running);

  g_free (self->send_to);
  self->send_to = address && address[0] ? g_strdup (address) : NULL;
}

/**
 * relay_probe_set_log_source:
 * @source: (nullable): what sends the test message, as the Send Log's
 *   `source` member names it (`app`, `cli`), or %NULL to keep it out of
 *   the Send Log
 *
 * The test message's outcome goes into the default Send Log, as the
 * server gave it: sent with the server's reply, failed with the reply
 * that refused it (the test message is never sent again), or unknown
 * when the connection ended between the message and the reply.
 */
void
relay_probe_set_log_source (RelayProbe *self,
                            const char *source)
{
  g_return_if_fail (RELAY_IS_PROBE (self));
  g_return_if_fail (!self->running);

  g_free (self->log_source);
  self->log_source = g_strdup (source);
}

void
relay_probe_set_timeout (RelayProbe *self,
                         guint       seconds)
{
  g_return_if_fail (RELAY_IS_PROBE (self));

  self->timeout = seconds ? seconds : 20;
}

/**
 * relay_probe_set_token_refresher:
 * @func: called at most once, in the worker thread, when the server
 *   refuses the access token; returns a fresh one
 *
 * For XOAUTH2 and OAUTHBEARER: a refused token is refreshed and tried
 * again once.
 */
void
relay_probe_set_token_refresher (RelayProbe          *self,
                                 RelayProbeTokenFunc  func,
                                 gpointer             user_data,
                                 GDestroyNotify       destroy)
{
  g_return_if_fail (RELAY_IS_PROBE (self));
  g_return_if_fail (!self->running);

  if (self->refresh_destroy != NULL)
    self->refresh_destroy (self->refresh_data);

  self->refresh = func;
  self->refresh_data = user_data;
  self->refresh_destroy = destroy;
}

typedef struct
{
  RelayProbe     *probe;
  RelayProbeStep *step;  /* NULL: started */
  char           *name;
} StepEvent;

static gboolean
emit_step_event (gpointer user_data)
{
  StepEvent *event = user_data;

  if (event->step == NULL)
    g_signal_emit (event->probe, signals[STEP_STARTED], 0, event->name);
  else
    {
      g_ptr_array_add (event->probe->steps, relay_probe_step_copy (event->step));
      g_signal_emit (event->probe, signals[STEP_FINISHED], 0, event->step);
    }

  return G_SOURCE_REMOVE;
}

static void
step_event_free (gpointer user_data)
{
  StepEvent *event = user_data;

  g_object_unref (event->probe);
  relay_probe_step_free (event->step);
  g_free (event->name);
  g_free (event);
}

/* Queued above the task's own completion, so that every step is seen
 * before the result. Always queued, never g_main_context_invoke (): that
 * runs the handlers at once in this worker thread whenever the context
 * is free to acquire, e.g. while its thread runs outside the loop, and a
 * view would then build widgets off the main thread, in a race with it. */
static void
post_step_event (GTask          *task,
                 const char     *name,
                 RelayProbeStep *step)
{
  StepEvent *event = g_new0 (StepEvent, 1);
  g_autoptr(GSource) source = g_idle_source_new ();

  event->probe = g_object_ref (g_task_get_source_object (task));
  event->name = g_strdup (name);
  event->step = step;
  g_source_set_priority (source, G_PRIORITY_HIGH);
  g_source_set_callback (source, emit_step_event, event, step_event_free);
  g_source_set_static_name (source, "[relay-probe] step event");
  g_source_attach (source, g_task_get_context (task));
}

typedef struct
{
  GTask            *task;
  RelayProbe       *self;
  RelaySmtpSession *session;
  GCancellable     *cancellable;       /* the caller's */
  GCancellable     *step_cancellable;  /* also cancelled at the step's deadline */
  GSource          *deadline;
  gulong            handler;
  const char       *step;
  gint64            started;
} Run;

static gboolean
cancel_on_timeout (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

static void
cancel_with_parent (GCancellable *parent,
                    GCancellable *child)
{
  g_cancellable_cancel (child);
}

/* Each step has a deadline of its own, whatever the server trickles: a
 * timer in the caller's context cancels the step. Socket timeouts alone
 * would let a byte every few seconds go on for ever. */
static void
deadline_begin (Run *run)
{
  run->step_cancellable = g_cancellable_new ();
  run->deadline = g_timeout_source_new_seconds (run->self->timeout);
  g_source_set_callback (run->deadline, cancel_on_timeout,
                         g_object_ref (run->step_cancellable), g_object_unref);
  g_source_attach (run->deadline, g_task_get_context (run->task));
  if (run->cancellable != NULL)
    run->handler = g_cancellable_connect (run->cancellable, G_CALLBACK (cancel_with_parent),
                                          g_object_ref (run->step_cancellable), g_object_unref);
}

static void
deadline_end (Run *run)
{
  if (run->deadline == NULL)
    return;

  g_source_destroy (run->deadline);
  g_clear_pointer (&run->deadline, g_source_unref);
  g_cancellable_disconnect (run->cancellable, run->handler);
  run->handler = 0;
  g_clear_object (&run->step_cancellable);
}

/* A step cancelled by its deadline rather than by the caller timed out */
static void
deadline_check (Run     *run,
                GError **error)
{
  if (g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED) &&
      !g_cancellable_is_cancelled (run->cancellable))
    {
      g_clear_error (error);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                   _("No answer within %u seconds"), run->self->timeout);
    }
}

static void
begin (Run        *run,
       const char *step)
{
  deadline_end (run);
  run->step = step;
  run->started = g_get_monotonic_time ();
  deadline_begin (run);
  post_step_event (run->task, step, NULL);
}

static void
end_step (Run        *run,
          gboolean    ok,
          gboolean    skipped,
          const char *detail)
{
  RelayProbeStep *step = g_new0 (RelayProbeStep, 1);

  deadline_end (run);
  step->name = g_strdup (run->step);
  step->ok = ok;
  step->skipped = skipped;
  step->ms = (g_get_monotonic_time () - run->started) / 1000;
  step->detail = g_strdup (detail ? detail : "");
  post_step_event (run->task, run->step, step);
}

static void
end (Run        *run,
     gboolean    ok,
     const char *detail)
{
  end_step (run, ok, FALSE, detail);
}

/* Records the failure of the current step with its diagnosis */
static void
fail (Run    *run,
      GError *step_error)
{
  g_autoptr(GError) error = g_error_copy (step_error);

  RelayProbe *self = run->self;
  const RelaySmtpReply *reply = relay_smtp_session_get_last_reply (run->session);
  const char *host = relay_account_get_host (self->account);

  deadline_check (run, &error);
  end (run, FALSE, error->message);

  if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY) && reply != NULL)
    {
      self->diagnosis = relay_diagnose_reply (run->step, reply->code, reply->enhanced,
                                              relay_smtp_reply_get_text (reply));
      self->error_reply = relay_smtp_reply_to_string (reply);
    }
  else if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CERTIFICATE) &&
           relay_smtp_session_get_pin_refused (run->session))
    self->diagnosis = relay_diagnose_certificate_changed (host, relay_account_get_port (self->account),
                                                          relay_account_get_pins (self->account),
                                                          relay_smtp_session_get_peer_certificate (run->session),
                                                          relay_smtp_session_get_peer_errors (run->session));
  else if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CERTIFICATE))
    self->diagnosis = relay_diagnose_certificate (relay_smtp_session_get_peer_errors (run->session), host);
  else if (error->domain == RELAY_OAUTH_ERROR)
    {
      /* the access token could not be renewed */
      self->diagnosis = g_new0 (RelayDiagnosis, 1);
      self->diagnosis->kind = RELAY_ERROR_KIND_AUTH;
      self->diagnosis->disposition = RELAY_DISPOSITION_PERMANENT;
      self->diagnosis->message = g_strdup (error->message);
      if (g_error_matches (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_TIMEOUT))
        {
          /* the sign-in still holds: signing in again would not help */
          self->diagnosis->kind = RELAY_ERROR_KIND_TIMEOUT;
          self->diagnosis->disposition = RELAY_DISPOSITION_TEMPORARY;
          self->diagnosis->hint = g_strdup (_("Try again later: the sign-in server may be busy or out of reach."));
        }
      else
        self->diagnosis->hint = g_strdup (_("Sign in again: in Mail Relay’s setup page, or with “mail-relay-cli link-gmail”."));
    }
  else
    {
      /* a Security that does not fit the port fails in ways a retry never mends */
      self->diagnosis = relay_diagnose_security_mismatch (run->step, error,
                                                          relay_account_get_security (self->account),
                                                          relay_account_get_port (self->account));
      if (self->diagnosis == NULL)
        self->diagnosis = relay_diagnose_error (run->step, error);
      /* a refused STARTTLS has a reply worth showing */
      if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE) &&
          reply != NULL && reply->code != 250)
        self->error_reply = relay_smtp_reply_to_string (reply);
    }
}

/* The test message's event in the Send Log, once (see
 * relay_probe_set_log_source()) */
static void
log_test_message (RelayProbe      *self,
                  RelaySendStatus  status,
                  const char      *reply)
{
  const char *recipients[] = { self->send_to, NULL };
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autoptr(RelaySendLog) log = NULL;
  g_autoptr(GError) error = NULL;

  if (self->log_source == NULL || self->message_id == NULL || self->message_logged)
    return;
  self->message_logged = TRUE;

  entry = relay_send_log_entry_new (status, self->message_id, recipients, RELAY_MESSAGE_TEST_SUBJECT,
                                    1, reply);
  relay_send_log_entry_set_account (entry, relay_account_get_id (self->account));
  relay_send_log_entry_set_source (entry, self->log_source);
  log = relay_send_log_new (NULL);
  if (!relay_send_log_append (log, &entry, 1, &error))
    self->log_error = g_strdup_printf (_("The test message is not in the Send Log: %s"), error->message);
}

static char *
capabilities_detail (RelaySmtpSession *session)
{
  const char * const *capabilities = relay_smtp_session_get_capabilities (session);

  if (capabilities[0] == NULL)
    return g_strdup (_("No extensions offered"));

  return g_strjoinv (", ", (char **)capabilities);
}

/* The "quit" step: its failure is shown but is not the test's */
static void
step_quit (Run *run)
{
  g_autoptr(GError) error = NULL;

  begin (run, "quit");
  if (relay_smtp_session_quit (run->session, run->step_cancellable, &error))
    end (run, TRUE, NULL);
  else
    end (run, FALSE, error->message);
}

/* A polite end after a refusal, when the server is still talking */
static void
try_quit (Run *run)
{
  if (relay_smtp_session_is_connected (run->session))
    step_quit (run);
}

/* The "tls" step, at once for SSL/TLS or after STARTTLS */
static gboolean
step_handshake (Run *run)
{
  g_autoptr(GError) error = NULL;

  begin (run, "tls");
  if (!relay_smtp_session_handshake (run->session, run->step_cancellable, &error))
    {
      fail (run, error);
      return FALSE;
    }
  end (run, TRUE, relay_smtp_session_get_tls_version (run->session));

  return TRUE;
}

/* The "ehlo" step, after the greeting and again after STARTTLS */
static gboolean
step_ehlo (Run *run)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;

  begin (run, "ehlo");
  if (!relay_smtp_session_ehlo (run->session, run->step_cancellable, &error))
    {
      fail (run, error);
      try_quit (run);
      return FALSE;
    }
  detail = capabilities_detail (run->session);
  end (run, TRUE, detail);

  return TRUE;
}

/* The server refused an access token (after its 401 challenge): refresh
 * it once and sign in again on the same connection */
static gboolean
retry_with_fresh_token (Run     *run,
                        GError **error)
{
  RelayProbe *self = run->self;
  RelayAuthMethod method = relay_account_get_auth (self->account);
  g_autoptr(GError) refresh_error = NULL;
  char *token;

  if (self->refresh == NULL ||
      (method != RELAY_AUTH_METHOD_XOAUTH2 && method != RELAY_AUTH_METHOD_OAUTHBEARER) ||
      !g_error_matches (*error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY))
    return FALSE;

  token = self->refresh (self->refresh_data, run->step_cancellable, &refresh_error);
  self->refresh = NULL;
  if (token == NULL)
    {
      g_clear_error (error);
      g_propagate_error (error, g_steal_pointer (&refresh_error));
      return FALSE;
    }

  relay_secure_wipe_string (self->secret);
  self->secret = token;
  g_clear_error (error);

  return relay_smtp_session_authenticate (run->session, method, relay_account_get_username (self->account),
                                          self->secret, run->step_cancellable, error);
}

static gboolean
converse (Run *run)
{
  RelayProbe *self = run->self;
  RelayAccount *account = self->account;
  RelaySecurity security = relay_account_get_security (account);
  RelaySmtpSession *session = run->session;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autofree char *detail = NULL;
  const char *username = relay_account_get_username (account);

  begin (run, "resolve");
  if (!relay_smtp_session_resolve (session, run->step_cancellable, &error))
    {
      fail (run, error);
      return FALSE;
    }
  end (run, TRUE, relay_smtp_session_get_address (session));

  begin (run, "connect");
  if (!relay_smtp_session_connect (session, run->step_cancellable, &error))
    {
      fail (run, error);
      return FALSE;
    }
  /* Translators: an address and a port number */
  detail = g_strdup_printf (_("%s port %u"), relay_smtp_session_get_address (session),
                            relay_account_get_port (account));
  end (run, TRUE, detail);

  if (security == RELAY_SECURITY_TLS && !step_handshake (run))
    return FALSE;

  begin (run, "greeting");
  if (!relay_smtp_session_read_greeting (session, run->step_cancellable, &error))
    {
      fail (run, error);
      if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY))
        try_quit (run);
      return FALSE;
    }
  end (run, TRUE, relay_smtp_session_get_greeting (session));

  if (!step_ehlo (run))
    return FALSE;

  if (security == RELAY_SECURITY_STARTTLS)
    {
      begin (run, "starttls");
      if (!relay_smtp_session_starttls (session, run->step_cancellable, &error))
        {
          fail (run, error);
          /* nothing more after injected data: the stream is not trusted */
          if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE))
            try_quit (run);
          return FALSE;
        }
      end (run, TRUE, NULL);

      if (!step_handshake (run) || !step_ehlo (run))
        return FALSE;
    }

  /* An account with a user name is tested only once it signed in: a test
   * that could not try is never a pass */
  if (username[0] != '\0' && self->secret == NULL)
    {
      begin (run, "auth");
      end_step (run, FALSE, TRUE, _("Not tested: there is no password to sign in with"));
      self->diagnosis = g_new0 (RelayDiagnosis, 1);
      self->diagnosis->kind = RELAY_ERROR_KIND_CONFIG;
      self->diagnosis->disposition = RELAY_DISPOSITION_PERMANENT;
      self->diagnosis->message = g_strdup (_("Sign-in was not tested: there is no password to sign in with."));
      self->diagnosis->hint = g_strdup (_("Give the password to test the sign-in too, or leave the user name "
                                          "empty if the server takes mail without signing in."));
      try_quit (run);
      return FALSE;
    }

  if (username[0] != '\0')
    {
      begin (run, "auth");
      relay_smtp_session_set_allow_insecure (session, relay_account_get_allow_insecure (account));
      if (!relay_smtp_session_authenticate (session, relay_account_get_auth (account),
                                            username, self->secret, run->step_cancellable, &error) &&
          !retry_with_fresh_token (run, &error))
        {
          fail (run, error);
          if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY) ||
              g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_AUTH_UNAVAILABLE) ||
              g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_INSECURE))
            try_quit (run);
          return FALSE;
        }
      g_free (detail);
      detail = g_strdup_printf (_("Signed in as %s with %s"), username,
                                relay_sasl_mechanism_name (relay_smtp_session_get_auth_used (session)));
      end (run, TRUE, detail);
    }

  if (self->send_to != NULL)
    {
      const char *from = relay_account_get_from (account);

      if (!(message = relay_message_new_test (from, self->send_to, &self->message_id, &error)))
        {
          begin (run, "mail");
          fail (run, error);
          try_quit (run);
          return FALSE;
        }

      begin (run, "mail");
      if (!relay_smtp_session_mail (session, from, g_bytes_get_size (message), run->step_cancellable, &error))
        {
          fail (run, error);
          try_quit (run);
          return FALSE;
        }
      end (run, TRUE, from);

      begin (run, "rcpt");
      if (!relay_smtp_session_rcpt (session, self->send_to, run->step_cancellable, &error))
        {
          fail (run, error);
          try_quit (run);
          return FALSE;
        }
      end (run, TRUE, self->send_to);

      begin (run, "data");
      if (!relay_smtp_session_data (session, message, run->step_cancellable, &error))
        {
          fail (run, error);
          if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY))
            try_quit (run);
          return FALSE;
        }
      g_free (detail);
      detail = relay_smtp_reply_to_string (relay_smtp_session_get_last_reply (session));
      end (run, TRUE, detail);
      log_test_message (self, RELAY_SEND_STATUS_SENT, detail);
    }

  /* The test has passed once the server took what it was asked; an odd
   * answer to QUIT is shown but does not undo that. */
  step_quit (run);

  return TRUE;
}

static void
relay_probe_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  RelayProbe *self = source_object;
  RelayAccount *account = self->account;
  Run run = { .task = task, .self = self, .cancellable = cancellable };

  run.session = relay_smtp_session_new (relay_account_get_host (account),
                                        relay_account_get_port (account),
                                        relay_account_get_security (account));
  relay_smtp_session_set_timeout (run.session, self->timeout);
  relay_smtp_session_set_ca_file (run.session, relay_account_get_ca_file (account));
  relay_smtp_session_set_pins (run.session, relay_account_get_pins (account));

  self->ok = converse (&run);
  deadline_end (&run);
  /* a test message that did not get through: refused (the reply says
   * why), or lost with the connection, after its end (unknown) or before */
  if (self->error_reply != NULL)
    log_test_message (self, RELAY_SEND_STATUS_FAILED, self->error_reply);
  else if (g_strcmp0 (run.step, "data") == 0)
    log_test_message (self, RELAY_SEND_STATUS_UNKNOWN, "");
  else
    log_test_message (self, RELAY_SEND_STATUS_FAILED, "");
  relay_smtp_session_close (run.session);

  self->transcript = (g_strfreev (self->transcript), relay_smtp_session_dup_transcript (run.session));
  self->session = run.session;

  if (g_cancellable_is_cancelled (cancellable))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The test was cancelled"));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * relay_probe_run_async:
 *
 * Runs the test once. Progress comes as RelayProbe::step-started and
 * RelayProbe::step-finished in the calling thread's main context.
 */
void
relay_probe_run_async (RelayProbe          *self,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (RELAY_IS_PROBE (self));
  g_return_if_fail (!self->running && self->session == NULL);

  self->running = TRUE;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_probe_run_async);
  g_task_run_in_thread (task, relay_probe_thread);
}

/**
 * relay_probe_run_finish:
 *
 * Returns: %FALSE only when the test could not run to its end (it was
 *   cancelled); whether the server passed is relay_probe_get_ok()
 *
 * Used error codes: %G_IO_ERROR_CANCELLED.
 */
gboolean
relay_probe_run_finish (RelayProbe    *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  self->running = FALSE;

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
relay_probe_get_ok (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), FALSE);

  return self->ok;
}

/**
 * relay_probe_get_auth_skipped:
 *
 * Returns: whether the test stopped where it would have signed in, because
 *   the account has a user name but the probe was given no secret; the
 *   test is then not ok, and its last steps are "auth" (skipped) and "quit"
 */
gboolean
relay_probe_get_auth_skipped (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), FALSE);

  for (guint i = 0; i < self->steps->len; i++)
    {
      RelayProbeStep *step = g_ptr_array_index (self->steps, i);

      if (step->skipped && g_str_equal (step->name, "auth"))
        return TRUE;
    }

  return FALSE;
}

/**
 * relay_probe_get_steps:
 *
 * Returns: (transfer none) (element-type RelayProbeStep): the finished steps
 */
GPtrArray *
relay_probe_get_steps (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), NULL);

  return self->steps;
}

const RelayDiagnosis *
relay_probe_get_diagnosis (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), NULL);

  return self->diagnosis;
}

/**
 * relay_probe_get_log_error:
 *
 * Returns: (nullable): why the test message's event could not be
 *   written to the Send Log
 */
const char *
relay_probe_get_log_error (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), NULL);

  return self->log_error;
}

const char *
relay_probe_get_error_reply (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), NULL);

  return self->error_reply;
}

GTlsCertificate *
relay_probe_get_certificate (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), NULL);

  return self->session ? relay_smtp_session_get_peer_certificate (self->session) : NULL;
}

const char *
relay_probe_get_certificate_sha256 (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), NULL);

  return self->session ? relay_smtp_session_get_peer_sha256 (self->session) : NULL;
}

GTlsCertificateFlags
relay_probe_get_certificate_errors (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), 0);

  return self->session ? relay_smtp_session_get_peer_errors (self->session) : 0;
}

/**
 * relay_probe_get_certificate_pinned:
 *
 * Returns: whether the server's certificate was accepted because it is
 *   pinned for the account's host and port
 */
gboolean
relay_probe_get_certificate_pinned (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), FALSE);

  return self->session ? relay_smtp_session_get_pinned (self->session) : FALSE;
}

/**
 * relay_probe_get_certificate_changed:
 *
 * Returns: whether the account has pins for its host and port and the
 *   server showed another certificate, which was therefore refused
 */
gboolean
relay_probe_get_certificate_changed (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), FALSE);

  return self->session ? relay_smtp_session_get_pin_refused (self->session) : FALSE;
}

const char * const *
relay_probe_get_transcript (RelayProbe *self)
{
  g_return_val_if_fail (RELAY_IS_PROBE (self), NULL);

  return (const char * const *)self->transcript;
}
