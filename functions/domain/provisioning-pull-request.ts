import type { Approval } from './approval.js';
import type { ProvisioningRequest } from './provisioning.js';

/**
 * A person's text in the pull request body: HTML comments removed (an unclosed `<!--` would hide
 * everything after it from the reviewer), `<` and `>` made entities so no tag renders, and set
 * off as a block quote so it reads as what someone typed. Every line ending CommonMark knows (LF,
 * CRLF and a lone CR, which GitHub's renderer also ends a line at) starts a quoted line, or the
 * text after a CR would render outside the quote, as a heading or an approval of its own.
 */
export function quotedUserText(text: string): string {
  const plain = text
    .replace(/<!--[\s\S]*?(-->|$)/gu, '')
    .replace(/&/gu, '&amp;')
    .replace(/</gu, '&lt;')
    .replace(/>/gu, '&gt;')
    .replace(/@/gu, '@\u200b');
  const lines = plain.split(/\r\n|\r|\n/u).map((line) => `> ${line}`.trimEnd());
  return lines.join('\n');
}

/** One line of a person's text for a list item or table cell: quoted text on one line, no pipes. */
const inlineUserText = (text: string): string =>
  quotedUserText(text)
    .replace(/^> ?/gmu, '')
    .replace(/[\r\n]/gu, ' ')
    .replace(/\|/gu, '\\|');

export const pullRequestTitleOf = (request: ProvisioningRequest): string =>
  `Provision ${request.type} ${request.physicalName} for ${request.service} (${request.environment}/${request.region})`;

/** What a reviewer needs: who asked and why, who approved, what exactly changes and where its outputs go. */
export function pullRequestBodyOf(request: ProvisioningRequest, approval: Approval | undefined): string {
  const votes = (approval?.votes ?? []).filter((vote) => vote.decision === 'APPROVE');
  const approvals =
    votes.length > 0
      ? votes.map(
          (vote) =>
            `- @${vote.voter} (${inlineUserText(vote.teams.join(', '))}) via ${vote.via} at ${vote.at}${vote.comment ? `: ${inlineUserText(vote.comment)}` : ''}`,
        )
      : ['- none recorded'];
  const spec = Object.entries(request.spec).map(
    ([key, value]) => `| \`${key}\` | ${inlineUserText(JSON.stringify(value))} |`,
  );
  return [
    `Provisioning request \`${request.id}\` from the developer portal.`,
    '',
    `**Requested by:** @${request.requestedBy} for **${request.service}** (team ${inlineUserText(request.team)})`,
    '**Why:**',
    request.reason ? quotedUserText(request.reason) : '> no reason given',
    '',
    `**Where:** account ${request.account}, ${request.environment}, ${request.region}`,
    `**File:** \`${request.path}\``,
    `**Secrets Manager path:** \`${request.secretPath}\``,
    '',
    `### Approvals (${approval?.policy ?? 'none'})`,
    ...approvals,
    '',
    '### Options',
    '| option | value |',
    '| --- | --- |',
    ...(spec.length > 0 ? spec : ['| (defaults) | |']),
    '',
    'Merging applies this change (the apply workflow runs on the merge commit); Flightplan records the outcome. Close the pull request to cancel the request.',
    '',
  ].join('\n');
}
