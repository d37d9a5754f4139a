/* relay-cli-log.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "relay-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "relay-cli.h"
#include "relay-cli-options.h"
#include "relay-format.h"
#include "relay-send-log.h"

#define OUTPUT_BUFFER (1024 * 1024)

enum {
  WIDTH_TIME = 19,
  WIDTH_STATUS = 9,
  WIDTH_RECIPIENTS = 30,
  WIDTH_SUBJECT = 30,
};

static gboolean
print_json_line (const char *line,
                 gsize       length,
                 gpointer    user_data)
{
  fwrite (line, 1, length, stdout);
  putchar ('\n');
  return !ferror (stdout);
}

/* Pads or cuts @text to @width characters; a width of 0 takes it whole.
 * Control characters (a multi-line reply) become spaces. */
static void
append_cell (GString    *row,
             const char *text,
             guint       width)
{
  guint n = 0;

  /* by display width: a CJK character takes two columns */
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      guint w = g_unichar_iswide (c) ? 2 : 1;

      if (width > 0 && n + w + 1 > width && *g_utf8_next_char (p) != '\0')
        {
          g_string_append (row, "…");
          n++;
          break;
        }

      /* as relay_text_for_display (): a line break keeps the row, and no
       * escape sequence or bidirectional control from a server reaches
       * the terminal */
      if (c == '\t' || c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029)
        g_string_append_c (row, ' ');
      else if (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT)
        g_string_append_unichar (row, 0xFFFD);
      else
        g_string_append_unichar (row, c);
      n += w;
    }

  for (; n < width; n++)
    g_string_append_c (row, ' ');

  if (width > 0)
    g_string_append (row, "  ");
}

static void
print_header (void)
{
  g_autoptr(GString) row = g_string_new (NULL);

  append_cell (row, _("Time"), WIDTH_TIME);
  append_cell (row, _("Status"), WIDTH_STATUS);
  append_cell (row, _("Recipients"), WIDTH_RECIPIENTS);
  append_cell (row, _("Subject"), WIDTH_SUBJECT);
  append_cell (row, _("Reply"), 0);
  g_string_append_c (row, '\n');
  fwrite (row->str, 1, row->len, stdout);
}

typedef struct
{
  GString  *row;
  gboolean  header_done;
} Table;

static gboolean
print_table_line (const char *line,
                  gsize       length,
                  gpointer    user_data)
{
  Table *table = user_data;
  g_autoptr(RelaySendLogEntry) entry = NULL;
  g_autofree char *time = NULL;
  g_autofree char *recipients = NULL;

  /* the readers pass only entries */
  entry = relay_send_log_entry_new_from_line (line, length, NULL);
  if (entry == NULL)
    return TRUE;

  if (!table->header_done)
    {
      print_header ();
      table->header_done = TRUE;
    }

  time = relay_format_time (relay_send_log_entry_get_time (entry));
  recipients = g_strjoinv (", ", (char **)relay_send_log_entry_get_recipients (entry));

  g_string_truncate (table->row, 0);
  append_cell (table->row, time, WIDTH_TIME);
  append_cell (table->row, relay_send_status_to_string (relay_send_log_entry_get_status (entry)),
               WIDTH_STATUS);
  append_cell (table->row, recipients, WIDTH_RECIPIENTS);
  append_cell (table->row, relay_send_log_entry_get_subject (entry), WIDTH_SUBJECT);
  append_cell (table->row, relay_send_log_entry_get_reply (entry), 0);
  g_string_append_c (table->row, '\n');
  fwrite (table->row->str, 1, table->row->len, stdout);

  return !ferror (stdout);
}

/* --account: only the events of one account, the newest @limit of them
 * when a limit is given; a line that names no account (an older
 * version's) is the default account's */
typedef struct
{
  RelaySendLogLineFunc  print;
  gpointer              print_data;
  const char           *account_id;
  gboolean              takes_unattributed;
  guint64               limit;      /* 0: all, printed as they come */
  GQueue               *newest;     /* of lines, with a limit */
} AccountFilter;

static gboolean
filter_line (const char *line,
             gsize       length,
             gpointer    user_data)
{
  AccountFilter *filter = user_data;
  g_autoptr(RelaySendLogEntry) entry = relay_send_log_entry_new_from_line (line, length, NULL);
  const char *account;

  if (entry == NULL)
    return TRUE;

  account = relay_send_log_entry_get_account (entry);
  if (account == NULL ? !filter->takes_unattributed : g_ascii_strcasecmp (account, filter->account_id) != 0)
    return TRUE;

  if (filter->limit == 0)
    return filter->print (line, length, filter->print_data);

  g_queue_push_tail (filter->newest, g_strndup (line, length));
  if (g_queue_get_length (filter->newest) > filter->limit)
    g_free (g_queue_pop_head (filter->newest));
  return TRUE;
}

