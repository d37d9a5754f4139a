/* relay-outbox-send.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One message's exchange with the server, for the drain
 * (relay-outbox-drain.c): the session opened and closed, the message's
 * "sending" mark, its envelope, its data and the server's verdict on it
 * (read with the next message's replies: docs/pipelining.md), each
 * recipient sorted by its reply, and what was refused settled: deferred
 * with backoff, held for quota, or failed.
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "relay-diagnosis.h"
#include "relay-outbox.h"
#include "relay-outbox-private.h"
#include "relay-smtp-session.h"
#include "relay-throttle.h"
#include "relay-validate.h"

#define MAX_ATTEMPTS 6
#define SESSION_TIMEOUT 30    /* s, for each read */
#define SLOWEST_RATE 32768    /* bytes/s a message's deadline allows for its size */

/* When an exchange with the server that starts now must be over
 * (monotonic µs): a server that trickles its replies a byte at a time
 * holds the outbox, its lock and the app's Send Now no longer than this.
 * The base is the outbox's send deadline (relay_outbox_new () reads
 * MAIL_RELAY_SEND_DEADLINE_SECONDS, for tests). */
static gint64
exchange_deadline (Drain *drain,
                   gsize  size)
{
  double base = drain->send_deadline;

  return g_get_monotonic_time () + (gint64)((base + (double)size / SLOWEST_RATE) * G_USEC_PER_SEC);
}

/* The base is the outbox's retry base (relay_outbox_new () reads
 * MAIL_RELAY_RETRY_BASE_SECONDS, for tests) */
static gint64
retry_delay (Drain *drain,
             guint  attempt)
{
  double base = drain->retry_base;
  double jitter = 0.8 + 0.4 * g_random_double ();  /* not a secret: spreads retries */

  return (gint64)(base * (1 << MIN (attempt - 1, 10)) * jitter * G_USEC_PER_SEC);
}

/* FALSE when the verdict on the message in flight, taken first, stops
 * the drain */
gboolean
relay_outbox_close_session (Drain    *drain,
               gboolean  polite)
{
  gboolean go_on;

  if (drain->session == NULL)
    return TRUE;

  /* the message in flight first: its data, and the server's verdict */
  go_on = relay_outbox_finish_in_flight (drain);
  if (drain->session == NULL)
    return go_on;

  if (polite)
    {
      relay_smtp_session_set_deadline (drain->session, exchange_deadline (drain, 0));
      relay_smtp_session_quit (drain->session, drain->cancellable, NULL);
    }
  relay_smtp_session_close (drain->session);
  g_clear_object (&drain->session);
  drain->on_connection = 0;
  return go_on;
}

/* On failure the session stays in @drain, with the reply that ended it,
 * for classify(); drain->step names the step that failed */
static gboolean
open_session (Drain   *drain,
              GError **error)
{
  RelayAccount *account = drain->account;
  RelaySecurity security = relay_account_get_security (account);
  const char *username = relay_account_get_username (account);
  RelaySmtpSession *session;

  session = drain->session = relay_smtp_session_new (relay_account_get_host (account),
                                                     relay_account_get_port (account), security);
  drain->on_connection = 0;
  relay_smtp_session_set_timeout (session, SESSION_TIMEOUT);
  relay_smtp_session_set_deadline (session, exchange_deadline (drain, 0));
  relay_smtp_session_set_ca_file (session, relay_account_get_ca_file (account));
  relay_smtp_session_set_pins (session, relay_account_get_pins (account));
  relay_smtp_session_set_allow_insecure (session, relay_account_get_allow_insecure (account));

  drain->step = "resolve";
  if (!relay_smtp_session_resolve (session, drain->cancellable, error))
    return FALSE;
  drain->step = "connect";
  if (!relay_smtp_session_connect (session, drain->cancellable, error))
    return FALSE;
  drain->step = "tls";
  if (security == RELAY_SECURITY_TLS && !relay_smtp_session_handshake (session, drain->cancellable, error))
    return FALSE;
  drain->step = "greeting";
  if (!relay_smtp_session_read_greeting (session, drain->cancellable, error))
    return FALSE;
  drain->step = "ehlo";
  if (!relay_smtp_session_ehlo (session, drain->cancellable, error))
    return FALSE;

  if (security == RELAY_SECURITY_STARTTLS)
    {
      drain->step = "starttls";
      if (!relay_smtp_session_starttls (session, drain->cancellable, error))
        return FALSE;
      drain->step = "tls";
      if (!relay_smtp_session_handshake (session, drain->cancellable, error))
        return FALSE;
      drain->step = "ehlo";
      if (!relay_smtp_session_ehlo (session, drain->cancellable, error))
        return FALSE;
    }

  drain->step = "auth";
  if (username[0] != '\0' && drain->secret != NULL &&
      !relay_smtp_session_authenticate (session, relay_account_get_auth (account), username,
                                        drain->secret, drain->cancellable, error))
    return FALSE;

  return TRUE;
}

