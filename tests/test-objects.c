/* test-objects.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The core's value objects, in the shape of libadwaita's unit tests: every
 * property of RelayAccount round-trips and notifies once per change (and
 * not at all for the same value), an account survives its JSON form, the
 * provider presets are consistent, and a send-log entry survives its line;
 * each object is finalized when its last reference goes. Every public enum
 * has its GType, its nicks the strings the code writes. */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "relay-account.h"
#include "relay-account-store.h"
#include "relay-diagnosis.h"
#include "relay-enum-types.h"
#include "relay-oauth.h"
#include "relay-outbox.h"
#include "relay-provider.h"
#include "relay-secrets.h"
#include "relay-send-log.h"
#include "relay-smtp-error.h"

#define PIN "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789"

typedef struct
{
  const char *name;
  guint       count;
  guint       others;
} NotifyCount;

static void
notify_cb (GObject     *object,
           GParamSpec  *pspec,
           NotifyCount *count)
{
  if (g_str_equal (pspec->name, count->name))
    count->count++;
  else
    count->others++;
}

/* A value for @pspec that differs from @current and is valid for it */
static void
other_value (GParamSpec   *pspec,
             const GValue *current,
             GValue       *value)
{
  g_value_init (value, pspec->value_type);

  if (G_IS_PARAM_SPEC_STRING (pspec))
    {
      const char *now = g_value_get_string (current);

      g_value_take_string (value, g_strdup_printf ("%s.example.org", now && *now ? now : pspec->name));
    }
  else if (G_IS_PARAM_SPEC_UINT (pspec))
    {
      GParamSpecUInt *u = G_PARAM_SPEC_UINT (pspec);
      guint now = g_value_get_uint (current);

      g_value_set_uint (value, now < u->maximum ? now + 1 : u->minimum);
    }
  else if (G_IS_PARAM_SPEC_BOOLEAN (pspec))
    g_value_set_boolean (value, !g_value_get_boolean (current));
  else if (G_IS_PARAM_SPEC_ENUM (pspec))
    {
      GEnumClass *klass = G_PARAM_SPEC_ENUM (pspec)->enum_class;
      int now = g_value_get_enum (current);

      for (guint i = 0; i < klass->n_values; i++)
        if (klass->values[i].value != now)
          {
            g_value_set_enum (value, klass->values[i].value);
            break;
          }
    }
  else if (pspec->value_type == G_TYPE_STRV)
    {
      const char * const pins[] = { PIN, NULL };

      g_value_set_boxed (value, pins);
    }
  else
    g_error ("%s: a property of type %s this test does not know", pspec->name,
             g_type_name (pspec->value_type));
}

/* g_param_values_cmp() compares boxed values by address */
static gboolean
values_equal (GParamSpec   *pspec,
              const GValue *one,
              const GValue *two)
{
  if (pspec->value_type == G_TYPE_STRV)
    return g_strv_equal (g_value_get_boxed (one) ? g_value_get_boxed (one) : (const char *[]) { NULL },
                         g_value_get_boxed (two) ? g_value_get_boxed (two) : (const char *[]) { NULL });

  return g_param_values_cmp (pspec, one, two) == 0;
}

/* Every property of @copy has the value it has on @account */
static void
assert_same_properties (RelayAccount *account,
                        RelayAccount *copy,
                        const char   *where)
{
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs;

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (account), &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      g_auto(GValue) one = G_VALUE_INIT;
      g_auto(GValue) two = G_VALUE_INIT;

      g_value_init (&one, pspecs[i]->value_type);
      g_value_init (&two, pspecs[i]->value_type);
      g_object_get_property (G_OBJECT (account), pspecs[i]->name, &one);
      g_object_get_property (G_OBJECT (copy), pspecs[i]->name, &two);
      if (!values_equal (pspecs[i], &one, &two))
        g_error ("%s: %s became %s %s", pspecs[i]->name,
                 g_strdup_value_contents (&one), g_strdup_value_contents (&two), where);
    }
}

