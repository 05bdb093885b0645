/** Reads the emulator endpoints the global setup published; fails loudly if it did not run. */
export function localAwsFromEnvironment(): { region: string; dynamodb: string; sqs: string; s3: string } {
  const read = (name: string): string => {
    const value = process.env[name];
    if (value === undefined || value === '') {
      throw new Error(`${name} is not set: integration tests must run under jest's integration project (global setup starts the emulators)`);
    }
    return value;
  };
  return {
    region: read('AWS_REGION'),
    dynamodb: read('AWS_ENDPOINT_URL_DYNAMODB'),
    sqs: read('AWS_ENDPOINT_URL_SQS'),
    s3: read('AWS_ENDPOINT_URL_S3'),
  };
}
