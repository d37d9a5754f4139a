/* relay-validate.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-validate"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "relay-secure-private.h"
#include "relay-validate.h"

#define MAX_HOST_LENGTH 253
#define MAX_LABEL_LENGTH 63
#define MAX_LOCAL_PART_LENGTH 64
#define MAX_ADDRESS_LENGTH 254
#define MAX_FIELD_LENGTH 1024
/* an account's name: a label in a list, not a description */
#define MAX_NAME_LENGTH 64
/* Google's ids are about 72 characters, Microsoft's 36; secrets about 35 and 40 */
#define MAX_OAUTH_CLIENT_ID_LENGTH 256
#define MAX_OAUTH_CLIENT_SECRET_LENGTH 256
#define GOOGLE_CLIENT_ID_SUFFIX ".apps.googleusercontent.com"

static gboolean
has_control_characters (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        return TRUE;
    }

  return FALSE;
}

/* Invisible characters that make an address look like another one:
 * bidirectional controls (U+202A–202E, U+2066–2069), zero-width ones
 * (U+200B–200F, U+FEFF), the soft hyphen; all of Unicode's “format” */
static gboolean
has_format_characters (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_type (g_utf8_get_char (p)) == G_UNICODE_FORMAT)
      return TRUE;

  return FALSE;
}

static gboolean
has_spaces (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_isspace (g_utf8_get_char (p)) && !g_unichar_iscntrl (g_utf8_get_char (p)))
      return TRUE;

  return FALSE;
}

static gboolean
ascii_label_is_valid (const char *label,
                      gsize       length)
{
  if (length == 0 || length > MAX_LABEL_LENGTH)
    return FALSE;
  if (label[0] == '-' || label[length - 1] == '-')
    return FALSE;

  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isalnum (label[i]) && label[i] != '-')
      return FALSE;

  return TRUE;
}

static gboolean
ascii_domain_is_valid (const char *ascii)
{
  const char *label = ascii;
  gsize length = strlen (ascii);

  if (length == 0 || length > MAX_HOST_LENGTH)
    return FALSE;

  /* a single trailing dot names the root and is allowed */
  if (ascii[length - 1] == '.')
    length--;

  while (label < ascii + length)
    {
      const char *dot = memchr (label, '.', ascii + length - label);
      const char *end = dot ? dot : ascii + length;

      if (!ascii_label_is_valid (label, end - label))
        return FALSE;

      label = end + 1;
      if (dot != NULL && label >= ascii + length)
        return FALSE;
    }

  return TRUE;
}

typedef enum
{
  DOMAIN_OK,
  DOMAIN_CONTROL,
  DOMAIN_SPACES,
  DOMAIN_INVALID,
} DomainProblem;

/* Shared by the server name and the domain of an address: returns the
 * ASCII (punycode) form, or NULL with a reason that the caller words. */
static char *
normalize_domain (const char    *text,
                  DomainProblem *problem)
{
  g_autofree char *ascii = NULL;

  *problem = DOMAIN_OK;

  if (!g_utf8_validate (text, -1, NULL) || has_control_characters (text))
    {
      *problem = DOMAIN_CONTROL;
      return NULL;
    }
  if (has_spaces (text))
    {
      *problem = DOMAIN_SPACES;
      return NULL;
    }

  if (g_hostname_is_ip_address (text))
    return g_strdup (text);

  /* “[::1]” as typed in URLs */
  if (text[0] == '[' && g_str_has_suffix (text, "]"))
    {
      g_autofree char *inner = g_strndup (text + 1, strlen (text) - 2);

      if (g_hostname_is_ip_address (inner))
        return g_steal_pointer (&inner);
    }

  ascii = g_hostname_to_ascii (text);
  if (ascii == NULL || !ascii_domain_is_valid (ascii))
    {
      *problem = DOMAIN_INVALID;
      return NULL;
    }

  return g_ascii_strdown (ascii, -1);
}

/**
 * relay_validate_host:
 * @text: a server name as the user typed it
 *
 * Internationalised names are converted with g_hostname_to_ascii().
 *
 * Returns: (transfer full) (nullable): the name to connect to, or %NULL
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_HOST (the message names the field).
 */
