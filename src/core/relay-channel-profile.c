/* relay-channel-profile.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* RelayChannelProfile: an account's settings as a team shares them, made
 * from an account and made back into a new one, and its JSON form,
 * written and read back with the whole document checked before anything
 * is used (docs/channel-profiles.md). */

#define G_LOG_DOMAIN "relay-channel-profile"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-channel-profile-private.h"
#include "relay-enum-types.h"
#include "relay-file-private.h"
#include "relay-json-private.h"
#include "relay-provider.h"
#include "relay-validate.h"

/* the document nests three deep (the root, "pins", its "sha256") */
#define MAX_DEPTH 8

G_DEFINE_QUARK (relay-channel-profile-error-quark, relay_channel_profile_error)

G_DEFINE_FINAL_TYPE (RelayChannelProfile, relay_channel_profile, G_TYPE_OBJECT)

static void
set_str (char       **field,
         const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static void
relay_channel_profile_finalize (GObject *object)
{
  RelayChannelProfile *self = (RelayChannelProfile *)object;

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->provider, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->from, g_free);
  g_clear_pointer (&self->senders, g_strfreev);
  g_clear_pointer (&self->pins, g_strfreev);
  g_clear_pointer (&self->ca_pem, g_free);
  g_clear_pointer (&self->salt, g_bytes_unref);
  g_clear_pointer (&self->nonce, g_bytes_unref);
  g_clear_pointer (&self->ciphertext, g_bytes_unref);

  G_OBJECT_CLASS (relay_channel_profile_parent_class)->finalize (object);
}

static void
relay_channel_profile_class_init (RelayChannelProfileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = relay_channel_profile_finalize;
}

static void
relay_channel_profile_init (RelayChannelProfile *self)
{
  self->name = g_strdup ("");
  self->provider = g_strdup ("custom");
  self->host = g_strdup ("");
  self->username = g_strdup ("");
  self->from = g_strdup ("");
  self->senders = g_new0 (char *, 1);
  self->pins = g_new0 (char *, 1);
  self->ca_pem = g_strdup ("");
  self->port = 587;
  self->security = RELAY_SECURITY_STARTTLS;
  self->auth = RELAY_AUTH_METHOD_AUTO;
}

void
relay_channel_profile_set_field_error (GError     **error,
                                       const char  *member,
                                       const char  *format,
                                       ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  /* Translators: the first %s is a member of the file, e.g. “host”; the
   * second says what is wrong with it */
  g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
               _("“%s”: %s"), member, reason);
}

static gboolean
provider_is_shareable (const char *provider_id)
{
  RelayProvider *provider = relay_provider_lookup (provider_id);

  return provider != NULL && relay_provider_get_sharing (provider) == RELAY_SHARING_SHAREABLE;
}

/**
 * relay_channel_profile_new_from_account:
 *
 * The profile of @account: its server, security, sign-in method, sender,
 * limits, pins and CA certificate (read from its CA file), and its user
 * name only when the provider's credentials may be shared. No secret:
 * relay_channel_profile_set_secret() adds one.
 *
 * Used error codes: %RELAY_CHANNEL_PROFILE_ERROR_CA_FILE (its CA file
 *   cannot be read or holds no certificate; the message names the file).
 *
 * Returns: (transfer full) (nullable): the profile
 */
