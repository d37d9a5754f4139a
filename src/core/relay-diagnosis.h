/* relay-diagnosis.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "relay-enums.h"

G_BEGIN_DECLS

/* The error kinds of `mail-relay-cli test --json` (docs/cli.md) */
typedef enum
{
  RELAY_ERROR_KIND_NONE,
  RELAY_ERROR_KIND_DNS,
  RELAY_ERROR_KIND_CONNECT,
  RELAY_ERROR_KIND_TIMEOUT,
  RELAY_ERROR_KIND_TLS,
  RELAY_ERROR_KIND_STARTTLS_UNAVAILABLE,
  RELAY_ERROR_KIND_AUTH,
  RELAY_ERROR_KIND_REJECTED,
  RELAY_ERROR_KIND_PROTOCOL,
  RELAY_ERROR_KIND_CONFIG,
  RELAY_ERROR_KIND_KEYRING,
} RelayErrorKind;

/* What an outbox should do with a message after this reply or error */
typedef enum
{
  RELAY_DISPOSITION_OK,         /* 2xx/3xx */
  RELAY_DISPOSITION_TEMPORARY,  /* defer, retry with backoff */
  RELAY_DISPOSITION_QUOTA,      /* hold until the provider's window allows */
  RELAY_DISPOSITION_PERMANENT,  /* fail, never retry */
} RelayDisposition;

typedef struct
{
  RelayErrorKind    kind;
  RelayDisposition  disposition;
  char             *message;  /* what happened, in plain language, translated */
  char             *hint;     /* what to do next, translated */
} RelayDiagnosis;

#define RELAY_TYPE_DIAGNOSIS (relay_diagnosis_get_type ())

GType           relay_diagnosis_get_type      (void) G_GNUC_CONST;
RelayDiagnosis *relay_diagnosis_copy          (const RelayDiagnosis *diagnosis);
void            relay_diagnosis_free          (RelayDiagnosis       *diagnosis);
const char     *relay_error_kind_to_string    (RelayErrorKind        kind);

RelayDiagnosis *relay_diagnose_reply          (const char           *step,
                                               guint                 code,
                                               const char           *enhanced,
                                               const char           *text);
RelayDiagnosis *relay_diagnose_error          (const char           *step,
                                               const GError         *error);
RelayDiagnosis *relay_diagnose_certificate    (GTlsCertificateFlags  errors,
                                               const char           *host);
RelayDiagnosis *relay_diagnose_certificate_changed (const char           *host,
                                                    guint                 port,
                                                    const char * const   *pins,
                                                    GTlsCertificate      *certificate,
                                                    GTlsCertificateFlags  errors);
RelayDiagnosis *relay_diagnose_security_mismatch (const char        *step,
                                                  const GError      *error,
                                                  RelaySecurity      security,
                                                  guint              port);
/* Stable English tokens joined by ", " (also `tls.errors[]`): unknown-ca,
 * bad-identity, not-activated, expired, revoked, insecure, generic-error */
char           *relay_certificate_errors_to_string (GTlsCertificateFlags errors);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelayDiagnosis, relay_diagnosis_free)

G_END_DECLS