char *
relay_validate_host (const char  *text,
                     GError     **error)
{
  g_autofree char *trimmed = NULL;
  DomainProblem problem;
  char *ascii;

  g_return_val_if_fail (text != NULL, NULL);

  trimmed = g_strstrip (g_strdup (text));
  if (trimmed[0] == '\0')
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_HOST,
                   _("Server: enter the name of the SMTP server, such as smtp.example.com"));
      return NULL;
    }

  if (strlen (trimmed) > MAX_FIELD_LENGTH)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_HOST,
                   _("Server: the name is too long"));
      return NULL;
    }

  ascii = normalize_domain (trimmed, &problem);
  switch (problem)
    {
    case DOMAIN_CONTROL:
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_HOST,
                   _("Server: the name contains control characters"));
      break;
    case DOMAIN_SPACES:
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_HOST,
                   _("Server: a host name cannot contain spaces"));
      break;
    case DOMAIN_INVALID:
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_HOST,
                   _("Server: “%s” is not a valid host name"), trimmed);
      break;
    case DOMAIN_OK:
    default:
      break;
    }

  return ascii;
}

/**
 * relay_validate_port:
 *
 * Returns: %TRUE and sets @port when @text is a number from 1 to 65535
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_PORT (the message names the field).
 */
gboolean
relay_validate_port (const char  *text,
                     guint       *port,
                     GError     **error)
{
  g_autofree char *trimmed = NULL;
  guint64 value;

  g_return_val_if_fail (text != NULL, FALSE);

  trimmed = g_strstrip (g_strdup (text));
  if (trimmed[0] == '\0')
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PORT,
                   _("Port: enter the server’s port, usually 587 or 465"));
      return FALSE;
    }

  for (const char *p = trimmed; *p; p++)
    if (!g_ascii_isdigit (*p))
      {
        g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PORT,
                     _("Port: “%s” is not a number"), trimmed);
        return FALSE;
      }

  if (!g_ascii_string_to_unsigned (trimmed, 10, 1, 65535, &value, NULL))
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PORT,
                   _("Port: %s is outside the range 1 to 65535"), trimmed);
      return FALSE;
    }

  if (port != NULL)
    *port = value;

  return TRUE;
}

static gboolean
atext_is_valid (gunichar c)
{
  /* RFC 5322 atext, plus any non-ASCII letter (RFC 6531) */
  return (c > 0x7f && !g_unichar_iscntrl (c) && !g_unichar_isspace (c)) ||
         g_ascii_isalnum (c) || (c < 0x80 && strchr ("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/**
 * relay_validate_address_field:
 * @text: an address such as “a@example.com”
 * @field: the name of the field it was typed in, for the message
 *   (“Recipient”, “Sender address”)
 *
 * Returns: (transfer full) (nullable): the address with its domain in
 *   ASCII form, or %NULL
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_FROM (the message names @field).
 */
char *
relay_validate_address_field (const char  *text,
                              const char  *field,
                              GError     **error)
{
  g_autofree char *trimmed = NULL;
  g_autofree char *domain = NULL;
  DomainProblem problem;
  const char *at;
  gboolean dot_ok = FALSE;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (field != NULL, NULL);

  trimmed = g_strstrip (g_strdup (text));

  if (trimmed[0] == '\0')
    {
      /* Translators: %s is the field, “Sender address” or “Recipient” */
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM,
                   _("%s: enter an email address such as name@example.com"), field);
      return NULL;
    }

  if (!g_utf8_validate (trimmed, -1, NULL) || has_control_characters (trimmed))
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM,
                   _("%s: it contains control characters"), field);
      return NULL;
    }

  if (has_format_characters (trimmed))
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM,
                   _("%s: it contains invisible formatting characters, which can make one address look like another"),
                   field);
      return NULL;
    }

  if (has_spaces (trimmed))
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM,
                   _("%s: “%s” contains spaces"), field, trimmed);
      return NULL;
    }

  at = strrchr (trimmed, '@');
  if (at == NULL || at == trimmed || at[1] == '\0' || strlen (trimmed) > MAX_ADDRESS_LENGTH)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM,
                   _("%s: “%s” is not an email address such as name@example.com"),
                   field, trimmed);
      return NULL;
    }

  if (at - trimmed > MAX_LOCAL_PART_LENGTH || trimmed[0] == '.' || at[-1] == '.')
    goto bad_local;

  for (const char *p = trimmed; p < at; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '.')
        {
          if (!dot_ok)
            goto bad_local;
          dot_ok = FALSE;
          continue;
        }

      if (!atext_is_valid (c))
        goto bad_local;
      dot_ok = TRUE;
    }

  domain = normalize_domain (at + 1, &problem);
  if (domain == NULL || g_hostname_is_ip_address (domain) || strchr (domain, '.') == NULL)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM,
                   _("%s: “%s” is not a valid mail domain"), field, at + 1);
      return NULL;
    }

  return g_strdup_printf ("%.*s@%s", (int)(at - trimmed), trimmed, domain);

