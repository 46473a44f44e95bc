import java.io.InputStream;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

/**
 * Java interop check: prints the kafka-clients version, whether the kafka-tools classes (ProducerPerformance,
 * VerifiableConsumer) are on the classpath, and how many brokers the Java Admin client sees at args[0].
 */
public class DescribeCluster {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    try (Admin admin = Admin.create(props)) {
      System.out.println("nodes=" + admin.describeCluster().nodes().get().size());
    }
    System.out.println("clients=" + clientsVersion());
    System.out.println("tools=" + present("org.apache.kafka.tools.ProducerPerformance", "org.apache.kafka.tools.VerifiableConsumer"));
  }

  // kafka-clients' own version file (AppInfoParser moved packages in 4.4, this resource did not).
  private static String clientsVersion() throws Exception {
    Properties p = new Properties();
    try (InputStream in = DescribeCluster.class.getClassLoader().getResourceAsStream("kafka/kafka-version.properties")) {
      p.load(in);
    }
    return p.getProperty("version");
  }

  private static boolean present(String... classes) {
    try {
      for (String c : classes) Class.forName(c);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
