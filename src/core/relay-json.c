/* relay-json.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The members of JSON objects, read and written. Optional members that
 * Mail Relay reads back from its own files, the keyring and token
 * endpoints: json-glib's json_object_get_*_member_with_default() give a
 * critical warning when the member is a list or an object (found by
 * fuzz/fuzz-accounts); these give the default instead, and otherwise read
 * what those read. A list that must be one; and a member with its value
 * added to a JsonBuilder in one call. */

#include "config.h"

#include <glib/gi18n.h>

#include "relay-json-private.h"

static JsonNode *
get_value (JsonObject *object,
           const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) ? node : NULL;
}

/* @member's string, or @default_value when it is missing or null; %NULL
 * when it holds another kind of value */
const char *
relay_json_get_string (JsonObject *object,
                       const char *member,
                       const char *default_value)
{
  JsonNode *node = get_value (object, member);

  return node != NULL ? json_node_get_string (node) : default_value;
}

/* @member's integer (a double or a boolean is converted, a string is 0),
 * or @default_value when it is missing, null, a list or an object */
gint64
relay_json_get_int (JsonObject *object,
                    const char *member,
                    gint64      default_value)
{
  JsonNode *node = get_value (object, member);

  return node != NULL ? json_node_get_int (node) : default_value;
}

/* @member's list in *@list, or %NULL when it is missing and not @required.
 * Used error codes: %JSON_PARSER_ERROR_INVALID_DATA, naming @member, when
 * it is something else (or missing, and @required). */
gboolean
relay_json_read_list (JsonObject  *object,
                      const char  *member,
                      gboolean     required,
                      JsonArray  **list,
                      GError     **error)
{
  JsonNode *node = json_object_get_member (object, member);

  *list = NULL;
  if (node == NULL && !required)
    return TRUE;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_INVALID_DATA,
                   "“%s” is not a list", member);
      return FALSE;
    }

  *list = json_node_get_array (node);
  return TRUE;
}

/* In the object @builder is building: @member, with @value */
void
relay_json_add_string_member (JsonBuilder *builder,
                              const char  *member,
                              const char  *value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, value);
}

/* @member, with the list of strings @values */
void
relay_json_add_strv_member (JsonBuilder        *builder,
                            const char         *member,
                            const char * const *values)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; values[i]; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

/* @member, with the nick of @value of the enum @type ("" when it has none) */
void
relay_json_add_enum_member (JsonBuilder *builder,
                            const char  *member,
                            GType        type,
                            int          value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *enum_value = g_enum_get_value (klass, value);

  relay_json_add_string_member (builder, member, enum_value ? enum_value->value_nick : "");
}

/* @member, with the integer @value */
void
relay_json_add_int_member (JsonBuilder *builder,
                           const char  *member,
                           gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

/**
 * relay_json_check_depth:
 * @data: JSON text, not necessarily valid
 * @max_depth: how deeply lists and objects may nest
 * @error: where to say why @data is not safe to parse
 *
 * json-glib parses recursively: a file of 100,000 “[” overflows the stack
 * before it can say the file is damaged. This scan of brackets outside
 * strings, in one pass, tells first whether a parse is safe. json-glib
 * also takes single-quoted strings and comments, which strict JSON does
 * not have and Mail Relay never writes; a bracket inside one of those
 * would not be counted here, so they are refused (docs/security.md).
 *
 * Used error codes: %G_FILE_ERROR_FAILED (too deep, or not strict JSON)
 *
 * Returns: whether no list or object in @data nests deeper than
 *   @max_depth, and nothing in it is a comment or a single-quoted string
 */
gboolean
relay_json_check_depth (const char  *data,
                        gsize        length,
                        guint        max_depth,
                        GError     **error)
{
  gboolean in_string = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '\'' || c == '/' || c == '#')
        {
          g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                       _("it holds a comment or a single-quoted string, which JSON does not allow"));
          return FALSE;
        }
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            {
              g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                           _("lists or objects nest more than %u deep"), max_depth);
              return FALSE;
            }
        }
      else if ((c == ']' || c == '}') && depth > 0)
        depth--;
    }

  return TRUE;
}

/* A list of strings, or NULL when @node is anything else */
GStrv
relay_json_node_get_strv (JsonNode *node)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;

  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (json_node_get_value_type (element) != G_TYPE_STRING)
        return NULL;
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  return g_strv_builder_end (builder);
}
