/** Reading the synthesized REST API of an environment: each method with its resource path resolved. */
import { join } from 'node:path';
import { loadEnvironmentConfigs } from '../../lib/config/load';
import type { EnvironmentConfig } from '../../lib/config/schema';
import { environmentJson } from './assembly';

export interface SynthesizedMethod {
  readonly logicalId: string;
  readonly httpMethod: string;
  readonly path: string;
  readonly properties: Record<string, any>;
}

const configs = new Map(loadEnvironmentConfigs(join(__dirname, '..', '..', 'config')).map((config) => [config.name, config]));

export function environmentConfig(environment: string): EnvironmentConfig {
  const config = configs.get(environment);
  if (!config) throw new Error(`No config for ${environment}`);
  return config;
}

export function apiTemplateJson(environment: string): Record<string, any> {
  return environmentJson(environment).Api;
}

/** Every AWS::ApiGateway::Method of the environment's API, with its path (`/notifications/{id}`). */
export function synthesizedMethods(environment: string): SynthesizedMethod[] {
  const resources: Record<string, any> = apiTemplateJson(environment).Resources;
  const pathOf = (ref: any): string => {
    if (ref['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
    const resource = resources[ref.Ref];
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource') throw new Error(`Unresolvable resource ${JSON.stringify(ref)}`);
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::ApiGateway::Method')
    .map(([logicalId, resource]) => ({ logicalId, httpMethod: resource.Properties.HttpMethod, path: pathOf(resource.Properties.ResourceId) || '/', properties: resource.Properties }));
}

export function resourcesOfType(environment: string, type: string): Array<[string, any]> {
  return Object.entries(apiTemplateJson(environment).Resources as Record<string, any>).filter(([, resource]) => resource.Type === type);
}
