/** 4. chat: the configured Slack workspace or Teams team is authorized in AWS Chatbot. */
import type { EnvironmentConfig } from '../../config/schema';
import { CHECKS, type CheckResult, checkResult } from './check';

export type ChatObservation = { readonly slackWorkspaceIds: readonly string[] } | { readonly teams: readonly { readonly teamId: string; readonly tenantId: string }[] };

/**
 * AWS Chatbot's channel resources need the workspace (Slack) or team (Teams) authorized once in the Chatbot console;
 * the API only lists them.
 */
export function decideChat(chat: EnvironmentConfig['alarms']['chat'], observed: ChatObservation | undefined): CheckResult {
  if (!chat) return checkResult(CHECKS.chat, [{ ok: true, text: 'no alarms.chat in config' }], 'SKIP');
  const chatbotConsole = 'https://console.aws.amazon.com/chatbot/';
  if (chat.type === 'slack') {
    const authorized = observed && 'slackWorkspaceIds' in observed && observed.slackWorkspaceIds.includes(chat.workspaceId);
    return checkResult(CHECKS.chat, [
      authorized
        ? { ok: true, text: `Slack workspace ${chat.workspaceId} is authorized` }
        : { ok: false, text: `Slack workspace ${chat.workspaceId} is not authorized in AWS Chatbot`, fix: `once, in the AWS Chatbot console (${chatbotConsole}): Configure new client → Slack → allow the workspace; invite @aws to channel ${chat.channelId} if it is private` },
    ]);
  }
  const authorized = observed && 'teams' in observed && observed.teams.some((t) => t.teamId === chat.teamId && t.tenantId === chat.tenantId);
  return checkResult(CHECKS.chat, [
    authorized
      ? { ok: true, text: `Microsoft Teams team ${chat.teamId} is authorized` }
      : { ok: false, text: `Microsoft Teams team ${chat.teamId} (tenant ${chat.tenantId}) is not authorized in AWS Chatbot`, fix: `once, in the AWS Chatbot console (${chatbotConsole}): Configure new client → Microsoft Teams → paste a link to channel ${chat.channelId} and approve` },
  ]);
}
