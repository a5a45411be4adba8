package dev.tradestream.flink.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.connector.source.ScanRuntimeProviderContext;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;
import org.apache.flink.util.Collector;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

/** The produced row: the physical fields, then the requested metadata in the order the source requested it. */
class MetadataLayoutTest {
  private static TradestreamJsonDeserializationSchema decoder(List<String> metadata) {
    TradestreamJsonDecodingFormat format = new TradestreamJsonDecodingFormat(DecodeRules.parse(Narrow.RULES));
    format.applyReadableMetadata(metadata);
    return (TradestreamJsonDeserializationSchema)
        format.createRuntimeDecoder(ScanRuntimeProviderContext.INSTANCE, Narrow.ROW);
  }

  @Test
  void listsReasonThenRaw() {
    TradestreamJsonDecodingFormat format = new TradestreamJsonDecodingFormat(DecodeRules.parse(Narrow.RULES));
    assertEquals(List.of("reason", "raw"), new ArrayList<>(format.listReadableMetadata().keySet()));
    assertEquals(DataTypes.STRING(), format.listReadableMetadata().get("reason"));
    assertEquals(DataTypes.BYTES(), format.listReadableMetadata().get("raw"));
  }

  @Test
  void metadataFollowsThePhysicalFieldsInRequestedOrder() {
    byte[] bad = "{\"ticker\": 5}".getBytes(StandardCharsets.UTF_8);
    RowData row = decoder(List.of("raw", "reason")).deserialize(bad);
    assertEquals(10, row.getArity());
    assertArrayEquals(bad, row.getBinary(8));
    assertEquals("ticker is not a string", row.getString(9).toString());

    RowData reversed = decoder(List.of("reason", "raw")).deserialize(bad);
    assertEquals("ticker is not a string", reversed.getString(8).toString());
    assertArrayEquals(bad, reversed.getBinary(9));

    RowData reasonOnly = decoder(List.of("reason")).deserialize(bad);
    assertEquals(9, reasonOnly.getArity());
    assertEquals("ticker is not a string", reasonOnly.getString(8).toString());
  }

  @Test
  void withoutMetadataTheRowIsThePhysicalRow() {
    RowData row = decoder(List.of()).deserialize(Narrow.VALID.getBytes(StandardCharsets.UTF_8));
    assertEquals(8, row.getArity());
    assertEquals("AAPL", row.getString(1).toString());
    assertEquals("187.1200", row.getDecimal(2, 12, 4).toBigDecimal().toPlainString());
  }

  @Test
  void producedTypeIsPhysicalPlusMetadata() {
    RowType type = (RowType) ((InternalTypeInfo<?>) decoder(List.of("raw", "reason")).getProducedType()).toLogicalType();
    assertEquals(10, type.getFieldCount());
    assertEquals(Narrow.NAMES, type.getFieldNames().subList(0, 8));
    assertEquals(DataTypes.BYTES().getLogicalType(), type.getTypeAt(8));
    assertEquals(DataTypes.STRING().getLogicalType(), type.getTypeAt(9));
  }

  @Test
  void aValidRecordHasNoReasonAndItsBytes() {
    byte[] valid = Narrow.VALID.getBytes(StandardCharsets.UTF_8);
    RowData row = decoder(List.of("reason", "raw")).deserialize(valid);
    assertTrue(row.isNullAt(8));
    assertArrayEquals(valid, row.getBinary(9));
    assertEquals(1767623400000L, row.getLong(4));
  }

  @Test
  void aNullRecordIsOneRow() throws Exception {
    List<RowData> out = new ArrayList<>();
    decoder(List.of("reason", "raw"))
        .deserialize(
            null,
            new Collector<>() {
              @Override
              public void collect(RowData record) {
                out.add(record);
              }

              @Override
              public void close() {}
            });
    assertEquals(1, out.size());
    assertEquals("empty record", out.get(0).getString(8).toString());
    assertTrue(out.get(0).isNullAt(9));
    for (int i = 0; i < 8; i++) {
      assertTrue(out.get(0).isNullAt(i));
    }
  }

  @Test
  void unknownMetadataIsRefused() {
    TradestreamJsonDecodingFormat format = new TradestreamJsonDecodingFormat(DecodeRules.parse(Narrow.RULES));
    assertThrows(ValidationException.class, () -> format.applyReadableMetadata(List.of("offset")));
  }

  @Test
  void survivesSerialization() throws Exception {
    // The runtime decoder is shipped to the task managers inside the source.
    TradestreamJsonDeserializationSchema copy =
        InstantiationUtil.clone(decoder(List.of("reason", "raw")), getClass().getClassLoader());
    copy.open(null);
    RowData row = copy.deserialize("[]".getBytes(StandardCharsets.UTF_8));
    assertEquals("not a JSON object", row.getString(8).toString());
    assertNull(copy.deserialize(Narrow.VALID.getBytes(StandardCharsets.UTF_8)).getString(8));
  }

  @Test
  void rowsAreNotShared() {
    TradestreamJsonDeserializationSchema decoder = decoder(List.of());
    byte[] valid = Narrow.VALID.getBytes(StandardCharsets.UTF_8);
    RowData first = decoder.deserialize(valid);
    RowData second = decoder.deserialize("{}".getBytes(StandardCharsets.UTF_8));
    assertEquals("AAPL", first.getString(1).toString());
    assertTrue(second.isNullAt(1));
  }

  @Test
  void equalFormatsForEqualRulesAndMetadata() {
    TradestreamJsonDecodingFormat a = new TradestreamJsonDecodingFormat(DecodeRules.parse(Narrow.RULES));
    TradestreamJsonDecodingFormat b = new TradestreamJsonDecodingFormat(DecodeRules.parse(Narrow.RULES));
    assertEquals(a, b);
    a.applyReadableMetadata(List.of("raw"));
    assertNotEquals(a, b);
  }
}
