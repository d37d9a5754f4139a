/* relay-secure.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The security primitives, one home each: random bytes for secrets,
 * comparing a secret in constant time, wiping a secret from memory, and
 * whether a host is this machine.
 */

#define G_LOG_DOMAIN "relay-secure"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <gio/gio.h>

#include "relay-secure-private.h"

/**
 * relay_secure_random:
 * @buffer: (out caller-allocates): where the bytes go
 * @length: how many
 *
 * Fills @buffer from the kernel's CSPRNG (getrandom()), never from
 * GRand. It cannot fail: getrandom() without flags blocks until the pool
 * is ready and fails only on a kernel older than Linux 3.17 or on a
 * programming error. Without a CSPRNG no token, state or password made
 * here would be safe, and no caller could go on without one, so that
 * aborts the program rather than hand each caller an error it can only
 * give up on.
 */
void
relay_secure_random (void  *buffer,
                     gsize  length)
{
  guint8 *p = buffer;

  g_return_if_fail (buffer != NULL || length == 0);

  while (length > 0)
    {
      gssize n = getrandom (p, length, 0);

      if (n < 0)
        {
          int saved_errno = errno;

          if (saved_errno == EINTR)
            continue;
          g_error ("getrandom() failed: %s", g_strerror (saved_errno));
        }

      p += n;
      length -= n;
    }
}

/**
 * relay_secure_equal:
 * @given: what the other side sent
 * @given_length: its length in bytes (it may hold NULs)
 * @expected: the secret it must match
 * @expected_length: the secret's length in bytes
 *
 * Whether @given is @expected, byte for byte. The time taken depends on
 * @expected_length alone: neither where the two differ nor the length
 * the other side chose changes it, and a length mismatch does not
 * return early.
 */
gboolean
relay_secure_equal (const void *given,
                    gsize       given_length,
                    const void *expected,
                    gsize       expected_length)
{
  const guchar *g = given;
  const guchar *e = expected;
  volatile guchar diff;

  g_return_val_if_fail (given != NULL || given_length == 0, FALSE);
  g_return_val_if_fail (expected != NULL || expected_length == 0, FALSE);

  diff = given_length != expected_length;
  /* past the end of a shorter @given the lengths already differ */
  for (gsize i = 0; i < expected_length; i++)
    diff |= e[i] ^ (i < given_length ? g[i] : 0);

  return diff == 0;
}

/**
 * relay_secure_wipe:
 * @data: (nullable): memory that held a secret
 * @length: its length in bytes
 *
 * Overwrites @data with zeros in a way the compiler does not drop as a
 * dead store: explicit_bzero() where the C library has it, else stores
 * through a volatile pointer.
 */
void
relay_secure_wipe (void  *data,
                   gsize  length)
{
  if (data == NULL || length == 0)
    return;

#ifdef HAVE_EXPLICIT_BZERO
  explicit_bzero (data, length);
#else
  {
    volatile guchar *p = data;

    while (length-- > 0)
      *p++ = 0;
  }
#endif
}

/**
 * relay_secure_wipe_string:
 * @text: (nullable) (transfer full): a string that held a secret,
 *   allocated with g_malloc()
 *
 * Wipes @text with relay_secure_wipe() and frees it. A string that
 * libsecret allocated goes to secret_password_free() instead: it may lie
 * in libsecret's own memory.
 */
void
relay_secure_wipe_string (char *text)
{
  if (text == NULL)
    return;

  relay_secure_wipe (text, strlen (text));
  g_free (text);
}

/**
 * relay_secure_is_loopback_host:
 * @host: (nullable): a host name or an address, as in a URL without
 *   brackets or as the user typed it
 *
 * Whether @host is this machine: the name “localhost” (any case), an
 * IPv4 address in 127.0.0.0/8, ::1, or an IPv4-mapped 127.x address
 * (::ffff:127.0.0.1). Other names are not resolved: only these never
 * leave the machine, whatever DNS says.
 */
gboolean
relay_secure_is_loopback_host (const char *host)
{
  g_autoptr(GInetAddress) address = NULL;

  if (host == NULL)
    return FALSE;

  if (g_ascii_strcasecmp (host, "localhost") == 0)
    return TRUE;

  address = g_inet_address_new_from_string (host);
  if (address == NULL)
    return FALSE;
  if (g_inet_address_get_is_loopback (address))
    return TRUE;

  /* GLib counts ::1 only among the IPv6 loopback addresses */
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      static const guint8 mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
      const guint8 *bytes = g_inet_address_to_bytes (address);

      return memcmp (bytes, mapped_prefix, sizeof mapped_prefix) == 0 && bytes[12] == 127;
    }

  return FALSE;
}
