/** Plain-text and Markdown renderings of cost estimates (what `npm run cost` prints). */
import { componentRank, type EnvironmentEstimate } from './estimate';
import { PRICE_TABLE, type PriceTable } from './prices';

export const usd = (value: number): string => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

/**
 * One Markdown table: a row per component, a column per environment, the totals, and each environment's monthly
 * budget when given (config `operations.budget.monthlyUsd`, what AWS Budgets alerts on after the deploy).
 */
export function formatComparison(estimates: readonly EnvironmentEstimate[], table: PriceTable = PRICE_TABLE, budgets: Readonly<Record<string, number | undefined>> = {}): string {
  const components = [...new Set(estimates.flatMap((e) => e.components.map((c) => c.component)))].sort((a, b) => componentRank(a) - componentRank(b) || a.localeCompare(b));
  const amount = (estimate: EnvironmentEstimate, component: string) => estimate.components.find((c) => c.component === component)?.monthly ?? 0;
  const rows = [
    `| component | ${estimates.map((e) => e.environment).join(' | ')} |`,
    `| --- | ${estimates.map(() => '---:').join(' | ')} |`,
    ...components.map((component) => `| ${component} | ${estimates.map((e) => usd(amount(e, component))).join(' | ')} |`),
    `| **total per month** | ${estimates.map((e) => `**${usd(e.total)}**`).join(' | ')} |`,
    ...(estimates.some((e) => budgets[e.environment] !== undefined)
      ? [`| budget (operations.budget) | ${estimates.map((e) => (budgets[e.environment] === undefined ? '-' : `${usd(budgets[e.environment]!)} (estimate ${Math.round((100 * e.total) / budgets[e.environment]!)}%)`)).join(' | ')} |`]
      : []),
  ];
  const over = estimates.filter((e) => budgets[e.environment] !== undefined && e.total > budgets[e.environment]!);
  const unpriced = estimates.filter((e) => e.notPriced.length > 0).map((e) => `${e.environment}: ${summarizeNotPriced(e)}`);
  return [
    ...rows,
    '',
    `Prices: ${table.regions.join(', ')} on-demand list prices of ${table.date} (lib/cost/prices.ts), no free tier; usage from each config's costAssumptions.`,
    unpriced.length > 0 ? `Not priced: ${unpriced.join('; ')}.` : 'Not priced: nothing (every resource type in the templates is priced or has no charge of its own).',
    ...over.map((e) => `Over budget: ${e.environment} is estimated at ${usd(e.total)}, above its budget of ${usd(budgets[e.environment]!)}; the budget's alerts would fire every month.`),
  ].join('\n');
}

/** One environment in detail: each component's charges with their arithmetic, then what is not priced. */
export function formatEnvironment(estimate: EnvironmentEstimate, table: PriceTable = PRICE_TABLE, budget?: number): string {
  const share = budget === undefined ? '' : `, ${Math.round((100 * estimate.total) / budget)}% of its budget of ${usd(budget)}${estimate.total > budget ? ' (OVER BUDGET)' : ''}`;
  const out = [`${estimate.environment} (${estimate.region}): ${usd(estimate.total)} per month${share}`, ''];
  for (const { component, monthly } of estimate.components) {
    out.push(`${component}: ${usd(monthly)}`);
    // Identical charges (e.g. 60 alarms × $0.10) are folded into one line with a count.
    const folded = new Map<string, { count: number; monthly: number; stacks: Set<string> }>();
    for (const line of estimate.lines.filter((l) => l.component === component)) {
      const entry = folded.get(line.detail) ?? { count: 0, monthly: 0, stacks: new Set<string>() };
      entry.count += 1;
      entry.monthly += line.monthly;
      entry.stacks.add(line.stack);
      folded.set(line.detail, entry);
    }
    for (const [detail, entry] of folded) out.push(`  ${entry.count > 1 ? `${entry.count} × (${detail})` : detail} = ${usd(entry.monthly)}  [${[...entry.stacks].sort().join(', ')}]`);
  }
  out.push('', estimate.notPriced.length > 0 ? `Not priced (${estimate.notPriced.length}):` : 'Not priced: nothing.');
  for (const item of [...estimate.notPriced].sort((a, b) => a.type.localeCompare(b.type) || a.logicalId.localeCompare(b.logicalId))) out.push(`  ${item.type} ${item.stack}/${item.logicalId}: ${item.reason}`);
  out.push('', `Prices of ${table.date}, ${estimate.region}, USD, no free tier (lib/cost/prices.ts).`);
  return out.join('\n');
}

function summarizeNotPriced(estimate: EnvironmentEstimate): string {
  const byType = new Map<string, number>();
  for (const item of estimate.notPriced) byType.set(item.type, (byType.get(item.type) ?? 0) + 1);
  return [...byType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, n]) => `${n} ${type}`).join(', ');
}
