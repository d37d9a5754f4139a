/* relay-outbox-drain.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The drain engine: sends what the outbox holds, one process at a time
 * (the lock), over as few sessions as the provider allows, within the
 * account's limits (the throttle's waits); sorts each message's
 * recipients by their replies, and settles what was refused: deferred
 * with backoff, held for quota, or failed.
 */

#define G_LOG_DOMAIN "relay-outbox"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "relay-diagnosis.h"
#include "relay-oauth-account.h"
#include "relay-outbox.h"
#include "relay-outbox-private.h"
#include "relay-secrets.h"
#include "relay-secure-private.h"
#include "relay-smtp-session.h"
#include "relay-throttle.h"
#include "relay-validate.h"

#define MAX_ATTEMPTS 6
#define SESSION_TIMEOUT 30    /* s, for each read */
#define SLOWEST_RATE 32768    /* bytes/s a message's deadline allows for its size */

static void
say (Drain      *drain,
     const char *format,
     ...) G_GNUC_PRINTF (2, 3);
     
     static void
     say (Drain      *drain,
     const char *format,
     ...)
{
  g_autofree char *text = NULL;
  va_list args;

  if (drain->progress == NULL)
    return;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  drain->progress (text, drain->progress_data);
}

/* Waits until @until (µs of real time), or cancellation */
static gboolean
sleep_until (Drain  *drain,
             gint64  until)
{
  while (g_get_real_time () < until)
    {
      if (g_cancellable_is_cancelled (drain->cancellable))
        return FALSE;
      g_usleep (MIN (POLL_INTERVAL, until - g_get_real_time ()));
    }

  return !g_cancellable_is_cancelled (drain->cancellable);
}

/**
 * relay_outbox_queue:
 *
 * What the outbox holds now, oldest first, as this drain knows it: each
 * envelope read (and parsed) once per drain and kept, and changed as the
 * drain changes it. The folder itself is listed again each time, so
 * that what another process queues meanwhile is sent too, as is what a
 * write that failed left on disk (read again). The “sent” events still
 * pending are written first: the items are the cache's.
 *
 * Returns: (transfer container): the items, owned by the drain's cache
 */
GPtrArray *
relay_outbox_queue (Drain *drain)
{
  g_autoptr(GPtrArray) ids = relay_outbox_list_ids (drain->outbox);
  GHashTable *cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify)relay_outbox_item_free);
  GPtrArray *items = g_ptr_array_new ();

  relay_outbox_flush_sent (drain);

  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);
      gpointer key, value = NULL;
      Item *item;

      if (g_hash_table_steal_extended (drain->cache, id, &key, &value) &&
          ((Item *)value)->digest == NULL)
        g_clear_pointer ((Item **)&value, relay_outbox_item_free);

      item = value;
      if (item == NULL)
        {
          /* a damaged one is moved aside by the next drain (quarantine ()) */
          item = relay_outbox_read_item (drain->outbox, id, NULL);
          if (item == NULL)
            continue;
          relay_outbox_journal_apply (&drain->journal, item);
        }

      /* another account's */
      if (!relay_outbox_drain_takes (drain, item))
        {
          relay_outbox_item_free (item);
          continue;
        }

      g_hash_table_insert (cache, item->id, item);
      g_ptr_array_add (items, item);
    }

  /* what is no longer there goes */
  g_hash_table_unref (drain->cache);
  drain->cache = cache;

  return items;
}

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

static gboolean finish_in_flight (Drain *drain);

/* FALSE when the verdict on the message in flight, taken first, stops
 * the drain */
