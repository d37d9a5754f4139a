/* page-helpers.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "relay-account-store.h"
#include "relay-setup-page.h"

G_BEGIN_DECLS

typedef struct
{
  RelayAccountStore *store;
  GtkWindow         *window;
  RelaySetupPage    *page;
} PageFixture;

void          page_fixture_open  (PageFixture *fixture);
void          page_fixture_close (PageFixture *fixture);
GtkWidget    *row                (PageFixture *fixture,
                                  const char  *title);
void          type               (PageFixture *fixture,
                                  const char  *title,
                                  const char  *text);
gboolean      action_enabled     (PageFixture *fixture,
                                  const char  *name);
void          save_and_wait      (PageFixture *fixture);
gboolean      error_label_shows  (GtkWidget   *root,
                                  const char  *needle);
RelayAccount *reload_default     (void);

G_END_DECLS
