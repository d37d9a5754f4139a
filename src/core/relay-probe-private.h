/* relay-probe-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the connection test's files share: the RelayProbe instance, which
 * relay-probe.c runs and relay-probe-json.c reports.
 */

#pragma once

#include "relay-diagnosis.h"
#include "relay-oauth.h"
#include "relay-probe.h"
#include "relay-smtp-session.h"

G_BEGIN_DECLS

struct _RelayProbe
{
  GObject               parent_instance;

  RelayAccount         *account;
  char                 *secret;
  char                 *send_to;
  char                 *log_source;
  guint                 timeout;
  gboolean              running;
  RelayProbeTokenFunc   refresh;
  gpointer              refresh_data;
  GDestroyNotify        refresh_destroy;

  /* results, written by the worker before the task returns */
  RelaySmtpSession     *session;
  gboolean              ok;
  RelayDiagnosis       *diagnosis;
  char                 *error_reply;
  GStrv                 transcript;
  char                 *message_id;     /* of the test message, once composed */
  gboolean              message_logged;
  char                 *log_error;

  /* written in the caller's context only */
  GPtrArray            *steps;
};

G_END_DECLS
