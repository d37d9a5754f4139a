/* relay-account-store.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-account-store"

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "relay-account-store-private.h"

#define STORE_VERSION 1
#define MAX_FILE_SIZE (4 * 1024 * 1024)

struct _RelayAccountStore
{
  GObject     parent_instance;

  char       *path;
  GListStore *accounts;
  char       *corrupt_path;
  char       *corrupt_reason;
};

G_DEFINE_FINAL_TYPE (RelayAccountStore, relay_account_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_CORRUPT_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
relay_account_store_finalize (GObject *object)
{
  RelayAccountStore *self = (RelayAccountStore *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->corrupt_path, g_free);
  g_clear_pointer (&self->corrupt_reason, g_free);
  g_clear_object (&self->accounts);

  G_OBJECT_CLASS (relay_account_store_parent_class)->finalize (object);
}

static void
relay_account_store_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  RelayAccountStore *self = RELAY_ACCOUNT_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_CORRUPT_PATH:
      g_value_set_string (value, self->corrupt_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_account_store_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  RelayAccountStore *self = RELAY_ACCOUNT_STORE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      if (self->path == NULL)
        self->path = g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_account_store_class_init (RelayAccountStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = relay_account_store_finalize;
  object_class->get_property = relay_account_store_get_property;
  object_class->set_property = relay_account_store_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CORRUPT_PATH] =
    g_param_spec_string ("corrupt-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
relay_account_store_init (RelayAccountStore *self)
{
  self->accounts = g_list_store_new (RELAY_TYPE_ACCOUNT);
}

/**
 * relay_account_store_new:
 * @path: (nullable): the file, or %NULL for
 *   `$XDG_CONFIG_HOME/mail-relay/accounts.json`
 */
RelayAccountStore *
relay_account_store_new (const char *path)
{
  return g_object_new (RELAY_TYPE_ACCOUNT_STORE, "path", path, NULL);
}

const char *
relay_account_store_get_path (RelayAccountStore *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);

  return self->path;
}

/**
 * relay_account_store_parse:
 * @accounts: (element-type RelayAccount): where the accounts are added
 *
 * What relay_account_store_load() makes of the file's contents, without
 * the file: the loader's whole reading of accounts.json.
 */
gboolean
relay_account_store_parse (const char  *contents,
                           gsize        length,
                           GPtrArray   *accounts,
                           GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *array;
  JsonNode *node;

  if (!json_parser_load_from_data (parser, contents, length, error))
    return FALSE;

  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           "the file does not hold a JSON object");
      return FALSE;
    }

  root = json_node_get_object (node);
  /* not json_object_get_int_member_with_default(): a list or an object
   * there is a critical warning (found by fuzz/fuzz-accounts) */
  node = json_object_get_member (root, "version");
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) != STORE_VERSION)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "the file is not version %d", STORE_VERSION);
      return FALSE;
    }

  node = json_object_get_member (root, "accounts");
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           "“accounts” is not a list");
      return FALSE;
    }

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      RelayAccount *account;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                               "an account is not an object");
          return FALSE;
        }

      account = relay_account_new_from_json (json_node_get_object (element), error);
      if (account == NULL)
        return FALSE;

      g_ptr_array_add (accounts, account);
    }

  return TRUE;
}

/* Keeps what could not be read, under a name that says when, so that a
 * later save cannot overwrite it. */
static char *
move_aside (const char  *path,
            GError     **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");

  for (guint n = 0; n < 1000; n++)
    {
      g_autofree char *target = NULL;

      target = n == 0 ? g_strdup_printf ("%s.corrupt-%s", path, stamp)
                      : g_strdup_printf ("%s.corrupt-%s-%u", path, stamp, n);

      if (g_file_test (target, G_FILE_TEST_EXISTS))
        continue;

      if (g_rename (path, target) != 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       "Could not move “%s” aside: %s", path, g_strerror (saved_errno));
          return NULL;
        }

      return g_steal_pointer (&target);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "Could not move “%s” aside", path);
  return NULL;
}

/**
 * relay_account_store_load:
 *
 * Reads the accounts. A file that cannot be read as accounts is moved to
 * `accounts.json.corrupt-TIMESTAMP` and the store starts empty; see
 * relay_account_store_get_corrupt_path(). Fails only when the file could
 * not be read or moved aside.
 */
