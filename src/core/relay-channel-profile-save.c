/* relay-channel-profile-save.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* Saving the account made from a channel profile, for the command line
 * and the window alike: the keyring first, then the CA file, then
 * accounts.json, each earlier step taken back when a later one fails, so
 * that an account is made whole or not at all. */

#define G_LOG_DOMAIN "relay-channel-profile"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "relay-channel-profile.h"
#include "relay-secrets.h"

static const char *
secret_description (RelayAccount *account)
{
  return relay_account_get_username (account)[0] ? relay_account_get_username (account)
                                                 : relay_account_get_host (account);
}

/* After the keyring: the CA file and accounts.json; the CA file taken
 * back when accounts.json cannot be written. The caller takes back the
 * keyring item. */
static char *
save_files (RelayChannelProfile  *self,
            RelayAccountStore    *store,
            RelayAccount         *account,
            GError              **error)
{
  const char *id = relay_account_get_id (account);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *ca_file = relay_channel_profile_write_ca_file (self, id, &local_error);

  if (local_error == NULL && ca_file != NULL)
    relay_account_set_ca_file (account, ca_file);

  if (local_error == NULL)
    {
      relay_account_store_put (store, account);
      if (!relay_account_store_save (store, &local_error))
        relay_account_store_remove (store, id);
    }

  if (local_error != NULL)
    {
      if (ca_file != NULL)
        g_unlink (ca_file);
      g_set_error (error, local_error->domain, local_error->code, _("could not save the account: %s"),
                   local_error->message);
      return NULL;
    }

  /* "" when the profile has no CA certificate */
  return ca_file ? g_steal_pointer (&ca_file) : g_strdup ("");
}

/**
 * relay_channel_profile_save_account:
 * @store: the accounts the new one joins
 * @account: the account made by relay_channel_profile_create_account(),
 *   checked
 * @secret: (nullable): its password (the profile's, opened, or the
 *   person's own), for the keyring
 * @ca_file: (out) (optional) (transfer full): where the profile's CA
 *   certificate was written, %NULL when it has none
 *
 * Saves @account made from the profile: @secret to the keyring, the CA
 * certificate to a file of its own, then @account into @store and
 * accounts.json. When a step fails the earlier ones are taken back:
 * nothing of the account stays.
 *
 * Used error codes: those of relay_secrets_store_sync(), of
 * #G_FILE_ERROR and of relay_account_store_save().
 *
 * Returns: %TRUE when everything is saved
 */
gboolean
relay_channel_profile_save_account (RelayChannelProfile  *self,
                                    RelayAccountStore    *store,
                                    RelayAccount         *account,
                                    const char           *secret,
                                    char                **ca_file,
                                    GError              **error)
{
  const char *id;
  g_autofree char *written = NULL;

  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), FALSE);
  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (store), FALSE);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), FALSE);

  id = relay_account_get_id (account);
  if (secret != NULL &&
      !relay_secrets_store_sync (id, RELAY_SECRET_PASSWORD, secret_description (account), secret, NULL, error))
    return FALSE;

  if (!(written = save_files (self, store, account, error)))
    {
      if (secret != NULL)
        relay_secrets_clear_sync (id, NULL, NULL);
      return FALSE;
    }

  if (ca_file != NULL)
    *ca_file = written[0] ? g_steal_pointer (&written) : NULL;

  return TRUE;
}

typedef struct
{
  RelayAccountStore *store;
  RelayAccount      *account;
  char              *ca_file;
  GError            *error;
} SaveData;

static void
save_data_free (SaveData *data)
{
  g_clear_object (&data->store);
  g_clear_object (&data->account);
  g_free (data->ca_file);
  g_clear_error (&data->error);
  g_free (data);
}

static void
cleared_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SaveData *data = g_task_get_task_data (task);

  /* the keyring item is gone (or was never there): the save's own error */
  relay_secrets_clear_finish (result, NULL);
  g_task_return_error (task, g_steal_pointer (&data->error));
}

static void
stored_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RelayChannelProfile *self = g_task_get_source_object (task);
  SaveData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (result != NULL && !relay_secrets_store_finish (result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!(data->ca_file = save_files (self, data->store, data->account, &data->error)))
    {
      if (result != NULL)
        relay_secrets_clear_async (relay_account_get_id (data->account), NULL, cleared_cb, g_steal_pointer (&task));
      else
        g_task_return_error (task, g_steal_pointer (&data->error));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * relay_channel_profile_save_account_async:
 *
 * relay_channel_profile_save_account() without blocking on the keyring:
 * the same steps in the same order, each taken back when a later one
 * fails. The CA file and accounts.json are written on the calling thread
 * (the store is not shared with a worker).
 */
void
relay_channel_profile_save_account_async (RelayChannelProfile *self,
                                          RelayAccountStore   *store,
                                          RelayAccount        *account,
                                          const char          *secret,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SaveData *data;

  g_return_if_fail (RELAY_IS_CHANNEL_PROFILE (self));
  g_return_if_fail (RELAY_IS_ACCOUNT_STORE (store));
  g_return_if_fail (RELAY_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_channel_profile_save_account_async);
  data = g_new0 (SaveData, 1);
  data->store = g_object_ref (store);
  data->account = g_object_ref (account);
  g_task_set_task_data (task, data, (GDestroyNotify)save_data_free);

  if (secret == NULL)
    {
      stored_cb (NULL, NULL, g_steal_pointer (&task));
      return;
    }

  relay_secrets_store_async (relay_account_get_id (account), RELAY_SECRET_PASSWORD, secret_description (account),
                             secret, cancellable, stored_cb, g_steal_pointer (&task));
}

/**
 * relay_channel_profile_save_account_finish:
 * @ca_file: (out) (optional) (transfer full): as for
 *   relay_channel_profile_save_account()
 *
 * Returns: %TRUE when everything is saved
 */
gboolean
relay_channel_profile_save_account_finish (RelayChannelProfile  *self,
                                           GAsyncResult         *result,
                                           char                **ca_file,
                                           GError              **error)
{
  SaveData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  data = g_task_get_task_data (G_TASK (result));
  if (ca_file != NULL)
    *ca_file = data->ca_file[0] ? g_strdup (data->ca_file) : NULL;

  return TRUE;
}
