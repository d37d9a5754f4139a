/* test-validate.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "relay-account.h"
#include "relay-sandbox-cert.h"
#include "relay-validate.h"

typedef struct
{
  const char *input;
  const char *expected;  /* NULL: must be refused */
} Case;

static void
test_host (void)
{
  static const Case cases[] = {
    { "smtp.office365.com", "smtp.office365.com" },
    { "  SMTP.Example.ORG  ", "smtp.example.org" },
    { "mail.example.org.", "mail.example.org." },
    { "127.0.0.1", "127.0.0.1" },
    { "::1", "::1" },
    { "[::1]", "::1" },
    { "localhost", "localhost" },
    { "bücher.example", "xn--bcher-kva.example" },
    { "邮件.例子.中国", NULL },  /* replaced below: computed with GLib */
    { "", NULL },
    { "   ", NULL },
    { "bad host", NULL },
    { "bad\thost", NULL },
    { "smtp.example.org\r\nMAIL FROM:<x>", NULL },
    { "smtp\x01.example", NULL },
    { "smtp..example.org", NULL },
    { "-smtp.example.org", NULL },
    { "smtp-.example.org", NULL },
    { "smtp_relay.example.org", NULL },
    { "a.b.c.d.e.f.g.h.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
    { "smtp.example.org:587", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *host = relay_validate_host (cases[i].input, &error);

      if (g_str_equal (cases[i].input, "邮件.例子.中国"))
        {
          g_autofree char *ascii = g_hostname_to_ascii (cases[i].input);

          g_assert_no_error (error);
          g_assert_cmpstr (host, ==, ascii);
          g_assert_true (g_str_has_prefix (host, "xn--"));
          continue;
        }

      if (cases[i].expected != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (host, ==, cases[i].expected);
        }
      else
        {
          g_assert_null (host);
          g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_HOST);
          /* the message names the field */
          g_assert_true (g_str_has_prefix (error->message, "Server:"));
          /* and never echoes a control character back */
          for (const char *p = error->message; *p; p++)
            g_assert_false (g_ascii_iscntrl (*p));
        }
    }
}

static void
test_port (void)
{
  static const struct { const char *input; guint expected; const char *needle; } cases[] = {
    { "587", 587, NULL },
    { " 465 ", 465, NULL },
    { "1", 1, NULL },
    { "65535", 65535, NULL },
    { "0", 0, "outside" },
    { "65536", 0, "outside" },
    { "70000", 0, "outside" },
    { "99999999999999999999", 0, "outside" },
    { "", 0, "enter" },
    { "58a", 0, "not a number" },
    { "-1", 0, "not a number" },
    { "+25", 0, "not a number" },
    { "5 87", 0, "not a number" },
    { "0x1F", 0, "not a number" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      guint port = 0;
      gboolean ok = relay_validate_port (cases[i].input, &port, &error);

      if (cases[i].expected != 0)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpuint (port, ==, cases[i].expected);
        }
      else
        {
          g_assert_false (ok);
          g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PORT);
          g_assert_true (g_str_has_prefix (error->message, "Port:"));
          g_assert_nonnull (strstr (error->message, cases[i].needle));
        }
    }
}

static void
test_address (void)
{
  static const Case cases[] = {
    { "a@example.com", "a@example.com" },
    { " first.last+tag@example.co.uk ", "first.last+tag@example.co.uk" },
    { "o'brien@example.org", "o'brien@example.org" },
    { "user@bücher.example", "user@xn--bcher-kva.example" },
    { "用户@example.com", "用户@example.com" },
    { "", NULL },
    { "a", NULL },
    { "@example.com", NULL },
    { "a@", NULL },
    { "a@b", NULL },
    { "a b@example.com", NULL },
    { "a@example.com\r\nRCPT TO:<x@y.z>", NULL },
    { "a@example.com\n", "a@example.com" },  /* trailing whitespace is trimmed */
    { ".a@example.com", NULL },
    { "a.@example.com", NULL },
    { "a..b@example.com", NULL },
    { "a@exa mple.com", NULL },
    { "a@127.0.0.1", NULL },
    { "a(b)@example.com", NULL },
    { "<a@example.com>", NULL },
    { "a@-example.com", NULL },
    /* look-alikes: invisible formatting characters */
    { "ad\u202Emin@example.com", NULL },
    { "ad\u200Bmin@example.com", NULL },
    { "admin\u2066@example.com", NULL },
    { "admin@exa\u200Dmple.com", NULL },
    { "\uFEFFadmin@example.com", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *address = relay_validate_address (cases[i].input, &error);

      if (cases[i].expected != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (address, ==, cases[i].expected);
        }
      else
        {
          g_assert_null (address);
          g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM);
          g_assert_true (g_str_has_prefix (error->message, "Sender address:"));
        }
    }

  /* another field's name, once */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *address = relay_validate_address_field ("a b@example.com", "Recipient", &error);

    g_assert_null (address);
    g_assert_cmpstr (error->message, ==, "Recipient: “a b@example.com” contains spaces");
  }

  /* the invisible characters are named as such */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *address = relay_validate_address ("ad\u202Emin@example.com", &error);

    g_assert_null (address);
    g_assert_nonnull (strstr (error->message, "invisible formatting characters"));
  }

  g_assert_false (relay_address_needs_smtputf8 ("a@xn--bcher-kva.example"));
  g_assert_true (relay_address_needs_smtputf8 ("用户@example.com"));
}