/* The reply a failed step got (into @reply, whenever the server said
 * something), what it means for the message (returned) and in words
 * (@detail) */
static RelayDisposition
classify (Drain        *drain,
          const char   *step,
          const GError *error,
          char        **reply,
          char        **detail)
{
  const RelaySmtpReply *last = drain->session ? relay_smtp_session_get_last_reply (drain->session) : NULL;
  g_autoptr(RelayDiagnosis) diagnosis = NULL;

  if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY) && last != NULL)
    {
      diagnosis = relay_diagnose_reply (step, last->code, last->enhanced, relay_smtp_reply_get_text (last));
      *reply = relay_smtp_reply_to_string (last);
    }
  else
    diagnosis = relay_diagnose_error (step, error);

  *detail = g_strdup (diagnosis->message);
  return diagnosis->disposition;
}

void
relay_outbox_fail (Drain      *drain,
      Item       *item,
      const char *reply,
      const char *detail)
{
  if (!relay_outbox_record_event (drain, item, RELAY_SEND_STATUS_FAILED, reply, detail))
    return;
  relay_outbox_remove_item (drain->outbox, item);
  drain->report->failed++;
}

static void
defer (Drain      *drain,
       Item       *item,
       const char *reply,
       const char *detail)
{
  if (item->attempt >= MAX_ATTEMPTS)
    {
      g_autofree char *gave_up = g_strdup_printf (_("Gave up after %u attempts: %s"), item->attempt, detail);

      relay_outbox_fail (drain, item, reply, gave_up);
      return;
    }

  item->next_attempt = g_get_real_time () + retry_delay (drain, item->attempt);
  if (!relay_outbox_record_event (drain, item, RELAY_SEND_STATUS_DEFERRED, reply, detail))
    return;
  g_free (item->state);
  item->state = g_strdup ("deferred");
  relay_outbox_write_item (drain->outbox, item, NULL);
}


static gint64
hold_until (Drain *drain)
{
  guint window = MAX (relay_account_get_recipient_window (drain->account),
                      relay_account_get_message_window (drain->account));

  return g_get_real_time () + (window ? (gint64)window * G_USEC_PER_SEC : retry_delay (drain, 1));
}

/* Holds every message until the provider's window allows */
static void
hold (Drain      *drain,
      Item       *item,
      const char *reply,
      const char *detail)
{
  item->next_attempt = hold_until (drain);
  if (!relay_outbox_record_event (drain, item, RELAY_SEND_STATUS_THROTTLED, reply, detail))
    return;
  g_free (item->state);
  item->state = g_strdup ("throttled");
  relay_outbox_write_item (drain->outbox, item, NULL);
  drain->report->held_until = item->next_attempt;
}

/* What a refused message becomes: deferred, held with the outbox, or
 * failed. FALSE when the drain must stop. */
static gboolean
settle (Drain            *drain,
        Item             *item,
        RelayDisposition  disposition,
        const char       *reply,
        const char       *detail)
{
  switch (disposition)
    {
    case RELAY_DISPOSITION_TEMPORARY:
      defer (drain, item, reply, detail);
      return TRUE;
    case RELAY_DISPOSITION_QUOTA:
      hold (drain, item, reply, detail);
      return FALSE;
    case RELAY_DISPOSITION_PERMANENT:
    case RELAY_DISPOSITION_OK:
    default:
      relay_outbox_fail (drain, item, reply, detail);
      return TRUE;
    }
}

/* What the server said to each RCPT of @item: who takes the message now
 * (@accepted), who never will (logged failed, one event each with its own
 * reply) and who may later (@later, logged deferred or held, one event
 * each). The outbox itself is not changed here. FALSE when a recipient's
 * reply holds the whole outbox (a quota). */
