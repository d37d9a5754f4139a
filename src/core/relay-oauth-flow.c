/* relay-oauth-flow.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The loopback sign-in, RelayOAuthFlow: the libsoup listener on
 * 127.0.0.1, the authorization URI, the browser's callback read (state,
 * code, error) and taken only from the user's own uid (/proc/net/tcp),
 * the pages shown to the browser, and the wait with its timeout.
 */

#define G_LOG_DOMAIN "relay-oauth"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "relay-oauth-private.h"
#include "relay-secure-private.h"

#define FINISH_GRACE        5   /* seconds to write the last page before closing anyway */

/* Flow {{{1 */

typedef enum
{
  PHASE_NEW,
  PHASE_LISTENING,
  PHASE_EXCHANGING,  /* the right callback came; the code is being exchanged */
  PHASE_CLOSING,     /* the outcome is known; the last page is being written */
  PHASE_DONE,        /* the listener is closed */
} Phase;

struct _RelayOAuthFlow
{
  GObject            parent_instance;

  RelayOAuthConfig  *config;
  GMainContext      *context;
  SoupServer        *server;
  char              *redirect_uri;
  char              *authorization_uri;
  char              *verifier;
  char              *state;
  Phase              phase;

  GTask             *task;              /* a pending wait */
  GSource           *timeout_source;
  GSource           *cancel_source;
  GSource           *grace_source;
  GCancellable      *exchange_cancellable;
  SoupServerMessage *callback_message;  /* paused during the exchange, then the last page */

  RelayOAuthTokens  *tokens;            /* the outcome, until a wait takes it */
  GError            *error;
};

G_DEFINE_FINAL_TYPE (RelayOAuthFlow, relay_oauth_flow, G_TYPE_OBJECT)

/* One loopback sign-in per process: two browsers tabs racing for two
 * listeners would only confuse the person signing in. */
G_LOCK_DEFINE_STATIC (active_flow);
static RelayOAuthFlow *active_flow;

static void flow_close (RelayOAuthFlow *self);

static void
relay_oauth_flow_dispose (GObject *object)
{
  RelayOAuthFlow *self = (RelayOAuthFlow *)object;

  relay_oauth_flow_stop (self);

  G_OBJECT_CLASS (relay_oauth_flow_parent_class)->dispose (object);
}

static void
relay_oauth_flow_finalize (GObject *object)
{
  RelayOAuthFlow *self = (RelayOAuthFlow *)object;

  g_clear_pointer (&self->config, relay_oauth_config_free);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->redirect_uri, g_free);
  g_clear_pointer (&self->authorization_uri, g_free);
  g_clear_pointer (&self->verifier, relay_secure_wipe_string);
  g_clear_pointer (&self->state, g_free);
  g_clear_pointer (&self->tokens, relay_oauth_tokens_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (relay_oauth_flow_parent_class)->finalize (object);
}

static void
relay_oauth_flow_class_init (RelayOAuthFlowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = relay_oauth_flow_dispose;
  object_class->finalize = relay_oauth_flow_finalize;
}

static void
relay_oauth_flow_init (RelayOAuthFlow *self)
{
  self->phase = PHASE_NEW;
}

RelayOAuthFlow *
relay_oauth_flow_new (const RelayOAuthConfig *config)
{
  RelayOAuthFlow *self;

  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->client_id != NULL, NULL);
  g_return_val_if_fail (config->auth_url != NULL && config->token_url != NULL, NULL);

  self = g_object_new (RELAY_TYPE_OAUTH_FLOW, NULL);
  self->config = relay_oauth_config_copy (config);

  return self;
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static void
deliver (RelayOAuthFlow *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (task == NULL || self->phase != PHASE_DONE)
    {
      self->task = g_steal_pointer (&task);
      return;
    }

  clear_source (&self->timeout_source);
  clear_source (&self->cancel_source);

  if (self->error != NULL)
    g_task_return_error (task, g_steal_pointer (&self->error));
  else
    g_task_return_pointer (task, g_steal_pointer (&self->tokens),
                           (GDestroyNotify)relay_oauth_tokens_free);
}

