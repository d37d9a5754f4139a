/* relay-account-store.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-account-store"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "relay-account-store-private.h"
#include "relay-file-private.h"
#include "relay-json-private.h"
#include "relay-provider.h"
#include "relay-validate.h"

#define STORE_VERSION 1
/* a few accounts take a few KiB; this is far more than any */
#define MAX_FILE_SIZE (1024 * 1024)
#define UUID_LENGTH 36

G_DEFINE_QUARK (relay-account-store-error-quark, relay_account_store_error)

struct _RelayAccountStore
{
  GObject     parent_instance;

  char       *path;
  GListStore *accounts;
  /* the default account's; NULL or an id no account has: the first one */
  char       *default_id;
  char       *corrupt_path;
  char       *corrupt_reason;
  GStrv       corrupt_ids;
  /* the last load found a newer version's file: saving would lose it */
  GError     *newer;
};

G_DEFINE_FINAL_TYPE (RelayAccountStore, relay_account_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_CORRUPT_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
default_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "mail-relay", "accounts.json", NULL);
}

static void
relay_account_store_finalize (GObject *object)
{
  RelayAccountStore *self = (RelayAccountStore *)object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->default_id, g_free);
  g_clear_pointer (&self->corrupt_path, g_free);
  g_clear_pointer (&self->corrupt_reason, g_free);
  g_clear_pointer (&self->corrupt_ids, g_strfreev);
  g_clear_error (&self->newer);
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
        self->path = default_path ();
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

/* The account of @accounts (but @except) called @name, whatever the case */
static RelayAccount *
find_name (GPtrArray    *accounts,
           const char   *name,
           RelayAccount *except)
{
  g_autofree char *folded = g_utf8_casefold (name, -1);

  for (guint i = 0; i < accounts->len; i++)
    {
      RelayAccount *account = g_ptr_array_index (accounts, i);
      g_autofree char *other = NULL;

      if (except != NULL &&
          (account == except || g_str_equal (relay_account_get_id (account), relay_account_get_id (except))))
        continue;
      other = g_utf8_casefold (relay_account_get_name (account), -1);
      if (g_str_equal (folded, other))
        return account;
    }

  return NULL;
}

/* @account's own name, or what it is known by (its sender address, its
 * provider), made unique among @accounts (but @except, the account it
 * replaces) with “ 2”, “ 3”… */
static char *
unique_name (GPtrArray    *accounts,
             RelayAccount *account,
             RelayAccount *except)
{
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
  const char *candidates[] = {
    relay_account_get_name (account),
    relay_account_get_from (account),
    provider != NULL ? relay_provider_get_name (provider) : "",
    _("Account"),
  };
  g_autofree char *base = NULL;
  char *name;

  /* the first that makes a valid name, as it reads back */
  for (guint i = 0; base == NULL && i < G_N_ELEMENTS (candidates); i++)
    {
      g_autofree char *cut = NULL;

      if (!g_utf8_validate (candidates[i], -1, NULL))
        continue;
      /* room for the number */
      cut = g_utf8_strlen (candidates[i], -1) > RELAY_ACCOUNT_STORE_NAME_BASE
            ? g_utf8_substring (candidates[i], 0, RELAY_ACCOUNT_STORE_NAME_BASE)
            : g_strdup (candidates[i]);
      base = relay_validate_account_name (cut, NULL);
    }
  g_assert (base != NULL);

  name = g_strdup (base);
  for (guint n = 2; find_name (accounts, name, except) != NULL; n++)
    {
      g_free (name);
      name = g_strdup_printf ("%s %u", base, n);
    }

  return name;
}

/**
 * relay_account_store_parse:
 * @accounts: (element-type RelayAccount): where the accounts are added
 * @default_id: (out) (optional) (nullable): the default account's id, or
 *   %NULL when the file names none (an older version's: the first one)
 *
 * What relay_account_store_load() makes of the file's contents, without
 * the file: the loader's whole reading of accounts.json. An account
 * without a name (an older version's), or with the name of one before
 * it, is given one of its own (see relay_account_store_put()).
 */
