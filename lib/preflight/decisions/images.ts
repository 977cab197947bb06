/** 7. service images: each service's image-tag parameter exists and names an image of its repository. */
import type { EnvironmentConfig } from '../../config/schema';
import { serviceImageTagParameterName } from '../../constructs/service-release';
import { serviceRepositoryName } from '../../stacks/service-repositories-stack';
import { CHECKS, type CheckResult, checkResult, type Finding } from './check';

export interface ImageReference {
  readonly service: string;
  readonly repository: string;
  readonly tag: string;
  readonly uri: string;
  /** The SSM parameter the Services stack reads the tag from (docs/DELIVERY.md). */
  readonly parameter: string;
  /** Whether that parameter exists (its value is `tag`); if not, `tag` is config's first image, `services[].imageTag`. */
  readonly recorded: boolean;
}

/**
 * The image each configured service runs, in the repository ServiceRepositories creates for it: the tag its image-tag
 * parameter records (the last release), or before there is one, `services[].imageTag` (its first image).
 */
export function serviceImages(config: Pick<EnvironmentConfig, 'name' | 'account' | 'region' | 'services'>, recordedTags: ReadonlyMap<string, string | undefined> = new Map()): ImageReference[] {
  return config.services.map((service) => {
    const repository = serviceRepositoryName(config.name, service.name);
    const recorded = recordedTags.get(service.name);
    const tag = recorded ?? service.imageTag;
    return {
      service: service.name,
      repository,
      tag,
      uri: `${config.account}.dkr.ecr.${config.region}.amazonaws.com/${repository}:${tag}`,
      parameter: serviceImageTagParameterName(config.name, service.name),
      recorded: recorded !== undefined,
    };
  });
}

export type ImageObservation = 'present' | 'no-image' | 'no-repository';

export function decideImages(config: Pick<EnvironmentConfig, 'name'>, images: readonly ImageReference[], observed: ReadonlyMap<string, ImageObservation>): CheckResult {
  if (images.length === 0) return checkResult(CHECKS.images, [{ ok: true, text: 'no services in config' }], 'SKIP');
  return checkResult(
    CHECKS.images,
    images.map((image): Finding => {
      const state = observed.get(image.service);
      if (state === 'present' && !image.recorded) {
        return { ok: false, text: `${image.service}: no image-tag parameter ${image.parameter} (the Services stack reads the tag there)`, fix: `aws ssm put-parameter --name ${image.parameter} --type String --value ${image.tag} (docs/SERVICES.md)` };
      }
      if (state === 'present') return { ok: true, text: `${image.service}: ${image.repository}:${image.tag} exists (${image.parameter})` };
      if (state === 'no-repository') return { ok: false, text: `${image.service}: repository ${image.repository} does not exist`, fix: `npx cdk deploy '${config.name}/ServiceRepositories', then push ${image.uri} (docs/SERVICES.md)` };
      return { ok: false, text: `${image.service}: no image tagged ${image.tag} in ${image.repository}`, fix: `build and push ${image.uri} (docs/SERVICES.md), or set services[].imageTag to a pushed tag` };
    }),
  );
}
