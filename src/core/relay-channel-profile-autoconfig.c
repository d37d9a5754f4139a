/* relay-channel-profile-autoconfig.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A channel profile as Thunderbird's autoconfig file (config-v1.1.xml):
 * its outgoing server, for IT to publish at
 * https://autoconfig.DOMAIN/mail/config-v1.1.xml. */

#define G_LOG_DOMAIN "relay-channel-profile"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-channel-profile-private.h"
#include "relay-provider.h"

/* the domain of an address or of a "*@domain" pattern, lower-case */
static void
add_domain (GPtrArray  *domains,
            const char *address)
{
  const char *at = strrchr (address, '@');
  g_autofree char *domain = NULL;

  if (at == NULL || at[1] == '\0')
    return;

  domain = g_ascii_strdown (at + 1, -1);
  if (!g_ptr_array_find_with_equal_func (domains, domain, g_str_equal, NULL))
    g_ptr_array_add (domains, g_steal_pointer (&domain));
}

static void
add_element (GString    *xml,
             const char *indent,
             const char *name,
             const char *value)
{
  g_autofree char *escaped = g_markup_escape_text (value, -1);

  g_string_append_printf (xml, "%s<%s>%s</%s>\n", indent, name, escaped, name);
}

/**
 * relay_channel_profile_to_autoconfig:
 *
 * The profile's outgoing server as Thunderbird's autoconfig file
 * (`<clientConfig version="1.1">`), for the domains of its sender and its
 * sender patterns: host, port, socket type (SSL, STARTTLS or plain),
 * authentication (password-cleartext, or OAuth2 for a sign-in) and the
 * user name (the shared one, else `%EMAILADDRESS%`). Every value is
 * escaped for XML.
 *
 * Used error codes: %RELAY_CHANNEL_PROFILE_ERROR_NO_DOMAIN (neither a
 *   sender address nor a pattern names a domain).
 *
 * Returns: (transfer full) (nullable): the XML document
 */
char *
relay_channel_profile_to_autoconfig (RelayChannelProfile  *self,
                                     GError              **error)
{
  g_autoptr(GPtrArray) domains = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
  RelayProvider *provider;
  g_autofree char *port = NULL;
  g_autofree char *escaped = NULL;
  const char *socket_type;
  const char *authentication;

  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);

  if (self->from[0] != '\0')
    add_domain (domains, self->from);
  for (guint i = 0; self->senders[i] != NULL; i++)
    add_domain (domains, self->senders[i]);

  if (domains->len == 0)
    {
      g_set_error_literal (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_NO_DOMAIN,
                           _("An autoconfig file is published for a domain, and the account has no sender "
                             "address to name one: set its sender (--from) first"));
      return NULL;
    }

  switch (self->security)
    {
    case RELAY_SECURITY_TLS:      socket_type = "SSL"; break;
    case RELAY_SECURITY_STARTTLS: socket_type = "STARTTLS"; break;
    case RELAY_SECURITY_NONE:
    default:                      socket_type = "plain"; break;
    }

  authentication = self->auth == RELAY_AUTH_METHOD_XOAUTH2 || self->auth == RELAY_AUTH_METHOD_OAUTHBEARER
                   ? "OAuth2" : "password-cleartext";

  escaped = g_markup_escape_text (g_ptr_array_index (domains, 0), -1);
  g_string_append (xml, "<clientConfig version=\"1.1\">\n");
  g_string_append_printf (xml, "  <emailProvider id=\"%s\">\n", escaped);
  for (guint i = 0; i < domains->len; i++)
    add_element (xml, "    ", "domain", g_ptr_array_index (domains, i));

  provider = relay_provider_lookup (self->provider);
  add_element (xml, "    ", "displayName",
               self->name[0] != '\0' ? self->name : provider ? relay_provider_get_name (provider) : self->host);
  add_element (xml, "    ", "displayShortName", g_ptr_array_index (domains, 0));

  port = g_strdup_printf ("%u", self->port);
  g_string_append (xml, "    <outgoingServer type=\"smtp\">\n");
  add_element (xml, "      ", "hostname", self->host);
  add_element (xml, "      ", "port", port);
  add_element (xml, "      ", "socketType", socket_type);
  add_element (xml, "      ", "authentication", authentication);
  add_element (xml, "      ", "username", self->username[0] != '\0' ? self->username : "%EMAILADDRESS%");
  g_string_append (xml, "    </outgoingServer>\n");
  g_string_append (xml, "  </emailProvider>\n");
  g_string_append (xml, "</clientConfig>\n");

  return g_string_free (g_steal_pointer (&xml), FALSE);
}