gboolean
relay_account_store_parse (const char  *contents,
                           gsize        length,
                           GPtrArray   *accounts,
                           char       **default_id,
                           GError     **error)
{
  const char *chosen = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *array;
  JsonNode *node;

  if (!relay_json_check_depth (contents, length, RELAY_ACCOUNT_STORE_MAX_DEPTH, error))
    return FALSE;

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
  if (node != NULL && json_node_get_value_type (node) == G_TYPE_INT64 &&
      json_node_get_int (node) > STORE_VERSION)
    {
      g_set_error (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_NEWER,
                   "the file is version %" G_GINT64_FORMAT ", from a newer Mail Relay; this one reads version %d",
                   json_node_get_int (node), STORE_VERSION);
      return FALSE;
    }
  if (node == NULL || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) != STORE_VERSION)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "the file is not version %d", STORE_VERSION);
      return FALSE;
    }

  node = json_object_get_member (root, "default");
  if (node != NULL && (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING ||
                       !g_uuid_string_is_valid (json_node_get_string (node))))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           "“default” is not an account id");
      return FALSE;
    }
  if (node != NULL)
    chosen = json_node_get_string (node);

  if (!relay_json_read_list (root, "accounts", TRUE, &array, error))
    return FALSE;
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

      if (relay_account_get_name (account)[0] == '\0' ||
          find_name (accounts, relay_account_get_name (account), NULL) != NULL)
        {
          /* (a hand-edited file may give one id twice: each is an account) */
          g_autofree char *name = unique_name (accounts, account, NULL);

          relay_account_set_name (account, name);
        }
      g_ptr_array_add (accounts, account);
    }

  if (default_id != NULL)
    *default_id = g_strdup (chosen);
  return TRUE;
}

/* Mail Relay's config folder is kept private (or refused); a folder a
 * caller named may be a shared one, and is only made when missing */
static gboolean
own_folder (RelayAccountStore *self)
{
  g_autofree char *path = default_path ();

  return g_str_equal (self->path, path);
}

static gboolean
set_mkdir_error (const char  *dir,
                 GError     **error)
{
  int saved_errno = errno;

  g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
               "Could not create “%s”: %s", dir, g_strerror (saved_errno));
  return FALSE;
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

/* The account ids in a file that could not be read (a UUID wherever it
 * stands): their secrets stay in the keyring, and the user is told whose */
static GStrv
find_ids (const char *contents,
          gsize       length)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  for (gsize i = 0; i + UUID_LENGTH <= length && seen->len < 16; i++)
    {
      g_autofree char *candidate = NULL;

      if (contents[i + 8] != '-' || contents[i + 13] != '-' || contents[i + 18] != '-' ||
          contents[i + 23] != '-')
        continue;

      candidate = g_ascii_strdown (contents + i, UUID_LENGTH);
      if (!g_uuid_string_is_valid (candidate) ||
          g_ptr_array_find_with_equal_func (seen, candidate, g_str_equal, NULL))
        continue;

      g_strv_builder_add (builder, candidate);
      g_ptr_array_add (seen, g_steal_pointer (&candidate));
      i += UUID_LENGTH - 1;
    }

  return g_strv_builder_end (builder);
}

/* At most MAX_FILE_SIZE + 1 bytes of @fd: one more tells that it is too large */
static gboolean
read_capped (int          fd,
             const char  *path,
             char       **contents,
             gsize       *length,
             GError     **error)
{
  g_autofree char *buffer = g_malloc (MAX_FILE_SIZE + 2);
  gsize got = 0;

  while (got < MAX_FILE_SIZE + 1)
    {
      gssize n = read (fd, buffer + got, MAX_FILE_SIZE + 1 - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved_errno = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Could not read %s: %s"), path, g_strerror (saved_errno));
          return FALSE;
        }
      if (n == 0)
        break;
      got += n;
    }

  buffer[got] = '\0';
  *contents = g_steal_pointer (&buffer);
  *length = got;
  return TRUE;
}

/**
 * relay_account_store_load:
 *
 * Reads the accounts. A file that cannot be read as accounts is moved to
 * `accounts.json.corrupt-TIMESTAMP` and the store starts empty; see
 * relay_account_store_get_corrupt_path(). The keyring keeps the secrets
 * of the accounts in it (relay_account_store_get_corrupt_ids()).
 *
 * Fails, and moves nothing, when the file could not be read or moved
 * aside; when it is a symbolic link, not a regular file, or belongs to
 * another user, or its folder does (an open folder is closed to others);
 * and when it is from a newer Mail Relay (%RELAY_ACCOUNT_STORE_ERROR_NEWER).
 *
 * Used error codes: %G_FILE_ERROR (the file or its folder could not be read, is not a regular file
 *   or belongs to another user), %G_IO_ERROR (the file could not be moved aside),
 *   %RELAY_ACCOUNT_STORE_ERROR_NEWER.
 */
