package dev.tradestream.flink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

/**
 * Runs one Flink SQL script as one job: substitutes ${ENV} placeholders, applies SET statements, executes DDL,
 * submits the statement set and, unless --detached, waits for the job (a local MiniCluster lives only as long as
 * this process). The same jar runs in the FlinkDeployment (application mode) and in the local stack.
 *
 * <p>Usage: {@code SqlRunner [--detached | --explain] [-Dkey=value ...] script.sql}. -D options are Flink
 * configuration applied before the environment is created (checkpoint dir, restore path, REST port...).
 * {@code --explain} plans the statement set and prints its optimized plan to stdout instead of running it (no
 * server is contacted: the tests read it to prove each record is decoded once).
 */
public final class SqlRunner {
  private static final String USAGE = "usage: SqlRunner [--detached | --explain] [-Dkey=value ...] script.sql";

  private SqlRunner() {}

  public static void main(String[] args) {
    try {
      run(args);
    } catch (Exception e) {
      // One line per cause first (what a person reads), then the trace for the log.
      for (Throwable t = e; t != null; t = t.getCause()) {
        log((t == e ? "failed: " : "caused by: ") + t);
      }
      e.printStackTrace();
      System.exit(1);
    }
  }

  private static void run(String[] args) throws Exception {
    boolean detached = false;
    boolean explain = false;
    Path script = null;
    Configuration conf = new Configuration();
    for (String arg : args) {
      if (arg.equals("--detached")) {
        detached = true;
      } else if (arg.equals("--explain")) {
        explain = true;
      } else if (arg.startsWith("-D") && arg.contains("=")) {
        int eq = arg.indexOf('=');
        conf.setString(arg.substring(2, eq), arg.substring(eq + 1));
      } else if (script == null && !arg.startsWith("-")) {
        script = Path.of(arg);
      } else {
        fail(2, "unknown argument " + arg + "\n" + USAGE);
      }
    }
    if (script == null) {
      fail(2, USAGE);
    }

    List<SqlScript.Statement> statements;
    List<SqlScript.Statement> shown;
    try {
      String raw = Files.readString(script, StandardCharsets.UTF_8);
      shown = SqlScript.parse(raw);
      statements = SqlScript.parse(Placeholders.substitute(raw, System.getenv()));
    } catch (IOException e) {
      fail(2, "cannot read " + script + ": " + e.getMessage());
      return;
    } catch (IllegalArgumentException e) {
      fail(2, script + ": " + e.getMessage());
      return;
    }
    if (shown.size() != statements.size()) {
      fail(2, script + ": an environment value changed the statement structure (a ; or quote outside a literal?)");
    }

    // SETs before the first other statement configure the environment itself (checkpointing, parallelism...).
    int first = 0;
    while (first < statements.size() && statements.get(first) instanceof SqlScript.SetOption set) {
      conf.setString(set.key(), set.value());
      log("SET " + set.key());
      first++;
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    StreamTableEnvironment tableEnv =
        StreamTableEnvironment.create(env, EnvironmentSettings.newInstance().inStreamingMode().withConfiguration(conf).build());

    List<TableResult> jobs = new ArrayList<>();
    for (int i = first; i < statements.size(); i++) {
      SqlScript.Statement statement = statements.get(i);
      String label = "[" + (i + 1) + "/" + statements.size() + "] ";
      if (statement instanceof SqlScript.SetOption set) {
        tableEnv.getConfig().getConfiguration().setString(set.key(), set.value());
        log(label + "SET " + set.key());
      } else if (statement instanceof SqlScript.Sql sql) {
        log(label + (shown.get(i) instanceof SqlScript.Sql raw ? SqlScript.headline(raw.text()) : "statement"));
        TableResult result = tableEnv.executeSql(sql.text());
        result.getJobClient().ifPresent(client -> jobs.add(result));
      } else if (statement instanceof SqlScript.StatementSet set) {
        log(label + "statement set of " + set.inserts().size() + " INSERT(s)");
        var statementSet = tableEnv.createStatementSet();
        for (String insert : set.inserts()) {
          statementSet.addInsertSql(insert);
        }
        if (explain) {
          System.out.println(statementSet.explain());
          continue;
        }
        jobs.add(statementSet.execute());
      }
    }
    for (TableResult job : jobs) {
      job.getJobClient().ifPresent(client -> log("submitted job " + client.getJobID()));
    }
    if (detached) {
      return;
    }
    for (TableResult job : jobs) {
      job.await();
    }
    log("all jobs finished");
  }

  private static void log(String message) {
    System.err.println("[sql-runner] " + message);
  }

  private static void fail(int code, String message) {
    log(message);
    System.exit(code);
  }
}