/* Nothing listens any more once this returns */
static void
flow_close (RelayOAuthFlow *self)
{
  if (self->phase == PHASE_DONE || self->phase == PHASE_NEW)
    return;

  self->phase = PHASE_DONE;
  clear_source (&self->timeout_source);
  clear_source (&self->grace_source);
  if (self->exchange_cancellable != NULL)
    g_cancellable_cancel (self->exchange_cancellable);
  g_clear_object (&self->exchange_cancellable);
  if (self->callback_message != NULL)
    g_signal_handlers_disconnect_by_data (self->callback_message, self);
  g_clear_object (&self->callback_message);

  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }
  g_clear_pointer (&self->verifier, relay_secure_wipe_string);

  G_LOCK (active_flow);
  if (active_flow == self)
    active_flow = NULL;
  G_UNLOCK (active_flow);

  g_debug ("Loopback listener closed");
}

static gboolean
grace_cb (gpointer user_data)
{
  RelayOAuthFlow *self = user_data;

  g_clear_pointer (&self->grace_source, g_source_unref);
  flow_close (self);
  deliver (self);

  return G_SOURCE_REMOVE;
}

/* The outcome is known: keep the listener until the last page is written
 * (or FINISH_GRACE seconds passed), then close it and answer the wait. */
static void
flow_end (RelayOAuthFlow   *self,
          RelayOAuthTokens *tokens,
          GError           *error)
{
  g_assert (self->phase == PHASE_LISTENING || self->phase == PHASE_EXCHANGING);
  g_assert ((tokens == NULL) != (error == NULL));

  self->tokens = tokens;
  self->error = error;
  self->phase = PHASE_CLOSING;
  clear_source (&self->timeout_source);

  if (self->callback_message == NULL)
    {
      flow_close (self);
      deliver (self);
      return;
    }

  self->grace_source = g_timeout_source_new_seconds (FINISH_GRACE);
  g_source_set_callback (self->grace_source, grace_cb, self, NULL);
  g_source_attach (self->grace_source, self->context);
}

/* The page is written; close from an idle, not inside libsoup's signal */
static void
callback_message_finished_cb (SoupServerMessage *message,
                              RelayOAuthFlow    *self)
{
  if (self->phase != PHASE_CLOSING)
    return;

  clear_source (&self->grace_source);
  self->grace_source = g_idle_source_new ();
  g_source_set_callback (self->grace_source, grace_cb, self, NULL);
  g_source_attach (self->grace_source, self->context);
}

static void
set_page (SoupServerMessage *message,
          guint              status,
          gboolean           success,
          const char        *text)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);
  g_autofree char *escaped = g_markup_escape_text (text, -1);
  g_autofree char *title = g_markup_escape_text (success ? _("Signed in") : _("Sign-in failed"), -1);
  char *page;

  page = g_strdup_printf ("<!DOCTYPE html>\n"
                          "<html><head><meta charset=\"utf-8\">"
                          "<meta name=\"viewport\" content=\"width=device-width\">"
                          "<title>Mail Relay — %s</title>"
                          "<style>"
                          "body{font-family:Cantarell,system-ui,sans-serif;background:#fafafb;"
                          "color:#222226;display:flex;justify-content:center;margin:0;padding:15vh 1em}"
                          "main{max-width:32em;text-align:center}"
                          "h1{font-size:1.5em;color:%s}"
                          "@media(prefers-color-scheme:dark){body{background:#222226;color:#fff}}"
                          "</style></head>"
                          "<body><main><h1>%s</h1><p>%s</p></main></body></html>\n",
                          title, success ? "#26a269" : "#c01c28", title, escaped);

  soup_server_message_set_status (message, status, NULL);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "Referrer-Policy", "no-referrer");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (headers, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; "
                                "form-action 'none'; frame-ancestors 'none'");
  soup_server_message_set_response (message, "text/html; charset=utf-8", SOUP_MEMORY_TAKE,
                                    page, strlen (page));
}

static void
set_plain (SoupServerMessage *message,
           guint              status)
{
  const char *text = soup_status_get_phrase (status);

  soup_server_message_set_status (message, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                "Connection", "close");
  soup_server_message_set_response (message, "text/plain; charset=utf-8", SOUP_MEMORY_COPY,
                                    text, strlen (text));
}

