/* test-secure.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The security primitives of relay-secure.c, each on its own.
 */

#include "config.h"

#include <string.h>

#if defined(__linux__) && __has_include(<linux/seccomp.h>)
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#define HAVE_SECCOMP_FILTER 1
#endif

#include "relay-secure-private.h"

#define GUARD 0xa5

static void
test_random_fills (void)
{
  guint8 buffer[4096 + 2];
  guint8 first[32];
  guint8 second[32];
  guint zeros = 0;

  /* every byte inside is drawn, none outside is touched */
  memset (buffer, 0, sizeof buffer);
  buffer[0] = buffer[sizeof buffer - 1] = GUARD;
  relay_secure_random (buffer + 1, sizeof buffer - 2);
  g_assert_cmpuint (buffer[0], ==, GUARD);
  g_assert_cmpuint (buffer[sizeof buffer - 1], ==, GUARD);
  for (gsize i = 1; i < sizeof buffer - 1; i++)
    zeros += buffer[i] == 0;
  /* 16 expected; more than 64 has a chance far below 1e-15 */
  g_assert_cmpuint (zeros, <, 64);

  relay_secure_random (first, sizeof first);
  relay_secure_random (second, sizeof second);
  g_assert_true (memcmp (first, second, sizeof first) != 0);

  relay_secure_random (NULL, 0);
}

#ifdef HAVE_SECCOMP_FILTER
/* getrandom() answers ENOSYS, as on a kernel without it */
static void
deny_getrandom (void)
{
  struct sock_filter filter[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_getrandom, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog program = { G_N_ELEMENTS (filter), filter };

  g_assert_cmpint (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), ==, 0);
  g_assert_cmpint (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program), ==, 0);
}
#endif

/* Without randomness there is no safe secret: the program stops rather
 * than hand out a predictable one */
static void
test_random_failure (void)
{
#ifdef HAVE_SECCOMP_FILTER
  if (g_test_subprocess ())
    {
      guint8 bytes[16] = { 0 };

      deny_getrandom ();
      relay_secure_random (bytes, sizeof bytes);
      g_print ("returned\n");
      return;
    }

  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout_unmatched ("*returned*");
  g_test_trap_assert_stderr ("*getrandom() failed*");
#else
  g_test_skip ("no seccomp filter to make getrandom() fail");
#endif
}

static void
test_equal (void)
{
  static const char secret[] = "s3cr3t-state";
  const gsize length = strlen (secret);

  g_assert_true (relay_secure_equal ("s3cr3t-state", length, secret, length));
  g_assert_false (relay_secure_equal ("S3cr3t-state", length, secret, length));
  g_assert_false (relay_secure_equal ("s3cr3t-statf", length, secret, length));

  /* a prefix of the secret, or the secret and more, is not the secret */
  g_assert_false (relay_secure_equal ("s3cr3t", 6, secret, length));
  g_assert_false (relay_secure_equal ("s3cr3t-state-and-more", 21, secret, length));
  g_assert_false (relay_secure_equal ("", 0, secret, length));
  g_assert_false (relay_secure_equal (secret, length, "", 0));
  g_assert_false (relay_secure_equal (NULL, 0, secret, length));
  g_assert_true (relay_secure_equal (NULL, 0, NULL, 0));

  /* bytes, not strings: a NUL does not end the comparison */
  g_assert_true (relay_secure_equal ("a\0b", 3, "a\0b", 3));
  g_assert_false (relay_secure_equal ("a\0b", 3, "a\0c", 3));
  g_assert_false (relay_secure_equal ("a\0", 2, "a", 1));

  /* every bit of every byte counts */
  for (gsize i = 0; i < length; i++)
    for (guint bit = 0; bit < 8; bit++)
      {
        char other[sizeof secret];

        memcpy (other, secret, sizeof secret);
        other[i] ^= 1 << bit;
        g_assert_false (relay_secure_equal (other, length, secret, length));
      }
}

static void
test_wipe (void)
{
  char buffer[34];
  char *text;

  memset (buffer, 'x', sizeof buffer);
  buffer[0] = buffer[sizeof buffer - 1] = GUARD;
  relay_secure_wipe (buffer + 1, sizeof buffer - 2);
  g_assert_cmpuint ((guint8)buffer[0], ==, GUARD);
  g_assert_cmpuint ((guint8)buffer[sizeof buffer - 1], ==, GUARD);
  for (gsize i = 1; i < sizeof buffer - 1; i++)
    g_assert_cmpint (buffer[i], ==, 0);

  /* nothing to wipe is no error */
  relay_secure_wipe (NULL, 0);
  relay_secure_wipe (buffer, 0);
  g_assert_cmpuint ((guint8)buffer[0], ==, GUARD);

  /* wipes and frees: the sanitizer build checks the free */
  text = g_strdup ("a refresh token");
  relay_secure_wipe_string (text);
  relay_secure_wipe_string (NULL);
}

static void
test_loopback (void)
{
  static const char * const local[] = {
    "localhost", "LocalHost", "127.0.0.1", "127.0.0.2", "127.255.255.254", "::1",
    "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::ffff:127.1.2.3", "::FFFF:7f00:1",
  };
  static const char * const other[] = {
    "", "localhost.", "localhost.example.org", "127.0.0.1.example.org", "128.0.0.1",
    "126.255.255.255", "10.0.0.1", "0.0.0.0", "::", "::2", "::ffff:10.0.0.1",
    "::ffff:128.0.0.1", "::127.0.0.1", "64:ff9b::7f00:1", "[::1]", "smtp.gmail.com",
  };

  for (guint i = 0; i < G_N_ELEMENTS (local); i++)
    g_assert_true (relay_secure_is_loopback_host (local[i]));
  for (guint i = 0; i < G_N_ELEMENTS (other); i++)
    g_assert_false (relay_secure_is_loopback_host (other[i]));
  g_assert_false (relay_secure_is_loopback_host (NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secure/random/fills", test_random_fills);
  g_test_add_func ("/secure/random/failure", test_random_failure);
  g_test_add_func ("/secure/equal", test_equal);
  g_test_add_func ("/secure/wipe", test_wipe);
  g_test_add_func ("/secure/loopback", test_loopback);

  return g_test_run ();
}
