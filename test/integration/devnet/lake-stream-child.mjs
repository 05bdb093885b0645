// Runs near-lake-framework 1.0.6 in its own process and prints each StreamerMessage as one JSON
// line. The framework streams (and retries) forever, so the test reads what it needs and kills
// this process by its PID. Arguments: bucket region s3-port start-height.
import { stream } from 'near-lake-framework';

const [bucket, region, port, startHeight] = process.argv.slice(2);
for await (const message of stream({
  s3BucketName: bucket,
  s3RegionName: region,
  startBlockHeight: Number(startHeight),
  s3Endpoint: { protocol: 'http:', hostname: '127.0.0.1', port: Number(port), path: '/' },
  s3ForcePathStyle: true,
  blocksPreloadPoolSize: 50,
})) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}
