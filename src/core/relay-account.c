/* relay-account.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-account"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-account.h"
#include "relay-enum-types.h"
#include "relay-validate.h"

struct _RelayAccount
{
  GObject          parent_instance;

  char            *id;
  char            *provider;
  char            *host;
  char            *username;
  char            *from;
  char            *ca_file;
  GStrv            pins;
  /* the server the pins were made for */
  char            *pins_host;
  guint            pins_port;
  guint            port;
  RelaySecurity    security;
  RelayAuthMethod  auth;
  guint            max_messages;
  guint            message_window;
  guint            max_recipients;
  guint            recipient_window;
  guint            allow_insecure : 1;
  guint            sign_in_again : 1;
};

G_DEFINE_FINAL_TYPE (RelayAccount, relay_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_PROVIDER,
  PROP_HOST,
  PROP_PORT,
  PROP_SECURITY,
  PROP_AUTH,
  PROP_USERNAME,
  PROP_FROM,
  PROP_CA_FILE,
  PROP_PINS,
  PROP_MAX_MESSAGES,
  PROP_MESSAGE_WINDOW,
  PROP_MAX_RECIPIENTS,
  PROP_RECIPIENT_WINDOW,
  PROP_ALLOW_INSECURE,
  PROP_SIGN_IN_AGAIN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_string (RelayAccount  *self,
            char         **field,
            const char    *value,
            guint          prop_id)
{
  if (value == NULL)
    value = "";

  if (g_strcmp0 (*field, value) != 0)
    {
      g_free (*field);
      *field = g_strdup (value);
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
    }
}

static void
set_uint (RelayAccount *self,
          guint        *field,
          guint         value,
          guint         prop_id)
{
  if (*field != value)
    {
      *field = value;
      g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
    }
}

static void
relay_account_finalize (GObject *object)
{
  RelayAccount *self = (RelayAccount *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->provider, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->from, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->pins, g_strfreev);
  g_clear_pointer (&self->pins_host, g_free);

  G_OBJECT_CLASS (relay_account_parent_class)->finalize (object);
}

static void
relay_account_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  RelayAccount *self = RELAY_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_string (value, self->id); break;
    case PROP_PROVIDER: g_value_set_string (value, self->provider); break;
    case PROP_HOST: g_value_set_string (value, self->host); break;
    case PROP_PORT: g_value_set_uint (value, self->port); break;
    case PROP_SECURITY: g_value_set_enum (value, self->security); break;
    case PROP_AUTH: g_value_set_enum (value, self->auth); break;
    case PROP_USERNAME: g_value_set_string (value, self->username); break;
    case PROP_FROM: g_value_set_string (value, self->from); break;
    case PROP_CA_FILE: g_value_set_string (value, self->ca_file); break;
    case PROP_PINS: g_value_set_boxed (value, relay_account_get_pins (self)); break;
    case PROP_MAX_MESSAGES: g_value_set_uint (value, self->max_messages); break;
    case PROP_MESSAGE_WINDOW: g_value_set_uint (value, self->message_window); break;
    case PROP_MAX_RECIPIENTS: g_value_set_uint (value, self->max_recipients); break;
    case PROP_RECIPIENT_WINDOW: g_value_set_uint (value, self->recipient_window); break;
    case PROP_ALLOW_INSECURE: g_value_set_boolean (value, self->allow_insecure); break;
    case PROP_SIGN_IN_AGAIN: g_value_set_boolean (value, self->sign_in_again); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_account_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  RelayAccount *self = RELAY_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_assert (self->id == NULL);
      self->id = g_value_dup_string (value);
      break;
    case PROP_PROVIDER: relay_account_set_provider (self, g_value_get_string (value)); break;
    case PROP_HOST: relay_account_set_host (self, g_value_get_string (value)); break;
    case PROP_PORT: relay_account_set_port (self, g_value_get_uint (value)); break;
    case PROP_SECURITY: relay_account_set_security (self, g_value_get_enum (value)); break;
    case PROP_AUTH: relay_account_set_auth (self, g_value_get_enum (value)); break;
    case PROP_USERNAME: relay_account_set_username (self, g_value_get_string (value)); break;
    case PROP_FROM: relay_account_set_from (self, g_value_get_string (value)); break;
    case PROP_CA_FILE: relay_account_set_ca_file (self, g_value_get_string (value)); break;
    case PROP_PINS: relay_account_set_pins (self, g_value_get_boxed (value)); break;
    case PROP_MAX_MESSAGES: relay_account_set_max_messages (self, g_value_get_uint (value)); break;
    case PROP_MESSAGE_WINDOW: relay_account_set_message_window (self, g_value_get_uint (value)); break;
    case PROP_MAX_RECIPIENTS: relay_account_set_max_recipients (self, g_value_get_uint (value)); break;
    case PROP_RECIPIENT_WINDOW: relay_account_set_recipient_window (self, g_value_get_uint (value)); break;
    case PROP_ALLOW_INSECURE: relay_account_set_allow_insecure (self, g_value_get_boolean (value)); break;
    case PROP_SIGN_IN_AGAIN: relay_account_set_sign_in_again (self, g_value_get_boolean (value)); break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
relay_account_constructed (GObject *object)
{
  RelayAccount *self = (RelayAccount *)object;

  G_OBJECT_CLASS (relay_account_parent_class)->constructed (object);

  if (self->id == NULL || self->id[0] == '\0')
    {
      g_free (self->id);
      self->id = g_uuid_string_random ();
    }
}

static void
relay_account_class_init (RelayAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = relay_account_finalize;
  object_class->get_property = relay_account_get_property;
  object_class->set_property = relay_account_set_property;
  object_class->constructed = relay_account_constructed;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROVIDER] = g_param_spec_string ("provider", NULL, NULL, "custom", flags);
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, "", flags);
  properties[PROP_PORT] = g_param_spec_uint ("port", NULL, NULL, 1, 65535, 587, flags);
  properties[PROP_SECURITY] =
    g_param_spec_enum ("security", NULL, NULL,
                       RELAY_TYPE_SECURITY, RELAY_SECURITY_STARTTLS, flags);
  properties[PROP_AUTH] =
    g_param_spec_enum ("auth", NULL, NULL,
                       RELAY_TYPE_AUTH_METHOD, RELAY_AUTH_METHOD_AUTO, flags);
  properties[PROP_USERNAME] = g_param_spec_string ("username", NULL, NULL, "", flags);
  properties[PROP_FROM] = g_param_spec_string ("from", NULL, NULL, "", flags);
  properties[PROP_CA_FILE] = g_param_spec_string ("ca-file", NULL, NULL, "", flags);
  properties[PROP_PINS] = g_param_spec_boxed ("pins", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_MAX_MESSAGES] = g_param_spec_uint ("max-messages", NULL, NULL, 0, G_MAXINT32, 0, flags);
  properties[PROP_MESSAGE_WINDOW] = g_param_spec_uint ("message-window", NULL, NULL, 0, G_MAXINT32, 0, flags);
  properties[PROP_MAX_RECIPIENTS] = g_param_spec_uint ("max-recipients", NULL, NULL, 0, G_MAXINT32, 0, flags);
  properties[PROP_RECIPIENT_WINDOW] = g_param_spec_uint ("recipient-window", NULL, NULL, 0, G_MAXINT32, 0, flags);
  properties[PROP_ALLOW_INSECURE] = g_param_spec_boolean ("allow-insecure", NULL, NULL, FALSE, flags);
  /* the provider refused the stored sign-in (invalid_grant) */
  properties[PROP_SIGN_IN_AGAIN] = g_param_spec_boolean ("sign-in-again", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
relay_account_init (RelayAccount *self)
{
  self->provider = g_strdup ("custom");
  self->host = g_strdup ("");
  self->username = g_strdup ("");
  self->from = g_strdup ("");
  self->ca_file = g_strdup ("");
  self->pins = g_new0 (char *, 1);
  self->pins_host = g_strdup ("");
  self->port = 587;
  self->security = RELAY_SECURITY_STARTTLS;
  self->auth = RELAY_AUTH_METHOD_AUTO;
}

RelayAccount *
relay_account_new (void)
{
  return g_object_new (RELAY_TYPE_ACCOUNT, NULL);
}

/**
 * relay_account_copy:
 *
 * Returns: (transfer full): an account with the same id and values
 */
RelayAccount *
relay_account_copy (RelayAccount *self)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  node = relay_account_to_json (self);
  return relay_account_new_from_json (json_node_get_object (node), NULL);
}