/**
 * relay_cli_log:
 *
 * `mail-relay-cli log [--json] [--status STATUS] [--limit N] [--account A]`: the send
 * log, oldest first; with --limit only the newest N, read from the end of
 * the file. --json prints the stored lines themselves (JSON Lines). Lines
 * that are not events are counted and reported on stderr
 * (docs/send-log.md).
 */
int
relay_cli_log (int    argc,
               char **argv)
{
  g_autofree char *status_text = NULL;
  g_autofree char *limit_text = NULL;
  g_autofree char *chosen = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON Lines, one stored event a line"), NULL },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status_text,
      N_("Only events with this status: queued, sent, throttled, deferred, failed or unknown"), N_("STATUS") },
    { "limit", 0, 0, G_OPTION_ARG_STRING, &limit_text, N_("Only the newest N events"), "N" },
    { "account", 0, 0, G_OPTION_ARG_STRING, &chosen, N_("Only the events of this account, by name or id"), "NAME|ID" },
    { NULL }
  };
  g_autoptr(RelayAccountStore) store = NULL;
  AccountFilter filter = { 0 };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  RelaySendStatus status = 0;
  RelaySendStatus status_filter = RELAY_SEND_STATUS_ANY;
  guint64 limit = 0;
  Table table = { NULL, FALSE };
  RelaySendLogLineFunc print;
  guint n_skipped = 0;
  gboolean ok;

  g_option_context_set_summary (context, _("Show every attempt to send a message, oldest first."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!relay_cli_parse_options_only (context, &argc, &argv))
    return RELAY_CLI_EXIT_USAGE;

  if (status_text != NULL)
    {
      if (!relay_send_status_from_string (status_text, &status))
        {
          /* Translators: do not translate the status names, they are typed as they are */
          relay_cli_printerr (_("--status: “%s” is not one of queued, sent, throttled, deferred, failed, unknown"),
                              status_text);
          return RELAY_CLI_EXIT_USAGE;
        }
      status_filter = status;
    }

  if (limit_text != NULL &&
      !g_ascii_string_to_unsigned (limit_text, 10, 0, G_MAXINT32, &limit, NULL))
    {
      relay_cli_printerr (_("--limit: “%s” is not a whole number"), limit_text);
      return RELAY_CLI_EXIT_USAGE;
    }

  print = json ? print_json_line : print_table_line;

  if (chosen != NULL)
    {
      RelayAccount *account;
      int exit_status;

      if (!(store = relay_cli_load_store ()))
        return RELAY_CLI_EXIT_FAILED;
      if (!(account = relay_cli_choose_account (store, chosen, NULL, &exit_status)))
        return exit_status;
      filter.print = print;
      filter.account_id = relay_account_get_id (account);
      filter.takes_unattributed = account == relay_account_store_get_default (store);
      filter.limit = limit_text != NULL ? MAX (limit, 1) : 0;
      filter.newest = g_queue_new ();
    }

  table.row = g_string_new (NULL);
  setvbuf (stdout, NULL, _IOFBF, OUTPUT_BUFFER);
  path = relay_send_log_get_default_path ();

  if (chosen != NULL)
    {
      filter.print_data = &table;
      /* a limit of 0 shows nothing, as without --account */
      ok = (limit_text != NULL && limit == 0) ||
           relay_send_log_scan_full (path, status_filter, filter_line, &filter, &n_skipped, &error);
      for (GList *l = filter.newest->head; ok && l != NULL; l = l->next)
        if (!print (l->data, strlen (l->data), &table))
          break;
      g_queue_free_full (filter.newest, g_free);
    }
  else if (limit_text != NULL)
    {
      g_autoptr(GPtrArray) lines = relay_send_log_read_tail_full (path, limit, status_filter,
                                                                  &n_skipped, &error);

      ok = lines != NULL;
      for (guint i = 0; ok && i < lines->len; i++)
        {
          const char *line = g_ptr_array_index (lines, i);

          if (!print (line, strlen (line), &table))
            break;
        }
    }
  else
    ok = relay_send_log_scan_full (path, status_filter, print, &table, &n_skipped, &error);

  g_string_free (table.row, TRUE);

  /* never silently: what is in the file and not listed */
  if (ok && n_skipped > 0)
    relay_cli_printerr (ngettext ("warning: %'u line of %s is not a send log event (not JSON, or without the members of an event) and was skipped",
                                  "warning: %'u lines of %s are not send log events (not JSON, or without the members of an event) and were skipped",
                                  n_skipped),
                        n_skipped, path);

  if (!ok)
    {
      relay_cli_printerr (_("could not read the send log: %s"), error->message);
      return RELAY_CLI_EXIT_FAILED;
    }

  if (fflush (stdout) != 0 || ferror (stdout))
    {
      relay_cli_printerr (_("could not write the output"));
      return RELAY_CLI_EXIT_FAILED;
    }

  return RELAY_CLI_EXIT_OK;
}
