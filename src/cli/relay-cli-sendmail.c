/* relay-cli-sendmail.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `sendmail`: the sendmail entry, for programs that hand a whole message
 * to sendmail (git send-email, mailx, cron). Reading its options and the
 * message, queueing it, in mail-relay-cli itself; sending it then is the
 * network module's (relay-cli-flush.c).
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "relay-cli.h"
#include "relay-cli-network.h"
#include "relay-cli-options.h"
#include "relay-message.h"
#include "relay-outbox.h"
#include "relay-validate.h"

typedef struct
{
  gboolean   take_recipients;  /* -t */
  gboolean   dot_ends;         /* without -i/-oi: a line "." ends the message */
  gboolean   queue_only;       /* -odq, -odd */
  char      *sender;           /* -f, -r */
  char      *full_name;        /* -F */
  GPtrArray *recipients;       /* the ADDR arguments */
} Options;

static void
options_clear (Options *options)
{
  g_free (options->sender);
  g_free (options->full_name);
  g_clear_pointer (&options->recipients, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static void
print_usage (FILE *stream)
{
  fprintf (stream, "%s\n\n%s\n",
           _("Usage: mail-relay-cli sendmail [-t] [-i|-oi] [-f ADDR] [-F NAME] [--] [ADDR...]"),
           _("Queues the message on standard input, then sends it.\n"
             "  -t        take the recipients from To, Cc and Bcc too (Bcc is removed)\n"
             "  -i, -oi   a line with a single “.” does not end the message\n"
             "  -f ADDR   the envelope sender (else the From field's address)\n"
             "  -F NAME   the sender's name, for a message without From\n"
             "  -odq      only queue it (“mail-relay-cli flush” sends it)\n"
             "Exit status: 0 queued, 64 bad usage, 65 a message that cannot be read,\n"
             "75 it could not be queued."));
}

/* The value of an option: joined to it (-fADDR) or the next argument */
static const char *
option_value (int    argc,
              char **argv,
              int   *i,
              gsize  name_length)
{
  if (argv[*i][name_length] != '\0')
    return argv[*i] + name_length;
  if (*i + 1 < argc)
    return argv[++*i];

  /* Translators: a sendmail option such as -f */
  relay_cli_printerr (_("%s: it needs a value"), argv[*i]);
  return NULL;
}

/* sendmail's options; -1 to go on, else the exit status */
static int
parse_options (Options  *options,
               int       argc,
               char    **argv)
{
  int i;

  options->dot_ends = TRUE;
  options->recipients = g_ptr_array_new_with_free_func (g_free);

  for (i = 1; i < argc; i++)
    {
      const char *arg = argv[i];
      const char *value;

      if (g_str_equal (arg, "--"))
        {
          i++;
          break;
        }
      if (arg[0] != '-' || arg[1] == '\0')
        break;

      if (g_str_equal (arg, "--help") || g_str_equal (arg, "-h"))
        {
          print_usage (stdout);
          return RELAY_CLI_EXIT_OK;
        }
      else if (strspn (arg + 1, "ti") == strlen (arg + 1))
        {
          /* -t, -i, and together as getopt takes them (-ti, -it) */
          options->take_recipients |= strchr (arg, 't') != NULL;
          options->dot_ends &= strchr (arg, 'i') == NULL;
        }
      else if (g_str_equal (arg, "-oi"))
        options->dot_ends = FALSE;
      else if (arg[1] == 'f' || arg[1] == 'r')
        {
          if (!(value = option_value (argc, argv, &i, 2)))
            return RELAY_CLI_EX_USAGE;
          g_free (options->sender);
          options->sender = g_strdup (value);
        }
      else if (arg[1] == 'F')
        {
          if (!(value = option_value (argc, argv, &i, 2)))
            return RELAY_CLI_EX_USAGE;
          if (strpbrk (value, "\r\n") != NULL || !g_utf8_validate (value, -1, NULL))
            {
              relay_cli_printerr (_("-F: the name must be one line of text"));
              return RELAY_CLI_EX_USAGE;
            }
          g_free (options->full_name);
          options->full_name = g_strdup (value);
        }
      else if (g_str_equal (arg, "-odq") || g_str_equal (arg, "-odd"))
        options->queue_only = TRUE;
      else if (g_str_has_prefix (arg, "-o") || g_str_has_prefix (arg, "-e") ||
               g_str_equal (arg, "-bm") || g_str_equal (arg, "-v") || g_str_equal (arg, "-n") ||
               g_str_equal (arg, "-m") || g_str_equal (arg, "-U"))
        {
          /* harmless here: error reporting (-oem, -oee…), delivery mode
           * (-odi, -odb), -oQ's queue folder, -bm (the default mode),
           * verbose, no aliasing, me too, initial submission */
        }
      else if (arg[1] == 'B' || arg[1] == 'N' || arg[1] == 'R' || arg[1] == 'V' ||
               arg[1] == 'h' || arg[1] == 'L')
        {
          /* with a value that changes nothing here: body type (-B8BITMIME),
           * DSN (-N, -R, -V), hop count, log tag */
          if (!option_value (argc, argv, &i, 2))
            return RELAY_CLI_EX_USAGE;
        }
      else if (arg[1] == 'b' || arg[1] == 'q' || arg[1] == 'C' || arg[1] == 'X' || arg[1] == 'G')
        {
          /* Translators: a sendmail option such as -bs */
          relay_cli_printerr (_("%s: this mode of sendmail is not supported; only sending a message (-bm) is"), arg);
          return RELAY_CLI_EX_USAGE;
        }
      else
        {
          relay_cli_printerr (_("%s: not an option of sendmail"), arg);
          return RELAY_CLI_EX_USAGE;
        }
    }

  for (; i < argc; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *address = relay_validate_address_field (argv[i], _("Recipient"), &error);

      if (address == NULL)
        {
          relay_cli_printerr ("%s", error->message);
          return RELAY_CLI_EX_USAGE;
        }
      g_ptr_array_add (options->recipients, g_steal_pointer (&address));
    }

  return -1;
}

/* Where a line holding a single "." starts in @data, from @from on (a
 * line start); G_MAXSIZE when there is none, or *@from is where the
 * search goes on once more has been read */
static gsize
find_dot_line (GByteArray *data,
               gsize      *from,
               gboolean    at_end)
{
  const guint8 *d = data->data;
  gsize n = data->len;

  for (gsize p = *from; p < n; p++)
    {
      if (d[p] != '.' || (p > 0 && d[p - 1] != '\n'))
        continue;
      if (p + 1 == n || (d[p + 1] == '\r' && p + 2 == n))
        {
          /* the rest of the line is not read yet; at the end of input a
           * "." (and a CR) ends it too */
          if (at_end)
            return p;
          *from = p;
          return G_MAXSIZE;
        }
      if (d[p + 1] == '\n' || (d[p + 1] == '\r' && d[p + 2] == '\n'))
        return p;
    }

  *from = n;
  return G_MAXSIZE;
}

/* The message on standard input, at most as large as the outbox keeps;
 * with @dot_ends a line holding a single "." ends it (and is not part of
 * it), and nothing after it is read. NULL after saying why. */
static GBytes *
read_message (gboolean dot_ends)
{
  g_autoptr(GByteArray) data = g_byte_array_new ();
  guint8 buffer[65536];
  gsize from = 0;
  gsize dot = G_MAXSIZE;

  for (;;)
    {
      gssize n = read (STDIN_FILENO, buffer, sizeof buffer);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          relay_cli_printerr (_("could not read the message: %s"), g_strerror (errno));
          return NULL;
        }
      if (n > 0)
        g_byte_array_append (data, buffer, n);
      if (dot_ends && (dot = find_dot_line (data, &from, n == 0)) != G_MAXSIZE)
        g_byte_array_set_size (data, dot);
      /* the terminating line is not counted; what is kept never exceeds
       * the limit by more than one read */
      if (data->len > RELAY_OUTBOX_MAX_MESSAGE_SIZE)
        {
          relay_cli_printerr (_("the message is larger than 64 MiB"));
          return NULL;
        }
      if (n == 0 || dot != G_MAXSIZE)
        break;
    }

  return g_byte_array_free_to_bytes (g_steal_pointer (&data));
}

/* Each address once, whatever the case of its domain */
static void
add_recipient (GPtrArray  *recipients,
               const char *address)
{
  for (guint i = 0; i < recipients->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (recipients, i), address) == 0)
      return;

  g_ptr_array_add (recipients, g_strdup (address));
}