static void
exchange_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(RelayOAuthFlow) self = user_data;
  g_autoptr(RelayOAuthTokens) tokens = NULL;
  GError *error = NULL;

  tokens = g_task_propagate_pointer (G_TASK (result), &error);

  /* stopped, timed out or cancelled meanwhile: flow_close() did it all */
  if (self->phase != PHASE_EXCHANGING)
    {
      g_clear_error (&error);
      return;
    }

  if (tokens != NULL)
    set_page (self->callback_message, SOUP_STATUS_OK, TRUE,
              _("You are signed in. You can close this window and return to Mail Relay."));
  else
    set_page (self->callback_message, SOUP_STATUS_BAD_GATEWAY, FALSE,
              _("Mail Relay could not complete the sign-in. Return to Mail Relay for details."));
  soup_server_message_unpause (self->callback_message);

  flow_end (self, g_steal_pointer (&tokens), error);
}

static void
start_exchange (RelayOAuthFlow    *self,
                SoupServerMessage *message,
                const char        *code)
{
  GHashTable *form = _relay_oauth_form_new ();

  self->phase = PHASE_EXCHANGING;
  /* from now on the token request's own deadline applies */
  clear_source (&self->timeout_source);
  self->exchange_cancellable = g_cancellable_new ();

  soup_server_message_pause (message);

  g_hash_table_insert (form, (char *)"grant_type", g_strdup ("authorization_code"));
  g_hash_table_insert (form, (char *)"code", g_strdup (code));
  g_hash_table_insert (form, (char *)"redirect_uri", g_strdup (self->redirect_uri));
  g_hash_table_insert (form, (char *)"code_verifier", g_strdup (self->verifier));

  _relay_oauth_token_request_async (self->config, form, NULL, TRUE, start_exchange,
                                    self->exchange_cancellable, exchange_cb, g_object_ref (self));
}

static GError *
authorization_error (const char *code,
                     const char *description)
{
  g_autofree char *clean_code = _relay_oauth_sanitize (code, 64);
  g_autofree char *clean_description = _relay_oauth_sanitize (description ? description : "", 200);

  if (g_str_equal (code, "access_denied"))
    return g_error_new_literal (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_ACCESS_DENIED,
                                _("The sign-in was declined in the browser"));

  if (clean_description[0] != '\0')
    return g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_AUTHORIZATION,
                        /* Translators: %s is an OAuth error code, then the server's explanation */
                        _("The sign-in failed: %s (%s)"), clean_code, clean_description);

  return g_error_new (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_AUTHORIZATION,
                      /* Translators: %s is an OAuth error code such as invalid_scope */
                      _("The sign-in failed: %s"), clean_code);
}

/* A request that may carry a body is refused before the body is read */
static void
early_handler (SoupServer        *server,
               SoupServerMessage *message,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  g_autofree char *uri = g_uri_to_string (soup_server_message_get_uri (message));

  if (strlen (uri) > RELAY_OAUTH_MAX_REQUEST_URI)
    set_plain (message, SOUP_STATUS_REQUEST_URI_TOO_LONG);
  else if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED ||
           soup_message_headers_get_content_length (headers) > 0)
    set_plain (message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE);
}

/**
 * relay_oauth_read_callback:
 * @query: (nullable): the query of the redirect's URI, as it came
 * @expected_state: (nullable): the state the authorization request carried
 * @code: (out): the authorization code, with %RELAY_OAUTH_CALLBACK_CODE;
 *   free it with relay_secure_wipe_string()
 * @error: with %RELAY_OAUTH_CALLBACK_ERROR and %RELAY_OAUTH_CALLBACK_NO_CODE,
 *   the error the sign-in ends with
 *
 * Reads the redirect's query without acting on it.
 */