bad_local:
  g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM,
               _("%s: the part before “@” in “%s” is not valid"), field, trimmed);
  return NULL;
}

/**
 * relay_validate_address:
 * @text: a sender address such as “a@example.com”
 *
 * Returns: (transfer full) (nullable): the address with its domain in
 *   ASCII form, or %NULL
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_FROM (the message names the field).
 */
char *
relay_validate_address (const char  *text,
                        GError     **error)
{
  return relay_validate_address_field (text, _("Sender address"), error);
}

/**
 * relay_validate_sender:
 * @text: an address such as “a@example.com”, or a pattern “*@example.com”
 *   for every address of a domain
 *
 * An address an account may send as (its `senders`), held to what a
 * typed sender address is held to; a pattern's domain as an address's.
 *
 * Returns: (transfer full) (nullable): the address or the pattern with
 *   its domain in lower-case ASCII form, or %NULL
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_SENDERS (the message names the field).
 */
char *
relay_validate_sender (const char  *text,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *trimmed = NULL;
  g_autofree char *address = NULL;
  gboolean pattern;
  char *at;

  g_return_val_if_fail (text != NULL, NULL);

  trimmed = g_strstrip (g_strdup (text));
  pattern = g_str_has_prefix (trimmed, "*@");
  if (pattern)
    {
      /* the domain checked as the domain of an address */
      g_autofree char *probe = g_strconcat ("postmaster", trimmed + 1, NULL);

      address = relay_validate_address_field (probe, _("Sender"), &local_error);
      if (address == NULL)
        {
          g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_SENDERS,
                       /* Translators: “*@DOMAIN” stands for every address of the domain; keep it as it is */
                       _("Sender: “%s” is not an address or a pattern *@DOMAIN with a valid mail domain"),
                       trimmed);
          return NULL;
        }
    }
  else if (!(address = relay_validate_address_field (trimmed, _("Sender"), &local_error)))
    {
      g_set_error_literal (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_SENDERS, local_error->message);
      return NULL;
    }

  at = strrchr (address, '@');
  for (char *p = at + 1; *p; p++)
    *p = g_ascii_tolower (*p);

  return pattern ? g_strconcat ("*", at, NULL) : g_steal_pointer (&address);
}

/**
 * relay_validate_account_name:
 * @text: the name a person gives an account, such as “Sales (Office 365)”
 *
 * Returns: (transfer full) (nullable): the name without the spaces
 *   around it, or %NULL
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_NAME (the message names the field).
 */
char *
relay_validate_account_name (const char  *text,
                             GError     **error)
{
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  if (!g_utf8_validate (text, -1, NULL) || has_control_characters (text) || has_format_characters (text))
    {
      g_set_error_literal (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME,
                           _("Name: it contains control or invisible formatting characters"));
      return NULL;
    }

  trimmed = g_strstrip (g_strdup (text));
  if (trimmed[0] == '\0')
    {
      g_set_error_literal (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME,
                           _("Name: give the account a name"));
      return NULL;
    }

  if (g_utf8_strlen (trimmed, -1) > MAX_NAME_LENGTH)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_NAME,
                   _("Name: it is longer than %d characters"), MAX_NAME_LENGTH);
      return NULL;
    }

  return g_steal_pointer (&trimmed);
}

/**
 * relay_address_needs_smtputf8:
 *
 * Returns: whether @address (domain already in ASCII form) has a local
 *   part that only a server offering SMTPUTF8 (RFC 6531) can take
 */
