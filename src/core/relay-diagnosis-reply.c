/* relay-diagnosis-reply.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A server's reply → a RelayDiagnosis: the table of known provider replies
 * (Microsoft 365, Gmail, SES, …) and the fallbacks by class, and the
 * parsing of "NNN x.y.z text" out of an error message. */

#define G_LOG_DOMAIN "relay-diagnosis"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-diagnosis-private.h"

/* Replies */

typedef struct
{
  guint             code_min;     /* 0: any code */
  guint             code_max;
  const char       *enhanced;     /* "5.7.139" exactly, or a class such as "5.7."; NULL: any */
  const char       *text;         /* case-insensitive substring of the reply text; NULL: any */
  const char       *steps;        /* space-separated steps; NULL: any */
  RelayErrorKind    kind;
  RelayDisposition  disposition;
  const char       *message;
  const char       *hint;
} ReplyRule;

#define ANY_4XX 400, 499
#define ANY_5XX 500, 599

#define HINT_RETRY_LATER \
  N_("Nothing to do now: the app tries again later. If it keeps happening, ask your mail provider.")
#define HINT_WRONG_PASSWORD \
  N_("Check the user name (usually the full email address) and type the password again. " \
     "Some providers want an app password or an API key instead: Gmail an app password or " \
     "“Sign In”, SendGrid the user “apikey”, SparkPost the user “SMTP_Injection”, Amazon SES " \
     "its SMTP credentials (not IAM keys).")
#define HINT_SENDER \
  N_("Use the address of the mailbox you sign in with as the sender, or an address on a " \
     "domain your provider has verified for your account.")
#define HINT_NEED_TLS \
  N_("Set Security to STARTTLS (port 587) or SSL/TLS (port 465).")

