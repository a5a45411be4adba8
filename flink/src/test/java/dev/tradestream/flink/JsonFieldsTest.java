package dev.tradestream.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class JsonFieldsTest {
  private final JsonFields fields = new JsonFields();
  private final JsonField field = new JsonField();

  @Test
  void readsNamedFieldsInOrderWithExactNumberText() {
    String payload = "{\"price\": 187.1200, \"ticker\": \"AAPL\", \"volume\": 300, \"extra\": true, \"odd\": false}";
    assertArrayEquals(
        new String[] {"AAPL", "187.1200", "300", "false", null},
        fields.eval(payload, "ticker,price,volume,odd,missing"));
  }

  @Test
  void nullAndNestedValues() {
    assertArrayEquals(new String[] {null, "", ""}, fields.eval("{\"a\": null, \"b\": {\"x\": 1}, \"c\": [1]}", "a,b,c"));
  }

  @Test
  void notOneJsonObjectIsNull() {
    assertNull(fields.eval("not json", "a"));
    assertNull(fields.eval("[1, 2]", "a"));
    assertNull(fields.eval("{\"a\": 1", "a"));
    assertNull(fields.eval("{\"a\": 1} trailing", "a"));
    assertNull(fields.eval("", "a"));
  }

  @Test
  void singleFieldStopsAtTheField() {
    assertEquals("1767623400000", field.eval("{\"id\": \"x\", \"ts\": 1767623400000, \"rest\": [1, 2", "ts"));
    assertNull(field.eval("{\"id\": {\"ts\": 5}}", "ts"));
    assertNull(field.eval("oops", "ts"));
  }
}
