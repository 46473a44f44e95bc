// Encodes messages with Apache Kafka's own generated Java classes, for java-crosscheck.test.ts.
// Input: lines "<MessageName>\t<version>\t<our bytes, hex>\t<json>".
// Output: one line per input with two columns, each a hex encoding or "ERR <exception>":
//  1. the message built by Kafka's generated JsonConverter from the JSON, then written;
//  2. the message read from our bytes by Kafka's generated reader, then written again.
// Kafka names the classes <Name>Data for requests, responses and headers, <Name> for data schemas.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Readable;

public class CrossCheck {
    static String write(Message msg, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        ByteBuffer buf = ByteBuffer.allocate(msg.size(cache, version));
        msg.write(new ByteBufferAccessor(buf), cache, version);
        return HexFormat.of().formatHex(buf.array());
    }

    static String error(Throwable t) {
        Throwable c = t instanceof InvocationTargetException ? t.getCause() : t;
        return "ERR " + String.valueOf(c).replace('\n', ' ').replace('\t', ' ');
    }

    public static void main(String[] args) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        try (BufferedReader in = Files.newBufferedReader(Path.of(args[0]));
             PrintWriter out = new PrintWriter(Files.newBufferedWriter(Path.of(args[1])))) {
            String line;
            while ((line = in.readLine()) != null) {
                String[] parts = line.split("\t", 4);
                // Requests, responses and headers are <Name>Data; data schemas keep their name.
                String pkg = "org.apache.kafka.common.message." + parts[0];
                try {
                    Class.forName(pkg + "Data");
                    pkg = pkg + "Data";
                } catch (ClassNotFoundException e) {
                    // a data schema
                }
                short version = Short.parseShort(parts[1]);
                String fromJson;
                try {
                    Method read = Class.forName(pkg + "JsonConverter").getMethod("read", JsonNode.class, short.class);
                    fromJson = write((Message) read.invoke(null, mapper.readTree(parts[3]), version), version);
                } catch (Throwable t) {
                    fromJson = error(t);
                }
                String reencoded;
                try {
                    Constructor<?> ctor = Class.forName(pkg).getConstructor(Readable.class, short.class);
                    ByteBuffer ours = ByteBuffer.wrap(HexFormat.of().parseHex(parts[2]));
                    Message msg = (Message) ctor.newInstance(new ByteBufferAccessor(ours), version);
                    reencoded = ours.hasRemaining() ? "ERR " + ours.remaining() + " bytes left over" : write(msg, version);
                } catch (Throwable t) {
                    reencoded = error(t);
                }
                out.println(fromJson + "\t" + reencoded);
            }
        }
    }
}