/* Scanned in order: the most specific rules first, the fallbacks by class last */
static const ReplyRule reply_rules[] = {
  /* Microsoft 365 / Exchange Online */
  { ANY_5XX, "5.7.139", "SmtpClientAuthentication is disabled", NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("Microsoft 365 refused the sign-in: authenticated SMTP is turned off for this mailbox or "
       "organization (5.7.139)."),
    N_("Ask your Microsoft 365 administrator to enable “Authenticated SMTP” for this mailbox "
       "(Microsoft 365 admin center → Users → Active users → the user → Mail → Manage email apps), or use “Sign In” "
       "instead of a password.") },
  { ANY_5XX, "5.7.139", "security defaults", NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("Microsoft 365 refused the password sign-in because your organization uses security "
       "defaults, which block password sign-in for sending mail (5.7.139)."),
    N_("Use “Sign In” instead of a password, or ask your Microsoft 365 administrator to allow "
       "authenticated SMTP for this mailbox.") },
  { ANY_5XX, "5.7.139", NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("Microsoft 365 refused the sign-in because of a policy of your account or organization "
       "(5.7.139)."),
    N_("Ask your Microsoft 365 administrator whether authenticated SMTP is enabled for this "
       "mailbox and whether a policy such as multi-factor authentication blocks it; or use "
       "“Sign In” instead of a password.") },
  { ANY_5XX, "5.7.30", NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server no longer accepts a password for sending mail: basic authentication is not "
       "supported (5.7.30)."),
    N_("Use “Sign In” (OAuth) instead of a password for this account. Microsoft retires "
       "password sign-in for sending mail during 2026.") },
  { 535, 535, "5.7.3", NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the sign-in (5.7.3): either the password is wrong or password "
       "sign-in is blocked for this account."),
    N_("Type the password again. If it is right, use “Sign In” instead, or ask your "
       "administrator whether password sign-in for sending mail (authenticated SMTP) is "
       "allowed for this mailbox.") },
  { ANY_5XX, "5.7.57", NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server accepts mail only after signing in, and this connection was not signed in "
       "(5.7.57)."),
    N_("Enter the mailbox’s user name and password so that Mail Relay signs in (Authentication "
       "“Automatic” picks a method the server offers), or use “Sign In”.") },
  { ANY_5XX, "5.7.60", NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("This mailbox is not allowed to send as the sender address (5.7.60)."),
    N_("Use the mailbox’s own address as the sender, or ask your administrator for “Send As” "
       "permission on the other address.") },
  { 432, 432, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("Too many connections to the server are open at the same time (4.3.2); Office 365 "
       "allows 3 per mailbox."),
    N_("Close other apps or devices that send from this mailbox, or wait; the app tries again "
       "later.") },
  { ANY_5XX, NULL, "SubmissionQuotaExceeded", NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_QUOTA,
    N_("The mailbox has reached its sending limit (Office 365: 10,000 recipients in 24 hours)."),
    N_("Queued messages stay in the outbox and go out when the 24-hour window allows. For bulk "
       "mail use a sending service such as SparkPost or SendGrid.") },

  /* Gmail */
  { ANY_5XX, "5.4.5", NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_QUOTA,
    N_("The account has reached Gmail’s daily sending limit (5.4.5)."),
    N_("Queued messages stay in the outbox and go out when the 24-hour window allows. Google "
       "Workspace accounts have a higher limit than personal Gmail accounts.") },
  { ANY_5XX, "5.7.9", NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("Google does not accept the account password here; it wants an app password or a "
       "browser sign-in (5.7.9)."),
    N_("Use “Sign In”, or create an app password in your Google Account (Security → 2-Step "
       "Verification → App passwords) and type it instead of your normal password.") },

  /* Amazon SES */
  { ANY_4XX, NULL, "Maximum sending rate exceeded", NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("Amazon SES received messages faster than your account’s maximum sending rate."),
    N_("Nothing to do now: the app tries again later. To send faster, ask for a higher sending "
       "rate in the Amazon SES console.") },
  { 400, 599, NULL, "Daily message quota exceeded", NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_QUOTA,
    N_("Your Amazon SES account has reached its daily sending quota."),
    N_("Queued messages stay in the outbox and go out when the 24-hour window allows. Ask for "
       "a higher quota in the Amazon SES console.") },

  /* SparkPost */
  { ANY_5XX, NULL, "Unconfigured Sending Domain", NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("SparkPost refused the sender address: its domain is not a sending domain of your "
       "SparkPost account."),
    N_("Add the sender’s domain under Sending Domains in SparkPost and verify it (its DNS "
       "records), or send from an address on a domain that is already verified.") },

  /* Encryption required */
  { 530, 530, NULL, "STARTTLS", NULL,
    RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT,
    N_("The server accepts commands only over an encrypted connection, and this connection is "
       "not encrypted."),
    HINT_NEED_TLS },
  { ANY_5XX, "5.7.0", "STARTTLS", NULL,
    RELAY_ERROR_KIND_CONFIG, RELAY_DISPOSITION_PERMANENT,
    N_("The server accepts commands only over an encrypted connection, and this connection is "
       "not encrypted."),
    HINT_NEED_TLS },
  { 538, 538, NULL, NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server accepts this sign-in method only over an encrypted connection (538)."),
    HINT_NEED_TLS },

  /* Sign-in */
  { 535, 535, "5.7.8", NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the user name or password (5.7.8)."),
    HINT_WRONG_PASSWORD },
  { 535, 535, NULL, NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the user name or password."),
    HINT_WRONG_PASSWORD },
  { 534, 534, NULL, NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server wants a stronger sign-in method than the one used (534)."),
    N_("Use “Sign In” if the provider offers it, or choose another authentication method; "
       "your provider’s help pages say which one it needs.") },
  { 530, 530, NULL, NULL, NULL,
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server accepts mail only after signing in (530)."),
    N_("Enter the user name and password so that Mail Relay signs in (Authentication "
       "“Automatic” picks a method the server offers), or use “Sign In”.") },
  { 504, 504, NULL, NULL, "auth",
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server does not support the chosen sign-in method (504)."),
    N_("Set Authentication to “Automatic” so that the app picks a method the server offers.") },
  { 454, 454, NULL, NULL, "starttls",
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_TEMPORARY,
    N_("The server could not start encryption right now (454)."),
    HINT_RETRY_LATER },
  { 454, 454, NULL, NULL, "auth",
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_TEMPORARY,
    N_("The server could not check the sign-in right now (454)."),
    HINT_RETRY_LATER },

  /* Order of commands */
  { 503, 503, NULL, "hello", NULL,
    RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT,
    N_("The server expected the EHLO greeting before this command."),
    N_("Try again. If it keeps happening, a proxy or security software on your network may "
       "be changing the connection; report it with the transcript of the test.") },

  /* Service closing */
  { 421, 421, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server is not available right now and closed the connection (421)."),
    HINT_RETRY_LATER },

  /* Size */
  { ANY_5XX, "5.3.4", NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The message is larger than the server accepts (5.3.4)."),
    N_("Make the message smaller: send large attachments as links, or split them over several "
       "messages.") },
  { ANY_5XX, "5.2.2", NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The recipient’s mailbox is full (5.2.2)."),
    N_("Tell the recipient another way, or send the message again once they have made room.") },
  { ANY_5XX, "5.5.3", NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The message has more recipients than the server accepts at once (5.5.3)."),
    N_("Send the message to fewer recipients at a time.") },
  { 552, 552, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The message is larger than the server accepts (552)."),
    N_("Make the message smaller: send large attachments as links, or split them over several "
       "messages.") },

  /* Recipients */
  { ANY_5XX, "5.1.1", NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The recipient address does not exist (5.1.1)."),
    N_("Check the recipient address for typing mistakes; the message was not sent to it.") },
  { ANY_5XX, "5.1.10", NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The recipient address does not exist (5.1.10)."),
    N_("Check the recipient address for typing mistakes; the message was not sent to it.") },
  { ANY_5XX, NULL, "user unknown", NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The recipient address does not exist."),
    N_("Check the recipient address for typing mistakes; the message was not sent to it.") },

  /* Relaying and senders */
  { ANY_5XX, NULL, "relay", "mail rcpt",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused to pass the message on to the recipient’s domain (relaying denied), "
       "usually because the connection was not signed in or the sender is not allowed."),
    N_("Enter the account’s user name and password so that Mail Relay signs in, and use the "
       "submission port 587 or 465, not port 25.") },
  { 553, 553, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server does not accept this sender address (553)."),
    HINT_SENDER },
  { ANY_5XX, "5.7.1", NULL, "mail",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server does not allow this account to send from this sender address (5.7.1)."),
    HINT_SENDER },
  { ANY_5XX, "5.7.1", NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server’s policy does not allow this account to send this message (5.7.1): the "
       "sender or the recipient was refused."),
    HINT_SENDER },

  /* Greylisting and other temporary refusals */
  { ANY_4XX, NULL, "greylist", NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server postponed the message (greylisting), as some servers do with a new sender."),
    N_("Nothing to do: the app tries again later, and the server then accepts the message.") },
  { ANY_4XX, NULL, "graylist", NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server postponed the message (greylisting), as some servers do with a new sender."),
    N_("Nothing to do: the app tries again later, and the server then accepts the message.") },
  { 450, 450, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server cannot take the message for this mailbox right now (450)."),
    HINT_RETRY_LATER },
  { 451, 451, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server had a temporary problem while handling the message (451)."),
    HINT_RETRY_LATER },
  { 452, 452, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server cannot take more right now: it is short of storage, or there were too many "
       "recipients at once (452)."),
    HINT_RETRY_LATER },

  /* Fallbacks by step and class */
  { ANY_4XX, NULL, NULL, "auth",
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_TEMPORARY,
    N_("The server could not complete the sign-in right now."),
    HINT_RETRY_LATER },
  { ANY_5XX, NULL, NULL, "auth",
    RELAY_ERROR_KIND_AUTH, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the sign-in."),
    HINT_WRONG_PASSWORD },
  { 503, 503, NULL, NULL, NULL,
    RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT,
    N_("The server did not expect this command at this point (503)."),
    N_("Try again. If it keeps happening, report it with the transcript of the test.") },
  { ANY_4XX, NULL, NULL, "mail",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server temporarily refused the sender address."),
    HINT_RETRY_LATER },
  { ANY_4XX, NULL, NULL, "rcpt",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server temporarily refused the recipient address."),
    HINT_RETRY_LATER },
  { ANY_4XX, NULL, NULL, "data",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server temporarily refused the message."),
    HINT_RETRY_LATER },
  { ANY_5XX, NULL, NULL, "mail",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the sender address."),
    HINT_SENDER },
  { ANY_5XX, NULL, NULL, "rcpt",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the recipient address."),
    N_("Check the recipient address; if it is right, the recipient’s server does not accept "
       "mail from you — ask the recipient or your mail provider.") },
  { ANY_5XX, NULL, NULL, "data",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the message."),
    N_("The server’s reply may say why (for example spam filtering or a missing sender "
       "domain record); if it does not, ask your mail provider.") },
  { ANY_5XX, NULL, NULL, "greeting connect",
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server refuses connections from this computer or network."),
    N_("Your network’s address may be on a block list, or the server accepts mail only from "
       "some networks; ask the server’s administrator or your mail provider.") },
  { ANY_5XX, NULL, NULL, "starttls",
    RELAY_ERROR_KIND_TLS, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused to start encryption."),
    N_("Try SSL/TLS on port 465 instead, or ask your mail provider which security setting to "
       "use.") },
  { ANY_5XX, NULL, NULL, "ehlo",
    RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the EHLO greeting."),
    N_("Check that the server name and port are those of a mail submission service (usually "
       "port 587 or 465).") },
  { ANY_4XX, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_TEMPORARY,
    N_("The server cannot continue right now."),
    HINT_RETRY_LATER },
  { ANY_5XX, NULL, NULL, NULL,
    RELAY_ERROR_KIND_REJECTED, RELAY_DISPOSITION_PERMANENT,
    N_("The server refused the request."),
    N_("The server’s reply may say why; if it does not, ask your mail provider.") },
  { 0, 0, NULL, NULL, NULL,
    RELAY_ERROR_KIND_PROTOCOL, RELAY_DISPOSITION_PERMANENT,
    N_("The server sent a reply that is not valid SMTP."),
    N_("Check that the server name and port are those of a mail submission service (usually "
       "port 587 or 465), not for example a web or IMAP server.") },
};

