/* relay-channel-profile-crypto.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The GnuTLS part of a channel profile: its secret, encrypted with a key
 * derived from a passphrase (PBKDF2-HMAC-SHA256, a random salt, 600,000
 * iterations; AES-256-GCM bound to the server it is for), and its CA
 * certificates checked and rewritten as PEM. */

#define G_LOG_DOMAIN "relay-channel-profile"

#include "config.h"

#include <glib/gi18n.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "relay-channel-profile-private.h"
#include "relay-enum-types.h"
#include "relay-provider.h"
#include "relay-secure-private.h"
#include "relay-validate.h"

#define KDF_NAME "pbkdf2-hmac-sha256"
#define CIPHER_NAME "aes-256-gcm"
#define KEY_SIZE 32
#define MAX_SALT_SIZE 64
/* a password is at most 1024 bytes (relay_validate_password()) */
#define MAX_SECRET_SIZE 1024

/**
 * relay_channel_profile_normalize_pem:
 * @text: PEM text, not necessarily valid, nor nul-terminated
 *
 * Returns: (transfer full) (nullable): the certificates of @text, each
 *   decoded and written back as PEM, nothing else (no key, no comment);
 *   %NULL when there is none, one does not decode, or there are more than
 *   %RELAY_CHANNEL_PROFILE_MAX_CERTIFICATES
 */
char *
relay_channel_profile_normalize_pem (const char  *text,
                                     gsize        length,
                                     GError     **error)
{
  g_autoptr(GString) pem = g_string_new (NULL);
  gnutls_x509_crt_t *certificates = NULL;
  unsigned int n_certificates = 0;
  gnutls_datum_t data;
  int status;

  /* GnuTLS reads a nul as the end of the text: one inside is damage */
  if (length == 0 || memchr (text, '\0', length) != NULL)
    {
      g_set_error_literal (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
                           _("no certificate"));
      return NULL;
    }

  data.data = (unsigned char *)text;
  data.size = length;
  status = gnutls_x509_crt_list_import2 (&certificates, &n_certificates, &data, GNUTLS_X509_FMT_PEM, 0);
  if (status < 0 || n_certificates == 0 || n_certificates > RELAY_CHANNEL_PROFILE_MAX_CERTIFICATES)
    {
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID, "%s",
                   status < 0 ? gnutls_strerror (status)
                   : n_certificates == 0 ? _("no certificate")
                   : _("too many certificates"));
      for (unsigned int i = 0; i < n_certificates; i++)
        gnutls_x509_crt_deinit (certificates[i]);
      gnutls_free (certificates);
      return NULL;
    }

  for (unsigned int i = 0; i < n_certificates; i++)
    {
      gnutls_datum_t out = { NULL, 0 };

      if (status >= 0 && (status = gnutls_x509_crt_export2 (certificates[i], GNUTLS_X509_FMT_PEM, &out)) >= 0)
        g_string_append_len (pem, (const char *)out.data, out.size);
      gnutls_free (out.data);
      gnutls_x509_crt_deinit (certificates[i]);
    }
  gnutls_free (certificates);

  if (status < 0)
    {
      g_set_error_literal (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
                           gnutls_strerror (status));
      return NULL;
    }

  return g_string_free (g_steal_pointer (&pem), FALSE);
}

/**
 * relay_channel_profile_get_bound_data:
 *
 * What the secret's encryption binds it to (GCM's additional data): the
 * format and version, and every setting that decides where the secret is
 * sent and which server is trusted with it. Changing any of them in the
 * file makes the secret fail to open, as a wrong passphrase does. One
 * `key=value` line each (no value holds a line break):
 *
 * |[
 * io.github.mailrelay.ChannelProfile 1
 * provider=sparkpost
 * host=smtp.sparkpostmail.com
 * port=587
 * security=starttls
 * auth=login
 * username=SMTP_Injection
 * allow_insecure=false
 * ca_certificate_sha256=
 * pins=
 * ]|
 *
 * Returns: (transfer full): the bytes
 */
