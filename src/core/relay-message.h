/* relay-message.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The subject of the test message that Test Connection sends */
#define RELAY_MESSAGE_TEST_SUBJECT "Mail Relay test message"

gboolean  relay_message_check_header_value (const char          *value,
                                            GError             **error);
GBytes   *relay_message_new_test           (const char          *from,
                                            const char          *to,
                                            char               **message_id,
                                            GError             **error);
GBytes   *relay_message_compose            (const char          *from,
                                            const char * const  *to,
                                            const char          *subject,
                                            GDateTime           *date,
                                            const char          *message_id,
                                            GBytes              *body);
GBytes   *relay_message_encode_data        (GBytes              *message);
GBytes   *relay_message_encode_chunk       (GBytes              *message);
char     *relay_message_format_date        (GDateTime           *time);

/* A message composed elsewhere (relay-message-submit.c) */
typedef struct _RelaySubmission RelaySubmission;

GStrv     relay_message_parse_address_list (const char          *field,
                                            const char          *value,
                                            GError             **error);
RelaySubmission *relay_submission_parse    (GBytes              *message,
                                            GError             **error);
const char *relay_submission_get_from      (RelaySubmission     *self);
const char * const *relay_submission_get_recipients (RelaySubmission *self);
const char *relay_submission_get_subject   (RelaySubmission     *self);
GBytes   *relay_submission_finish          (RelaySubmission     *self,
                                            const char          *sender,
                                            const char          *full_name,
                                            GDateTime           *now,
                                            char               **message_id);
void      relay_submission_free            (RelaySubmission     *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RelaySubmission, relay_submission_free)

G_END_DECLS
