import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.apache.kafka.common.utils.Utils;

/**
 * Test vectors of the Java producer's default partitioner (BuiltInPartitioner.partitionForKey, i.e.
 * toPositive(murmur2(key)) % n), one line per key: "key<TAB>murmur2<TAB>p(n1)<TAB>p(n2)…".
 *   random <seed> <count> <n1> [n2 …]   random byte keys of length 0-40 (every murmur2 tail), printed as hex ("-" if empty)
 *   strings <prefix> <count> <n1> [n2 …] the UTF-8 keys prefix0 … prefix(count-1), printed as is
 */
public class PartitionVectors {
  public static void main(String[] args) {
    boolean random = args[0].equals("random");
    Random rnd = random ? new Random(Long.parseLong(args[1])) : null;
    int count = Integer.parseInt(args[2]);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < count; i++) {
      byte[] key;
      String shown;
      if (random) {
        key = new byte[rnd.nextInt(41)];
        rnd.nextBytes(key);
        StringBuilder hex = new StringBuilder();
        for (byte b : key) hex.append(String.format("%02x", b & 0xff));
        shown = hex.length() == 0 ? "-" : hex.toString();
      } else {
        shown = args[1] + i;
        key = shown.getBytes(StandardCharsets.UTF_8);
      }
      out.append(shown).append('\t').append(Utils.murmur2(key));
      for (int a = 3; a < args.length; a++) {
        out.append('\t').append(BuiltInPartitioner.partitionForKey(key, Integer.parseInt(args[a])));
      }
      out.append('\n');
    }
    System.out.print(out);
  }
}
