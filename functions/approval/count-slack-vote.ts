import { slackVoteReceived } from '../../events/slack-vote-received.js';
import { busTarget } from '../declaration.js';
import { countSlackVote } from '../use-cases/count-slack-vote.js';

export const declaration = busTarget({
  description:
    'Target of the Slack vote rule: counts an acknowledged click, resumes a decided approval, answers the clicker',
  ports: ['approvals', 'catalog', 'chat', 'waits', 'workflows', 'clock', 'metrics'],
  use: { workflows: { signals: ['approval'] } },
  detail: (detail) => slackVoteReceived.parse(detail),
  useCase: countSlackVote,
});
