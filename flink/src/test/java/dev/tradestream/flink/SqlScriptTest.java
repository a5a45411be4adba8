package dev.tradestream.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class SqlScriptTest {
  @Test
  void splitsOnTopLevelSemicolons() {
    assertEquals(List.of("CREATE TABLE a (x INT)", "DROP TABLE a"), SqlScript.split("CREATE TABLE a (x INT);\n DROP TABLE a;\n"));
  }

  @Test
  void keepsSemicolonsInsideStringsAndIdentifiers() {
    String script = "SELECT 'a;b', 'it''s; fine', `we;ird`, \"q;\" FROM t; SELECT 2";
    assertEquals(List.of("SELECT 'a;b', 'it''s; fine', `we;ird`, \"q;\" FROM t", "SELECT 2"), SqlScript.split(script));
  }

  @Test
  void dropsCommentsButNotCommentMarkersInStrings() {
    String script = "-- header; with semicolon\nSELECT '--not a comment', '/* nor this */' /* a; b */ FROM t; -- tail;";
    assertEquals(List.of("SELECT '--not a comment', '/* nor this */'   FROM t"), SqlScript.split(script));
  }

  @Test
  void lineCommentEndsAtNewline() {
    assertEquals(List.of("SELECT 1  \nFROM t"), SqlScript.split("SELECT 1 -- one\nFROM t;"));
  }

  @Test
  void rejectsUnterminatedQuotesAndComments() {
    assertThrows(IllegalArgumentException.class, () -> SqlScript.split("SELECT 'oops;"));
    assertThrows(IllegalArgumentException.class, () -> SqlScript.split("SELECT 1 /* never closed;"));
  }

  @Test
  void parsesStatementSetWithItsInserts() {
    String script =
        """
        CREATE TABLE a (x INT);
        EXECUTE STATEMENT SET
        BEGIN
          INSERT INTO b SELECT x FROM a WHERE x > 0; -- first
          INSERT INTO c SELECT x FROM a WHERE note = 'end;';
        END;
        """;
    List<SqlScript.Statement> parsed = SqlScript.parse(script);
    assertEquals(2, parsed.size());
    assertEquals(new SqlScript.Sql("CREATE TABLE a (x INT)"), parsed.get(0));
    assertEquals(
        new SqlScript.StatementSet(
            List.of("INSERT INTO b SELECT x FROM a WHERE x > 0", "INSERT INTO c SELECT x FROM a WHERE note = 'end;'")),
        parsed.get(1));
  }

  @Test
  void parsesBeginStatementSetForm() {
    List<SqlScript.Statement> parsed = SqlScript.parse("begin statement set; insert into b select 1; end;");
    assertEquals(List.of(new SqlScript.StatementSet(List.of("insert into b select 1"))), parsed);
  }

  @Test
  void rejectsUnclosedOrEmptyStatementSets() {
    assertThrows(IllegalArgumentException.class, () -> SqlScript.parse("EXECUTE STATEMENT SET BEGIN INSERT INTO b SELECT 1;"));
    assertThrows(IllegalArgumentException.class, () -> SqlScript.parse("EXECUTE STATEMENT SET BEGIN END;"));
    assertThrows(IllegalArgumentException.class, () -> SqlScript.parse("END;"));
  }

  @Test
  void parsesSetOptionsQuotedOrNot() {
    List<SqlScript.Statement> parsed =
        SqlScript.parse("SET 'table.local-time-zone' = 'UTC';\nSET parallelism.default=2;\nSET 'pipeline.name' = 'it''s';");
    assertEquals(
        List.of(
            new SqlScript.SetOption("table.local-time-zone", "UTC"),
            new SqlScript.SetOption("parallelism.default", "2"),
            new SqlScript.SetOption("pipeline.name", "it's")),
        parsed);
  }

  @Test
  void headlineIsTheFirstLine() {
    assertEquals("CREATE TABLE t (", SqlScript.headline("  CREATE TABLE t (\n  x INT\n)"));
  }
}
