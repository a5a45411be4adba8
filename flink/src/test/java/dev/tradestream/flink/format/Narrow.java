package dev.tradestream.flink.format;

import java.util.List;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.types.DataType;

/** The narrow trade profile as the format sees it (src/schema/profiles.ts, decodeRules() and decodedRowType()). */
final class Narrow {
  static final String RULES =
      "{\"trade_id\":{\"required\":true,\"maxLength\":64},"
          + "\"ticker\":{\"required\":true,\"maxLength\":12},"
          + "\"price\":{\"required\":true,\"min\":\"0\",\"exclusiveMin\":true},"
          + "\"volume\":{\"required\":true,\"min\":\"1\"},"
          + "\"trade_timestamp\":{\"required\":true,\"timestamp\":true},"
          + "\"side\":{\"required\":true,\"values\":[\"BUY\",\"SELL\"]},"
          + "\"exchange\":{\"required\":true,\"values\":[\"NYSE\",\"NASDAQ\",\"ARCA\",\"BATS\",\"IEX\",\"EDGX\",\"CHX\",\"MEMX\"]},"
          + "\"sequence\":{\"required\":true,\"min\":\"0\"}}";

  static final List<String> NAMES =
      List.of("trade_id", "ticker", "price", "volume", "trade_timestamp", "side", "exchange", "sequence");

  static final DataType ROW =
      DataTypes.ROW(
          DataTypes.FIELD("trade_id", DataTypes.STRING()),
          DataTypes.FIELD("ticker", DataTypes.STRING()),
          DataTypes.FIELD("price", DataTypes.DECIMAL(12, 4)),
          DataTypes.FIELD("volume", DataTypes.BIGINT()),
          DataTypes.FIELD("trade_timestamp", DataTypes.BIGINT()),
          DataTypes.FIELD("side", DataTypes.STRING()),
          DataTypes.FIELD("exchange", DataTypes.STRING()),
          DataTypes.FIELD("sequence", DataTypes.BIGINT()));

  /** The physical columns as SQL column definitions. */
  static final String COLUMNS_SQL =
      "`trade_id` STRING, `ticker` STRING, `price` DECIMAL(12, 4), `volume` BIGINT, `trade_timestamp` BIGINT,"
          + " `side` STRING, `exchange` STRING, `sequence` BIGINT";

  static final String VALID =
      "{\"trade_id\":\"p1-7\",\"ticker\":\"AAPL\",\"price\":187.12,\"volume\":300,"
          + "\"trade_timestamp\":1767623400000,\"side\":\"BUY\",\"exchange\":\"NASDAQ\",\"sequence\":7}";

  private Narrow() {}
}