/**
 * relay_account_apply_provider:
 *
 * Fills the server, security, authentication and limits from a preset.
 * The user name is replaced only where the provider has a fixed one.
 */
void
relay_account_apply_provider (RelayAccount  *self,
                              RelayProvider *provider)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));
  g_return_if_fail (RELAY_IS_PROVIDER (provider));

  g_object_freeze_notify (G_OBJECT (self));
  relay_account_set_provider (self, relay_provider_get_id (provider));
  relay_account_set_host (self, relay_provider_get_host (provider));
  relay_account_set_port (self, relay_provider_get_port (provider));
  relay_account_set_security (self, relay_provider_get_security (provider));
  relay_account_set_auth (self, relay_provider_get_auth (provider));
  if (relay_provider_get_username (provider)[0] != '\0')
    relay_account_set_username (self, relay_provider_get_username (provider));
  relay_account_set_max_messages (self, relay_provider_get_max_messages (provider));
  relay_account_set_message_window (self, relay_provider_get_message_window (provider));
  relay_account_set_max_recipients (self, relay_provider_get_max_recipients (provider));
  relay_account_set_recipient_window (self, relay_provider_get_recipient_window (provider));
  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * relay_account_forget_old_trust:
 * @self: the account as it is about to be saved (or tested)
 * @before: (nullable): the same account as it was saved
 * @keep: the trust settings given anew together with the change, which
 *   are meant for the new server
 *
 * A CA file, pinned certificates and the consent to a password over an
 * unencrypted connection were given for one server. When the provider,
 * the host or the port of @self differ from @before, those that came
 * over from @before are cleared; those in @keep stay. Every path that
 * changes an account's server (the CLI's options, a provider preset,
 * signing in, the setup page) goes through here.
 *
 * Returns: the settings that were cleared
 */
