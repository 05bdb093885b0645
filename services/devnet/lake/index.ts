/** The devnet's NEAR Lake: the writer that fills the bucket and the S3-event bridge that announces it. */
export { startLakeWriter, lakeFiles, type LakeWriterOptions, type RunningLakeWriter } from './writer.js';
export { startS3EventBridge, objectCreatedRecord, encodeEventKey, type S3EventBridgeOptions, type RunningS3EventBridge } from './s3-event-bridge.js';
export { LakeError, LakeGapError } from './errors.js';
