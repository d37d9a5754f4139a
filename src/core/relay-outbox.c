/* relay-outbox.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * RelayOutbox: the outbox folder (by default $XDG_DATA_HOME/mail-relay/outbox/)
 * and its settings, read once where it is made; the _async form of its
 * counts, run in a worker thread of the core; and the calls on the
 * default outbox that the app and the command line make. The items are
 * kept by relay-outbox-store.c, sent by relay-outbox-drain.c (its _async
 * form in relay-outbox-drain-task.c), and recorded by relay-outbox-record.c.
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include "relay-outbox.h"
#include "relay-outbox-private.h"
#include "relay-task-private.h"

#define RETRY_BASE 60         /* s, before a message's first retry; doubled for each */
#define EXCHANGE_DEADLINE 60  /* s, for the whole of opening a session, or of one message */

struct _RelayOutbox
{
  GObject  parent_instance;

  char    *path;
  double   retry_base;     /* s */
  double   send_deadline;  /* s */

  /* an account's outbox (relay_outbox_new_for_account ()): the items of
   * account_id, and with takes_orphans those of no account in known_ids;
   * NULL: every item */
  char    *account_id;
  GStrv    known_ids;
  gboolean takes_orphans;

  /* what the messages added through it came from (their `source`), or NULL */
  char    *source;
};

