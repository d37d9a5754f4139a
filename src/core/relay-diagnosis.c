/* relay-diagnosis.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* An error → a RelayDiagnosis: the resolver, network, TLS, SMTP, account
 * and keyring errors, the security/port mismatch and the certificate
 * problems, each with its kind, disposition, message and hint. The table
 * of server replies is in relay-diagnosis-reply.c. */

#define G_LOG_DOMAIN "relay-diagnosis"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "relay-diagnosis-private.h"
#include "relay-format.h"
#include "relay-secrets.h"
#include "relay-smtp-error.h"
#include "relay-smtp-session.h"
#include "relay-text.h"
#include "relay-validate.h"

G_DEFINE_BOXED_TYPE (RelayDiagnosis, relay_diagnosis, relay_diagnosis_copy, relay_diagnosis_free)

static RelayDiagnosis *
diagnosis_new (RelayErrorKind    kind,
               RelayDisposition  disposition,
               const char       *message,
               const char       *hint)
{
  RelayDiagnosis *diagnosis = g_new0 (RelayDiagnosis, 1);

  diagnosis->kind = kind;
  diagnosis->disposition = disposition;
  diagnosis->message = g_strdup (message != NULL ? message : "");
  diagnosis->hint = g_strdup (hint != NULL ? hint : "");

  return diagnosis;
}

static RelayDiagnosis *
diagnosis_new_take (RelayErrorKind    kind,
                    RelayDisposition  disposition,
                    char             *message,
                    char             *hint)
{
  RelayDiagnosis *diagnosis = g_new0 (RelayDiagnosis, 1);

  diagnosis->kind = kind;
  diagnosis->disposition = disposition;
  diagnosis->message = message != NULL ? message : g_strdup ("");
  diagnosis->hint = hint != NULL ? hint : g_strdup ("");

  return diagnosis;
}

RelayDiagnosis *
relay_diagnosis_copy (const RelayDiagnosis *diagnosis)
{
  g_return_val_if_fail (diagnosis != NULL, NULL);

  return diagnosis_new (diagnosis->kind, diagnosis->disposition,
                        diagnosis->message, diagnosis->hint);
}

/* NULL-safe, like g_free () */
void
relay_diagnosis_free (RelayDiagnosis *diagnosis)
{
  if (diagnosis == NULL)
    return;

  g_free (diagnosis->message);
  g_free (diagnosis->hint);
  g_free (diagnosis);
}

/**
 * relay_error_kind_to_string:
 *
 * Returns: the `error.kind` token of `mail-relay-cli test --json`, or "" for
 *   %RELAY_ERROR_KIND_NONE
 */
const char *
relay_error_kind_to_string (RelayErrorKind kind)
{
  switch (kind)
    {
    case RELAY_ERROR_KIND_NONE:                 return "";
    case RELAY_ERROR_KIND_DNS:                  return "dns";
    case RELAY_ERROR_KIND_CONNECT:              return "connect";
    case RELAY_ERROR_KIND_TIMEOUT:              return "timeout";
    case RELAY_ERROR_KIND_TLS:                  return "tls";
    case RELAY_ERROR_KIND_STARTTLS_UNAVAILABLE: return "starttls-unavailable";
    case RELAY_ERROR_KIND_AUTH:                 return "auth";
    case RELAY_ERROR_KIND_REJECTED:             return "rejected";
    case RELAY_ERROR_KIND_PROTOCOL:             return "protocol";
    case RELAY_ERROR_KIND_CONFIG:               return "config";
    case RELAY_ERROR_KIND_KEYRING:              return "keyring";
    default:
      g_return_val_if_reached ("");
    }
}

/* Errors */

typedef struct
{
  const char *step;
  const char *timeout;
  const char *closed;
} StepText;

