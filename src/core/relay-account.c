/* relay-account.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* RelayAccount: the object, its properties and accessors, and the trust
 * kept or forgotten when the server changes. Its JSON form is in
 * relay-account-json.c; its errors and the check of every field in
 * relay-account-validate.c. */

#define G_LOG_DOMAIN "relay-account"

#include "config.h"

#include "relay-account-private.h"
#include "relay-enum-types.h"
#include "relay-validate.h"

G_DEFINE_FINAL_TYPE (RelayAccount, relay_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_NAME,
  PROP_SENDERS,
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
  PROP_OAUTH_CLIENT_ID,
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
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->senders, g_strfreev);
  g_clear_pointer (&self->provider, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->from, g_free);
  g_clear_pointer (&self->ca_file, g_free);
  g_clear_pointer (&self->pins, g_strfreev);
  g_clear_pointer (&self->pins_host, g_free);
  g_clear_pointer (&self->oauth_client_id, g_free);

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
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_SENDERS: g_value_set_boxed (value, self->senders); break;
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
    case PROP_OAUTH_CLIENT_ID: g_value_set_string (value, self->oauth_client_id); break;
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
    case PROP_NAME: relay_account_set_name (self, g_value_get_string (value)); break;
    case PROP_SENDERS: relay_account_set_senders (self, g_value_get_boxed (value)); break;
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
    case PROP_OAUTH_CLIENT_ID: relay_account_set_oauth_client_id (self, g_value_get_string (value)); break;
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
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, "", flags);
  properties[PROP_SENDERS] = g_param_spec_boxed ("senders", NULL, NULL, G_TYPE_STRV, flags);
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
  /* the user's own OAuth client; its secret is in the keyring */
  properties[PROP_OAUTH_CLIENT_ID] = g_param_spec_string ("oauth-client-id", NULL, NULL, "", flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
relay_account_init (RelayAccount *self)
{
  self->name = g_strdup ("");
  self->senders = g_new0 (char *, 1);
  self->provider = g_strdup ("custom");
  self->host = g_strdup ("");
  self->username = g_strdup ("");
  self->from = g_strdup ("");
  self->ca_file = g_strdup ("");
  self->pins = g_new0 (char *, 1);
  self->pins_host = g_strdup ("");
  self->oauth_client_id = g_strdup ("");
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
 * Copies field by field, so that a copy never fails: an account being
 * typed may hold what relay_account_new_from_json() refuses.
 *
 * Returns: (transfer full): an account with the same id and values
 */
static void
copy_str (char       **to,
          const char  *from)
{
  g_free (*to);
  *to = g_strdup (from);
}

RelayAccount *
relay_account_copy (RelayAccount *self)
{
  RelayAccount *copy;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  copy = relay_account_new ();
  copy_str (&copy->id, self->id);
  copy_str (&copy->name, self->name);
  g_strfreev (copy->senders);
  copy->senders = g_strdupv (self->senders);
  copy_str (&copy->provider, self->provider);
  copy_str (&copy->host, self->host);
  copy_str (&copy->username, self->username);
  copy_str (&copy->from, self->from);
  copy_str (&copy->ca_file, self->ca_file);
  g_strfreev (copy->pins);
  copy->pins = g_strdupv (self->pins);
  copy_str (&copy->pins_host, self->pins_host);
  copy->pins_port = self->pins_port;
  copy_str (&copy->oauth_client_id, self->oauth_client_id);
  copy->port = self->port;
  copy->security = self->security;
  copy->auth = self->auth;
  copy->max_messages = self->max_messages;
  copy->message_window = self->message_window;
  copy->max_recipients = self->max_recipients;
  copy->recipient_window = self->recipient_window;
  copy->allow_insecure = self->allow_insecure;
  copy->sign_in_again = self->sign_in_again;

  return copy;
}

/**
 * relay_account_apply_provider:
 *
 * Fills the server, security, authentication and limits from a preset.
 * The user name is replaced only where the provider has a fixed one. An
 * own OAuth client made for another sign-in service (or for none) goes.
 */
void
relay_account_apply_provider (RelayAccount  *self,
                              RelayProvider *provider)
{
  RelayProvider *before;

  g_return_if_fail (RELAY_IS_ACCOUNT (self));
  g_return_if_fail (RELAY_IS_PROVIDER (provider));

  before = relay_provider_lookup (self->provider);

  g_object_freeze_notify (G_OBJECT (self));
  if (before == NULL ||
      g_strcmp0 (relay_provider_get_oauth_service (before), relay_provider_get_oauth_service (provider)) != 0)
    relay_account_set_oauth_client_id (self, NULL);
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

/**
 * relay_account_get_name: (attributes org.gtk.Method.get_property=name)
 * @self: an account
 *
 * Gets the name the user gave @self, unique among the accounts of a
 * store (relay_account_store_put() gives one to an account without).
 *
 * Returns: the name, "" when not set yet
 */
const char *
relay_account_get_name (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return self->name;
}

/**
 * relay_account_set_name: (attributes org.gtk.Method.set_property=name)
 * @self: an account
 * @name: (nullable): the name (see relay_validate_account_name()); %NULL is ""
 *
 * Sets the name of @self.
 *
 * Notifies #RelayAccount:name only when the value changes.
 */
void
relay_account_set_name (RelayAccount *self,
                        const char   *name)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_string (self, &self->name, name, PROP_NAME);
}

/**
 * relay_account_get_senders: (attributes org.gtk.Method.get_property=senders)
 * @self: an account
 *
 * Gets the addresses, and the patterns `*@DOMAIN`, that @self sends as
 * besides its sender address: mail from them goes through @self (see
 * relay_account_store_route()), and a provider that sends only as the
 * signed-in mailbox is taken to accept them (an alias the user set up).
 *
 * Returns: (transfer none): the addresses and patterns, as
 *   relay_validate_sender() gives them; empty when there is none
 */
const char * const *
relay_account_get_senders (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return (const char * const *)self->senders;
}

/**
 * relay_account_set_senders: (attributes org.gtk.Method.set_property=senders)
 * @self: an account
 * @senders: (nullable): addresses and `*@DOMAIN` patterns, as
 *   relay_validate_sender() gives them; %NULL for none
 *
 * Sets the addresses @self sends as besides its sender address.
 *
 * Notifies #RelayAccount:senders only when the value changes.
 */
void
relay_account_set_senders (RelayAccount       *self,
                           const char * const *senders)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  if (senders == NULL)
    senders = (const char * const[]) { NULL };

  if (g_strv_equal ((const char * const *)self->senders, senders))
    return;

  g_strfreev (self->senders);
  self->senders = g_strdupv ((char **)senders);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SENDERS]);
}

