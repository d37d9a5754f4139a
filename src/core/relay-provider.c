/* relay-provider.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-provider"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "relay-enum-types.h"
#include "relay-format.h"
#include "relay-provider.h"

#define PROVIDERS_RESOURCE RESOURCE_PREFIX "/core/providers.json"

struct _RelayProvider
{
  GObject          parent_instance;

  char            *id;
  char            *name;
  char            *host;
  guint            port;
  RelaySecurity    security;
  RelayAuthMethod  auth;
  char            *username;
  char            *username_hint;
  guint            max_messages;
  guint            message_window;
  guint            max_recipients;
  guint            recipient_window;
  guint            max_connections;
  guint            messages_per_connection;
  RelaySharing     sharing;
  char            *summary;
  GStrv            pros;
  GStrv            cons;
  char            *sharing_text;
  char            *oauth_service;
  char            *oauth_auth_url;
  char            *oauth_token_url;
  char            *oauth_scope;
  char            *oauth_userinfo_url;
};

G_DEFINE_FINAL_TYPE (RelayProvider, relay_provider, G_TYPE_OBJECT)

static void
relay_provider_finalize (GObject *object)
{
  RelayProvider *self = (RelayProvider *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->username_hint, g_free);
  g_clear_pointer (&self->summary, g_free);
  g_clear_pointer (&self->pros, g_strfreev);
  g_clear_pointer (&self->cons, g_strfreev);
  g_clear_pointer (&self->sharing_text, g_free);
  g_clear_pointer (&self->oauth_service, g_free);
  g_clear_pointer (&self->oauth_auth_url, g_free);
  g_clear_pointer (&self->oauth_token_url, g_free);
  g_clear_pointer (&self->oauth_scope, g_free);
  g_clear_pointer (&self->oauth_userinfo_url, g_free);

  G_OBJECT_CLASS (relay_provider_parent_class)->finalize (object);
}

static void
relay_provider_class_init (RelayProviderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = relay_provider_finalize;
}

static void
relay_provider_init (RelayProvider *self)
{
}

/* The guidance in providers.json is English; po/zh_CN.po carries its
 * translations, looked up here in the application's text domain. */
static char *
dup_translated (JsonObject *object,
                const char *member)
{
  const char *text = json_object_get_string_member_with_default (object, member, "");

  if (text[0] == '\0')
    return g_strdup ("");

  return g_strdup (g_dgettext (GETTEXT_PACKAGE, text));
}

static GStrv
dup_translated_list (JsonObject *object,
                     const char *member)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  if (json_object_has_member (object, member))
    {
      JsonArray *array = json_object_get_array_member (object, member);

      for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
        g_strv_builder_add (builder, g_dgettext (GETTEXT_PACKAGE, json_array_get_string_element (array, i)));
    }

  return g_strv_builder_end (builder);
}

static int
enum_from_nick (GType       type,
                const char *nick)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *value = g_enum_get_value_by_nick (klass, nick);

  /* providers.json is ours and shipped in the resource: a bad nick is a bug */
  g_assert (value != NULL);

  return value->value;
}

static void
read_limit (JsonObject *limits,
            const char *member,
            guint      *max,
            guint      *per)
{
  JsonObject *limit;

  if (limits == NULL || !json_object_has_member (limits, member))
    return;

  limit = json_object_get_object_member (limits, member);
  *max = json_object_get_int_member_with_default (limit, "max", 0);
  *per = json_object_get_int_member_with_default (limit, "per", 0);
}

