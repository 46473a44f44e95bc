import java.io.File;
import java.io.FileWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Kafka's Java KafkaShareConsumer (KIP-932) as a share group member for tests. Explicit acknowledgement:
 * every record it gets is accepted, commitSync() sends the acknowledgements, and each record whose
 * acknowledgement the broker applied is appended to `outFile` as
 *   accepted <partition> <offset> <deliveryCount> <value>
 * (a refused one as `failed …`), flushed after every poll so a test can follow along. Runs until `stopFile`
 * exists or `seconds` pass, `maxRecords` (optional) are accepted, then closes (leaving the group).
 * Prints "joined" on stdout after the first poll and "closed <accepted>" at the end.
 * Usage: ShareMember <bootstrap> <group> <topic> <seconds> <stopFile> <outFile> [maxRecords] [delayMsPerRecord]
 */
public class ShareMember {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "java-share-member");
    p.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "100");
    long end = System.nanoTime() + Long.parseLong(args[3]) * 1_000_000_000L;
    File stop = new File(args[4]);
    long max = args.length > 6 ? Long.parseLong(args[6]) : Long.MAX_VALUE;
    long delayMs = args.length > 7 ? Long.parseLong(args[7]) : 0;
    long accepted = 0;
    boolean joined = false;
    try (FileWriter out = new FileWriter(args[5], StandardCharsets.UTF_8, true);
        KafkaShareConsumer<byte[], byte[]> c =
            new KafkaShareConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(args[2]));
      while (System.nanoTime() - end < 0 && !stop.exists() && accepted < max) {
        ConsumerRecords<byte[], byte[]> records = c.poll(Duration.ofMillis(200));
        if (!joined) {
          System.out.println("joined");
          System.out.flush();
          joined = true;
        }
        if (records.isEmpty()) continue;
        List<ConsumerRecord<byte[], byte[]>> got = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (delayMs > 0) Thread.sleep(delayMs);
          c.acknowledge(r, AcknowledgeType.ACCEPT);
          got.add(r);
        }
        Map<TopicIdPartition, Optional<KafkaException>> results = c.commitSync();
        StringBuilder sb = new StringBuilder();
        for (ConsumerRecord<byte[], byte[]> r : got) {
          Optional<KafkaException> err = Optional.empty();
          for (Map.Entry<TopicIdPartition, Optional<KafkaException>> e : results.entrySet()) {
            if (e.getKey().topic().equals(r.topic()) && e.getKey().partition() == r.partition()) err = e.getValue();
          }
          String value = r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8);
          sb.append(err.isPresent() ? "failed " : "accepted ")
              .append(r.partition()).append(' ').append(r.offset()).append(' ')
              .append(r.deliveryCount().map(String::valueOf).orElse("-")).append(' ').append(value).append('\n');
          if (err.isEmpty()) accepted++;
        }
        out.write(sb.toString());
        out.flush();
      }
    }
    System.out.println("closed " + accepted);
  }
}