static gboolean
close_session (Drain    *drain,
               gboolean  polite)
{
  gboolean go_on;

  if (drain->session == NULL)
    return TRUE;

  /* the message in flight first: its data, and the server's verdict */
  go_on = finish_in_flight (drain);
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

static void
fail (Drain      *drain,
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

      fail (drain, item, reply, gave_up);
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
      fail (drain, item, reply, detail);
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
 * cannot go through it, ever. Those recipients fail (the message, when
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

      fail (drain, item, NULL, why);
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

  close_session (drain, FALSE);
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
  close_session (drain, FALSE);
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
    close_session (drain, FALSE);

  rejoin_later (item);
  return settle (drain, item, disposition, reply, detail);
}

/* The verdict on the message in flight: read (unless the replies to the
 * next message's envelope brought it already) and recorded. FALSE when
 * the drain must stop. */
static gboolean
finish_in_flight (Drain *drain)
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
          close_session (drain, FALSE);
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
 * before whatever comes next (finish_in_flight ()). FALSE when the drain
 * must stop. */
static gboolean
send_item (Drain *drain,
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

      fail (drain, item, NULL, why);
      return TRUE;
    }
  message = g_bytes_new_take (g_steal_pointer (&contents), length);

  item->attempt++;

  if (drain->session == NULL || drain->on_connection >= drain->per_connection)
    {
      /* the verdict on the message in flight may stop the drain */
      if (!close_session (drain, TRUE) || drain->halted)
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
          close_session (drain, FALSE);

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
      finish_in_flight (drain);
      close_session (drain, FALSE);
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
  before = finish_in_flight (drain);
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
        close_session (drain, FALSE);
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

      close_session (drain, FALSE);
      rejoin_later (item);
      return settle (drain, item, RELAY_DISPOSITION_TEMPORARY, NULL, error->message) && go_on;
    }

  drain->in_flight = item;
  drain->in_flight_size = length;
  drain->in_flight_state = g_steal_pointer (&state);
  drain->on_connection++;

  return go_on;
}

static int
take_lock (Drain   *drain,
           GError **error)
{
  g_autofree char *path = relay_outbox_lock_path (drain->outbox);
  int fd;

  if (!relay_outbox_ensure_dir (drain->outbox, error))
    return -1;
  fd = g_open (path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", path, g_strerror (saved_errno));
      return -1;
    }

  /* one drainer at a time; the others wait their turn */
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno != EWOULDBLOCK && errno != EINTR)
        {
          int saved_errno = errno;

          close (fd);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno), "%s: %s", path, g_strerror (saved_errno));
          return -1;
        }
      if (g_cancellable_set_error_if_cancelled (drain->cancellable, error))
        {
          close (fd);
          return -1;
        }
      say (drain, "%s", _("Waiting for another Mail Relay to finish sending…"));
      g_usleep (POLL_INTERVAL);
    }

  return fd;
}

static char *
get_secret (RelayAccount  *account,
            GCancellable  *cancellable,
            GError       **error)
{
  char *secret;

  if (relay_account_get_username (account)[0] == '\0')
    return NULL;

  if (relay_account_uses_token (account))
    return relay_oauth_account_get_access_token (account, FALSE, cancellable, error);

  secret = relay_secrets_lookup_sync (relay_account_get_id (account), RELAY_SECRET_PASSWORD, cancellable, error);
  if (secret == NULL && (error == NULL || *error == NULL))
    g_set_error_literal (error, RELAY_OUTBOX_ERROR, RELAY_OUTBOX_ERROR_CREDENTIALS,
                         _("No password is stored for this account."));
  if (secret != NULL)
    {
      char *copy = g_strdup (secret);

      secret_password_free (secret);
      return copy;
    }

  return NULL;
}

/* The credentials for the drain. A sign-in server that does not answer in
 * time (its token request has a deadline of its own) stops nothing: the
 * messages due are deferred. FALSE when nothing can be sent. */
