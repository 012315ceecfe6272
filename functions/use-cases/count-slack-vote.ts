import type { slackVoteReceived } from '../../events/slack-vote-received.js';
import { escapeMrkdwn } from '../domain/slack-text.js';
import { NotFoundError } from '../errors.js';
import type { CatalogStore } from '../ports/index.js';
import { voteOnApproval, type VotingDeps } from './approvals.js';
import { personForSlackUser } from './directory.js';

export type SlackVote = ReturnType<typeof slackVoteReceived.parse>;

/**
 * A Slack click the ingress acknowledged: who clicked, through the directory; then the vote, through
 * the same use case the portal uses; then the answer, an ephemeral message only the clicker sees.
 * Safe to run again for the same click (Slack retries, the bus redelivers, a double click): the
 * second vote is refused as a duplicate, and a refused vote on a decided approval still resumes
 * its workflow and refreshes its message, so a run that died half-way is finished by the next.
 */
export async function countSlackVote(
  deps: VotingDeps & { catalog: CatalogStore },
  vote: SlackVote,
): Promise<{ counted: boolean; answer: string }> {
  const answer = async (text: string, counted: boolean) => {
    if (vote.channel) await deps.chat.postEphemeral(vote.channel, vote.slackUserId, escapeMrkdwn(text));
    return { counted, answer: text };
  };
  const voter = await personForSlackUser(deps, vote.slackUserId);
  if (voter.kind === 'unknown') return answer(`${voter.reason}, so the vote was not counted.`, false);
  try {
    const outcome = await voteOnApproval(deps, {
      approvalId: vote.approvalId,
      voter: voter.person,
      decision: vote.decision,
      via: 'slack',
    });
    if (outcome.kind === 'refused') return await answer(outcome.reason, false);
    return await answer(
      outcome.kind === 'decided'
        ? `Thanks: the approval is now ${outcome.approval.status}.`
        : 'Thanks: your vote is recorded.',
      true,
    );
  } catch (error) {
    // A button whose approval is gone will not appear by retrying; say so instead of dead-lettering the click.
    if (error instanceof NotFoundError) return answer(`${error.message}, so the vote was not counted.`, false);
    throw error;
  }
}