static gboolean
sort_recipients (Drain      *drain,
                 Item       *item,
                 GPtrArray  *replies,
                 GStrv      *accepted,
                 GStrv      *later)
{
  g_autoptr(GStrvBuilder) taken = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) waiting = g_strv_builder_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean quota = FALSE;
  gint64 next = g_get_real_time () + retry_delay (drain, item->attempt);

  for (guint i = 0; item->recipients[i]; i++)
    {
      const RelaySmtpReply *reply = g_ptr_array_index (replies, i);
      const char *one[] = { item->recipients[i], NULL };
      g_autoptr(RelayDiagnosis) diagnosis = NULL;
      g_autofree char *text = NULL;
      RelaySendStatus status;
      RelaySendLogEntry *entry;

      if (relay_smtp_reply_is_positive (reply))
        {
          g_strv_builder_add (taken, item->recipients[i]);
          continue;
        }

      diagnosis = relay_diagnose_reply ("rcpt", reply->code, reply->enhanced, relay_smtp_reply_get_text (reply));
      text = relay_smtp_reply_to_string (reply);

      if (diagnosis->disposition == RELAY_DISPOSITION_PERMANENT ||
          diagnosis->disposition == RELAY_DISPOSITION_OK ||
          item->attempt >= MAX_ATTEMPTS)
        {
          g_autofree char *detail = item->attempt >= MAX_ATTEMPTS && diagnosis->disposition != RELAY_DISPOSITION_PERMANENT
            ? g_strdup_printf (_("Gave up after %u attempts: %s"), item->attempt, diagnosis->message)
            : g_strdup (diagnosis->message);

          status = RELAY_SEND_STATUS_FAILED;
          entry = relay_outbox_make_entry_for (drain->account, item, one, status, text, detail);
          drain->report->failed++;
        }
      else
        {
          if (diagnosis->disposition == RELAY_DISPOSITION_QUOTA && !quota)
            {
              quota = TRUE;
              next = hold_until (drain);
              drain->report->held_until = next;
            }
          status = quota ? RELAY_SEND_STATUS_THROTTLED : RELAY_SEND_STATUS_DEFERRED;
          g_strv_builder_add (waiting, item->recipients[i]);
          entry = relay_outbox_make_entry_for (drain->account, item, one, status, text, diagnosis->message);
        }

      g_ptr_array_add (events, entry);
    }

  /* one retry time for all who wait */
  for (guint i = 0; i < events->len; i++)
    {
      RelaySendLogEntry *entry = g_ptr_array_index (events, i);

      if (relay_send_log_entry_get_status (entry) != RELAY_SEND_STATUS_FAILED)
        {
          g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (next / G_USEC_PER_SEC);

          relay_send_log_entry_set_next_attempt (entry, when);
        }
    }

  if (events->len > 0)
    relay_outbox_record (drain, (RelaySendLogEntry **)events->pdata, events->len);

  *accepted = g_strv_builder_end (taken);
  *later = g_strv_builder_end (waiting);
  if ((*later)[0] == NULL)
    g_clear_pointer (later, g_strfreev);
  item->next_attempt = next;

  return !quota;
}

/* The server does not offer SMTPUTF8 (RFC 6531): an international address
 * cannot go through it, ever. Those recipients relay_outbox_fail (the message, when
 * the sender is one); FALSE when nobody is left to send to. */
static gboolean
drop_international (Drain *drain,
                    Item  *item)
{
  g_autoptr(GStrvBuilder) rest = g_strv_builder_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto(GStrv) left = NULL;

  if (relay_address_needs_smtputf8 (item->from))
    {
      g_autofree char *why = g_strdup_printf (_("The server does not take international addresses (it does not offer SMTPUTF8), and the sender address %s is one."),
                                              item->from);

      relay_outbox_fail (drain, item, NULL, why);
      return FALSE;
    }

  for (guint i = 0; item->recipients[i]; i++)
    {
      const char *one[] = { item->recipients[i], NULL };
      g_autofree char *why = NULL;

      if (!relay_address_needs_smtputf8 (item->recipients[i]))
        {
          g_strv_builder_add (rest, item->recipients[i]);
          continue;
        }

      why = g_strdup_printf (_("The server does not take international addresses (it does not offer SMTPUTF8), so it cannot send to %s."),
                             item->recipients[i]);
      g_ptr_array_add (events, relay_outbox_make_entry_for (drain->account, item, one, RELAY_SEND_STATUS_FAILED, NULL, why));
    }

  /* all of them or none: not recorded, the item stays as it was and the
   * drain stops */
  if (events->len > 0 && !relay_outbox_record (drain, (RelaySendLogEntry **)events->pdata, events->len))
    return FALSE;
  drain->report->failed += events->len;

  left = g_strv_builder_end (rest);
  if (left[0] == NULL)
    {
      relay_outbox_remove_item (drain->outbox, item);
      return FALSE;
    }

  if (g_strv_length (left) != g_strv_length (item->recipients))
    {
      g_strfreev (item->recipients);
      item->recipients = g_steal_pointer (&left);
      relay_outbox_write_item (drain->outbox, item, NULL);
    }

  return TRUE;
}