RelayChannelProfile *
relay_channel_profile_new_from_account (RelayAccount  *account,
                                        GError       **error)
{
  g_autoptr(RelayChannelProfile) self = NULL;
  const char *ca_file;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);

  self = g_object_new (RELAY_TYPE_CHANNEL_PROFILE, NULL);
  set_str (&self->name, relay_account_get_name (account));
  set_str (&self->provider, relay_account_get_provider (account));
  set_str (&self->host, relay_account_get_host (account));
  self->port = relay_account_get_port (account);
  self->security = relay_account_get_security (account);
  self->auth = relay_account_get_auth (account);
  if (provider_is_shareable (self->provider))
    set_str (&self->username, relay_account_get_username (account));
  set_str (&self->from, relay_account_get_from (account));
  g_strfreev (self->senders);
  self->senders = g_strdupv ((char **)relay_account_get_senders (account));
  self->max_messages = relay_account_get_max_messages (account);
  self->message_window = relay_account_get_message_window (account);
  self->max_recipients = relay_account_get_max_recipients (account);
  self->recipient_window = relay_account_get_recipient_window (account);
  self->allow_insecure = relay_account_get_allow_insecure (account);
  g_strfreev (self->pins);
  self->pins = g_strdupv ((char **)relay_account_get_pins (account));

  ca_file = relay_account_get_ca_file (account);
  if (ca_file[0] != '\0')
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *contents = NULL;
      gsize length = 0;
      char *pem = NULL;

      if (!g_file_get_contents (ca_file, &contents, &length, &local_error) ||
          length > RELAY_CHANNEL_PROFILE_MAX_PEM)
        {
          g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_CA_FILE,
                       _("CA file: %s could not be read (%s)"), ca_file,
                       local_error ? local_error->message : _("it is too large"));
          return NULL;
        }
      if (!(pem = relay_channel_profile_normalize_pem (contents, length, &local_error)))
        {
          g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_CA_FILE,
                       _("CA file: %s holds no PEM certificate that can be shared (%s)"), ca_file,
                       local_error->message);
          return NULL;
        }
      g_free (self->ca_pem);
      self->ca_pem = pem;
    }

  return g_steal_pointer (&self);
}

/**
 * relay_channel_profile_to_data:
 *
 * Returns: (transfer full): the profile as a JSON document, ending in a
 *   newline
 */
char *
relay_channel_profile_to_data (RelayChannelProfile *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  json_builder_begin_object (builder);
  relay_json_add_string_member (builder, "format", RELAY_CHANNEL_PROFILE_FORMAT);
  relay_json_add_int_member (builder, "version", RELAY_CHANNEL_PROFILE_VERSION);
  if (self->name[0] != '\0')
    relay_json_add_string_member (builder, "name", self->name);
  relay_json_add_string_member (builder, "provider", self->provider);
  relay_json_add_string_member (builder, "host", self->host);
  relay_json_add_int_member (builder, "port", self->port);
  relay_json_add_enum_member (builder, "security", RELAY_TYPE_SECURITY, self->security);
  relay_json_add_enum_member (builder, "auth", RELAY_TYPE_AUTH_METHOD, self->auth);
  relay_json_add_string_member (builder, "username", self->username);
  relay_json_add_string_member (builder, "from", self->from);
  relay_json_add_strv_member (builder, "senders", (const char * const *)self->senders);
  json_builder_set_member_name (builder, "limits");
  json_builder_begin_object (builder);
  relay_json_add_int_member (builder, "max_messages", self->max_messages);
  relay_json_add_int_member (builder, "message_window", self->message_window);
  relay_json_add_int_member (builder, "max_recipients", self->max_recipients);
  relay_json_add_int_member (builder, "recipient_window", self->recipient_window);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "allow_insecure");
  json_builder_add_boolean_value (builder, self->allow_insecure);
  if (self->pins[0] != NULL)
    {
      json_builder_set_member_name (builder, "pins");
      json_builder_begin_object (builder);
      relay_json_add_string_member (builder, "host", self->host);
      relay_json_add_int_member (builder, "port", self->port);
      relay_json_add_strv_member (builder, "sha256", (const char * const *)self->pins);
      json_builder_end_object (builder);
    }
  if (self->ca_pem[0] != '\0')
    relay_json_add_string_member (builder, "ca_certificate", self->ca_pem);
  if (self->ciphertext != NULL)
    {
      json_builder_set_member_name (builder, "secret");
      relay_channel_profile_write_secret (self, builder);
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);

  return g_strconcat (text, "\n", NULL);
}

/* The members a version 1 profile may hold; any other is refused, so
 * that a misspelt one is never silently dropped */
static const char * const known_members[] = {
  "format", "version", "name", "provider", "host", "port", "security", "auth", "username", "from",
  "senders", "limits", "allow_insecure", "pins", "ca_certificate", "secret", NULL
};

