import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.font.FontRenderContext;
import java.awt.font.TextLayout;
import java.awt.image.BufferedImage;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Runs inside a java image (java/runtime_test) as
 * `java -jar hello.jar UID HOST PORT CA.pem ENCODING MAJOR`:
 * the JRE (Java MAJOR), the default and file name encodings (ENCODING), its default trust store, a TLS
 * handshake with a server on 127.0.0.1 that the default store must refuse and the store plus the test CA must accept, and font rendering (freetype,
 * harfbuzz, fontconfig). Prints "ok: ..." per check; "FAIL: ..." and exit 1 on the first failure.
 */
public class Hello {
  static void ok(String what) {
    System.out.println("ok: " + what);
  }

  static void expect(boolean cond, String what) {
    if (!cond) {
      System.out.println("FAIL: " + what);
      System.exit(1);
    }
    ok(what);
  }

  static String get(SSLContext context, String host, int port) throws Exception {
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, port)) {
      socket.setSoTimeout(10000);
      socket.startHandshake();
      OutputStream out = socket.getOutputStream();
      out.write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] buf = new byte[64];
      int n = socket.getInputStream().read(buf);
      return socket.getSession().getProtocol() + " " + new String(buf, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1).split("\r\n")[0];
    }
  }

  public static void main(String[] args) throws Exception {
    String uid = args[0];
    String host = args[1];
    int port = Integer.parseInt(args[2]);
    String extraCa = args[3];
    String encoding = args[4];
    String major = args[5];

    String version = System.getProperty("java.version");
    ok("java.version " + version + " (" + System.getProperty("java.vm.name") + ", java.home "
        + System.getProperty("java.home") + ")");
    expect(version.startsWith(major + "."), "a Java " + major + " runtime");
    int actualUid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    expect(String.valueOf(actualUid).equals(uid), "uid " + actualUid + " (user.name " + System.getProperty("user.name") + ")");
    expect(Charset.defaultCharset().name().equals(Charset.forName(encoding).name())
        && encoding.equals(System.getProperty("sun.jnu.encoding")),
        "default charset " + Charset.defaultCharset() + ", sun.jnu.encoding " + System.getProperty("sun.jnu.encoding")
        + " (LANG=" + System.getenv("LANG") + ", expected " + encoding + ")");

    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init((KeyStore) null);
    X509TrustManager defaultTm = (X509TrustManager) tmf.getTrustManagers()[0];
    int issuers = defaultTm.getAcceptedIssuers().length;
    expect(issuers > 100, "default TrustManagerFactory (" + tmf.getAlgorithm() + ") accepts " + issuers + " issuers");

    String storePath = System.getProperty("java.home") + "/lib/security/cacerts";
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    try (InputStream in = new FileInputStream(storePath)) {
      store.load(in, "changeit".toCharArray());
    }
    expect(store.size() == issuers, storePath + ": " + store.getType() + " store of " + store.size()
        + " certificates, password changeit");

    SSLContext plain = SSLContext.getInstance("TLS");
    plain.init(null, null, null);
    try {
      get(plain, host, port);
      expect(false, "TLS handshake accepted a certificate from an unknown CA");
    } catch (SSLHandshakeException e) {
      ok("TLS to " + host + ":" + port + " refused before the test CA is added (" + e.getMessage() + ")");
    }
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    try (InputStream in = new FileInputStream(extraCa)) {
      store.setCertificateEntry("rules-debimage-test-ca", (X509Certificate) cf.generateCertificate(in));
    }
    TrustManagerFactory withCa = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    withCa.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, withCa.getTrustManagers(), null);
    String reply = get(context, host, port);
    expect(reply.endsWith("HTTP/1.0 200 ok"), "tls handshake and HTTP reply: " + reply);

    System.setProperty("java.awt.headless", "true");
    BufferedImage image = new BufferedImage(200, 40, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 16);
    g.setFont(font);
    g.drawString("distroless \u00e9\u00e8", 5, 25);
    FontRenderContext frc = g.getFontRenderContext();
    TextLayout layout = new TextLayout("Hello, \u0645\u0631\u062d\u0628\u0627", font, frc);
    expect(layout.getAdvance() > 0, "font rendering and shaping with " + font.getFontName() + " (" + font.getFamily()
        + "), advance " + layout.getAdvance());
    System.out.println("ALL CHECKS PASSED");
  }
}
