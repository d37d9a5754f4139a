/* fuzz-channel-profile.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* A channel profile as `mail-relay-cli account import` reads it: whatever
 * the reader accepts must be written back and read again unchanged, make
 * an account and an autoconfig file, and (when the fuzzing build's low
 * iteration counts make it cheap) have its secret opened or refused with
 * an error, never a crash. The seeds' secrets open with the passphrase
 * below (corpus/channel-profile/sparkpost-secret). */

#include "config.h"

#include <string.h>

#include "relay-channel-profile-private.h"

#include "fuzz-common.h"

#define PASSPHRASE "fuzzing passphrase"
/* PBKDF2 costs its iteration count: above this the fuzzer would crawl */
#define MAX_FUZZ_ITERATIONS 64

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(RelayChannelProfile) profile = NULL;
  g_autoptr(RelayChannelProfile) again = NULL;
  g_autoptr(RelayAccount) account = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *written = NULL;
  g_autofree char *written_again = NULL;
  g_autofree char *xml = NULL;

  fuzz_init ();

  profile = relay_channel_profile_new_from_data ((const char *)data, size, &error);
  if (profile == NULL)
    {
      g_assert (error != NULL && error->domain == RELAY_CHANNEL_PROFILE_ERROR && error->message[0] != '\0');
      return 0;
    }
  g_assert_no_error (error);

  /* what it wrote, it reads back the same */
  written = relay_channel_profile_to_data (profile);
  again = relay_channel_profile_new_from_data (written, strlen (written), &error);
  g_assert_no_error (error);
  written_again = relay_channel_profile_to_data (again);
  g_assert_cmpstr (written, ==, written_again);

  xml = relay_channel_profile_to_autoconfig (profile, &error);
  g_assert (xml != NULL || g_error_matches (error, RELAY_CHANNEL_PROFILE_ERROR,
                                            RELAY_CHANNEL_PROFILE_ERROR_NO_DOMAIN));
  g_clear_error (&error);

  /* the account it makes is one `account import` checks like a typed one */
  account = relay_channel_profile_create_account (profile);
  if (!relay_account_validate (account, &error))
    g_assert (error != NULL && error->message[0] != '\0');
  g_clear_error (&error);

  if (relay_channel_profile_has_secret (profile) && profile->iterations <= MAX_FUZZ_ITERATIONS)
    {
      char *secret = relay_channel_profile_open_secret (profile, PASSPHRASE, &error);

      g_assert ((secret != NULL) != (error != NULL));
      if (secret != NULL)
        g_assert (secret[0] != '\0' && strlen (secret) <= 1024);
      g_free (secret);
    }

  return 0;
}