gboolean
relay_address_needs_smtputf8 (const char *address)
{
  for (const char *p = address; *p; p++)
    if ((guchar)*p >= 0x80)
      return TRUE;

  return FALSE;
}

/**
 * relay_validate_username:
 *
 * An empty user name is allowed: some servers take mail without AUTH.
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_USERNAME (the message names the field).
 */
gboolean
relay_validate_username (const char  *text,
                         GError     **error)
{
  g_return_val_if_fail (text != NULL, FALSE);

  if (!g_utf8_validate (text, -1, NULL) || has_control_characters (text))
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_USERNAME,
                   _("User name: it contains control characters"));
      return FALSE;
    }

  if (strlen (text) > MAX_FIELD_LENGTH)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_USERNAME,
                   _("User name: it is too long"));
      return FALSE;
    }

  return TRUE;
}

/**
 * relay_validate_password:
 *
 * The password itself never appears in the message.
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_PASSWORD (the message names the field).
 */
gboolean
relay_validate_password (const char  *text,
                         GError     **error)
{
  g_return_val_if_fail (text != NULL, FALSE);

  if (!g_utf8_validate (text, -1, NULL) || strchr (text, '\r') || strchr (text, '\n') ||
      strlen (text) > MAX_FIELD_LENGTH)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PASSWORD,
                   _("Password: it must be one line of UTF-8 text, at most 1024 bytes"));
      return FALSE;
    }

  return TRUE;
}

/* Printable ASCII without spaces: what an OAuth client id or secret is
 * made of (RFC 6749 appendix A.1, A.2), and what a form may carry */
static gboolean
is_oauth_client_text (const char *text)
{
  for (const char *p = text; *p; p++)
    if (*p <= ' ' || *p > '~')
      return FALSE;

  return TRUE;
}

/**
 * relay_validate_oauth_client_id:
 * @service: the provider's sign-in service, "google" or "microsoft"
 * @text: a client id as typed, perhaps with spaces around it
 *
 * A Google client id ends in `.apps.googleusercontent.com`; a Microsoft
 * application (client) id is a GUID.
 *
 * Returns: (transfer full) (nullable): the id without surrounding
 *   spaces, or %NULL
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID (the message names the field).
 */
char *
relay_validate_oauth_client_id (const char  *service,
                                const char  *text,
                                GError     **error)
{
  g_autofree char *trimmed = NULL;
  const char *message = NULL;

  g_return_val_if_fail (service != NULL, NULL);
  g_return_val_if_fail (text != NULL, NULL);

  trimmed = g_strstrip (g_strdup (text));

  if (trimmed[0] == '\0')
    message = _("Client ID: enter the client ID of your OAuth client");
  else if (strlen (trimmed) > MAX_OAUTH_CLIENT_ID_LENGTH)
    message = _("Client ID: it is too long");
  else if (!g_utf8_validate (trimmed, -1, NULL) || !is_oauth_client_text (trimmed))
    message = _("Client ID: it contains spaces or other characters a client ID does not have");
  else if (g_str_equal (service, "google"))
    {
      if (!g_str_has_suffix (trimmed, GOOGLE_CLIENT_ID_SUFFIX) ||
          strlen (trimmed) == strlen (GOOGLE_CLIENT_ID_SUFFIX))
        message = _("Client ID: a Google client ID ends in “.apps.googleusercontent.com”");
    }
  else if (g_str_equal (service, "microsoft"))
    {
      if (!g_uuid_string_is_valid (trimmed))
        message = _("Client ID: a Microsoft application (client) ID looks like "
                    "“00000000-0000-0000-0000-000000000000”");
    }
  else
    message = _("Client ID: this provider does not offer a sign-in");

  if (message != NULL)
    {
      g_set_error_literal (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID, message);
      return NULL;
    }

  return g_steal_pointer (&trimmed);
}

/**
 * relay_validate_oauth_client_secret:
 * @service: the provider's sign-in service, "google" or "microsoft"
 * @text: the client secret, "" for none
 *
 * Google's desktop-app clients have a secret, which the token endpoint
 * asks for; Microsoft's public clients have none, so it may be empty
 * there. The secret itself never appears in the message.
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET (the message names the field).
 */
