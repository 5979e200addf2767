/**
 * @module core/aws
 * AWS SDK clients. The SDK reads AWS_ENDPOINT_URL, region and credentials from the environment
 * itself, so one code path serves MiniStack, LocalStack and AWS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
  return {
    s3: new S3Client({ forcePathStyle: custom }),
    sqs: new SQSClient({}),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({}), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };
}
