/* relay-smtp-server-commands.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The SMTP commands of a RelaySmtpServerSession: EHLO, STARTTLS, AUTH
 * PLAIN and LOGIN, MAIL, RCPT, DATA and the rest, each answered by one
 * reply; the owner's callbacks decide on users, addresses and messages. */

#define G_LOG_DOMAIN "relay-smtp-server-session"

#include "config.h"

#include <string.h>

#include "relay-secure-private.h"
#include "relay-smtp-server-session-private.h"

#define DATA_CHUNK          65536

/* NULL when @text is not base64; an empty string decodes to "" */
static guchar *
decode_base64 (const char *text,
               gsize      *length)
{
  gsize n = strlen (text);

  if (n == 0 || strcmp (text, "=") == 0)
    {
      *length = 0;
      return (guchar *)g_strdup ("");
    }

  if (n % 4 != 0 ||
      strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
    return NULL;

  return g_base64_decode (text, length);
}

/* The client's base64 response to an AUTH challenge; NULL when it is not
 * base64, and then the 501 was sent */
static guchar *
decode_response (RelaySmtpServerSession *conn,
                 const char             *response,
                 gsize                  *length)
{
  guchar *decoded = decode_base64 (response, length);

  if (decoded == NULL)
    {
      conn->state = STATE_COMMAND;
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.5.2 Cannot decode the response");
    }

  return decoded;
}

static void
auth_result (RelaySmtpServerSession *conn,
             gboolean                success)
{
  conn->state = STATE_COMMAND;

  if (success)
    {
      conn->authenticated = TRUE;
      /* signed in: the longer idle timeout from now on */
      _relay_smtp_server_touch (conn);
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "235 2.7.0 Authentication successful");
    }
  else if (++conn->auth_failures >= conn->config.max_auth_failures)
    _relay_smtp_server_reply (conn, NEXT_CLOSE,
                              "421 4.7.0 %s Too many failed authentications",
                              conn->config.host_name);
  else
    _relay_smtp_server_reply (conn, NEXT_CONTINUE, "535 5.7.8 Authentication credentials invalid");
}

static gboolean
auth_cancelled (RelaySmtpServerSession *conn,
                const char             *line)
{
  if (strcmp (line, "*") != 0)
    return FALSE;

  conn->state = STATE_COMMAND;
  _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.7.0 Authentication cancelled");
  return TRUE;
}

static void
auth_plain (RelaySmtpServerSession *conn,
            const char             *response)
{
  gsize length = 0;
  guchar *decoded = decode_response (conn, response, &length);
  const char *authzid, *authcid, *password;
  const char *end;
  gboolean success = FALSE;

  if (decoded == NULL)
    return;

  /* authzid NUL authcid NUL password */
  authzid = (const char *)decoded;
  end = authzid + length;
  authcid = memchr (authzid, '\0', length);
  if (authcid != NULL && ++authcid < end)
    {
      password = memchr (authcid, '\0', end - authcid);
      if (password != NULL)
        {
          gsize authcid_length = password - authcid;
          gsize authzid_length = authcid - 1 - authzid;

          password++;
          /* asked even when the authzid is wrong, which then fails the same way */
          success = authzid_length == 0 ||
                    (authzid_length == authcid_length &&
                     memcmp (authzid, authcid, authzid_length) == 0);
          success = conn->callbacks->authenticate (conn, authcid, authcid_length,
                                                   password, end - password,
                                                   conn->owner) && success;
        }
    }

  relay_secure_wipe (decoded, length);
  g_free (decoded);

  auth_result (conn, success);
}

static void
auth_login_password (RelaySmtpServerSession *conn,
                     const char             *response)
{
  gsize length = 0;
  guchar *decoded = decode_response (conn, response, &length);
  gboolean success;

  if (decoded == NULL)
    return;

  /* a wrong user name fails here, like a wrong password */
  success = conn->callbacks->authenticate (conn, conn->login_user, conn->login_user_length,
                                           (const char *)decoded, length, conn->owner);
  relay_secure_wipe (conn->login_user, conn->login_user_length);
  g_clear_pointer (&conn->login_user, g_free);
  relay_secure_wipe (decoded, length);
  g_free (decoded);

  auth_result (conn, success);
}

