/**
 * The trade profiles: the single list of trade columns. Add a column here and the validator, the JSON, the
 * PostgreSQL table and the Flink tables follow. (The market simulator fills the wide columns; its test names
 * any column it does not yet fill.)
 */
import {
  amount,
  count,
  flag,
  instant,
  oneOf,
  orNull,
  positiveQuantity,
  price,
  quantity,
  ratio,
  text,
} from './column.ts';

export const SIDES = ['BUY', 'SELL'] as const;
export const EXCHANGES = ['NYSE', 'NASDAQ', 'ARCA', 'BATS', 'IEX', 'EDGX', 'CHX', 'MEMX'] as const;
export const SECTORS = [
  'TECH',
  'FIN',
  'HEALTH',
  'ENERGY',
  'CONSUMER',
  'INDUSTRIAL',
  'UTIL',
  'MATERIALS',
  'TELECOM',
  'REIT',
] as const;
export const CAP_TIERS = ['MEGA', 'LARGE', 'MID', 'SMALL', 'MICRO'] as const;

/** The classic trade: what the original pipeline carried, plus side, venue and the producer's sequence. */
export const narrowColumns = [
  text(64)('trade_id', 'Globally unique trade id: producer instance and its sequence number'),
  text(12)('ticker', 'Instrument symbol, e.g. AAPL'),
  price('price', 'Execution price in USD, 4 decimals'),
  positiveQuantity('volume', 'Shares traded'),
  instant('trade_timestamp', 'Execution time (event time), UTC, millisecond precision'),
  oneOf(...SIDES)('side', 'Aggressor side: BUY lifted the offer, SELL hit the bid'),
  oneOf(...EXCHANGES)('exchange', 'Venue that executed the trade'),
  quantity('sequence', 'Sequence number of the trade within its producer instance, from 0, without gaps'),
] as const;

const bookLevels = [2, 3, 4, 5] as const;
const bookColumns = bookLevels.flatMap((level) => [
  price(`bid_price_${level}`, `Bid price at book level ${level}`),
  quantity(`bid_size_${level}`, `Shares bid at book level ${level}`),
  price(`ask_price_${level}`, `Ask price at book level ${level}`),
  quantity(`ask_size_${level}`, `Shares offered at book level ${level}`),
]);

/** A consolidated-tape style market-data record: the trade with its quote, book, session stats and flags. */
export const wideColumns = [
  ...narrowColumns,
  // top of book when the trade printed
  price('bid_price', 'Best bid when the trade printed'),
  quantity('bid_size', 'Shares at the best bid'),
  price('ask_price', 'Best offer when the trade printed'),
  quantity('ask_size', 'Shares at the best offer'),
  price('mid_price', 'Midpoint of best bid and offer'),
  ratio('spread_bps', 'Quoted spread in basis points of the midpoint'),
  ...bookColumns,
  // session statistics up to this trade
  price('open_price', 'Session opening price'),
  price('high_price', 'Session high so far'),
  price('low_price', 'Session low so far'),
  price('prev_close_price', "Previous session's closing price"),
  price('session_vwap', 'Volume-weighted average price of the session so far'),
  quantity('cumulative_volume', 'Shares traded in the session so far, this trade included'),
  quantity('session_trade_count', 'Trades in the session so far, this trade included'),
  ratio('volatility_1m', 'Annualised one-minute realised volatility of the ticker'),
  ratio('order_imbalance', 'Buy minus sell volume over total volume, recent trades, in [-1, 1]'),
  price('luld_upper_band', 'Limit Up-Limit Down upper price band'),
  price('luld_lower_band', 'Limit Up-Limit Down lower price band'),
  // venue, tape and conditions
  oneOf('A', 'B', 'C')('tape', 'Consolidated tape: A (NYSE listed), B (regional), C (Nasdaq listed)'),
  oneOf('@', 'F', 'I', 'O', '4', '6', 'T', 'Z')('sale_condition', 'Sale condition code of the print'),
  oneOf('REGULAR', 'CASH', 'NEXT_DAY', 'SELLER')('settlement_type', 'Settlement terms'),
  oneOf('USD')('currency', 'Price currency (ISO 4217)'),
  oneOf(...SECTORS)('sector', 'Sector of the issuer'),
  oneOf(...CAP_TIERS)('market_cap_tier', 'Market capitalisation tier of the issuer'),
  text(8)('buyer_broker', 'Market participant id of the buying broker'),
  text(8)('seller_broker', 'Market participant id of the selling broker'),
  text(24)('order_id', 'Id of the resting order that was executed'),
  text(24)('contra_order_id', 'Id of the aggressing order'),
  orNull(text(8)('trf_id', 'Trade reporting facility for off-exchange prints, null when on exchange')),
  instant('participant_timestamp', "Time the venue's matching engine executed the trade"),
  instant('sip_timestamp', 'Time the consolidated feed published the trade'),
  amount('notional', 'Price times volume in USD'),
  count('round_lots', 'Whole 100-share lots in the trade'),
  count('odd_lot_shares', 'Shares beyond the whole lots'),
  count('correction_indicator', 'Correction code: 0 original, 1 corrected, 8 cancelled'),
  flag('is_odd_lot', 'Fewer than 100 shares'),
  flag('is_block', 'Block trade: 10,000 shares or more'),
  flag('is_intermarket_sweep', 'Executed as part of an intermarket sweep order'),
  flag('is_short_sale', 'Seller was short'),
  flag('is_auction', 'Printed in an opening or closing auction'),
  flag('is_halted', 'Trading in the ticker was halted around this print'),
  flag('is_extended_hours', 'Executed outside regular trading hours'),
] as const;

export type NarrowTrade = import('./column.ts').RecordOf<typeof narrowColumns>;
export type WideTrade = import('./column.ts').RecordOf<typeof wideColumns>;

export const profiles = { narrow: narrowColumns, wide: wideColumns } as const;
export type ProfileName = keyof typeof profiles;
export const PROFILE_NAMES = Object.keys(profiles) as ProfileName[];
