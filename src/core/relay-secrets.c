/* relay-secrets.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-secrets"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-secrets.h"
#include "relay-secure-private.h"
#include "relay-task-private.h"

G_DEFINE_QUARK (relay-secrets-error-quark, relay_secrets_error)

/**
 * relay_secrets_get_schema:
 *
 * Items carry the attributes `account` (the account id) and `kind`
 * (see relay_secret_kind_to_string()); nothing else, and never a secret.
 */
const SecretSchema *
relay_secrets_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.mailrelay.MailRelay", SECRET_SCHEMA_NONE,
    {
      { "account", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "kind", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

const char *
relay_secret_kind_to_string (RelaySecretKind kind)
{
  switch (kind)
    {
    case RELAY_SECRET_PASSWORD:            return "password";
    case RELAY_SECRET_OAUTH_REFRESH_TOKEN: return "oauth-refresh-token";
    case RELAY_SECRET_OAUTH_ACCESS_TOKEN:  return "oauth-access-token";
    case RELAY_SECRET_OAUTH_CLIENT_SECRET: return "oauth-client-secret";
    default:
      g_return_val_if_reached (NULL);
    }
}

/* Whatever libsecret reports (no Secret Service on the bus, no bus at
 * all, a locked or missing collection) means the same to the user: the
 * secret cannot be kept, and it will not be written anywhere else. */
static GError *
map_error (GError *error)
{
  GError *mapped;

  if (error == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  mapped = g_error_new (RELAY_SECRETS_ERROR, RELAY_SECRETS_ERROR_UNAVAILABLE,
                        _("No keyring is available (%s). Mail Relay keeps passwords only "
                          "in a keyring, never in a file: start GNOME Keyring or another "
                          "Secret Service and try again."),
                        error->message);
  g_error_free (error);

  return mapped;
}

static char *
make_label (RelaySecretKind  kind,
            const char      *description)
{
  switch (kind)
    {
    case RELAY_SECRET_PASSWORD:
      /* Translators: shown in Passwords and Keys; %s is an account */
      return g_strdup_printf (_("Mail Relay password for %s"), description);
    case RELAY_SECRET_OAUTH_REFRESH_TOKEN:
    case RELAY_SECRET_OAUTH_ACCESS_TOKEN:
      return g_strdup_printf (_("Mail Relay sign-in for %s"), description);
    case RELAY_SECRET_OAUTH_CLIENT_SECRET:
      /* Translators: shown in Passwords and Keys; %s is an account */
      return g_strdup_printf (_("Mail Relay sign-in client for %s"), description);
    default:
      g_return_val_if_reached (NULL);
    }
}

/* libsecret's own async calls, answered in the thread-default main
 * context: the _sync forms below run them in a private one. Each task
 * has no source object. */
static GTask *
new_task (gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);

  return task;
}

static void start_store (const char          *account_id,
                         RelaySecretKind      kind,
                         const char          *description,
                         const char          *secret,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data);

/* libsecret's answer to a store or a clear */
static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_task_get_source_tag (task) == start_store)
    secret_password_store_finish (result, &error);
  else
    secret_password_clear_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, map_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
start_store (const char          *account_id,
             RelaySecretKind      kind,
             const char          *description,
             const char          *secret,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autofree char *label = make_label (kind, description ? description : account_id);

  secret_password_store (relay_secrets_get_schema (), SECRET_COLLECTION_DEFAULT,
                         label, secret, cancellable, done_cb,
                         new_task (start_store, cancellable, callback, user_data),
                         "account", account_id,
                         "kind", relay_secret_kind_to_string (kind),
                         NULL);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *secret;

  secret = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, map_error (error));
  else
    g_task_return_pointer (task, secret, (GDestroyNotify)secret_password_free);
}

static void
start_lookup (const char          *account_id,
              RelaySecretKind      kind,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  secret_password_lookup (relay_secrets_get_schema (), cancellable, lookup_cb,
                          new_task (start_lookup, cancellable, callback, user_data),
                          "account", account_id,
                          "kind", relay_secret_kind_to_string (kind),
                          NULL);
}