RelayOAuthCallback
relay_oauth_read_callback (const char  *query,
                           const char  *expected_state,
                           char       **code,
                           GError     **error)
{
  g_autoptr(GHashTable) params = NULL;
  const char *state;
  const char *value;
  const char *error_code;

  g_return_val_if_fail (code != NULL, RELAY_OAUTH_CALLBACK_FOREIGN);
  g_return_val_if_fail (error == NULL || *error == NULL, RELAY_OAUTH_CALLBACK_FOREIGN);

  *code = NULL;

  if (query != NULL)
    params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  state = params ? g_hash_table_lookup (params, "state") : NULL;

  /* anyone on this machine can call: only the right state counts */
  if (state == NULL || expected_state == NULL ||
      !relay_secure_equal (state, strlen (state), expected_state, strlen (expected_state)))
    return RELAY_OAUTH_CALLBACK_FOREIGN;

  value = g_hash_table_lookup (params, "code");
  error_code = g_hash_table_lookup (params, "error");

  if (error_code != NULL)
    {
      g_propagate_error (error, authorization_error (error_code,
                                                     g_hash_table_lookup (params, "error_description")));
      return RELAY_OAUTH_CALLBACK_ERROR;
    }

  if (value == NULL || value[0] == '\0')
    {
      g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_AUTHORIZATION,
                           _("The sign-in answer has no authorization code"));
      return RELAY_OAUTH_CALLBACK_NO_CODE;
    }

  *code = g_strdup (value);
  return RELAY_OAUTH_CALLBACK_CODE;
}

/* @address as 16 bytes of IPv6, an IPv4 address mapped (::ffff:a.b.c.d):
 * a socket of either family can talk to 127.0.0.1 */
static void
address_to_v6 (GInetAddress *address,
               guint8        bytes[16])
{
  const guint8 *raw = g_inet_address_to_bytes (address);

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      memcpy (bytes, raw, 16);
      return;
    }

  memset (bytes, 0, 10);
  bytes[10] = bytes[11] = 0xff;
  memcpy (bytes + 12, raw, 4);
}

/* "0100007F:D431" of /proc/net/tcp, or 32 hex digits and a port of tcp6:
 * each group of 8 digits is a 32-bit word of the address as it lies in
 * memory, printed as a number, so it goes back into memory the same way */
static gboolean
read_socket_endpoint (const char *text,
                      guint8      bytes[16],
                      guint16    *port)
{
  const char *colon = strchr (text, ':');
  gsize digits = colon != NULL ? (gsize)(colon - text) : 0;
  guint8 raw[16];
  guint32 value = 0;

  if ((digits != 8 && digits != 32) || strlen (colon + 1) != 4)
    return FALSE;

  for (gsize i = 0; i < digits; i++)
    {
      int digit = g_ascii_xdigit_value (text[i]);

      if (digit < 0)
        return FALSE;
      value = value << 4 | (guint32)digit;
      if (i % 8 == 7)
        {
          memcpy (raw + i / 8 * 4, &value, 4);
          value = 0;
        }
    }

  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (colon[1 + i]);

      if (digit < 0)
        return FALSE;
      value = value << 4 | (guint32)digit;
    }
  *port = value;

  if (digits == 32)
    memcpy (bytes, raw, 16);
  else
    {
      memset (bytes, 0, 10);
      bytes[10] = bytes[11] = 0xff;
      memcpy (bytes + 12, raw, 4);
    }

  return TRUE;
}

static gboolean
same_endpoint (const char         *text,
               GInetSocketAddress *address)
{
  guint8 row[16];
  guint8 wanted[16];
  guint16 port;

  if (!read_socket_endpoint (text, row, &port))
    return FALSE;
  address_to_v6 (g_inet_socket_address_get_address (address), wanted);

  return port == g_inet_socket_address_get_port (address) && memcmp (row, wanted, 16) == 0;
}

/**
 * relay_oauth_read_socket_row:
 * @line: a line of /proc/net/tcp or /proc/net/tcp6
 * @local: the address and port the socket is bound to
 * @remote: the address and port it is connected to
 * @uid: (out): the socket's owner, when the line is its row
 *
 * Whether @line is the established TCP socket from @local to @remote (an
 * IPv4 address and its IPv4-mapped IPv6 form are the same address). Rows
 * in other states are not: a socket in TIME_WAIT, for one, has no owner
 * left and reads as uid 0.
 */
