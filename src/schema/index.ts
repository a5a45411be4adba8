/** The trade schema: one list of columns per profile, and everything derived from it. */
import type { Column } from './column.ts';
import { recordValidator } from './derive.ts';
import { type ProfileName, profiles } from './profiles.ts';

export type { Column, ColumnType, RecordOf } from './column.ts';
export { decimal, instant, integer, oneOf, orNull, ratio, text } from './column.ts';
export * from './derive.ts';
export * from './profiles.ts';
export * from './rules.ts';

export function columnsOf(profile: ProfileName): readonly Column[] {
  return profiles[profile];
}

/** Validates one decoded JSON trade of the profile; `.safeParse` gives the reason for the dead-letter topic. */
export function tradeValidator(profile: ProfileName) {
  return recordValidator(columnsOf(profile));
}