static void
auth_login_user (RelaySmtpServerSession *conn,
                 const char             *response)
{
  gsize length = 0;
  g_autofree guchar *decoded = decode_response (conn, response, &length);

  if (decoded == NULL)
    return;

  relay_secure_wipe (conn->login_user, conn->login_user_length);
  g_free (conn->login_user);
  conn->login_user = (char *)g_steal_pointer (&decoded);
  conn->login_user_length = length;
  conn->state = STATE_AUTH_LOGIN_PASSWORD;
  _relay_smtp_server_reply (conn, NEXT_CONTINUE, "334 UGFzc3dvcmQ6");
}

/* 530 before TLS (when there is a certificate to offer), 503 before
 * EHLO; FALSE when a reply was sent */
static gboolean
check_ready (RelaySmtpServerSession *conn)
{
  if (!conn->tls && conn->config.certificate != NULL)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE,
                                "530 5.7.0 Must issue a STARTTLS command first");
      return FALSE;
    }

  if (!conn->greeted)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "503 5.5.1 Send EHLO first");
      return FALSE;
    }

  return TRUE;
}

/* check_ready(), and signed in: 530 otherwise; FALSE when a reply was sent */
static gboolean
check_signed_in (RelaySmtpServerSession *conn)
{
  if (!check_ready (conn))
    return FALSE;

  if (!conn->authenticated)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "530 5.7.0 Authentication required");
      return FALSE;
    }

  return TRUE;
}

/* check_signed_in(), and within a mail transaction (after MAIL): 503
 * otherwise; FALSE when a reply was sent */
static gboolean
check_in_transaction (RelaySmtpServerSession *conn)
{
  if (!check_signed_in (conn))
    return FALSE;

  if (conn->from == NULL)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "503 5.5.1 Need MAIL command");
      return FALSE;
    }

  return TRUE;
}

static void
handle_auth (RelaySmtpServerSession *conn,
             const char             *args)
{
  g_autofree char *mechanism = NULL;
  const char *initial = NULL;
  const char *space;

  if (!check_ready (conn))
    return;

  if (conn->authenticated)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "503 5.5.1 Already authenticated");
      return;
    }

  if (conn->from != NULL)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE,
                                "503 5.5.1 AUTH not permitted during a mail transaction");
      return;
    }

  if ((space = strchr (args, ' ')) != NULL)
    {
      mechanism = g_strndup (args, space - args);
      initial = space + 1;
    }
  else
    mechanism = g_strdup (args);

  if (g_ascii_strcasecmp (mechanism, "PLAIN") == 0)
    {
      if (initial != NULL)
        auth_plain (conn, initial);
      else
        {
          conn->state = STATE_AUTH_PLAIN;
          _relay_smtp_server_reply (conn, NEXT_CONTINUE, "334 ");
        }
    }
  else if (g_ascii_strcasecmp (mechanism, "LOGIN") == 0)
    {
      if (initial != NULL)
        auth_login_user (conn, initial);
      else
        {
          conn->state = STATE_AUTH_LOGIN_USER;
          _relay_smtp_server_reply (conn, NEXT_CONTINUE, "334 VXNlcm5hbWU6");
        }
    }
  else if (mechanism[0] == '\0')
    _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: AUTH mechanism");
  else
    _relay_smtp_server_reply (conn, NEXT_CONTINUE, "504 5.5.4 Unrecognized authentication type");
}

