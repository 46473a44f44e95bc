import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads whole topics with Kafka's Java consumer (assigned partitions, from the beginning, no group) up to
 * the end offsets at start — the last stable offsets with read_committed — and prints one line per record:
 * topic, partition, offset, timestamp, key, value, then header key=value pairs; bytes in base64, null as "~".
 * Usage: ReadTopic <bootstrap> <topic>[,<topic>…] <read_uncommitted|read_committed>
 */
public class ReadTopic {
  static String b64(byte[] b) {
    return b == null ? "~" : Base64.getEncoder().encodeToString(b);
  }

  public static void main(String[] args) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, args[2]);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    StringBuilder out = new StringBuilder();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> tps = new ArrayList<>();
      for (String topic : args[1].split(",")) {
        List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos.isEmpty()) {
          // partitionsFor answers an unknown topic with an empty list: that is a failure here, not "no records".
          System.err.println("ReadTopic: topic " + topic + " is unknown to the broker");
          System.exit(3);
        }
        for (PartitionInfo info : infos) tps.add(new TopicPartition(topic, info.partition()));
      }
      c.assign(tps);
      c.seekToBeginning(tps);
      Map<TopicPartition, Long> end = c.endOffsets(tps);
      System.err.println("ReadTopic: end offsets " + end);
      long deadline = System.nanoTime() + 60_000_000_000L; // monotonic: a wall-clock step must not end the read
      boolean done = false;
      while (!done && System.nanoTime() - deadline < 0) {
        done = true;
        for (TopicPartition tp : tps) if (c.position(tp) < end.get(tp)) done = false;
        if (done) break;
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          out.append(r.topic()).append('\t').append(r.partition()).append('\t').append(r.offset()).append('\t').append(r.timestamp())
              .append('\t').append(b64(r.key())).append('\t').append(b64(r.value()));
          for (Header h : r.headers()) out.append('\t').append(h.key()).append('=').append(b64(h.value()));
          out.append('\n');
        }
      }
      if (!done) {
        System.err.println("ReadTopic: did not reach the end offsets within 60 s");
        System.exit(4);
      }
    }
    System.out.print(out);
    System.out.flush();
  }
}
