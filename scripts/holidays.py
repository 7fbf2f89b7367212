#!/usr/bin/env python3
"""Writes data/holidays.csv: Vietnam's public holidays 2020-2030.

Fixed dates from the Labour Code (Bo luat Lao dong 45/2019/QH14, art. 112;
for 2020 the 2012 Code, art. 115): 1/1, 30/4, 1/5, 2/9 (the adjacent
second day of 2/9 from 2021 is set each year by the government, so it is
not here). Lunar dates (Tet: the last day of the lunar year and the first
three days of the new one; Hung Kings' day, 10th day of the 3rd lunar
month) come from the Vietnamese lunar calendar computed with Ho Ngoc Duc's
algorithm (new moons and solar terms after Jean Meeus, Astronomical
Algorithms, for UTC+7, the time zone the Vietnamese calendar has used
since 1968). The script checks itself: with UTC+8 it must give the Chinese
calendar's new year, and it must reproduce the years where the two differ
(1985, 2007).

Usage: scripts/holidays.py > data/holidays.csv
"""
import csv
import datetime
import math
import sys

PI = math.pi


def INT(x):
    return math.floor(x)


def jd_from_date(dd, mm, yy):
    a = (14 - mm) // 12
    y = yy + 4800 - a
    m = mm + 12 * a - 3
    jd = dd + (153 * m + 2) // 5 + 365 * y + y // 4 - y // 100 + y // 400 - 32045
    if jd < 2299161:
        jd = dd + (153 * m + 2) // 5 + 365 * y + y // 4 - 32083
    return jd


def date_from_jd(jd):
    return datetime.date.fromordinal(jd - 1721425)


def new_moon(k):
    T = k / 1236.85
    T2, T3 = T * T, T * T * T
    dr = PI / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * T2 - 0.000000155 * T3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * T - 0.009173 * T2) * dr)
    M = 359.2242 + 29.10535608 * k - 0.0000333 * T2 - 0.00000347 * T3
    Mpr = 306.0253 + 385.81691806 * k + 0.0107306 * T2 + 0.00001236 * T3
    F = 21.2964 + 390.67050646 * k - 0.0016528 * T2 - 0.00000239 * T3
    C1 = (0.1734 - 0.000393 * T) * math.sin(M * dr) + 0.0021 * math.sin(2 * dr * M)
    C1 -= 0.4068 * math.sin(Mpr * dr) + 0.0161 * math.sin(dr * 2 * Mpr)
    C1 -= 0.0004 * math.sin(dr * 3 * Mpr)
    C1 += 0.0104 * math.sin(dr * 2 * F) - 0.0051 * math.sin(dr * (M + Mpr))
    C1 -= 0.0074 * math.sin(dr * (M - Mpr)) + 0.0004 * math.sin(dr * (2 * F + M))
    C1 -= 0.0004 * math.sin(dr * (2 * F - M)) - 0.0006 * math.sin(dr * (2 * F + Mpr))
    C1 += 0.0010 * math.sin(dr * (2 * F - Mpr)) + 0.0005 * math.sin(dr * (2 * Mpr + M))
    if T < -11:
        deltat = 0.001 + 0.000839 * T + 0.0002261 * T2 - 0.00000845 * T3 - 0.000000081 * T * T3
    else:
        deltat = -0.000278 + 0.000265 * T + 0.000262 * T2
    return jd1 + C1 - deltat


def sun_longitude(jdn):
    T = (jdn - 2451545.0) / 36525
    T2 = T * T
    dr = PI / 180
    M = 357.52910 + 35999.05030 * T - 0.0001559 * T2 - 0.00000048 * T * T2
    L0 = 280.46645 + 36000.76983 * T + 0.0003032 * T2
    DL = (1.914600 - 0.004817 * T - 0.000014 * T2) * math.sin(dr * M)
    DL += (0.019993 - 0.000101 * T) * math.sin(dr * 2 * M) + 0.000290 * math.sin(dr * 3 * M)
    L = (L0 + DL) * dr
    return L - PI * 2 * INT(L / (PI * 2))


def sun_term(day, tz):
    return INT(sun_longitude(day - 0.5 - tz / 24) / PI * 6)


def new_moon_day(k, tz):
    return INT(new_moon(k) + 0.5 + tz / 24)


def lunar_month11(yy, tz):
    off = jd_from_date(31, 12, yy) - 2415021
    k = INT(off / 29.530588853)
    nm = new_moon_day(k, tz)
    if sun_term(nm, tz) >= 9:
        nm = new_moon_day(k - 1, tz)
    return nm


def leap_month_offset(a11, tz):
    k = INT((a11 - 2415021.076998695) / 29.530588853 + 0.5)
    i = 1
    arc = sun_term(new_moon_day(k + i, tz), tz)
    while True:
        last = arc
        i += 1
        arc = sun_term(new_moon_day(k + i, tz), tz)
        if not (arc != last and i < 14):
            break
    return i - 1


def lunar_to_solar(day, month, year, tz=7):
    """A day of a non-leap lunar month as a Gregorian date."""
    if month < 11:
        a11, b11 = lunar_month11(year - 1, tz), lunar_month11(year, tz)
    else:
        a11, b11 = lunar_month11(year, tz), lunar_month11(year + 1, tz)
    k = INT(0.5 + (a11 - 2415021.076998695) / 29.530588853)
    off = month - 11
    if off < 0:
        off += 12
    if b11 - a11 > 365:
        leap_off = leap_month_offset(a11, tz)
        if off >= leap_off:
            off += 1
    return date_from_jd(new_moon_day(k + off, tz) + day - 1)


def self_check():
    # Vietnam (UTC+7) and China (UTC+8) new years differ in 1985 and 2007.
    assert lunar_to_solar(1, 1, 1985, 7) == datetime.date(1985, 1, 21)
    assert lunar_to_solar(1, 1, 1985, 8) == datetime.date(1985, 2, 20)
    assert lunar_to_solar(1, 1, 2007, 7) == datetime.date(2007, 2, 17)
    assert lunar_to_solar(1, 1, 2007, 8) == datetime.date(2007, 2, 18)


def main():
    self_check()
    rows = []
    for y in range(2020, 2031):
        rows.append((datetime.date(y, 1, 1), "Tết Dương lịch (New Year's Day)"))
        tet = lunar_to_solar(1, 1, y)
        rows.append((tet - datetime.timedelta(days=1), "Tết Nguyên đán: ngày cuối năm (Lunar New Year's Eve)"))
        for d in range(3):
            rows.append((tet + datetime.timedelta(days=d), "Tết Nguyên đán: mùng %d (Lunar New Year, day %d)" % (d + 1, d + 1)))
        rows.append((lunar_to_solar(10, 3, y), "Giỗ Tổ Hùng Vương (Hùng Kings' Commemoration, 10/3 lunar)"))
        rows.append((datetime.date(y, 4, 30), "Ngày Giải phóng miền Nam (Reunification Day)"))
        rows.append((datetime.date(y, 5, 1), "Ngày Quốc tế Lao động (International Workers' Day)"))
        rows.append((datetime.date(y, 9, 2), "Quốc khánh (National Day)"))
    rows.sort()
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["date", "name"])
    for d, name in rows:
        out.writerow([d.isoformat(), name])


if __name__ == "__main__":
    main()