RelayAccountTrust
relay_account_forget_old_trust (RelayAccount      *self,
                                RelayAccount      *before,
                                RelayAccountTrust  keep)
{
  RelayAccountTrust cleared = RELAY_ACCOUNT_TRUST_NONE;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), RELAY_ACCOUNT_TRUST_NONE);
  g_return_val_if_fail (before == NULL || RELAY_IS_ACCOUNT (before), RELAY_ACCOUNT_TRUST_NONE);

  if (before == NULL ||
      (g_strcmp0 (self->provider, before->provider) == 0 &&
       g_ascii_strcasecmp (self->host, before->host) == 0 &&
       self->port == before->port))
    return RELAY_ACCOUNT_TRUST_NONE;

  g_object_freeze_notify (G_OBJECT (self));
  if (!(keep & RELAY_ACCOUNT_TRUST_CA_FILE) && self->ca_file[0] != '\0')
    {
      relay_account_set_ca_file (self, "");
      cleared |= RELAY_ACCOUNT_TRUST_CA_FILE;
    }
  if (!(keep & RELAY_ACCOUNT_TRUST_PINS) && self->pins[0] != NULL)
    {
      relay_account_set_pins (self, NULL);
      cleared |= RELAY_ACCOUNT_TRUST_PINS;
    }
  if (!(keep & RELAY_ACCOUNT_TRUST_ALLOW_INSECURE) && self->allow_insecure)
    {
      relay_account_set_allow_insecure (self, FALSE);
      cleared |= RELAY_ACCOUNT_TRUST_ALLOW_INSECURE;
    }
  g_object_thaw_notify (G_OBJECT (self));

  return cleared;
}

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
  json_builder_set_member_name (builder, "id");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "provider");
  json_builder_add_string_value (builder, self->provider);
  json_builder_set_member_name (builder, "host");
  json_builder_add_string_value (builder, self->host);
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, self->port);
  json_builder_set_member_name (builder, "security");
  json_builder_add_string_value (builder, enum_nick (RELAY_TYPE_SECURITY, self->security));
  json_builder_set_member_name (builder, "auth");
  json_builder_add_string_value (builder, enum_nick (RELAY_TYPE_AUTH_METHOD, self->auth));
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, self->username);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, self->from);
  json_builder_set_member_name (builder, "ca_file");
  json_builder_add_string_value (builder, self->ca_file);
  /* only the pins made for this server; older versions read "pins" alone */
  pins = relay_account_get_pins (self);
  json_builder_set_member_name (builder, "pins");
  json_builder_begin_array (builder);
  for (guint i = 0; pins[i]; i++)
    json_builder_add_string_value (builder, pins[i]);
  json_builder_end_array (builder);
  if (pins[0] != NULL)
    {
      json_builder_set_member_name (builder, "pins_for");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "host");
      json_builder_add_string_value (builder, self->host);
      json_builder_set_member_name (builder, "port");
      json_builder_add_int_value (builder, self->port);
      json_builder_end_object (builder);
    }
  json_builder_set_member_name (builder, "limits");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "max_messages");
  json_builder_add_int_value (builder, self->max_messages);
  json_builder_set_member_name (builder, "message_window");
  json_builder_add_int_value (builder, self->message_window);
  json_builder_set_member_name (builder, "max_recipients");
  json_builder_add_int_value (builder, self->max_recipients);
  json_builder_set_member_name (builder, "recipient_window");
  json_builder_add_int_value (builder, self->recipient_window);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "allow_insecure");
  json_builder_add_boolean_value (builder, self->allow_insecure);
  json_builder_set_member_name (builder, "sign_in_again");
  json_builder_add_boolean_value (builder, self->sign_in_again);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