/* Marks @item “sending” in the journal: from here the server may take
 * the message, and a crash means unknown. Durable at once with @durable,
 * else by the next relay_outbox_journal_sync () (before its data goes). */
static gboolean
mark_sending (Drain    *drain,
              Item     *item,
              gboolean  durable)
{
  g_autoptr(GError) error = NULL;

  g_free (item->state);
  item->state = g_strdup ("sending");
  if ((item->digest != NULL ||
       relay_outbox_read_envelope_digest (drain->outbox, item->id, &item->digest, &error)) &&
      relay_outbox_journal_append (&drain->journal, item, &error) &&
      (!durable || relay_outbox_journal_sync (&drain->journal, &error)))
    return TRUE;

  relay_outbox_close_session (drain, FALSE);
  drain->report->stopped_by = g_strdup (error->message);
  /* not marked: as it is on disk, for the report */
  g_clear_pointer (&item->digest, g_free);
  return FALSE;
}

/* @item was marked, but its data never went: the mark ends, and it is
 * what it was before (@state) */
static void
unmark (Drain      *drain,
        Item       *item,
        const char *state)
{
  relay_outbox_journal_release (&drain->journal, item);
  g_free (item->state);
  item->state = g_strdup (state);
}

/* The server's verdict on a message it may have taken never came */
static gboolean
unknown (Drain        *drain,
         Item         *item,
         const GError *error)
{
  relay_outbox_close_session (drain, FALSE);
  /* not recorded: it stays “sending”, and the next run says unknown */
  if (!relay_outbox_record_event (drain, item, RELAY_SEND_STATUS_UNKNOWN, NULL, error->message))
    return FALSE;
  relay_outbox_finish_item (drain->outbox, item, NULL);
  drain->report->unknown++;
  return TRUE;
}

/* Those put off by their RCPT's reply go with those who took the
 * message again: when the message itself did not go */
static void
rejoin_later (Item *item)
{
  g_autoptr(GStrvBuilder) all = NULL;

  if (item->later == NULL)
    return;

  all = g_strv_builder_new ();
  g_strv_builder_addv (all, (const char **)item->recipients);
  g_strv_builder_addv (all, (const char **)item->later);
  g_strfreev (item->recipients);
  item->recipients = g_strv_builder_end (all);
  g_clear_pointer (&item->later, g_strfreev);
}

/* The message itself was refused (DATA, or its data): for everyone it
 * still goes to; or its verdict never came. FALSE when the drain must
 * stop. */
static gboolean
data_failed (Drain        *drain,
             Item         *item,
             const GError *error)
{
  g_autofree char *reply = NULL;
  g_autofree char *detail = NULL;
  RelayDisposition disposition;

  /* the answer to the end of data never came */
  if (!g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY))
    return unknown (drain, item, error);

  disposition = classify (drain, "data", error, &reply, &detail);
  if (reply != NULL && g_str_has_prefix (reply, "421"))
    relay_outbox_close_session (drain, FALSE);

  rejoin_later (item);
  return settle (drain, item, disposition, reply, detail);
}

/* The verdict on the message in flight: read (unless the replies to the
 * next message's envelope brought it already) and recorded. FALSE when
 * the drain must stop. */