/**
 * relay_channel_profile_check_members:
 * @prefix: what names a member of @object in errors ("limits.")
 *
 * Refuses a member that @known does not have, naming it.
 */
gboolean
relay_channel_profile_check_members (JsonObject          *object,
                                     const char          *prefix,
                                     const char * const  *known,
                                     GError             **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known, l->data))
      {
        g_autofree char *name = g_strconcat (prefix, l->data, NULL);

        relay_channel_profile_set_field_error (error, name, _("not a member of a channel profile"));
        return FALSE;
      }

  return TRUE;
}

/* @member's node in *@node, %NULL when it is absent: an error then when
 * it is @required */
static gboolean
get_member (JsonObject  *object,
            const char  *member,
            const char  *name,
            gboolean     required,
            JsonNode   **node,
            GError     **error)
{
  *node = json_object_get_member (object, member);
  if (*node == NULL && required)
    {
      relay_channel_profile_set_field_error (error, name, _("missing"));
      return FALSE;
    }

  return TRUE;
}

/**
 * relay_channel_profile_read_string:
 * @name: the member as errors name it ("secret.salt")
 *
 * Reads a string member into *@value, left as it is when the member is
 * absent and not @required.
 */
gboolean
relay_channel_profile_read_string (JsonObject   *object,
                                   const char   *member,
                                   const char   *name,
                                   gboolean      required,
                                   const char  **value,
                                   GError      **error)
{
  JsonNode *node;

  if (!get_member (object, member, name, required, &node, error) || node == NULL)
    return node == NULL && !required;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      relay_channel_profile_set_field_error (error, name, _("not a string"));
      return FALSE;
    }

  *value = json_node_get_string (node);
  return TRUE;
}

/**
 * relay_channel_profile_read_uint:
 *
 * Reads a whole number from @min to @max into *@value, left as it is
 * when the member is absent and not @required.
 */
gboolean
relay_channel_profile_read_uint (JsonObject  *object,
                                 const char  *member,
                                 const char  *name,
                                 gboolean     required,
                                 guint        min,
                                 guint        max,
                                 guint       *value,
                                 GError     **error)
{
  JsonNode *node;
  gint64 number;

  if (!get_member (object, member, name, required, &node, error) || node == NULL)
    return node == NULL && !required;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (number = json_node_get_int (node)) < min || number > max)
    {
      relay_channel_profile_set_field_error (error, name, _("not a whole number from %u to %u"), min, max);
      return FALSE;
    }

  *value = number;
  return TRUE;
}

static gboolean
read_enum (JsonObject  *object,
           const char  *member,
           GType        type,
           guint       *value,
           GError     **error)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  const char *nick = NULL;
  GEnumValue *enum_value;

  if (!relay_channel_profile_read_string (object, member, member, TRUE, &nick, error))
    return FALSE;

  if (!(enum_value = g_enum_get_value_by_nick (klass, nick)))
    {
      relay_channel_profile_set_field_error (error, member, _("“%s” is not one of its values"), nick);
      return FALSE;
    }

  *value = enum_value->value;
  return TRUE;
}

/* an object member; %NULL in *@value when absent */
static gboolean
read_object (JsonObject  *object,
             const char  *member,
             JsonObject **value,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *value = NULL;
  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      relay_channel_profile_set_field_error (error, member, _("not an object"));
      return FALSE;
    }

  *value = json_node_get_object (node);
  return TRUE;
}

/* a list of at most @max strings, each made canonical by @check (which
 * returns %NULL with an error for a bad one) */