static void
test_username_password (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (relay_validate_username ("", NULL));
  g_assert_true (relay_validate_username ("apikey", NULL));
  g_assert_true (relay_validate_username ("postmaster@mg.example.com", NULL));
  g_assert_false (relay_validate_username ("a\r\nQUIT", &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_USERNAME);
  g_clear_error (&error);

  g_assert_true (relay_validate_password ("correct horse battery staple", NULL));
  g_assert_false (relay_validate_password ("two\nlines", &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PASSWORD);
  /* the message never quotes the password */
  g_assert_null (strstr (error->message, "two"));
  g_assert_null (strstr (error->message, "lines"));
}

static void
test_pin (void)
{
  const char *hex = "4F:A1:0B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8";
  g_autofree char *pin = relay_validate_pin (hex, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (pin, ==, "4fa10b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8");
  g_assert_null (relay_validate_pin ("abcd", &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PIN);
  g_clear_error (&error);
  g_assert_null (relay_validate_pin ("4fa10b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8ff", NULL));
  g_assert_null (relay_validate_pin ("zza10b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8", NULL));
}

/* What `--ca-file` and the setup page's chooser accept: a readable file
 * of certificates, named in full */
static void
test_ca_file (void)
{
  const guint8 serial[RELAY_SANDBOX_CERT_SERIAL_BYTES] = { 1 };
  g_autoptr(GTlsCertificate) certificate = relay_sandbox_cert_generate (serial, NULL);
  g_autofree char *dir = g_dir_make_tmp ("ca-file-XXXXXX", NULL);
  g_autofree char *good = g_build_filename (dir, "ca.pem", NULL);
  g_autofree char *junk = g_build_filename (dir, "junk.pem", NULL);
  g_autofree char *pem = NULL;
  g_autofree char *path = NULL;
  g_autofree char *cwd = g_get_current_dir ();
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (certificate);
  g_object_get (certificate, "certificate-pem", &pem, NULL);
  g_assert_true (g_file_set_contents (good, pem, -1, NULL));
  g_assert_true (g_file_set_contents (junk, "no certificate here\n", -1, NULL));

  path = relay_validate_ca_file (good, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, good);
  g_clear_pointer (&path, g_free);

  /* relative to the current folder, given back in full */
  g_assert_cmpint (g_chdir (dir), ==, 0);
  path = relay_validate_ca_file ("ca.pem", &error);
  g_assert_cmpint (g_chdir (cwd), ==, 0);
  g_assert_no_error (error);
  g_assert_cmpstr (path, ==, good);

  g_assert_null (relay_validate_ca_file (junk, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_CA_FILE);
  g_assert_true (g_str_has_prefix (error->message, "CA file:"));
  g_assert_nonnull (strstr (error->message, "junk.pem"));
  g_clear_error (&error);

  g_assert_null (relay_validate_ca_file (dir, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_CA_FILE);
  g_clear_error (&error);
  g_assert_null (relay_validate_ca_file ("", &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_CA_FILE);

  g_remove (good);
  g_remove (junk);
  g_rmdir (dir);
}

static void
test_account (void)
{
  g_autoptr(RelayAccount) account = relay_account_new ();
  g_autoptr(GError) error = NULL;
  RelayProvider *office = relay_provider_lookup ("office365");

  g_assert_nonnull (office);
  g_assert_true (g_uuid_string_is_valid (relay_account_get_id (account)));

  /* a new custom account has no server yet */
  g_assert_false (relay_account_validate (account, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_HOST);
  g_clear_error (&error);

  relay_account_apply_provider (account, office);
  g_assert_cmpstr (relay_account_get_host (account), ==, "smtp.office365.com");
  g_assert_cmpuint (relay_account_get_port (account), ==, 587);
  g_assert_cmpint (relay_account_get_security (account), ==, RELAY_SECURITY_STARTTLS);
  g_assert_cmpuint (relay_account_get_max_messages (account), ==, 30);
  g_assert_cmpuint (relay_account_get_message_window (account), ==, 60);
  g_assert_cmpuint (relay_account_get_max_recipients (account), ==, 10000);
  g_assert_cmpuint (relay_account_get_recipient_window (account), ==, 86400);

  /* the sender is still missing */
  g_assert_false (relay_account_validate (account, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_FROM);
  g_clear_error (&error);

  relay_account_set_from (account, "a@example.com");
  g_assert_true (relay_account_validate (account, &error));
  g_assert_no_error (error);

  relay_account_set_max_messages (account, 10);
  relay_account_set_message_window (account, 0);
  g_assert_false (relay_account_validate (account, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_LIMITS);
  g_clear_error (&error);

  relay_account_set_provider (account, "no-such-provider");
  g_assert_false (relay_account_validate (account, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_PROVIDER);
}

static void
test_presets (void)
{
  static const char *ids[] = { "office365", "gmail", "microsoft365", "sparkpost", "sendgrid", "ses", "mailgun", "custom", "local" };
  GListModel *all = relay_provider_get_all ();
  RelayProvider *provider;
  g_autofree char *limit = NULL;

  g_assert_cmpuint (g_list_model_get_n_items (all), ==, G_N_ELEMENTS (ids));
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(RelayProvider) item = g_list_model_get_item (all, i);

      g_assert_cmpstr (relay_provider_get_id (item), ==, ids[i]);
      g_assert_cmpuint (relay_provider_get_position (ids[i]), ==, i);
      g_assert_cmpstr (relay_provider_get_summary (item), !=, "");
      g_assert_cmpstr (relay_provider_get_sharing_text (item), !=, "");
    }

  provider = relay_provider_lookup ("office365");
  g_assert_cmpint (relay_provider_get_sharing (provider), ==, RELAY_SHARING_PER_MAILBOX);
  g_assert_cmpuint (relay_provider_get_max_connections (provider), ==, 3);
  g_assert_false (relay_provider_uses_sign_in (provider));

  provider = relay_provider_lookup ("gmail");
  g_assert_true (relay_provider_uses_sign_in (provider));
  g_assert_cmpstr (relay_provider_get_host (provider), ==, "smtp.gmail.com");

  provider = relay_provider_lookup ("sparkpost");
  g_assert_cmpint (relay_provider_get_sharing (provider), ==, RELAY_SHARING_SHAREABLE);
  g_assert_cmpuint (relay_provider_get_messages_per_connection (provider), ==, 100);
  g_assert_cmpstr (relay_provider_get_username (provider), ==, "SMTP_Injection");

  g_assert_null (relay_provider_lookup ("nope"));
  g_assert_cmpuint (relay_provider_get_position ("nope"), ==, G_MAXUINT);

  limit = relay_format_limit (30, 60, FALSE);
  g_assert_cmpstr (limit, ==, "30 messages per minute");
  g_clear_pointer (&limit, g_free);
  limit = relay_format_limit (1, 86400, TRUE);
  g_assert_cmpstr (limit, ==, "1 recipient per day");
  g_clear_pointer (&limit, g_free);
  limit = relay_format_limit (5, 90, FALSE);
  g_assert_cmpstr (limit, ==, "5 messages every 90 seconds");
}

static void
test_loopback (void)
{
  g_assert_true (relay_host_is_loopback ("localhost"));
  g_assert_true (relay_host_is_loopback ("127.0.0.1"));
  g_assert_true (relay_host_is_loopback ("127.8.9.10"));
  g_assert_true (relay_host_is_loopback ("::1"));
  g_assert_true (relay_host_is_loopback ("::ffff:127.0.0.1"));
  g_assert_false (relay_host_is_loopback ("::ffff:10.0.0.1"));
  g_assert_false (relay_host_is_loopback ("localhost.example.com"));
  g_assert_false (relay_host_is_loopback ("10.0.0.1"));
  g_assert_false (relay_host_is_loopback ("smtp.gmail.com"));
}

/* The user's own OAuth client: each message names its field */
static void
test_oauth_client (void)
{
  static const struct {
    const char *service;
    const char *text;
  } bad_ids[] = {
    { "google", "" },
    { "google", "   " },
    { "google", "123-abc" },
    { "google", ".apps.googleusercontent.com" },
    { "google", "123 abc.apps.googleusercontent.com" },
    { "google", "123\nabc.apps.googleusercontent.com" },
    { "google", "0f0e5b1c-8d3e-4a4b-9f3c-1d2e3f4a5b6c" },
    { "microsoft", "123-abc.apps.googleusercontent.com" },
    { "microsoft", "0f0e5b1c-8d3e-4a4b-9f3c" },
    { "microsoft", "0f0e5b1c-8d3e-4a4b-9f3c-1d2e3f4a5b6c\x7f" },
    { "sendgrid", "0f0e5b1c-8d3e-4a4b-9f3c-1d2e3f4a5b6c" },
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *long_id = NULL;
  g_autofree char *long_secret = NULL;
  g_autoptr(RelayAccount) account = relay_account_new ();
  char *id;

  for (guint i = 0; i < G_N_ELEMENTS (bad_ids); i++)
    {
      g_assert_null (relay_validate_oauth_client_id (bad_ids[i].service, bad_ids[i].text, &error));
      g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID);
      g_assert_true (g_str_has_prefix (error->message, "Client ID: "));
      g_clear_error (&error);
    }
  g_assert_cmpstr (relay_account_error_get_option (RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID), ==,
                   "--oauth-client-id");

  long_secret = g_strnfill (300, 'a');
  long_id = g_strconcat (long_secret, ".apps.googleusercontent.com", NULL);
  g_clear_pointer (&long_secret, g_free);
  g_assert_null (relay_validate_oauth_client_id ("google", long_id, &error));
  g_assert_nonnull (strstr (error->message, "too long"));
  g_clear_error (&error);

  id = relay_validate_oauth_client_id ("google", "  123-abc.apps.googleusercontent.com\t", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id, ==, "123-abc.apps.googleusercontent.com");
  g_free (id);
  id = relay_validate_oauth_client_id ("microsoft", "0f0e5b1c-8d3e-4a4b-9f3c-1d2e3f4a5b6c", &error);
  g_assert_no_error (error);
  g_free (id);

  /* Google's desktop clients have a secret; Microsoft's public ones none */
  g_assert_false (relay_validate_oauth_client_secret ("google", "", &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_SECRET);
  g_assert_true (g_str_has_prefix (error->message, "Client secret: "));
  g_clear_error (&error);
  g_assert_true (relay_validate_oauth_client_secret ("microsoft", "", &error));
  g_assert_no_error (error);
  g_assert_false (relay_validate_oauth_client_secret ("microsoft", "GOCSPX has spaces", &error));
  g_assert_true (g_str_has_prefix (error->message, "Client secret: "));
  g_assert_null (strstr (error->message, "GOCSPX"));
  g_clear_error (&error);
  long_secret = g_strnfill (1000, 's');
  g_assert_false (relay_validate_oauth_client_secret ("google", long_secret, &error));
  g_assert_true (g_str_has_prefix (error->message, "Client secret: "));
  g_clear_error (&error);
  g_assert_true (relay_validate_oauth_client_secret ("google", "GOCSPX-abc_DEF-123", &error));
  g_assert_no_error (error);

  /* with the account: the client must be the provider's sign-in's */
  relay_account_apply_provider (account, relay_provider_lookup ("gmail"));
  relay_account_set_from (account, "me@gmail.com");
  relay_account_set_oauth_client_id (account, "0f0e5b1c-8d3e-4a4b-9f3c-1d2e3f4a5b6c");
  g_assert_false (relay_account_validate (account, &error));
  g_assert_error (error, RELAY_ACCOUNT_ERROR, RELAY_ACCOUNT_ERROR_OAUTH_CLIENT_ID);
  g_clear_error (&error);
  relay_account_set_oauth_client_id (account, "123-abc.apps.googleusercontent.com");
  g_assert_true (relay_account_validate (account, &error));
  g_assert_no_error (error);

  /* another provider of the same sign-in keeps it; another sign-in not */
  relay_account_apply_provider (account, relay_provider_lookup ("gmail"));
  g_assert_cmpstr (relay_account_get_oauth_client_id (account), ==, "123-abc.apps.googleusercontent.com");
  relay_account_apply_provider (account, relay_provider_lookup ("microsoft365"));
  g_assert_cmpstr (relay_account_get_oauth_client_id (account), ==, "");
  relay_account_set_oauth_client_id (account, "0f0e5b1c-8d3e-4a4b-9f3c-1d2e3f4a5b6c");
  relay_account_apply_provider (account, relay_provider_lookup ("sendgrid"));
  g_assert_cmpstr (relay_account_get_oauth_client_id (account), ==, "");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/validate/host", test_host);
  g_test_add_func ("/validate/port", test_port);
  g_test_add_func ("/validate/address", test_address);
  g_test_add_func ("/validate/username-password", test_username_password);
  g_test_add_func ("/validate/pin", test_pin);
  g_test_add_func ("/validate/ca-file", test_ca_file);
  g_test_add_func ("/validate/account", test_account);
  g_test_add_func ("/validate/presets", test_presets);
  g_test_add_func ("/validate/loopback", test_loopback);
  g_test_add_func ("/validate/oauth-client", test_oauth_client);

  return g_test_run ();
}