gboolean
relay_outbox_finish_in_flight (Drain *drain)
{
  Item *item = g_steal_pointer (&drain->in_flight);
  g_autofree char *state = g_steal_pointer (&drain->in_flight_state);
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = NULL;

  if (item == NULL)
    return TRUE;

  /* not cancelled: the data may be on its way, and its verdict is what
   * it became (the deadline bounds the wait) */
  relay_smtp_session_set_deadline (drain->session, exchange_deadline (drain, drain->in_flight_size));
  drain->in_flight_size = 0;
  if (!relay_smtp_session_finish_data (drain->session, NULL, &error))
    {
      /* not one byte of its data went (cancelled, past its deadline, a
       * conversation out of step): the server cannot have it, and it
       * waits for its retry, with everyone it still goes to */
      if (relay_smtp_session_has_unsent_data (drain->session))
        {
          relay_outbox_close_session (drain, FALSE);
          unmark (drain, item, state);
          rejoin_later (item);
          return settle (drain, item, RELAY_DISPOSITION_TEMPORARY, NULL, error->message);
        }
      return data_failed (drain, item, error);
    }

  reply = relay_smtp_reply_to_string (relay_smtp_session_get_last_reply (drain->session));
  g_ptr_array_add (drain->pending_entries,
                   relay_outbox_make_entry (drain->account, item, RELAY_SEND_STATUS_SENT, reply, NULL));
  g_ptr_array_add (drain->pending_items, item);
  if (drain->pending_entries->len >= MAX_PENDING)
    relay_outbox_flush_sent (drain);
  drain->report->sent++;

  return TRUE;
}

/* Sends one message: its data goes with the next message's envelope, or
 * before whatever comes next (relay_outbox_finish_in_flight ()). FALSE when the drain
 * must stop. */