/**
 * relay_account_get_provider: (attributes org.gtk.Method.get_property=provider)
 * @self: an account
 *
 * Gets the provider of @self.
 *
 * Returns: the provider id, such as "gmail", or "custom"
 */
const char *
relay_account_get_provider (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return self->provider;
}

/**
 * relay_account_set_provider: (attributes org.gtk.Method.set_property=provider)
 * @self: an account
 * @provider: (nullable): a provider id (see relay_provider_lookup()); %NULL is ""
 *
 * Sets the provider of @self.
 *
 * Notifies #RelayAccount:provider only when the value changes.
 */
void
relay_account_set_provider (RelayAccount *self,
                            const char   *provider)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_string (self, &self->provider, provider, PROP_PROVIDER);
}

/**
 * relay_account_get_host: (attributes org.gtk.Method.get_property=host)
 * @self: an account
 *
 * Gets the server of @self.
 *
 * Returns: the server's host name or address, "" when not set
 */
const char *
relay_account_get_host (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return self->host;
}

/**
 * relay_account_set_host: (attributes org.gtk.Method.set_property=host)
 * @self: an account
 * @host: (nullable): the server's host name or address; %NULL is ""
 *
 * Sets the server of @self.
 *
 * Notifies #RelayAccount:host only when the value changes.
 */
void
relay_account_set_host (RelayAccount *self,
                        const char   *host)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_string (self, &self->host, host, PROP_HOST);
}

/**
 * relay_account_get_username: (attributes org.gtk.Method.get_property=username)
 * @self: an account
 *
 * Gets the user name @self signs in with.
 *
 * Returns: the user name, "" when not set
 */
const char *
relay_account_get_username (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return self->username;
}

/**
 * relay_account_set_username: (attributes org.gtk.Method.set_property=username)
 * @self: an account
 * @username: (nullable): the user name; %NULL is ""
 *
 * Sets the user name @self signs in with.
 *
 * Notifies #RelayAccount:username only when the value changes.
 */
void
relay_account_set_username (RelayAccount *self,
                            const char   *username)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_string (self, &self->username, username, PROP_USERNAME);
}

/**
 * relay_account_get_from: (attributes org.gtk.Method.get_property=from)
 * @self: an account
 *
 * Gets the sender address of @self.
 *
 * Returns: the sender address, "" when not set
 */
const char *
relay_account_get_from (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return self->from;
}

/**
 * relay_account_set_from: (attributes org.gtk.Method.set_property=from)
 * @self: an account
 * @from: (nullable): the sender address; %NULL is ""
 *
 * Sets the sender address of @self.
 *
 * Notifies #RelayAccount:from only when the value changes.
 */
void
relay_account_set_from (RelayAccount *self,
                        const char   *from)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_string (self, &self->from, from, PROP_FROM);
}

