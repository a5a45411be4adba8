package dev.tradestream.flink.postgres;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ExplainDetail;
import org.apache.flink.table.api.TableEnvironment;
import org.junit.jupiter.api.Test;

/** The factory in a real TableEnvironment: what is refused while planning, and a plan that translates. */
class PostgresSinkFactoryTest {
  private static final String OPTIONS = "'connector' = 'tradestream-postgres',"
      + " 'url' = 'jdbc:postgresql://127.0.0.1:9/none', 'table-name' = 'trades', 'username' = 'app',"
      + " 'password' = 'secret-value', 'dead-letter.topic' = 'dlq', 'dead-letter.properties.bootstrap.servers' = '127.0.0.1:9',"
      + " 'dead-letter.properties.sasl.jaas.config' = 'ScramLoginModule required password=\"kafka-secret\";'";

  private static TableEnvironment env(String columns, String options) {
    TableEnvironment env = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
    env.executeSql("CREATE TEMPORARY VIEW src AS SELECT * FROM (VALUES ('a', 1, CAST(1.5 AS DECIMAL(12, 4)),"
        + " TIMESTAMP '2024-01-01 00:00:00.123', X'00')) AS t(id, n, price, ts, payload)");
    env.executeSql("CREATE TABLE sink (" + columns + ") WITH (" + options + ")");
    return env;
  }

  private static String messages(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (; t != null; t = t.getCause()) {
      s.append(t.getMessage()).append('\n');
    }
    return s.toString();
  }

  @Test
  void plansAndTranslatesAnInsertOnlyQuery() {
    TableEnvironment env =
        env("id STRING, n INT, price DECIMAL(12, 4), ts TIMESTAMP(3), PRIMARY KEY (id) NOT ENFORCED", OPTIONS);
    String plan = env.explainSql("INSERT INTO sink SELECT id, n, price, ts FROM src", ExplainDetail.JSON_EXECUTION_PLAN);
    assertTrue(plan.contains("Sink(table=[default_catalog.default_database.sink]"), plan);
    assertFalse(plan.contains("secret-value"), "the password is never in a plan");
    assertFalse(plan.contains("kafka-secret"), "nor the dead-letter producer's");
  }

  @Test
  void refusesATableWithoutPrimaryKey() {
    TableEnvironment env = env("id STRING, n INT", OPTIONS);
    Exception e = assertThrows(Exception.class, () -> env.explainSql("INSERT INTO sink SELECT id, n FROM src"));
    assertTrue(messages(e).contains("needs a PRIMARY KEY (...) NOT ENFORCED"), messages(e));
  }

  @Test
  void refusesAnUnsupportedColumnTypeNamingTheColumn() {
    TableEnvironment env = env("id STRING, payload BYTES, PRIMARY KEY (id) NOT ENFORCED", OPTIONS);
    Exception e = assertThrows(Exception.class, () -> env.explainSql("INSERT INTO sink SELECT id, payload FROM src"));
    assertTrue(messages(e).contains("column `payload` has type BYTES"), messages(e));
  }

  @Test
  void refusesAQueryThatUpdatesRows() {
    TableEnvironment env = env("id STRING, n BIGINT, PRIMARY KEY (id) NOT ENFORCED", OPTIONS);
    Exception e = assertThrows(
        Exception.class, () -> env.explainSql("INSERT INTO sink SELECT id, COUNT(*) FROM src GROUP BY id"));
    assertTrue(messages(e).contains("doesn't support consuming update changes"), messages(e));
  }

  @Test
  void refusesAUrlThatIsNotPostgresAndMasksThePassword() {
    TableEnvironment env = env("id STRING, n INT, PRIMARY KEY (id) NOT ENFORCED",
        OPTIONS.replace("jdbc:postgresql://127.0.0.1:9/none", "jdbc:mysql://h/db"));
    Exception e = assertThrows(Exception.class, () -> env.explainSql("INSERT INTO sink SELECT id, n FROM src"));
    assertTrue(messages(e).contains("'url' must be a PostgreSQL JDBC URL"), messages(e));
    // Flink prints a failing table's options, with the password's value masked.
    assertTrue(messages(e).contains("'password'='******'"), messages(e));
    assertFalse(messages(e).contains("secret-value"), messages(e));
    assertFalse(messages(e).contains("kafka-secret"), "the JAAS line is masked too: " + messages(e));
  }

  @Test
  void refusesAnUnknownOptionOutsideTheDeadLetterProperties() {
    TableEnvironment env = env("id STRING, n INT, PRIMARY KEY (id) NOT ENFORCED", OPTIONS + ", 'dead-letter.bogus' = 'x'");
    Exception e = assertThrows(Exception.class, () -> env.explainSql("INSERT INTO sink SELECT id, n FROM src"));
    assertTrue(messages(e).contains("dead-letter.bogus"), messages(e));
  }
}
