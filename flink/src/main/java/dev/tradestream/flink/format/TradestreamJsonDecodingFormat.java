package dev.tradestream.flink.format;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.table.connector.format.DecodingFormat;
import org.apache.flink.table.connector.source.DynamicTableSource;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.utils.DataTypeUtils;

/**
 * Format {@code tradestream-json} as planned for one table: the rules, and the metadata the query reads.
 *
 * <p>Not a {@code ProjectableDecodingFormat}: the Kafka table source (flink-connector-kafka 5.0.0) does not
 * implement projection push-down, so it always asks for the whole physical row; and a strict decoder judges
 * every column anyway, read or not.
 *
 * <p>Readable metadata (the Kafka source exposes it as {@code value.reason} and {@code value.raw}):
 * <ul>
 *   <li>{@code reason} STRING: why the record was refused, null when it is valid;</li>
 *   <li>{@code raw} BYTES: the record's bytes exactly as read, null for a null record (tombstone).</li>
 * </ul>
 */
public final class TradestreamJsonDecodingFormat implements DecodingFormat<DeserializationSchema<RowData>> {

  /** The readable metadata, in the order {@link #listReadableMetadata} lists them. */
  enum Metadata {
    REASON("reason", DataTypes.STRING()),
    RAW("raw", DataTypes.BYTES());

    final String key;
    final DataType type;

    Metadata(String key, DataType type) {
      this.key = key;
      this.type = type;
    }

    static Metadata of(String key) {
      for (Metadata m : values()) {
        if (m.key.equals(key)) {
          return m;
        }
      }
      throw new ValidationException(
          "Format 'tradestream-json' has no metadata '" + key + "' (it has 'reason' and 'raw')");
    }
  }

  private final DecodeRules rules;
  /** The requested metadata, in the order the source asked for it. */
  private List<Metadata> metadata = List.of();

  TradestreamJsonDecodingFormat(DecodeRules rules) {
    this.rules = rules;
  }

  @Override
  public DeserializationSchema<RowData> createRuntimeDecoder(
      DynamicTableSource.Context context, DataType physicalDataType) {
    ColumnSpec[] columns = rules.bind(physicalDataType);
    List<DataTypes.Field> metadataFields = new ArrayList<>();
    for (Metadata m : metadata) {
      // Named apart from any physical column: only the positions matter to the source.
      metadataFields.add(DataTypes.FIELD("$metadata$" + m.key, m.type));
    }
    DataType producedDataType = DataTypeUtils.appendRowFields(physicalDataType, metadataFields);
    TypeInformation<RowData> producedType = context.createTypeInformation(producedDataType);
    return new TradestreamJsonDeserializationSchema(columns, metadata.toArray(Metadata[]::new), producedType);
  }

  @Override
  public Map<String, DataType> listReadableMetadata() {
    Map<String, DataType> map = new LinkedHashMap<>();
    for (Metadata m : Metadata.values()) {
      map.put(m.key, m.type);
    }
    return map;
  }

  @Override
  public void applyReadableMetadata(List<String> metadataKeys) {
    List<Metadata> requested = new ArrayList<>();
    for (String key : metadataKeys) {
      requested.add(Metadata.of(key));
    }
    this.metadata = List.copyOf(requested);
  }

  @Override
  public ChangelogMode getChangelogMode() {
    return ChangelogMode.insertOnly();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TradestreamJsonDecodingFormat other
        && rules.equals(other.rules)
        && metadata.equals(other.metadata);
  }

  @Override
  public int hashCode() {
    return Objects.hash(rules, metadata);
  }
}
