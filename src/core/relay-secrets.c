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

/* A task for one of the calls below, which have no source object */
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

/* The result of a store or a clear: TRUE, or an error */
static gboolean
finish_boolean (GAsyncResult  *result,
                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* libsecret's answer to a store or a clear */
static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (g_task_get_source_tag (task) == relay_secrets_store_async)
    secret_password_store_finish (result, &error);
  else
    secret_password_clear_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, map_error (error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * relay_secrets_store_async:
 * @description: names the account in the item's label, e.g. the user name
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
  g_autofree char *label = NULL;

  g_return_if_fail (account_id != NULL);
  g_return_if_fail (secret != NULL);

  label = make_label (kind, description ? description : account_id);
  secret_password_store (relay_secrets_get_schema (), SECRET_COLLECTION_DEFAULT, label, secret,
                         cancellable, done_cb,
                         new_task (relay_secrets_store_async, cancellable, callback, user_data),
                         "account", account_id,
                         "kind", relay_secret_kind_to_string (kind),
                         NULL);
}

/**
 * relay_secrets_store_finish:
 *
 * Finishes relay_secrets_store_async().
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring answered, whatever libsecret
 *   said), %G_IO_ERROR_CANCELLED.
 */
gboolean
relay_secrets_store_finish (GAsyncResult  *result,
                            GError       **error)
{
  return finish_boolean (result, error);
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

void
relay_secrets_lookup_async (const char          *account_id,
                            RelaySecretKind      kind,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (account_id != NULL);

  secret_password_lookup (relay_secrets_get_schema (), cancellable, lookup_cb,
                          new_task (relay_secrets_lookup_async, cancellable, callback, user_data),
                          "account", account_id,
                          "kind", relay_secret_kind_to_string (kind),
                          NULL);
}

/**
 * relay_secrets_lookup_finish:
 *
 * Returns: (transfer full) (nullable): the secret, to be freed with
 *   secret_password_free(), or %NULL without an error when none is stored
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring answered, whatever libsecret
 *   said), %G_IO_ERROR_CANCELLED.
 */
char *
relay_secrets_lookup_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * relay_secrets_clear_async:
 *
 * Removes every secret of the account, of every kind.
 */
void
relay_secrets_clear_async (const char          *account_id,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (account_id != NULL);

  secret_password_clear (relay_secrets_get_schema (), cancellable, done_cb,
                         new_task (relay_secrets_clear_async, cancellable, callback, user_data),
                         "account", account_id,
                         NULL);
}

/**
 * relay_secrets_clear_kind_async:
 *
 * Removes the account's secret of one kind; finish with
 * relay_secrets_clear_finish().
 */
void
relay_secrets_clear_kind_async (const char          *account_id,
                                RelaySecretKind      kind,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (account_id != NULL);

  secret_password_clear (relay_secrets_get_schema (), cancellable, done_cb,
                         new_task (relay_secrets_clear_kind_async, cancellable, callback, user_data),
                         "account", account_id,
                         "kind", relay_secret_kind_to_string (kind),
                         NULL);
}

/**
 * relay_secrets_clear_finish:
 *
 * Finishes relay_secrets_clear_async() and relay_secrets_clear_kind_async().
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring answered, whatever libsecret
 *   said), %G_IO_ERROR_CANCELLED.
 */
gboolean
relay_secrets_clear_finish (GAsyncResult  *result,
                            GError       **error)
{
  return finish_boolean (result, error);
}

/* The blocking forms serve the command-line tool, which has nothing else
 * to do meanwhile; they run the same calls in a private main context. */
typedef struct
{
  GMainContext *context;
  GAsyncResult *result;
} SyncData;

static void
sync_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SyncData *data = user_data;

  data->result = g_object_ref (result);
  g_main_context_wakeup (data->context);
}

/* Before the call: its callback (sync_cb) will come in a context of its own */
static void
sync_begin (SyncData *data)
{
  data->context = g_main_context_new ();
  data->result = NULL;
  g_main_context_push_thread_default (data->context);
}

/* After the call: its result, once it has come */
static GAsyncResult *
sync_end (SyncData *data)
{
  while (data->result == NULL)
    g_main_context_iteration (data->context, TRUE);
  /* what libsecret queued behind its callback would die with the context */
  while (g_main_context_iteration (data->context, FALSE))
    ;
  g_main_context_pop_thread_default (data->context);
  g_main_context_unref (data->context);

  return data->result;
}

/**
 * relay_secrets_store_sync:
 *
 * The blocking form of relay_secrets_store_async().
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
  SyncData data;

  sync_begin (&data);
  relay_secrets_store_async (account_id, kind, description, secret, cancellable, sync_cb, &data);
  result = sync_end (&data);

  return relay_secrets_store_finish (result, error);
}

/**
 * relay_secrets_lookup_sync:
 *
 * The blocking form of relay_secrets_lookup_async().
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
  SyncData data;

  sync_begin (&data);
  relay_secrets_lookup_async (account_id, kind, cancellable, sync_cb, &data);
  result = sync_end (&data);

  return relay_secrets_lookup_finish (result, error);
}

/**
 * relay_secrets_clear_sync:
 *
 * The blocking form of relay_secrets_clear_async().
 *
 * Used error codes: %RELAY_SECRETS_ERROR_UNAVAILABLE (no keyring answered, whatever libsecret
 *   said), %G_IO_ERROR_CANCELLED.
 */
gboolean
relay_secrets_clear_sync (const char    *account_id,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  SyncData data;

  sync_begin (&data);
  relay_secrets_clear_async (account_id, cancellable, sync_cb, &data);
  result = sync_end (&data);

  return relay_secrets_clear_finish (result, error);
}

/**
 * relay_secrets_clear_kind_sync:
 *
 * The blocking form of relay_secrets_clear_kind_async().
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
  g_autoptr(GAsyncResult) result = NULL;
  SyncData data;

  sync_begin (&data);
  relay_secrets_clear_kind_async (account_id, kind, cancellable, sync_cb, &data);
  result = sync_end (&data);

  return relay_secrets_clear_finish (result, error);
}