gboolean
relay_account_store_load (RelayAccountStore  *self,
                          GError            **error)
{
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *default_id = NULL;
  g_autofree char *dir = NULL;
  gsize length = 0;
  int fd;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), FALSE);

  dir = g_path_get_dirname (self->path);
  if (own_folder (self) && !relay_file_check_private_dir (dir, error))
    return FALSE;

  fd = relay_file_open_own (self->path, O_RDONLY, 0, &local_error);
  if (fd < 0)
    {
      if (errno == ENOENT)
        {
          /* a newer version's file the user moved away no longer holds saving */
          g_clear_error (&self->newer);
          g_list_store_remove_all (self->accounts);
          g_clear_pointer (&self->default_id, g_free);
          return TRUE;
        }

      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!read_capped (fd, self->path, &contents, &length, error))
    {
      close (fd);
      return FALSE;
    }
  close (fd);

  if (length > MAX_FILE_SIZE)
    g_set_error (&local_error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                 "the file is larger than %d bytes", MAX_FILE_SIZE);
  else
    relay_account_store_parse (contents, length, accounts, &default_id, &local_error);

  /* what a newer version wrote is its, not damaged: left as it is */
  if (g_error_matches (local_error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_NEWER))
    {
      g_clear_error (&self->newer);
      g_set_error (&self->newer, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_NEWER,
                   _("%s was written by a newer version of Mail Relay (%s). It is left as it is: use that version, or move the file away yourself to start again."),
                   self->path, local_error->message);
      g_propagate_error (error, g_error_copy (self->newer));
      return FALSE;
    }
  g_clear_error (&self->newer);

  if (local_error != NULL)
    {
      g_autofree char *moved = move_aside (self->path, error);

      if (moved == NULL)
        return FALSE;

      g_free (self->corrupt_reason);
      self->corrupt_reason = g_strdup (local_error->message);
      g_strfreev (self->corrupt_ids);
      self->corrupt_ids = find_ids (contents, length);
      g_free (self->corrupt_path);
      self->corrupt_path = g_steal_pointer (&moved);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CORRUPT_PATH]);
      g_ptr_array_set_size (accounts, 0);
      g_clear_pointer (&default_id, g_free);
    }

  g_free (self->default_id);
  self->default_id = g_steal_pointer (&default_id);

  g_list_store_splice (self->accounts, 0,
                       g_list_model_get_n_items (G_LIST_MODEL (self->accounts)),
                       accounts->pdata, accounts->len);

  return TRUE;
}

/**
 * relay_account_store_save:
 *
 * Writes the accounts atomically and durably, readable only by the user.
 * Refuses (%RELAY_ACCOUNT_STORE_ERROR_NEWER) while the file the last load
 * found is from a newer Mail Relay: that file is never overwritten.
 *
 * Used error codes: %RELAY_ACCOUNT_STORE_ERROR_NEWER, %G_FILE_ERROR (the folder could not be made
 *   private or the file written).
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

  if (self->newer != NULL)
    {
      g_propagate_error (error, g_error_copy (self->newer));
      return FALSE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_int_value (builder, STORE_VERSION);
  /* older versions read no “default”: theirs is the first account */
  if (relay_account_store_get_default (self) != NULL)
    relay_json_add_string_member (builder, "default",
                                  relay_account_get_id (relay_account_store_get_default (self)));
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
  if (own_folder (self) ? !relay_file_ensure_private_dir (dir, error)
                        : g_mkdir_with_parents (dir, 0700) != 0 && !set_mkdir_error (dir, error))
    return FALSE;

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
 * Returns: (transfer none) (nullable): the default account: the one
 *   mail goes through when nothing chooses another, and the one the
 *   commands without `--account` work on. It is the first account when
 *   the file names none (an older version's). %NULL only when there is
 *   no account.
 */
RelayAccount *
relay_account_store_get_default (RelayAccountStore *self)
{
  g_autoptr(RelayAccount) first = NULL;
  RelayAccount *chosen;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);

  if (self->default_id != NULL && (chosen = relay_account_store_lookup (self, self->default_id)) != NULL)
    return chosen;

  /* the store keeps its own reference */
  first = g_list_model_get_item (G_LIST_MODEL (self->accounts), 0);
  return first;
}

/**
 * relay_account_store_set_default:
 * @id: the id of an account of the store
 *
 * Makes the account with @id the default one (saved with the store).
 *
 * Returns: %FALSE when no account has @id
 */
gboolean
relay_account_store_set_default (RelayAccountStore *self,
                                 const char        *id)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (relay_account_store_lookup (self, id) == NULL)
    return FALSE;

  g_free (self->default_id);
  self->default_id = g_strdup (id);
  return TRUE;
}

/* The store's accounts, in an array of their own (references) */
static GPtrArray *
list_accounts (RelayAccountStore *self)
{
  GPtrArray *accounts = g_ptr_array_new_with_free_func (g_object_unref);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->accounts));

  for (guint i = 0; i < n_items; i++)
    g_ptr_array_add (accounts, g_list_model_get_item (G_LIST_MODEL (self->accounts), i));

  return accounts;
}