static void
test_account_properties (void)
{
  RelayAccount *account = relay_account_new ();
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs, tested = 0;

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (account), &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      GParamSpec *pspec = pspecs[i];
      g_auto(GValue) before = G_VALUE_INIT;
      g_auto(GValue) wanted = G_VALUE_INIT;
      g_auto(GValue) after = G_VALUE_INIT;
      NotifyCount count = { pspec->name, 0, 0 };
      gulong handler;

      if (!(pspec->flags & G_PARAM_WRITABLE) || (pspec->flags & G_PARAM_CONSTRUCT_ONLY))
        continue;

      g_value_init (&before, pspec->value_type);
      g_object_get_property (G_OBJECT (account), pspec->name, &before);
      other_value (pspec, &before, &wanted);

      handler = g_signal_connect (account, "notify", G_CALLBACK (notify_cb), &count);

      g_object_set_property (G_OBJECT (account), pspec->name, &wanted);
      g_assert_cmpuint (count.count, ==, 1);

      /* the same value again: no notification */
      g_object_set_property (G_OBJECT (account), pspec->name, &wanted);
      g_assert_cmpuint (count.count, ==, 1);
      g_assert_cmpuint (count.others, ==, 0);

      g_value_init (&after, pspec->value_type);
      g_object_get_property (G_OBJECT (account), pspec->name, &after);
      if (!values_equal (pspec, &wanted, &after))
        g_error ("%s: set %s, read back %s", pspec->name,
                 g_strdup_value_contents (&wanted), g_strdup_value_contents (&after));

      g_signal_handler_disconnect (account, handler);
      tested++;
    }

  /* every accessor has its property: a new one is tested here as well */
  g_assert_cmpuint (tested, >=, 15);
  g_assert_finalize_object (account);
}

static void
test_account_json (void)
{
  const char * const pins[] = { PIN, NULL };
  RelayAccount *account = relay_account_new ();
  RelayAccount *copy;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;

  g_object_set (account,
                "provider", "custom",
                "host", "smtp.example.org",
                "port", 2525,
                "security", RELAY_SECURITY_STARTTLS,
                "auth", RELAY_AUTH_METHOD_LOGIN,
                "username", "me@example.org",
                "from", "me@example.org",
                "max-messages", 30,
                "message-window", 60,
                "max-recipients", 10000,
                "recipient-window", 86400,
                NULL);
  relay_account_set_pins (account, pins);

  node = relay_account_to_json (account);
  copy = relay_account_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);

  assert_same_properties (account, copy, "in the JSON round trip");

  g_assert_finalize_object (copy);
  g_assert_finalize_object (account);
}

/* A hand-edited host keeps its pins: both are compared in the form a
 * typed host takes */
static void
test_account_pins_hand_edited (void)
{
  const char *text = "{ \"id\": \"9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11\", \"provider\": \"custom\","
                     " \"host\": \"  SMTP.Example.ORG  \", \"port\": 587, \"pins\": [ \"" PIN "\" ],"
                     " \"pins_for\": { \"host\": \"smtp.example.org\", \"port\": 587 } }";
  const char * const pins[] = { PIN, NULL };
  g_autoptr(JsonNode) node = json_from_string (text, NULL);
  g_autoptr(GError) error = NULL;
  RelayAccount *account;

  g_assert_nonnull (node);
  account = relay_account_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (relay_account_get_host (account), ==, "smtp.example.org");
  g_assert_cmpstrv (relay_account_get_pins (account), pins);
  g_assert_finalize_object (account);
}

/* The user's own OAuth client: written only when set, read back checked
 * against the provider's sign-in, and never its secret */
static void
test_account_oauth_client (void)
{
  RelayAccount *account = relay_account_new ();
  RelayAccount *copy;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonNode) bad = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  relay_account_apply_provider (account, relay_provider_lookup ("gmail"));
  node = relay_account_to_json (account);
  g_assert_false (json_object_has_member (json_node_get_object (node), "oauth_client_id"));
  g_clear_pointer (&node, json_node_unref);

  relay_account_set_oauth_client_id (account, "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com");
  node = relay_account_to_json (account);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "oauth_client_id"), ==,
                   "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com");
  text = json_to_string (node, FALSE);
  g_assert_null (strstr (text, "secret"));
  copy = relay_account_new_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (relay_account_get_oauth_client_id (copy), ==, "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com");
  assert_same_properties (account, copy, "in the JSON round trip");
  g_assert_finalize_object (copy);

  /* a Google client for a Microsoft sign-in, a client for a provider
   * without sign-in, a hand-edited id with a line break: refused, named */
  json_object_set_string_member (json_node_get_object (node), "provider", "microsoft365");
  g_assert_null (relay_account_new_from_json (json_node_get_object (node), &error));
  g_assert_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "oauth_client_id"));
  g_clear_error (&error);
  json_object_set_string_member (json_node_get_object (node), "provider", "custom");
  g_assert_null (relay_account_new_from_json (json_node_get_object (node), &error));
  g_assert_nonnull (strstr (error->message, "oauth_client_id"));
  g_clear_error (&error);
  json_object_set_string_member (json_node_get_object (node), "provider", "gmail");
  json_object_set_string_member (json_node_get_object (node), "oauth_client_id",
                                 "x\r\nRCPT.apps.googleusercontent.com");
  g_assert_null (relay_account_new_from_json (json_node_get_object (node), &error));
  g_assert_nonnull (strstr (error->message, "oauth_client_id"));
  g_clear_error (&error);
  json_object_set_int_member (json_node_get_object (node), "oauth_client_id", 7);
  g_assert_null (relay_account_new_from_json (json_node_get_object (node), &error));
  g_assert_nonnull (strstr (error->message, "oauth_client_id"));
  g_clear_error (&error);

  /* copied with the account */
  copy = relay_account_copy (account);
  g_assert_cmpstr (relay_account_get_oauth_client_id (copy), ==, "123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com");
  g_assert_finalize_object (copy);

  g_assert_finalize_object (account);
}