gboolean
relay_oauth_read_socket_row (const char         *line,
                             GInetSocketAddress *local,
                             GInetSocketAddress *remote,
                             guint              *uid)
{
  g_auto(GStrv) words = NULL;
  const char *fields[8];
  guint64 value;
  guint n = 0;

  g_return_val_if_fail (line != NULL, FALSE);
  g_return_val_if_fail (G_IS_INET_SOCKET_ADDRESS (local) && G_IS_INET_SOCKET_ADDRESS (remote), FALSE);
  g_return_val_if_fail (uid != NULL, FALSE);

  /* sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid … */
  words = g_strsplit_set (line, " \t\n", -1);
  for (guint i = 0; words[i] != NULL && n < G_N_ELEMENTS (fields); i++)
    if (words[i][0] != '\0')
      fields[n++] = words[i];

  if (n < G_N_ELEMENTS (fields) || !g_str_equal (fields[3], "01") /* TCP_ESTABLISHED */ ||
      !same_endpoint (fields[1], local) || !same_endpoint (fields[2], remote) ||
      !g_ascii_string_to_unsigned (fields[7], 10, 0, G_MAXUINT32, &value, NULL))
    return FALSE;

  *uid = value;
  return TRUE;
}

/* Whether the program at the other end of the request's connection runs
 * as this user: its socket is the row of /proc/net/tcp (or tcp6) bound to
 * the peer's address and connected to the listener's. Another local user
 * can read the sign-in URL, state included, from the browser's command
 * line; what they send is not the answer. No row: not the answer either. */
static gboolean
sent_by_own_user (SoupServerMessage *message)
{
#ifdef __linux__
  static const char * const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
  GSocketAddress *peer = soup_server_message_get_remote_address (message);
  GSocketAddress *listener = soup_server_message_get_local_address (message);

  if (!G_IS_INET_SOCKET_ADDRESS (peer) || !G_IS_INET_SOCKET_ADDRESS (listener))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *contents = NULL;
      char *next;

      if (!g_file_get_contents (tables[i], &contents, NULL, NULL))
        continue;

      for (char *line = contents; line != NULL; line = next)
        {
          guint uid;

          if ((next = strchr (line, '\n')) != NULL)
            *next++ = '\0';
          if (relay_oauth_read_socket_row (line, G_INET_SOCKET_ADDRESS (peer),
                                           G_INET_SOCKET_ADDRESS (listener), &uid))
            {
              if (uid != getuid ())
                g_debug ("Refused a request to the loopback listener from uid %u", uid);
              return uid == getuid ();
            }
        }
    }

  g_debug ("Refused a request to the loopback listener: its sender's socket was not found");
  return FALSE;
#else
  return TRUE;
#endif
}