static const StepText step_texts[] = {
  { "resolve",
    N_("Looking up the server name took too long."),
    N_("The connection was closed while looking up the server name.") },
  { "connect",
    N_("The server did not accept the connection in time."),
    N_("The connection was closed before it was set up.") },
  { "greeting",
    N_("The server did not send its greeting in time."),
    N_("The server closed the connection before greeting.") },
  { "ehlo",
    N_("The server did not answer the EHLO greeting in time."),
    N_("The server closed the connection after the EHLO greeting.") },
  { "starttls",
    N_("The server did not answer STARTTLS in time."),
    N_("The server closed the connection after STARTTLS.") },
  { "tls",
    N_("Setting up encryption (the TLS handshake) took too long."),
    N_("The server closed the connection while setting up encryption.") },
  { "auth",
    N_("The server did not answer the sign-in in time."),
    N_("The server closed the connection during the sign-in.") },
  { "mail",
    N_("The server did not answer the sender address in time."),
    N_("The server closed the connection after the sender address.") },
  { "rcpt",
    N_("The server did not answer the recipient address in time."),
    N_("The server closed the connection after the recipient address.") },
  { "data",
    N_("The server did not confirm the message in time; it may or may not have been delivered."),
    N_("The server closed the connection before confirming the message; it may or may not have "
       "been delivered.") },
  { "quit",
    N_("The server did not answer QUIT in time."),
    N_("The server closed the connection before answering QUIT.") },
  { NULL,
    N_("The server did not answer in time."),
    N_("The server closed the connection.") },
};

static const StepText *
lookup_step (const char *step)
{
  guint i;

  for (i = 0; step_texts[i].step != NULL; i++)
    if (g_strcmp0 (step_texts[i].step, step) == 0)
      break;

  return &step_texts[i];
}

static gboolean
step_is_before_session (const char *step)
{
  return step == NULL || g_str_equal (step, "resolve") || g_str_equal (step, "connect");
}

static RelayDiagnosis *
diagnose_timeout (const char *step)
{
  const char *hint;

  if (g_strcmp0 (step, "resolve") == 0)
    hint = _("Check your internet connection, then try again.");
  else if (g_strcmp0 (step, "connect") == 0)
    hint = _("Check the server name and port. A firewall or your network may block outgoing "
             "mail ports: try 587, 465 or 2525 if your provider offers them.");
  else if (g_strcmp0 (step, "greeting") == 0)
    hint = _("On port 465 set Security to SSL/TLS: that port waits for encryption before it "
             "greets. Otherwise the server may be busy; try again later.");
  else
    hint = _("The server may be busy. Try again later; if it keeps happening, ask your mail "
             "provider.");

  return diagnosis_new (RELAY_ERROR_KIND_TIMEOUT, RELAY_DISPOSITION_TEMPORARY,
                        _(lookup_step (step)->timeout), hint);
}

static RelayDiagnosis *
diagnose_closed (const char *step)
{
  if (step_is_before_session (step))
    return diagnosis_new (RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY,
                          _(lookup_step (step)->closed),
                          _("Check the server name and port, and your internet connection."));

  return diagnosis_new (RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY,
                        _(lookup_step (step)->closed),
                        _("Check the port and Security setting (587: STARTTLS, 465: SSL/TLS). "
                          "The server may also refuse connections from your network; if it "
                          "keeps happening, ask your mail provider."));
}

/* What an error code means, when that is all it takes to say */
typedef struct
{
  gint              code;         /* ANY_CODE: every code not listed before */
  RelayErrorKind    kind;
  RelayDisposition  disposition;
  const char       *message;
  const char       *hint;         /* NULL: none */
} CodeRule;

#define ANY_CODE -1

static const CodeRule resolver_rules[] = {
  { G_RESOLVER_ERROR_NOT_FOUND,
    RELAY_ERROR_KIND_DNS, RELAY_DISPOSITION_TEMPORARY,
    N_("The server name was not found."),
    N_("Check the server name for typing mistakes, such as "
       "smtp.office365.com or smtp.gmail.com; your mail provider or IT "
       "department can tell you the right one.") },
  { G_RESOLVER_ERROR_TEMPORARY_FAILURE,
    RELAY_ERROR_KIND_DNS, RELAY_DISPOSITION_TEMPORARY,
    N_("The server name could not be looked up right now."),
    N_("Check your internet connection, then try again.") },
  { ANY_CODE,
    RELAY_ERROR_KIND_DNS, RELAY_DISPOSITION_TEMPORARY,
    N_("Looking up the server name failed."),
    N_("Check your internet connection and the server name, then try "
       "again.") },
};