gboolean
relay_account_store_load (RelayAccountStore  *self,
                          GError            **error)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), FALSE);

  if (!g_file_get_contents (self->path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_list_store_remove_all (self->accounts);
          return TRUE;
        }

      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (length > MAX_FILE_SIZE)
    g_set_error_literal (&local_error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "the file is too large");
  else
    relay_account_store_parse (contents, length, accounts, &local_error);

  if (local_error != NULL)
    {
      g_autofree char *moved = move_aside (self->path, error);

      if (moved == NULL)
        return FALSE;

      g_free (self->corrupt_reason);
      self->corrupt_reason = g_strdup (local_error->message);
      g_free (self->corrupt_path);
      self->corrupt_path = g_steal_pointer (&moved);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CORRUPT_PATH]);
      g_ptr_array_set_size (accounts, 0);
    }

  g_list_store_splice (self->accounts, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->accounts)),
                       accounts->pdata, accounts->len);

  return TRUE;
}

/**
 * relay_account_store_save:
 *
 * Writes the accounts atomically and durably, readable only by the user.
 */
gboolean
relay_account_store_save (RelayAccountStore  *self,
                          GError            **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  guint n_items;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), FALSE);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, STORE_VERSION);
  json_builder_set_member_name (builder, "accounts");
  json_builder_begin_array (builder);

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (G_LIST_MODEL (self->accounts), i);

      json_builder_add_value (builder, relay_account_to_json (account));
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  contents = json_generator_to_data (generator, &length);

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Could not create “%s”: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  return g_file_set_contents_full (self->path, contents, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

/**
 * relay_account_store_get_accounts:
 *
 * Returns: (transfer none): a #GListModel of #RelayAccount
 */
GListModel *
relay_account_store_get_accounts (RelayAccountStore *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);

  return G_LIST_MODEL (self->accounts);
}

/**
 * relay_account_store_get_default:
 *
 * Returns: (transfer none) (nullable): the account that mail goes
 *   through: the first one
 */
RelayAccount *
relay_account_store_get_default (RelayAccountStore *self)
{
  g_autoptr(RelayAccount) account = NULL;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);

  account = g_list_model_get_item (G_LIST_MODEL (self->accounts), 0);
  return account;
}

static gboolean
find_account (RelayAccountStore *self,
              const char        *id,
              guint             *position)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(RelayAccount) account = g_list_model_get_item (G_LIST_MODEL (self->accounts), i);

      if (g_strcmp0 (relay_account_get_id (account), id) == 0)
        {
          *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

/**
 * relay_account_store_lookup:
 *
 * Returns: (transfer none) (nullable): the account with @id
 */
RelayAccount *
relay_account_store_lookup (RelayAccountStore *self,
                            const char        *id)
{
  g_autoptr(RelayAccount) account = NULL;
  guint position;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  if (!find_account (self, id, &position))
    return NULL;

  /* the store keeps its own reference */
  account = g_list_model_get_item (G_LIST_MODEL (self->accounts), position);
  return account;
}

/**
 * relay_account_store_put:
 *
 * Adds @account, or replaces the account with the same id in place.
 */
void
relay_account_store_put (RelayAccountStore *self,
                         RelayAccount      *account)
{
  guint position;

  g_return_if_fail (RELAY_IS_ACCOUNT_STORE (self));
  g_return_if_fail (RELAY_IS_ACCOUNT (account));

  if (find_account (self, relay_account_get_id (account), &position))
    g_list_store_splice (self->accounts, position, 1, (gpointer *)&account, 1);
  else
    g_list_store_append (self->accounts, account);
}

gboolean
relay_account_store_remove (RelayAccountStore *self,
                            const char        *id)
{
  guint position;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!find_account (self, id, &position))
    return FALSE;

  g_list_store_remove (self->accounts, position);
  return TRUE;
}

/**
 * relay_account_store_get_corrupt_path:
 *
 * Returns: (nullable): where the last load moved an unreadable file
 */
const char *
relay_account_store_get_corrupt_path (RelayAccountStore *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);

  return self->corrupt_path;
}

const char *
relay_account_store_get_corrupt_reason (RelayAccountStore *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);

  return self->corrupt_reason;
}