gboolean
relay_validate_oauth_client_secret (const char  *service,
                                    const char  *text,
                                    GError     **error)
{
  const char *message = NULL;

  g_return_val_if_fail (service != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  if (text[0] == '\0')
    {
      if (g_str_equal (service, "google"))
        message = _("Client secret: enter the client secret that Google shows with the client ID");
    }
  else if (strlen (text) > MAX_OAUTH_CLIENT_SECRET_LENGTH)
    message = _("Client secret: it is too long");
  else if (!is_oauth_client_text (text))
    message = _("Client secret: it contains spaces or other characters a client secret does not have");

  if (message != NULL)
    {
      g_set_error_literal (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET, message);
      return FALSE;
    }

  return TRUE;
}

/**
 * relay_validate_pin:
 * @text: a SHA-256 fingerprint, hex, with or without colons
 *
 * Returns: (transfer full) (nullable): 64 lower-case hex digits, or %NULL
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_PIN (the message names the field).
 */
char *
relay_validate_pin (const char  *text,
                    GError     **error)
{
  g_autoptr(GString) hex = g_string_new (NULL);

  g_return_val_if_fail (text != NULL, NULL);

  for (const char *p = text; *p; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (!g_ascii_isxdigit (*p) || hex->len >= 64)
        {
          hex->len = 0;
          break;
        }
      g_string_append_c (hex, g_ascii_tolower (*p));
    }

  if (hex->len != 64)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PIN,
                   _("Certificate pin: expected a SHA-256 fingerprint of 64 hexadecimal digits"));
      return NULL;
    }

  return g_string_free (g_steal_pointer (&hex), FALSE);
}

/**
 * relay_validate_ca_file:
 * @text: the path of a file of PEM certificates, absolute or relative to
 *   the current folder
 *
 * Checks a CA file as the CLI's `--ca-file` and the setup page take it:
 * a regular file that holds at least one certificate that can be read.
 *
 * Returns: (transfer full) (nullable): the canonical absolute path, or
 *   %NULL
 *
 * Used error codes: %RELAY_ACCOUNT_ERROR_CA_FILE (the message names the field).
 */
char *
relay_validate_ca_file (const char  *text,
                        GError     **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GTlsDatabase) database = NULL;
  g_autoptr(GError) ca_error = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  shown = g_filename_display_name (text);
  path = g_canonicalize_filename (text, NULL);
  if (text[0] == '\0' || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_CA_FILE,
                   _("CA file: “%s” is not a readable file"), shown);
      return NULL;
    }

  if ((database = g_tls_file_database_new (path, &ca_error)) == NULL)
    {
      g_set_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_CA_FILE,
                   _("CA file: “%s” holds no certificates that can be read (%s)"),
                   shown, ca_error->message);
      return NULL;
    }

  return g_steal_pointer (&path);
}

/**
 * relay_validate_count:
 * @label: the field's translated name, used in the message
 *
 * Returns: %TRUE and sets @value when @text is a whole number ≥ @min
 *
 * Used error codes: @code, in %RELAY_ACCOUNT_ERROR (the message names @label).
 */
gboolean
relay_validate_count (const char         *text,
                      RelayAccountError   code,
                      const char         *label,
                      guint               min,
                      guint              *value,
                      GError            **error)
{
  guint64 number;

  g_return_val_if_fail (text != NULL, FALSE);

  if (!g_ascii_string_to_unsigned (text, 10, min, G_MAXINT32, &number, NULL))
    {
      /* Translators: the first %s is a field name, %u its minimum */
      g_set_error (error, RELAY_ACCOUNT_ERROR, code,
                   _("%s: “%s” is not a whole number of at least %u"), label, text, min);
      return FALSE;
    }

  *value = number;
  return TRUE;
}

/**
 * relay_host_is_loopback:
 *
 * The app's and the CLI's name for relay_secure_is_loopback_host().
 *
 * Returns: %TRUE for “localhost” and loopback addresses, the only hosts
 *   to which plaintext AUTH is sent without asking
 */
gboolean
relay_host_is_loopback (const char *host)
{
  g_return_val_if_fail (host != NULL, FALSE);

  return relay_secure_is_loopback_host (host);
}
