/* test-diagnosis.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <libsecret/secret.h>
#include <string.h>

#include "relay-diagnosis.h"
#include "relay-secrets.h"
#include "relay-smtp-error.h"
#include "relay-validate.h"

#define S(text) ((text) != NULL ? (text) : "-")

static void
assert_filled (const RelayDiagnosis *diagnosis)
{
  g_assert_nonnull (diagnosis);
  g_assert_nonnull (diagnosis->message);
  g_assert_nonnull (diagnosis->hint);
  g_assert_cmpstr (diagnosis->message, !=, "");
  g_assert_cmpstr (diagnosis->hint, !=, "");
}

typedef struct
{
  const char       *step;
  guint             code;
  const char       *enhanced;
  const char       *text;
  RelayErrorKind    kind;
  RelayDisposition  disposition;
  const char       *hint_mentions;  /* NULL: no check */
} ReplyCase;

static void
test_reply (void)
{
  static const ReplyCase cases[] = {
    /* Office 365 */
    { "auth", 535, "5.7.139",
      "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
      "Visit https://aka.ms/smtp_auth_disabled for more information.",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "Authenticated SMTP" },
    { "auth", 535, "5.7.139",
      "Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox.",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "administrator" },
    { "auth", 535, "5.7.139",
      "Authentication unsuccessful, user is locked by your organization's security defaults policy.",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "Sign In" },
    { "auth", 535, "5.7.139", "Authentication unsuccessful, the request did not meet the criteria",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "administrator" },
    { "auth", 535, "5.7.3", "Authentication unsuccessful",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "password" },
    { "mail", 530, "5.7.57", "Client not authenticated to send mail. [AM0PR01CA0001]",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "Authentication" },
    { "auth", 550, "5.7.30", "Basic authentication is not supported for Client Submission.",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "Sign In" },
    { "greeting", 432, "4.3.2", "Concurrent connections limit exceeded.",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "ehlo", 432, "4.3.2", "Concurrent connections limit exceeded.",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "data", 554, "5.2.0",
      "STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_QUOTA, "outbox" },
    { "ehlo", 503, "5.5.2", "Send hello first",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT, NULL },
    { "starttls", 503, "5.5.2", "Send hello first",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT, NULL },
    { "mail", 550, "5.7.60", "SMTP; Client does not have permissions to send as this sender",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "Send As" },
    /* Gmail */
    { "rcpt", 550, "5.4.5", "Daily user sending limit exceeded. For more information...",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_QUOTA, NULL },
    { "data", 550, "5.4.5", "Daily user sending quota exceeded.",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_QUOTA, NULL },
    { "auth", 535, "5.7.8", "Username and Password not accepted. For more information, go to",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "app password" },
    { "auth", 534, "5.7.9", "Application-specific password required.",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "App passwords" },
    { "mail", 530, "5.7.0", "Must issue a STARTTLS command first. x - gsmtp",
      RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT, "STARTTLS" },
    { "auth", 530, NULL, "Must issue a STARTTLS command first",
      RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT, "Security" },
    { "mail", 421, "4.7.0", "Try again later, closing connection. (MAIL) x - gsmtp",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    /* Amazon SES */
    { "data", 454, NULL, "Throttling failure: Maximum sending rate exceeded.",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, "sending rate" },
    { "mail", 454, NULL, "Throttling failure: Daily message quota exceeded.",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_QUOTA, "quota" },
    { "auth", 454, NULL, "Throttling failure: Daily message quota exceeded.",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_QUOTA, NULL },
    /* SparkPost */
    { "mail", 550, "5.7.1", "Unconfigured Sending Domain <example.org>",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "domain" },
    /* Sign-in, by code */
    { "auth", 535, NULL, "authentication failed",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "password" },
    { "auth", 534, NULL, "Authentication mechanism is too weak",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, NULL },
    { "auth", 538, "5.7.11", "Encryption required for requested authentication mechanism",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "SSL/TLS" },
    { "auth", 454, "4.7.0", "Temporary authentication failure",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "auth", 504, "5.5.4", "Unrecognized authentication type",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, NULL },
    { "auth", 500, NULL, "whatever",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, NULL },
    { "starttls", 454, "4.7.0", "TLS not available due to temporary reason",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY, NULL },
    /* 421 anywhere */
    { "greeting", 421, NULL, "Service not available, closing transmission channel",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "auth", 421, "4.7.0", "Too many failed attempts",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "data", 421, "4.4.2", "Connection dropped due to timeout",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    /* size */
    { "data", 552, "5.3.4", "Message size exceeds fixed maximum message size",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "attachments" },
    { "mail", 552, NULL, "Message size exceeds maximum permitted",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "attachments" },
    { "data", 554, "5.3.4", "Message too big for system",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "attachments" },
    /* recipients */
    { "rcpt", 550, "5.1.1", "The email account that you tried to reach does not exist.",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "recipient" },
    { "rcpt", 550, "5.1.10", "RESOLVER.ADR.RecipientNotFound; Recipient not found",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "recipient" },
    { "rcpt", 550, NULL, "<x@example.org>: Recipient address rejected: User unknown",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "recipient" },
    { "rcpt", 552, "5.2.2", "The email account that you tried to reach is over quota",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, NULL },
    /* senders and relaying */
    { "mail", 553, "5.7.1", "Sender address rejected: not owned by user me@example.org",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "sender" },
    { "mail", 553, NULL, "sorry, that domain isn't in my list of allowed rcpthosts",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "sender" },
    { "mail", 550, "5.7.1", "Sender not allowed",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "sender" },
    { "rcpt", 554, "5.7.1", "<x@example.net>: Relay access denied",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "user name and password" },
    { "rcpt", 550, "5.7.1", "Unable to relay",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "user name and password" },
    { "data", 550, "5.7.1", "Message rejected by policy",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, NULL },
    /* greylisting and other temporary refusals */
    { "rcpt", 450, "4.2.0", "<x@example.org>: Recipient address rejected: Greylisted, see ...",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "rcpt", 451, "4.7.1", "Please try again later (graylisted)",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "rcpt", 450, "4.2.1", "Mailbox unavailable",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "data", 451, "4.3.0", "Local error in processing",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "rcpt", 452, "4.5.3", "Too many recipients",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    /* fallbacks by class and step */
    { "mail", 471, NULL, "odd", RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "rcpt", 471, NULL, "odd", RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "data", 471, NULL, "odd", RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "auth", 471, NULL, "odd", RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "ehlo", 471, NULL, "odd", RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "mail", 571, NULL, "odd", RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, NULL },
    { "rcpt", 571, NULL, "odd", RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, NULL },
    { "data", 571, NULL, "odd", RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, NULL },
    { "greeting", 554, NULL, "No SMTP service here",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, NULL },
    { "ehlo", 502, NULL, "Command not implemented",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT, NULL },
    { "starttls", 502, NULL, "STARTTLS not implemented",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT, NULL },
    { NULL, 571, NULL, NULL, RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, NULL },
    { NULL, 471, NULL, NULL, RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "quit", 600, NULL, "nonsense", RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT, NULL },
    { "greeting", 100, NULL, "", RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const ReplyCase *c = &cases[i];
      g_autoptr(RelayDiagnosis) diagnosis = relay_diagnose_reply (c->step, c->code, c->enhanced, c->text);

      g_test_message ("%s %u %s %s", S (c->step), c->code, S (c->enhanced), S (c->text));
      assert_filled (diagnosis);
      g_assert_cmpint (diagnosis->kind, ==, c->kind);
      g_assert_cmpint (diagnosis->disposition, ==, c->disposition);
      if (c->hint_mentions != NULL)
        g_assert_nonnull (strstr (diagnosis->hint, c->hint_mentions));
      /* a diagnosis explains the reply, it does not repeat it */
      if (c->text != NULL && *c->text != '\0')
        g_assert_cmpstr (diagnosis->message, !=, c->text);
    }
}

static void
test_reply_details (void)
{
  g_autoptr(RelayDiagnosis) ok = relay_diagnose_reply ("data", 250, "2.0.0", "OK queued");
  g_autoptr(RelayDiagnosis) in_text = NULL;
  g_autoptr(RelayDiagnosis) separate = NULL;
  g_autoptr(RelayDiagnosis) class_only = NULL;
  g_autoptr(RelayDiagnosis) copy = NULL;

  g_assert_cmpint (ok->kind, ==, RELAY_ERROR_KIND_NONE);
  g_assert_cmpint (ok->disposition, ==, RELAY_DISPOSITION_OK);

  /* the enhanced code may come at the start of the text */
  in_text = relay_diagnose_reply ("auth", 535, NULL, "5.7.139 Authentication unsuccessful, "
                                  "SmtpClientAuthentication is disabled for the Tenant.");
  separate = relay_diagnose_reply ("auth", 535, "5.7.139", "Authentication unsuccessful, "
                                   "SmtpClientAuthentication is disabled for the Tenant.");
  g_assert_cmpstr (in_text->message, ==, separate->message);
  g_assert_cmpstr (in_text->hint, ==, separate->hint);
  g_assert_nonnull (strstr (separate->message, "5.7.139"));

  /* 5.7.1 is not a prefix of 5.7.139 */
  class_only = relay_diagnose_reply ("auth", 535, "5.7.1", "Authentication unsuccessful");
  g_assert_null (strstr (class_only->message, "5.7.139"));

  /* matching the text ignores case */
  g_clear_pointer (&class_only, relay_diagnosis_free);
  class_only = relay_diagnose_reply ("mail", 454, NULL, "THROTTLING FAILURE: DAILY MESSAGE QUOTA EXCEEDED");
  g_assert_cmpint (class_only->disposition, ==, RELAY_DISPOSITION_QUOTA);

  copy = g_boxed_copy (RELAY_TYPE_DIAGNOSIS, separate);
  g_assert_true (copy != separate);
  g_assert_true (copy->message != separate->message);
  g_assert_cmpint (copy->kind, ==, separate->kind);
  g_assert_cmpint (copy->disposition, ==, separate->disposition);
  g_assert_cmpstr (copy->message, ==, separate->message);
  g_assert_cmpstr (copy->hint, ==, separate->hint);

  relay_diagnosis_free (NULL);
}

typedef struct
{
  const char       *step;
  const char       *domain;  /* "io", "resolver", "tls", "smtp", "secrets", "account", "other" */
  int               code;
  const char       *message;
  RelayErrorKind    kind;
  RelayDisposition  disposition;
  const char       *mentions;  /* in the message or the hint; NULL: no check */
} ErrorCase;

static GQuark
domain_quark (const char *name)
{
  if (g_str_equal (name, "io"))
    return G_IO_ERROR;
  if (g_str_equal (name, "resolver"))
    return G_RESOLVER_ERROR;
  if (g_str_equal (name, "tls"))
    return G_TLS_ERROR;
  if (g_str_equal (name, "smtp"))
    return RELAY_SMTP_ERROR;
  if (g_str_equal (name, "secrets"))
    return RELAY_SECRETS_ERROR;
  if (g_str_equal (name, "secret"))
    return SECRET_ERROR;
  if (g_str_equal (name, "account"))
    return RELAY_ACCOUNT_ERROR;

  return g_quark_from_static_string ("test-other-error-quark");
}

static void
test_error (void)
{
  static const ErrorCase cases[] = {
    { "resolve", "resolver", G_RESOLVER_ERROR_NOT_FOUND, "Name not found",
      RELAY_ERROR_KIND_DNS, RELAY_DISPOSITION_TEMPORARY, "server name" },
    { "resolve", "resolver", G_RESOLVER_ERROR_TEMPORARY_FAILURE, "Temporary failure",
      RELAY_ERROR_KIND_DNS, RELAY_DISPOSITION_TEMPORARY, "internet connection" },
    { "resolve", "resolver", G_RESOLVER_ERROR_INTERNAL, "Internal",
      RELAY_ERROR_KIND_DNS, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "resolve", "io", G_IO_ERROR_HOST_NOT_FOUND, "Host not found",
      RELAY_ERROR_KIND_DNS, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "connect", "io", G_IO_ERROR_CONNECTION_REFUSED, "Connection refused",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, "587" },
    { "connect", "io", G_IO_ERROR_HOST_UNREACHABLE, "No route to host",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "connect", "io", G_IO_ERROR_NETWORK_UNREACHABLE, "Network is unreachable",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "connect", "io", G_IO_ERROR_PROXY_FAILED, "Proxy failed",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, "proxy" },
    /* every proxy failure reads the same */
    { "connect", "io", G_IO_ERROR_PROXY_AUTH_FAILED, "Proxy authentication failed",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, "proxy" },
    { "connect", "io", G_IO_ERROR_PROXY_NEED_AUTH, "Proxy needs authentication",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, "proxy" },
    { "connect", "io", G_IO_ERROR_PROXY_NOT_ALLOWED, "Proxy not allowed",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, "proxy" },
    /* this computer refuses only before the session; later it is the error's own message */
    { "connect", "io", G_IO_ERROR_PERMISSION_DENIED, "Permission denied",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, "firewall" },
    { "mail", "io", G_IO_ERROR_PERMISSION_DENIED, "Permission denied",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "Permission denied" },
    { "connect", "io", G_IO_ERROR_CONNECTION_CLOSED, "Connection reset by peer",
      RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "greeting", "io", G_IO_ERROR_CONNECTION_CLOSED, "Connection reset by peer",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "greeting" },
    { "data", "io", G_IO_ERROR_BROKEN_PIPE, "Broken pipe",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "may or may not" },
    { "auth", "io", G_IO_ERROR_NOT_CONNECTED, "Not connected",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "sign-in" },
    { "resolve", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "server name" },
    { "connect", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "connection" },
    { "greeting", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "greeting" },
    { "ehlo", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "EHLO" },
    { "starttls", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "STARTTLS" },
    { "tls", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "TLS" },
    { "auth", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "sign-in" },
    { "mail", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "sender" },
    { "rcpt", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "recipient" },
    { "data", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "may or may not" },
    { "quit", "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, "QUIT" },
    { NULL, "io", G_IO_ERROR_TIMED_OUT, "Timed out",
      RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "tls", "tls", G_TLS_ERROR_NOT_TLS, "Not TLS",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT, "465" },
    { "tls", "tls", G_TLS_ERROR_HANDSHAKE, "Handshake",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "tls", "tls", G_TLS_ERROR_BAD_CERTIFICATE, "Bad certificate",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT, "SHA-256" },
    { "tls", "tls", G_TLS_ERROR_MISC, "Misc",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY, NULL },
    /* a code newer than this app: the same as G_TLS_ERROR_MISC */
    { "tls", "tls", 1000, "Newer",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY, "encrypted connection failed" },
    { "tls", "tls", G_TLS_ERROR_EOF, "EOF",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "tls", "tls", G_TLS_ERROR_INAPPROPRIATE_FALLBACK, "Fallback",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT, "attack" },
    { "tls", "tls", G_TLS_ERROR_CERTIFICATE_REQUIRED, "Certificate required",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT, "client certificate" },
    { "tls", "tls", G_TLS_ERROR_UNAVAILABLE, "TLS support is not available",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT, "glib-networking" },
    { "starttls", "smtp", RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE, "no STARTTLS",
      RELAY_ERROR_KIND_STARTTLS_UNAVAILABLE, RELAY_DISPOSITION_PERMANENT, "password was not sent" },
    { "starttls", "smtp", RELAY_SMTP_ERROR_INJECTION, "injection",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT, "nothing was sent" },
    { "ehlo", "smtp", RELAY_SMTP_ERROR_PROTOCOL, "garbage",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "ehlo", "smtp", RELAY_SMTP_ERROR_LINE_TOO_LONG, "too long",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "greeting", "smtp", RELAY_SMTP_ERROR_CLOSED, "closed",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "greeting" },
    { "connect", "smtp", RELAY_SMTP_ERROR_CLOSED, "closed",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "data", "smtp", RELAY_SMTP_ERROR_CLOSED, "closed",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "may or may not" },
    { "auth", "smtp", RELAY_SMTP_ERROR_AUTH_UNAVAILABLE, "no mechanism",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "STARTTLS" },
    { "auth", "smtp", RELAY_SMTP_ERROR_INSECURE, "insecure",
      RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT, "nothing was sent" },
    { "mail", "smtp", RELAY_SMTP_ERROR_BAD_INPUT, "CR in address",
      RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT, "nothing was sent" },
    { "mail", "smtp", RELAY_SMTP_ERROR_TOO_BIG, "too big",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "larger" },
    { "tls", "smtp", RELAY_SMTP_ERROR_CERTIFICATE, "certificate",
      RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT, "SHA-256" },
    /* REPLY: read from the message */
    { "auth", "smtp", RELAY_SMTP_ERROR_REPLY, "535 5.7.8 Username and Password not accepted.",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "5.7.8" },
    { "auth", "smtp", RELAY_SMTP_ERROR_REPLY,
      "Server replied: 535-5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
      "disabled for the Tenant.",
      RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT, "Authenticated SMTP" },
    { "data", "smtp", RELAY_SMTP_ERROR_REPLY, "454 Throttling failure: Maximum sending rate exceeded.",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "rcpt", "smtp", RELAY_SMTP_ERROR_REPLY, "550 5.1.1 No such user",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, "5.1.1" },
    { "mail", "smtp", RELAY_SMTP_ERROR_REPLY, "421",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY, NULL },
    { "mail", "smtp", RELAY_SMTP_ERROR_REPLY, "the server said no",
      RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT, NULL },
    { "auth", "secrets", RELAY_SECRETS_ERROR_UNAVAILABLE, "No keyring",
      RELAY_ERROR_KIND_KEYRING, RELAY_DISPOSITION_PERMANENT, "keyring" },
    { "auth", "secret", SECRET_ERROR_IS_LOCKED, "Locked",
      RELAY_ERROR_KIND_KEYRING, RELAY_DISPOSITION_PERMANENT, "keyring" },
    { NULL, "account", RELAY_ACCOUNT_ERROR_HOST, "Server: the name is too long",
      RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT, "Server: the name is too long" },
    /* unknown: the error's own message */
    { "ehlo", "other", 7, "Something odd happened",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "Something odd happened" },
    { "ehlo", "smtp", 1000, "Something odd happened",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "Something odd happened" },
    { "ehlo", "io", G_IO_ERROR_FAILED, "Something odd happened",
      RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY, "Something odd happened" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const ErrorCase *c = &cases[i];
      g_autoptr(GError) error = g_error_new_literal (domain_quark (c->domain), c->code, c->message);
      g_autoptr(RelayDiagnosis) diagnosis = relay_diagnose_error (c->step, error);

      g_test_message ("%s %s %d %s", S (c->step), c->domain, c->code, c->message);
      assert_filled (diagnosis);
      g_assert_cmpint (diagnosis->kind, ==, c->kind);
      g_assert_cmpint (diagnosis->disposition, ==, c->disposition);
      if (c->mentions != NULL)
        g_assert_true (strstr (diagnosis->message, c->mentions) != NULL
                       || strstr (diagnosis->hint, c->mentions) != NULL);
    }
}

static void
test_error_details (void)
{
  g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Operation was cancelled");
  g_autoptr(GError) not_tls = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_NOT_TLS, "x");
  g_autoptr(GError) greeting_timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "x");
  g_autoptr(GError) rcpt_timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "x");
  g_autoptr(RelayDiagnosis) diagnosis = relay_diagnose_error ("mail", cancelled);
  g_autoptr(RelayDiagnosis) greeting = NULL;
  g_autoptr(RelayDiagnosis) rcpt = NULL;

  g_assert_cmpint (diagnosis->kind, ==, RELAY_ERROR_KIND_NONE);
  g_assert_cmpstr (diagnosis->message, ==, "Cancelled");
  g_assert_cmpstr (diagnosis->hint, ==, "");
  g_assert_cmpstr (relay_error_kind_to_string (diagnosis->kind), ==, "");

  g_clear_pointer (&diagnosis, relay_diagnosis_free);
  diagnosis = relay_diagnose_error ("tls", not_tls);
  g_assert_nonnull (strstr (diagnosis->message, "plain text"));
  g_assert_nonnull (strstr (diagnosis->hint, "STARTTLS"));
  g_assert_nonnull (strstr (diagnosis->hint, "587"));
  g_assert_nonnull (strstr (diagnosis->hint, "SSL/TLS"));
  g_assert_nonnull (strstr (diagnosis->hint, "465"));

  /* the message names the step */
  greeting = relay_diagnose_error ("greeting", greeting_timeout);
  rcpt = relay_diagnose_error ("rcpt", rcpt_timeout);
  g_assert_cmpstr (greeting->message, !=, rcpt->message);
  g_assert_cmpstr (greeting->message, ==, "The server did not send its greeting in time.");
}

typedef struct
{
  GTlsCertificateFlags  flags;
  const char           *tokens;
  const char * const    mentions[4];
} CertificateCase;

static void
test_certificate (void)
{
  static const CertificateCase cases[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, "unknown-ca",
      { "does not trust", NULL } },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, "bad-identity",
      { "different name than “mail.example.org”", NULL } },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not-activated",
      { "not valid yet", NULL } },
    { G_TLS_CERTIFICATE_EXPIRED, "expired",
      { "expired", NULL } },
    { G_TLS_CERTIFICATE_REVOKED, "revoked",
      { "revoked", NULL } },
    { G_TLS_CERTIFICATE_INSECURE, "insecure",
      { "insecure", NULL } },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, "generic-error",
      { "could not be checked", NULL } },
    { G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_BAD_IDENTITY, "unknown-ca, bad-identity",
      { "does not trust", "different name", NULL } },
    { G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_INSECURE,
      "unknown-ca, expired, insecure",
      { "does not trust", "expired", "insecure", NULL } },
    { G_TLS_CERTIFICATE_VALIDATE_ALL,
      "unknown-ca, bad-identity, not-activated, expired, revoked, insecure, generic-error",
      { "does not trust", "not valid yet", "revoked", NULL } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const CertificateCase *c = &cases[i];
      g_autoptr(RelayDiagnosis) diagnosis = relay_diagnose_certificate (c->flags, "mail.example.org");
      g_autofree char *tokens = relay_certificate_errors_to_string (c->flags);

      assert_filled (diagnosis);
      g_assert_cmpint (diagnosis->kind, ==, RELAY_ERROR_KIND_TLS);
      g_assert_cmpint (diagnosis->disposition, ==, RELAY_DISPOSITION_PERMANENT);
      g_assert_cmpstr (tokens, ==, c->tokens);
      for (guint j = 0; c->mentions[j] != NULL; j++)
        g_assert_nonnull (strstr (diagnosis->message, c->mentions[j]));
      /* a private server: pin after comparing the fingerprint */
      g_assert_nonnull (strstr (diagnosis->hint, "SHA-256"));
      g_assert_nonnull (strstr (diagnosis->hint, "pin"));
      if (c->flags & (G_TLS_CERTIFICATE_EXPIRED | G_TLS_CERTIFICATE_NOT_ACTIVATED))
        g_assert_nonnull (strstr (diagnosis->hint, "date and time"));
      else
        g_assert_null (strstr (diagnosis->hint, "date and time"));
    }
}

static void
test_certificate_details (void)
{
  g_autoptr(RelayDiagnosis) valid = relay_diagnose_certificate (0, "mail.example.org");
  g_autoptr(RelayDiagnosis) no_host = relay_diagnose_certificate (G_TLS_CERTIFICATE_BAD_IDENTITY, NULL);
  g_autoptr(RelayDiagnosis) gmail = relay_diagnose_certificate (G_TLS_CERTIFICATE_UNKNOWN_CA, "smtp.gmail.com");
  g_autoptr(RelayDiagnosis) office = relay_diagnose_certificate (G_TLS_CERTIFICATE_BAD_IDENTITY, "SMTP.Office365.com");
  g_autoptr(RelayDiagnosis) lookalike = relay_diagnose_certificate (G_TLS_CERTIFICATE_UNKNOWN_CA, "notgmail.com");
  g_autofree char *none = relay_certificate_errors_to_string (0);

  g_assert_cmpint (valid->kind, ==, RELAY_ERROR_KIND_NONE);
  g_assert_cmpint (valid->disposition, ==, RELAY_DISPOSITION_OK);
  g_assert_cmpstr (none, ==, "");

  assert_filled (no_host);
  g_assert_nonnull (strstr (no_host->message, "different server name"));

  /* never pin a public provider's certificate */
  assert_filled (gmail);
  g_assert_null (strstr (gmail->hint, "pin"));
  g_assert_nonnull (strstr (gmail->hint, "Do not trust"));
  g_assert_null (strstr (office->hint, "pin"));
  g_assert_nonnull (strstr (lookalike->hint, "pin"));
}

static void
test_security_mismatch (void)
{
  g_autoptr(GError) misc = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_MISC, "An unexpected TLS packet was received.");
  g_autoptr(GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "No answer within 20 seconds");
  g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "refused");
  g_autoptr(RelayDiagnosis) tls_on_587 = relay_diagnose_security_mismatch ("tls", misc, RELAY_SECURITY_TLS, 587);
  g_autoptr(RelayDiagnosis) tls_on_other = relay_diagnose_security_mismatch ("tls", misc, RELAY_SECURITY_TLS, 10025);
  g_autoptr(RelayDiagnosis) starttls_on_465 = relay_diagnose_security_mismatch ("greeting", timeout,
                                                                                RELAY_SECURITY_STARTTLS, 465);
  g_autoptr(RelayDiagnosis) none_on_465 = relay_diagnose_security_mismatch ("greeting", timeout,
                                                                            RELAY_SECURITY_NONE, 465);
  g_autoptr(RelayDiagnosis) generic = relay_diagnose_error ("tls", misc);

  /* what the same failure said without knowing the Security and port */
  g_assert_true (g_str_has_prefix (generic->hint, "Try again"));

  /* SSL/TLS on a port that greets in plain text: say which Security fits */
  assert_filled (tls_on_587);
  g_assert_cmpint (tls_on_587->kind, ==, RELAY_ERROR_KIND_TLS);
  g_assert_cmpint (tls_on_587->disposition, ==, RELAY_DISPOSITION_PERMANENT);
  g_assert_nonnull (strstr (tls_on_587->hint, "Port 587 is for STARTTLS: set Security to STARTTLS"));
  g_assert_nonnull (strstr (tls_on_587->hint, "465"));
  g_assert_null (strstr (tls_on_587->hint, "Try again"));
  assert_filled (tls_on_other);
  g_assert_nonnull (strstr (tls_on_other->hint, "Set Security to STARTTLS"));
  g_assert_nonnull (strstr (tls_on_other->hint, "10025"));
  g_assert_null (strstr (tls_on_other->hint, "Try again"));

  /* STARTTLS or None on the port that waits for TLS */
  assert_filled (starttls_on_465);
  g_assert_cmpint (starttls_on_465->kind, ==, RELAY_ERROR_KIND_TIMEOUT);
  g_assert_nonnull (strstr (starttls_on_465->hint, "set Security to SSL/TLS"));
  g_assert_null (strstr (starttls_on_465->hint, "try again"));
  assert_filled (none_on_465);
  g_assert_nonnull (strstr (none_on_465->hint, "set Security to SSL/TLS"));

  /* not a mismatch: the usual diagnosis stands */
  g_assert_null (relay_diagnose_security_mismatch ("tls", misc, RELAY_SECURITY_TLS, 465));
  g_assert_null (relay_diagnose_security_mismatch ("tls", misc, RELAY_SECURITY_STARTTLS, 587));
  g_assert_null (relay_diagnose_security_mismatch ("greeting", timeout, RELAY_SECURITY_STARTTLS, 587));
  g_assert_null (relay_diagnose_security_mismatch ("greeting", timeout, RELAY_SECURITY_TLS, 465));
  g_assert_null (relay_diagnose_security_mismatch ("connect", refused, RELAY_SECURITY_TLS, 587));
}

