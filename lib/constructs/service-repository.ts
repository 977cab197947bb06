import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

export interface ServiceRepositoryProps {
  /** Repository name, e.g. `connect/prod/accounts`. */
  readonly repositoryName: string;
  readonly encryptionKey: kms.IKey;
  /** Keep the repository and its images when the stack is deleted (production). */
  readonly retain: boolean;
}

/** Tagged images kept per repository: enough to roll back months of releases. */
export const KEPT_TAGGED_IMAGES = 50;
/** Days an untagged image (a build layer, a replaced push) is kept. */
export const UNTAGGED_IMAGE_DAYS = 14;

/**
 * The one ECR repository construct: images scanned on push, tags immutable (a tag in config always means the
 * same image, so a release and its rollback are exact), KMS-encrypted, and lifecycle rules that expire
 * untagged images and keep the newest tagged ones.
 */
export class ServiceRepository extends ecr.Repository {
  constructor(scope: Construct, id: string, props: ServiceRepositoryProps) {
    super(scope, id, {
      repositoryName: props.repositoryName,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      lifecycleRules: [
        { rulePriority: 1, description: `Expire untagged images after ${UNTAGGED_IMAGE_DAYS} days`, tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: Duration.days(UNTAGGED_IMAGE_DAYS) },
        { rulePriority: 2, description: `Keep the newest ${KEPT_TAGGED_IMAGES} images`, tagStatus: ecr.TagStatus.ANY, maxImageCount: KEPT_TAGGED_IMAGES },
      ],
    });
  }
}