GBytes *
relay_channel_profile_get_bound_data (RelayChannelProfile *self)
{
  g_autoptr(GEnumClass) security = g_type_class_ref (RELAY_TYPE_SECURITY);
  g_autoptr(GEnumClass) auth = g_type_class_ref (RELAY_TYPE_AUTH_METHOD);
  g_autofree char *ca_sha256 = NULL;
  g_autofree char *pins = NULL;
  GString *text = g_string_new (NULL);

  if (self->ca_pem[0] != '\0')
    ca_sha256 = g_compute_checksum_for_string (G_CHECKSUM_SHA256, self->ca_pem, -1);
  pins = g_strjoinv (",", self->pins);

  g_string_append_printf (text, "%s %d\n", RELAY_CHANNEL_PROFILE_FORMAT, RELAY_CHANNEL_PROFILE_VERSION);
  g_string_append_printf (text, "provider=%s\n", self->provider);
  g_string_append_printf (text, "host=%s\n", self->host);
  g_string_append_printf (text, "port=%u\n", self->port);
  g_string_append_printf (text, "security=%s\n", g_enum_get_value (security, self->security)->value_nick);
  g_string_append_printf (text, "auth=%s\n", g_enum_get_value (auth, self->auth)->value_nick);
  g_string_append_printf (text, "username=%s\n", self->username);
  g_string_append_printf (text, "allow_insecure=%s\n", self->allow_insecure ? "true" : "false");
  g_string_append_printf (text, "ca_certificate_sha256=%s\n", ca_sha256 ? ca_sha256 : "");
  g_string_append_printf (text, "pins=%s\n", pins);

  return g_string_free_to_bytes (text);
}

/* The passphrase as UTF-8 in Unicode's composed form (NFC), so that it
 * opens the secret however the other side's keyboard composed it */
static char *
normalize_passphrase (const char  *passphrase,
                      GError     **error)
{
  char *normalized = g_utf8_normalize (passphrase, -1, G_NORMALIZE_NFC);

  if (normalized == NULL || normalized[0] == '\0')
    {
      g_set_error_literal (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_WEAK_PASSPHRASE,
                           _("Passphrase: it must be UTF-8 text, and not empty"));
      g_free (normalized);
      return NULL;
    }

  return normalized;
}

static gboolean
derive_key (const char  *passphrase,
            GBytes      *salt,
            guint        iterations,
            guint8       key[KEY_SIZE],
            GError     **error)
{
  gnutls_datum_t secret = { (unsigned char *)passphrase, strlen (passphrase) };
  gnutls_datum_t salt_data;
  gsize salt_size;
  int status;

  salt_data.data = (unsigned char *)g_bytes_get_data (salt, &salt_size);
  salt_data.size = salt_size;
  status = gnutls_pbkdf2 (GNUTLS_MAC_SHA256, &secret, &salt_data, iterations, key, KEY_SIZE);
  if (status < 0)
    {
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE,
                   _("The key could not be derived from the passphrase (%s)"), gnutls_strerror (status));
      return FALSE;
    }

  return TRUE;
}

/**
 * relay_channel_profile_set_secret:
 * @secret: the password, as relay_validate_password() takes it
 * @passphrase: what the secret is encrypted with: at least
 *   %RELAY_CHANNEL_PROFILE_MIN_PASSPHRASE characters
 *
 * Adds @secret, encrypted, to a profile whose provider's credentials may
 * be shared (relay_channel_profile_is_shareable()).
 *
 * Used error codes: %RELAY_CHANNEL_PROFILE_ERROR_NOT_SHAREABLE (the
 *   message gives the provider's reason),
 *   %RELAY_CHANNEL_PROFILE_ERROR_WEAK_PASSPHRASE, %RELAY_CHANNEL_PROFILE_ERROR_INVALID
 *   (@secret is not a password), %RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE
 *   (GnuTLS failed).
 *
 * Returns: whether the secret was added
 */
