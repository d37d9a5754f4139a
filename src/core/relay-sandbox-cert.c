/* relay-sandbox-cert.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

/* The local test server's self-signed certificate, made with GnuTLS (the
 * one place in the project that uses GnuTLS directly). */

#define G_LOG_DOMAIN "relay-sandbox-cert"

#include "config.h"

#include <glib/gi18n.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>

#include "relay-sandbox-cert.h"
#include "relay-secure-private.h"

#define COMMON_NAME         "Mail Relay local test server"

/**
 * relay_sandbox_cert_generate:
 * @serial: (array fixed-size=16): random bytes for the serial number
 * @error: return location for a #GError
 *
 * Makes a self-signed ECDSA P-256 certificate and its key for
 * "localhost" and 127.0.0.1, valid for a year from an hour ago.
 *
 * Used error codes: %G_TLS_ERROR_MISC when GnuTLS fails, and those of
 * g_tls_certificate_new_from_pem().
 *
 * Returns: (transfer full): the certificate with its private key, or
 *   %NULL with @error set
 */
GTlsCertificate *
relay_sandbox_cert_generate (const guint8  serial[RELAY_SANDBOX_CERT_SERIAL_BYTES],
                             GError      **error)
{
  static const guint8 loopback[4] = { 127, 0, 0, 1 };
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t key_pem = { NULL, 0 };
  gnutls_datum_t crt_pem = { NULL, 0 };
  GTlsCertificate *certificate = NULL;
  guint8 der_serial[RELAY_SANDBOX_CERT_SERIAL_BYTES];
  time_t start = time (NULL) - 3600;
  int ret;

  g_return_val_if_fail (serial != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  memcpy (der_serial, serial, sizeof der_serial);
  /* positive, and no leading zero byte to trouble DER */
  der_serial[0] = (der_serial[0] & 0x7f) | 0x40;

  if ((ret = gnutls_x509_privkey_init (&key)) < 0 ||
      (ret = gnutls_x509_privkey_generate (key, GNUTLS_PK_ECDSA,
                                           GNUTLS_CURVE_TO_BITS (GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
      (ret = gnutls_x509_crt_init (&crt)) < 0 ||
      (ret = gnutls_x509_crt_set_version (crt, 3)) < 0 ||
      (ret = gnutls_x509_crt_set_serial (crt, der_serial, sizeof der_serial)) < 0 ||
      (ret = gnutls_x509_crt_set_activation_time (crt, start)) < 0 ||
      (ret = gnutls_x509_crt_set_expiration_time (crt, start + 365 * 24 * 3600)) < 0 ||
      (ret = gnutls_x509_crt_set_dn_by_oid (crt, GNUTLS_OID_X520_COMMON_NAME, 0,
                                            COMMON_NAME, strlen (COMMON_NAME))) < 0 ||
      (ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_DNSNAME, "localhost",
                                                   strlen ("localhost"), GNUTLS_FSAN_SET)) < 0 ||
      (ret = gnutls_x509_crt_set_subject_alt_name (crt, GNUTLS_SAN_IPADDRESS, loopback,
                                                   sizeof loopback, GNUTLS_FSAN_APPEND)) < 0 ||
      (ret = gnutls_x509_crt_set_basic_constraints (crt, 0, -1)) < 0 ||
      (ret = gnutls_x509_crt_set_key_usage (crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
      (ret = gnutls_x509_crt_set_key_purpose_oid (crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
      (ret = gnutls_x509_crt_set_key (crt, key)) < 0 ||
      (ret = gnutls_x509_crt_sign2 (crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
      (ret = gnutls_x509_crt_export2 (crt, GNUTLS_X509_FMT_PEM, &crt_pem)) < 0 ||
      (ret = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL,
                                                GNUTLS_PKCS_PLAIN, &key_pem)) < 0)
    g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
                 _("Could not create the test server’s certificate: %s"), gnutls_strerror (ret));
  else
    {
      gsize pem_length = crt_pem.size + key_pem.size;
      char *pem = g_malloc (pem_length + 1);

      memcpy (pem, crt_pem.data, crt_pem.size);
      memcpy (pem + crt_pem.size, key_pem.data, key_pem.size);
      pem[pem_length] = '\0';

      certificate = g_tls_certificate_new_from_pem (pem, pem_length, error);

      relay_secure_wipe (pem, pem_length);
      g_free (pem);
    }

  if (key_pem.data != NULL)
    {
      relay_secure_wipe (key_pem.data, key_pem.size);
      gnutls_free (key_pem.data);
    }
  gnutls_free (crt_pem.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit (key);

  return certificate;
}
