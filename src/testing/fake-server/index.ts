export { FakeAppServer } from './fake-app-server';
export type { FakeMethodHandler, FakeRequestContext, FakeServerWire } from './fake-app-server';
export { installFaults } from './faults';
export type { FaultHooks, FaultOptions } from './faults';
export type { FakeAppServerOptions } from './options';
export { echoScript, FakeTurn } from './turn';
export type {
  CommandApprovalSpec,
  CommandOptions,
  FileChangeApprovalSpec,
  FileChangeOptions,
  MessageOptions,
  ReasoningOptions,
  TurnScript,
  WireApprovalDecision,
} from './turn';
export { TurnLifecycle } from './turn-lifecycle';
export type { CompleteOptions } from './turn-lifecycle';
export { FakeRpcError, FakeTurnEndedError } from './types';
export type { ClientAnswer, ReceivedNotification, ReceivedRequest, RoutineFrames, SentServerRequest } from './types';
