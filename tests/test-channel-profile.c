/* test-channel-profile.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The channel profile's reader, writer and encryption: a round trip, the
 * secret opened only with the right passphrase and only as written,
 * every member wrong in turn refused with its name, every truncation and
 * a future version refused, and the autoconfig form. */

#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "relay-channel-profile.h"
#include "relay-sandbox-cert.h"

#define SECRET "sp-key-4f1d2c9a8b7e6d5c"
#define PASSPHRASE "correct horse battery staple"
#define PIN "4fa10b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

static GTlsCertificate *
make_certificate (void)
{
  guint8 serial[RELAY_SANDBOX_CERT_SERIAL_BYTES] = { 0x42, 0x01 };
  g_autoptr(GError) error = NULL;
  GTlsCertificate *certificate = relay_sandbox_cert_generate (serial, &error);

  g_assert_no_error (error);
  return certificate;
}

/* a CA file as people have them: a comment, the certificate, a private
 * key that must never travel with it */
static char *
write_ca_file (char **certificate_pem)
{
  g_autoptr(GTlsCertificate) certificate = make_certificate ();
  g_autofree char *key_pem = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (g_get_tmp_dir (), "ca.pem", NULL);

  g_object_get (certificate, "certificate-pem", certificate_pem, "private-key-pem", &key_pem, NULL);
  contents = g_strconcat ("# the team's CA\n", *certificate_pem, key_pem, NULL);
  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return path;
}

static RelayAccount *
make_account (const char *provider,
              const char *ca_file)
{
  RelayAccount *account = relay_account_new ();
  const char *pins[] = { PIN, NULL };

  relay_account_apply_provider (account, relay_provider_lookup (provider));
  if (g_str_equal (provider, "sparkpost"))
    {
      relay_account_set_host (account, "smtp.eu.sparkpostmail.com");
      relay_account_set_port (account, 2525);
    }
  else
    relay_account_set_username (account, "alice@example.org");
  relay_account_set_from (account, "news@example.org");
  relay_account_set_name (account, "Team news");
  relay_account_set_senders (account, (const char * const[]) { "*@example.org", "sales@example.com", NULL });
  relay_account_set_pins (account, pins);
  relay_account_set_max_messages (account, 12);
  relay_account_set_message_window (account, 90);
  if (ca_file != NULL)
    relay_account_set_ca_file (account, ca_file);

  return account;
}

/* @data with one member of its root (or, with a dot, of an object in
 * it) replaced by the JSON @value, or removed when @value is %NULL */
static char *
replace_member (const char *data,
                const char *path,
                const char *value)
{
  g_autoptr(JsonNode) root = json_from_string (data, NULL);
  JsonObject *object = json_node_get_object (root);
  g_auto(GStrv) parts = g_strsplit (path, ".", 2);
  const char *member = parts[0];

  if (parts[1] != NULL)
    {
      object = json_object_get_object_member (object, parts[0]);
      member = parts[1];
    }

  if (value == NULL)
    json_object_remove_member (object, member);
  else
    json_object_set_member (object, member, json_from_string (value, NULL));

  return json_to_string (root, TRUE);
}

static RelayChannelProfile *
parse (const char  *data,
       GError     **error)
{
  return relay_channel_profile_new_from_data (data, strlen (data), error);
}

