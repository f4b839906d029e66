import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Connects to HOST:PORT over TLS with Java's default trust store (the one the
 * javax.net.ssl.trustStore properties name), checking the host name as HTTPS does, and sends a
 * GET. Prints "trusted: <server>" and the reply's first line and exits 0, or prints
 * "refused: <reason>" and exits 3.
 */
public class TlsProbe {
  public static void main(String[] args) throws Exception {
    SSLSocketFactory factory;
    try {
      factory = (SSLSocketFactory) SSLSocketFactory.getDefault();
      // getDefault() hides a trust store that failed to load behind a factory that fails.
      javax.net.ssl.SSLContext.getDefault();
    } catch (Exception e) {
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      System.out.println("refused: " + cause);
      System.exit(3);
      return;
    }
    try (SSLSocket socket = (SSLSocket) factory.createSocket(args[0], Integer.parseInt(args[1]))) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      System.out.println("trusted: " + socket.getSession().getPeerPrincipal());
      OutputStream out = socket.getOutputStream();
      out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      System.out.println("reply: " + in.readLine());
    } catch (javax.net.ssl.SSLException e) {
      System.out.println("refused: " + e);
      System.exit(3);
    }
  }
}