/**
 * relay_account_get_ca_file: (attributes org.gtk.Method.get_property=ca-file)
 * @self: an account
 *
 * Gets the CA file @self trusts instead of the system's.
 *
 * Returns: the path of the CA file, "" for the system's trust store
 */
const char *
relay_account_get_ca_file (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return self->ca_file;
}

/**
 * relay_account_set_ca_file: (attributes org.gtk.Method.set_property=ca-file)
 * @self: an account
 * @ca_file: (nullable): the path of a CA file, "" or %NULL for the system's trust store
 *
 * Sets the CA file @self trusts instead of the system's.
 *
 * Notifies #RelayAccount:ca-file only when the value changes.
 */
void
relay_account_set_ca_file (RelayAccount *self,
                           const char   *ca_file)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_string (self, &self->ca_file, ca_file, PROP_CA_FILE);
}

/**
 * relay_account_get_port: (attributes org.gtk.Method.get_property=port)
 * @self: an account
 *
 * Gets the server port of @self.
 *
 * Returns: the port, 587 by default
 */
guint
relay_account_get_port (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->port;
}

/**
 * relay_account_set_port: (attributes org.gtk.Method.set_property=port)
 * @self: an account
 * @port: the port, 1 to 65535
 *
 * Sets the server port of @self.
 *
 * Notifies #RelayAccount:port only when the value changes.
 */
void
relay_account_set_port (RelayAccount *self,
                        guint         port)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_uint (self, &self->port, port, PROP_PORT);
}

/**
 * relay_account_get_security: (attributes org.gtk.Method.get_property=security)
 * @self: an account
 *
 * Gets how @self encrypts the connection.
 *
 * Returns: the security, %RELAY_SECURITY_STARTTLS by default
 */
RelaySecurity
relay_account_get_security (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->security;
}

/**
 * relay_account_set_security: (attributes org.gtk.Method.set_property=security)
 * @self: an account
 * @security: the security
 *
 * Sets how @self encrypts the connection.
 *
 * Notifies #RelayAccount:security only when the value changes.
 */
void
relay_account_set_security (RelayAccount  *self,
                            RelaySecurity  security)
{
  guint field;

  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  field = self->security;
  set_uint (self, &field, security, PROP_SECURITY);
  self->security = field;
}

/**
 * relay_account_get_auth: (attributes org.gtk.Method.get_property=auth)
 * @self: an account
 *
 * Gets the sign-in mechanism of @self.
 *
 * Returns: the mechanism, %RELAY_AUTH_METHOD_AUTO (chosen from what the server offers) by default
 */
RelayAuthMethod
relay_account_get_auth (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->auth;
}

/**
 * relay_account_set_auth: (attributes org.gtk.Method.set_property=auth)
 * @self: an account
 * @auth: the mechanism
 *
 * Sets the sign-in mechanism of @self.
 *
 * Notifies #RelayAccount:auth only when the value changes.
 */
void
relay_account_set_auth (RelayAccount    *self,
                        RelayAuthMethod  auth)
{
  guint field;

  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  field = self->auth;
  set_uint (self, &field, auth, PROP_AUTH);
  self->auth = field;
}

/**
 * relay_account_get_max_messages: (attributes org.gtk.Method.get_property=max-messages)
 * @self: an account
 *
 * Gets the most messages @self may send in its message window.
 *
 * Returns: the limit, 0 for none
 */
guint
relay_account_get_max_messages (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->max_messages;
}

/**
 * relay_account_set_max_messages: (attributes org.gtk.Method.set_property=max-messages)
 * @self: an account
 * @max_messages: the limit, 0 for none
 *
 * Sets the most messages @self may send in its message window.
 *
 * Notifies #RelayAccount:max-messages only when the value changes.
 */
void
relay_account_set_max_messages (RelayAccount *self,
                                guint         max_messages)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_uint (self, &self->max_messages, max_messages, PROP_MAX_MESSAGES);
}

/**
 * relay_account_get_message_window: (attributes org.gtk.Method.get_property=message-window)
 * @self: an account
 *
 * Gets the window of time, in seconds, of the message limit of @self.
 *
 * Returns: the window in seconds, 0 for none
 */
guint
relay_account_get_message_window (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->message_window;
}

/**
 * relay_account_set_message_window: (attributes org.gtk.Method.set_property=message-window)
 * @self: an account
 * @message_window: the window in seconds, 0 for none
 *
 * Sets the window of time, in seconds, of the message limit of @self.
 *
 * Notifies #RelayAccount:message-window only when the value changes.
 */
void
relay_account_set_message_window (RelayAccount *self,
                                  guint         message_window)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_uint (self, &self->message_window, message_window, PROP_MESSAGE_WINDOW);
}

/**
 * relay_account_get_max_recipients: (attributes org.gtk.Method.get_property=max-recipients)
 * @self: an account
 *
 * Gets the most recipients @self may send to in its recipient window.
 *
 * Returns: the limit, 0 for none
 */