/* Every secret of the account, or only those of @kind when @one_kind */
static void
start_clear (const char          *account_id,
             gboolean             one_kind,
             RelaySecretKind      kind,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr(GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (attributes, (gpointer)"account", (gpointer)account_id);
  if (one_kind)
    g_hash_table_insert (attributes, (gpointer)"kind", (gpointer)relay_secret_kind_to_string (kind));

  secret_password_clearv (relay_secrets_get_schema (), attributes, cancellable, done_cb,
                          new_task (start_clear, cancellable, callback, user_data));
}

/* The blocking forms serve the command-line tool, which has nothing else
 * to do meanwhile, and the workers of the async forms; they run
 * libsecret's calls in a private main context.
 *
 * libsecret never gets the caller's cancellable. libsecret 0.20.5, in a
 * Flatpak (its file backend, the Secret portal), connects to the
 * cancellable while it waits for the portal's answer a handler that calls
 * g_cancellable_disconnect() on that same cancellable, which GLib
 * documents as a deadlock: the thread that cancels (the keyring deadline
 * or a page going away, on the main loop) then blocks for ever. Instead
 * the wait below ends on its own when the cancellable is cancelled, and
 * libsecret's call is left behind in the private context, which nothing
 * iterates again: its callback never runs. */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} SyncData;

static void
sync_data_clear (SyncData *data)
{
  g_clear_object (&data->result);
  g_main_context_unref (data->context);
}

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SyncData *data = user_data;

  data->result = g_object_ref (result);
  g_main_context_wakeup (data->context);
  g_atomic_rc_box_release_full (data, (GDestroyNotify)sync_data_clear);
}

static gboolean
sync_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  return G_SOURCE_REMOVE;
}

/* Before the call: its callback (sync_cb, with the reference returned
 * here) will come in a context of its own */
static SyncData *
sync_begin (void)
{
  SyncData *data = g_atomic_rc_box_new0 (SyncData);

  data->context = g_main_context_new ();
  g_main_context_push_thread_default (data->context);

  return g_atomic_rc_box_acquire (data);
}

/* After the call: its result once it has come, or %NULL with
 * %G_IO_ERROR_CANCELLED when @cancellable was cancelled first */
static GAsyncResult *
sync_end (SyncData      *data,
          GCancellable  *cancellable,
          GError       **error)
{
  GMainContext *context = data->context;
  GAsyncResult *result;
  GSource *cancelled = NULL;

  if (cancellable != NULL)
    {
      cancelled = g_cancellable_source_new (cancellable);
      g_source_set_callback (cancelled, G_SOURCE_FUNC (sync_cancelled_cb), NULL, NULL);
      g_source_attach (cancelled, context);
    }

  while (data->result == NULL && !g_cancellable_is_cancelled (cancellable))
    g_main_context_iteration (context, TRUE);

  if (cancelled != NULL)
    {
      g_source_destroy (cancelled);
      g_source_unref (cancelled);
    }

  result = data->result != NULL ? g_object_ref (data->result) : NULL;
  /* what libsecret queued behind its callback would die with the
   * context; a call left behind stays there, never dispatched */
  if (result != NULL)
    while (g_main_context_iteration (context, FALSE))
      ;
  g_main_context_pop_thread_default (context);
  g_atomic_rc_box_release_full (data, (GDestroyNotify)sync_data_clear);

  if (result == NULL)
    g_cancellable_set_error_if_cancelled (cancellable, error);

  return result;
}

/**
 * relay_secrets_store_sync:
 *
 * The blocking form of relay_secrets_store_async(), without its
 * deadline.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring answered, whatever libsecret
 *   said), %G_IO_ERROR_CANCELLED.
 */
gboolean
relay_secrets_store_sync (const char    *account_id,
                          RelaySecretKind kind,
                          const char    *description,
                          const char    *secret,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  SyncData *data;

  g_return_val_if_fail (account_id != NULL, FALSE);
  g_return_val_if_fail (secret != NULL, FALSE);

  data = sync_begin ();
  start_store (account_id, kind, description, secret, NULL, sync_cb, data);
  result = sync_end (data, cancellable, error);

  return result != NULL && g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * relay_secrets_lookup_sync:
 *
 * The blocking form of relay_secrets_lookup_async(), without its
 * deadline.
 *
 * Returns: (transfer full) (nullable): the secret, to be freed with
 *   secret_password_free(), or %NULL without an error when none is stored
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring answered, whatever libsecret
 *   said), %G_IO_ERROR_CANCELLED.
 */
char *
relay_secrets_lookup_sync (const char      *account_id,
                           RelaySecretKind  kind,
                           GCancellable    *cancellable,
                           GError         **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  SyncData *data;

  g_return_val_if_fail (account_id != NULL, NULL);

  data = sync_begin ();
  start_lookup (account_id, kind, NULL, sync_cb, data);
  result = sync_end (data, cancellable, error);

  return result != NULL ? g_task_propagate_pointer (G_TASK (result), error) : NULL;
}