static RelayProvider *
relay_provider_new_from_json (JsonObject *object)
{
  RelayProvider *self = g_object_new (RELAY_TYPE_PROVIDER, NULL);
  JsonObject *limits = NULL;
  JsonObject *guidance = NULL;

  if (json_object_has_member (object, "limits"))
    limits = json_object_get_object_member (object, "limits");
  if (json_object_has_member (object, "guidance"))
    guidance = json_object_get_object_member (object, "guidance");

  self->id = g_strdup (json_object_get_string_member (object, "id"));
  self->name = dup_translated (object, "name");
  self->host = g_strdup (json_object_get_string_member_with_default (object, "host", ""));
  self->port = json_object_get_int_member_with_default (object, "port", 587);
  self->security = enum_from_nick (RELAY_TYPE_SECURITY,
                                   json_object_get_string_member_with_default (object, "security", "starttls"));
  self->auth = enum_from_nick (RELAY_TYPE_AUTH_METHOD,
                               json_object_get_string_member_with_default (object, "auth", "auto"));
  self->username = g_strdup (json_object_get_string_member_with_default (object, "username", ""));
  self->username_hint = dup_translated (object, "username_hint");
  self->sharing = enum_from_nick (RELAY_TYPE_SHARING,
                                  json_object_get_string_member_with_default (object, "sharing", "depends"));

  if (json_object_has_member (object, "oauth"))
    {
      JsonObject *oauth = json_object_get_object_member (object, "oauth");

      self->oauth_service = g_strdup (json_object_get_string_member (oauth, "service"));
      self->oauth_auth_url = g_strdup (json_object_get_string_member (oauth, "auth_url"));
      self->oauth_token_url = g_strdup (json_object_get_string_member (oauth, "token_url"));
      self->oauth_scope = g_strdup (json_object_get_string_member (oauth, "scope"));
      self->oauth_userinfo_url = g_strdup (json_object_get_string_member_with_default (oauth, "userinfo_url",
                                                                                      NULL));
    }

  read_limit (limits, "messages", &self->max_messages, &self->message_window);
  read_limit (limits, "recipients", &self->max_recipients, &self->recipient_window);
  if (limits != NULL)
    {
      self->max_connections = json_object_get_int_member_with_default (limits, "connections", 0);
      self->messages_per_connection = json_object_get_int_member_with_default (limits, "messages_per_connection", 0);
    }

  if (guidance != NULL)
    {
      self->summary = dup_translated (guidance, "summary");
      self->pros = dup_translated_list (guidance, "pros");
      self->cons = dup_translated_list (guidance, "cons");
      self->sharing_text = dup_translated (guidance, "sharing");
    }
  else
    {
      self->summary = g_strdup ("");
      self->pros = g_new0 (char *, 1);
      self->cons = g_new0 (char *, 1);
      self->sharing_text = g_strdup ("");
    }

  return self;
}

/**
 * relay_provider_get_all:
 *
 * Returns: (transfer none): the presets of providers.json, in its order
 */
GListModel *
relay_provider_get_all (void)
{
  static GListStore *providers;

  if (g_once_init_enter (&providers))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      GListStore *store = g_list_store_new (RELAY_TYPE_PROVIDER);
      JsonArray *array;

      bytes = g_resources_lookup_data (PROVIDERS_RESOURCE, 0, &error);
      g_assert_no_error (error);

      if (!json_parser_load_from_data (parser,
                                       g_bytes_get_data (bytes, NULL),
                                       g_bytes_get_size (bytes),
                                       &error))
        g_error ("providers.json: %s", error->message);

      array = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                            "providers");

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          g_autoptr(RelayProvider) provider = NULL;

          provider = relay_provider_new_from_json (json_array_get_object_element (array, i));
          g_list_store_append (store, provider);
        }

      g_once_init_leave (&providers, store);
    }

  return G_LIST_MODEL (providers);
}

/**
 * relay_provider_lookup:
 * @id: a provider id such as "office365"
 *
 * Returns: (transfer none) (nullable): the preset, or %NULL if there is none
 */
RelayProvider *
relay_provider_lookup (const char *id)
{
  guint position;

  g_return_val_if_fail (id != NULL, NULL);

  position = relay_provider_get_position (id);
  if (position == G_MAXUINT)
    return NULL;

  /* the list store keeps its own reference */
  {
    g_autoptr(RelayProvider) provider = g_list_model_get_item (relay_provider_get_all (), position);
    return provider;
  }
}

/**
 * relay_provider_get_position:
 *
 * Returns: the preset's index in relay_provider_get_all(), or %G_MAXUINT
 */
guint
relay_provider_get_position (const char *id)
{
  GListModel *all = relay_provider_get_all ();

  g_return_val_if_fail (id != NULL, G_MAXUINT);

  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr(RelayProvider) provider = g_list_model_get_item (all, i);

      if (g_strcmp0 (provider->id, id) == 0)
        return i;
    }

  return G_MAXUINT;
}

/**
 * relay_provider_get_id:
 * @self: a provider
 *
 * Gets the id of @self, such as "office365": the `provider` an account keeps
 * and the id relay_provider_lookup() takes.
 *
 * Returns: (transfer none): the id of @self
 */
const char *
relay_provider_get_id (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->id;
}

