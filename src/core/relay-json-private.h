/* relay-json-private.h
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

const char *relay_json_get_string (JsonObject *object,
                                   const char *member,
                                   const char *default_value);
gint64      relay_json_get_int    (JsonObject *object,
                                   const char *member,
                                   gint64      default_value);
GStrv       relay_json_node_get_strv (JsonNode *node);
gboolean    relay_json_read_list  (JsonObject *object,
                                   const char *member,
                                   gboolean    required,
                                   JsonArray **list,
                                   GError    **error);
void        relay_json_add_string_member (JsonBuilder *builder,
                                          const char  *member,
                                          const char  *value);
void        relay_json_add_strv_member   (JsonBuilder        *builder,
                                          const char         *member,
                                          const char * const *values);
void        relay_json_add_enum_member   (JsonBuilder *builder,
                                          const char  *member,
                                          GType        type,
                                          int          value);
void        relay_json_add_int_member    (JsonBuilder *builder,
                                          const char  *member,
                                          gint64       value);
gboolean    relay_json_check_depth (const char *data,
                                    gsize       length,
                                    guint       max_depth,
                                    GError    **error);

G_END_DECLS
