import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.AbstractMongoBackend;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.message.MongoMessage;
import io.netty.channel.Channel;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs mongo-java-server (a MongoDB wire-protocol server) on HOST:PORT until SIGTERM/SIGINT.
 * Used by scripts/servers/servers.sh for integration tests; not a production database.
 *
 * Usage: java -cp 'lib/*:classes' FlywheelMongoServer HOST PORT [memory|h2] [H2_FILE]
 *
 * h2: file-backed, and every command that changed data is committed to the file before it is
 * answered, so an acknowledged write survives kill -9 of this process (H2's own MVStore only
 * auto-commits about once a second: a kill lost up to a second of acknowledged writes). Written to
 * the OS, not fsynced: an OS crash can still lose the last writes, like mongod's 100 ms journal.
 *
 * Environment:
 *   FLYWHEEL_MONGO_FAKE_WIRE_VERSION  report this maxWireVersion in isMaster/hello (and a matching
 *                                     version string) instead of the server's own (8). Lets
 *                                     newer drivers connect; the server's features do not
 *                                     change. Off unless set.
 *   FLYWHEEL_MONGO_TLS_CERT, FLYWHEEL_MONGO_TLS_KEY
 *                                     PEM certificate chain and unencrypted PKCS#8 key: the port
 *                                     then serves TLS only (mongo-java-server's enableSsl).
 */
public final class FlywheelMongoServer {
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: FlywheelMongoServer HOST PORT [memory|h2] [H2_FILE]");
            System.exit(2);
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String kind = args.length > 2 ? args[2] : "memory";

        MongoBackend backend;
        switch (kind) {
            case "memory":
                backend = new MemoryBackend();
                break;
            case "h2":
                if (args.length < 4) {
                    System.err.println("h2 backend needs a file path");
                    System.exit(2);
                }
                backend = new CommittingH2Backend(args[3]);
                break;
            default:
                System.err.println("unknown backend: " + kind);
                System.exit(2);
                return;
        }

        String fake = System.getenv("FLYWHEEL_MONGO_FAKE_WIRE_VERSION");
        if (fake != null && !fake.isBlank()) {
            int wire = Integer.parseInt(fake.trim());
            ((AbstractMongoBackend) backend).version(new MongoVersion() {
                @Override
                public List<Integer> getVersionArray() {
                    // wire 8 = 4.2, 9 = 4.4, 13 = 5.0, 17 = 6.0, 21 = 7.0, 25 = 8.0
                    if (wire >= 25) return List.of(8, 0, 0);
                    if (wire >= 21) return List.of(7, 0, 0);
                    if (wire >= 17) return List.of(6, 0, 0);
                    if (wire >= 13) return List.of(5, 0, 0);
                    if (wire >= 9) return List.of(4, 4, 0);
                    return List.of(4, 2, 0);
                }

                @Override
                public int getWireVersion() {
                    return wire;
                }
            });
        }

        MongoServer server = new MongoServer(backend);
        String tlsCert = System.getenv("FLYWHEEL_MONGO_TLS_CERT");
        String tlsKey = System.getenv("FLYWHEEL_MONGO_TLS_KEY");
        boolean tls = tlsCert != null && !tlsCert.isBlank();
        if (tls) {
            // TLS only: mongo-java-server's Netty pipeline then speaks nothing but TLS on this port.
            server.enableSsl(readPkcs8Key(Path.of(tlsKey)), null, readCertificates(Path.of(tlsCert)));
        }
        server.bind(host, port);
        System.out.println("FlywheelMongoServer: " + kind + " backend listening on "
                + (tls ? "TLS " : "")
                + server.getLocalAddress() + " (pid " + ProcessHandle.current().pid() + ")");
        System.out.flush();

        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("FlywheelMongoServer: shutting down");
            try {
                server.shutdown(); // also closes the backend (H2: flushes the file)
            } catch (RuntimeException e) {
                e.printStackTrace();
            }
            done.countDown();
        }, "shutdown"));
        done.await();
    }

    /** An unencrypted PKCS#8 PEM private key (EC or RSA), as test-ca.sh writes them. */
    static PrivateKey readPkcs8Key(Path file) throws Exception {
        String pem = Files.readString(file);
        String body = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body));
        for (String algorithm : new String[] {"EC", "RSA"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException(file + ": not an unencrypted PKCS#8 EC or RSA key");
    }

    /** The certificate chain of a PEM file, leaf first. */
    static X509Certificate[] readCertificates(Path file) throws Exception {
        try (InputStream in = Files.newInputStream(file)) {
            return CertificateFactory.getInstance("X.509").generateCertificates(in).stream()
                    .map(X509Certificate.class::cast)
                    .toArray(X509Certificate[]::new);
        }
    }

    /** The H2 backend, committing the MVStore after each command that left unsaved changes. */
    static final class CommittingH2Backend extends H2Backend {
        CommittingH2Backend(String file) {
            super(file);
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            try {
                return super.handleCommand(channel, database, command, query);
            } finally {
                commitIfChanged();
            }
        }

        @Override
        public Document handleMessage(MongoMessage message) {
            try {
                return super.handleMessage(message);
            } finally {
                commitIfChanged();
            }
        }

        private void commitIfChanged() {
            if (getMvStore().hasUnsavedChanges()) getMvStore().commit();
        }
    }
}
