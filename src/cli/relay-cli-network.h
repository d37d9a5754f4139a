/* relay-cli-network.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-account-store.h"
#include "relay-send-log.h"

G_BEGIN_DECLS

/* The network module's file name, without the platform's suffix */
#define RELAY_CLI_NETWORK_MODULE "mail-relay-cli-network"
/* The one symbol it exports: its RelayCliNetwork */
#define RELAY_CLI_NETWORK_SYMBOL "relay_cli_network_commands"

typedef int (*RelayCliCommand) (int    argc,
                                char **argv);

/* What the network module gives mail-relay-cli: the commands that talk to
 * a server or the keyring. @version and @size tell a module of another
 * build, which is not used. */
typedef struct
{
  const char      *version;
  gsize            size;
  RelayCliCommand  account;
  RelayCliCommand  test;
  RelayCliCommand  sandbox;
  RelayCliCommand  link_gmail;
  RelayCliCommand  unlink;
  RelayCliCommand  flush;
  int            (*drain) (RelayAccountStore *store,
                           RelayAccount      *only,
                           RelaySendLog      *log,
                           gboolean           wait_retries,
                           gboolean           quiet);
} RelayCliNetwork;

const RelayCliNetwork *relay_cli_network_load  (void);
int                    relay_cli_network_run   (glong          command,
                                                int            argc,
                                                char         **argv);
int                    relay_cli_network_drain (RelayAccountStore *store,
                                                RelayAccount  *only,
                                                RelaySendLog  *log,
                                                gboolean       wait_retries,
                                                gboolean       quiet);

G_END_DECLS