static gboolean
read_string (JsonObject  *object,
             const char  *member,
             const char **value,
             GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“%s” is not a string", member);
      return FALSE;
    }

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
  JsonNode *node = json_object_get_member (object, member);

  *value = FALSE;
  if (node == NULL)
    return TRUE;

  if (json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“%s” is not true or false", member);
      return FALSE;
    }

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
 */
RelayAccount *
relay_account_new_from_json (JsonObject  *object,
                             GError     **error)
{
  g_autoptr(RelayAccount) self = NULL;
  g_autoptr(GStrvBuilder) pins = g_strv_builder_new ();
  const char *id = NULL, *provider = NULL, *host = NULL, *username = NULL;
  const char *from = NULL, *ca_file = NULL;
  g_autofree char *pins_host = NULL;
  guint pins_port;
  JsonObject *limits = NULL;
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

  if (!check_fields (provider, host, username, from, ca_file, error))
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

  if ((node = json_object_get_member (object, "pins")) != NULL)
    {
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                       "“pins” is not a list");
          return NULL;
        }

      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);
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
  self->provider = (g_free (self->provider), g_strdup (provider ? provider : "custom"));
  self->host = (g_free (self->host), g_strdup (host ? host : ""));
  self->username = (g_free (self->username), g_strdup (username ? username : ""));
  self->from = (g_free (self->from), g_strdup (from ? from : ""));
  self->ca_file = (g_free (self->ca_file), g_strdup (ca_file ? ca_file : ""));
  self->pins = (g_strfreev (self->pins), g_strv_builder_end (pins));
  self->pins_host = (g_free (self->pins_host), pins_host ? g_steal_pointer (&pins_host) : g_strdup (self->host));
  self->pins_port = pins_port;
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

/**
 * relay_account_validate:
 *
 * Checks every field; the error names the first bad one with a
 * #RelayAccountError code.
 */
gboolean
relay_account_validate (RelayAccount  *self,
                        GError       **error)
{
  g_autofree char *port = NULL;
  g_autofree char *host = NULL;
  g_autofree char *from = NULL;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), FALSE);

  if (relay_provider_lookup (self->provider) == NULL)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PROVIDER,
                   _("Provider: “%s” is not a known provider"), self->provider);
      return FALSE;
    }

  port = g_strdup_printf ("%u", self->port);
  if (!(host = relay_validate_host (self->host, error)) ||
      !relay_validate_port (port, NULL, error) ||
      !relay_validate_username (self->username, error) ||
      !(from = relay_validate_address (self->from, error)))
    return FALSE;

  if (self->ca_file[0] != '\0' && !g_file_test (self->ca_file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_CA_FILE,
                   _("CA file: “%s” is not a readable file"), self->ca_file);
      return FALSE;
    }

  if ((self->max_messages > 0) != (self->message_window > 0) ||
      (self->max_recipients > 0) != (self->recipient_window > 0))
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_LIMITS,
                   _("Limits: a maximum needs a window of time, and a window needs a maximum"));
      return FALSE;
    }

  return TRUE;
}

/**
 * relay_account_uses_token:
 *
 * Returns: whether the account signs in with an OAuth access token
 *   (XOAUTH2, OAUTHBEARER) rather than a password
 */