static void
test_account_copy (void)
{
  const char * const pins[] = { PIN, NULL };
  RelayAccount *account = relay_account_new ();
  RelayAccount *copy;

  g_object_set (account,
                "provider", "custom",
                "host", "smtp.example.org",
                "port", 2525,
                "security", RELAY_SECURITY_TLS,
                "auth", RELAY_AUTH_METHOD_PLAIN,
                "username", "me@example.org",
                "from", "me@example.org",
                /* what is being typed: the JSON reader would refuse it */
                "ca-file", "relative\tname.pem",
                "max-messages", 30,
                "message-window", 60,
                "allow-insecure", TRUE,
                "sign-in-again", TRUE,
                NULL);
  relay_account_set_pins (account, pins);

  /* every value, the pins with the server they were made for */
  copy = relay_account_copy (account);
  g_assert_nonnull (copy);
  g_assert_cmpstr (relay_account_get_id (copy), ==, relay_account_get_id (account));
  assert_same_properties (account, copy, "in the copy");
  g_assert_cmpstrv (relay_account_get_pins (copy), pins);

  /* a copy is its own: changing it leaves the original alone */
  relay_account_set_host (copy, "mail.example.org");
  g_assert_cmpstr (relay_account_get_host (account), ==, "smtp.example.org");

  g_assert_finalize_object (copy);
  g_assert_finalize_object (account);
}

static void
test_providers (void)
{
  GListModel *all = relay_provider_get_all ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = g_list_model_get_n_items (all);

  g_assert_true (g_list_model_get_item_type (all) == RELAY_TYPE_PROVIDER);
  g_assert_cmpuint (n, >=, 8);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(RelayProvider) provider = g_list_model_get_item (all, i);
      const char *id = relay_provider_get_id (provider);

      g_assert_true (g_hash_table_add (seen, (gpointer)id));
      g_assert_cmpstr (relay_provider_get_name (provider), !=, "");
      g_assert_true (relay_provider_lookup (id) == provider);
      g_assert_cmpuint (relay_provider_get_position (id), ==, i);

      /* a limit needs its window, as an account's does */
      g_assert_cmpint (relay_provider_get_max_messages (provider) > 0, ==,
                       relay_provider_get_message_window (provider) > 0);
      g_assert_cmpint (relay_provider_get_max_recipients (provider) > 0, ==,
                       relay_provider_get_recipient_window (provider) > 0);

      /* a preset with a server names its port */
      if (relay_provider_get_host (provider)[0] != '\0')
        g_assert_cmpuint (relay_provider_get_port (provider), >, 0);

      g_assert_cmpint (relay_provider_uses_sign_in (provider), ==,
                       relay_provider_get_auth (provider) == RELAY_AUTH_METHOD_XOAUTH2 ||
                       relay_provider_get_auth (provider) == RELAY_AUTH_METHOD_OAUTHBEARER);
    }

  g_assert_null (relay_provider_lookup ("no-such-provider"));

  /* the figures the setup page mirrors (providers.md) */
  g_assert_cmpuint (relay_provider_get_max_messages (relay_provider_lookup ("office365")), ==, 30);
  g_assert_cmpuint (relay_provider_get_max_recipients (relay_provider_lookup ("office365")), ==, 10000);
  g_assert_cmpuint (relay_provider_get_port (relay_provider_lookup ("office365")), ==, 587);
  g_assert_cmpint (relay_provider_get_security (relay_provider_lookup ("office365")), ==, RELAY_SECURITY_STARTTLS);
  g_assert_true (relay_provider_uses_sign_in (relay_provider_lookup ("gmail")));
}

