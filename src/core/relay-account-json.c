/* relay-account-json.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The JSON form of a RelayAccount, as accounts.json stores it: written
 * without a secret, read back with every field checked and named. */

#define G_LOG_DOMAIN "relay-account"

#include "config.h"

#include <string.h>

#include "relay-account-private.h"
#include "relay-enum-types.h"
#include "relay-json-private.h"
#include "relay-validate.h"

static const char *
enum_nick (GType type,
           int   value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);

  return enum_value ? enum_value->value_nick : "";
}

/**
 * relay_account_to_json:
 *
 * Returns: (transfer full): the account as stored in accounts.json; it
 *   never holds a secret
 */
JsonNode *
relay_account_to_json (RelayAccount *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char * const *pins;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  json_builder_begin_object (builder);
  relay_json_add_string_member (builder, "id", self->id);
  relay_json_add_string_member (builder, "name", self->name);
  relay_json_add_strv_member (builder, "senders", (const char * const *)self->senders);
  relay_json_add_string_member (builder, "provider", self->provider);
  relay_json_add_string_member (builder, "host", self->host);
  relay_json_add_int_member (builder, "port", self->port);
  relay_json_add_string_member (builder, "security", enum_nick (RELAY_TYPE_SECURITY, self->security));
  relay_json_add_string_member (builder, "auth", enum_nick (RELAY_TYPE_AUTH_METHOD, self->auth));
  relay_json_add_string_member (builder, "username", self->username);
  relay_json_add_string_member (builder, "from", self->from);
  relay_json_add_string_member (builder, "ca_file", self->ca_file);
  /* only the pins made for this server; older versions read "pins" alone */
  pins = relay_account_get_pins (self);
  relay_json_add_strv_member (builder, "pins", pins);
  /* without a server the pins are for the one read back with them */
  if (pins[0] != NULL && self->host[0] != '\0')
    {
      json_builder_set_member_name (builder, "pins_for");
      json_builder_begin_object (builder);
      relay_json_add_string_member (builder, "host", self->host);
      relay_json_add_int_member (builder, "port", self->port);
      json_builder_end_object (builder);
    }
  json_builder_set_member_name (builder, "limits");
  json_builder_begin_object (builder);
  relay_json_add_int_member (builder, "max_messages", self->max_messages);
  relay_json_add_int_member (builder, "message_window", self->message_window);
  relay_json_add_int_member (builder, "max_recipients", self->max_recipients);
  relay_json_add_int_member (builder, "recipient_window", self->recipient_window);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "allow_insecure");
  json_builder_add_boolean_value (builder, self->allow_insecure);
  json_builder_set_member_name (builder, "sign_in_again");
  json_builder_add_boolean_value (builder, self->sign_in_again);
  /* only when set: older versions refuse no member, but need not see it */
  if (self->oauth_client_id[0] != '\0')
    {
      json_builder_set_member_name (builder, "oauth_client_id");
      json_builder_add_string_value (builder, self->oauth_client_id);
    }
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* @member in *@node, or %NULL when it is absent; an error saying that it
 * is not @what when it holds anything but a value of @type */
static gboolean
read_value (JsonObject  *object,
            const char  *member,
            GType        type,
            const char  *what,
            JsonNode   **node,
            GError     **error)
{
  *node = json_object_get_member (object, member);
  if (*node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (*node) || json_node_get_value_type (*node) != type)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“%s” is not %s", member, what);
      *node = NULL;
      return FALSE;
    }

  return TRUE;
}

static gboolean
read_string (JsonObject  *object,
             const char  *member,
             const char **value,
             GError     **error)
{
  JsonNode *node;

  if (!read_value (object, member, G_TYPE_STRING, "a string", &node, error))
    return FALSE;

  if (node != NULL)
    *value = json_node_get_string (node);
  return TRUE;
}

static gboolean
read_uint (JsonObject  *object,
           const char  *member,
           guint        max,
           guint       *value,
           GError     **error)
{
  JsonNode *node;
  gint64 number;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      (number = json_node_get_int (node)) < 0 || number > max)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“%s” is not a number from 0 to %u", member, max);
      return FALSE;
    }

  *value = number;
  return TRUE;
}

/* absent is FALSE; anything but true or false is an error, and never a
 * critical warning as json_object_get_boolean_member_with_default() gives
 * for a list or an object */
static gboolean
read_boolean (JsonObject  *object,
              const char  *member,
              gboolean    *value,
              GError     **error)
{
  JsonNode *node;

  *value = FALSE;
  if (!read_value (object, member, G_TYPE_BOOLEAN, "true or false", &node, error))
    return FALSE;

  if (node != NULL)
    *value = json_node_get_boolean (node);
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

  if (!read_string (object, member, &nick, error))
    return FALSE;
  if (nick == NULL)
    return TRUE;

  enum_value = g_enum_get_value_by_nick (klass, nick);
  if (enum_value == NULL)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“%s” has an unknown value", member);
      return FALSE;
    }

  *value = enum_value->value;
  return TRUE;
}