gboolean
relay_account_uses_token (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), FALSE);

  return self->auth == RELAY_AUTH_METHOD_XOAUTH2 || self->auth == RELAY_AUTH_METHOD_OAUTHBEARER;
}

#define STRING_ACCESSORS(name, PROP)                                    \
  const char *                                                          \
  relay_account_get_##name (RelayAccount *self)                         \
  {                                                                     \
    g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);               \
    return self->name;                                                  \
  }                                                                     \
  void                                                                  \
  relay_account_set_##name (RelayAccount *self,                         \
                            const char   *value)                        \
  {                                                                     \
    g_return_if_fail (RELAY_IS_ACCOUNT (self));                         \
    set_string (self, &self->name, value, PROP);                        \
  }

#define UINT_ACCESSORS(name, type, PROP)                                \
  type                                                                  \
  relay_account_get_##name (RelayAccount *self)                         \
  {                                                                     \
    g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);                  \
    return self->name;                                                  \
  }                                                                     \
  void                                                                  \
  relay_account_set_##name (RelayAccount *self,                         \
                            type          value)                        \
  {                                                                     \
    guint field = self->name;                                           \
    g_return_if_fail (RELAY_IS_ACCOUNT (self));                         \
    set_uint (self, &field, value, PROP);                               \
    self->name = field;                                                 \
  }

STRING_ACCESSORS (provider, PROP_PROVIDER)
STRING_ACCESSORS (host, PROP_HOST)
STRING_ACCESSORS (username, PROP_USERNAME)
STRING_ACCESSORS (from, PROP_FROM)
STRING_ACCESSORS (ca_file, PROP_CA_FILE)
UINT_ACCESSORS (port, guint, PROP_PORT)
UINT_ACCESSORS (security, RelaySecurity, PROP_SECURITY)
UINT_ACCESSORS (auth, RelayAuthMethod, PROP_AUTH)
UINT_ACCESSORS (max_messages, guint, PROP_MAX_MESSAGES)
UINT_ACCESSORS (message_window, guint, PROP_MESSAGE_WINDOW)
UINT_ACCESSORS (max_recipients, guint, PROP_MAX_RECIPIENTS)
UINT_ACCESSORS (recipient_window, guint, PROP_RECIPIENT_WINDOW)
UINT_ACCESSORS (allow_insecure, gboolean, PROP_ALLOW_INSECURE)
UINT_ACCESSORS (sign_in_again, gboolean, PROP_SIGN_IN_AGAIN)

#undef STRING_ACCESSORS
#undef UINT_ACCESSORS

const char *
relay_account_get_id (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return self->id;
}

static gboolean
pins_fit_server (RelayAccount *self)
{
  return self->pins_port == self->port && g_ascii_strcasecmp (self->pins_host, self->host) == 0;
}

/**
 * relay_account_get_pins:
 *
 * The SHA-256 fingerprints of the certificates pinned for the account's
 * server: its host and port as they are now. Pins made for another host
 * or port are never returned, so never used.
 *
 * Returns: (transfer none): the fingerprints, 64 lower-case hexadecimal
 *   digits each; empty when there is none for this server
 */
const char * const *
relay_account_get_pins (RelayAccount *self)
{
  static const char * const none[] = { NULL };

  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return pins_fit_server (self) ? (const char * const *)self->pins : none;
}

/**
 * relay_account_set_pins:
 * @pins: (nullable): SHA-256 fingerprints, as relay_validate_pin() gives them
 *
 * Pins certificates for the account's server as it is now, its host and
 * port: set them after the host and port. With pins, a connection to
 * that server accepts only a certificate with one of these fingerprints
 * (and accepts it whatever its issuer, names or dates); once the host or
 * the port change, the pins are no longer used, and they are not saved.
 */
void
relay_account_set_pins (RelayAccount       *self,
                        const char * const *pins)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  if (pins == NULL)
    pins = (const char * const[]) { NULL };

  if (pins_fit_server (self) && g_strv_equal ((const char * const *)self->pins, pins))
    return;

  g_strfreev (self->pins);
  self->pins = g_strdupv ((char **)pins);
  g_free (self->pins_host);
  self->pins_host = g_strdup (self->host);
  self->pins_port = self->port;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PINS]);
}
