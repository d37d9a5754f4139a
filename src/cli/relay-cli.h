/* relay-cli.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "relay-account-store.h"
#include "relay-send-log.h"

G_BEGIN_DECLS

/* Exit statuses, as documented in docs/cli.md */
enum
{
  RELAY_CLI_EXIT_OK = 0,
  RELAY_CLI_EXIT_FAILED = 1,
  RELAY_CLI_EXIT_USAGE = 2,
};

/* `sendmail`'s, those of sysexits.h that sendmail callers expect */
enum
{
  RELAY_CLI_EX_USAGE = 64,     /* bad usage */
  RELAY_CLI_EX_DATAERR = 65,   /* a message that cannot be parsed */
  RELAY_CLI_EX_TEMPFAIL = 75,  /* could not queue */
};

/* In mail-relay-cli itself */
int      relay_cli_log           (int              argc,
                                  char           **argv);
int      relay_cli_send          (int              argc,
                                  char           **argv);
int      relay_cli_sendmail      (int              argc,
                                  char           **argv);

/* In its network module (relay-cli-network.c) */
int      relay_cli_account       (int              argc,
                                  char           **argv);
int      relay_cli_account_export (int             argc,
                                   char          **argv);
int      relay_cli_account_import (int             argc,
                                   char          **argv);
int      relay_cli_test          (int              argc,
                                  char           **argv);
int      relay_cli_sandbox       (int              argc,
                                  char           **argv);
int      relay_cli_link_gmail    (int              argc,
                                  char           **argv);
int      relay_cli_unlink        (int              argc,
                                  char           **argv);
int      relay_cli_flush         (int              argc,
                                  char           **argv);
int      relay_cli_drain         (RelayAccountStore *store,
                                  RelayAccount    *only,
                                  RelaySendLog    *log,
                                  gboolean         wait_retries,
                                  gboolean         quiet);

/* Shared, in mail-relay-cli */
void     relay_cli_printerr      (const char      *format,
                                  ...) G_GNUC_PRINTF (1, 2);
gboolean relay_cli_parse_options (GOptionContext   *context,
                                  int              *argc,
                                  char           ***argv);
gboolean relay_cli_parse_options_only (GOptionContext   *context,
                                       int              *argc,
                                       char           ***argv);
void     relay_cli_async_done    (GObject          *object,
                                  GAsyncResult     *result,
                                  gpointer          user_data);
GAsyncResult *relay_cli_async_wait (GAsyncResult  **result);

G_END_DECLS