static void
test_round_trip (void)
{
  g_autofree char *certificate_pem = NULL;
  g_autofree char *ca_file = write_ca_file (&certificate_pem);
  g_autoptr(RelayAccount) account = make_account ("sparkpost", ca_file);
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(RelayChannelProfile) again = NULL;
  g_autoptr(RelayAccount) created = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *data_again = NULL;
  g_autofree char *written = NULL;
  g_autofree char *contents = NULL;

  profile = relay_channel_profile_new_from_account (account, &error);
  g_assert_no_error (error);
  data = relay_channel_profile_to_data (profile);
  g_assert_nonnull (strstr (data, "\"format\" : \"io.github.mailrelay.ChannelProfile\""));
  g_assert_nonnull (strstr (data, "\"version\" : 1"));
  /* the certificate itself, never the file's path, and never its key */
  g_assert_null (strstr (data, ca_file));
  g_assert_null (strstr (data, "PRIVATE KEY"));
  g_assert_cmpstr (relay_channel_profile_get_ca_pem (profile), ==, certificate_pem);

  again = parse (data, &error);
  g_assert_no_error (error);
  data_again = relay_channel_profile_to_data (again);
  g_assert_cmpstr (data, ==, data_again);
  g_assert_false (relay_channel_profile_has_secret (again));

  created = relay_channel_profile_create_account (again);
  g_assert_cmpstr (relay_account_get_id (created), !=, relay_account_get_id (account));
  g_assert_cmpstr (relay_account_get_provider (created), ==, "sparkpost");
  g_assert_cmpstr (relay_account_get_host (created), ==, "smtp.eu.sparkpostmail.com");
  g_assert_cmpuint (relay_account_get_port (created), ==, 2525);
  g_assert_cmpint (relay_account_get_security (created), ==, relay_account_get_security (account));
  g_assert_cmpint (relay_account_get_auth (created), ==, relay_account_get_auth (account));
  g_assert_cmpstr (relay_account_get_username (created), ==, "SMTP_Injection");
  g_assert_cmpstr (relay_account_get_from (created), ==, "news@example.org");
  g_assert_cmpstr (relay_account_get_name (created), ==, "Team news");
  g_assert_cmpstrv (relay_account_get_senders (created), ((const char *[]) { "*@example.org", "sales@example.com", NULL }));
  g_assert_cmpstrv (relay_account_get_pins (created), ((const char *[]) { PIN, NULL }));
  g_assert_cmpuint (relay_account_get_max_messages (created), ==, 12);
  g_assert_cmpuint (relay_account_get_message_window (created), ==, 90);
  g_assert_cmpuint (relay_account_get_max_recipients (created), ==, relay_account_get_max_recipients (account));

  written = relay_channel_profile_write_ca_file (again, relay_account_get_id (created), &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (written, g_get_user_config_dir ()));
  g_file_get_contents (written, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, certificate_pem);

  g_unlink (written);
  g_unlink (ca_file);
}

static void
test_no_username_for_one_person (void)
{
  g_autoptr(RelayAccount) account = make_account ("office365", NULL);
  g_autoptr(RelayChannelProfile) profile = relay_channel_profile_new_from_account (account, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *data = relay_channel_profile_to_data (profile);
  g_autofree char *planted = NULL;
  g_autoptr(RelayChannelProfile) refused = NULL;

  g_assert_false (relay_channel_profile_is_shareable (profile));
  g_assert_null (strstr (data, "alice@example.org"));
  g_assert_cmpstr (relay_channel_profile_get_username (profile), ==, "");

  /* Office 365's credentials belong to one person: no secret goes in,
   * and the reason is the provider's own */
  g_assert_false (relay_channel_profile_set_secret (profile, SECRET, PASSPHRASE, &error));
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_NOT_SHAREABLE);
  g_assert_nonnull (strstr (error->message, "they belong to one mailbox"));
  g_assert_false (relay_channel_profile_has_secret (profile));
  g_clear_error (&error);

  /* nor is one read from a file that claims otherwise */
  planted = replace_member (data, "username", "\"alice@example.org\"");
  refused = parse (planted, &error);
  g_assert_null (refused);
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "“username”"));
}

/* what the file must never hold: the secret, its base64 or its hex */
static void
assert_no_secret (const char *data)
{
  g_autofree char *base64 = g_base64_encode ((const guchar *)SECRET, strlen (SECRET));
  g_autoptr(GString) hex = g_string_new (NULL);

  for (const char *p = SECRET; *p; p++)
    g_string_append_printf (hex, "%02x", (guchar)*p);

  g_assert_null (strstr (data, SECRET));
  g_assert_null (strstr (data, base64));
  g_assert_null (strstr (data, hex->str));
}

static char *
profile_with_secret (void)
{
  g_autoptr(RelayAccount) account = make_account ("sparkpost", NULL);
  g_autoptr(RelayChannelProfile) profile = relay_channel_profile_new_from_account (account, NULL);
  g_autoptr(GError) error = NULL;

  relay_channel_profile_set_secret (profile, SECRET, PASSPHRASE, &error);
  g_assert_no_error (error);
  return relay_channel_profile_to_data (profile);
}

