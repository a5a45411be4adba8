package dev.tradestream.flink.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.DeserializationFeature;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.runtime.connector.source.ScanRuntimeProviderContext;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.DecimalType;
import org.apache.flink.table.types.logical.LogicalType;
import org.apache.flink.table.types.logical.utils.LogicalTypeParser;
import org.apache.flink.table.types.utils.TypeConversions;
import org.apache.flink.types.RowKind;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every case of every corpus file (flink/src/test/resources/corpus/*.json, written by src/schema/corpus.ts; the
 * hand-written sample.json besides) through the runtime decoder, built from the file's columns and rules as the
 * planner builds it, with both metadata columns requested: the reason, the raw bytes and the typed row must be
 * exactly the expected ones.
 */
class CorpusTest {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  @TestFactory
  Stream<DynamicNode> corpus() throws IOException, URISyntaxException {
    URL dir = CorpusTest.class.getResource("/corpus");
    assertNotNull(dir, "no corpus directory on the test classpath (flink/src/test/resources/corpus)");
    List<Path> files = new ArrayList<>();
    try (Stream<Path> list = Files.list(Paths.get(dir.toURI()))) {
      list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().forEach(files::add);
    }
    assertFalse(files.isEmpty(), "no corpus file in " + dir);
    List<DynamicNode> containers = new ArrayList<>();
    for (Path file : files) {
      containers.add(corpusFile(file));
    }
    return containers.stream();
  }

  private static DynamicContainer corpusFile(Path file) throws IOException {
    JsonNode corpus = MAPPER.readTree(file.toFile());
    List<String> names = new ArrayList<>();
    List<LogicalType> types = new ArrayList<>();
    List<DataTypes.Field> fields = new ArrayList<>();
    for (JsonNode column : corpus.get("columns")) {
      LogicalType type = LogicalTypeParser.parse(column.get("type").asText(), CorpusTest.class.getClassLoader());
      names.add(column.get("name").asText());
      types.add(type);
      fields.add(DataTypes.FIELD(column.get("name").asText(), TypeConversions.fromLogicalToDataType(type)));
    }
    DataType rowType = DataTypes.ROW(fields.toArray(DataTypes.Field[]::new));
    TradestreamJsonDecodingFormat format =
        new TradestreamJsonDecodingFormat(DecodeRules.parse(corpus.get("rules").toString()));
    format.applyReadableMetadata(List.of("reason", "raw"));
    TradestreamJsonDeserializationSchema schema =
        (TradestreamJsonDeserializationSchema) format.createRuntimeDecoder(ScanRuntimeProviderContext.INSTANCE, rowType);
    schema.open(null);

    List<DynamicTest> tests = new ArrayList<>();
    Set<String> caseNames = new HashSet<>();
    for (JsonNode c : corpus.get("cases")) {
      String name = c.get("name").asText();
      assertTrue(caseNames.add(name), file.getFileName() + ": two cases named " + name);
      tests.add(DynamicTest.dynamicTest(name, () -> check(schema, names, types, c)));
    }
    assertFalse(tests.isEmpty(), file + " has no cases");
    return DynamicContainer.dynamicContainer(
        file.getFileName() + " (" + corpus.path("profile").asText() + ")", tests);
  }

  private static void check(
      TradestreamJsonDeserializationSchema schema, List<String> names, List<LogicalType> types, JsonNode c) {
    byte[] payload = c.get("payload").isNull() ? null : Base64.getDecoder().decode(c.get("payload").asText());
    String expectedReason = c.get("reason").isNull() ? null : c.get("reason").asText();
    int n = names.size();

    RowData row = schema.deserialize(payload);
    assertEquals(n + 2, row.getArity(), "physical fields, then reason and raw");
    assertEquals(RowKind.INSERT, row.getRowKind());
    assertEquals(expectedReason, row.isNullAt(n) ? null : row.getString(n).toString(), "reason");
    if (payload == null) {
      assertTrue(row.isNullAt(n + 1), "raw of a null record");
    } else {
      assertArrayEquals(payload, row.getBinary(n + 1), "raw is the record's bytes");
    }
    if (expectedReason != null) {
      for (int i = 0; i < n; i++) {
        assertTrue(row.isNullAt(i), names.get(i) + " of a refused record must be null");
      }
      return;
    }
    JsonNode expected = c.get("row");
    assertNotNull(expected, "a valid case needs its row");
    Set<String> expectedNames = new HashSet<>();
    expected.fieldNames().forEachRemaining(expectedNames::add);
    assertEquals(new HashSet<>(names), expectedNames, "the expected row names every column");
    for (int i = 0; i < n; i++) {
      String column = names.get(i);
      JsonNode want = expected.get(column);
      if (want.isNull()) {
        assertTrue(row.isNullAt(i), column + " should be null");
        continue;
      }
      assertFalse(row.isNullAt(i), column + " should be " + want);
      LogicalType type = types.get(i);
      switch (type.getTypeRoot()) {
        case VARCHAR -> {
          assertInstanceOf(StringData.class, ((GenericRowData) row).getField(i));
          assertEquals(want.asText(), row.getString(i).toString(), column);
        }
        case DECIMAL -> {
          DecimalType d = (DecimalType) type;
          DecimalData value = row.getDecimal(i, d.getPrecision(), d.getScale());
          assertEquals(d.getPrecision(), value.precision(), column + " precision");
          assertEquals(d.getScale(), value.scale(), column + " scale");
          assertEquals(want.asText(), value.toBigDecimal().toPlainString(), column);
        }
        case BIGINT -> assertEquals(want.asText(), Long.toString(row.getLong(i)), column);
        case INTEGER -> assertEquals(want.asText(), Integer.toString(row.getInt(i)), column);
        case DOUBLE -> {
          assertTrue(want.isNumber(), column + ": a DOUBLE is expected as a JSON number");
          // The expected literal read exactly, then rounded once, as the decoder does.
          double wanted = Double.parseDouble(want.decimalValue().toString());
          assertEquals(wanted, row.getDouble(i), 0.0, column);
        }
        case BOOLEAN -> {
          assertTrue(want.isBoolean(), column + ": a BOOLEAN is expected as a JSON boolean");
          assertEquals(want.booleanValue(), row.getBoolean(i), column);
        }
        default -> throw new AssertionError("corpus column " + column + " has an unsupported type " + type);
      }
    }
  }
}
