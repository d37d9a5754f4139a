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

#define GETTER(type, name, field)                      \
  type                                                 \
  relay_provider_get_##name (RelayProvider *self)      \
  {                                                    \
    g_return_val_if_fail (RELAY_IS_PROVIDER (self), 0); \
    return self->field;                                \
  }

GETTER (const char *, id, id)
GETTER (const char *, name, name)
GETTER (const char *, host, host)
GETTER (guint, port, port)
GETTER (RelaySecurity, security, security)
GETTER (RelayAuthMethod, auth, auth)
GETTER (const char *, username, username)
GETTER (const char *, username_hint, username_hint)
GETTER (guint, max_messages, max_messages)
GETTER (guint, message_window, message_window)
GETTER (guint, max_recipients, max_recipients)
GETTER (guint, recipient_window, recipient_window)
GETTER (guint, max_connections, max_connections)
GETTER (guint, messages_per_connection, messages_per_connection)
GETTER (RelaySharing, sharing, sharing)
GETTER (const char *, summary, summary)
GETTER (const char *, sharing_text, sharing_text)
GETTER (const char *, oauth_service, oauth_service)
GETTER (const char *, oauth_auth_url, oauth_auth_url)
GETTER (const char *, oauth_token_url, oauth_token_url)
GETTER (const char *, oauth_scope, oauth_scope)
GETTER (const char *, oauth_userinfo_url, oauth_userinfo_url)

#undef GETTER

const char * const *
relay_provider_get_pros (RelayProvider *self)
{
  g_return_val_if_fail (RELAY_IS_PROVIDER (self), NULL);

  return (const char * const *)self->pros;
}

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