static void
handle_ehlo (RelaySmtpServerSession *conn,
             const char             *args,
             gboolean                extended)
{
  if (args[0] == '\0')
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE,
                                "501 5.5.4 Syntax: %s hostname", extended ? "EHLO" : "HELO");
      return;
    }

  conn->greeted = TRUE;
  _relay_smtp_server_reset_transaction (conn);

  if (!extended)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "250 %s", conn->config.host_name);
      return;
    }

  g_string_append_printf (conn->output,
                          "250-%s\r\n"
                          "250-PIPELINING\r\n"
                          "250-SIZE %" G_GUINT64_FORMAT "\r\n"
                          "250-8BITMIME\r\n",
                          conn->config.host_name, conn->config.size_limit);
  /* AUTH only where the password cannot be read on the way */
  if (conn->tls || conn->config.certificate == NULL)
    _relay_smtp_server_reply (conn, NEXT_CONTINUE,
                              "250-ENHANCEDSTATUSCODES\r\n250 AUTH PLAIN LOGIN");
  else
    _relay_smtp_server_reply (conn, NEXT_CONTINUE, "250-ENHANCEDSTATUSCODES\r\n250 STARTTLS");
}

/* "<path> params" after "FROM:" or "TO:"; the address goes to @address */
static gboolean
parse_path (const char  *text,
            char       **address,
            const char **params)
{
  const char *end;

  while (*text == ' ')
    text++;

  if (*text != '<' || (end = strchr (text, '>')) == NULL)
    return FALSE;

  for (const char *p = text + 1; p < end; p++)
    if ((guchar)*p <= ' ' || *p == '<' || *p == 0x7f)
      return FALSE;

  if (!g_utf8_validate (text + 1, end - text - 1, NULL))
    return FALSE;

  *address = g_strndup (text + 1, end - text - 1);
  *params = end + 1;
  return TRUE;
}

typedef gboolean (*AcceptFunc) (RelaySmtpServerSession  *session,
                                const char              *address,
                                char                   **reply,
                                gpointer                 owner);

/* The owner's word on an address; FALSE when its refusal was sent */
static gboolean
accepted (RelaySmtpServerSession *conn,
          AcceptFunc              accept,
          const char             *address)
{
  g_autofree char *reply = NULL;

  if (accept == NULL || accept (conn, address, &reply, conn->owner))
    return TRUE;

  g_return_val_if_fail (reply != NULL, TRUE);
  _relay_smtp_server_reply (conn, NEXT_CONTINUE, "%s", reply);
  return FALSE;
}

static void
handle_mail (RelaySmtpServerSession *conn,
             const char             *args)
{
  g_autofree char *address = NULL;
  g_auto(GStrv) params = NULL;
  const char *rest;

  if (!check_signed_in (conn))
    return;

  if (conn->from != NULL)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "503 5.5.1 Nested MAIL command");
      return;
    }

  if (g_ascii_strncasecmp (args, "FROM:", 5) != 0 || !parse_path (args + 5, &address, &rest))
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: MAIL FROM:<address>");
      return;
    }

  params = g_strsplit (rest, " ", -1);
  for (guint i = 0; params[i]; i++)
    {
      guint64 size;

      if (params[i][0] == '\0')
        continue;

      if (g_ascii_strncasecmp (params[i], "SIZE=", 5) == 0)
        {
          if (!g_ascii_string_to_unsigned (params[i] + 5, 10, 0, G_MAXUINT64, &size, NULL))
            {
              _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.5.4 Bad SIZE parameter");
              return;
            }
          if (size > conn->config.size_limit)
            {
              _relay_smtp_server_reply (conn, NEXT_CONTINUE,
                                        "552 5.3.4 Message size exceeds fixed limit");
              return;
            }
        }
      else if (g_ascii_strcasecmp (params[i], "BODY=7BIT") != 0 &&
               g_ascii_strcasecmp (params[i], "BODY=8BITMIME") != 0)
        {
          _relay_smtp_server_reply (conn, NEXT_CONTINUE, "555 5.5.4 Unsupported parameter");
          return;
        }
    }

  if (!accepted (conn, conn->callbacks->accept_sender, address))
    return;

  conn->from = g_steal_pointer (&address);
  _relay_smtp_server_reply (conn, NEXT_CONTINUE, "250 2.1.0 Ok");
}

