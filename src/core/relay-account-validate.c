/* relay-account-validate.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* RelayAccount's errors (RELAY_ACCOUNT_ERROR, one code per field, and the
 * mail-relay-cli option behind each) and the check of every field of an
 * account. */

#define G_LOG_DOMAIN "relay-account"

#include "config.h"

#include <glib/gi18n.h>

#include "relay-account-private.h"
#include "relay-provider.h"
#include "relay-validate.h"

G_DEFINE_QUARK (relay-account-error-quark, relay_account_error)

/**
 * relay_account_error_get_option:
 *
 * Returns: the mail-relay-cli option that sets the field behind @code
 */
const char *
relay_account_error_get_option (RelayAccountError code)
{
  switch (code)
    {
    case RELAY_ACCOUNT_ERROR_PROVIDER: return "--provider";
    case RELAY_ACCOUNT_ERROR_HOST:     return "--host";
    case RELAY_ACCOUNT_ERROR_PORT:     return "--port";
    case RELAY_ACCOUNT_ERROR_SECURITY: return "--security";
    case RELAY_ACCOUNT_ERROR_AUTH:     return "--auth";
    case RELAY_ACCOUNT_ERROR_USERNAME: return "--username";
    case RELAY_ACCOUNT_ERROR_PASSWORD: return "--password-stdin";
    case RELAY_ACCOUNT_ERROR_FROM:     return "--from";
    case RELAY_ACCOUNT_ERROR_CA_FILE:  return "--ca-file";
    case RELAY_ACCOUNT_ERROR_PIN:      return "--pin";
    case RELAY_ACCOUNT_ERROR_LIMITS:   return "--max-messages/--max-recipients/--per";
    case RELAY_ACCOUNT_ERROR_INSECURE: return "--allow-insecure";
    case RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID: return "--oauth-client-id";
    case RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET: return "--oauth-client-secret-stdin";
    case RELAY_ACCOUNT_ERROR_NAME:     return "--name";
    case RELAY_ACCOUNT_ERROR_SENDERS:  return "--sender";
    default:
      g_return_val_if_reached ("");
    }
}

/**
 * relay_account_validate:
 *
 * Checks every field; the error names the first bad one with a
 * #RelayAccountError code.
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_PROVIDER, %RELAY_ACCOUNT_ERROR_NAME (only when one is
 *   set: the store names an account that has none), %RELAY_ACCOUNT_ERROR_HOST,
 *   %RELAY_ACCOUNT_ERROR_PORT, %RELAY_ACCOUNT_ERROR_USERNAME, %RELAY_ACCOUNT_ERROR_FROM,
 *   %RELAY_ACCOUNT_ERROR_SENDERS, %RELAY_ACCOUNT_ERROR_CA_FILE, %RELAY_ACCOUNT_ERROR_LIMITS,
 *   %RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID (not a client id of the provider's sign-in).
 */
gboolean
relay_account_validate (RelayAccount  *self,
                        GError       **error)
{
  g_autofree char *port = NULL;
  g_autofree char *host = NULL;
  g_autofree char *from = NULL;
  g_autofree char *client_id = NULL;
  g_autofree char *name = NULL;
  RelayProvider *provider;

  g_return_val_if_fail (RELAY_IS_ACCOUNT (self), FALSE);

  if ((provider = relay_provider_lookup (self->provider)) == NULL)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PROVIDER,
                   _("Provider: “%s” is not a known provider"), self->provider);
      return FALSE;
    }

  if (self->name[0] != '\0' && !(name = relay_validate_account_name (self->name, error)))
    return FALSE;

  port = g_strdup_printf ("%u", self->port);
  if (!(host = relay_validate_host (self->host, error)) ||
      !relay_validate_port (port, NULL, error) ||
      !relay_validate_username (self->username, error) ||
      !(from = relay_validate_address (self->from, error)))
    return FALSE;

  for (guint i = 0; self->senders[i] != NULL; i++)
    {
      g_autofree char *sender = relay_validate_sender (self->senders[i], error);

      if (sender == NULL)
        return FALSE;
    }

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

  if (self->oauth_client_id[0] != '\0')
    {
      const char *service = relay_provider_get_oauth_service (provider);

      if (service == NULL)
        {
          g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID,
                       /* Translators: %s is a provider, e.g. “SendGrid” */
                       _("Client ID: %s does not offer a sign-in that uses one"),
                       relay_provider_get_name (provider));
          return FALSE;
        }
      if (!(client_id = relay_validate_oauth_client_id (service, self->oauth_client_id, error)))
        return FALSE;
    }

  return TRUE;
}