static void
test_secret (void)
{
  g_autofree char *data = profile_with_secret ();
  g_autofree char *other = profile_with_secret ();
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(JsonNode) root = json_from_string (data, NULL);
  JsonObject *secret = json_object_get_object_member (json_node_get_object (root), "secret");
  g_autoptr(GError) error = NULL;
  char *opened;

  assert_no_secret (data);
  g_assert_cmpstr (json_object_get_string_member (secret, "kdf"), ==, "pbkdf2-hmac-sha256");
  g_assert_cmpint (json_object_get_int_member (secret, "iterations"), >=, 600000);
  g_assert_cmpstr (json_object_get_string_member (secret, "cipher"), ==, "aes-256-gcm");
  /* a random salt and nonce each time */
  g_assert_cmpstr (data, !=, other);

  profile = parse (data, &error);
  g_assert_no_error (error);
  g_assert_true (relay_channel_profile_has_secret (profile));

  g_assert_null (relay_channel_profile_open_secret (profile, "correct horse battery stapler", &error));
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE);
  g_clear_error (&error);

  opened = relay_channel_profile_open_secret (profile, PASSPHRASE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (opened, ==, SECRET);
  g_free (opened);
}

static void
test_weak_passphrase (void)
{
  g_autoptr(RelayAccount) account = make_account ("sparkpost", NULL);
  g_autoptr(RelayChannelProfile) profile = relay_channel_profile_new_from_account (account, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (relay_channel_profile_set_secret (profile, SECRET, "short pass", &error));
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_WEAK_PASSPHRASE);
  g_assert_false (relay_channel_profile_has_secret (profile));
}

static void
test_tampered (void)
{
  g_autofree char *data = profile_with_secret ();
  g_autoptr(JsonNode) root = json_from_string (data, NULL);
  JsonObject *secret = json_object_get_object_member (json_node_get_object (root), "secret");
  g_autofree guchar *ciphertext = NULL;
  gsize size = 0;
  g_autofree char *flipped_data = NULL;
  g_autofree char *flipped_tag = NULL;
  struct {
    const char *path;
    const char *value;
    const char *path2;
    const char *value2;
  } changes[] = {
    /* a byte of the ciphertext, a byte of the tag */
    { "secret.ciphertext", NULL },
    { "secret.ciphertext", NULL },
    { "secret.nonce", "\"AAAAAAAAAAAAAAAA\"" },
    { "secret.salt", "\"AAAAAAAAAAAAAAAAAAAAAA==\"" },
    { "secret.iterations", "600001" },
    /* the settings the secret is bound to: where it would be sent */
    { "host", "\"smtp.attacker.example\"", "pins.host", "\"smtp.attacker.example\"" },
    { "port", "587", "pins.port", "587" },
    { "security", "\"tls\"" },
    { "auth", "\"plain\"" },
    { "username", "\"someone-else\"" },
    { "pins", NULL },
    { "pins.sha256", "[\"" PIN "\", \"" PIN "\"]" },
  };

  ciphertext = g_base64_decode (json_object_get_string_member (secret, "ciphertext"), &size);
  ciphertext[0] ^= 0x01;
  flipped_data = g_base64_encode (ciphertext, size);
  ciphertext[0] ^= 0x01;
  ciphertext[size - 1] ^= 0x80;
  flipped_tag = g_base64_encode (ciphertext, size);

  for (guint i = 0; i < G_N_ELEMENTS (changes); i++)
    {
      g_autofree char *value = i == 0 ? g_strdup_printf ("\"%s\"", flipped_data)
                               : i == 1 ? g_strdup_printf ("\"%s\"", flipped_tag)
                               : g_strdup (changes[i].value);
      g_autofree char *changed = replace_member (data, changes[i].path, value);
      g_autoptr(RelayChannelProfile) profile = NULL;
      g_autoptr(GError) error = NULL;

      if (changes[i].path2 != NULL)
        {
          char *twice = replace_member (changed, changes[i].path2, changes[i].value2);

          g_free (changed);
          changed = twice;
        }

      g_test_message ("changed %s", changes[i].path);
      profile = parse (changed, &error);
      g_assert_no_error (error);
      g_assert_null (relay_channel_profile_open_secret (profile, PASSPHRASE, &error));
      g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_PASSPHRASE);
    }

  /* and untouched, it opens */
  {
    g_autoptr(RelayChannelProfile) profile = parse (data, NULL);
    g_autofree char *opened = relay_channel_profile_open_secret (profile, PASSPHRASE, NULL);

    g_assert_cmpstr (opened, ==, SECRET);
  }
}