/* What is read back from the file is held to what a typed value is held
 * to: a damaged or hand-edited file must not put a CR/LF into a command
 * or a header. Empty is “not set yet”, as a new account has it. */
static gboolean
check_fields (const char  *provider,
              const char  *host,
              const char  *username,
              const char  *from,
              const char  *ca_file,
              GError     **error)
{
  g_autoptr(GError) field_error = NULL;
  g_autofree char *checked_host = NULL;
  g_autofree char *checked_from = NULL;
  const char *member = NULL;

  if (provider != NULL && relay_provider_lookup (provider) == NULL)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“provider” is not a provider Mail Relay knows");
      return FALSE;
    }

  if (host != NULL && host[0] != '\0' && !(checked_host = relay_validate_host (host, &field_error)))
    member = "host";
  else if (username != NULL && !relay_validate_username (username, &field_error))
    member = "username";
  else if (from != NULL && from[0] != '\0' && !(checked_from = relay_validate_address (from, &field_error)))
    member = "from";

  if (member != NULL)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“%s” is not valid (%s)", member, field_error->message);
      return FALSE;
    }

  if (ca_file != NULL && (!g_utf8_validate (ca_file, -1, NULL) || strpbrk (ca_file, "\r\n\t") != NULL ||
                          (ca_file[0] != '\0' && !g_path_is_absolute (ca_file))))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“ca_file” is not a file name");
      return FALSE;
    }

  return TRUE;
}

/* "oauth_client_id": the user's own client, held to what the form and
 * the CLI take for the provider's sign-in */
static gboolean
check_oauth_client_id (const char  *provider_id,
                       const char  *client_id,
                       GError     **error)
{
  RelayProvider *provider = relay_provider_lookup (provider_id ? provider_id : "custom");
  const char *service = provider ? relay_provider_get_oauth_service (provider) : NULL;
  g_autofree char *checked = NULL;

  if (client_id == NULL || client_id[0] == '\0')
    return TRUE;

  if (service == NULL || !(checked = relay_validate_oauth_client_id (service, client_id, NULL)) ||
      !g_str_equal (checked, client_id))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“oauth_client_id” is not a client id of the provider’s sign-in");
      return FALSE;
    }

  return TRUE;
}

/* "name" (absent in older versions' files: the store gives one) and
 * "senders", held to what is typed */
static gboolean
read_name_and_senders (JsonObject  *object,
                       char       **name,
                       GStrv       *senders,
                       GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  const char *text = NULL;
  JsonArray *list;

  if (!read_string (object, "name", &text, error))
    return FALSE;
  if (text != NULL && text[0] != '\0' && !(*name = relay_validate_account_name (text, NULL)))
    {
      g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                           "“name” is not a name of an account");
      return FALSE;
    }

  if (!relay_json_read_list (object, "senders", FALSE, &list, error))
    return FALSE;
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *element = json_array_get_element (list, i);
      g_autoptr(GError) field_error = NULL;
      g_autofree char *sender = NULL;

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_set_error_literal (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                               "“senders” holds something that is not a string");
          return FALSE;
        }
      if (!(sender = relay_validate_sender (json_node_get_string (element), &field_error)))
        {
          g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                       "“senders” is not valid (%s)", field_error->message);
          return FALSE;
        }
      g_strv_builder_add (builder, sender);
    }

  *senders = g_strv_builder_end (builder);
  return TRUE;
}

/* "pins_for": {"host": NAME, "port": N}, the server the pins were made for */
static gboolean
read_pins_for (JsonNode  *node,
               char     **host,
               guint     *port,
               GError   **error)
{
  JsonObject *object;
  const char *name = NULL;
  guint number = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“pins_for” is not an object");
      return FALSE;
    }

  object = json_node_get_object (node);
  if (!read_string (object, "host", &name, NULL) ||
      !read_uint (object, "port", 65535, &number, NULL) ||
      name == NULL || number == 0 || !(*host = relay_validate_host (name, NULL)))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“pins_for” does not name a server and a port");
      return FALSE;
    }

  *port = number;
  return TRUE;
}

/**
 * relay_account_new_from_json:
 *
 * Returns: (transfer full) (nullable): the account, or %NULL when @object
 *   is not a valid stored account
 *
 * Used error codes: %JSON_PARSER_ERROR_INVALID_DATA (a member of the wrong type or a bad value; the
 *   message names the member).
 */