/**
 * relay_provider_get_name:
 * @self: a provider
 *
 * Gets the name of @self as shown to the user, translated.
 *
 * Returns: (transfer none): the name of @self
 */
const char *
relay_provider_get_name (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->name;
}

/**
 * relay_provider_get_host:
 * @self: a provider
 *
 * Gets the SMTP server @self fills in.
 *
 * Returns: (transfer none): the host name, or "" when the user types one
 */
const char *
relay_provider_get_host (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->host;
}

/**
 * relay_provider_get_port:
 * @self: a provider
 *
 * Gets the SMTP port @self fills in, 587 unless providers.json says
 * otherwise.
 *
 * Returns: the port
 */
guint
relay_provider_get_port (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->port;
}

/**
 * relay_provider_get_security:
 * @self: a provider
 *
 * Gets how @self protects the connection: STARTTLS or implicit TLS.
 *
 * Returns: the security of @self
 */
RelaySecurity
relay_provider_get_security (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->security;
}

/**
 * relay_provider_get_auth:
 * @self: a provider
 *
 * Gets how @self signs in; see relay_provider_uses_sign_in() for the
 * methods that need a browser.
 *
 * Returns: the sign-in method of @self
 */
RelayAuthMethod
relay_provider_get_auth (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->auth;
}

/**
 * relay_provider_get_username:
 * @self: a provider
 *
 * Gets the user name @self fills in.
 *
 * Returns: (transfer none): the user name, or "" when the user types their
 *   own
 */
const char *
relay_provider_get_username (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->username;
}

/**
 * relay_provider_get_username_hint:
 * @self: a provider
 *
 * Gets the hint shown under the user name field for @self, translated.
 *
 * Returns: (transfer none): the hint, or "" when there is none
 */
const char *
relay_provider_get_username_hint (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->username_hint;
}

/**
 * relay_provider_get_max_messages:
 * @self: a provider
 *
 * Gets how many messages @self lets an account send within
 * relay_provider_get_message_window() seconds.
 *
 * Returns: the message limit, or 0 when there is none
 */
guint
relay_provider_get_max_messages (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->max_messages;
}

/**
 * relay_provider_get_message_window:
 * @self: a provider
 *
 * Gets the length of the window relay_provider_get_max_messages()
 * counts in.
 *
 * Returns: the window in seconds, or 0 when there is no message limit
 */
guint
relay_provider_get_message_window (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->message_window;
}

/**
 * relay_provider_get_max_recipients:
 * @self: a provider
 *
 * Gets how many recipients @self lets an account send to within
 * relay_provider_get_recipient_window() seconds.
 *
 * Returns: the recipient limit, or 0 when there is none
 */
guint
relay_provider_get_max_recipients (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->max_recipients;
}

/**
 * relay_provider_get_recipient_window:
 * @self: a provider
 *
 * Gets the length of the window relay_provider_get_max_recipients()
 * counts in.
 *
 * Returns: the window in seconds, or 0 when there is no recipient limit
 */
guint
relay_provider_get_recipient_window (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->recipient_window;
}

/**
 * relay_provider_get_max_connections:
 * @self: a provider
 *
 * Gets how many connections @self allows an account at once.
 *
 * Returns: the connection limit, or 0 when there is none
 */
guint
relay_provider_get_max_connections (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->max_connections;
}

/**
 * relay_provider_get_messages_per_connection:
 * @self: a provider
 *
 * Gets how many messages @self accepts over one connection before the
 * client has to connect again.
 *
 * Returns: the limit, or 0 when there is none
 */
guint
relay_provider_get_messages_per_connection (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->messages_per_connection;
}

/**
 * relay_provider_get_sharing:
 * @self: a provider
 *
 * Gets whether the credentials of @self may be shared between users.
 *
 * Returns: the sharing rule of @self
 */
RelaySharing
relay_provider_get_sharing (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0);

  return self->sharing;
}

/**
 * relay_provider_get_summary:
 * @self: a provider
 *
 * Gets the guidance's summary of @self, translated.
 *
 * Returns: (transfer none): the summary, or "" when there is none
 */
const char *
relay_provider_get_summary (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->summary;
}

/**
 * relay_provider_get_sharing_text:
 * @self: a provider
 *
 * Gets the guidance's sentence on sharing the credentials of @self,
 * translated.
 *
 * Returns: (transfer none): the sentence, or "" when there is none
 */