static void
test_every_field (void)
{
  g_autofree char *certificate_pem = NULL;
  g_autofree char *ca_file = write_ca_file (&certificate_pem);
  g_autoptr(RelayAccount) account = make_account ("sparkpost", ca_file);
  g_autoptr(RelayChannelProfile) profile = relay_channel_profile_new_from_account (account, NULL);
  g_autofree char *data = NULL;
  static const struct {
    const char *path;
    const char *value;
    const char *named;
  } cases[] = {
    { "format", NULL, "format" },
    { "format", "1", "format" },
    { "format", "\"io.github.mailrelay.Account\"", "format" },
    { "version", NULL, "version" },
    { "version", "\"1\"", "version" },
    { "version", "0", "version" },
    { "version", "1.5", "version" },
    { "name", "7", "name" },
    { "name", "\"\"", "name" },
    { "name", "\"a\\nb\"", "name" },
    { "provider", NULL, "provider" },
    { "provider", "[]", "provider" },
    { "provider", "\"postfix-at-home\"", "provider" },
    { "host", NULL, "host" },
    { "host", "{}", "host" },
    { "host", "\"smtp.example.org\\r\\nRCPT TO:<x@example.net>\"", "host" },
    { "host", "\"\"", "host" },
    { "port", NULL, "port" },
    { "port", "\"587\"", "port" },
    { "port", "0", "port" },
    { "port", "65536", "port" },
    { "port", "-1", "port" },
    { "security", NULL, "security" },
    { "security", "true", "security" },
    { "security", "\"ssl\"", "security" },
    { "auth", NULL, "auth" },
    { "auth", "\"cram-md5\"", "auth" },
    { "username", "null", "username" },
    { "username", "\"a\\tb\"", "username" },
    { "from", "42", "from" },
    { "from", "\"not an address\"", "from" },
    { "from", "\"a@example.org\\r\\nBcc: x@example.net\"", "from" },
    { "senders", "\"*@example.org\"", "senders" },
    { "senders", "[1]", "senders" },
    { "senders", "[\"*@\"]", "senders" },
    { "senders", "[\"sales@\"]", "senders" },
    { "limits", "[]", "limits" },
    { "limits.max_messages", "\"12\"", "limits.max_messages" },
    { "limits.max_messages", "-3", "limits.max_messages" },
    { "limits.message_window", "0", "limits" },
    { "limits.per", "60", "limits.per" },
    { "allow_insecure", "\"false\"", "allow_insecure" },
    { "allow_insecure", "1", "allow_insecure" },
    { "pins", "[]", "pins" },
    { "pins.host", NULL, "pins.host" },
    { "pins.host", "\"other.example.org\"", "pins.host" },
    { "pins.port", "587", "pins.host" },
    { "pins.port", "\"2525\"", "pins.port" },
    { "pins.sha256", NULL, "pins.sha256" },
    { "pins.sha256", "\"" PIN "\"", "pins.sha256" },
    { "pins.sha256", "[\"4fa10b\"]", "pins.sha256" },
    { "pins.sha256", "[\"" PIN "00\"]", "pins.sha256" },
    { "ca_certificate", "[]", "ca_certificate" },
    { "ca_certificate", "\"-----BEGIN CERTIFICATE-----\\nAAAA\\n-----END CERTIFICATE-----\\n\"", "ca_certificate" },
    { "ca_certificate", "\"/etc/ssl/certs/ca-certificates.crt\"", "ca_certificate" },
    { "ca_file", "\"/etc/ssl/certs/ca-certificates.crt\"", "ca_file" },
    { "password", "\"hunter2\"", "password" },
    { "secret", "\"c2VjcmV0\"", "secret" },
    { "secret", "{}", "secret.kdf" },
  };

  data = relay_channel_profile_to_data (profile);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *changed = replace_member (data, cases[i].path, cases[i].value);
      g_autofree char *named = g_strdup_printf ("“%s”", cases[i].named);
      g_autoptr(RelayChannelProfile) refused = NULL;
      g_autoptr(GError) error = NULL;

      g_test_message ("%s = %s", cases[i].path, cases[i].value ? cases[i].value : "(removed)");
      refused = parse (changed, &error);
      g_assert_null (refused);
      g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID);
      g_test_message ("  %s", error->message);
      g_assert_nonnull (strstr (error->message, named));
    }

  g_unlink (ca_file);
}