static gboolean
fetch_secret (Drain   *drain,
              GError **error)
{
  g_autoptr(GError) local_error = NULL;

  g_clear_error (&drain->no_token);
  g_clear_pointer (&drain->secret, relay_secure_wipe_string);

  drain->secret = get_secret (drain->account, drain->cancellable, &local_error);
  if (drain->secret != NULL || relay_account_get_username (drain->account)[0] == '\0')
    return TRUE;

  if (g_error_matches (local_error, RELAY_OAUTH_ERROR, RELAY_OAUTH_ERROR_TOKEN_TIMEOUT))
    {
      drain->no_token = g_steal_pointer (&local_error);
      return TRUE;
    }

  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* Under the lock still: the journal ends (and goes, when no mark holds) */
static void
drain_clear (Drain *drain)
{
  relay_outbox_finish_cleanup (drain);
  relay_outbox_journal_finish (&drain->journal);
  g_clear_pointer (&drain->pending_entries, g_ptr_array_unref);
  g_clear_pointer (&drain->pending_items, g_ptr_array_unref);
  g_clear_pointer (&drain->cache, g_hash_table_unref);
  g_clear_pointer (&drain->in_flight_state, g_free);
}

static void
waiting_free (RelayOutboxWaiting *waiting)
{
  g_free (waiting->message_id);
  g_free (waiting->subject);
  g_strfreev (waiting->recipients);
  g_free (waiting);
}

/**
 * relay_outbox_drain:
 * @self: the outbox
 * @wait: what to wait for: %RELAY_OUTBOX_WAIT_THROTTLE for the account's
 *   windows to open, %RELAY_OUTBOX_WAIT_RETRY for deferred messages'
 *   next attempts too; without either, stop at the first message that
 *   cannot go now
 *
 * Sends what the outbox holds, one process at a time, over as few
 * connections as the provider allows, never faster than the account's
 * limits (counted from the send log, so across restarts too). Blocks:
 * the app and the CLI call relay_outbox_drain_async(), which runs it in a
 * worker thread of its own.
 *
 * Returns: (transfer full): what happened, or %NULL when the outbox
 *   could not be read or the credentials not found
 */
RelayOutboxReport *
relay_outbox_drain (RelayOutbox             *self,
                    RelayAccount            *account,
                    RelaySendLog            *log,
                    RelayOutboxWait          wait,
                    RelayOutboxProgressFunc  progress,
                    gpointer                 user_data,
                    GCancellable            *cancellable,
                    GError                 **error)
{
  g_autoptr(RelayThrottle) throttle = relay_throttle_new_for_account (account);
  g_autoptr(RelayOutboxReport) report = g_new0 (RelayOutboxReport, 1);
  g_autoptr(GPtrArray) left = NULL;
  RelayProvider *provider = relay_provider_lookup (relay_account_get_provider (account));
  Drain drain = { 0 };
  int lock;

  g_return_val_if_fail (RELAY_IS_OUTBOX (self), NULL);
  g_return_val_if_fail (RELAY_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (RELAY_IS_SEND_LOG (log), NULL);

  report->waiting = g_ptr_array_new_with_free_func ((GDestroyNotify)waiting_free);
  drain.outbox = self;
  drain.retry_base = relay_outbox_get_retry_base (self);
  drain.send_deadline = relay_outbox_get_send_deadline (self);
  drain.account = account;
  drain.log = log;
  drain.throttle = throttle;
  drain.report = report;
  drain.progress = progress;
  drain.progress_data = user_data;
  drain.cancellable = cancellable;
  drain.per_connection = provider && relay_provider_get_messages_per_connection (provider)
                         ? relay_provider_get_messages_per_connection (provider) : G_MAXUINT;

  if ((lock = take_lock (&drain, error)) < 0)
    return NULL;

  relay_outbox_journal_init (&drain.journal, self);
  if (drain.journal.error != NULL)
    {
      /* what may already have been sent is not known: nothing goes */
      g_propagate_error (error, g_error_copy (drain.journal.error));
      relay_outbox_journal_finish (&drain.journal);
      close (lock);
      return NULL;
    }
  drain.cache = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify)relay_outbox_item_free);
  drain.pending_entries = g_ptr_array_new_with_free_func (g_object_unref);
  drain.pending_items = g_ptr_array_new ();

  relay_outbox_recover (&drain);

  left = relay_outbox_queue (&drain);
  if (left->len == 0 || !fetch_secret (&drain, error))
    {
      gboolean empty = left->len == 0;

      g_clear_pointer (&left, g_ptr_array_unref);
      drain_clear (&drain);
      close (lock);
      return empty ? g_steal_pointer (&report) : NULL;
    }
  g_clear_pointer (&left, g_ptr_array_unref);

  /* the log holds every attempt: the windows survive restarts */
  relay_throttle_record_log (throttle, relay_send_log_get_path (log));

  for (gboolean stop = FALSE; !stop;)
    {
      /* the folder listed once per pass, each item read once per drain;
       * what was sent is logged (and leaves the outbox) before it */
      g_autoptr(GPtrArray) items = NULL;
      gint64 earliest = G_MAXINT64;
      gboolean progressed = FALSE;

      /* the last pass's message in flight: what it became counts now */
      if (!finish_in_flight (&drain))
        break;
      items = relay_outbox_queue (&drain);

      if (items->len == 0 || g_cancellable_is_cancelled (cancellable) || drain.halted)
        break;

      for (guint i = 0; i < items->len && !stop && !drain.halted; i++)
        {
          Item *next = g_ptr_array_index (items, i);
          gint64 now = g_get_real_time ();
          gint64 allowed;

          if (g_cancellable_is_cancelled (cancellable))
            {
              stop = TRUE;
              break;
            }

          /* the server may have it: never again (unknown at the next run) */
          if (item_handed_over (next))
            continue;

          if (next->next_attempt > now)
            {
              earliest = MIN (earliest, next->next_attempt);
              continue;
            }

          allowed = relay_throttle_next_allowed (throttle, now, g_strv_length (next->recipients));
          if (allowed == G_MAXINT64)
            {
              fail (&drain, next, NULL, _("The message has more recipients than the account may send to in one window."));
              progressed = TRUE;
              continue;
            }

          if (allowed > now)
            {
              g_autoptr(GDateTime) resume = g_date_time_new_from_unix_local (allowed / G_USEC_PER_SEC);
              g_autofree char *at = g_date_time_format (resume, "%X");

              if (!g_str_equal (next->state, "throttled"))
                {
                  next->next_attempt = 0;
                  if (!relay_outbox_record_event (&drain, next, RELAY_SEND_STATUS_THROTTLED, NULL,
                                     _("Held back to stay within the provider’s sending limits")))
                    {
                      stop = TRUE;
                      break;
                    }
                  g_free (next->state);
                  next->state = g_strdup ("throttled");
                  relay_outbox_write_item (self, next, NULL);
                }

              if (!(wait & RELAY_OUTBOX_WAIT_THROTTLE))
                {
                  stop = TRUE;
                  break;
                }

              /* the message in flight is not left waiting with its verdict */
              if (!finish_in_flight (&drain) || drain.halted)
                {
                  stop = TRUE;
                  break;
                }
              relay_outbox_flush_sent (&drain);

              /* a server would drop an idle connection during a long wait */
              if (allowed - now > 10 * G_USEC_PER_SEC)
                close_session (&drain, TRUE);

              say (&drain, _("Throttled: sending resumes at %s (in %.1f s)"), at,
                   (allowed - now) / (double)G_USEC_PER_SEC);
              if (!sleep_until (&drain, allowed))
                {
                  stop = TRUE;
                  break;
                }
            }

          say (&drain, _("Sending “%s”…"), next->subject);
          progressed = TRUE;
          if (!send_item (&drain, next) || drain.halted)
            stop = TRUE;
        }

      if (stop || progressed)
        continue;

      /* nothing was due: wait for the earliest retry, when asked to */
      if (!(wait & RELAY_OUTBOX_WAIT_RETRY) || report->held_until > g_get_real_time () ||
          earliest == G_MAXINT64)
        break;
      close_session (&drain, TRUE);
      say (&drain, _("Waiting to retry…"));
      if (!sleep_until (&drain, earliest))
        break;

      /* the sign-in server may answer now */
      if (drain.no_token != NULL)
        {
          g_autoptr(GError) token_error = NULL;

          if (!fetch_secret (&drain, &token_error))
            {
              report->stopped_by = g_strdup (token_error ? token_error->message : "");
              break;
            }
        }
    }

  close_session (&drain, TRUE);
  relay_outbox_flush_sent (&drain);
  relay_secure_wipe_string (drain.secret);
  g_clear_error (&drain.no_token);

  /* a drain that stopped on an error may have changed items it could
   * not write back: what still waits is read from disk again */
  if (drain.halted || report->stopped_by != NULL)
    g_hash_table_remove_all (drain.cache);

  /* what still waits, and until when: sent messages gone first */
  relay_outbox_finish_cleanup (&drain);
  left = relay_outbox_queue (&drain);
  report->deferred = left->len;
  for (guint i = 0; i < left->len; i++)
    {
      Item *item = g_ptr_array_index (left, i);
      RelayOutboxWaiting *waiting = g_new0 (RelayOutboxWaiting, 1);

      waiting->message_id = g_strdup (item->message_id);
      waiting->subject = g_strdup (item->subject);
      waiting->recipients = g_strdupv (item->recipients);
      waiting->next_attempt = item->next_attempt;
      waiting->sending = g_str_equal (item->state, "sending");
      waiting->sent = g_str_equal (item->state, "sent");
      g_ptr_array_add (report->waiting, waiting);
    }
  g_clear_pointer (&left, g_ptr_array_unref);
  drain_clear (&drain);
  close (lock);

  return g_steal_pointer (&report);
}
