/* test-translations.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * zh_CN is complete: no untranslated or fuzzy message in po/zh_CN.po, and
 * every translatable text of providers.json comes out in Chinese.
 */

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <string.h>

#include "relay-provider.h"

static void
test_catalogue_complete (void)
{
  g_autofree char *po = g_test_build_filename (G_TEST_DIST, "..", "po", "zh_CN.po", NULL);
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status;
  const char *argv[] = { "msgfmt", "--check", "--statistics", "-o", "/dev/null", po, NULL };

  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "LANGUAGE", "C", TRUE);

  /* msgfmt's own messages in English, to be read here */
  envp = g_environ_setenv (envp, "LC_ALL", "C", TRUE);
  g_spawn_sync (NULL, (char **)argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("%s", err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "translated message"));
  g_assert_null (strstr (err, "untranslated"));
  g_assert_null (strstr (err, "fuzzy"));
}

static gboolean
has_han (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_get_script (g_utf8_get_char (p)) == G_UNICODE_SCRIPT_HAN)
      return TRUE;

  return FALSE;
}

static void
assert_chinese (const char *english,
                const char *shown)
{
  if (!has_han (shown))
    g_error ("providers.json: “%s” is shown untranslated as “%s”", english, shown);
}

static void
test_providers (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "providers.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *providers;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_no_error (error);
  providers = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                            "providers");

  for (guint i = 0; i < json_array_get_length (providers); i++)
    {
      JsonObject *object = json_array_get_object_element (providers, i);
      JsonObject *guidance = json_object_get_object_member (object, "guidance");
      RelayProvider *provider = relay_provider_lookup (json_object_get_string_member (object, "id"));
      JsonArray *pros = json_object_get_array_member (guidance, "pros");
      JsonArray *cons = json_object_get_array_member (guidance, "cons");

      g_assert_nonnull (provider);
      assert_chinese (json_object_get_string_member (guidance, "summary"), relay_provider_get_summary (provider));
      assert_chinese (json_object_get_string_member (guidance, "sharing"), relay_provider_get_sharing_text (provider));
      if (json_object_get_string_member (object, "username_hint")[0] != '\0')
        assert_chinese (json_object_get_string_member (object, "username_hint"),
                        relay_provider_get_username_hint (provider));

      for (guint j = 0; j < json_array_get_length (pros); j++)
        assert_chinese (json_array_get_string_element (pros, j), relay_provider_get_pros (provider)[j]);
      for (guint j = 0; j < json_array_get_length (cons); j++)
        assert_chinese (json_array_get_string_element (cons, j), relay_provider_get_cons (provider)[j]);
    }

  /* names that are not brands are translated too */
  assert_chinese ("Custom", relay_provider_get_name (relay_provider_lookup ("custom")));
  assert_chinese ("Local test server", relay_provider_get_name (relay_provider_lookup ("local")));
}

int
main (int   argc,
      char *argv[])
{
  /* The catalogue built next to the sources, in Chinese */
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  setlocale (LC_ALL, "C.UTF-8");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("MAIL_RELAY_LOCALEDIR"));
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/translations/zh_CN-complete", test_catalogue_complete);
  g_test_add_func ("/translations/providers", test_providers);

  return g_test_run ();
}