static void
handle_rcpt (RelaySmtpServerSession *conn,
             const char             *args)
{
  g_autofree char *address = NULL;
  const char *rest;

  if (!check_in_transaction (conn))
    return;

  if (g_ascii_strncasecmp (args, "TO:", 3) != 0 || !parse_path (args + 3, &address, &rest))
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: RCPT TO:<address>");
      return;
    }

  if (address[0] == '\0')
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.1.3 Bad recipient address syntax");
      return;
    }

  if (strspn (rest, " ") != strlen (rest))
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "555 5.5.4 Unsupported parameter");
      return;
    }

  if (conn->recipients->len >= conn->config.max_recipients)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "452 4.5.3 Too many recipients");
      return;
    }

  if (!accepted (conn, conn->callbacks->accept_recipient, address))
    return;

  g_ptr_array_add (conn->recipients, g_steal_pointer (&address));
  _relay_smtp_server_reply (conn, NEXT_CONTINUE, "250 2.1.5 Ok");
}

static void
handle_data (RelaySmtpServerSession *conn,
             const char             *args)
{
  if (args[0] != '\0')
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: DATA");
      return;
    }

  if (!check_in_transaction (conn))
    return;

  if (conn->recipients->len == 0)
    {
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "503 5.5.1 Need RCPT command");
      return;
    }

  conn->state = STATE_DATA;
  conn->message = g_byte_array_new ();
  conn->data_line_start = TRUE;
  conn->data_too_big = FALSE;
  _relay_smtp_server_reply (conn, NEXT_CONTINUE, "354 End data with <CR><LF>.<CR><LF>");
}

void
_relay_smtp_server_finish_data (RelaySmtpServerSession *conn)
{
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) recipients = NULL;
  g_autofree char *from = NULL;
  g_autofree char *reply = NULL;

  conn->state = STATE_COMMAND;

  if (conn->data_too_big)
    {
      _relay_smtp_server_reset_transaction (conn);
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "552 5.3.4 Message size exceeds fixed limit");
      return;
    }

  for (guint i = 0; i < conn->recipients->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (conn->recipients, i));
  recipients = g_strv_builder_end (builder);
  from = g_steal_pointer (&conn->from);
  message = g_byte_array_free_to_bytes (g_steal_pointer (&conn->message));
  _relay_smtp_server_reset_transaction (conn);

  /* before the reply, so that a client that saw 250 knows it was handed over */
  reply = conn->callbacks->take_message (conn, from, (const char * const *)recipients, message,
                                         conn->owner);

  /* the owner may have stopped the session */
  if (conn->closing)
    return;

  _relay_smtp_server_reply (conn, NEXT_CONTINUE, "%s", reply);
}

static void
data_append (RelaySmtpServerSession *conn,
             const guint8           *data,
             gsize                   length)
{
  if (conn->data_too_big || length == 0)
    return;

  if (length > conn->config.size_limit - conn->message->len)
    {
      conn->data_too_big = TRUE;
      g_byte_array_set_size (conn->message, 0);
      return;
    }

  g_byte_array_append (conn->message, data, length);
}

/* Takes the message from the input, undoing the dot-stuffing; only CRLF
 * ends a line, so CR LF . CR LF is the one end of data (no bare-LF
 * ambiguity). TRUE at the end of the data. */