/* G_IO_ERROR_TIMED_OUT, _CONNECTION_CLOSED and _NOT_CONNECTED depend on the
 * step: see diagnose_io_error() */
static const CodeRule io_rules[] = {
  { G_IO_ERROR_CANCELLED,
    RELAY_ERROR_KIND_NONE, RELAY_DISPOSITION_TEMPORARY,
    N_("Cancelled"),
    NULL },
  { G_IO_ERROR_HOST_NOT_FOUND,
    RELAY_ERROR_KIND_DNS, RELAY_DISPOSITION_TEMPORARY,
    N_("The server name was not found."),
    N_("Check the server name for typing mistakes; your mail provider or "
       "IT department can tell you the right one.") },
  { G_IO_ERROR_CONNECTION_REFUSED,
    RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY,
    N_("The server refused the connection on this port."),
    N_("Check the port: 587 for STARTTLS, 465 for SSL/TLS; some providers "
       "also offer 2525. Check the server name too.") },
  { G_IO_ERROR_HOST_UNREACHABLE,
    RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY,
    N_("The server cannot be reached from this network."),
    N_("Check your internet connection. A firewall may block outgoing "
       "mail ports: try 587, 465 or 2525 if your provider offers them.") },
  { G_IO_ERROR_NETWORK_UNREACHABLE,
    RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY,
    N_("This computer is not connected to a network that reaches the "
       "server."),
    N_("Check your internet connection or VPN, then try again.") },
  /* before the session only: see diagnose_io_error() */
  { G_IO_ERROR_PERMISSION_DENIED,
    RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY,
    N_("This computer does not allow the connection to the server."),
    N_("Check that a firewall or security software lets this app connect "
       "to the server’s port.") },
  /* every G_IO_ERROR_PROXY_* code: see diagnose_io_error() */
  { G_IO_ERROR_PROXY_FAILED,
    RELAY_ERROR_KIND_CONNECT, RELAY_DISPOSITION_TEMPORARY,
    N_("The network proxy did not let the connection through."),
    N_("Check the proxy settings in Settings → Network, or ask your IT "
       "department whether mail ports may pass the proxy.") },
};

static const CodeRule tls_rules[] = {
  { G_TLS_ERROR_NOT_TLS,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
    N_("The port answered in plain text, but an implicit TLS port was "
       "expected."),
    N_("Set Security to STARTTLS for port 587 (or 25 and 2525), or to "
       "SSL/TLS for port 465.") },
  { G_TLS_ERROR_HANDSHAKE,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY,
    N_("Encryption could not be set up: the TLS handshake failed."),
    N_("Check the port and Security setting (587: STARTTLS, 465: "
       "SSL/TLS). If they are right, the server may only offer old TLS "
       "versions; ask its administrator to enable TLS 1.2 or newer.") },
  { G_TLS_ERROR_BAD_CERTIFICATE,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
    N_("The server’s certificate was not accepted."),
    N_("Check the server name. Trust a certificate only for a server you "
       "know, after comparing its SHA-256 fingerprint with the one your "
       "administrator gives you.") },
  { G_TLS_ERROR_EOF,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY,
    N_("The server closed the connection while setting up encryption."),
    N_("Check the port and Security setting (587: STARTTLS, 465: "
       "SSL/TLS), then try again.") },
  { G_TLS_ERROR_INAPPROPRIATE_FALLBACK,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
    N_("The connection was pushed down to an older TLS version, which can "
       "be an attack; it was stopped and nothing was sent."),
    N_("Try again from another network. If it keeps happening, tell the "
       "server’s administrator.") },
  { G_TLS_ERROR_CERTIFICATE_REQUIRED,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
    N_("The server requires a client certificate, which this app does not "
       "support."),
    N_("Ask the server’s administrator for a way to sign in with a user "
       "name and password or with “Sign In” instead.") },
  { G_TLS_ERROR_UNAVAILABLE,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
    N_("Encryption (TLS) is not available on this computer."),
    N_("Install the glib-networking package, then try again.") },
  /* G_TLS_ERROR_MISC and any other */
  { ANY_CODE,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY,
    N_("The encrypted connection failed."),
    N_("Try again. If it keeps happening, check the port and Security "
       "setting (587: STARTTLS, 465: SSL/TLS).") },
};