/* The account's secrets, all of them or those of one kind */
static gboolean
clear_sync (const char       *account_id,
            gboolean          one_kind,
            RelaySecretKind   kind,
            GCancellable     *cancellable,
            GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  SyncData *data;

  g_return_val_if_fail (account_id != NULL, FALSE);

  data = sync_begin ();
  start_clear (account_id, one_kind, kind, NULL, sync_cb, data);
  result = sync_end (data, cancellable, error);

  return result != NULL && g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * relay_secrets_clear_sync:
 *
 * The blocking form of relay_secrets_clear_async(), without its
 * deadline: removes every secret of the account, of every kind.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring answered, whatever libsecret
 *   said), %G_IO_ERROR_CANCELLED.
 */
gboolean
relay_secrets_clear_sync (const char    *account_id,
                          GCancellable  *cancellable,
                          GError       **error)
{
  return clear_sync (account_id, FALSE, 0, cancellable, error);
}

/**
 * relay_secrets_clear_kind_sync:
 *
 * The blocking form of relay_secrets_clear_kind_async(), without its
 * deadline: removes the account's secret of one kind.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring answered, whatever libsecret
 *   said), %G_IO_ERROR_CANCELLED.
 */
gboolean
relay_secrets_clear_kind_sync (const char      *account_id,
                               RelaySecretKind  kind,
                               GCancellable    *cancellable,
                               GError         **error)
{
  return clear_sync (account_id, TRUE, kind, cancellable, error);
}

/* Asynchronous forms
 *
 * Each runs its blocking form above on a worker thread, never libsecret
 * on the caller's main loop: a busy loop there can miss an answer that
 * libsecret listens for only once its request has returned (the Secret
 * portal of libsecret before 0.21.4). A keyring that does not answer
 * within RELAY_SECRETS_TIMEOUT_SECONDS is an error, returned at once;
 * the worker is cancelled and whatever it still gets is dropped
 * (g_task_set_return_on_cancel()). The state holds copies only: the
 * worker may release the task after its callback has run. */

typedef enum
{
  CALL_STORE,
  CALL_LOOKUP,
  CALL_CLEAR,
} SecretCallKind;

typedef struct
{
  SecretCallKind   kind;
  char            *account_id;
  RelaySecretKind  secret_kind;   /* CALL_STORE, CALL_LOOKUP; CALL_CLEAR when one_kind */
  gboolean         one_kind;      /* CALL_CLEAR */
  char            *description;   /* CALL_STORE */
  char            *secret;        /* CALL_STORE; wiped when freed */
} SecretCall;

static void
secret_call_free (SecretCall *call)
{
  g_free (call->account_id);
  g_free (call->description);
  g_clear_pointer (&call->secret, relay_secure_wipe_string);
  g_free (call);
}

static void
secret_call_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  SecretCall *call = task_data;
  g_autoptr(GError) error = NULL;
  gboolean ok = FALSE;
  char *secret;

  if (g_task_return_error_if_cancelled (task))
    return;

  switch (call->kind)
    {
    case CALL_STORE:
      ok = relay_secrets_store_sync (call->account_id, call->secret_kind, call->description,
                                     call->secret, cancellable, &error);
      break;
    case CALL_LOOKUP:
      secret = relay_secrets_lookup_sync (call->account_id, call->secret_kind, cancellable, &error);
      if (error == NULL)
        {
          g_task_return_pointer (task, secret, (GDestroyNotify)secret_password_free);
          return;
        }
      break;
    case CALL_CLEAR:
      ok = clear_sync (call->account_id, call->one_kind, call->secret_kind, cancellable, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, ok);
}

static SecretCall *
secret_call_new (SecretCallKind   kind,
                 const char      *account_id,
                 RelaySecretKind  secret_kind)
{
  SecretCall *call = g_new0 (SecretCall, 1);

  call->kind = kind;
  call->account_id = g_strdup (account_id);
  call->secret_kind = secret_kind;

  return call;
}

static void
run_call (SecretCall          *call,
          gpointer             source_tag,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  relay_task_run_keyring_call (source_tag, call, (GDestroyNotify)secret_call_free, secret_call_thread,
                               cancellable, callback, user_data);
}

/**
 * relay_secrets_store_async:
 * @account_id: the account the secret belongs to; copied
 * @kind: what the secret is
 * @description: (nullable): names the account in the item's label, e.g.
 *   the user name; copied
 * @secret: the secret; copied, and the copy wiped
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_secrets_store_sync() on a worker thread, with a deadline of
 * %RELAY_SECRETS_TIMEOUT_SECONDS.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring,
 * whatever libsecret said), %RELAY_SECRETS_ERROR_TIMEOUT (the keyring
 * did not answer in time: the secret may or may not be stored),
 * %G_IO_ERROR_CANCELLED.
 */