G_DEFINE_FINAL_TYPE (RelayOutbox, relay_outbox, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_RETRY_BASE,
  PROP_SEND_DEADLINE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_QUARK (relay-outbox-error-quark, relay_outbox_error)

static void
relay_outbox_finalize (GObject *object)
{
  RelayOutbox *self = RELAY_OUTBOX (object);

  g_free (self->path);
  g_free (self->account_id);
  g_strfreev (self->known_ids);
  g_free (self->source);

  G_OBJECT_CLASS (relay_outbox_parent_class)->finalize (object);
}

static void
relay_outbox_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  RelayOutbox *self = RELAY_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_RETRY_BASE:
      g_value_set_double (value, self->retry_base);
      break;
    case PROP_SEND_DEADLINE:
      g_value_set_double (value, self->send_deadline);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_outbox_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  RelayOutbox *self = RELAY_OUTBOX (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      if (self->path == NULL)
        self->path = relay_outbox_get_dir ();
      break;
    case PROP_RETRY_BASE:
      relay_outbox_set_retry_base (self, g_value_get_double (value));
      break;
    case PROP_SEND_DEADLINE:
      relay_outbox_set_send_deadline (self, g_value_get_double (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_outbox_class_init (RelayOutboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = relay_outbox_finalize;
  object_class->get_property = relay_outbox_get_property;
  object_class->set_property = relay_outbox_set_property;

  /**
   * RelayOutbox:path:
   *
   * The outbox's folder; %NULL at construction for the default one,
   * relay_outbox_get_dir(). Its parent is the data folder, where damaged
   * items go (`damaged/`).
   */
  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * RelayOutbox:retry-base:
   *
   * Seconds before a deferred message's first retry, doubled for each
   * one after (with ±20 % jitter); a drain reads it when it starts.
   */
  properties[PROP_RETRY_BASE] =
    g_param_spec_double ("retry-base", NULL, NULL, 0, G_MAXDOUBLE, RETRY_BASE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * RelayOutbox:send-deadline:
   *
   * Seconds that opening a session, or sending one message (plus its
   * size at 32 KB/s), may take in all; a drain reads it when it starts.
   */
  properties[PROP_SEND_DEADLINE] =
    g_param_spec_double ("send-deadline", NULL, NULL, 0, G_MAXDOUBLE, EXCHANGE_DEADLINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
relay_outbox_init (RelayOutbox *self)
{
}

/* A number of seconds from @name in the environment, or @fallback when it
 * is unset or not above 0 */
static double
seconds_from_env (const char *name,
                  double      fallback)
{
  const char *env = g_getenv (name);
  double base = env ? g_ascii_strtod (env, NULL) : fallback;

  if (base <= 0)
    base = fallback;

  return base;
}

/**
 * relay_outbox_new:
 * @path: (nullable): the outbox's folder, or %NULL for the default one
 *   (relay_outbox_get_dir())
 *
 * The outbox in @path; nothing is read or made until it is used. Its
 * retry base and send deadline come from MAIL_RELAY_RETRY_BASE_SECONDS
 * and MAIL_RELAY_SEND_DEADLINE_SECONDS when they are set (tests), read
 * here once.
 *
 * Returns: (transfer full): a new #RelayOutbox
 */
RelayOutbox *
relay_outbox_new (const char *path)
{
  return g_object_new (RELAY_TYPE_OUTBOX,
                       "path", path,
                       "retry-base", seconds_from_env ("MAIL_RELAY_RETRY_BASE_SECONDS", RETRY_BASE),
                       "send-deadline", seconds_from_env ("MAIL_RELAY_SEND_DEADLINE_SECONDS", EXCHANGE_DEADLINE),
                       NULL);
}

/**
 * relay_outbox_new_for_account:
 * @self: the outbox
 * @account: an account of @accounts
 * @default_account: (nullable): the default account of @accounts
 * @accounts: (element-type RelayAccount): every account there is
 *
 * The part of @self that goes through @account: the messages queued for
 * it; for the default account also those queued by an older version
 * (which name no account) and those whose account is gone. A drain of it
 * sends those alone, with @account's session, secret and limits; what
 * it lists, counts, retries and cancels is those alone too.
 *
 * Returns: (transfer full): a new #RelayOutbox on the same folder, with
 *   the same settings
 */
RelayOutbox *
relay_outbox_new_for_account (RelayOutbox  *self,
                              RelayAccount *account,
                              RelayAccount *default_account,
                              GListModel   *accounts)
{
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  RelayOutbox *view;
  guint n_items;

  g_return_val_if_fail (RELAY_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (default_account == NULL || RELAY_IS_ACCOUNT (default_account), NULL);
  g_return_val_if_fail (G_IS_LIST_MODEL (accounts), NULL);

  n_items = g_list_model_get_n_items (accounts);
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(RelayAccount) each = g_list_model_get_item (accounts, i);

      g_strv_builder_add (ids, relay_account_get_id (each));
    }

  view = g_object_new (RELAY_TYPE_OUTBOX,
                       "path", self->path,
                       "retry-base", self->retry_base,
                       "send-deadline", self->send_deadline,
                       NULL);
  view->account_id = g_strdup (relay_account_get_id (account));
  view->known_ids = g_strv_builder_end (ids);
  view->takes_orphans = default_account != NULL &&
                        g_str_equal (relay_account_get_id (default_account), view->account_id);

  return view;
}

/* Whether this is an account's part of the outbox */
gboolean
relay_outbox_is_account_outbox (RelayOutbox *self)
{
  return self->account_id != NULL;
}

/* Whether @item is one of this outbox's (all are, but on an account's) */
gboolean
relay_outbox_owns_item (RelayOutbox *self,
                        const Item  *item)
{
  if (self->account_id == NULL)
    return TRUE;

  if (item->account != NULL && g_str_equal (item->account, self->account_id))
    return TRUE;

  return self->takes_orphans &&
         (item->account == NULL || !g_strv_contains ((const char * const *)self->known_ids, item->account));
}

/**
 * relay_outbox_get_path:
 *
 * Returns: (transfer none): the outbox's folder
 */
const char *
relay_outbox_get_path (RelayOutbox *self)
{
  g_return_val_if_fail (RELAY_IS_OUTBOX (self), NULL);

  return self->path;
}

/* Not above 0 means @fallback; notifies @pspec when it changes */
static void
set_seconds (RelayOutbox *self,
             double      *field,
             double       seconds,
             double       fallback,
             GParamSpec  *pspec)
{
  if (seconds <= 0)
    seconds = fallback;
  if (*field == seconds)
    return;

  *field = seconds;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

/**
 * relay_outbox_get_retry_base:
 *
 * Returns: the #RelayOutbox:retry-base, in seconds
 */
double
relay_outbox_get_retry_base (RelayOutbox *self)
{
  g_return_val_if_fail (RELAY_IS_OUTBOX (self), RETRY_BASE);

  return self->retry_base;
}

/**
 * relay_outbox_set_retry_base:
 * @seconds: before a first retry; not above 0 means the default, 60
 *
 * Sets the #RelayOutbox:retry-base; drains that start later use it. Set
 * it before the outbox is used from another thread.
 */
void
relay_outbox_set_retry_base (RelayOutbox *self,
                             double       seconds)
{
  g_return_if_fail (RELAY_IS_OUTBOX (self));

  set_seconds (self, &self->retry_base, seconds, RETRY_BASE, properties[PROP_RETRY_BASE]);
}

/**
 * relay_outbox_set_source:
 * @source: (nullable): what the messages added through @self come from:
 *   `cli`, `relay`, `sendmail` or `app`
 *
 * The `source` that the messages added through @self keep in their
 * envelope and give every send log event of theirs.
 */
void
relay_outbox_set_source (RelayOutbox *self,
                         const char  *source)
{
  g_return_if_fail (RELAY_IS_OUTBOX (self));
  g_return_if_fail (source == NULL || relay_outbox_is_source (source));

  g_free (self->source);
  self->source = g_strdup (source);
}

/**
 * relay_outbox_get_source:
 *
 * Returns: (nullable): what relay_outbox_set_source() set
 */
const char *
relay_outbox_get_source (RelayOutbox *self)
{
  g_return_val_if_fail (RELAY_IS_OUTBOX (self), NULL);

  return self->source;
}

/**
 * relay_outbox_is_source:
 *
 * Returns: whether @source is one of the sources a message may come
 *   from: `cli`, `relay`, `sendmail` or `app`
 */
gboolean
relay_outbox_is_source (const char *source)
{
  static const char * const sources[] = { "cli", "relay", "sendmail", "app", NULL };

  return source != NULL && g_strv_contains (sources, source);
}

/**
 * relay_outbox_get_send_deadline:
 *
 * Returns: the #RelayOutbox:send-deadline, in seconds
 */
double
relay_outbox_get_send_deadline (RelayOutbox *self)
{
  g_return_val_if_fail (RELAY_IS_OUTBOX (self), EXCHANGE_DEADLINE);

  return self->send_deadline;
}

/**
 * relay_outbox_set_send_deadline:
 * @seconds: for an exchange; not above 0 means the default, 60
 *
 * Sets the #RelayOutbox:send-deadline; drains that start later use it.
 * Set it before the outbox is used from another thread.
 */
void
relay_outbox_set_send_deadline (RelayOutbox *self,
                                double       seconds)
{
  g_return_if_fail (RELAY_IS_OUTBOX (self));

  set_seconds (self, &self->send_deadline, seconds, EXCHANGE_DEADLINE, properties[PROP_SEND_DEADLINE]);
}

char *
relay_outbox_get_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "mail-relay", "outbox", NULL);
}

void
relay_outbox_report_free (RelayOutboxReport *report)
{
  if (report == NULL)
    return;

  g_free (report->stopped_by);
  g_clear_pointer (&report->waiting, g_ptr_array_unref);
  g_free (report);
}

typedef struct
{
  RelayOutbox   *outbox;
  RelayThrottle *throttle;  /* made on the caller's thread from the account */
  char          *log_path;
} CountsTask;

static void
counts_task_free (CountsTask *state)
{
  g_clear_object (&state->outbox);
  g_clear_object (&state->throttle);
  g_free (state->log_path);
  g_free (state);
}

/* The same count as the drain makes: sent and unknown attempts */
static void
counts_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CountsTask *state = task_data;
  RelayOutboxCounts *counts = g_new0 (RelayOutboxCounts, 1);

  relay_throttle_record_log (state->throttle, state->log_path);
  counts->throttle = g_steal_pointer (&state->throttle);
  /* what waits in the outbox, and what may go now */
  /* one reading of the outbox for both */
  counts->queued = relay_outbox_count_items (state->outbox, g_get_real_time (), &counts->due,
                                             &counts->next_retry);
  g_task_return_pointer (task, counts, (GDestroyNotify)relay_outbox_counts_free);
}

/**
 * relay_outbox_get_counts_async:
 * @self: the outbox; relay_outbox_new (%NULL) for the default one
 * @account: whose limits are counted; read now, not kept
 * @log: the send log whose attempts fill the account's windows
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context when done
 * @user_data: for @callback
 *
 * Counts, in a worker thread, what the account's limits leave (its
 * throttle with the attempts of the send log, as a drain counts them) and
 * what waits in the outbox: what a view of the outbox shows.
 */
void
relay_outbox_get_counts_async (RelayOutbox         *self,
                               RelayAccount        *account,
                               RelaySendLog        *log,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  CountsTask *state;

  g_return_if_fail (RELAY_IS_OUTBOX (self));
  g_return_if_fail (RELAY_IS_ACCOUNT (account));
  g_return_if_fail (RELAY_IS_SEND_LOG (log));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  state = g_new0 (CountsTask, 1);
  state->outbox = g_object_ref (self);
  state->throttle = relay_throttle_new_for_account (account);
  state->log_path = g_strdup (relay_send_log_get_path (log));

  relay_task_run_in_worker (self, relay_outbox_get_counts_async, state, (GDestroyNotify)counts_task_free,
                            counts_thread, cancellable, callback, user_data);
}

/**
 * relay_outbox_get_counts_finish:
 * @self: the outbox
 *
 * Used error codes: %G_IO_ERROR_CANCELLED. A log or an outbox that cannot
 * be read counts as empty, as it does for a drain.
 *
 * Returns: (transfer full): the counts, or %NULL with @error set
 */
RelayOutboxCounts *
relay_outbox_get_counts_finish (RelayOutbox   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_outbox_get_counts_async), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
relay_outbox_counts_free (RelayOutboxCounts *counts)
{
  if (counts == NULL)
    return;

  g_clear_object (&counts->throttle);
  g_free (counts);
}

/* The calls on the default outbox, each made on a RelayOutbox of its own
 * (so that the environment is read as it is now) */

/**
 * relay_outbox_enqueue:
 *
 * relay_outbox_add() on the default outbox.
 *
 * Returns: (transfer full) (nullable): its message id
 */
char *
relay_outbox_enqueue (RelayAccount        *account,
                      const char * const  *recipients,
                      const char          *subject,
                      GBytes              *body,
                      RelaySendLog        *log,
                      GError             **error)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);

  return relay_outbox_add (outbox, account, recipients, subject, body, log, error);
}

/**
 * relay_outbox_count:
 *
 * Returns: how many messages the default outbox holds
 */
guint
relay_outbox_count (void)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);

  return relay_outbox_get_n_items (outbox);
}

/**
 * relay_outbox_count_due:
 * @now: µs of real time
 * @next: (out) (optional): as for relay_outbox_get_n_due()
 *
 * Returns: how many messages of the default outbox may be sent at @now
 */
guint
relay_outbox_count_due (gint64  now,
                        gint64 *next)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);

  return relay_outbox_get_n_due (outbox, now, next);
}

/**
 * relay_outbox_contains:
 *
 * Returns: whether the message still waits in the default outbox
 */
gboolean
relay_outbox_contains (const char *message_id)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);

  return relay_outbox_has (outbox, message_id);
}

/**
 * relay_outbox_retry:
 *
 * relay_outbox_retry_message() on the default outbox.
 */
gboolean
relay_outbox_retry (const char  *message_id,
                    GError     **error)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);

  return relay_outbox_retry_message (outbox, message_id, error);
}

/**
 * relay_outbox_retry_all:
 *
 * relay_outbox_retry_waiting() on the default outbox.
 *
 * Returns: how many were waiting for a retry, or -1 on error
 */
int
relay_outbox_retry_all (GError **error)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);

  return relay_outbox_retry_waiting (outbox, error);
}

/**
 * relay_outbox_cancel:
 *
 * relay_outbox_cancel_message() on the default outbox.
 */
gboolean
relay_outbox_cancel (RelayAccount  *account,
                     RelaySendLog  *log,
                     const char    *message_id,
                     GError       **error)
{
  g_autoptr(RelayOutbox) outbox = relay_outbox_new (NULL);

  return relay_outbox_cancel_message (outbox, account, log, message_id, error);
}
