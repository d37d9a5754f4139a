/* relay-cli-network-load.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Finding and opening mail-relay-cli's network module, once, when a
 * command needs the network part of the core: queueing a message (`send
 * --no-wait`) and reading the send log load neither libsoup, GnuTLS nor
 * libsecret.
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <gmodule.h>

#include "relay-cli.h"
#include "relay-cli-network.h"

/* The module's file in @dir */
static char *
module_path (const char *dir)
{
  return g_build_filename (dir, RELAY_CLI_NETWORK_MODULE "." G_MODULE_SUFFIX, NULL);
}

/* The folder the module is in: MAIL_RELAY_CLI_MODULE_DIR when it is set
 * (tests); else the executable's own folder when the module is there (a
 * build tree); else the folder it was installed to */
static char *
module_dir (void)
{
  const char *env = g_getenv ("MAIL_RELAY_CLI_MODULE_DIR");
  g_autofree char *self = NULL;

  if (env != NULL && *env != '\0')
    return g_strdup (env);

  self = g_file_read_link ("/proc/self/exe", NULL);
  if (self != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self);
      g_autofree char *beside = module_path (dir);

      if (g_file_test (beside, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&dir);
    }

  return g_strdup (CLI_MODULEDIR);
}

static const RelayCliNetwork *
open_module (void)
{
  g_autofree char *dir = module_dir ();
  g_autofree char *path = module_path (dir);
  GModule *module;
  const RelayCliNetwork *network = NULL;

  module = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
  if (module == NULL)
    {
      relay_cli_printerr (_("this command needs the network module, which could not be loaded (%s): reinstall Mail Relay"),
                          g_module_error ());
      return NULL;
    }

  if (!g_module_symbol (module, RELAY_CLI_NETWORK_SYMBOL, (gpointer *)&network) || network == NULL ||
      network->size != sizeof (RelayCliNetwork) || g_strcmp0 (network->version, PACKAGE_VERSION) != 0)
    {
      relay_cli_printerr (_("this command needs the network module, but %s is not the one of this mail-relay-cli (%s): reinstall Mail Relay"),
                          path, PACKAGE_VERSION);
      g_module_close (module);
      return NULL;
    }

  /* its types are registered for the life of the process */
  g_module_make_resident (module);

  return network;
}

/**
 * relay_cli_network_load:
 *
 * Opens the network module the first time it is called.
 *
 * Returns: (nullable): its commands, or %NULL after saying why there are none
 */
const RelayCliNetwork *
relay_cli_network_load (void)
{
  static const RelayCliNetwork *network;

  if (network == NULL)
    network = open_module ();

  return network;
}

/**
 * relay_cli_network_run:
 * @command: the command's G_STRUCT_OFFSET in #RelayCliNetwork
 *
 * Runs a command of the network module.
 *
 * Returns: its exit status, or %RELAY_CLI_EXIT_FAILED without the module
 */
int
relay_cli_network_run (glong   command,
                       int     argc,
                       char  **argv)
{
  const RelayCliNetwork *network = relay_cli_network_load ();

  if (network == NULL)
    return RELAY_CLI_EXIT_FAILED;

  return G_STRUCT_MEMBER (RelayCliCommand, network, command) (argc, argv);
}

/**
 * relay_cli_network_drain:
 *
 * relay_cli_drain(), from the network module.
 *
 * Returns: its exit status, or %RELAY_CLI_EXIT_FAILED without the module
 */
int
relay_cli_network_drain (RelayAccountStore *store,
                         RelayAccount      *only,
                         RelaySendLog      *log,
                         gboolean           wait_retries,
                         gboolean           quiet)
{
  const RelayCliNetwork *network = relay_cli_network_load ();

  if (network == NULL)
    return RELAY_CLI_EXIT_FAILED;

  return network->drain (store, only, log, wait_retries, quiet);
}
