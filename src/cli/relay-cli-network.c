/* relay-cli-network.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The network module's entry: the table of the commands it holds, which
 * mail-relay-cli looks up when a command needs the network part of the
 * core (relay-cli-network-load.c).
 */

#include "config.h"

#include <gmodule.h>

#include "relay-cli.h"
#include "relay-cli-network.h"

G_MODULE_EXPORT const RelayCliNetwork relay_cli_network_commands = {
  .version = PACKAGE_VERSION,
  .size = sizeof (RelayCliNetwork),
  .account = relay_cli_account,
  .test = relay_cli_test,
  .sandbox = relay_cli_sandbox,
  .link_gmail = relay_cli_link_gmail,
  .unlink = relay_cli_unlink,
  .flush = relay_cli_flush,
  .drain = relay_cli_drain,
};
