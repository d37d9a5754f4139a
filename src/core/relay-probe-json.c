/* relay-probe-json.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The connection test's result as JSON: the form of
 * `mail-relay-cli test --json` (docs/cli.md).
 */

#define G_LOG_DOMAIN "relay-probe"

#include "config.h"

#include <json-glib/json-glib.h>

#include "relay-enum-types.h"
#include "relay-probe.h"
#include "relay-probe-private.h"

static void
add_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_strv (JsonBuilder        *builder,
          const char         *member,
          const char * const *values)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; values != NULL && values[i]; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static char *
format_time (GDateTime *time)
{
  return time ? g_date_time_format_iso8601 (time) : NULL;
}

static void
add_tls (RelayProbe  *self,
         JsonBuilder *builder)
{
  GTlsCertificate *certificate = relay_probe_get_certificate (self);
  g_autofree char *subject = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *not_before = NULL;
  g_autofree char *not_after = NULL;
  g_autofree char *errors = NULL;
  g_auto(GStrv) error_list = NULL;
  g_autoptr(GDateTime) before = NULL;
  g_autoptr(GDateTime) after = NULL;

  json_builder_set_member_name (builder, "tls");
  if (certificate == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  subject = g_tls_certificate_get_subject_name (certificate);
  issuer = g_tls_certificate_get_issuer_name (certificate);
  before = g_tls_certificate_get_not_valid_before (certificate);
  after = g_tls_certificate_get_not_valid_after (certificate);
  not_before = format_time (before);
  not_after = format_time (after);
  errors = relay_certificate_errors_to_string (relay_probe_get_certificate_errors (self));
  error_list = errors[0] ? g_strsplit (errors, ", ", -1) : g_new0 (char *, 1);

  json_builder_begin_object (builder);
  add_string (builder, "version", relay_smtp_session_get_tls_version (self->session));
  json_builder_set_member_name (builder, "certificate");
  json_builder_begin_object (builder);
  add_string (builder, "subject", subject);
  add_string (builder, "issuer", issuer);
  add_string (builder, "not_before", not_before);
  add_string (builder, "not_after", not_after);
  add_string (builder, "sha256", relay_probe_get_certificate_sha256 (self));
  json_builder_end_object (builder);
  add_strv (builder, "errors", (const char * const *)error_list);
  json_builder_set_member_name (builder, "pinned");
  json_builder_add_boolean_value (builder, relay_smtp_session_get_pinned (self->session));
  /* the only certificates accepted for this host and port, when any */
  add_strv (builder, "pins", relay_account_get_pins (self->account));
  json_builder_end_object (builder);
}

/**
 * relay_probe_to_json:
 *
 * Returns: (transfer full): the result in the form of
 *   `mail-relay-cli test --json` (docs/cli.md)
 */
JsonNode *
relay_probe_to_json (RelayProbe *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GEnumClass) security = g_type_class_ref (RELAY_TYPE_SECURITY);
  RelaySmtpSession *session = self->session;

  g_return_val_if_fail (RELAY_IS_PROBE (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, self->ok);
  add_string (builder, "host", relay_account_get_host (self->account));
  json_builder_set_member_name (builder, "port");
  json_builder_add_int_value (builder, relay_account_get_port (self->account));
  add_string (builder, "security",
              g_enum_get_value (security, relay_account_get_security (self->account))->value_nick);

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < self->steps->len; i++)
    {
      RelayProbeStep *step = g_ptr_array_index (self->steps, i);

      json_builder_begin_object (builder);
      add_string (builder, "step", step->name);
      json_builder_set_member_name (builder, "ok");
      json_builder_add_boolean_value (builder, step->ok);
      json_builder_set_member_name (builder, "ms");
      json_builder_add_int_value (builder, step->ms);
      add_string (builder, "detail", step->detail);
      json_builder_set_member_name (builder, "skipped");
      json_builder_add_boolean_value (builder, step->skipped);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "server");
  json_builder_begin_object (builder);
  add_string (builder, "greeting", session ? relay_smtp_session_get_greeting (session) : NULL);
  add_strv (builder, "capabilities", session ? relay_smtp_session_get_capabilities (session) : NULL);
  add_strv (builder, "auth_mechanisms", session ? relay_smtp_session_get_auth_mechanisms (session) : NULL);
  json_builder_set_member_name (builder, "size_limit");
  json_builder_add_int_value (builder, session ? relay_smtp_session_get_size_limit (session) : 0);
  json_builder_end_object (builder);

  if (session != NULL)
    add_tls (self, builder);
  else
    add_string (builder, "tls", NULL);

  json_builder_set_member_name (builder, "error");
  if (self->diagnosis != NULL && !self->ok)
    {
      json_builder_begin_object (builder);
      add_string (builder, "kind", relay_error_kind_to_string (self->diagnosis->kind));
      add_string (builder, "reply", self->error_reply ? self->error_reply : "");
      add_string (builder, "message", self->diagnosis->message);
      add_string (builder, "hint", self->diagnosis->hint);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);

  add_strv (builder, "transcript", (const char * const *)self->transcript);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
