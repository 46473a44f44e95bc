// Produces a known set of records with the real Java producer (kafka-clients), one topic per
// compression codec, plus a transactional topic with a committed and an aborted transaction.
// The broker stores batches exactly as the producer wrote them (compression.type=producer), so the
// segment files become fixtures for our record-batch decoder. Run by capture-fixtures.sh:
//   java -cp "<kafka libs>/*" Produce.java <bootstrap> <out-dir>
// Writes <out-dir>/<codec>.json with the expected records, in offset order.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class Produce {
  static final long BASE_TS = 1_700_000_000_000L;

  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    Path out = Path.of(args[1]);
    for (String codec : List.of("none", "gzip", "snappy", "lz4", "zstd")) {
      produceCodec(bootstrap, codec, out.resolve(codec + ".json"));
    }
    produceTransactional(bootstrap, out.resolve("txn.json"));
  }

  static Properties props(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "1000");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, "65536");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, "2000000");
    return p;
  }

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  /** Deterministic, compressible text of the given size (exercises multi-block LZ4 and multi-chunk xerial). */
  static String bigText(int size, int seed) {
    StringBuilder sb = new StringBuilder(size);
    long x = seed;
    while (sb.length() < size) {
      x = (x * 6364136223846793005L + 1442695040888963407L);
      sb.append("line ").append((x >>> 40) % 1000).append(" the quick brown fox jumps over the lazy dog\n");
    }
    return sb.substring(0, size);
  }

  /** The record set: [key, value, headers...] groups; each group is flushed as its own batch. */
  static List<List<ProducerRecord<byte[], byte[]>>> recordGroups(String topic) {
    List<List<ProducerRecord<byte[], byte[]>>> groups = new ArrayList<>();
    long ts = BASE_TS;
    List<ProducerRecord<byte[], byte[]>> g1 = new ArrayList<>();
    g1.add(rec(topic, ts++, "k0", "hello", new RecordHeader("h1", utf8("v1")), new RecordHeader("h2", null)));
    g1.add(rec(topic, ts++, null, "null key"));
    g1.add(rec(topic, ts++, "tombstone", null));
    g1.add(rec(topic, ts++, "", ""));
    g1.add(rec(topic, ts++, "ünï", "çødé ✓", new RecordHeader("ключ", utf8("значение")), new RecordHeader("", utf8(""))));
    groups.add(g1);
    List<ProducerRecord<byte[], byte[]>> g2 = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String v = "{\"id\":" + i + ",\"name\":\"user-" + (i * 7919 % 1000) + "\",\"flag\":" + (i % 3 == 0) + "}";
      g2.add(rec(topic, ts + i * 3L, "key-" + i, v, new RecordHeader("seq", utf8(Integer.toString(i)))));
    }
    ts += 1000;
    groups.add(g2);
    List<ProducerRecord<byte[], byte[]>> g3 = new ArrayList<>();
    g3.add(rec(topic, ts++, "big-1", bigText(150_000, 1)));
    groups.add(g3);
    List<ProducerRecord<byte[], byte[]>> g4 = new ArrayList<>();
    g4.add(rec(topic, ts + 5, "out-of-order-ts", "later"));
    g4.add(rec(topic, ts, "earlier-ts", bigText(40_000, 2)));
    groups.add(g4);
    return groups;
  }

  static ProducerRecord<byte[], byte[]> rec(String topic, long ts, String key, String value, Header... headers) {
    return new ProducerRecord<>(topic, 0, ts, utf8(key), utf8(value), List.of(headers));
  }

  static void produceCodec(String bootstrap, String codec, Path json) throws Exception {
    Properties p = props(bootstrap);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    String topic = "fx-" + codec;
    List<String> lines = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      for (List<ProducerRecord<byte[], byte[]>> group : recordGroups(topic)) {
        List<java.util.concurrent.Future<RecordMetadata>> futures = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : group) futures.add(producer.send(r));
        producer.flush();
        for (int i = 0; i < group.size(); i++) lines.add(toJson(group.get(i), futures.get(i).get().offset(), false));
      }
    }
    write(json, codec, lines);
  }

  static void produceTransactional(String bootstrap, Path json) throws Exception {
    Properties p = props(bootstrap);
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "sluice-fixture-txn");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    String topic = "fx-txn";
    List<String> lines = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
      producer.initTransactions();
      long ts = BASE_TS;
      for (String outcome : List.of("commit", "abort", "commit")) {
        producer.beginTransaction();
        List<ProducerRecord<byte[], byte[]>> group = new ArrayList<>();
        for (int i = 0; i < 3; i++) group.add(rec(topic, ts++, outcome + "-" + i, "value-" + outcome + "-" + i));
        List<java.util.concurrent.Future<RecordMetadata>> futures = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : group) futures.add(producer.send(r));
        producer.flush();
        for (int i = 0; i < group.size(); i++) lines.add(toJson(group.get(i), futures.get(i).get().offset(), outcome.equals("abort")));
        if (outcome.equals("commit")) producer.commitTransaction();
        else producer.abortTransaction();
      }
    }
    write(json, "none", lines);
  }

  static String b64(byte[] b) {
    return b == null ? "null" : "\"" + Base64.getEncoder().encodeToString(b) + "\"";
  }

  /** Values over 1 KiB are described by length and SHA-256 to keep the JSON small. */
  static String value(byte[] b) throws Exception {
    if (b == null || b.length <= 1024) return b64(b);
    byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(b);
    return "{\"length\":" + b.length + ",\"sha256\":\"" + java.util.HexFormat.of().formatHex(d) + "\"}";
  }

  static String toJson(ProducerRecord<byte[], byte[]> r, long offset, boolean aborted) throws Exception {
    StringBuilder sb = new StringBuilder();
    sb.append("{\"offset\":").append(offset).append(",\"timestamp\":").append(r.timestamp());
    sb.append(",\"key\":").append(b64(r.key())).append(",\"value\":").append(value(r.value()));
    if (aborted) sb.append(",\"aborted\":true");
    sb.append(",\"headers\":[");
    boolean first = true;
    for (Header h : r.headers()) {
      if (!first) sb.append(',');
      first = false;
      sb.append("{\"key\":").append(b64(utf8(h.key()))).append(",\"value\":").append(b64(h.value())).append('}');
    }
    return sb.append("]}").toString();
  }

  static void write(Path json, String codec, List<String> lines) throws Exception {
    String body = "{\"producer\":\"kafka-clients " + org.apache.kafka.common.utils.internals.AppInfoParser.getVersion()
        + "\",\"compression\":\"" + codec + "\",\"records\":[\n" + String.join(",\n", lines) + "\n]}\n";
    Files.writeString(json, body);
  }
}