/* The strings are copied (relay_diagnosis_copy() builds the diagnosis) */
static RelayDiagnosis *
reply_diagnosis (RelayErrorKind    kind,
                 RelayDisposition  disposition,
                 const char       *message,
                 const char       *hint)
{
  const RelayDiagnosis diagnosis = { kind, disposition, (char *)message, (char *)hint };

  return relay_diagnosis_copy (&diagnosis);
}

static gboolean
ascii_contains (const char *haystack,
                const char *needle)
{
  gsize n = strlen (needle);

  for (const char *p = haystack; *p; p++)
    if (g_ascii_strncasecmp (p, needle, n) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
step_matches (const char *steps,
              const char *step)
{
  g_auto(GStrv) names = NULL;

  if (steps == NULL)
    return TRUE;
  if (step == NULL)
    return FALSE;

  names = g_strsplit (steps, " ", -1);

  return g_strv_contains ((const char * const *) names, step);
}

/* "5.7.1" matches only "5.7.1" (not "5.7.139"); a class "5.7." matches its members */
static gboolean
enhanced_matches (const char *pattern,
                  const char *enhanced)
{
  if (pattern == NULL)
    return TRUE;
  if (enhanced == NULL)
    return FALSE;
  if (g_str_has_suffix (pattern, "."))
    return g_str_has_prefix (enhanced, pattern);

  return g_str_equal (pattern, enhanced);
}

/* Reads an enhanced status code "c.sss.ddd" (RFC 3463) at @p; returns its length, or 0 */
static gsize
parse_enhanced (const char *p)
{
  const char *start = p;

  if (*p != '2' && *p != '4' && *p != '5')
    return 0;
  p++;

  for (guint part = 0; part < 2; part++)
    {
      guint digits = 0;

      if (*p != '.')
        return 0;
      p++;
      while (g_ascii_isdigit (*p) && digits < 4)
        {
          p++;
          digits++;
        }
      if (digits == 0 || digits > 3)
        return 0;
    }

  if (*p != '\0' && !g_ascii_isspace (*p))
    return 0;

  return p - start;
}

/* Finds "NNN[ -]x.y.z text" in @message; any of the parts may be missing */
gboolean
relay_diagnosis_parse_reply (const char  *message,
                             guint       *code,
                             char       **enhanced,
                             const char **text)
{
  for (const char *p = message; *p; p++)
    {
      gsize length;

      if (p != message && g_ascii_isdigit (p[-1]))
        continue;
      if (!(p[0] >= '2' && p[0] <= '5' && g_ascii_isdigit (p[1]) && g_ascii_isdigit (p[2])))
        continue;
      if (p[3] != '\0' && p[3] != ' ' && p[3] != '-')
        continue;

      *code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
      p += 3;
      if (*p != '\0')
        p++;

      length = parse_enhanced (p);
      *enhanced = length > 0 ? g_strndup (p, length) : NULL;
      p += length;
      while (*p == ' ')
        p++;
      *text = p;

      return TRUE;
    }

  return FALSE;
}

/**
 * relay_diagnose_reply:
 * @step: (nullable): the step, as in `steps[].step` of `test --json`
 * @code: the reply code
 * @enhanced: (nullable): the enhanced status code, such as "5.7.139"; when
 *   %NULL it is read from the start of @text
 * @text: (nullable): the text of the reply
 *
 * Returns: (transfer full): what the reply means, from the first matching
 *   rule of a table of known provider replies and fallbacks by class
 */
RelayDiagnosis *
relay_diagnose_reply (const char *step,
                      guint       code,
                      const char *enhanced,
                      const char *text)
{
  g_autofree char *parsed = NULL;

  if (text == NULL)
    text = "";

  if (code >= 200 && code < 400)
    return reply_diagnosis (RELAY_ERROR_KIND_NONE, RELAY_DISPOSITION_OK, _("The server accepted."), "");

  if (enhanced == NULL || *enhanced == '\0')
    {
      gsize length = parse_enhanced (text);

      if (length > 0)
        enhanced = parsed = g_strndup (text, length);
      else
        enhanced = NULL;
    }

  for (guint i = 0; i < G_N_ELEMENTS (reply_rules); i++)
    {
      const ReplyRule *rule = &reply_rules[i];

      if (rule->code_min != 0 && (code < rule->code_min || code > rule->code_max))
        continue;
      if (!enhanced_matches (rule->enhanced, enhanced))
        continue;
      if (rule->text != NULL && !ascii_contains (text, rule->text))
        continue;
      if (!step_matches (rule->steps, step))
        continue;

      return reply_diagnosis (rule->kind, rule->disposition, _(rule->message), _(rule->hint));
    }

  g_return_val_if_reached (NULL);
}