const char *
relay_provider_get_sharing_text (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->sharing_text;
}

/**
 * relay_provider_get_oauth_service:
 * @self: a provider
 *
 * Gets the OAuth service @self signs in with, such as "google".
 *
 * Returns: (transfer none) (nullable): the service, or %NULL when @self
 *   does not sign in with OAuth
 */
const char *
relay_provider_get_oauth_service (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->oauth_service;
}

/**
 * relay_provider_get_oauth_auth_url:
 * @self: a provider
 *
 * Gets the authorization endpoint the browser sign-in of @self opens.
 *
 * Returns: (transfer none) (nullable): the URL, or %NULL when @self does
 *   not sign in with OAuth
 */
const char *
relay_provider_get_oauth_auth_url (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->oauth_auth_url;
}

/**
 * relay_provider_get_oauth_token_url:
 * @self: a provider
 *
 * Gets the token endpoint @self exchanges and refreshes tokens at.
 *
 * Returns: (transfer none) (nullable): the URL, or %NULL when @self does
 *   not sign in with OAuth
 */
const char *
relay_provider_get_oauth_token_url (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->oauth_token_url;
}

/**
 * relay_provider_get_oauth_scope:
 * @self: a provider
 *
 * Gets the scopes the sign-in of @self asks for, space-separated.
 *
 * Returns: (transfer none) (nullable): the scopes, or %NULL when @self
 *   does not sign in with OAuth
 */
const char *
relay_provider_get_oauth_scope (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->oauth_scope;
}

/**
 * relay_provider_get_oauth_userinfo_url:
 * @self: a provider
 *
 * Gets the endpoint that tells the signed-in address for @self, when the
 * id_token does not.
 *
 * Returns: (transfer none) (nullable): the URL, or %NULL when there is
 *   none
 */
const char *
relay_provider_get_oauth_userinfo_url (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return self->oauth_userinfo_url;
}

/**
 * relay_provider_get_pros:
 * @self: a provider
 *
 * Gets the guidance's points in favour of @self, translated.
 *
 * Returns: (transfer none) (array zero-terminated=1): the points, empty
 *   when there are none
 */
const char * const *
relay_provider_get_pros (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return (const char * const *)self->pros;
}

/**
 * relay_provider_get_cons:
 * @self: a provider
 *
 * Gets the guidance's points against @self, translated.
 *
 * Returns: (transfer none) (array zero-terminated=1): the points, empty
 *   when there are none
 */
const char * const *
relay_provider_get_cons (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return (const char * const *)self->cons;
}

/**
 * relay_provider_uses_sign_in:
 *
 * Returns: %TRUE when the provider links accounts through a browser
 *   sign-in (OAuth) rather than an SMTP password
 */
gboolean
relay_provider_uses_sign_in (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), FALSE);

  return self->auth == RELAY_AUTH_METHOD_XOAUTH2 ||
         self->auth == RELAY_AUTH_METHOD_OAUTHBEARER;
}

/**
 * relay_format_limit:
 * @max: how many messages or recipients
 * @per_seconds: the length of the window
 * @recipients: whether @max counts recipients rather than messages
 *
 * Returns: (transfer full): a phrase such as "30 messages per minute"
 */
char *
relay_format_limit (guint    max,
                    guint    per_seconds,
                    gboolean recipients)
{
  g_autofree char *count = relay_format_count (max);

  switch (per_seconds)
    {
    case 60:
      return g_strdup_printf (recipients
                              ? ngettext ("%s recipient per minute", "%s recipients per minute", max)
                              : ngettext ("%s message per minute", "%s messages per minute", max),
                              count);
    case 3600:
      return g_strdup_printf (recipients
                              ? ngettext ("%s recipient per hour", "%s recipients per hour", max)
                              : ngettext ("%s message per hour", "%s messages per hour", max),
                              count);
    case 86400:
      return g_strdup_printf (recipients
                              ? ngettext ("%s recipient per day", "%s recipients per day", max)
                              : ngettext ("%s message per day", "%s messages per day", max),
                              count);
    default:
      return g_strdup_printf (recipients
                              ? ngettext ("%s recipients every %u seconds", "%s recipients every %u seconds", per_seconds)
                              : ngettext ("%s messages every %u seconds", "%s messages every %u seconds", per_seconds),
                              count, per_seconds);
    }
}