static void
test_every_secret_field (void)
{
  g_autofree char *data = profile_with_secret ();
  static const struct {
    const char *path;
    const char *value;
  } cases[] = {
    { "secret.kdf", NULL },
    { "secret.kdf", "\"pbkdf2-hmac-sha1\"" },
    { "secret.iterations", NULL },
    { "secret.iterations", "\"600000\"" },
    { "secret.iterations", "1000" },
    { "secret.iterations", "100000000" },
    { "secret.salt", NULL },
    { "secret.salt", "\"AAAA\"" },
    { "secret.salt", "\"not base64 at all!!\"" },
    { "secret.salt", "\"AAAAAAAAAAAAAAAAAAAAAB==\"" },
    { "secret.cipher", "\"aes-128-cbc\"" },
    { "secret.nonce", NULL },
    { "secret.nonce", "\"AAAAAAAAAAAAAAAAAAAAAA==\"" },
    { "secret.ciphertext", NULL },
    { "secret.ciphertext", "\"AAAAAAAAAAAAAAAAAAAAAA==\"" },
    { "secret.ciphertext", "[]" },
    { "secret.extra", "1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *changed = replace_member (data, cases[i].path, cases[i].value);
      g_autoptr(GError) error = NULL;
      g_autoptr(RelayChannelProfile) refused = NULL;
      g_autofree char *named = g_strdup_printf ("“%s”", cases[i].path);

      g_test_message ("%s = %s", cases[i].path, cases[i].value ? cases[i].value : "(removed)");
      refused = parse (changed, &error);
      g_assert_null (refused);
      g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, named));
    }
}

static void
test_truncated (void)
{
  g_autofree char *data = profile_with_secret ();
  gsize length = strlen (data);

  /* every prefix that cuts the document (the last bytes are its closing
   * brace and newline) */
  for (gsize cut = 0; cut <= length - 2; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RelayChannelProfile) refused = relay_channel_profile_new_from_data (data, cut, &error);

      g_assert_null (refused);
      g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID);
    }
}

static void
test_future_version (void)
{
  g_autofree char *data = profile_with_secret ();
  g_autofree char *future = replace_member (data, "version", "2");
  g_autofree char *wrapped = g_strdup_printf ("[%s]", data);
  g_autoptr(GError) error = NULL;
  g_autoptr(RelayChannelProfile) refused = parse (future, &error);

  g_assert_null (refused);
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_NEWER);
  g_assert_nonnull (strstr (error->message, "“version”"));
  g_clear_error (&error);

  g_assert_null (parse (wrapped, &error));
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID);
  g_clear_error (&error);

  {
    static const char nul[] = "{\"format\":\"io.github.mailrelay.ChannelProfile\"\0}";

    g_assert_null (relay_channel_profile_new_from_data (nul, sizeof nul - 1, &error));
  }
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_INVALID);
}

typedef struct
{
  GHashTable *values;
  GString    *text;
  char       *provider_id;
} Autoconfig;

static void
start_element (GMarkupParseContext  *context,
               const char           *element,
               const char          **names,
               const char          **values,
               gpointer              user_data,
               GError              **error)
{
  Autoconfig *parsed = user_data;

  g_string_truncate (parsed->text, 0);
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (element, "emailProvider") && g_str_equal (names[i], "id"))
      parsed->provider_id = g_strdup (values[i]);
}

static void
end_element (GMarkupParseContext  *context,
             const char           *element,
             gpointer              user_data,
             GError              **error)
{
  Autoconfig *parsed = user_data;

  if (!g_hash_table_contains (parsed->values, element))
    g_hash_table_insert (parsed->values, g_strdup (element), g_strdup (parsed->text->str));
}

static void
text (GMarkupParseContext  *context,
      const char           *text,
      gsize                 length,
      gpointer              user_data,
      GError              **error)
{
  Autoconfig *parsed = user_data;

  g_string_append_len (parsed->text, text, length);
}