/**
 * relay_account_store_find:
 * @name_or_id: an account's id, or its name (whatever the case)
 *
 * How a person names an account: `--account NAME|ID`.
 *
 * Returns: (transfer none) (nullable): the account, or %NULL
 */
RelayAccount *
relay_account_store_find (RelayAccountStore *self,
                          const char        *name_or_id)
{
  g_autoptr(GPtrArray) accounts = NULL;
  RelayAccount *account;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (name_or_id != NULL, NULL);

  if (g_uuid_string_is_valid (name_or_id))
    {
      g_autofree char *id = g_ascii_strdown (name_or_id, -1);

      if ((account = relay_account_store_lookup (self, id)) != NULL)
        return account;
    }

  accounts = list_accounts (self);
  account = find_name (accounts, name_or_id, NULL);
  /* the store keeps its own reference */
  return account;
}

/**
 * relay_account_store_check_name:
 * @name: a name typed for an account
 * @account: (nullable): the account being named, if it is in the store
 *
 * Returns: (transfer full) (nullable): the name as it is kept, or %NULL
 *   when it is not valid or another account has it
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_NAME (the message names the field).
 */
char *
relay_account_store_check_name (RelayAccountStore  *self,
                                const char         *name,
                                RelayAccount       *account,
                                GError            **error)
{
  g_autoptr(GPtrArray) accounts = NULL;
  g_autofree char *checked = NULL;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!(checked = relay_validate_account_name (name, error)))
    return NULL;

  accounts = list_accounts (self);
  if (find_name (accounts, checked, account) != NULL)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME,
                   _("Name: another account is already called “%s”"), checked);
      return NULL;
    }

  return g_steal_pointer (&checked);
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
 * relay_account_store_suggest_name:
 * @account: an account not yet in the store, or one in it
 *
 * The name relay_account_store_put() would give @account: its own when
 * no other account has it, else its own (or its sender address, or its
 * provider's name) with “ 2”, “ 3”…; for a form to show before saving.
 *
 * Returns: (transfer full): a valid name no other account has
 */
char *
relay_account_store_suggest_name (RelayAccountStore *self,
                                  RelayAccount      *account)
{
  g_autoptr(GPtrArray) accounts = NULL;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);

  accounts = list_accounts (self);
  if (relay_account_get_name (account)[0] != '\0' &&
      find_name (accounts, relay_account_get_name (account), account) == NULL)
    return g_strdup (relay_account_get_name (account));

  return unique_name (accounts, account, account);
}

/**
 * relay_account_store_put:
 *
 * Adds @account, or replaces the account with the same id in place. An
 * account without a name, or with the name of another, is given one of
 * its own (its sender address or its provider's name, with a number
 * when taken): check a typed name first (relay_account_store_check_name()).
 */
void
relay_account_store_put (RelayAccountStore *self,
                         RelayAccount      *account)
{
  g_autofree char *name = NULL;
  guint position;

  g_return_if_fail (RELAY_IS_ACCOUNT_STORE (self));
  g_return_if_fail (RELAY_IS_ACCOUNT (account));

  name = relay_account_store_suggest_name (self, account);
  if (!g_str_equal (name, relay_account_get_name (account)))
    relay_account_set_name (account, name);

  if (find_account (self, relay_account_get_id (account), &position))
    g_list_store_splice (self->accounts, position, 1, (gpointer *)&account, 1);
  else
    g_list_store_append (self->accounts, account);
}

/**
 * relay_account_store_remove:
 *
 * Removes the account with @id. When it was the default, the first
 * account left becomes the default (relay_account_store_get_default()
 * says which), or none when none is left.
 *
 * Returns: %FALSE when no account has @id
 */
gboolean
relay_account_store_remove (RelayAccountStore *self,
                            const char        *id)
{
  RelayAccount *before;
  guint position;

  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!find_account (self, id, &position))
    return FALSE;

  before = relay_account_store_get_default (self);
  if (before != NULL && g_str_equal (relay_account_get_id (before), id))
    g_clear_pointer (&self->default_id, g_free);
  else if (before != NULL && self->default_id == NULL)
    /* the first one stays the default when it is not the one removed */
    self->default_id = g_strdup (relay_account_get_id (before));

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

/**
 * relay_account_store_get_corrupt_ids:
 *
 * The keyring keeps the passwords and tokens of these accounts after
 * their file was moved aside: putting the file back brings them back,
 * and `mail-relay-cli account delete --id` removes them.
 *
 * Returns: (nullable) (transfer none): the ids of the accounts that
 *   the file the last load moved aside names, or %NULL
 */
const char * const *
relay_account_store_get_corrupt_ids (RelayAccountStore *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT_STORE (self), NULL);

  return (const char * const *)self->corrupt_ids;
}
