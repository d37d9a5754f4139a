/* fuzz-oauth-callback.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A request to the loopback redirect: its head parsed by libsoup's own
 * parser, its URI built and checked as SoupServer does before it calls the
 * flow's handlers, then the flow's reading of the query. */

#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "relay-oauth-private.h"

#include "fuzz-common.h"

/* the corpus carries this state; anything else must be foreign */
#define STATE "Zq3v0oX9mKf7c2VYb8s1TnJw4pLr6HdEaGuQyIe5xB0"

/* SoupServer's flags for a request's URI (SOUP_HTTP_URI_FLAGS, private to libsoup) */
#define HTTP_URI_FLAGS (G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED_PATH | \
                        G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_ENCODED_FRAGMENT | \
                        G_URI_FLAGS_SCHEME_NORMALIZE)

static void
read_query (const char *query)
{
  g_autoptr(GError) error = NULL;
  RelayOAuthCallback outcome;
  char *code = NULL;

  outcome = relay_oauth_read_callback (query, STATE, &code, &error);
  switch (outcome)
    {
    case RELAY_OAUTH_CALLBACK_FOREIGN:
      g_assert (code == NULL && error == NULL);
      break;
    case RELAY_OAUTH_CALLBACK_CODE:
      g_assert (code != NULL && code[0] != '\0' && error == NULL);
      break;
    case RELAY_OAUTH_CALLBACK_ERROR:
    case RELAY_OAUTH_CALLBACK_NO_CODE:
      g_assert (code == NULL);
      g_assert_error (error, RELAY_OAUTH_ERROR, error->code);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      break;
    default:
      g_assert_not_reached ();
    }
  g_free (code);
}

/* What SoupServer makes of a request line and a Host header
 * (libsoup 3.2, soup-server-message-io-http1.c and soup-server.c) */
static GUri *
request_uri (const char *path,
             const char *host)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *decoded = NULL;

  if (host != NULL && strchr (host, '/') != NULL)
    return NULL;

  if (path[0] != '/')
    uri = g_uri_parse (path, HTTP_URI_FLAGS, NULL);
  else if (host != NULL)
    {
      g_autofree char *url = g_strdup_printf ("http://%s%s", host, path);

      uri = g_uri_parse (url, HTTP_URI_FLAGS, NULL);
    }
  else
    uri = g_uri_build (HTTP_URI_FLAGS, "http", NULL, "127.0.0.1", 8080, path, NULL, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL || g_strcmp0 (g_uri_get_scheme (uri), "http") != 0)
    return NULL;

  decoded = g_uri_unescape_string (g_uri_get_path (uri), NULL);
  if (decoded == NULL || strstr (decoded, "/../") != NULL || g_str_has_suffix (decoded, "/.."))
    return NULL;

  return g_uri_build (g_uri_get_flags (uri), "http", NULL, g_uri_get_host (uri), g_uri_get_port (uri),
                      decoded, g_uri_get_query (uri), g_uri_get_fragment (uri));
}

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(SoupMessageHeaders) headers = NULL;
  g_autoptr(GUri) uri = NULL;
  g_autofree char *text = NULL;
  g_autofree char *head = NULL;
  g_autofree char *method = NULL;
  g_autofree char *path = NULL;
  g_autofree char *uri_text = NULL;
  SoupHTTPVersion version;
  const char *blank;
  gsize head_length;

  fuzz_init ();

  /* the input as a bare query, too: most of it never gets past the head */
  text = g_strndup ((const char *)data, size);
  read_query (text);

  /* the server reads the head up to its blank line */
  blank = strstr (text, "\r\n\r\n");
  if (blank != NULL)
    head_length = blank - text + 4;
  else if ((blank = strstr (text, "\n\n")) != NULL)
    head_length = blank - text + 2;
  else
    return 0;
  head = g_strndup (text, head_length);

  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  if (soup_headers_parse_request (head, head_length, headers, &method, &path, &version) != SOUP_STATUS_OK)
    return 0;

  uri = request_uri (path, soup_message_headers_get_one (headers, "Host"));
  if (uri == NULL)
    return 0;

  /* early_handler() */
  uri_text = g_uri_to_string (uri);
  if (strlen (uri_text) > RELAY_OAUTH_MAX_REQUEST_URI ||
      soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED ||
      soup_message_headers_get_content_length (headers) > 0)
    return 0;

  /* callback_handler() */
  if (!g_str_equal (g_uri_get_path (uri), RELAY_OAUTH_CALLBACK_PATH) || !g_str_equal (method, "GET"))
    return 0;

  read_query (g_uri_get_query (uri));

  return 0;
}
