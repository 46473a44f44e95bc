// Produces `count` records with Kafka's own Java producer to each `topic=codec` argument:
// key "k<i>", value "<codec>-<i>" (every 10th value padded to 2 KB so compression has work), and a
// header "n" = i. Used to check that Sluice's consumer reads what the Java client writes.
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class JavaProduce {
  public static void main(String[] args) {
    String bootstrap = args[0];
    int count = Integer.parseInt(args[1]);
    for (int a = 2; a < args.length; a++) {
      String[] tc = args[a].split("=");
      produce(bootstrap, tc[0], tc[1], count);
    }
  }

  static void produce(String bootstrap, String topic, String codec, int count) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("compression.type", codec);
    p.put("linger.ms", "20");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < count; i++) {
        String value = codec + "-" + i + (i % 10 == 0 ? "-" + "x".repeat(2048) : "");
        ProducerRecord<String, String> r = new ProducerRecord<>(topic, 0, "k" + i, value);
        r.headers().add("n", Integer.toString(i).getBytes());
        producer.send(r);
      }
      producer.flush();
    }
  }
}
