import { Aws, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { variablePart } from '../../config/data';
import type { ServiceConfig } from '../../config/schema';
import { grantSendOnly } from '../queue-with-dlq';
import type { ServerlessValkeyCache } from './serverless-cache';
import { CACHE_PORT } from './serverless-cache';
import type { ServiceDatabase } from './service-database';

/** What a service's task is given for the data it names. */
export interface ServiceTask {
  readonly serviceName: string;
  readonly taskRole: iam.IRole;
  /** The service's security group: the only peer the databases and caches it names admit. */
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * What a service receives for the databases, caches, queues and buckets it names (config `services[]`): plain
 * environment variables (endpoints, names, URLs), ECS secrets injected by ARN (the database credentials), and
 * `attach`, which grants its task role the least actions it declared and opens the named databases and caches to
 * its security group. Built by the Data stack; attached by the service in its own stack (the grants and rules live
 * there, so the Data stack never references a service).
 */
export interface ServiceData {
  readonly environment: Readonly<Record<string, string>>;
  /**
   * ECS secrets by variable: a secret's complete ARN and the JSON field. ARNs rather than secret objects: the
   * service imports them in its own stack, so granting its execution role never writes into the key policy of the
   * Security stack (which would make Security depend on Services).
   */
  readonly secrets: Readonly<Record<string, DataSecret>>;
  attach(task: ServiceTask): void;
}

export interface DataSecret {
  readonly secretArn: string;
  readonly field: string;
}

export type QueueAccess = 'send' | 'consume';
export type BucketAccess = 'read' | 'write';

/** Consume: receive, delete and extend the visibility of messages, and decrypt them; nothing else. */
export function grantConsume(queue: sqs.IQueue, grantee: iam.IGrantable): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], resourceArns: [queue.queueArn] });
  queue.encryptionMasterKey?.grant(grantee, 'kms:Decrypt');
}

export function grantQueueAccess(queue: sqs.IQueue, grantee: iam.IGrantable, access: readonly QueueAccess[]): void {
  if (access.includes('send')) grantSendOnly(queue, grantee);
  if (access.includes('consume')) grantConsume(queue, grantee);
}

/**
 * Read: list and get objects. Write: put, delete and abort multipart uploads. With the key actions SSE-KMS needs
 * (decrypt to read; data keys, and decrypt for multipart uploads, to write). `bucketName` is the bucket's stated
 * name, so the object ARN is a literal the compliance acknowledgment can name.
 */
export function grantBucketAccess(bucket: s3.IBucket, bucketName: string, grantee: iam.IGrantable, access: readonly BucketAccess[]): string {
  const bucketArn = `arn:${Aws.PARTITION}:s3:::${bucketName}`;
  const objects = `${bucketName}/*`;
  if (access.includes('read')) {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [bucketArn] });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [`${bucketArn}/*`] });
    bucket.encryptionKey?.grant(grantee, 'kms:Decrypt');
  }
  if (access.includes('write')) {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'], resourceArns: [`${bucketArn}/*`] });
    bucket.encryptionKey?.grant(grantee, 'kms:GenerateDataKey', 'kms:Decrypt');
  }
  return objects;
}

/** The resources one service names, resolved by the Data stack. */
export interface ServiceDataResources {
  readonly databases: readonly ServiceDatabase[];
  readonly caches: readonly ServerlessValkeyCache[];
  readonly queues: readonly { readonly name: string; readonly queue: sqs.IQueue; readonly access: readonly QueueAccess[] }[];
  readonly buckets: readonly { readonly name: string; readonly bucket: s3.IBucket; readonly bucketName: string; readonly access: readonly BucketAccess[] }[];
}

/** The IAM database user a service connects as: its name, in the identifier form both engines accept. */
export function databaseUserOf(serviceName: string): string {
  return serviceName.replace(/-/g, '_');
}

/** What `service` receives for `resources` (variable names as lib/config/data.ts serviceDataVariables lists them). */
export function serviceData(service: Pick<ServiceConfig, 'name'>, resources: ServiceDataResources): ServiceData {
  const environment: Record<string, string> = {};
  const secrets: Record<string, DataSecret> = {};
  const connectPolicies = resources.databases.map((database) => database.connectPolicy(service.name, databaseUserOf(service.name)));
  for (const database of resources.databases) {
    const v = `DB_${variablePart(database.config.name)}`;
    environment[`${v}_HOST`] = database.endpoint.host;
    environment[`${v}_PORT`] = String(database.endpoint.port);
    environment[`${v}_NAME`] = database.databaseName;
    environment[`${v}_IAM_USER`] = databaseUserOf(service.name);
    secrets[`${v}_USERNAME`] = { secretArn: database.secret.secretArn, field: 'username' };
    secrets[`${v}_PASSWORD`] = { secretArn: database.secret.secretArn, field: 'password' };
  }
  for (const cache of resources.caches) {
    const v = `CACHE_${variablePart(cache.config.name)}`;
    environment[`${v}_ENDPOINT`] = cache.cache.attrEndpointAddress;
    environment[`${v}_PORT`] = String(CACHE_PORT);
    environment[`${v}_USER`] = cache.userIdOf(service.name);
  }
  for (const { name, queue } of resources.queues) {
    environment[`QUEUE_${variablePart(name)}_URL`] = queue.queueUrl;
    environment[`QUEUE_${variablePart(name)}_NAME`] = queue.queueName;
  }
  for (const { name, bucketName } of resources.buckets) environment[`BUCKET_${variablePart(name)}_NAME`] = bucketName;

  return {
    environment,
    secrets,
    attach(task) {
      for (const database of resources.databases) {
        database.allowFrom(task.securityGroup, `${task.serviceName} names database ${database.config.name}`);
      }
      for (const policy of connectPolicies) task.taskRole.addManagedPolicy(policy);
      for (const cache of resources.caches) {
        cache.allowFrom(task.securityGroup, `${task.serviceName} names cache ${cache.config.name}`);
        cache.grantConnect(task.taskRole, task.serviceName);
      }
      for (const { queue, access } of resources.queues) grantQueueAccess(queue, task.taskRole, access);
      const objectPaths = resources.buckets.map(({ bucket, bucketName, access }) => grantBucketAccess(bucket, bucketName, task.taskRole, access));
      if (resources.databases.length + resources.caches.length + resources.queues.length + resources.buckets.length === 0) return;
      const inline = `The task role's policy holds only the grants for the data service ${task.serviceName} names in config (least actions per queue, bucket, database user and cache user); it belongs to this one role.`;
      Validations.of(task.taskRole).acknowledge(
        { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: inline },
        { id: 'PCI.DSS.321-IAMNoInlinePolicy', reason: inline },
        ...objectPaths.map((path) => ({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${path}]`,
          reason: `Objects of the one bucket ${path.slice(0, -2)} that ${task.serviceName} names in config, with only the actions it declared (read and/or write); object keys are the service's own.`,
        })),
      );
    },
  };
}
