/* relay-cli-options.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "relay-account-store.h"

G_BEGIN_DECLS

/* The ACCOUNT OPTIONS shared by `account set` and `test` */
typedef struct
{
  char     *provider;
  char     *host;
  char     *port;
  char     *security;
  char     *auth;
  char     *username;
  char     *from;
  char     *ca_file;
  char    **pins;
  char     *max_messages;
  char     *max_recipients;
  char     *per;
  char    **senders;
  gboolean  password_stdin;
  gboolean  allow_insecure;
} RelayCliAccountOptions;

void               relay_cli_account_options_add   (GOptionContext          *context,
                                                    RelayCliAccountOptions  *options);
gboolean           relay_cli_account_options_given (RelayCliAccountOptions  *options);
gboolean           relay_cli_account_options_apply (RelayCliAccountOptions  *options,
                                                    RelayAccount            *account,
                                                    GError                 **error);
void               relay_cli_account_options_clear (RelayCliAccountOptions  *options);
void               relay_cli_print_trust_cleared   (RelayAccountTrust        cleared,
                                                    RelayAccount            *before);

RelayAccountStore *relay_cli_load_store            (void);
RelayAccount      *relay_cli_get_account           (RelayAccountStore       *store,
                                                    const char              *missing);
RelayAccount      *relay_cli_load_account          (RelayAccountStore      **store,
                                                    const char              *missing);
RelayAccount      *relay_cli_choose_account        (RelayAccountStore       *store,
                                                    const char              *name,
                                                    const char              *missing,
                                                    int                     *status);
RelayAccount      *relay_cli_load_chosen_account   (RelayAccountStore      **store,
                                                    const char              *name,
                                                    const char              *missing,
                                                    int                     *status);
char              *relay_cli_read_password         (GError                 **error);
char              *relay_cli_read_secret           (RelayAccountError        field,
                                                    GError                 **error);
char              *relay_cli_read_passphrase       (GError                 **error);
int                relay_cli_usage_error           (const GError            *error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RelayCliAccountOptions, relay_cli_account_options_clear)

G_END_DECLS
