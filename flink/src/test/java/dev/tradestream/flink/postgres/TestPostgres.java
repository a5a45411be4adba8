package dev.tradestream.flink.postgres;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for the tests, as src/local/postgres.ts starts one: the newest version under
 * /usr/lib/postgresql, initdb on a temp dir, a free loopback port, trust authentication, no fsync. As root the
 * server runs as the {@code postgres} user (initdb refuses root). {@link #kill()} SIGKILLs the postmaster, as a
 * crash would; {@link #start()} brings it back on the same port and data.
 */
final class TestPostgres implements AutoCloseable {
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  private final Path dir;
  private final Path bin;
  final int port;
  private Process server;

  private TestPostgres(Path dir, Path bin, int port) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
  }

  static TestPostgres create() throws Exception {
    Path bin = newestBin();
    Path dir = Files.createTempDirectory("tradestream-pg-test-");
    if (ROOT) {
      UserPrincipal postgres = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
      Files.setOwner(dir, postgres);
    }
    TestPostgres db = new TestPostgres(dir, bin, freePort());
    db.run(List.of(bin.resolve("initdb").toString(), "-D", db.data().toString(), "-U", "postgres",
        "--auth=trust", "-E", "UTF8", "--no-locale"));
    db.start();
    try (Connection c = db.connect("postgres"); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE test");
    }
    return db;
  }

  String url() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/test";
  }

  Connection connect() throws SQLException {
    return connect("test");
  }

  private Connection connect(String database) throws SQLException {
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, "postgres", "");
  }

  void execute(String... statements) throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** Starts the server (again, after kill()) and waits until it accepts connections. */
  void start() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (; ; ) {
      List<String> command = new ArrayList<>(List.of(bin.resolve("postgres").toString(), "-D", data().toString(),
          "-c", "listen_addresses=127.0.0.1", "-c", "port=" + port, "-c", "unix_socket_directories=" + dir,
          "-c", "fsync=off", "-c", "full_page_writes=off"));
      server = asPostgres(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile())).start();
      while (server.isAlive() && System.nanoTime() < deadline) {
        try (Connection c = connect("postgres")) {
          return;
        } catch (SQLException notYet) {
          Thread.sleep(100);
        }
      }
      // A killed server's backends may hold its shared memory a moment longer: try again.
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("PostgreSQL did not start; see " + dir.resolve("server.log"));
      }
      Thread.sleep(300);
    }
  }

  /** SIGKILLs the postmaster (its backends exit when they notice) and waits until it is gone. */
  void kill() throws Exception {
    long pid = Long.parseLong(Files.readAllLines(data().resolve("postmaster.pid")).get(0).trim());
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    server.waitFor(30, TimeUnit.SECONDS);
    ProcessHandle.of(pid).ifPresent(p -> p.onExit().join());
  }

  @Override
  public void close() throws Exception {
    if (server != null && server.isAlive()) {
      run(List.of(bin.resolve("pg_ctl").toString(), "stop", "-D", data().toString(), "-m", "immediate", "-w"));
      server.waitFor(30, TimeUnit.SECONDS);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private Path data() {
    return dir.resolve("data");
  }

  private ProcessBuilder asPostgres(List<String> command) {
    List<String> full = new ArrayList<>();
    if (ROOT) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    return new ProcessBuilder(full).directory(dir.toFile());
  }

  private void run(List<String> command) throws Exception {
    Process p = asPostgres(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException(command.get(0) + " failed: " + output);
    }
  }

  private static Path newestBin() throws IOException {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions
          .filter(p -> p.getFileName().toString().matches("\\d+"))
          .max(Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString())))
          .map(p -> p.resolve("bin"))
          .orElseThrow(() -> new IllegalStateException("no PostgreSQL under /usr/lib/postgresql"));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