/**
 * relay_cli_sendmail:
 *
 * `mail-relay-cli sendmail [-t] [-i|-oi] [-f ADDR] [-F NAME] [--]
 * [ADDR...]`: queues the message on standard input through the account
 * its envelope sender routes to, then sends that account's messages.
 * Also run when mail-relay-cli is called as `sendmail`.
 *
 * Returns: 0 once queued, 64 bad usage, 65 a message that cannot be
 *   read, 75 when it could not be queued
 */
int
relay_cli_sendmail (int    argc,
                    char **argv)
{
  g_auto(Options) options = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) input = NULL;
  g_autoptr(RelaySubmission) submission = NULL;
  g_autoptr(GPtrArray) recipients = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(RelayAccountStore) store = NULL;
  g_autoptr(RelaySendLog) log = relay_send_log_new (NULL);
  g_autoptr(RelayOutbox) outbox = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *queued = NULL;
  const char *from_field = NULL;
  gboolean sender_given;
  RelayAccount *account;
  int status;

  if ((status = parse_options (&options, argc, argv)) >= 0)
    return status;

  if (!options.take_recipients && options.recipients->len == 0)
    {
      relay_cli_printerr (_("sendmail: give the recipients, or -t to take them from the message"));
      return RELAY_CLI_EX_USAGE;
    }

  /* -f ADDR, or -f <ADDR> as some callers write it */
  if (options.sender != NULL && options.sender[0] != '\0')
    {
      g_autofree char *bare = g_str_has_prefix (options.sender, "<") && g_str_has_suffix (options.sender, ">")
                              ? g_strndup (options.sender + 1, strlen (options.sender) - 2)
                              : g_strdup (options.sender);

      if (!(sender = relay_validate_address_field (bare, _("Sender address"), &error)))
        {
          relay_cli_printerr ("-f: %s", error->message);
          return RELAY_CLI_EX_USAGE;
        }
    }
  sender_given = sender != NULL;

  if (!(input = read_message (options.dot_ends)))
    return RELAY_CLI_EX_DATAERR;

  if (!(submission = relay_submission_parse (input, &error)))
    {
      relay_cli_printerr (_("the message cannot be read: %s"), error->message);
      return RELAY_CLI_EX_DATAERR;
    }

  /* the recipients: the arguments, and with -t those of To, Cc and Bcc */
  for (guint i = 0; i < options.recipients->len; i++)
    add_recipient (recipients, g_ptr_array_index (options.recipients, i));
  if (options.take_recipients)
    {
      const char * const *listed = relay_submission_get_recipients (submission);

      for (guint i = 0; listed[i]; i++)
        {
          g_autofree char *address = relay_validate_address_field (listed[i], _("Recipient"), &error);

          if (address == NULL)
            {
              relay_cli_printerr (_("the message cannot be read: %s"), error->message);
              return RELAY_CLI_EX_DATAERR;
            }
          add_recipient (recipients, address);
        }
      if (recipients->len == 0)
        {
          relay_cli_printerr (_("-t: the message has no recipient in To, Cc or Bcc"));
          return RELAY_CLI_EX_DATAERR;
        }
    }
  g_ptr_array_add (recipients, NULL);

  /* the envelope sender: -f, else the From field's address */
  from_field = relay_submission_get_from (submission);
  if (sender == NULL && from_field != NULL &&
      !(sender = relay_validate_address_field (from_field, "From", &error)))
    {
      relay_cli_printerr (_("the message cannot be read: %s"), error->message);
      return RELAY_CLI_EX_DATAERR;
    }

  if (!(store = relay_cli_load_store ()))
    return RELAY_CLI_EX_TEMPFAIL;

  /* a sender no account may use is the caller's to fix: in -f, a usage
   * error; in the message's From, the message's */
  if (!(account = relay_account_store_route (store, sender, &error)))
    {
      if (g_error_matches (error, RELAY_ACCOUNT_STORE_ERROR, RELAY_ACCOUNT_STORE_ERROR_SENDER_REFUSED))
        {
          relay_cli_printerr ("%s: %s", sender_given ? "-f" : "From", error->message);
          return sender_given ? RELAY_CLI_EX_USAGE : RELAY_CLI_EX_DATAERR;
        }
      relay_cli_printerr ("%s", _("no account is set up yet; create one with “mail-relay-cli account set”"));
      return RELAY_CLI_EX_TEMPFAIL;
    }
  if (sender == NULL)
    sender = g_strdup (relay_account_get_from (account));

  now = g_date_time_new_now_local ();
  message = relay_submission_finish (submission, sender, options.full_name, now, &message_id);

  outbox = relay_outbox_new (NULL);
  relay_outbox_set_source (outbox, "sendmail");
  queued = relay_outbox_add_message (outbox, account, sender, (const char * const *)recipients->pdata,
                                     message_id, relay_submission_get_subject (submission), message, log, &error);
  if (queued == NULL)
    {
      if (g_error_matches (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_BAD_MESSAGE))
        {
          relay_cli_printerr (_("the message cannot be read: %s"), error->message);
          return RELAY_CLI_EX_DATAERR;
        }
      /* Translators: why the message could not be queued */
      relay_cli_printerr (_("the message could not be queued: %s"), error->message);
      return RELAY_CLI_EX_TEMPFAIL;
    }

  if (options.queue_only)
    return RELAY_CLI_EXIT_OK;

  /* queued: what happens next is said, and changes nothing of the status */
  if (relay_cli_network_drain (store, account, log, FALSE, TRUE) != RELAY_CLI_EXIT_OK)
    /* Translators: a Message-ID */
    relay_cli_printerr (_("<%s> is queued, but was not sent now; “mail-relay-cli flush” sends it, and “mail-relay-cli log” shows what happened"),
                        queued);

  return RELAY_CLI_EXIT_OK;
}
