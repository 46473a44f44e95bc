// Prints Kafka's error table (org.apache.kafka.common.protocol.Errors) from a kafka-clients jar as JSON
// lines, with the exception class hierarchy that decides the client's action flags. It is the source
// of the data in src/protocol/errors.ts (kept next to Produce.java, our other kafka-clients program):
//   java -cp "<kafka libs>/*" test/protocol/records/java/DumpErrors.java > /tmp/errors.jsonl
import org.apache.kafka.common.protocol.Errors;

public class DumpErrors {
  public static void main(String[] args) {
    for (Errors e : Errors.values()) {
      Throwable ex = e.exception();
      StringBuilder supers = new StringBuilder();
      if (ex != null) {
        for (Class<?> c = ex.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
          if (supers.length() > 0) supers.append(',');
          supers.append('"').append(c.getSimpleName()).append('"');
        }
      }
      String msg = e.message() == null ? "" : e.message().replace("\\", "\\\\").replace("\"", "\\\"");
      System.out.println("{\"code\":" + e.code() + ",\"name\":\"" + e.name() + "\",\"message\":\"" + msg
          + "\",\"classes\":[" + supers + "]}");
    }
  }
}
