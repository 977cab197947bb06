/** 7. service images: each service's image tag is in its repository. */
import type { EnvironmentConfig } from '../../config/schema';
import { serviceRepositoryName } from '../../stacks/service-repositories-stack';
import { CHECKS, type CheckResult, checkResult, type Finding } from './check';

export interface ImageReference {
  readonly service: string;
  readonly repository: string;
  readonly tag: string;
  readonly uri: string;
}

/** The image each configured service runs: `services[].imageTag` in the repository ServiceRepositories creates for it. */
export function serviceImages(config: Pick<EnvironmentConfig, 'name' | 'account' | 'region' | 'services'>): ImageReference[] {
  return config.services.map((service) => {
    const repository = serviceRepositoryName(config.name, service.name);
    return { service: service.name, repository, tag: service.imageTag, uri: `${config.account}.dkr.ecr.${config.region}.amazonaws.com/${repository}:${service.imageTag}` };
  });
}

export type ImageObservation = 'present' | 'no-image' | 'no-repository';

export function decideImages(config: Pick<EnvironmentConfig, 'name'>, images: readonly ImageReference[], observed: ReadonlyMap<string, ImageObservation>): CheckResult {
  if (images.length === 0) return checkResult(CHECKS.images, [{ ok: true, text: 'no services in config' }], 'SKIP');
  return checkResult(
    CHECKS.images,
    images.map((image): Finding => {
      const state = observed.get(image.service);
      if (state === 'present') return { ok: true, text: `${image.service}: ${image.repository}:${image.tag} exists` };
      if (state === 'no-repository') return { ok: false, text: `${image.service}: repository ${image.repository} does not exist`, fix: `npx cdk deploy '${config.name}/ServiceRepositories', then push ${image.uri} (docs/SERVICES.md)` };
      return { ok: false, text: `${image.service}: no image tagged ${image.tag} in ${image.repository}`, fix: `build and push ${image.uri} (docs/SERVICES.md), or set services[].imageTag to a pushed tag` };
    }),
  );
}
