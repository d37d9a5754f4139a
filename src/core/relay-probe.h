/* relay-probe.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "relay-account.h"
#include "relay-diagnosis.h"

G_BEGIN_DECLS

typedef struct
{
  char     *name;    /* resolve connect greeting ehlo starttls tls auth mail rcpt data quit */
  gboolean  ok;
  guint     ms;
  char     *detail;
  gboolean  skipped; /* not tried, for want of what it needs (ok is FALSE) */
} RelayProbeStep;

#define RELAY_TYPE_PROBE_STEP (relay_probe_step_get_type ())
#define RELAY_TYPE_PROBE (relay_probe_get_type ())

GType           relay_probe_step_get_type (void) G_GNUC_CONST;
RelayProbeStep *relay_probe_step_copy     (const RelayProbeStep *step);
void            relay_probe_step_free     (RelayProbeStep       *step);

G_DECLARE_FINAL_TYPE (RelayProbe, relay_probe, RELAY, PROBE, GObject)

/* Returns a new access token, in the probe's worker thread */
typedef char *(*RelayProbeTokenFunc) (gpointer       user_data,
                                      GCancellable  *cancellable,
                                      GError       **error);

RelayProbe           *relay_probe_new                 (RelayAccount         *account);
void                  relay_probe_set_secret          (RelayProbe           *self,
                                                       const char           *secret);
void                  relay_probe_set_send_to         (RelayProbe           *self,
                                                       const char           *address);
void                  relay_probe_set_log_source      (RelayProbe           *self,
                                                       const char           *source);
void                  relay_probe_set_timeout         (RelayProbe           *self,
                                                       guint                 seconds);
void                  relay_probe_set_token_refresher (RelayProbe           *self,
                                                       RelayProbeTokenFunc   func,
                                                       gpointer              user_data,
                                                       GDestroyNotify        destroy);
void                  relay_probe_run_async           (RelayProbe           *self,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean              relay_probe_run_finish          (RelayProbe           *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

gboolean              relay_probe_get_ok              (RelayProbe           *self);
gboolean              relay_probe_get_auth_skipped    (RelayProbe           *self);
GPtrArray            *relay_probe_get_steps           (RelayProbe           *self);
const RelayDiagnosis *relay_probe_get_diagnosis       (RelayProbe           *self);
const char           *relay_probe_get_error_reply     (RelayProbe           *self);
const char           *relay_probe_get_log_error       (RelayProbe           *self);
GTlsCertificate      *relay_probe_get_certificate     (RelayProbe           *self);
const char           *relay_probe_get_certificate_sha256 (RelayProbe        *self);
GTlsCertificateFlags  relay_probe_get_certificate_errors (RelayProbe        *self);
gboolean              relay_probe_get_certificate_pinned (RelayProbe        *self);
gboolean              relay_probe_get_certificate_changed (RelayProbe       *self);
const char * const   *relay_probe_get_transcript      (RelayProbe           *self);
JsonNode             *relay_probe_to_json             (RelayProbe           *self);

G_END_DECLS
