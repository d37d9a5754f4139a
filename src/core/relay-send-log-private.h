/* relay-send-log-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What the send log's files share among themselves (relay-send-log.c,
 * relay-send-log-entry.c, relay-send-log-line.c, relay-send-log-scan.c)
 * and with the fuzzer: the limits, how a line is classified, the data
 * folder check.
 */

#pragma once

#include "relay-send-log.h"

G_BEGIN_DECLS

/* Lines are our own output; anything longer is not one of them. A
 * fuzzing build makes both limits small, so that inputs of a few KiB
 * reach the overlong-line paths and lines that cross a chunk. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define MAX_LINE     1024
#define CHUNK_SIZE   256
#else
#define MAX_LINE     (64 * 1024)
#define CHUNK_SIZE   (64 * 1024)
#endif
#define LINE_PREFIX  "{\"time\":\""
/* “2026-11-28T02:50:00.123+00:00”, as relay_send_log_entry_to_line()
 * writes it */
#define TIME_LENGTH 29

/* "queued", "sent"… by RelaySendStatus */
extern const char * const relay_send_status_names[RELAY_SEND_STATUS_UNKNOWN + 1];

typedef enum
{
  LINE_BLANK,
  LINE_ENTRY,
  LINE_NOT_ENTRY,
} LineKind;

LineKind           relay_send_log_classify_line        (const char       *line,
                                                        gsize             length,
                                                        RelaySendStatus  *status,
                                                        GDateTime       **time);
gboolean           relay_send_log_line_is_object       (const char       *line,
                                                        gsize             length);
gboolean           relay_send_log_line_is_time         (const char       *text,
                                                        gsize             length);
gboolean           relay_send_log_check_dir            (const char       *path,
                                                        GError          **error);
gboolean           relay_send_log_index_lines          (const char       *contents,
                                                        gsize             size,
                                                        GArray           *starts,
                                                        guint            *n_skipped,
                                                        GCancellable     *cancellable,
                                                        GError          **error);
RelaySendLogEntry *relay_send_log_entry_new_unreadable (const char       *line,
                                                        gsize             length,
                                                        guint             position,
                                                        GError           *error);

G_END_DECLS
