import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/** Prints Kafka's murmur2 (the hash of the default partitioner) of each argument as "key<TAB>hash". */
public class Murmur2 {
  public static void main(String[] args) {
    for (String key : args) {
      System.out.println(key + "\t" + Utils.murmur2(key.getBytes(StandardCharsets.UTF_8)));
    }
  }
}