gboolean
relay_outbox_send_item (Drain *drain,
           Item  *item)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) sync_error = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GPtrArray) replies = NULL;
  g_auto(GStrv) accepted = NULL;
  g_auto(GStrv) later = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *state = NULL;
  gsize length;
  RelayDisposition disposition = RELAY_DISPOSITION_OK;
  gboolean go_on;
  gboolean with_envelope;
  gboolean unchanged;
  gboolean begun;
  gboolean before;
  gboolean held;
  gboolean unsent = FALSE;

  /* a message that may have reached the server is never sent again */
  if (drain->halted)
    return FALSE;
  if (item_handed_over (item))
    return TRUE;

  if (!relay_outbox_read_message (drain->outbox, item, &contents, &length, &error))
    {
      g_autofree char *why = g_strdup_printf (_("The message’s file %s.eml cannot be sent: %s"), item->id, error->message);

      relay_outbox_fail (drain, item, NULL, why);
      return TRUE;
    }
  message = g_bytes_new_take (g_steal_pointer (&contents), length);

  item->attempt++;

  if (drain->session == NULL || drain->on_connection >= drain->per_connection)
    {
      /* the verdict on the message in flight may stop the drain */
      if (!relay_outbox_close_session (drain, TRUE) || drain->halted)
        {
          item->attempt--;
          return FALSE;
        }
      if (drain->no_token != NULL)
        {
          defer (drain, item, NULL, drain->no_token->message);
          return TRUE;
        }
      if (!open_session (drain, &error))
        {
          disposition = classify (drain, drain->step, error, &reply, &detail);
          relay_outbox_close_session (drain, FALSE);

          /* no server, or no credentials: nothing else can go either */
          if (disposition == RELAY_DISPOSITION_TEMPORARY)
            {
              defer (drain, item, reply, detail);
              return TRUE;
            }

          item->attempt--;
          relay_outbox_write_item (drain->outbox, item, NULL);
          drain->report->stopped_by = g_strdup (detail);
          return FALSE;
        }
    }

  if (!relay_smtp_session_has_capability (drain->session, "SMTPUTF8") && !drop_international (drain, item))
    return !drain->halted;

  relay_smtp_session_set_deadline (drain->session,
                                   exchange_deadline (drain, length + drain->in_flight_size));

  /* Marked before the envelope goes, with every recipient that may take
   * it, and made durable while the server answers (with BDAT, where the
   * message itself goes with the envelope, before) */
  with_envelope = relay_smtp_session_sends_with_envelope (drain->session);
  state = g_strdup (item->state);
  if (!mark_sending (drain, item, with_envelope))
    return FALSE;

  begun = relay_smtp_session_begin_message_write (drain->session, item->from, (const char * const *)item->recipients,
                                                  message, drain->cancellable, &error);
  if (begun && !with_envelope && !relay_outbox_journal_sync (&drain->journal, &sync_error))
    {
      /* the mark is not on disk: the message must not go (after DATA's
       * 354, closing the connection is the one way not to send it) */
      relay_outbox_finish_in_flight (drain);
      relay_outbox_close_session (drain, FALSE);
      unmark (drain, item, state);
      item->attempt--;
      drain->report->stopped_by = g_strdup (sync_error->message);
      return FALSE;
    }
  if (begun)
    begun = relay_smtp_session_begin_message_read (drain->session, &replies, drain->cancellable, &error);

  /* what went wrong, from the reply to MAIL (not what the RCPTs got
   * after it), before the verdict on the message in flight is taken; and
   * whether not one byte of this message went (with BDAT, the message) */
  if (!begun)
    {
      disposition = classify (drain, "mail", error, &reply, &detail);
      unsent = relay_smtp_session_has_unsent_data (drain->session);
    }

  /* The message before: its verdict came with these replies. One that
   * stops the drain (a quota, a log that cannot be written) stops it
   * after this message too; one that ended the connection (a 421, no
   * verdict) leaves this message as the connection left it. */
  before = relay_outbox_finish_in_flight (drain);
  if (begun && (drain->session == NULL || (!before && !with_envelope)))
    {
      /* with BDAT it went with its envelope: the server may have it */
      if (with_envelope)
        {
          g_autoptr(GError) closed = g_error_new_literal (RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_CLOSED,
                                                          _("The connection to the server is closed"));

          return unknown (drain, item, closed) && before;
        }

      /* with DATA its data did not go: it waits, as it was (after the
       * 354, closing the connection is the one way not to send it) */
      if (drain->session != NULL)
        relay_smtp_session_rset (drain->session, drain->cancellable, NULL);
      unmark (drain, item, state);
      item->attempt--;
      return before && !drain->halted;
    }

  if (!begun)
    {
      gboolean closed = !g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY);

      /* with BDAT the message may have gone, unless refused before anything was sent */
      if (with_envelope && closed && !unsent &&
          !g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_BAD_INPUT) &&
          !g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_TOO_BIG))
        return unknown (drain, item, error) && before;

      unmark (drain, item, state);
      if (closed || (reply != NULL && g_str_has_prefix (reply, "421")))
        relay_outbox_close_session (drain, FALSE);
      else if (drain->session != NULL)
        relay_smtp_session_rset (drain->session, drain->cancellable, NULL);

      return settle (drain, item, disposition, reply, detail) && before;
    }

  /* FALSE: a recipient's reply holds the outbox (a quota) */
  held = !sort_recipients (drain, item, replies, &accepted, &later);
  go_on = !held && before;
  if (drain->halted)
    {
      /* the refusals could not be recorded: the message stays as it was
       * (with BDAT it went with its envelope: its mark holds, and the
       * next run records it unknown for those who took it) */
      relay_smtp_session_rset (drain->session, drain->cancellable, NULL);
      if (!with_envelope)
        unmark (drain, item, state);
      return FALSE;
    }

  if (accepted[0] == NULL)
    {
      /* nobody takes it now: no DATA */
      relay_smtp_session_rset (drain->session, drain->cancellable, NULL);
      unmark (drain, item, state);
      if (later == NULL)
        {
          relay_outbox_remove_item (drain->outbox, item);
          return go_on;
        }

      g_strfreev (item->recipients);
      item->recipients = g_steal_pointer (&later);
      g_free (item->state);
      item->state = g_strdup (held ? "throttled" : "deferred");
      relay_outbox_write_item (drain->outbox, item, NULL);
      return go_on;
    }

  /* The mark names the recipients that may take the message: again
   * when their replies changed who they are. A crash then means unknown
   * for those who took it; those put off still wait for their retry. */
  unchanged = later == NULL && item->later == NULL && g_strv_length (accepted) == g_strv_length (item->recipients);
  g_strfreev (item->recipients);
  item->recipients = g_steal_pointer (&accepted);
  g_strfreev (item->later);
  item->later = g_steal_pointer (&later);
  if (!unchanged && !mark_sending (drain, item, TRUE))
    return FALSE;

  relay_throttle_record (drain->throttle, g_get_real_time (), g_strv_length (item->recipients));

  if (!relay_smtp_session_send_data (drain->session, message, drain->cancellable, &error))
    {
      /* DATA, sent only now (without PIPELINING), got no 354: the data
       * never went */
      unmark (drain, item, state);
      if (g_error_matches (error, RELAY_SMTP_ERROR, RELAY_SMTP_ERROR_REPLY))
        return data_failed (drain, item, error) && go_on;

      relay_outbox_close_session (drain, FALSE);
      rejoin_later (item);
      return settle (drain, item, RELAY_DISPOSITION_TEMPORARY, NULL, error->message) && go_on;
    }

  drain->in_flight = item;
  drain->in_flight_size = length;
  drain->in_flight_state = g_steal_pointer (&state);
  drain->on_connection++;

  return go_on;
}
