import Holidays from 'date-holidays';
import { DateTime } from 'luxon';

/**
 * US federal business days, as the SEC counts them for filings: not a Saturday, a Sunday or a
 * federal holiday (17 CFR 240.0-3: "business day" means any day other than Saturday, Sunday or
 * a federal holiday). Holidays come from date-holidays (its public holidays for the US, with the
 * Friday/Monday observed days when one falls on a weekend).
 */
const ZONE = 'America/New_York';
const calendars = new Map<number, Set<string>>();
const us = new Holidays('US');

function federalHolidays(year: number): Set<string> {
  let days = calendars.get(year);
  if (!days) {
    days = new Set(us.getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    calendars.set(year, days);
  }
  return days;
}

export function isUsBusinessDay(day: DateTime): boolean {
  return day.weekday <= 5 && !federalHolidays(day.year).has(day.toISODate()!);
}

/**
 * The end of the `n`th US business day after the day (in New York) on which `from` falls: the day
 * itself counts as day zero, whatever day it is. The day ends at `endOfDay` Eastern time.
 */
export function usBusinessDaysAfter(from: Date, n: number, endOfDay = { hour: 17, minute: 30 }): Date {
  let day = DateTime.fromJSDate(from, { zone: ZONE }).startOf('day');
  let counted = 0;
  while (counted < n) {
    day = day.plus({ days: 1 });
    if (isUsBusinessDay(day)) counted += 1;
  }
  return day.set(endOfDay).toJSDate();
}