static void
callback_handler (SoupServer        *server,
                  SoupServerMessage *message,
                  const char        *path,
                  GHashTable        *unused,
                  gpointer           user_data)
{
  RelayOAuthFlow *self = user_data;
  RelayOAuthCallback outcome;
  char *code = NULL;
  GError *error = NULL;

  /* refused without a word to the flow: the real answer may still come */
  if (!sent_by_own_user (message))
    {
      set_page (message, SOUP_STATUS_FORBIDDEN, FALSE,
                _("This answer did not come from the user who started the sign-in, so Mail "
                  "Relay ignored it."));
      return;
    }

  if (!g_str_equal (path, RELAY_OAUTH_CALLBACK_PATH))
    {
      set_plain (message, SOUP_STATUS_NOT_FOUND);
      return;
    }
  if (soup_server_message_get_method (message) != SOUP_METHOD_GET)
    {
      set_plain (message, SOUP_STATUS_METHOD_NOT_ALLOWED);
      soup_message_headers_replace (soup_server_message_get_response_headers (message),
                                    "Allow", "GET");
      return;
    }

  outcome = relay_oauth_read_callback (g_uri_get_query (soup_server_message_get_uri (message)),
                                       self->state, &code, &error);

  if (outcome == RELAY_OAUTH_CALLBACK_FOREIGN)
    {
      set_page (message, SOUP_STATUS_BAD_REQUEST, FALSE,
                _("This is not the answer to the sign-in that Mail Relay started."));
      return;
    }
  /* the state is single-use */
  if (self->phase != PHASE_LISTENING)
    {
      g_clear_error (&error);
      g_clear_pointer (&code, relay_secure_wipe_string);
      set_page (message, SOUP_STATUS_BAD_REQUEST, FALSE,
                _("This sign-in answer was already used."));
      return;
    }

  self->callback_message = g_object_ref (message);
  g_signal_connect (message, "finished", G_CALLBACK (callback_message_finished_cb), self);

  switch (outcome)
    {
    case RELAY_OAUTH_CALLBACK_ERROR:
      set_page (message, SOUP_STATUS_OK, FALSE,
                error->code == RELAY_OAUTH_ERROR_ACCESS_DENIED
                ? _("The sign-in was declined. You can close this window and return to Mail Relay.")
                : _("The sign-in failed. Return to Mail Relay for details."));
      flow_end (self, NULL, error);
      break;

    case RELAY_OAUTH_CALLBACK_NO_CODE:
      set_page (message, SOUP_STATUS_BAD_REQUEST, FALSE,
                _("The sign-in failed. Return to Mail Relay for details."));
      flow_end (self, NULL, error);
      break;

    case RELAY_OAUTH_CALLBACK_CODE:
      start_exchange (self, message, code);
      relay_secure_wipe_string (code);
      break;

    case RELAY_OAUTH_CALLBACK_FOREIGN:
    default:
      g_assert_not_reached ();
    }
}

/**
 * relay_oauth_flow_start:
 *
 * Listens on 127.0.0.1 on a port the kernel picks and builds the
 * authorization URI. Fails with %RELAY_OAUTH_ERROR_BUSY while another
 * flow of this process is listening. The flow belongs to the thread-default
 * main context of the caller.
 */
gboolean
relay_oauth_flow_start (RelayOAuthFlow  *self,
                        GError         **error)
{
  g_autoptr(GInetAddress) loopback = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autofree char *challenge = NULL;
  GSList *uris;
  GString *uri;
  int port;

  g_return_val_if_fail (RELAY_IS_OAUTH_FLOW (self), FALSE);
  g_return_val_if_fail (self->phase == PHASE_NEW, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  G_LOCK (active_flow);
  if (active_flow != NULL)
    {
      G_UNLOCK (active_flow);
      g_set_error_literal (error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_BUSY,
                           _("Another sign-in is already waiting for the browser: finish or "
                             "cancel it first"));
      return FALSE;
    }
  active_flow = self;
  G_UNLOCK (active_flow);

  server = soup_server_new ("server-header", "Mail Relay", NULL);
  soup_server_add_early_handler (server, NULL, early_handler, self, NULL);
  soup_server_add_handler (server, NULL, callback_handler, self, NULL);

  /* not soup_server_listen_local(): that may bind ::1 as well */
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  if (!soup_server_listen (server, address, 0, error))
    {
      G_LOCK (active_flow);
      active_flow = NULL;
      G_UNLOCK (active_flow);
      return FALSE;
    }

  uris = soup_server_get_uris (server);
  g_assert (uris != NULL && uris->next == NULL);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify)g_uri_unref);

  self->server = g_steal_pointer (&server);
  self->context = g_main_context_ref_thread_default ();
  self->phase = PHASE_LISTENING;
  self->redirect_uri = g_strdup_printf ("http://127.0.0.1:%d" RELAY_OAUTH_CALLBACK_PATH, port);
  self->verifier = _relay_oauth_make_verifier ();
  self->state = _relay_oauth_make_state ();
  challenge = relay_oauth_pkce_challenge (self->verifier);