gboolean
relay_channel_profile_set_secret (RelayChannelProfile  *self,
                                  const char           *secret,
                                  const char           *passphrase,
                                  GError              **error)
{
  RelayProvider *provider;
  g_autofree char *normalized = NULL;
  g_autoptr(GBytes) bound = NULL;
  guint8 salt[RELAY_CHANNEL_PROFILE_SALT_SIZE];
  guint8 nonce[RELAY_CHANNEL_PROFILE_NONCE_SIZE];
  guint8 key[KEY_SIZE];
  gnutls_datum_t key_data = { key, KEY_SIZE };
  gnutls_aead_cipher_hd_t cipher = NULL;
  g_autofree guint8 *ciphertext = NULL;
  size_t ciphertext_size;
  gsize bound_size;
  const guint8 *bound_data;
  gboolean ok = FALSE;
  int status;

  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), FALSE);
  g_return_val_if_fail (secret != NULL, FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);

  provider = relay_provider_lookup (self->provider);
  if (!relay_channel_profile_is_shareable (self))
    {
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_NOT_SHAREABLE,
                   /* Translators: the first %s is a provider, e.g. “Office 365”; the second its
                    * guidance on sharing, e.g. “Do not share these credentials: they belong to one mailbox…” */
                   _("The password of a %s account never goes into a channel profile. %s"),
                   provider ? relay_provider_get_name (provider) : self->provider,
                   provider ? relay_provider_get_sharing_text (provider) : "");
      return FALSE;
    }

  if (secret[0] == '\0' || strlen (secret) > MAX_SECRET_SIZE || !relay_validate_password (secret, NULL))
    {
      g_set_error_literal (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID,
                           _("Password: it must be one line of UTF-8 text, at most 1024 bytes"));
      return FALSE;
    }

  if (!(normalized = normalize_passphrase (passphrase, error)))
    return FALSE;
  if (g_utf8_strlen (normalized, -1) < RELAY_CHANNEL_PROFILE_MIN_PASSPHRASE)
    {
      relay_secure_wipe_string (g_steal_pointer (&normalized));
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_WEAK_PASSPHRASE,
                   _("Passphrase: use at least %d characters: the file may travel where others can try "
                     "passphrases against it"),
                   RELAY_CHANNEL_PROFILE_MIN_PASSPHRASE);
      return FALSE;
    }

  if ((status = gnutls_rnd (GNUTLS_RND_RANDOM, salt, sizeof salt)) < 0 ||
      (status = gnutls_rnd (GNUTLS_RND_RANDOM, nonce, sizeof nonce)) < 0)
    {
      relay_secure_wipe_string (g_steal_pointer (&normalized));
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE,
                   _("No random numbers for the encryption (%s)"), gnutls_strerror (status));
      return FALSE;
    }

  g_clear_pointer (&self->salt, g_bytes_unref);
  self->salt = g_bytes_new (salt, sizeof salt);
  ok = derive_key (normalized, self->salt, RELAY_CHANNEL_PROFILE_ITERATIONS, key, error);
  relay_secure_wipe_string (g_steal_pointer (&normalized));
  if (!ok)
    {
      g_clear_pointer (&self->salt, g_bytes_unref);
      return FALSE;
    }

  /* the bound data describes the profile without a secret: the same then
   * as when it is read back */
  g_clear_pointer (&self->nonce, g_bytes_unref);
  g_clear_pointer (&self->ciphertext, g_bytes_unref);
  bound = relay_channel_profile_get_bound_data (self);
  bound_data = g_bytes_get_data (bound, &bound_size);
  ciphertext_size = strlen (secret) + RELAY_CHANNEL_PROFILE_TAG_SIZE;
  ciphertext = g_malloc (ciphertext_size);

  ok = FALSE;
  if ((status = gnutls_aead_cipher_init (&cipher, GNUTLS_CIPHER_AES_256_GCM, &key_data)) >= 0 &&
      (status = gnutls_aead_cipher_encrypt (cipher, nonce, sizeof nonce, bound_data, bound_size,
                                            RELAY_CHANNEL_PROFILE_TAG_SIZE, secret, strlen (secret),
                                            ciphertext, &ciphertext_size)) >= 0)
    ok = TRUE;
  relay_secure_wipe (key, sizeof key);
  if (cipher != NULL)
    gnutls_aead_cipher_deinit (cipher);

  if (!ok)
    {
      g_clear_pointer (&self->salt, g_bytes_unref);
      g_set_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE,
                   _("The password could not be encrypted (%s)"), gnutls_strerror (status));
      return FALSE;
    }

  self->nonce = g_bytes_new (nonce, sizeof nonce);
  self->ciphertext = g_bytes_new (ciphertext, ciphertext_size);
  self->iterations = RELAY_CHANNEL_PROFILE_ITERATIONS;

  return TRUE;
}

/**
 * relay_channel_profile_has_secret:
 *
 * Returns: whether the profile carries an encrypted secret
 */
gboolean
relay_channel_profile_has_secret (RelayChannelProfile *self)
{
  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), FALSE);

  return self->ciphertext != NULL;
}

