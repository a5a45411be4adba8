/** The trade schema: one list of columns per profile, and everything derived from it. */
import type { Column } from './column.ts';
import { postgresTableDdl, recordValidator } from './derive.ts';
import { type ProfileName, profiles } from './profiles.ts';

export type { Column, ColumnType, RecordOf } from './column.ts';
export { decimal, instant, integer } from './column.ts';
export * from './derive.ts';
export * from './profiles.ts';

export function columnsOf(profile: ProfileName): readonly Column[] {
  return profiles[profile];
}

/** Validates one decoded JSON trade of the profile; `.safeParse` gives the reason for the dead-letter topic. */
export function tradeValidator(profile: ProfileName) {
  return recordValidator(columnsOf(profile));
}

/** The PostgreSQL DDL of the trade table for the profile. */
export function tradesTableDdl(profile: ProfileName): string {
  return postgresTableDdl(columnsOf(profile));
}