void
relay_secrets_store_async (const char          *account_id,
                           RelaySecretKind      kind,
                           const char          *description,
                           const char          *secret,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  SecretCall *call;

  g_return_if_fail (account_id != NULL);
  g_return_if_fail (secret != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = secret_call_new (CALL_STORE, account_id, kind);
  call->description = g_strdup (description);
  call->secret = g_strdup (secret);
  run_call (call, relay_secrets_store_async, cancellable, callback, user_data);
}

/**
 * relay_secrets_store_finish:
 *
 * Returns: %TRUE when the secret is stored; otherwise %FALSE with @error
 *   set (see relay_secrets_store_async() for its codes)
 */
gboolean
relay_secrets_store_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_secrets_store_async), FALSE);

  return relay_task_propagate_keyring_call (result, NULL, error);
}

/**
 * relay_secrets_lookup_async:
 * @account_id: the account; copied
 * @kind: which of its secrets
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_secrets_lookup_sync() on a worker thread, with a deadline of
 * %RELAY_SECRETS_TIMEOUT_SECONDS.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring,
 * whatever libsecret said), %RELAY_SECRETS_ERROR_TIMEOUT (the keyring
 * did not answer in time: whether a secret is stored is not known),
 * %G_IO_ERROR_CANCELLED.
 */
void
relay_secrets_lookup_async (const char          *account_id,
                            RelaySecretKind      kind,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (account_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run_call (secret_call_new (CALL_LOOKUP, account_id, kind), relay_secrets_lookup_async,
            cancellable, callback, user_data);
}

/**
 * relay_secrets_lookup_finish:
 *
 * Returns: (transfer full) (nullable): the secret, to be freed with
 *   secret_password_free(), or %NULL without an error when none is
 *   stored; %NULL with @error set (see relay_secrets_lookup_async() for
 *   its codes)
 */
char *
relay_secrets_lookup_finish (GAsyncResult  *result,
                             GError       **error)
{
  gpointer secret = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_secrets_lookup_async), NULL);

  relay_task_propagate_keyring_call (result, &secret, error);

  return secret;
}

/**
 * relay_secrets_clear_async:
 * @account_id: the account; copied
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_secrets_clear_sync() on a worker thread, with a deadline of
 * %RELAY_SECRETS_TIMEOUT_SECONDS: removes every secret of the account, of
 * every kind.
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring,
 * whatever libsecret said), %RELAY_SECRETS_ERROR_TIMEOUT (the keyring
 * did not answer in time: the secrets may or may not be gone),
 * %G_IO_ERROR_CANCELLED.
 */
void
relay_secrets_clear_async (const char          *account_id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (account_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  run_call (secret_call_new (CALL_CLEAR, account_id, 0), relay_secrets_clear_async,
            cancellable, callback, user_data);
}

/**
 * relay_secrets_clear_finish:
 *
 * Finishes relay_secrets_clear_async() and relay_secrets_clear_kind_async().
 *
 * Returns: %TRUE when the account's secrets (of the kind) are gone;
 *   otherwise %FALSE with @error set (see relay_secrets_clear_async() for
 *   its codes)
 */
gboolean
relay_secrets_clear_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_async_result_is_tagged (result, relay_secrets_clear_async) ||
                        g_async_result_is_tagged (result, relay_secrets_clear_kind_async), FALSE);

  return relay_task_propagate_keyring_call (result, NULL, error);
}

/**
 * relay_secrets_clear_kind_async:
 * @account_id: the account; copied
 * @kind: which of its secrets
 * @cancellable: (nullable): a #GCancellable
 * @callback: called in the caller's thread-default main context
 * @user_data: data for @callback
 *
 * relay_secrets_clear_kind_sync() on a worker thread, with a deadline of
 * %RELAY_SECRETS_TIMEOUT_SECONDS; finish with relay_secrets_clear_finish().
 *
 * Used error codes: as relay_secrets_clear_async().
 */
void
relay_secrets_clear_kind_async (const char          *account_id,
                                RelaySecretKind      kind,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  SecretCall *call;

  g_return_if_fail (account_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = secret_call_new (CALL_CLEAR, account_id, kind);
  call->one_kind = TRUE;
  run_call (call, relay_secrets_clear_kind_async, cancellable, callback, user_data);
}