/* RELAY_SMTP_ERROR_REPLY and _CLOSED depend on the reply and the step: see
 * diagnose_smtp_error() */
static const CodeRule smtp_rules[] = {
  { RELAY_SMTP_ERROR_PROTOCOL,
    RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY,
    N_("The server answered in a way that does not follow SMTP."),
    N_("Check that the server name and port are those of a mail "
       "submission service (usually port 587 or 465), not for example a "
       "web or IMAP server.") },
  { RELAY_SMTP_ERROR_LINE_TOO_LONG,
    RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY,
    N_("The server sent a reply far longer than SMTP allows, so the "
       "connection was stopped."),
    N_("Check that the server name and port are those of a mail "
       "submission service (usually port 587 or 465).") },
  { RELAY_SMTP_ERROR_STARTTLS_UNAVAILABLE,
    RELAY_ERROR_KIND_STARTTLS_UNAVAILABLE, RELAY_DISPOSITION_PERMANENT,
    N_("The server did not offer STARTTLS, so the connection was stopped; "
       "the password was not sent."),
    N_("Check the port: 587 with STARTTLS, or 465 with SSL/TLS. If they "
       "are right, something on your network may be removing encryption; "
       "try another network and tell the server’s administrator.") },
  { RELAY_SMTP_ERROR_INJECTION,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
    N_("Unencrypted data was injected after STARTTLS — a possible attack; "
       "the connection was stopped and nothing was sent."),
    N_("Do not send from this network. Try another network, and tell the "
       "server’s administrator; SSL/TLS on port 465 avoids STARTTLS "
       "altogether.") },
  { RELAY_SMTP_ERROR_AUTH_UNAVAILABLE,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server offers no sign-in method this app can use on this "
       "connection."),
    N_("Many servers offer sign-in only over encryption: set Security to "
       "STARTTLS or SSL/TLS. Otherwise set Authentication to “Automatic” "
       "or ask your mail provider which method it supports.") },
  { RELAY_SMTP_ERROR_INSECURE,
    RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT,
    N_("The password would travel unencrypted to another computer, so "
       "nothing was sent."),
    N_("Set Security to STARTTLS (port 587) or SSL/TLS (port 465).") },
  { RELAY_SMTP_ERROR_BAD_INPUT,
    RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT,
    N_("An address or header contains a line break or another character "
       "that is not allowed, so nothing was sent."),
    N_("Check the sender and recipient addresses and the subject.") },
  { RELAY_SMTP_ERROR_TOO_BIG,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The message is larger than the server accepts, so it was not "
       "sent."),
    N_("Make the message smaller: send large attachments as links, or "
       "split them over several messages.") },
  { RELAY_SMTP_ERROR_CERTIFICATE,
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
    N_("The server’s certificate could not be verified."),
    N_("Check the server name. Trust a certificate only for a server you "
       "know, after comparing its SHA-256 fingerprint with the one your "
       "administrator gives you.") },
};

/* The first rule for @code, or NULL when none is */
static RelayDiagnosis *
diagnose_code (const CodeRule *rules,
               gsize           n_rules,
               gint            code)
{
  for (gsize i = 0; i < n_rules; i++)
    {
      const CodeRule *rule = &rules[i];

      if (rule->code == code || rule->code == ANY_CODE)
        return diagnosis_new (rule->kind, rule->disposition, _(rule->message),
                              rule->hint != NULL ? _(rule->hint) : NULL);
    }

  return NULL;
}