static void
test_autoconfig (void)
{
  static const GMarkupParser parser = { start_element, end_element, text, NULL, NULL };
  g_autoptr(RelayAccount) account = make_account ("sendgrid", NULL);
  g_autoptr(RelayAccount) gmail = relay_account_new ();
  g_autoptr(RelayAccount) nameless = relay_account_new ();
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(GMarkupParseContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  Autoconfig parsed = { g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free), g_string_new (NULL), NULL };

  /* a shared user name with what XML must escape */
  relay_account_set_username (account, "api<key>&\"team\"");
  profile = relay_channel_profile_new_from_account (account, NULL);
  xml = relay_channel_profile_to_autoconfig (profile, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">"));

  context = g_markup_parse_context_new (&parser, 0, &parsed, NULL);
  g_markup_parse_context_parse (context, xml, -1, &error);
  g_assert_no_error (error);
  g_markup_parse_context_end_parse (context, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (parsed.provider_id, ==, "example.org");
  g_assert_cmpstr (g_hash_table_lookup (parsed.values, "domain"), ==, "example.org");
  g_assert_cmpstr (g_hash_table_lookup (parsed.values, "hostname"), ==, "smtp.sendgrid.net");
  g_assert_cmpstr (g_hash_table_lookup (parsed.values, "port"), ==, "587");
  g_assert_cmpstr (g_hash_table_lookup (parsed.values, "socketType"), ==, "STARTTLS");
  g_assert_cmpstr (g_hash_table_lookup (parsed.values, "authentication"), ==, "password-cleartext");
  g_assert_cmpstr (g_hash_table_lookup (parsed.values, "username"), ==, "api<key>&\"team\"");
  g_clear_object (&profile);
  g_clear_pointer (&xml, g_free);

  /* a sign-in, and a user name that is each person's own */
  relay_account_apply_provider (gmail, relay_provider_lookup ("gmail"));
  relay_account_set_username (gmail, "alice@example.com");
  relay_account_set_from (gmail, "alice@example.com");
  profile = relay_channel_profile_new_from_account (gmail, NULL);
  xml = relay_channel_profile_to_autoconfig (profile, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (xml, "<socketType>SSL</socketType>"));
  g_assert_nonnull (strstr (xml, "<authentication>OAuth2</authentication>"));
  g_assert_nonnull (strstr (xml, "<username>%EMAILADDRESS%</username>"));
  g_assert_null (strstr (xml, "alice@"));
  g_clear_object (&profile);

  /* no sender: no domain to publish it for */
  relay_account_set_host (nameless, "smtp.example.org");
  profile = relay_channel_profile_new_from_account (nameless, NULL);
  g_assert_null (relay_channel_profile_to_autoconfig (profile, &error));
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_NO_DOMAIN);

  g_hash_table_unref (parsed.values);
  g_string_free (parsed.text, TRUE);
  g_free (parsed.provider_id);
}

static void
test_ca_file_unreadable (void)
{
  g_autofree char *path = g_build_filename (g_get_tmp_dir (), "not-a-ca.pem", NULL);
  g_autoptr(RelayAccount) account = make_account ("sparkpost", path);
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", -1, NULL);
  profile = relay_channel_profile_new_from_account (account, &error);
  g_assert_null (profile);
  g_assert_error (error, RELAY_CHANNEL_PROFILE_ERROR, RELAY_CHANNEL_PROFILE_ERROR_CA_FILE);
  g_assert_nonnull (strstr (error->message, path));
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  g_test_add_func ("/channel-profile/round-trip", test_round_trip);
  g_test_add_func ("/channel-profile/no-username-for-one-person", test_no_username_for_one_person);
  g_test_add_func ("/channel-profile/secret", test_secret);
  g_test_add_func ("/channel-profile/weak-passphrase", test_weak_passphrase);
  g_test_add_func ("/channel-profile/tampered", test_tampered);
  g_test_add_func ("/channel-profile/every-field", test_every_field);
  g_test_add_func ("/channel-profile/every-secret-field", test_every_secret_field);
  g_test_add_func ("/channel-profile/truncated", test_truncated);
  g_test_add_func ("/channel-profile/future-version", test_future_version);
  g_test_add_func ("/channel-profile/autoconfig", test_autoconfig);
  g_test_add_func ("/channel-profile/ca-file-unreadable", test_ca_file_unreadable);

  return g_test_run ();
}
