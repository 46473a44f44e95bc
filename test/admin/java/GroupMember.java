import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka's Java consumer as a group member for admin tests: joins `group` (protocol `classic` or
 * `consumer`) subscribed to `topic`, prints "assigned <n>" once it owns partitions, and polls until
 * `seconds` have passed or the file `stopFile` exists (and it has announced), then leaves the group.
 * Usage: GroupMember <bootstrap> <group> <topic> <classic|consumer> <seconds> <stopFile>
 */
public class GroupMember {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, args[3]);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "java-member");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    if (args[3].equals("classic")) {
      p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
      p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    }
    long end = System.nanoTime() + Long.parseLong(args[4]) * 1_000_000_000L;
    java.io.File stop = new java.io.File(args[5]);
    boolean announced = false;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(args[2]));
      // Stop only once the assignment was seen here too: with KIP-848 the coordinator shows the
      // target assignment before this client has reconciled it.
      while (System.nanoTime() - end < 0 && !(stop.exists() && announced)) {
        c.poll(Duration.ofMillis(200));
        if (!announced && !c.assignment().isEmpty()) {
          System.out.println("assigned " + c.assignment().size());
          System.out.flush();
          announced = true;
        }
      }
      c.commitSync();
    }
    System.out.println("closed");
  }
}