static RelayDiagnosis *
diagnose_io_error (const char   *step,
                   const GError *error)
{
  gint code = error->code;

  switch (code)
    {
    case G_IO_ERROR_TIMED_OUT:
      return diagnose_timeout (step);

    case G_IO_ERROR_PERMISSION_DENIED:
      if (!step_is_before_session (step))
        return NULL;
      break;

    case G_IO_ERROR_PROXY_FAILED:
    case G_IO_ERROR_PROXY_AUTH_FAILED:
    case G_IO_ERROR_PROXY_NEED_AUTH:
    case G_IO_ERROR_PROXY_NOT_ALLOWED:
      code = G_IO_ERROR_PROXY_FAILED;
      break;

    case G_IO_ERROR_CONNECTION_CLOSED:  /* also G_IO_ERROR_BROKEN_PIPE */
    case G_IO_ERROR_NOT_CONNECTED:
      return diagnose_closed (step);

    default:
      break;
    }

  return diagnose_code (io_rules, G_N_ELEMENTS (io_rules), code);
}

static RelayDiagnosis *
diagnose_smtp_error (const char   *step,
                     const GError *error)
{
  switch (error->code)
    {
    case RELAY_SMTP_ERROR_REPLY:
      {
        g_autofree char *enhanced = NULL;
        const char *text = NULL;
        guint code = 0;

        if (relay_diagnosis_parse_reply (error->message, &code, &enhanced, &text))
          return relay_diagnose_reply (step, code, enhanced, text);

        return diagnosis_new (RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
                              _("The server refused the request."),
                              _("The server’s reply may say why; if it does not, ask your mail "
                                "provider."));
      }

    case RELAY_SMTP_ERROR_CLOSED:
      {
        g_autoptr(RelayDiagnosis) diagnosis = diagnose_closed (step);

        /* the SMTP session was up: whatever the step, this is not a connect error */
        diagnosis->kind = RELAY_ERROR_KIND_PROTOCOL;
        return g_steal_pointer (&diagnosis);
      }

    default:
      return diagnose_code (smtp_rules, G_N_ELEMENTS (smtp_rules), error->code);
    }
}

/**
 * relay_diagnose_error:
 * @step: (nullable): the step that failed, as in `steps[].step` of `test --json`
 * @error: the error of that step
 *
 * Network errors and timeouts are %RELAY_DISPOSITION_TEMPORARY; a drop
 * during the DATA step is too, and the caller decides whether the result
 * is unknown. Cancellation gives %RELAY_ERROR_KIND_NONE.
 *
 * Returns: (transfer full): what the error means
 */
RelayDiagnosis *
relay_diagnose_error (const char   *step,
                      const GError *error)
{
  RelayDiagnosis *diagnosis = NULL;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain == G_RESOLVER_ERROR)
    diagnosis = diagnose_code (resolver_rules, G_N_ELEMENTS (resolver_rules), error->code);
  else if (error->domain == G_IO_ERROR)
    diagnosis = diagnose_io_error (step, error);
  /* once encrypted, an unannounced end is a dropped connection */
  else if (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF) && g_strcmp0 (step, "tls") != 0)
    diagnosis = diagnose_closed (step);
  else if (error->domain == G_TLS_ERROR)
    diagnosis = diagnose_code (tls_rules, G_N_ELEMENTS (tls_rules), error->code);
  else if (error->domain == RELAY_SMTP_ERROR)
    diagnosis = diagnose_smtp_error (step, error);
  else if (error->domain == RELAY_SECRETS_ERROR || error->domain == SECRET_ERROR)
    diagnosis = diagnosis_new (RELAY_ERROR_KIND_KEYRING, RELAY_DISPOSITION_PERMANENT,
                               _("The password could not be read from the keyring."),
                               _("Make sure the keyring (GNOME Keyring or another Secret "
                                 "Service) is running and unlocked, then try again."));
  else if (error->domain == RELAY_ACCOUNT_ERROR)
    /* its message already names the field */
    diagnosis = diagnosis_new (RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT,
                               error->message, _("Correct the account settings, then try again."));

  if (diagnosis == NULL)
    diagnosis = diagnosis_new (RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_TEMPORARY,
                               error->message,
                               _("Try again. If it keeps happening, report it with the transcript "
                                 "of the test."));

  return diagnosis;
}