/**
 * relay_channel_profile_open_secret:
 *
 * Decrypts the profile's secret with @passphrase.
 *
 * Used error codes: %RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE (the
 *   passphrase is wrong, or the secret or the settings it is bound to
 *   were changed: GCM cannot tell them apart), %RELAY_CHANNEL_PROFILE_ERROR_INVALID
 *   (what it opens to is not a password), %RELAY_CHANNEL_PROFILE_ERROR_WEAK_PASSPHRASE
 *   (an empty passphrase, or not UTF-8).
 *
 * Returns: (transfer full) (nullable): the secret; wipe it
 *   (relay_secure_wipe_string()) before freeing it
 */
char *
relay_channel_profile_open_secret (RelayChannelProfile  *self,
                                   const char           *passphrase,
                                   GError              **error)
{
  g_autofree char *normalized = NULL;
  g_autoptr(GBytes) bound = NULL;
  guint8 key[KEY_SIZE];
  gnutls_datum_t key_data = { key, KEY_SIZE };
  gnutls_aead_cipher_hd_t cipher = NULL;
  const guint8 *ciphertext, *nonce, *bound_data;
  gsize ciphertext_size, nonce_size, bound_size;
  size_t plaintext_size;
  char *plaintext;
  int status = GNUTLS_E_DECRYPTION_FAILED;
  gboolean derived;

  g_return_val_if_fail (RELAY_IS_CHANNEL_PROFILE (self), NULL);
  g_return_val_if_fail (self->ciphertext != NULL, NULL);
  g_return_val_if_fail (passphrase != NULL, NULL);

  if (!(normalized = normalize_passphrase (passphrase, error)))
    return NULL;
  derived = derive_key (normalized, self->salt, self->iterations, key, error);
  relay_secure_wipe_string (g_steal_pointer (&normalized));
  if (!derived)
    return NULL;

  bound = relay_channel_profile_get_bound_data (self);
  bound_data = g_bytes_get_data (bound, &bound_size);
  ciphertext = g_bytes_get_data (self->ciphertext, &ciphertext_size);
  nonce = g_bytes_get_data (self->nonce, &nonce_size);
  plaintext_size = ciphertext_size;
  plaintext = g_malloc0 (plaintext_size + 1);

  if (gnutls_aead_cipher_init (&cipher, GNUTLS_CIPHER_AES_256_GCM, &key_data) >= 0)
    status = gnutls_aead_cipher_decrypt (cipher, nonce, nonce_size, bound_data, bound_size,
                                         RELAY_CHANNEL_PROFILE_TAG_SIZE, ciphertext, ciphertext_size,
                                         plaintext, &plaintext_size);
  relay_secure_wipe (key, sizeof key);
  if (cipher != NULL)
    gnutls_aead_cipher_deinit (cipher);

  if (status < 0)
    {
      relay_secure_wipe (plaintext, ciphertext_size);
      g_free (plaintext);
      g_set_error_literal (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE,
                           _("The passphrase does not open the profile’s password: it is wrong, or the "
                             "password or the server it is for was changed in the file"));
      return NULL;
    }

  plaintext[plaintext_size] = '\0';
  if (plaintext_size == 0 || strlen (plaintext) != plaintext_size || !relay_validate_password (plaintext, NULL))
    {
      relay_secure_wipe (plaintext, ciphertext_size);
      g_free (plaintext);
      relay_channel_profile_set_field_error (error, "secret", _("it does not hold a password"));
      return NULL;
    }

  return plaintext;
}

/* Strict base64: the alphabet, padding only at the end, and the one
 * encoding of what it decodes to (g_base64_decode() skips what is not
 * base64, and would take a damaged value) */
static GBytes *
read_base64 (JsonObject  *object,
             const char  *member,
             const char  *name,
             gsize        min_size,
             gsize        max_size,
             GError     **error)
{
  g_autofree guchar *decoded = NULL;
  g_autofree char *encoded = NULL;
  const char *text = NULL;
  gsize length, size = 0;

  if (!relay_channel_profile_read_string (object, member, name, TRUE, &text, error))
    return NULL;

  length = strlen (text);
  if (length == 0 || length % 4 != 0 || length > (max_size + 2) / 3 * 4 ||
      strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != length)
    {
      relay_channel_profile_set_field_error (error, name, _("not base64"));
      return NULL;
    }

  decoded = g_base64_decode (text, &size);
  encoded = g_base64_encode (decoded, size);
  if (!g_str_equal (encoded, text))
    {
      relay_channel_profile_set_field_error (error, name, _("not base64"));
      return NULL;
    }
  if (size < min_size || size > max_size)
    {
      relay_channel_profile_set_field_error (error, name, _("not %zu to %zu bytes long"), min_size, max_size);
      return NULL;
    }

  return g_bytes_new_take (g_steal_pointer (&decoded), size);
}

