/**
 * @module core/aws
 * AWS SDK clients. The SDK reads AWS_ENDPOINT_URL, region and credentials from the environment
 * itself, so one code path serves MiniStack, LocalStack and AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT } from './config.ts';

export interface AwsClients {
  s3: S3Client;
  sqs: SQSClient;
  dynamo: DynamoDBDocumentClient;
}

/**
 * Path-style S3 addressing only where an endpoint is overridden: emulators on 127.0.0.1 cannot
 * serve `<bucket>.127.0.0.1`, while AWS prefers virtual-hosted style.
 */
export function createAwsClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  const custom = Boolean(env.AWS_ENDPOINT_URL);
  // Without these a refused or hanging endpoint holds a call for minutes (the SDK's defaults
  // have no connect or idle timeout); the idle timeout stays above SQS's 20 s long poll.
  const requestHandler = {
    connectionTimeout: AWS_CLIENT.connectTimeoutMs,
    socketTimeout: AWS_CLIENT.idleTimeoutMs,
  };
  return {
    s3: new S3Client({ forcePathStyle: custom, requestHandler }),
    sqs: new SQSClient({ requestHandler }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };
}
