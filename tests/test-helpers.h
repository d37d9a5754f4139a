/* test-helpers.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void  isolate_user_dirs       (void);
void  remove_tree             (const char *path);
void  assert_no_file_contains (const char *secret);
char *run_secret_tool_lookup  (const char *account_id,
                               const char *kind);
GSocketService *loopback_service_start (GCallback        run,
                                        gpointer         data,
                                        guint           *port);
void            loopback_service_stop  (GSocketService **service);
GThread *await_finalize       (gpointer    object);
GSubprocess *fake_smtp_server_start (const char  *scenario,
                                     const char  *log,
                                     char       **port);

G_END_DECLS