static void
test_send_log_entry (void)
{
  const char * const recipients[] = { "one@example.org", "two@example.org", NULL };
  g_autoptr(GDateTime) next = g_date_time_new_utc (2026, 12, 3, 12, 30, 0);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *again = NULL;
  RelaySendLogEntry *entry, *read;

  entry = relay_send_log_entry_new (RELAY_SEND_STATUS_DEFERRED, "<id@example.org>", recipients,
                                    "Subject “quoted”\nwith a line", 2, "451 4.7.1 Try again later");
  relay_send_log_entry_set_account (entry, "00000000-0000-4000-8000-000000000001");
  relay_send_log_entry_set_detail (entry, "Greylisted");
  relay_send_log_entry_set_next_attempt (entry, next);

  line = relay_send_log_entry_to_line (entry);
  g_assert_null (strchr (line, '\n'));

  read = relay_send_log_entry_new_from_line (line, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (relay_send_log_entry_get_status (read), ==, RELAY_SEND_STATUS_DEFERRED);
  g_assert_cmpstr (relay_send_log_entry_get_message_id (read), ==, "<id@example.org>");
  g_assert_cmpstrv (relay_send_log_entry_get_recipients (read), recipients);
  g_assert_cmpstr (relay_send_log_entry_get_subject (read), ==, "Subject “quoted”\nwith a line");
  g_assert_cmpuint (relay_send_log_entry_get_attempt (read), ==, 2);
  g_assert_cmpstr (relay_send_log_entry_get_reply (read), ==, "451 4.7.1 Try again later");
  g_assert_cmpstr (relay_send_log_entry_get_account (read), ==, "00000000-0000-4000-8000-000000000001");
  g_assert_cmpstr (relay_send_log_entry_get_detail (read), ==, "Greylisted");
  g_assert_true (g_date_time_compare (relay_send_log_entry_get_next_attempt (read), next) == 0);
  g_assert_true (g_date_time_compare (relay_send_log_entry_get_time (read),
                                      relay_send_log_entry_get_time (entry)) == 0);

  /* and the line it writes is the line it read */
  again = relay_send_log_entry_to_line (read);
  g_assert_cmpstr (again, ==, line);

  g_assert_finalize_object (read);
  g_assert_finalize_object (entry);
}

/* Every public enum is registered (glib-mkenums), as an enum or flags
 * type of its own name, with one value per code */
static void
test_enum_types (void)
{
  const struct {
    GType       type;
    const char *name;
    guint       n_values;
  } types[] = {
    { RELAY_TYPE_ACCOUNT_ERROR, "RelayAccountError", RELAY_ACCOUNT_ERROR_SENDERS + 1 },
    { RELAY_TYPE_ACCOUNT_STORE_ERROR, "RelayAccountStoreError", RELAY_ACCOUNT_STORE_ERROR_SENDER_REFUSED + 1 },
    { RELAY_TYPE_ERROR_KIND, "RelayErrorKind", RELAY_ERROR_KIND_KEYRING + 1 },
    { RELAY_TYPE_DISPOSITION, "RelayDisposition", RELAY_DISPOSITION_PERMANENT + 1 },
    { RELAY_TYPE_SECURITY, "RelaySecurity", RELAY_SECURITY_NONE + 1 },
    { RELAY_TYPE_AUTH_METHOD, "RelayAuthMethod", RELAY_AUTH_METHOD_OAUTHBEARER + 1 },
    { RELAY_TYPE_SHARING, "RelaySharing", RELAY_SHARING_DEPENDS + 1 },
    { RELAY_TYPE_OAUTH_ERROR, "RelayOAuthError", RELAY_OAUTH_ERROR_TOKEN_TIMEOUT + 1 },
    { RELAY_TYPE_OUTBOX_ERROR, "RelayOutboxError", RELAY_OUTBOX_ERROR_STOPPED + 1 },
    { RELAY_TYPE_SECRETS_ERROR, "RelaySecretsError", RELAY_SECRETS_ERROR_TIMEOUT + 1 },
    { RELAY_TYPE_SECRET_KIND, "RelaySecretKind", RELAY_SECRET_OAUTH_CLIENT_SECRET + 1 },
    { RELAY_TYPE_SEND_STATUS, "RelaySendStatus", RELAY_SEND_STATUS_UNKNOWN + 1 },
    { RELAY_TYPE_SMTP_ERROR, "RelaySmtpError", RELAY_SMTP_ERROR_CERTIFICATE + 1 },
  };
  g_autoptr(GFlagsClass) trust = NULL;
  g_autoptr(GFlagsClass) wait = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GEnumClass) klass = NULL;

      g_assert_true (G_TYPE_IS_ENUM (types[i].type));
      g_assert_cmpstr (g_type_name (types[i].type), ==, types[i].name);
      klass = g_type_class_ref (types[i].type);
      g_assert_cmpuint (klass->n_values, ==, types[i].n_values);
    }

  trust = g_type_class_ref (RELAY_TYPE_ACCOUNT_TRUST);
  g_assert_true (G_IS_FLAGS_CLASS (trust));
  g_assert_cmpstr (g_flags_get_first_value (trust, RELAY_ACCOUNT_TRUST_PINS)->value_nick, ==, "pins");

  wait = g_type_class_ref (RELAY_TYPE_OUTBOX_WAIT);
  g_assert_true (G_IS_FLAGS_CLASS (wait));
  g_assert_cmpstr (g_flags_get_first_value (wait, RELAY_OUTBOX_WAIT_THROTTLE)->value_nick, ==, "throttle");
  g_assert_cmpstr (g_flags_get_first_value (wait, RELAY_OUTBOX_WAIT_RETRY)->value_nick, ==, "retry");
}

