package dev.tradestream.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PlaceholdersTest {
  @Test
  void substitutesFromTheEnvironment() {
    String out =
        Placeholders.substitute(
            "'properties.bootstrap.servers' = '${KAFKA_BOOTSTRAP}', 'x' = ${N}", Map.of("KAFKA_BOOTSTRAP", "h:9092", "N", "3"));
    assertEquals("'properties.bootstrap.servers' = 'h:9092', 'x' = 3", out);
  }

  @Test
  void escapesQuotesInsideStringLiterals() {
    String out = Placeholders.substitute("'password' = '${PG_PASSWORD}'", Map.of("PG_PASSWORD", "a'b;--c"));
    assertEquals("'password' = 'a''b;--c'", out);
    assertEquals(1, SqlScript.split(out + ";").size());
  }

  @Test
  void missingVariablesAreNamedAndValuesNeverShown() {
    var error =
        assertThrows(
            Placeholders.MissingVariablesException.class,
            () -> Placeholders.substitute("'${B}' '${A}' '${SECRET}'", Map.of("SECRET", "hunter2")));
    assertTrue(error.getMessage().contains("A, B"), error.getMessage());
    assertFalse(error.getMessage().contains("hunter2"));
    assertFalse(error.getMessage().contains("SECRET"));
  }

  @Test
  void ignoresPlaceholdersInComments() {
    assertEquals(Set.of(), Placeholders.missing("-- ${NOT_NEEDED}\n/* ${NOR_THIS} */ SELECT 1", Map.of()));
    assertEquals("-- ${X}\nSELECT 1", Placeholders.substitute("-- ${X}\nSELECT 1", Map.of()));
  }

  @Test
  void leavesDollarsThatAreNotPlaceholders() {
    assertEquals("SELECT '$5', '${not valid}'", Placeholders.substitute("SELECT '$5', '${not valid}'", Map.of()));
  }
}