guint
relay_account_get_max_recipients (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->max_recipients;
}

/**
 * relay_account_set_max_recipients: (attributes org.gtk.Method.set_property=max-recipients)
 * @self: an account
 * @max_recipients: the limit, 0 for none
 *
 * Sets the most recipients @self may send to in its recipient window.
 *
 * Notifies #RelayAccount:max-recipients only when the value changes.
 */
void
relay_account_set_max_recipients (RelayAccount *self,
                                  guint         max_recipients)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_uint (self, &self->max_recipients, max_recipients, PROP_MAX_RECIPIENTS);
}

/**
 * relay_account_get_recipient_window: (attributes org.gtk.Method.get_property=recipient-window)
 * @self: an account
 *
 * Gets the window of time, in seconds, of the recipient limit of @self.
 *
 * Returns: the window in seconds, 0 for none
 */
guint
relay_account_get_recipient_window (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->recipient_window;
}

/**
 * relay_account_set_recipient_window: (attributes org.gtk.Method.set_property=recipient-window)
 * @self: an account
 * @recipient_window: the window in seconds, 0 for none
 *
 * Sets the window of time, in seconds, of the recipient limit of @self.
 *
 * Notifies #RelayAccount:recipient-window only when the value changes.
 */
void
relay_account_set_recipient_window (RelayAccount *self,
                                    guint         recipient_window)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_uint (self, &self->recipient_window, recipient_window, PROP_RECIPIENT_WINDOW);
}

/**
 * relay_account_get_oauth_client_id: (attributes org.gtk.Method.get_property=oauth-client-id)
 * @self: an account
 *
 * Gets the user's own OAuth client that @self signs in with, for a copy
 * of Mail Relay built without one (or to use another). Its secret, if it
 * has one, is in the keyring (kind `oauth-client-secret`).
 *
 * Returns: the client id, "" when the built-in client is used
 */
const char *
relay_account_get_oauth_client_id (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), NULL);

  return self->oauth_client_id;
}

/**
 * relay_account_set_oauth_client_id: (attributes org.gtk.Method.set_property=oauth-client-id)
 * @self: an account
 * @client_id: (nullable): the user's own OAuth client id (see
 *   relay_validate_oauth_client_id()); %NULL or "" for the built-in one
 *
 * Sets the OAuth client @self signs in with.
 *
 * Notifies #RelayAccount:oauth-client-id only when the value changes.
 */
void
relay_account_set_oauth_client_id (RelayAccount *self,
                                   const char   *client_id)
{
  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  set_string (self, &self->oauth_client_id, client_id, PROP_OAUTH_CLIENT_ID);
}

/**
 * relay_account_get_allow_insecure: (attributes org.gtk.Method.get_property=allow-insecure)
 * @self: an account
 *
 * Gets whether @self may send a password over an unencrypted connection to a remote host.
 *
 * Returns: %TRUE when the user allowed it
 */
gboolean
relay_account_get_allow_insecure (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->allow_insecure;
}

/**
 * relay_account_set_allow_insecure: (attributes org.gtk.Method.set_property=allow-insecure)
 * @self: an account
 * @allow_insecure: whether to allow it
 *
 * Sets whether @self may send a password over an unencrypted connection to a remote host.
 *
 * Notifies #RelayAccount:allow-insecure only when the value changes.
 */
void
relay_account_set_allow_insecure (RelayAccount *self,
                                  gboolean      allow_insecure)
{
  guint field;

  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  field = self->allow_insecure;
  set_uint (self, &field, allow_insecure, PROP_ALLOW_INSECURE);
  self->allow_insecure = field;
}

/**
 * relay_account_get_sign_in_again: (attributes org.gtk.Method.get_property=sign-in-again)
 * @self: an account
 *
 * Gets whether the provider refused the stored sign-in of @self.
 *
 * Returns: %TRUE when the user must sign in again (the provider answered invalid_grant)
 */
gboolean
relay_account_get_sign_in_again (RelayAccount *self)
{
  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), 0);

  return self->sign_in_again;
}

/**
 * relay_account_set_sign_in_again: (attributes org.gtk.Method.set_property=sign-in-again)
 * @self: an account
 * @sign_in_again: whether the user must sign in again
 *
 * Sets whether the provider refused the stored sign-in of @self.
 *
 * Notifies #RelayAccount:sign-in-again only when the value changes.
 */
void
relay_account_set_sign_in_again (RelayAccount *self,
                                 gboolean      sign_in_again)
{
  guint field;

  g_return_if_fail (RELAY_IS_ACCOUNT (self));

  field = self->sign_in_again;
  set_uint (self, &field, sign_in_again, PROP_SIGN_IN_AGAIN);
  self->sign_in_again = field;
}

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