static gboolean
read_list (JsonObject  *object,
           const char  *member,
           const char  *name,
           guint        max,
           char      *(*check) (const char *text, GError **error),
           GStrv       *value,
           GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonNode *node = json_object_get_member (object, member);
  JsonArray *list;

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      relay_channel_profile_set_field_error (error, name, _("not a list"));
      return FALSE;
    }

  list = json_node_get_array (node);
  if (json_array_get_length (list) > max)
    {
      relay_channel_profile_set_field_error (error, name, _("more than %u entries"), max);
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *element = json_array_get_element (list, i);
      g_autoptr(GError) check_error = NULL;
      g_autofree char *checked = NULL;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          relay_channel_profile_set_field_error (error, name, _("entry %u is not a string"), i + 1);
          return FALSE;
        }
      if (!(checked = check (json_node_get_string (element), &check_error)))
        {
          relay_channel_profile_set_field_error (error, name, _("entry %u is not valid (%s)"), i + 1,
                                                 check_error->message);
          return FALSE;
        }
      g_strv_builder_add (builder, checked);
    }

  g_strfreev (*value);
  *value = g_strv_builder_end (builder);
  return TRUE;
}

static char *
check_pin (const char  *text,
           GError     **error)
{
  return relay_validate_pin (text, error);
}

static gboolean
read_limits (RelayChannelProfile  *self,
             JsonObject           *root,
             GError              **error)
{
  static const char * const members[] = {
    "max_messages", "message_window", "max_recipients", "recipient_window", NULL
  };
  guint *values[] = {
    &self->max_messages, &self->message_window, &self->max_recipients, &self->recipient_window
  };
  JsonObject *limits;

  if (!read_object (root, "limits", &limits, error))
    return FALSE;
  if (limits == NULL)
    return TRUE;

  if (!relay_channel_profile_check_members (limits, "limits.", members, error))
    return FALSE;

  for (guint i = 0; members[i] != NULL; i++)
    {
      g_autofree char *name = g_strconcat ("limits.", members[i], NULL);

      if (!relay_channel_profile_read_uint (limits, members[i], name, FALSE, 0, G_MAXINT32, values[i], error))
        return FALSE;
    }

  if ((self->max_messages > 0) != (self->message_window > 0) ||
      (self->max_recipients > 0) != (self->recipient_window > 0))
    {
      relay_channel_profile_set_field_error (error, "limits",
                                             _("a maximum needs a window of time, and a window needs a maximum"));
      return FALSE;
    }

  return TRUE;
}

/* "pins": {"host", "port", "sha256": [...]}: made for the profile's own
 * server, and used only there */
static gboolean
read_pins (RelayChannelProfile  *self,
           JsonObject           *root,
           GError              **error)
{
  static const char * const members[] = { "host", "port", "sha256", NULL };
  g_autoptr(GError) host_error = NULL;
  g_autofree char *host = NULL;
  const char *text = NULL;
  JsonObject *pins;
  guint port = 0;

  if (!read_object (root, "pins", &pins, error))
    return FALSE;
  if (pins == NULL)
    return TRUE;

  if (!relay_channel_profile_check_members (pins, "pins.", members, error) ||
      !relay_channel_profile_read_string (pins, "host", "pins.host", TRUE, &text, error) ||
      !relay_channel_profile_read_uint (pins, "port", "pins.port", TRUE, 1, 65535, &port, error))
    return FALSE;

  if (!(host = relay_validate_host (text, &host_error)))
    {
      relay_channel_profile_set_field_error (error, "pins.host", _("not valid (%s)"), host_error->message);
      return FALSE;
    }
  if (g_ascii_strcasecmp (host, self->host) != 0 || port != self->port)
    {
      relay_channel_profile_set_field_error (error, "pins.host",
                                             _("the pins are for %s port %u, not for the profile’s server"),
                                             host, port);
      return FALSE;
    }

  if (json_object_get_member (pins, "sha256") == NULL)
    {
      relay_channel_profile_set_field_error (error, "pins.sha256", _("missing"));
      return FALSE;
    }

  return read_list (pins, "sha256", "pins.sha256", RELAY_CHANNEL_PROFILE_MAX_PINS, check_pin, &self->pins, error);
}