static void
test_kind_to_string (void)
{
  static const struct {
    RelayErrorKind  kind;
    const char     *string;
  } kinds[] = {
    { RELAY_ERROR_KIND_NONE, "" },
    { RELAY_ERROR_KIND_DNS, "dns" },
    { RELAY_ERROR_KIND_CONNECT, "connect" },
    { RELAY_ERROR_KIND_TIMEOUT, "timeout" },
    { RELAY_ERROR_KIND_TLS, "tls" },
    { RELAY_ERROR_KIND_STARTTLS_UNAVAILABLE, "starttls-unavailable" },
    { RELAY_ERROR_KIND_AUTH, "auth" },
    { RELAY_ERROR_KIND_REJECTED, "rejected" },
    { RELAY_ERROR_KIND_PROTOCOL, "protocol" },
    { RELAY_ERROR_KIND_CONFIG, "config" },
    { RELAY_ERROR_KIND_KEYRING, "keyring" },
  };

  g_assert_cmpuint (G_N_ELEMENTS (kinds), ==, RELAY_ERROR_KIND_KEYRING + 1);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_assert_cmpstr (relay_error_kind_to_string (kinds[i].kind), ==, kinds[i].string);
}

static void
test_boxed_type (void)
{
  g_assert_true (G_TYPE_IS_BOXED (RELAY_TYPE_DIAGNOSIS));
  g_assert_cmpstr (g_type_name (RELAY_TYPE_DIAGNOSIS), ==, "RelayDiagnosis");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/diagnosis/reply", test_reply);
  g_test_add_func ("/diagnosis/reply-details", test_reply_details);
  g_test_add_func ("/diagnosis/error", test_error);
  g_test_add_func ("/diagnosis/error-details", test_error_details);
  g_test_add_func ("/diagnosis/certificate", test_certificate);
  g_test_add_func ("/diagnosis/certificate-details", test_certificate_details);
  g_test_add_func ("/diagnosis/security-mismatch", test_security_mismatch);
  g_test_add_func ("/diagnosis/kind-to-string", test_kind_to_string);
  g_test_add_func ("/diagnosis/boxed-type", test_boxed_type);

  return g_test_run ();
}