/* Security and port */

static gboolean
is_implicit_tls_port (guint port)
{
  return port == 465 || port == 2465;
}

static gboolean
is_starttls_port (guint port)
{
  return port == 587 || port == 25 || port == 2525 || port == 2587;
}

static gboolean
is_closed_error (const GError *error)
{
  return g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
}

/**
 * relay_diagnose_security_mismatch:
 * @step: (nullable): the step that failed, as in `steps[].step` of `test --json`
 * @error: the error of that step
 * @security: the Security setting the connection used
 * @port: the port it connected to
 *
 * SSL/TLS on a port that greets in plain text fails in the handshake;
 * STARTTLS or None on a port that waits for the handshake first never
 * gets a greeting. Either is a setting to change, not a failure to retry.
 *
 * Returns: (transfer full) (nullable): a diagnosis that says which
 *   Security fits which port, or %NULL when the failure does not look
 *   like such a mismatch
 */
RelayDiagnosis *
relay_diagnose_security_mismatch (const char    *step,
                                  const GError  *error,
                                  RelaySecurity  security,
                                  guint          port)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (security == RELAY_SECURITY_TLS && g_strcmp0 (step, "tls") == 0 && !is_implicit_tls_port (port) &&
      (g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_MISC) ||
       g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_NOT_TLS) ||
       g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE) ||
       g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF) ||
       is_closed_error (error)))
    {
      char *hint;

      if (is_starttls_port (port))
        hint = g_strdup_printf (_("Port %u is for STARTTLS: set Security to STARTTLS. SSL/TLS is for "
                                  "port 465."), port);
      else
        hint = g_strdup_printf (_("Set Security to STARTTLS if the server expects it on port %u, as "
                                  "most do on 587, 25 and 2525; or set Port to the server’s SSL/TLS "
                                  "port, usually 465."), port);

      return diagnosis_new_take (RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
                                 g_strdup (_("Encryption could not start: the server does not speak "
                                             "SSL/TLS at once on this port.")),
                                 hint);
    }

  if (security != RELAY_SECURITY_TLS && g_strcmp0 (step, "greeting") == 0 && is_implicit_tls_port (port) &&
      (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) || is_closed_error (error)))
    {
      RelayErrorKind kind = is_closed_error (error) ? RELAY_ERROR_KIND_PROTOCOL : RELAY_ERROR_KIND_TIMEOUT;

      return diagnosis_new_take (kind, RELAY_DISPOSITION_PERMANENT,
                                 g_strdup_printf (_("The server did not greet: port %u waits for "
                                                    "encryption (SSL/TLS) first."), port),
                                 g_strdup_printf (_("Port %u is for SSL/TLS: set Security to SSL/TLS. "
                                                    "STARTTLS is for port 587."), port));
    }

  return NULL;
}

/* Certificates */

typedef struct
{
  GTlsCertificateFlags  flag;
  const char           *token;
} CertificateToken;

static const CertificateToken certificate_tokens[] = {
  { G_TLS_CERTIFICATE_UNKNOWN_CA, "unknown-ca" },
  { G_TLS_CERTIFICATE_BAD_IDENTITY, "bad-identity" },
  { G_TLS_CERTIFICATE_NOT_ACTIVATED, "not-activated" },
  { G_TLS_CERTIFICATE_EXPIRED, "expired" },
  { G_TLS_CERTIFICATE_REVOKED, "revoked" },
  { G_TLS_CERTIFICATE_INSECURE, "insecure" },
  { G_TLS_CERTIFICATE_GENERIC_ERROR, "generic-error" },
};