static gboolean
read_server (RelayChannelProfile  *self,
             JsonObject           *root,
             GError              **error)
{
  g_autoptr(GError) check_error = NULL;
  const char *provider = NULL, *host = NULL, *username = "", *from = "", *name = NULL;
  char *checked;

  if (!relay_channel_profile_read_string (root, "provider", "provider", TRUE, &provider, error))
    return FALSE;
  if (relay_provider_lookup (provider) == NULL)
    {
      relay_channel_profile_set_field_error (error, "provider", _("“%s” is not a provider Mail Relay knows"),
                                             provider);
      return FALSE;
    }
  set_str (&self->provider, provider);

  if (!relay_channel_profile_read_string (root, "host", "host", TRUE, &host, error))
    return FALSE;
  if (!(checked = relay_validate_host (host, &check_error)))
    {
      relay_channel_profile_set_field_error (error, "host", _("not valid (%s)"), check_error->message);
      return FALSE;
    }
  g_free (self->host);
  self->host = checked;

  if (!relay_channel_profile_read_uint (root, "port", "port", TRUE, 1, 65535, &self->port, error) ||
      !read_enum (root, "security", RELAY_TYPE_SECURITY, &self->security, error) ||
      !read_enum (root, "auth", RELAY_TYPE_AUTH_METHOD, &self->auth, error))
    return FALSE;

  if (!relay_channel_profile_read_string (root, "username", "username", FALSE, &username, error))
    return FALSE;
  if (!relay_validate_username (username, &check_error))
    {
      relay_channel_profile_set_field_error (error, "username", _("not valid (%s)"), check_error->message);
      return FALSE;
    }
  if (username[0] != '\0' && !provider_is_shareable (provider))
    {
      relay_channel_profile_set_field_error (error, "username",
                                             _("the provider’s credentials belong to one person: "
                                               "a channel profile carries no user name for it"));
      return FALSE;
    }
  set_str (&self->username, username);

  if (!relay_channel_profile_read_string (root, "from", "from", FALSE, &from, error))
    return FALSE;
  if (from[0] != '\0')
    {
      if (!(checked = relay_validate_address (from, &check_error)))
        {
          relay_channel_profile_set_field_error (error, "from", _("not valid (%s)"), check_error->message);
          return FALSE;
        }
      g_free (self->from);
      self->from = checked;
    }

  if (!relay_channel_profile_read_string (root, "name", "name", FALSE, &name, error))
    return FALSE;
  if (name != NULL)
    {
      if (!(checked = relay_validate_account_name (name, &check_error)))
        {
          relay_channel_profile_set_field_error (error, "name", _("not valid (%s)"), check_error->message);
          return FALSE;
        }
      g_free (self->name);
      self->name = checked;
    }

  return TRUE;
}

static gboolean
read_ca_certificate (RelayChannelProfile  *self,
                     JsonObject           *root,
                     GError              **error)
{
  g_autoptr(GError) pem_error = NULL;
  const char *text = NULL;
  char *pem;

  if (!relay_channel_profile_read_string (root, "ca_certificate", "ca_certificate", FALSE, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;

  if (strlen (text) > RELAY_CHANNEL_PROFILE_MAX_PEM ||
      !(pem = relay_channel_profile_normalize_pem (text, strlen (text), &pem_error)))
    {
      relay_channel_profile_set_field_error (error, "ca_certificate", _("not PEM certificates (%s)"),
                                             pem_error ? pem_error->message : _("too large"));
      return FALSE;
    }

  g_free (self->ca_pem);
  self->ca_pem = pem;
  return TRUE;
}

static gboolean
read_version (JsonObject  *root,
              GError     **error)
{
  JsonNode *node;
  const char *format = NULL;
  gint64 version;

  if (!relay_channel_profile_read_string (root, "format", "format", TRUE, &format, error))
    return FALSE;
  if (!g_str_equal (format, RELAY_CHANNEL_PROFILE_FORMAT))
    {
      relay_channel_profile_set_field_error (error, "format", _("“%s” is not a channel profile’s format (%s)"),
                                             format, RELAY_CHANNEL_PROFILE_FORMAT);
      return FALSE;
    }

  if ((node = json_object_get_member (root, "version")) == NULL)
    {
      relay_channel_profile_set_field_error (error, "version", _("missing"));
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (version = json_node_get_int (node)) < 1)
    {
      relay_channel_profile_set_field_error (error, "version", _("not a version number"));
      return FALSE;
    }
  if (version > RELAY_CHANNEL_PROFILE_VERSION)
    {
      g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, version);

      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_NEWER,
                   _("“version”: %s is a newer channel profile than this Mail Relay reads (%d): "
                     "update Mail Relay to import it"),
                   number, RELAY_CHANNEL_PROFILE_VERSION);
      return FALSE;
    }

  return TRUE;
}

