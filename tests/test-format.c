/* test-format.c
 *
 * Copyright 2026 The Mail Relay developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One date form with the year, and counts grouped by thousands even in
 * the C locale, whose printf does not group.
 */

#include "config.h"

#include <locale.h>

#include "relay-format.h"

static void
test_count (void)
{
  struct {
    guint64     count;
    const char *text;
  } cases[] = {
    { 0, "0" },
    { 7, "7" },
    { 999, "999" },
    { 1000, "1,000" },
    { 10000, "10,000" },
    { 123456, "123,456" },
    { 1000000, "1,000,000" },
    { G_MAXUINT64, "18,446,744,073,709,551,615" },
  };

  /* the tests run in C.UTF-8: no separator of its own */
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = relay_format_count (cases[i].count);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* The probe view's and the settings group's form of a pin */
static void
test_fingerprint (void)
{
  const char *pin = "4fa10b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";
  g_autofree char *one_line = relay_format_fingerprint (pin, 0);
  g_autofree char *two_lines = relay_format_fingerprint (pin, 16);

  g_assert_cmpstr (one_line, ==,
                   "4F:A1:0B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8");
  g_assert_cmpstr (two_lines, ==,
                   "4F:A1:0B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8\nF9:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8");
}

static void
test_time (void)
{
  g_autoptr(GTimeZone) plus_five = g_time_zone_new_offset (5 * 3600);
  g_autoptr(GDateTime) local = g_date_time_new_local (2026, 3, 12, 9, 41, 5);
  g_autoptr(GDateTime) elsewhere = g_date_time_to_timezone (local, plus_five);
  g_autofree char *time = relay_format_time (local);
  g_autofree char *same = relay_format_time (elsewhere);
  g_autofree char *date = relay_format_date (elsewhere);

  g_assert_cmpstr (time, ==, "2026-03-12 09:41:05");
  /* shown in local time whatever zone it came in */
  g_assert_cmpstr (same, ==, time);
  g_assert_cmpstr (date, ==, "2026-03-12");
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/format/count", test_count);
  g_test_add_func ("/format/time", test_time);
  g_test_add_func ("/format/fingerprint", test_fingerprint);

  return g_test_run ();
}