/* Providers whose certificates are always valid: an error there is interception */
static const char * const public_domains[] = {
  "gmail.com", "googlemail.com", "google.com", "office365.com", "outlook.com",
  "sparkpostmail.com", "sendgrid.net", "amazonaws.com", "mailgun.org",
};

static gboolean
is_public_provider (const char *host)
{
  if (host == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (public_domains); i++)
    {
      gsize host_length = strlen (host);
      gsize length = strlen (public_domains[i]);

      if (g_ascii_strcasecmp (host, public_domains[i]) == 0)
        return TRUE;
      if (host_length > length
          && host[host_length - length - 1] == '.'
          && g_ascii_strcasecmp (host + host_length - length, public_domains[i]) == 0)
        return TRUE;
    }

  return FALSE;
}

/**
 * relay_certificate_errors_to_string:
 * @errors: the validation errors of a certificate
 *
 * The tokens, in this order, are unknown-ca, bad-identity, not-activated,
 * expired, revoked, insecure and generic-error; they are not translated
 * (`tls.errors[]` of `test --json` uses them too).
 *
 * Returns: (transfer full): the tokens of @errors joined by ", ", or "" when
 *   there is none
 */
char *
relay_certificate_errors_to_string (GTlsCertificateFlags errors)
{
  GString *string = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (certificate_tokens); i++)
    {
      if ((errors & certificate_tokens[i].flag) == 0)
        continue;
      if (string->len > 0)
        g_string_append (string, ", ");
      g_string_append (string, certificate_tokens[i].token);
    }

  return g_string_free (string, FALSE);
}

/**
 * relay_diagnose_certificate:
 * @errors: the validation errors of the server's certificate
 * @host: (nullable): the server name the user typed
 *
 * Returns: (transfer full): a %RELAY_ERROR_KIND_TLS diagnosis that names
 *   every problem, or %RELAY_ERROR_KIND_NONE when @errors is empty
 */