/**
 * relay_channel_profile_new_from_data:
 * @data: the document, not necessarily valid, nor nul-terminated
 *
 * Reads a channel profile, checking the whole document before anything
 * of it is used: its format and version, every member's type and value
 * (as strictly as a typed value), no member it does not know, and the
 * secret's parameters (but not the secret itself:
 * relay_channel_profile_open_secret()).
 *
 * Used error codes: %RELAY_CHANNEL_PROFILE_ERROR_INVALID (not JSON,
 *   truncated, not a channel profile, or a bad member: the message names
 *   it), %RELAY_CHANNEL_PROFILE_ERROR_NEWER (a version this one does not
 *   read).
 *
 * Returns: (transfer full) (nullable): the profile
 */
RelayChannelProfile *
relay_channel_profile_new_from_data (const char  *data,
                                     gsize        length,
                                     GError     **error)
{
  g_autoptr(RelayChannelProfile) self = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) parse_error = NULL;
  JsonObject *root;
  JsonNode *node;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length > RELAY_CHANNEL_PROFILE_MAX_SIZE)
    {
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
                   _("The file is larger than a channel profile can be (%u KiB)"),
                   RELAY_CHANNEL_PROFILE_MAX_SIZE / 1024);
      return NULL;
    }

  /* json-glib takes a nul inside the text as its end: a profile with one
   * is damaged, not shorter */
  if (!g_utf8_validate_len (data, length, NULL) || memchr (data, '\0', length) != NULL ||
      !relay_json_check_depth (data, length, MAX_DEPTH, &parse_error))
    {
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
                   _("The file is not a channel profile: %s"),
                   parse_error ? parse_error->message : _("it is not UTF-8 text"));
      return NULL;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, length, &parse_error))
    {
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
                   _("The file is not complete JSON, perhaps cut short (%s)"), parse_error->message);
      return NULL;
    }

  if ((node = json_parser_get_root (parser)) == NULL)
    {
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
                   _("The file is not complete JSON, perhaps cut short (%s)"), _("it is empty"));
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
                   _("The file is not a channel profile: it is not a JSON object"));
      return NULL;
    }
  root = json_node_get_object (node);

  self = g_object_new (RELAY_TYPE_CHANNEL_PROFILE, NULL);
  if (!read_version (root, error) ||
      !relay_channel_profile_check_members (root, "", known_members, error) ||
      !read_server (self, root, error) ||
      !read_list (root, "senders", "senders", RELAY_CHANNEL_PROFILE_MAX_SENDERS, relay_validate_sender,
                  &self->senders, error) ||
      !read_limits (self, root, error))
    return NULL;

  if ((node = json_object_get_member (root, "allow_insecure")) != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        {
          relay_channel_profile_set_field_error (error, "allow_insecure", _("not true or false"));
          return NULL;
        }
      self->allow_insecure = json_node_get_boolean (node);
    }

  if (!read_pins (self, root, error) ||
      !read_ca_certificate (self, root, error))
    return NULL;

  if ((node = json_object_get_member (root, "secret")) != NULL)
    {
      if (!provider_is_shareable (self->provider))
        {
          RelayProvider *provider = relay_provider_lookup (self->provider);

          relay_channel_profile_set_field_error (error, "secret", "%s",
                                                 relay_provider_get_sharing_text (provider));
          return NULL;
        }
      if (!relay_channel_profile_read_secret (self, node, error))
        return NULL;
    }

  return g_steal_pointer (&self);
}

/**
 * relay_channel_profile_is_shareable:
 *
 * Returns: whether the provider's credentials may be shared across a
 *   team, so that a profile may carry its user name and (encrypted) its
 *   password
 */