RelayAccount *
relay_account_new_from_json (JsonObject  *object,
                             GError     **error)
{
  g_autoptr(RelayAccount) self = NULL;
  g_autoptr(GStrvBuilder) pins = g_strv_builder_new ();
  const char *id = NULL, *provider = NULL, *host = NULL, *username = NULL;
  const char *from = NULL, *ca_file = NULL, *oauth_client_id = NULL;
  g_autofree char *pins_host = NULL;
  g_autofree char *name = NULL;
  g_auto(GStrv) senders = NULL;
  guint pins_port;
  JsonObject *limits = NULL;
  JsonArray *pin_list;
  guint port = 587, security = RELAY_SECURITY_STARTTLS, auth = RELAY_AUTH_METHOD_AUTO;
  guint max_messages = 0, message_window = 0, max_recipients = 0, recipient_window = 0;
  gboolean allow_insecure, sign_in_again;
  JsonNode *node;

  g_return_val_if_fail (object != NULL, NULL);

  if (!read_string (object, "id", &id, error) ||
      !read_string (object, "provider", &provider, error) ||
      !read_string (object, "host", &host, error) ||
      !read_string (object, "username", &username, error) ||
      !read_string (object, "from", &from, error) ||
      !read_string (object, "ca_file", &ca_file, error) ||
      !read_string (object, "oauth_client_id", &oauth_client_id, error) ||
      !read_uint (object, "port", 65535, &port, error) ||
      !read_enum (object, "security", RELAY_TYPE_SECURITY, &security, error) ||
      !read_enum (object, "auth", RELAY_TYPE_AUTH_METHOD, &auth, error))
    return NULL;

  if (id == NULL || !g_uuid_string_is_valid (id))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "an account has no valid “id”");
      return NULL;
    }

  if (!check_fields (provider, host, username, from, ca_file, error) ||
      !check_oauth_client_id (provider, oauth_client_id, error) ||
      !read_name_and_senders (object, &name, &senders, error))
    return NULL;

  if ((node = json_object_get_member (object, "limits")) != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                       "“limits” is not an object");
          return NULL;
        }
      limits = json_node_get_object (node);
    }

  if (!read_uint (limits, "max_messages", G_MAXINT32, &max_messages, error) ||
      !read_uint (limits, "message_window", G_MAXINT32, &message_window, error) ||
      !read_uint (limits, "max_recipients", G_MAXINT32, &max_recipients, error) ||
      !read_uint (limits, "recipient_window", G_MAXINT32, &recipient_window, error))
    return NULL;

  if (!relay_json_read_list (object, "pins", FALSE, &pin_list, error))
    return NULL;
  for (guint i = 0; pin_list != NULL && i < json_array_get_length (pin_list); i++)
    {
      JsonNode *element = json_array_get_element (pin_list, i);
      g_autofree char *pin = NULL;

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        pin = relay_validate_pin (json_node_get_string (element), NULL);

      if (pin == NULL)
        {
          g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                       "“pins” holds something that is not a SHA-256 fingerprint");
          return NULL;
        }
      g_strv_builder_add (pins, pin);
    }

  if (port == 0)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“port” is 0");
      return NULL;
    }

  /* absent in files of older versions: their pins were for the server
   * saved with them */
  pins_port = port;
  if ((node = json_object_get_member (object, "pins_for")) != NULL &&
      !read_pins_for (node, &pins_host, &pins_port, error))
    return NULL;

  if (!read_boolean (object, "allow_insecure", &allow_insecure, error) ||
      !read_boolean (object, "sign_in_again", &sign_in_again, error))
    return NULL;

  self = g_object_new (RELAY_TYPE_ACCOUNT, "id", id, NULL);
  self->name = (g_free (self->name), name ? g_steal_pointer (&name) : g_strdup (""));
  self->senders = (g_strfreev (self->senders), g_steal_pointer (&senders));
  self->provider = (g_free (self->provider), g_strdup (provider ? provider : "custom"));
  /* in the form a typed host takes, which the pins' server is compared
   * with: a hand-edited “SMTP.Example.ORG” must not lose its pins */
  g_free (self->host);
  self->host = host != NULL && host[0] != '\0' ? relay_validate_host (host, NULL) : g_strdup ("");
  self->username = (g_free (self->username), g_strdup (username ? username : ""));
  self->from = (g_free (self->from), g_strdup (from ? from : ""));
  self->ca_file = (g_free (self->ca_file), g_strdup (ca_file ? ca_file : ""));
  self->pins = (g_strfreev (self->pins), g_strv_builder_end (pins));
  self->pins_host = (g_free (self->pins_host), pins_host ? g_steal_pointer (&pins_host) : g_strdup (self->host));
  self->pins_port = pins_port;
  self->oauth_client_id = (g_free (self->oauth_client_id), g_strdup (oauth_client_id ? oauth_client_id : ""));
  self->port = port;
  self->security = security;
  self->auth = auth;
  self->max_messages = max_messages;
  self->message_window = message_window;
  self->max_recipients = max_recipients;
  self->recipient_window = recipient_window;
  self->allow_insecure = allow_insecure;
  self->sign_in_again = sign_in_again;

  return g_steal_pointer (&self);
}
