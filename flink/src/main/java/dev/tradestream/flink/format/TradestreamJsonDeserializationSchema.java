package dev.tradestream.flink.format;

import java.io.IOException;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.util.Collector;

/**
 * The runtime decoder of format {@code tradestream-json}: one row per record, always (a refused record, a
 * tombstone and an empty value included), never an exception for what a record holds.
 *
 * <p>The row is the physical fields in the order of the physical row type, then the requested metadata in the
 * order {@link TradestreamJsonDecodingFormat#applyReadableMetadata} received it. The Kafka table source places
 * these fields into its own output row (format metadata after the physical columns, then connector metadata),
 * so the layout is this one and no other; it also casts the row to {@link GenericRowData}, which this is.
 */
public final class TradestreamJsonDeserializationSchema implements DeserializationSchema<RowData> {
  private static final long serialVersionUID = 1L;

  private final ColumnSpec[] columns;
  private final TradestreamJsonDecodingFormat.Metadata[] metadata;
  private final TypeInformation<RowData> producedType;

  private transient RecordDecoder decoder;

  TradestreamJsonDeserializationSchema(
      ColumnSpec[] columns, TradestreamJsonDecodingFormat.Metadata[] metadata, TypeInformation<RowData> producedType) {
    this.columns = columns.clone();
    this.metadata = metadata.clone();
    this.producedType = producedType;
  }

  @Override
  public void open(InitializationContext context) {
    decoder = new RecordDecoder(columns);
  }

  @Override
  public RowData deserialize(byte[] message) {
    if (decoder == null) { // open() is the contract, but a missed call must not turn into a failure per record
      decoder = new RecordDecoder(columns);
    }
    GenericRowData row = new GenericRowData(columns.length + metadata.length);
    String reason = decoder.decode(message, row);
    for (int m = 0; m < metadata.length; m++) {
      Object value =
          switch (metadata[m]) {
            case REASON -> reason == null ? null : StringData.fromString(reason);
            // The record's own bytes (the Kafka client makes a fresh array per record, and nothing writes to it).
            case RAW -> message;
          };
      row.setField(columns.length + m, value);
    }
    return row;
  }

  @Override
  public void deserialize(byte[] message, Collector<RowData> out) throws IOException {
    out.collect(deserialize(message)); // also for a null message: the default would drop it
  }

  @Override
  public boolean isEndOfStream(RowData nextElement) {
    return false;
  }

  @Override
  public TypeInformation<RowData> getProducedType() {
    return producedType;
  }
}
