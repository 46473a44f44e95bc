#!/usr/bin/env bash
# Refreshes tools/codegen/schemas/ from the kafka-clients jar on Maven Central.
#
#   tools/codegen/refresh-schemas.sh [version]     (default: the version in schemas/VERSION)
#
# Resolves org.apache.kafka:kafka-clients:<version> with Maven, extracts common/message/*.json
# (Kafka's protocol message schemas, byte for byte) plus the jar's Apache LICENSE and NOTICE, and
# writes a README with the version and provenance. Then run `npm run codegen`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="$here/schemas"
version="${1:-$(cat "$dest/VERSION" 2>/dev/null || echo 4.4.0)}"
artifact="org.apache.kafka:kafka-clients:$version"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "Resolving $artifact with Maven…" >&2
mvn -B -q dependency:copy -Dartifact="$artifact" -DoutputDirectory="$work/jar" -Dmdep.stripVersion=false
jar="$work/jar/kafka-clients-$version.jar"
[ -f "$jar" ] || { echo "Maven did not produce $jar" >&2; exit 1; }

mkdir -p "$work/x"
(cd "$work/x" && unzip -q "$jar" 'common/message/*.json' common/message/README.md LICENSE NOTICE)
count=$(find "$work/x/common/message" -name '*.json' | wc -l)
[ "$count" -gt 100 ] || { echo "Only $count schemas found in $jar" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest"
cp "$work/x/common/message/"*.json "$dest/"
cp "$work/x/common/message/README.md" "$dest/UPSTREAM-README.md"
cp "$work/x/LICENSE" "$dest/LICENSE"
cp "$work/x/NOTICE" "$dest/NOTICE"
echo "$version" > "$dest/VERSION"
sha=$(sha256sum "$jar" | cut -d' ' -f1)

cat > "$dest/README.md" <<MD
# Apache Kafka $version protocol message schemas

The $count \`*.json\` files here are \`common/message/*.json\` from \`kafka-clients-$version.jar\`
(Maven Central, \`$artifact\`, sha256 \`$sha\`), copied byte for byte. \`LICENSE\` and \`NOTICE\` are
the Apache Kafka files from the root of the same jar, and \`UPSTREAM-README.md\` is the folder's own
README, which describes the JSON format.

They are Apache Kafka's protocol message definitions, licensed under the Apache License, Version 2.0.
Copyright © The Apache Software Foundation.

Do not edit: refresh with \`tools/codegen/refresh-schemas.sh <version>\`, then regenerate
src/protocol/generated/ with \`npm run codegen\`.
MD
echo "Wrote $count schemas for Kafka $version to $dest" >&2
