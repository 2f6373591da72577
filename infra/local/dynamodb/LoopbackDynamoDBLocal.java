import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local bound to 127.0.0.1 only.
 *
 * DynamoDB Local's own launcher binds its Jetty server to every interface and has no
 * host option; this launcher builds the very same server from the same command line,
 * moves each connector to the loopback address, then starts it. Run as a single-file
 * source program: java -cp 'DynamoDBLocal.jar:DynamoDBLocal_lib/*' LoopbackDynamoDBLocal.java ARGS
 */
public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("ripple.host", "127.0.0.1");
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (connector instanceof ServerConnector) {
        ((ServerConnector) connector).setHost(host);
      }
    }
    // Exit when the parent closes our stdin (it stopped, or died without a chance to stop us),
    // so no java process outlives the runtime that started it.
    Thread watchdog = new Thread(() -> {
      try {
        while (System.in.read() != -1) {}
      } catch (Exception ignored) {
      }
      System.exit(0);
    }, "parent-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    // And, should the pipe outlive the parent (another process inherited it), exit once the
    // process that started us is gone: checked twice a second.
    long parentPid = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L);
    Thread parentCheck = new Thread(() -> {
      for (;;) {
        boolean alive = ProcessHandle.current().parent().map(p -> p.pid() == parentPid && p.isAlive()).orElse(false);
        if (!alive) System.exit(0);
        try {
          Thread.sleep(500);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "parent-check");
    parentCheck.setDaemon(true);
    parentCheck.start();
    proxy.start();
    // The runtime waits for this line with the port and a nonce it chose, so its readiness check
    // can never be answered by another process already holding the port.
    System.out.println("DynamoDB Local listening on " + host + " nonce " + System.getProperty("ripple.nonce", ""));
    proxy.join();
  }
}