/* A value's nick is the string the code writes for it: the send log's
 * status, the keyring's secret kind, `test --json`'s error.kind */
static void
test_enum_nicks (void)
{
  g_autoptr(GEnumClass) status = g_type_class_ref (RELAY_TYPE_SEND_STATUS);
  g_autoptr(GEnumClass) secret = g_type_class_ref (RELAY_TYPE_SECRET_KIND);
  g_autoptr(GEnumClass) kind = g_type_class_ref (RELAY_TYPE_ERROR_KIND);
  g_autoptr(GEnumClass) smtp = g_type_class_ref (RELAY_TYPE_SMTP_ERROR);

  for (guint i = 0; i < status->n_values; i++)
    g_assert_cmpstr (status->values[i].value_nick, ==,
                     relay_send_status_to_string (status->values[i].value));

  for (guint i = 0; i < secret->n_values; i++)
    g_assert_cmpstr (secret->values[i].value_nick, ==,
                     relay_secret_kind_to_string (secret->values[i].value));

  /* RELAY_ERROR_KIND_NONE writes no kind at all */
  g_assert_cmpstr (relay_error_kind_to_string (RELAY_ERROR_KIND_NONE), ==, "");
  for (guint i = 0; i < kind->n_values; i++)
    if (kind->values[i].value != RELAY_ERROR_KIND_NONE)
      g_assert_cmpstr (kind->values[i].value_nick, ==,
                       relay_error_kind_to_string (kind->values[i].value));

  g_assert_cmpstr (g_enum_get_value (smtp, RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE)->value_nick, ==,
                   "starttls-unavailable");
}

/* Each error domain is declared beside its type: relay-account.h alone
 * gives RELAY_ACCOUNT_ERROR, relay-smtp-error.h alone RELAY_SMTP_ERROR */
static void
test_error_domains (void)
{
  g_assert_cmpstr (g_quark_to_string (RELAY_ACCOUNT_ERROR), ==, "relay-account-error-quark");
  g_assert_cmpstr (g_quark_to_string (RELAY_SMTP_ERROR), ==, "relay-smtp-error-quark");
  g_assert_cmpstr (relay_account_error_get_option (RELAY_ACCOUNT_ERROR_HOST), ==, "--host");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/account/properties", test_account_properties);
  g_test_add_func ("/account/json", test_account_json);
  g_test_add_func ("/account/copy", test_account_copy);
  g_test_add_func ("/account/oauth-client", test_account_oauth_client);
  g_test_add_func ("/account/pins-hand-edited", test_account_pins_hand_edited);
  g_test_add_func ("/provider/presets", test_providers);
  g_test_add_func ("/send-log-entry/line", test_send_log_entry);
  g_test_add_func ("/enums/types", test_enum_types);
  g_test_add_func ("/enums/nicks", test_enum_nicks);
  g_test_add_func ("/errors/domains", test_error_domains);

  return g_test_run ();
}