/**
 * relay_channel_profile_read_secret:
 * @node: the "secret" member
 *
 * Reads the secret's parameters and ciphertext, each checked; opening
 * it is relay_channel_profile_open_secret()'s.
 */
gboolean
relay_channel_profile_read_secret (RelayChannelProfile  *self,
                                   JsonNode             *node,
                                   GError              **error)
{
  static const char * const members[] = { "kdf", "iterations", "salt", "cipher", "nonce", "ciphertext", NULL };
  g_autoptr(GBytes) salt = NULL;
  g_autoptr(GBytes) nonce = NULL;
  g_autoptr(GBytes) ciphertext = NULL;
  JsonObject *object;
  guint iterations = 0;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      relay_channel_profile_set_field_error (error, "secret", _("not an object"));
      return FALSE;
    }
  object = json_node_get_object (node);
  if (!relay_channel_profile_check_members (object, "secret.", members, error))
    return FALSE;

  for (guint i = 0; i < 2; i++)
    {
      const char *field = i == 0 ? "kdf" : "cipher";
      const char *expected = i == 0 ? KDF_NAME : CIPHER_NAME;
      g_autofree char *name = g_strconcat ("secret.", field, NULL);
      const char *value = NULL;

      if (!relay_channel_profile_read_string (object, field, name, TRUE, &value, error))
        return FALSE;
      if (!g_str_equal (value, expected))
        {
          relay_channel_profile_set_field_error (error, name, _("not “%s”, the one this version reads"), expected);
          return FALSE;
        }
    }

  if (!relay_channel_profile_read_uint (object, "iterations", "secret.iterations", TRUE,
                                        RELAY_CHANNEL_PROFILE_MIN_ITERATIONS, RELAY_CHANNEL_PROFILE_MAX_ITERATIONS,
                                        &iterations, error))
    return FALSE;

  if (!(salt = read_base64 (object, "salt", "secret.salt", RELAY_CHANNEL_PROFILE_SALT_SIZE, MAX_SALT_SIZE,
                            error)) ||
      !(nonce = read_base64 (object, "nonce", "secret.nonce", RELAY_CHANNEL_PROFILE_NONCE_SIZE,
                             RELAY_CHANNEL_PROFILE_NONCE_SIZE, error)) ||
      !(ciphertext = read_base64 (object, "ciphertext", "secret.ciphertext", RELAY_CHANNEL_PROFILE_TAG_SIZE + 1,
                                  RELAY_CHANNEL_PROFILE_TAG_SIZE + MAX_SECRET_SIZE, error)))
    return FALSE;

  self->iterations = iterations;
  self->salt = g_steal_pointer (&salt);
  self->nonce = g_steal_pointer (&nonce);
  self->ciphertext = g_steal_pointer (&ciphertext);
  return TRUE;
}

static void
add_base64_member (JsonBuilder *builder,
                   const char  *member,
                   GBytes      *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  g_autofree char *text = g_base64_encode (data, size);

  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, text);
}

/**
 * relay_channel_profile_write_secret:
 *
 * Adds the "secret" object: the derivation and its parameters, the
 * cipher, the nonce, and the ciphertext with its tag.
 */
void
relay_channel_profile_write_secret (RelayChannelProfile *self,
                                    JsonBuilder         *builder)
{
  g_assert (self->ciphertext != NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "kdf");
  json_builder_add_string_value (builder, KDF_NAME);
  json_builder_set_member_name (builder, "iterations");
  json_builder_add_int_value (builder, self->iterations);
  add_base64_member (builder, "salt", self->salt);
  json_builder_set_member_name (builder, "cipher");
  json_builder_add_string_value (builder, CIPHER_NAME);
  add_base64_member (builder, "nonce", self->nonce);
  add_base64_member (builder, "ciphertext", self->ciphertext);
  json_builder_end_object (builder);
}