gboolean
_relay_smtp_server_consume_data (RelaySmtpServerSession *conn)
{
  for (;;)
    {
      const guint8 *start = conn->input->data + conn->input_pos;
      gsize available = conn->input->len - conn->input_pos;
      const guint8 *newline = available ? memchr (start, '\n', available) : NULL;
      gboolean line_end = FALSE;
      gsize length;

      if (newline != NULL)
        {
          length = newline - start + 1;
          line_end = length >= 2 && newline[-1] == '\r';
        }
      else if (available >= DATA_CHUNK)
        {
          /* a long line goes in pieces, keeping the buffer small; a CR
           * waits for what follows */
          length = start[available - 1] == '\r' ? available - 1 : available;
        }
      else
        return FALSE;

      if (conn->data_line_start && length == 3 && memcmp (start, ".\r\n", 3) == 0)
        {
          conn->input_pos += length;
          return TRUE;
        }

      if (conn->data_line_start && start[0] == '.')
        data_append (conn, start + 1, length - 1);
      else
        data_append (conn, start, length);

      conn->data_line_start = line_end;
      conn->input_pos += length;
    }
}

void
_relay_smtp_server_handle_line (RelaySmtpServerSession *conn,
                                char                   *line)
{
  g_autofree char *verb = NULL;
  const char *args;
  const char *space;

  switch (conn->state)
    {
    case STATE_AUTH_PLAIN:
      if (!auth_cancelled (conn, line))
        auth_plain (conn, line);
      return;
    case STATE_AUTH_LOGIN_USER:
      if (!auth_cancelled (conn, line))
        auth_login_user (conn, line);
      return;
    case STATE_AUTH_LOGIN_PASSWORD:
      if (!auth_cancelled (conn, line))
        auth_login_password (conn, line);
      return;
    case STATE_COMMAND:
      break;
    case STATE_DATA:
    default:
      g_assert_not_reached ();
    }

  if ((space = strchr (line, ' ')) != NULL)
    {
      verb = g_strndup (line, space - line);
      args = space + 1;
    }
  else
    {
      verb = g_strdup (line);
      args = "";
    }

  if (g_ascii_strcasecmp (verb, "EHLO") == 0)
    handle_ehlo (conn, args, TRUE);
  else if (g_ascii_strcasecmp (verb, "HELO") == 0)
    handle_ehlo (conn, args, FALSE);
  else if (g_ascii_strcasecmp (verb, "STARTTLS") == 0 && conn->config.certificate != NULL)
    {
      if (conn->tls)
        _relay_smtp_server_reply (conn, NEXT_CONTINUE, "503 5.5.1 TLS already active");
      else if (args[0] != '\0')
        _relay_smtp_server_reply (conn, NEXT_CONTINUE, "501 5.5.4 Syntax: STARTTLS");
      else if (!conn->greeted)
        _relay_smtp_server_reply (conn, NEXT_CONTINUE, "503 5.5.1 Send EHLO first");
      else
        _relay_smtp_server_reply (conn, NEXT_STARTTLS, "220 2.0.0 Ready to start TLS");
    }
  else if (g_ascii_strcasecmp (verb, "AUTH") == 0)
    handle_auth (conn, args);
  else if (g_ascii_strcasecmp (verb, "MAIL") == 0)
    handle_mail (conn, args);
  else if (g_ascii_strcasecmp (verb, "RCPT") == 0)
    handle_rcpt (conn, args);
  else if (g_ascii_strcasecmp (verb, "DATA") == 0)
    handle_data (conn, args);
  else if (g_ascii_strcasecmp (verb, "RSET") == 0)
    {
      _relay_smtp_server_reset_transaction (conn);
      _relay_smtp_server_reply (conn, NEXT_CONTINUE, "250 2.0.0 Ok");
    }
  else if (g_ascii_strcasecmp (verb, "NOOP") == 0)
    _relay_smtp_server_reply (conn, NEXT_CONTINUE, "250 2.0.0 Ok");
  else if (g_ascii_strcasecmp (verb, "QUIT") == 0)
    _relay_smtp_server_reply (conn, NEXT_CLOSE, "221 2.0.0 Bye");
  else
    _relay_smtp_server_reply (conn, NEXT_CONTINUE, "500 5.5.2 Command not recognized");
}
