export { responseTo } from './response-to';
export { forTurn } from './for-turn';
export { toSteps } from './to-steps';
export type { ToStepsConfig } from './to-steps';
export { takeUntilTurnEnd } from './take-until-turn-end';
export { inactivityTimeout } from './inactivity-timeout';
export type { InactivityTimeoutConfig } from './inactivity-timeout';
export { interceptApprovals } from './intercept-approvals';
export type { ApprovalReply, InterceptApprovalsConfig } from './intercept-approvals';