gboolean
relay_channel_profile_is_shareable (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), FALSE);

  return provider_is_shareable (self->provider);
}

/**
 * relay_channel_profile_create_account:
 *
 * A new account (a new id) with the profile's settings and name (the
 * store gives it one of its own when another account has it); no CA file
 * (relay_channel_profile_write_ca_file() writes the profile's) and no
 * secret. Its pins are for its server, so that its first test checks
 * them.
 *
 * Returns: (transfer full): the account
 */
RelayAccount *
relay_channel_profile_create_account (RelayChannelProfile *self)
{
  RelayAccount *account;

  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  account = relay_account_new ();
  relay_account_set_name (account, self->name);
  relay_account_set_provider (account, self->provider);
  relay_account_set_host (account, self->host);
  relay_account_set_port (account, self->port);
  relay_account_set_security (account, self->security);
  relay_account_set_auth (account, self->auth);
  relay_account_set_username (account, self->username);
  relay_account_set_from (account, self->from);
  relay_account_set_senders (account, (const char * const *)self->senders);
  relay_account_set_max_messages (account, self->max_messages);
  relay_account_set_message_window (account, self->message_window);
  relay_account_set_max_recipients (account, self->max_recipients);
  relay_account_set_recipient_window (account, self->recipient_window);
  relay_account_set_allow_insecure (account, self->allow_insecure);
  /* after the host and port: pins are for the server as it is then */
  relay_account_set_pins (account, (const char * const *)self->pins);

  return account;
}

/**
 * relay_channel_profile_write_ca_file:
 * @account_id: the id of the account the certificate is for
 *
 * Writes the profile's CA certificate to a new file of its own in Mail
 * Relay's config folder (mode 0600, never through a link), for the
 * account's CA file.
 *
 * Used error codes: those of #G_FILE_ERROR.
 *
 * Returns: (transfer full) (nullable): the file's path; %NULL with no
 *   error when the profile has no CA certificate
 */
char *
relay_channel_profile_write_ca_file (RelayChannelProfile  *self,
                                     const char           *account_id,
                                     GError              **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);
  g_return_val_if_fail (account_id != NULL && g_uuid_string_is_valid (account_id), NULL);

  if (self->ca_pem[0] == '\0')
    return NULL;

  dir = g_build_filename (g_get_user_config_dir (), "mail-relay", "certificates", NULL);
  name = g_strconcat (account_id, ".pem", NULL);
  path = g_build_filename (dir, name, NULL);
  if (!relay_file_ensure_private_dir (dir, error) ||
      !relay_file_write_new (path, self->ca_pem, strlen (self->ca_pem), error) ||
      !relay_file_sync_directory (dir, error))
    return NULL;

  return g_steal_pointer (&path);
}

const char *
relay_channel_profile_get_name (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  return self->name;
}

const char *
relay_channel_profile_get_provider (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  return self->provider;
}

const char *
relay_channel_profile_get_host (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  return self->host;
}

guint
relay_channel_profile_get_port (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), 0);

  return self->port;
}

/**
 * relay_channel_profile_get_username:
 *
 * Returns: the shared user name; "" for a provider whose credentials
 *   belong to one person (the person importing gives their own)
 */
const char *
relay_channel_profile_get_username (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  return self->username;
}

/**
 * relay_channel_profile_get_senders:
 *
 * Returns: (transfer none): the addresses and `*@domain` patterns the
 *   channel may send as
 */
const char * const *
relay_channel_profile_get_senders (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  return (const char * const *)self->senders;
}

/**
 * relay_channel_profile_get_pins:
 *
 * Returns: (transfer none): the SHA-256 fingerprints pinned for the
 *   profile's server
 */
const char * const *
relay_channel_profile_get_pins (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  return (const char * const *)self->pins;
}

/**
 * relay_channel_profile_get_ca_pem:
 *
 * Returns: the CA certificates, PEM; "" when there is none
 */
const char *
relay_channel_profile_get_ca_pem (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  return self->ca_pem;
}
