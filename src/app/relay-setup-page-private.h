/* relay-setup-page-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* What the setup page's files share: the page's fields and the helpers
 * that more than one of them calls. */

#pragma once

#include "relay-account-settings.h"
#include "relay-provider-group.h"
#include "relay-senders-group.h"
#include "relay-setup-page.h"
#include "relay-sign-in-row.h"

G_BEGIN_DECLS

typedef enum
{
  FIELD_HOST,
  FIELD_PORT,
  FIELD_USERNAME,
  FIELD_PASSWORD,
  FIELD_FROM,
  N_FIELDS
} Field;

struct _RelaySetupPage
{
  AdwBin              parent_instance;

  RelayAccountStore  *store;
  RelayAccount       *saved;
  GCancellable       *cancellable;

  guint               touched[N_FIELDS];
  guint               show_all_errors : 1;
  guint               loading : 1;
  guint               busy : 1;
  guint               password_stored : 1;
  /* the keyring answered whether a password is saved */
  guint               password_known : 1;
  /* the saved password belonged to the provider chosen before: the user
   * cleared it, and Save deletes it */
  guint               forget_secret : 1;

  GtkRevealer        *problem_revealer;
  GtkLabel           *problem_label;
  GtkWidget          *retry_button;
  const char         *retry_action;
  AdwComboRow        *provider_row;
  RelayProviderGroup *guidance_group;
  AdwEntryRow        *host_row;
  AdwEntryRow        *port_row;
  AdwComboRow        *security_row;
  AdwComboRow        *auth_row;
  GtkLabel           *server_error_label;
  AdwPreferencesGroup *account_group;
  AdwEntryRow        *username_row;
  AdwEntryRow        *password_row;
  RelaySignInRow     *sign_in_row;
  AdwEntryRow        *from_row;
  GtkLabel           *account_error_label;
  AdwEntryRow        *send_to_row;
  RelayAccountSettings *account_settings;
  RelaySendersGroup  *senders_group;
  /* the name of the channel the form creates, when no account is saved */
  char               *new_name;

  /* fingerprints trusted before the account was saved, and the server
   * (host and port) they were trusted for */
  GStrv               pending_pins;
  char               *pending_pins_host;
  guint               pending_pins_port;
  /* the user agreed to send the password unencrypted to this host */
  char               *insecure_host;
  char               *insecure_warned_host;
  char               *insecure_save_warned_host;
  /* the user agreed that the saved password also goes to this host */
  char               *secret_consent_host;
  /* the sign-in methods auth_row offers, in its order */
  RelayAuthMethod     auth_methods[5];
  guint               n_auth_methods;
  /* the local test server, for the “local” preset */
  RelaySandboxServer *sandbox;
  guint               shown_provider;

  /* accounts.json, changed by another program (mail-relay-cli) */
  GFileMonitor       *accounts_monitor;
  guint               accounts_source;
};

/* relay-setup-page.c */
RelayProvider *_relay_setup_page_selected_provider          (RelaySetupPage  *self);
void           _relay_setup_page_set_editable_text          (AdwEntryRow     *row,
                                                             const char      *text);
void           _relay_setup_page_update_password_description (RelaySetupPage *self);
gboolean       _relay_setup_page_is_dirty                   (RelaySetupPage  *self);
gboolean       _relay_setup_page_form_server                (RelaySetupPage  *self,
                                                             char           **host,
                                                             guint           *port);
void           _relay_setup_page_update_actions             (RelaySetupPage  *self);
void           _relay_setup_page_load_form                  (RelaySetupPage  *self);
void           _relay_setup_page_refresh_sign_in            (RelaySetupPage  *self);
RelayAccount  *_relay_setup_page_build_account              (RelaySetupPage  *self);
void           _relay_setup_page_add_toast                  (RelaySetupPage  *self,
                                                             const char      *title);
void           _relay_setup_page_emit_saved                 (RelaySetupPage  *self);
void           _relay_setup_page_lookup_password            (RelaySetupPage  *self,
                                                             gboolean         for_test);
void           _relay_setup_page_show_keyring_problem       (RelaySetupPage  *self,
                                                             const char      *what,
                                                             const GError    *error,
                                                             const char      *retry_action);

/* relay-setup-page-fields.c: checks as you type */
GtkWidget     *_relay_setup_page_field_row                  (RelaySetupPage  *self,
                                                             Field            field);
const char    *_relay_setup_page_field_text                 (RelaySetupPage  *self,
                                                             Field            field);
char          *_relay_setup_page_check_field                (RelaySetupPage  *self,
                                                             Field            field);
GtkWidget     *_relay_setup_page_validate_form              (RelaySetupPage  *self);

/* relay-setup-page-save.c: Save, and the questions before a password
 * goes to a server */
void           _relay_setup_page_ask_keep_credentials       (RelaySetupPage  *self,
                                                             RelayProvider   *previous,
                                                             RelayProvider   *provider);
gboolean       _relay_setup_page_needs_insecure_consent     (RelaySetupPage  *self);
void           _relay_setup_page_ask_insecure_consent       (RelaySetupPage  *self,
                                                             const char      *host,
                                                             const char      *action);
void           _relay_setup_page_save_action                (GtkWidget       *widget,
                                                             const char      *action_name,
                                                             GVariant        *parameter);

/* relay-setup-page-sign-in.c: the page's side of signing in */
void           _relay_setup_page_class_sign_in_init         (GtkWidgetClass  *widget_class);
void           _relay_setup_page_sign_in_init               (RelaySetupPage  *self);

/* relay-setup-page-test.c: Test Connection */
void           _relay_setup_page_test_action                (GtkWidget       *widget,
                                                             const char      *action_name,
                                                             GVariant        *parameter);
void           _relay_setup_page_test_with_password         (RelaySetupPage  *self,
                                                             const char      *secret);

/* relay-setup-page-watch.c: accounts.json changed by another program */
void           _relay_setup_page_watch_accounts             (RelaySetupPage  *self);

G_END_DECLS