RelayDiagnosis *
relay_diagnose_certificate (GTlsCertificateFlags  errors,
                            const char           *host)
{
  GString *message;
  GString *hint;

  if ((errors & G_TLS_CERTIFICATE_VALIDATE_ALL) == 0)
    return diagnosis_new (RELAY_ERROR_KIND_NONE, RELAY_DISPOSITION_OK,
                          _("The server’s certificate is valid."), "");

  message = g_string_new (_("The server’s certificate was not accepted."));

  if (errors & G_TLS_CERTIFICATE_UNKNOWN_CA)
    g_string_append_printf (message, " %s",
                            _("It is issued by an authority this computer does not trust."));
  if (errors & G_TLS_CERTIFICATE_BAD_IDENTITY)
    {
      g_string_append_c (message, ' ');
      if (host != NULL)
        g_string_append_printf (message, _("It is issued for a different name than “%s”."), host);
      else
        g_string_append (message, _("It is issued for a different server name."));
    }
  if (errors & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    g_string_append_printf (message, " %s", _("It is not valid yet."));
  if (errors & G_TLS_CERTIFICATE_EXPIRED)
    g_string_append_printf (message, " %s", _("It has expired."));
  if (errors & G_TLS_CERTIFICATE_REVOKED)
    g_string_append_printf (message, " %s", _("It has been revoked by its issuer."));
  if (errors & G_TLS_CERTIFICATE_INSECURE)
    g_string_append_printf (message, " %s", _("It uses insecure cryptography."));
  if (errors & G_TLS_CERTIFICATE_GENERIC_ERROR)
    g_string_append_printf (message, " %s", _("It could not be checked."));

  hint = g_string_new (NULL);

  if (errors & (G_TLS_CERTIFICATE_NOT_ACTIVATED | G_TLS_CERTIFICATE_EXPIRED))
    g_string_append_printf (hint, "%s ", _("Check that this computer’s date and time are right."));

  if (is_public_provider (host))
    g_string_append_printf (hint, _("Do not trust this certificate: the certificates of “%s” "
                                    "are always valid, so the connection is probably being "
                                    "intercepted. Try another network."),
                            host);
  else
    g_string_append (hint, _("Check the server name. If you trust this server — for example your "
                             "own, with a self-signed certificate — compare the certificate’s "
                             "SHA-256 fingerprint with the one your administrator gives you, and "
                             "only then trust (pin) it. Never do this for a public provider such "
                             "as Gmail or Office 365: their certificates are always valid."));

  return diagnosis_new_take (RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
                             g_string_free (message, FALSE), g_string_free (hint, FALSE));
}

/**
 * relay_diagnose_certificate_changed:
 * @host: the server name the user typed
 * @port: its port
 * @pins: the fingerprints pinned for @host and @port
 * @certificate: the certificate the server showed instead
 * @errors: its validation errors
 *
 * A pin admits only its own certificate: this one, even when a
 * certificate authority vouches for it, was refused. Says so with both
 * fingerprints and what the new certificate says of itself.
 *
 * Returns: (transfer full): a %RELAY_ERROR_KIND_TLS diagnosis
 */
RelayDiagnosis *
relay_diagnose_certificate_changed (const char           *host,
                                    guint                 port,
                                    const char * const   *pins,
                                    GTlsCertificate      *certificate,
                                    GTlsCertificateFlags  errors)
{
  g_autofree char *trusted = NULL;
  g_autofree char *presented = NULL;
  g_autofree char *raw_subject = NULL;
  g_autofree char *raw_issuer = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *until = NULL;
  g_autoptr(GDateTime) not_after = NULL;
  GString *message;
  GString *hint;

  g_return_val_if_fail (host != NULL, NULL);
  g_return_val_if_fail (pins != NULL, NULL);
  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  trusted = g_strjoinv (", ", (char **)pins);
  presented = relay_certificate_sha256 (certificate);
  /* the server's words */
  if ((raw_subject = g_tls_certificate_get_subject_name (certificate)) != NULL)
    subject = relay_text_for_display (raw_subject, -1);
  if ((raw_issuer = g_tls_certificate_get_issuer_name (certificate)) != NULL)
    issuer = relay_text_for_display (raw_issuer, -1);
  if ((not_after = g_tls_certificate_get_not_valid_after (certificate)) != NULL)
    until = relay_format_date (not_after);

  message = g_string_new (NULL);
  /* Translators: %s is a server name, %u its port */
  g_string_append_printf (message, _("The server’s certificate has changed: it is not the one you "
                                     "trusted for %s, port %u, so it was refused."), host, port);
  g_string_append_c (message, '\n');
  /* Translators: %s is one or more SHA-256 fingerprints */
  g_string_append_printf (message, _("Trusted certificate (SHA-256): %s"), trusted);
  g_string_append_c (message, '\n');
  /* Translators: %s is a SHA-256 fingerprint */
  g_string_append_printf (message, _("New certificate (SHA-256): %s"), presented);
  if (subject != NULL)
    {
      g_string_append_c (message, '\n');
      /* Translators: %s is the subject of a certificate */
      g_string_append_printf (message, _("Issued to: %s"), subject);
    }
  if (issuer != NULL)
    {
      g_string_append_c (message, '\n');
      /* Translators: %s is the issuer of a certificate */
      g_string_append_printf (message, _("Issued by: %s"), issuer);
    }
  if (until != NULL)
    {
      g_string_append_c (message, '\n');
      /* Translators: %s is a date */
      g_string_append_printf (message, _("Valid until: %s"), until);
    }

  hint = g_string_new (NULL);
  if ((errors & G_TLS_CERTIFICATE_VALIDATE_ALL) == 0)
    g_string_append_printf (hint, "%s ", _("A certificate authority vouches for the new certificate, "
                                           "but for a server with a trusted certificate only that "
                                           "certificate is accepted."));
  g_string_append (hint, _("Ask the server’s administrator whether its certificate was renewed, and "
                           "compare the new SHA-256 fingerprint with the one they give you. Only then "
                           "trust the new certificate in its place; until then nothing is sent to "
                           "this server."));

  return diagnosis_new_take (RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
                             g_string_free (message, FALSE), g_string_free (hint, FALSE));
}
