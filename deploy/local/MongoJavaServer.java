// Fallback MongoDB-wire server for deploy/local/stack.sh, used only when neither
// `mongod` nor FerretDB is available. Run with Java's single-file source launcher:
//   java -cp '.stack/mongo-java/lib/*' deploy/local/MongoJavaServer.java <store-file> <host> <port>
// The jars (de.bwaldvogel:mongo-java-server-h2-backend) come from pom.xml, profile mongo-java.
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import java.util.List;

public class MongoJavaServer {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: MongoJavaServer <store-file> <host> <port>");
            System.exit(2);
        }
        H2Backend backend = new H2Backend(args[0]);
        // Every built-in ServerVersion reports wire version <= 8, which PyMongo 4.x refuses
        // (it needs >= 9, MongoDB 4.4): report 5.0 / wire 13 instead.
        backend.version(new MongoVersion() {
            public List<Integer> getVersionArray() { return List.of(5, 0, 0); }
            public int getWireVersion() { return 13; }
        });
        MongoServer server = new MongoServer(backend);
        server.bind(args[1], Integer.parseInt(args[2]));
        System.out.println("mongo-java-server listening on " + args[1] + ":" + args[2] + " store=" + args[0]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();  // also closes the backend (flushes the H2 store)
            System.out.println("mongo-java-server stopped");
        }));
        Thread.currentThread().join();
    }
}