#define APPEND_PARAM(name, value)                                        \
  G_STMT_START {                                                         \
    g_autofree char *escaped_ = g_uri_escape_string (value, NULL, FALSE); \
    g_string_append_printf (uri, "&" name "=%s", escaped_);               \
  } G_STMT_END

  uri = g_string_new (self->config->auth_url);
  g_string_append (uri, strchr (self->config->auth_url, '?') ? "&" : "?");
  g_string_append (uri, "response_type=code");
  APPEND_PARAM ("client_id", self->config->client_id);
  APPEND_PARAM ("redirect_uri", self->redirect_uri);
  if (self->config->scope != NULL)
    APPEND_PARAM ("scope", self->config->scope);
  APPEND_PARAM ("state", self->state);
  APPEND_PARAM ("code_challenge", challenge);
  g_string_append (uri, "&code_challenge_method=S256");
  /* Google hands out a refresh token only with these */
  if (g_strcmp0 (self->config->service, "google") == 0)
    g_string_append (uri, "&access_type=offline&prompt=consent");
  self->authorization_uri = g_string_free (uri, FALSE);

#undef APPEND_PARAM

  g_debug ("Waiting for the browser on 127.0.0.1:%d", port);

  return TRUE;
}

const char *
relay_oauth_flow_get_authorization_uri (RelayOAuthFlow *self)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_FLOW (self), NULL);

  return self->authorization_uri;
}

const char *
relay_oauth_flow_get_redirect_uri (RelayOAuthFlow *self)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_FLOW (self), NULL);

  return self->redirect_uri;
}

static void
abort_flow (RelayOAuthFlow *self,
            GError         *error)
{
  if (self->phase == PHASE_LISTENING || self->phase == PHASE_EXCHANGING)
    {
      g_clear_pointer (&self->tokens, relay_oauth_tokens_free);
      g_clear_error (&self->error);
      self->error = error;
      /* a paused browser request gets no page: the connection just closes */
      flow_close (self);
    }
  else
    {
      g_error_free (error);
      if (self->phase == PHASE_CLOSING)
        flow_close (self);
    }
  deliver (self);
}

static gboolean
timeout_cb (gpointer user_data)
{
  RelayOAuthFlow *self = user_data;

  g_clear_pointer (&self->timeout_source, g_source_unref);
  abort_flow (self, g_error_new_literal (RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TIMEOUT,
                                         _("No answer came from the browser in time: "
                                           "sign in again")));

  return G_SOURCE_REMOVE;
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  RelayOAuthFlow *self = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  clear_source (&self->cancel_source);
  abort_flow (self, error);

  return G_SOURCE_REMOVE;
}

/**
 * relay_oauth_flow_wait_async:
 * @timeout_seconds: 0 to wait without a limit
 *
 * Waits for the browser's answer and exchanges the code. Cancelling
 * @cancellable ends the flow; either way the listener is closed by the
 * time the callback runs.
 */
void
relay_oauth_flow_wait_async (RelayOAuthFlow      *self,
                             guint                timeout_seconds,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (RELAY_IS_OAUTH_FLOW (self));
  g_return_if_fail (self->phase != PHASE_NEW);
  g_return_if_fail (self->task == NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, relay_oauth_flow_wait_async);
  self->task = g_steal_pointer (&task);

  if (self->phase == PHASE_DONE)
    {
      if (self->tokens == NULL && self->error == NULL)
        self->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                           _("The sign-in was stopped"));
      deliver (self);
      return;
    }

  if (timeout_seconds > 0 && self->phase == PHASE_LISTENING)
    {
      self->timeout_source = g_timeout_source_new_seconds (timeout_seconds);
      g_source_set_callback (self->timeout_source, timeout_cb, self, NULL);
      g_source_attach (self->timeout_source, self->context);
    }

  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (cancelled_cb), self, NULL);
      g_source_attach (self->cancel_source, self->context);
    }
}

RelayOAuthTokens *
relay_oauth_flow_wait_finish (RelayOAuthFlow  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (RELAY_IS_OAUTH_FLOW (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * relay_oauth_flow_stop:
 *
 * Ends the flow and closes the listener; a pending wait fails with
 * %G_IO_ERROR_CANCELLED. Does nothing once the flow is over.
 */
void
relay_oauth_flow_stop (RelayOAuthFlow *self)
{
  g_return_if_fail (RELAY_IS_OAUTH_FLOW (self));

  if (self->phase == PHASE_NEW || self->phase == PHASE_DONE)
    return;

  abort_flow (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                         _("The sign-in was stopped")));
}
